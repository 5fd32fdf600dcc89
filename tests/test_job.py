"""Jobs end to end: manifests, containers that finish (the Scenario's ``workloads``), the
kubelet's Succeeded / Failed / CrashLoopBackOff, the Job controller, the garbage collector and
pod GC, and the shipped scenarios job-backoff.yaml and job-node-failure.yaml, whose header
comments these tests hold to (times derived from the settings: 5 s ticks, the back-off of
pkg/controller/job, the kubelet's CrashLoopBackOff)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from kmodel.checkmodel import KubeModel
from kmodel.components import job as jobctl
from kmodel.components import kubelet
from kmodel.engines.simulate import Simulation, simulate
from kmodel.errors import KmodelError
from kmodel.scenario import load
from kmodel.smt.bmc import python_model, slice_of
from kmodel.smt.nodehealth import SliceError
from kmodel.state import FAILED, JOB_COMPLETE, JOB_FAILED, JOB_FAILURE_TARGET, JOB_SUSPENDED, SUCCEEDED, Cluster, Job
from tests.conftest import SCENARIOS

BACKOFF = SCENARIOS / "job-backoff.yaml"
NODE_FAILURE = SCENARIOS / "job-node-failure.yaml"

SCENARIO_HEAD = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {{name: t}}
workloads:
  job/j: {behaviour}
---
apiVersion: v1
kind: Node
metadata: {{name: worker}}
---
apiVersion: batch/v1
kind: Job
metadata: {{name: j}}
spec:
"""
TEMPLATE = """\
  template:
    spec:
      restartPolicy: {policy}
      containers: [{{name: c, image: busybox}}]
"""


def write(tmp_path: Path, spec: str, behaviour: str, policy: str = "Never") -> Path:
    text = SCENARIO_HEAD.format(behaviour=behaviour) + textwrap.indent(spec, "  ") + TEMPLATE.format(policy=policy)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def run(path: Path, until: int) -> tuple[Simulation, list[Cluster]]:
    states: list[Cluster] = []
    sim = simulate(load(path), until=until, on_tick=states.append)
    return sim, states


def job_of(c: Cluster, name: str = "j") -> Job:
    j = c.job(name)
    assert j is not None
    return j


def first(states: list[Cluster], pred: object) -> int:
    for c in states:
        if pred(c):  # type: ignore[operator]
            return c.now
    raise AssertionError("never")


def up(t: int, step: int) -> int:
    """The first tick at or after t."""
    return math.ceil(t / step) * step


# --- job-backoff.yaml ---------------------------------------------------------------------------


def test_job_backoff_pods_are_recreated_after_the_real_backoff_then_backoff_limit_exceeded() -> None:
    scen = load(BACKOFF)
    step = scen.settings.step
    job = scen.initial_state().job("migrate")
    assert job is not None and job.behaviour is not None
    run_for, limit = job.behaviour.run_seconds, job.backoff_limit
    # derived: a pod created at t starts at the next tick (the kubelet syncs before the Job
    # controller in a tick), fails run_for later; the next waits backoff_delay(failures)
    creates, fails = [], []
    t = 0
    for n in range(1, limit + 2):
        creates.append(t)
        fail = t + step + run_for
        fails.append(fail)
        t = up(fail + jobctl.backoff_delay(n), step)
    assert creates == [0, 25, 60, 115] and fails == [15, 40, 75, 130]  # the header's numbers

    sim = simulate(scen, until=scen.until)
    created = [e.t for e in sim.events if e.reason == "SuccessfulCreate"]
    assert created == creates
    final = sim.final
    assert final is not None
    assert sorted(p.finished_at for p in final.pods if p.phase == FAILED) == fails  # type: ignore[type-var]
    j = job_of(final, "migrate")
    assert j.conditions == ((JOB_FAILURE_TARGET, "BackoffLimitExceeded"), (JOB_FAILED, "BackoffLimitExceeded"))
    assert j.status_failed == limit + 1 and j.status_succeeded == 0 and j.status_active == 0
    (exceeded,) = [e for e in sim.events if e.reason == "BackoffLimitExceeded"]
    assert (exceeded.t, exceeded.type, exceeded.message) == (
        fails[-1],
        "Warning",
        "Job has reached the specified backoff limit",
    )
    assert j.completion_time is None and j.start_time == 0


def test_job_backoff_holds_job_completes_or_fails(tmp_path: Path) -> None:
    from kmodel import properties as props
    from kmodel.engines.base import HOLDS
    from kmodel.engines.explore import explore

    scen = load(BACKOFF)
    prop = props.to_property(props.BUILTINS["job-completes-or-fails"], scen.settings)
    r = explore(KubeModel(scen, faults=()), prop, max_states=50_000)
    assert r.verdict == HOLDS, r.message


# --- job-node-failure.yaml ----------------------------------------------------------------------


def test_job_node_failure_replacement_after_eviction_and_complete_waits_for_the_node() -> None:
    scen = load(NODE_FAILURE)
    s = scen.settings
    step = s.step
    states: list[Cluster] = []
    sim = simulate(scen, until=scen.until, on_tick=states.append)
    off, on = (ev.at for ev in scen.timeline)
    run_for = 120
    # both pods start at the first tick and the one on the healthy worker succeeds
    starts = [e.t for e in sim.events if e.reason == "Started"]
    assert starts[:2] == [step, step]
    assert first(states, lambda c: job_of(c, "render").status_succeeded >= 1) == step + run_for
    # NotReady after the grace period, eviction tolerationSeconds later (within a few ticks)
    evicted = [e.t for e in sim.events if e.reason == "TaintManagerEviction"]
    assert len(evicted) == 1
    earliest = off - step + s.node_monitor_grace_period + s.default_unreachable_toleration_seconds
    assert earliest <= evicted[0] <= earliest + 4 * step
    # the evicted pod counts as failed at once; the replacement waits 10 s of back-off
    assert first(states, lambda c: job_of(c, "render").status_failed == 1) == evicted[0]
    (replacement,) = [e.t for e in sim.events if e.reason == "SuccessfulCreate" and e.t > 0]
    assert replacement == up(evicted[0] + jobctl.DEFAULT_BACKOFF, step)
    done = replacement + step + run_for
    assert first(states, lambda c: job_of(c, "render").status_succeeded == 2) == done
    # SuccessCriteriaMet at once, Complete only once the node is back and the pod is gone
    j = job_of(states[[c.now for c in states].index(done)], "render")
    assert j.condition("SuccessCriteriaMet") == "" and j.condition(JOB_COMPLETE) is None
    at_on = next(c for c in states if c.now == on - step)
    assert job_of(at_on, "render").condition(JOB_COMPLETE) is None
    assert any(p.terminating for p in at_on.pods)
    (completed,) = [e for e in sim.events if e.reason == "Completed"]
    assert on <= completed.t <= on + 3 * step
    final = job_of(states[-1], "render")
    assert final.completion_time == completed.t and final.status_succeeded == 2 and final.status_failed == 1


# --- the kubelet: containers that finish ------------------------------------------------------


def test_completions_and_parallelism_complete_with_the_completed_event(tmp_path: Path) -> None:
    path = write(tmp_path, "completions: 3\nparallelism: 2\n", "{runFor: 20s}")
    sim, states = run(path, 200)
    created = [e.t for e in sim.events if e.reason == "SuccessfulCreate"]
    assert created == [0, 0, 25]  # two at once; the third when the first two have succeeded
    j = job_of(states[-1])
    assert j.conditions == (("SuccessCriteriaMet", ""), (JOB_COMPLETE, ""))
    assert (j.status_succeeded, j.status_failed, j.status_active, j.completion_time) == (3, 0, 0, 50)
    assert [e.t for e in sim.events if e.reason == "Completed"] == [50]
    assert all(p.phase == SUCCEEDED for p in states[-1].pods)


def test_work_queue_job_completes_when_one_pod_succeeds_and_none_is_active(tmp_path: Path) -> None:
    path = write(tmp_path, "parallelism: 2\n", "{runFor: 20s}")
    sim, states = run(path, 100)
    assert [e.t for e in sim.events if e.reason == "SuccessfulCreate"] == [0, 0]
    j = job_of(states[-1])
    assert j.completions is None and j.condition(JOB_COMPLETE) == "" and j.status_succeeded == 2


def test_on_failure_restarts_in_place_with_crash_loop_backoff(tmp_path: Path) -> None:
    path = write(tmp_path, "", "{runFor: 10s, exitCode: 2, failures: 2}", policy="OnFailure")
    sim, states = run(path, 200)
    assert [e.t for e in sim.events if e.reason == "SuccessfulCreate"] == [0]  # no new pod
    (pod,) = states[-1].pods
    # start 5, fail 15, wait 10 s, restart 25, fail 35, wait 20 s, restart 55, exit 0 at 65
    first_wait, second_wait = kubelet.crash_backoff(0), kubelet.crash_backoff(1)
    assert (first_wait, second_wait) == (10, 20)
    assert first(states, lambda c: c.pods[0].restarts == 1) == 15 + first_wait
    assert first(states, lambda c: c.pods[0].restarts == 2) == 35 + second_wait
    assert pod.phase == SUCCEEDED and pod.restarts == 2 and pod.finished_at == 65
    waiting = next(c for c in states if c.now == 20).pods[0]
    assert waiting.phase == "Running" and not waiting.ready
    from kmodel.render.view import pod_status

    assert pod_status(waiting) == "CrashLoopBackOff"
    j = job_of(states[-1])
    assert j.condition(JOB_COMPLETE) == "" and j.status_failed == 0


def test_crash_loop_backoff_doubles_up_to_five_minutes() -> None:
    assert [kubelet.crash_backoff(n) for n in range(7)] == [10, 20, 40, 80, 160, 300, 300]


def test_on_failure_restarts_reaching_backoff_limit_fail_the_job(tmp_path: Path) -> None:
    """pastBackoffLimitOnFailure: restarts of running pods reach backoffLimit."""
    path = write(tmp_path, "backoffLimit: 2\n", "{runFor: 10s, exitCode: 1}", policy="OnFailure")
    _, states = run(path, 200)
    restarted = first(states, lambda c: bool(c.pods) and c.pods[0].restarts == 2)
    j_at = job_of(next(c for c in states if c.now == restarted))
    assert j_at.condition(JOB_FAILURE_TARGET) == "BackoffLimitExceeded"
    j = job_of(states[-1])
    assert j.condition(JOB_FAILED) == "BackoffLimitExceeded" and j.status_failed == 1
    assert not states[-1].pods  # deleted, and gone once the kubelet finished it
    failed = first(states, lambda c: job_of(c).condition(JOB_FAILED) is not None)
    assert failed > restarted  # Failed only once the pod is no longer terminating


def test_active_deadline_fails_the_job_with_deadline_exceeded(tmp_path: Path) -> None:
    path = write(tmp_path, "activeDeadlineSeconds: 30\n", "{runFor: 5m}")
    sim, states = run(path, 120)
    target = first(states, lambda c: job_of(c).condition(JOB_FAILURE_TARGET) is not None)
    assert target == 30
    j = job_of(states[-1])
    assert j.condition(JOB_FAILED) == "DeadlineExceeded"
    (event,) = [e for e in sim.events if e.reason == "DeadlineExceeded"]
    assert event.message == "Job was active longer than specified deadline" and event.type == "Warning"
    assert [e.t for e in sim.events if e.reason == "SuccessfulDelete"] == [30]


def test_a_suspended_job_creates_no_pod_and_is_excused(tmp_path: Path) -> None:
    from kmodel import properties as props

    path = write(tmp_path, "suspend: true\n", "{runFor: 10s}")
    sim, states = run(path, 60)
    assert not states[-1].pods
    j = job_of(states[-1])
    assert j.conditions == ((JOB_SUSPENDED, "JobSuspended"),) and j.start_time is None
    assert [e.reason for e in sim.events if e.source == jobctl.SOURCE] == ["Suspended"]
    assert props.job_completes_or_fails(states[-1])


def test_a_job_whose_containers_never_exit_never_ends(tmp_path: Path) -> None:
    """Without a workloads entry the containers run for ever, as every kmodel container did."""
    from kmodel import properties as props

    path = write(tmp_path, "", "{runFor: 10s}")
    path.write_text(path.read_text().replace("workloads:\n  job/j: {runFor: 10s}\n", ""))
    assert "workloads" not in path.read_text()
    _, states = run(path, 300)
    j = job_of(states[-1])
    assert j.status_active == 1 and not j.conditions
    assert not props.job_completes_or_fails(states[-1])
    assert "0/1 succeeded" in props.BUILTINS["job-completes-or-fails"].explain(states[-1])  # type: ignore[misc]


# --- garbage collector and pod GC ------------------------------------------------------------------


def test_deleting_a_job_deletes_its_pods(tmp_path: Path) -> None:
    path = write(tmp_path, "", "{runFor: 10m}")
    text = path.read_text().replace("metadata: {name: t}\n", "metadata: {name: t}\ntimeline: ['30s delete job/j']\n")
    path.write_text(text)
    _, states = run(path, 90)
    assert states[-1].job("j") is None
    assert not states[-1].pods
    at = next(c for c in states if c.now == 30)
    assert all(p.terminating for p in at.pods)


def test_pod_gc_deletes_the_oldest_finished_pods_above_the_threshold(tmp_path: Path) -> None:
    text = BACKOFF.read_text().replace("until: 4m\n", "until: 4m\nsettings: {terminatedPodGCThreshold: 2}\n")
    path = tmp_path / "gc.yaml"
    path.write_text(text)
    sim = simulate(load(path))
    assert sim.final is not None
    left = sorted(p.created for p in sim.final.pods)
    assert left == [60, 115]  # the two newest of the four failed pods
    assert [e.reason for e in sim.events if e.source == "pod-garbage-collector"] == ["PodGC", "PodGC"]
    j = job_of(sim.final, "migrate")
    assert j.status_failed == 4 and j.condition(JOB_FAILED) == "BackoffLimitExceeded"  # counted before


# --- manifests ----------------------------------------------------------------------------------


def test_defaults_as_the_apiserver_sets_them(tmp_path: Path) -> None:
    j = load(write(tmp_path, "", "{runFor: 10s}")).initial_state().job("j")
    assert j is not None
    assert (j.completions, j.parallelism, j.backoff_limit, j.active_deadline_seconds) == (1, 1, 6, None)
    q = load(write(tmp_path, "parallelism: 3\n", "{runFor: 10s}")).initial_state().job("j")
    assert q is not None and (q.completions, q.parallelism) == (None, 3)


@pytest.mark.parametrize(
    ("spec", "policy", "message"),
    [
        (
            "",
            "Always",
            'The Job "j" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": '
            'supported values: "OnFailure", "Never"',
        ),
        ("backoffLimit: -1\n", "Never", "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"),
        ("ttlSecondsAfterFinished: 60\n", "Never", "needs the TTL-after-finished controller"),
        ("completionMode: Indexed\n", "Never", "needs Indexed Jobs"),
        ("backoffLimitPerIndex: 1\ncompletionMode: Indexed\n", "Never", "needs Indexed Jobs"),
        ("podFailurePolicy: {rules: []}\n", "Never", "needs pod failure policies"),
        ("successPolicy: {rules: []}\n", "Never", "needs success policies"),
        ("manualSelector: true\n", "Never", "needs manual Job selectors"),
    ],
)
def test_refused_or_invalid(tmp_path: Path, spec: str, policy: str, message: str) -> None:
    with pytest.raises(KmodelError) as err:
        load(write(tmp_path, spec, "{runFor: 10s}", policy=policy))
    assert message in str(err.value)


def test_a_job_template_without_restart_policy_is_defaulted_to_always_and_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "", "{runFor: 10s}")
    path.write_text(path.read_text().replace("      restartPolicy: Never\n", ""))
    with pytest.raises(KmodelError, match='Unsupported value: "Always"'):
        load(path)


def test_probes_in_a_job_template_are_refused(tmp_path: Path) -> None:
    # a probe restart and a failing Job container would each run a CrashLoopBackOff of their own
    path = write(tmp_path, "", "{runFor: 10s}")
    probe = "readinessProbe: {exec: {command: [cat, /tmp/ok]}}"
    path.write_text(path.read_text().replace("image: busybox}", f"image: busybox, {probe}}}"))
    with pytest.raises(KmodelError, match="has container probes, which kmodel does not model for Job pods"):
        load(path)


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("{exitCode: 1}", "runFor is missing"),
        ("{runFor: 10s, exitCode: 0, failures: 2}", "failures needs a non-zero exitCode"),
        ("{runFor: 10s, exitCode: 300}", "must be a whole number 0..255"),
        ("{runFor: 10s, restarts: 2}", "unknown field 'restarts'"),
    ],
)
def test_bad_workloads_entries(tmp_path: Path, behaviour: str, message: str) -> None:
    with pytest.raises(KmodelError, match=message):
        load(write(tmp_path, "", behaviour))


def test_workloads_must_name_a_job_of_the_scenario(tmp_path: Path) -> None:
    path = write(tmp_path, "", "{runFor: 10s}")
    path.write_text(path.read_text().replace("job/j:", "job/other:"))
    with pytest.raises(KmodelError, match="no Job named 'other' in the scenario"):
        load(path)


# --- the Z3 slices refuse Jobs --------------------------------------------------------------------


def test_the_smt_slices_refuse_scenarios_with_jobs() -> None:
    with pytest.raises(SliceError, match="the scenario has Jobs \\(job migrate\\)"):
        slice_of(python_model(load(BACKOFF), []))


def test_a_job_without_a_workloads_entry_is_named_in_the_warnings(tmp_path: Path) -> None:
    # its containers are assumed never to exit: every report says so, with the entry to add
    with_entry = load(write(tmp_path, "", "{runFor: 10s}"))
    assert not any("never exit" in w for w in with_entry.warnings)
    bare = tmp_path / "bare.yaml"
    bare.write_text("apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n" + TEMPLATE.format(policy="Never"))
    (warning,) = [w for w in load(bare).warnings if "never exit" in w]
    assert "job/pi" in warning and "workloads" in warning


# --- Jobs outside the default namespace ----------------------------------------------------------


def _jobs(tmp_path: Path, key: str, namespaces: tuple[str, ...]) -> Path:
    jobs = "".join(
        f"---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: pi, namespace: {ns}}}\nspec:\n"
        + TEMPLATE.format(policy="Never")
        for ns in namespaces
    )
    path = tmp_path / "jobs.yaml"
    path.write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {name: jobs}\nuntil: 2m\n"
        f"workloads:\n  {key}: {{runFor: 10s}}\n---\napiVersion: v1\nkind: Node\nmetadata: {{name: n1}}\n" + jobs
    )
    return path


def _finishing(scen: object) -> set[str]:
    return {j.name for j in scen.initial_state().jobs if j.behaviour is not None}  # type: ignore[attr-defined]


def test_a_workloads_entry_names_a_job_by_namespace_and_name(tmp_path: Path) -> None:
    # job/NAME is the Job of that name in default; job/NAMESPACE/NAME one elsewhere
    assert _finishing(load(_jobs(tmp_path, "job/pi", ("default", "batch")))) == {"pi"}
    assert _finishing(load(_jobs(tmp_path, "job/batch/pi", ("default", "batch")))) == {"batch/pi"}
    # job/NAME alone also names the only Job of that name, whatever its namespace
    assert _finishing(load(_jobs(tmp_path, "job/pi", ("batch",)))) == {"batch/pi"}
    # the Job left without an entry is named with the key to add
    scen = load(_jobs(tmp_path, "job/pi", ("default", "batch")))
    (warning,) = [w for w in scen.warnings if "never exit" in w]
    assert "job/batch/pi" in warning


def test_a_workloads_entry_naming_jobs_in_two_namespaces_is_ambiguous(tmp_path: Path) -> None:
    with pytest.raises(KmodelError, match=r"job/pi is ambiguous: batch/pi, other/pi .*job/batch/pi, job/other/pi"):
        load(_jobs(tmp_path, "job/pi", ("batch", "other")))
