"""Container probes, translated from pkg/kubelet/prober (worker_test.go, prober_manager_test.go),
the CrashLoopBackOff of pkg/kubelet/kuberuntime with client-go's flowcontrol.Backoff, and the
e2e tests of test/e2e/common/node/container_probe.go run as kmodel simulations.

The Go worker tests call ``doProbe`` once per probe with a fake prober that answers Success or
Failure. Here a probe's answer is a world fact (``prober.set_answer``, what the ``fail-probe`` /
``pass-probe`` timeline verbs set), each ``doProbe`` is the probe at ``k * periodSeconds`` after
the container started (the answer is set half a period before it), and the worker's result is
what the kubelet reports: readiness as the pod's ready flag, a liveness or startup Failure as the
container killed (``probe.exited``), a startup Success as ``probe.startup_done``.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel.components import kubelet, prober
from kmodel.engines.simulate import simulate
from kmodel.probespec import LIVENESS, READINESS, STARTUP, Probe, ProbeSpec
from kmodel.scenario import load
from kmodel.state import RUNNING, Cluster, Pod
from tests.k8s.conftest import mkcluster, mknode, pod_of

PERIOD = 10


def started(**probes: Probe) -> Pod:
    """The Go tests' pod: one container, running since t=0 (the kubelet just started it)."""
    pod = Pod(name="test_pod", node_name="node", phase=RUNNING, probes=ProbeSpec(**probes))
    return prober.start(pod, 0)


def probe_at(k: int) -> int:
    return k * PERIOD


def do_probes(pod: Pod, kind: str, answers: list[bool], first: int = 0) -> tuple[Pod, list[Pod]]:
    """Run probes number ``first``, ``first + 1``, ... with the given answers (True: success);
    returns the pod after each."""
    seen = []
    for i, ok in enumerate(answers):
        t = probe_at(first + i)
        pod = prober.set_answer(pod, kind, not ok, t - PERIOD // 2) or pod
        pod, _, _ = prober.sync(pod, t)
        seen.append(pod)
    return pod, seen


def killed(pod: Pod) -> bool:
    return pod.probe is not None and pod.probe.exited is not None


# --- worker_test.go ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [LIVENESS, READINESS, STARTUP])
def test_initial_delay(kind: str) -> None:
    """worker_test.go TestInitialDelay: during the initial delay (10 s) a probe gives no result:
    liveness keeps its initial Success (nothing is killed), readiness its initial Failure (not
    ready), startup its initial Unknown (not started, so not ready); after it, Success."""
    spec = Probe(initial_delay=10)
    pod = started(**{kind: spec})
    pod = prober.set_answer(pod, kind, True, 0) or pod  # every probe fails during the delay
    during, _, _ = prober.sync(pod, 5)
    assert not killed(during)
    assert during.ready is (kind == LIVENESS)  # no readiness probe: ready once started
    if kind == STARTUP:
        assert during.probe is not None and during.probe.startup_done is None
    later = prober.set_answer(during, kind, False, 6) or during
    after, _, _ = prober.sync(later, 100)
    assert not killed(after) and after.ready


def test_failure_threshold() -> None:
    """worker_test.go TestFailureThreshold (readiness, successThreshold 1, failureThreshold 3),
    twice: 3 successes are Success; the next 2 failures still Success; the third and following
    failures Failure; and back."""
    pod = started(readiness=Probe(success_threshold=1, failure_threshold=3))
    k = 0
    for _ in range(2):
        pod, seen = do_probes(pod, READINESS, [True] * 3, k)
        assert [p.ready for p in seen] == [True] * 3
        pod, seen = do_probes(pod, READINESS, [False] * 2, k + 3)
        assert [p.ready for p in seen] == [True] * 2
        pod, seen = do_probes(pod, READINESS, [False] * 3, k + 5)
        assert [p.ready for p in seen] == [False] * 3
        k += 8


def test_success_threshold() -> None:
    """worker_test.go TestSuccessThreshold (readiness, successThreshold 3, failureThreshold 1),
    twice: from Failure, 2 successes stay Failure, the third and following are Success; one
    failure is Failure at once."""
    pod = started(readiness=Probe(success_threshold=3, failure_threshold=1))
    k = 0
    for _ in range(2):
        pod, seen = do_probes(pod, READINESS, [True] * 2, k)
        assert [p.ready for p in seen] == [False] * 2
        pod, seen = do_probes(pod, READINESS, [True] * 3, k + 2)
        assert [p.ready for p in seen] == [True] * 3
        pod, seen = do_probes(pod, READINESS, [False], k + 5)
        assert not seen[0].ready
        k += 6


def test_startup_probe_success_threshold() -> None:
    """worker_test.go TestStartupProbeSuccessThreshold (successThreshold 1): one success and the
    container has started (the worker then holds: later answers change nothing)."""
    pod = started(startup=Probe(success_threshold=1, failure_threshold=3))
    pod, seen = do_probes(pod, STARTUP, [True])
    assert pod.probe is not None and pod.probe.startup_done == probe_at(0) and pod.ready
    pod, seen = do_probes(pod, STARTUP, [False] * 5, 1)
    assert all(p.ready and not killed(p) for p in seen)


@pytest.mark.parametrize("go_test", ["TestStartupProbeFailureThreshold", "TestResultRunOnStartupCheckFailure"])
def test_startup_probe_failure_threshold(go_test: str) -> None:
    """worker_test.go TestStartupProbeFailureThreshold and TestResultRunOnStartupCheckFailure
    (failureThreshold 3): the first two failures leave the result Unknown (not started, not
    killed), the third is Failure: the container is killed."""
    pod = started(startup=Probe(success_threshold=1, failure_threshold=3))
    pod, seen = do_probes(pod, STARTUP, [False] * 3)
    assert [killed(p) for p in seen] == [False, False, True]
    assert not any(p.ready for p in seen)
    assert seen[0].probe is not None and seen[0].probe.startup_done is None


def test_result_run_on_liveness_check_failure() -> None:
    """worker_test.go TestResultRunOnLivenessCheckFailure (failureThreshold 3): a success, then
    two failures leave the result Success (nothing killed); the third failure is Failure."""
    pod = started(liveness=Probe(success_threshold=1, failure_threshold=3))
    pod, seen = do_probes(pod, LIVENESS, [True, False, False, False])
    assert [killed(p) for p in seen] == [False, False, False, True]


@pytest.mark.parametrize("kind", [LIVENESS, STARTUP])
def test_on_hold_on_liveness_or_startup_check_failure(kind: str) -> None:
    """worker_test.go TestOnHoldOnLivenessOrStartupCheckFailure (failureThreshold 1): the first
    failure is Failure and the worker holds: a success while on hold changes nothing (the
    container is down); the new container lifts the hold and its probe succeeds."""
    pod = started(**{kind: Probe(success_threshold=1, failure_threshold=1)})
    pod, _ = do_probes(pod, kind, [False])
    assert killed(pod) and not pod.ready
    pod = prober.set_answer(pod, kind, False, 1) or pod  # the probe would succeed now
    assert killed(pod)  # still down: nothing probes it
    # the kubelet starts a new container (the first restart waits for no backoff) ...
    restarted, _, _ = prober.sync(pod, 2)
    assert not killed(restarted) and restarted.restarts == 1
    # ... and its first probe succeeds
    assert restarted.probe is not None and restarted.probe.started == 2
    after, _, _ = prober.sync(restarted, 2 + PERIOD)
    assert not killed(after) and after.ready and after.restarts == 1


def test_liveness_probe_disabled_by_started() -> None:
    """worker_test.go TestLivenessProbeDisabledByStarted: a failing liveness probe
    (failureThreshold 1) gives no Failure before the container has started (its startup probe
    succeeded); once started, the next failure is Failure."""
    pod = started(liveness=Probe(failure_threshold=1), startup=Probe(failure_threshold=10))
    pod = prober.set_answer(pod, STARTUP, True, 0) or pod
    pod = prober.set_answer(pod, LIVENESS, True, 0) or pod
    pod, _, _ = prober.sync(pod, probe_at(1))
    assert not killed(pod) and pod.probe is not None and pod.probe.startup_done is None
    pod = prober.set_answer(pod, STARTUP, False, probe_at(1) + 1) or pod
    # the startup probe succeeds at the next probe; the liveness probe runs then too, fails, and
    # failureThreshold is 1: the container is killed
    pod, _, _ = prober.sync(pod, probe_at(2))
    assert killed(pod)


def test_startup_probe_disabled_by_started() -> None:
    """worker_test.go TestStartupProbeDisabledByStarted (failureThreshold 2): a failure
    (Unknown), then a success (Success: started); once started, failures change nothing."""
    pod = started(startup=Probe(failure_threshold=2))
    pod, seen = do_probes(pod, STARTUP, [False, True, False, False, False])
    assert [p.probe.startup_done is not None for p in seen if p.probe] == [False] + [True] * 4
    assert not any(killed(p) for p in seen)


def test_do_probe_deleted_pod_is_not_killed() -> None:
    """worker_test.go TestDoProbe, the case "setDeletionTimestamp": once the pod is being
    deleted the liveness and startup workers stop (their result is set to Success): a failing
    liveness probe no longer kills the container. Here the kubelet stops the pod's containers
    and does not probe it."""
    c = _one_pod_cluster(liveness=Probe(failure_threshold=1))
    p = pod_of(c, "test_pod")
    p = prober.set_answer(p, LIVENESS, True, 0) or p
    c = c.with_pod(attrs.evolve(p, deletion_timestamp=0))
    c = attrs.evolve(c, now=probe_at(1))
    outs = kubelet.step(c, "node")
    after = outs[0].state
    assert after.pod("test_pod") is not None and after.pod("test_pod").restarts == 0  # type: ignore[union-attr]
    assert not any(e.reason == "Killing" and "liveness" in e.message for e in outs[0].events)


def test_do_probe_failed_pod_is_not_probed() -> None:
    """worker_test.go TestDoProbe, the case "Pod failed": the worker stops (no result); the
    kubelet does not sync a finished pod."""
    c = _one_pod_cluster(liveness=Probe(failure_threshold=1))
    p = pod_of(c, "test_pod")
    p = prober.set_answer(attrs.evolve(p, phase="Failed"), LIVENESS, True, 0) or p
    c = attrs.evolve(c.with_pod(p), now=probe_at(1))
    assert pod_of(after_sync(c), "test_pod").restarts == 0


# --- prober_manager_test.go ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "probes", "answers", "ready"),
    [
        ("unprobed_container", {}, {}, True),
        ("probed_container_ready", {READINESS: Probe()}, {READINESS: True}, True),
        ("probed_container_pending", {READINESS: Probe(initial_delay=60)}, {READINESS: True}, False),
        ("probed_container_unready", {READINESS: Probe(failure_threshold=1)}, {READINESS: False}, False),
        ("not_started_container_no_readiness", {STARTUP: Probe(initial_delay=60)}, {STARTUP: True}, False),
        ("started_container_no_readiness", {STARTUP: Probe()}, {STARTUP: True}, True),
    ],
)
def test_update_pod_status(name: str, probes: dict[str, Probe], answers: dict[str, bool], ready: bool) -> None:
    """prober_manager_test.go TestUpdatePodStatus, one container per case: an unprobed
    container is ready; a readiness probe that succeeded is ready; one with no result yet
    (pending) or a Failure is not; with only a startup probe, ready once it succeeded. (The
    "terminated_container" case has no counterpart: kmodel's containers do not exit.)"""
    pod = Pod(name=name, node_name="node", phase=RUNNING, probes=ProbeSpec(**probes) if probes else None)
    if probes:
        pod = prober.start(pod, 0)
        for kind, ok in answers.items():
            pod = prober.set_answer(pod, kind, not ok, 0) or pod
        pod, _, _ = prober.sync(pod, 5)
        assert pod.ready is ready
    else:
        c = mkcluster(mknode("node"), pods=[attrs.evolve(pod, phase="Pending")])
        assert pod_of(kubelet.step(c, "node")[0].state, name).ready is ready


# --- CrashLoopBackOff (kuberuntime doBackOff, flowcontrol.Backoff) ------------------------------------


def restart_waits(kills: int, run_for: int = 20) -> list[int]:
    """Kill the container ``run_for`` s after each start (a liveness probe with failureThreshold
    1 and initialDelaySeconds ``run_for`` that always fails), syncing every 5 s as kmodel's
    kubelet does; returns how long each killed container waited for its restart."""
    pod = started(liveness=Probe(failure_threshold=1, initial_delay=run_for))
    pod = prober.set_answer(pod, LIVENESS, True, 0) or pod
    waits = []
    t = 0
    killed_at = None
    while len(waits) < kills:
        t += 5
        before = pod
        pod, _, _ = prober.sync(pod, t)
        if killed(pod) and not killed(before):
            killed_at = t
        if pod.restarts != before.restarts:
            assert killed_at is not None
            waits.append(t - killed_at)
    return waits


def test_crash_loop_backoff_doubles_to_five_minutes() -> None:
    """kuberuntime_manager.go doBackOff with flowcontrol.Backoff(initialCrashLoopBackOff 10 s,
    MaxCrashLoopBackOff 300 s): the first restart is not delayed (no entry yet: kmodel's kubelet
    starts it at its next sync, 5 s later); after that the container waits the entry's delay
    from when it exited, 10, 20, 40, 80, 160, then 300 s."""
    assert restart_waits(9) == [5, 10, 20, 40, 80, 160, 300, 300, 300]


def test_crash_loop_backoff_resets_after_ten_minutes() -> None:
    """flowcontrol.Backoff hasExpired: an entry last updated more than 2 x 300 s before the
    container exited has expired; the next restart is immediate and the delay starts again at
    10 s."""
    pod = started(liveness=Probe(failure_threshold=1))
    pod = prober.set_answer(pod, LIVENESS, True, 0) or pod
    pod, _, _ = prober.sync(pod, 10)  # killed; first restart at once
    pod = prober.set_answer(pod, LIVENESS, False, 12) or pod  # healthy for a long time
    pod, _, _ = prober.sync(pod, 15)
    assert pod.probe is not None and pod.probe.backoff == prober.INITIAL_BACKOFF and pod.restarts == 1
    pod, _, _ = prober.sync(pod, 700)
    pod = prober.set_answer(pod, LIVENESS, True, 701) or pod
    pod, _, _ = prober.sync(pod, 715)  # killed 700 s after the entry's last update
    assert killed(pod) and prober.backoff_wait(pod.probe) == 0  # type: ignore[arg-type]
    pod = prober.set_answer(pod, LIVENESS, False, 716) or pod
    pod, _, _ = prober.sync(pod, 720)
    assert not killed(pod) and pod.restarts == 2 and pod.probe is not None
    assert pod.probe.backoff == prober.INITIAL_BACKOFF


# --- test/e2e/common/node/container_probe.go as simulations ------------------------------------------

SCENARIO = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {{name: probe-e2e}}
until: {until}
timeline: [{timeline}]
---
apiVersion: v1
kind: Node
metadata: {{name: node-1}}
---
apiVersion: v1
kind: Pod
metadata: {{name: probed, labels: {{app: probed}}}}
spec:
  containers:
    - name: app
      image: busybox
{probes}"""


def run(tmp_path: Path, probes: str, timeline: str = "", until: str = "5m") -> list[tuple[int, Pod]]:
    """Simulate one probed pod on one node; returns (time, pod) at the end of every tick."""
    path = tmp_path / "probe.yaml"
    path.write_text(SCENARIO.format(until=until, timeline=timeline, probes=probes))
    seen: list[tuple[int, Pod]] = []

    def record(c: Cluster) -> None:
        p = c.pod("probed")
        if p is not None:
            seen.append((c.now, p))

    simulate(load(path), on_tick=record)
    return seen


def first(seen: list[tuple[int, Pod]], pred: object) -> int | None:
    return next((t for t, p in seen if pred(p)), None)  # type: ignore[operator]


def started_at(seen: list[tuple[int, Pod]]) -> int:
    t = first(seen, lambda p: p.phase == RUNNING)
    assert t is not None
    return t


def test_e2e_readiness_not_ready_before_initial_delay_and_never_restart(tmp_path: Path) -> None:
    """container_probe.go "with readiness probe should not be ready before initial delay and
    never restart": readiness probe with initialDelaySeconds 15 (probeTestInitialDelaySeconds):
    the pod becomes ready, not before 15 s after the container started, and never restarts."""
    seen = run(
        tmp_path, "      readinessProbe:\n        httpGet: {path: /, port: 80}\n        initialDelaySeconds: 15\n"
    )
    start = started_at(seen)
    ready = first(seen, lambda p: p.ready)
    assert ready is not None and ready - start >= 15
    assert ready - start <= 15 + 5  # the first probe after the delay, on kmodel's 5 s tick
    assert all(p.restarts == 0 for _, p in seen)


def test_e2e_readiness_that_fails_never_ready_never_restart(tmp_path: Path) -> None:
    """container_probe.go "with readiness probe that fails should never be ready and never
    restart" (runReadinessFailTest over a minute): a readiness probe that always fails."""
    seen = run(
        tmp_path,
        "      readinessProbe:\n        exec: {command: [/bin/false]}\n        initialDelaySeconds: 15\n",
        timeline="'0s fail-probe readiness pod/probed'",
        until="2m",
    )
    assert not any(p.ready for _, p in seen)
    assert all(p.restarts == 0 for _, p in seen)


def test_e2e_restarted_with_exec_liveness_probe(tmp_path: Path) -> None:
    """container_probe.go "should be restarted with a exec "cat /tmp/health" liveness probe":
    the probe (initialDelaySeconds 15, failureThreshold 1) fails 10 s after the container
    starts; RunLivenessTest expects the restart count to reach 1 within 4 minutes (and to stay
    there for the e2e's single restart: the file never comes back here, so it keeps failing)."""
    seen = run(
        tmp_path,
        "      livenessProbe:\n        exec: {command: [cat, /tmp/health]}\n"
        "        initialDelaySeconds: 15\n        failureThreshold: 1\n",
        timeline="'15s fail-probe liveness pod/probed'",
        until="4m",
    )
    restarted = first(seen, lambda p: p.restarts >= 1)
    assert restarted is not None and restarted <= 4 * 60


def test_e2e_not_restarted_with_passing_liveness_probe(tmp_path: Path) -> None:
    """container_probe.go "should *not* be restarted with a exec "cat /tmp/health" liveness
    probe": a probe that keeps succeeding never restarts the container (4 minutes)."""
    seen = run(
        tmp_path,
        "      livenessProbe:\n        exec: {command: [cat, /tmp/health]}\n"
        "        initialDelaySeconds: 15\n        failureThreshold: 1\n",
        until="4m",
    )
    assert all(p.restarts == 0 for _, p in seen) and seen[-1][1].ready


def test_e2e_monotonically_increasing_restart_count(tmp_path: Path) -> None:
    """container_probe.go "should have monotonically increasing restart count" (liveness,
    initialDelaySeconds 5, failureThreshold 1, failing 10 s after each start): RunLivenessTest
    with 5 restarts within 2 min + 4 min + 4 x 2 min: the restart count never decreases and
    reaches 5."""
    seen = run(
        tmp_path,
        "      livenessProbe:\n        httpGet: {path: /healthz, port: 8080}\n"
        "        initialDelaySeconds: 5\n        failureThreshold: 1\n",
        timeline="'10s fail-probe liveness pod/probed'",
        until="14m",
    )
    counts = [p.restarts for _, p in seen]
    assert counts == sorted(counts)
    five = first(seen, lambda p: p.restarts >= 5)
    assert five is not None and five <= 2 * 60 + 4 * 60 + 4 * 2 * 60


def test_e2e_restarted_when_startup_probe_fails(tmp_path: Path) -> None:
    """container_probe.go "should be restarted startup probe fails": startup probe /bin/false
    (initialDelaySeconds 15, failureThreshold 3), liveness /bin/true: restart count 1 within
    4 minutes though liveness would succeed."""
    seen = run(
        tmp_path,
        "      livenessProbe:\n        exec: {command: [/bin/true]}\n        initialDelaySeconds: 15\n"
        "        failureThreshold: 1\n"
        "      startupProbe:\n        exec: {command: [/bin/false]}\n        initialDelaySeconds: 15\n"
        "        failureThreshold: 3\n",
        timeline="'0s fail-probe startup pod/probed'",
        until="4m",
    )
    restarted = first(seen, lambda p: p.restarts >= 1)
    start = started_at(seen)
    # three failures: at 15, 25 and 35 s after the start
    assert restarted is not None and start + 35 <= restarted <= start + 35 + 5


def test_e2e_liveness_delayed_by_startup_probe(tmp_path: Path) -> None:
    """container_probe.go "should *not* be restarted by liveness probe because startup probe
    delays it": liveness and startup both fail, startup with failureThreshold 60 (10 minutes):
    no restart within 4 minutes, and the pod is never ready."""
    seen = run(
        tmp_path,
        "      livenessProbe:\n        exec: {command: [/bin/false]}\n        initialDelaySeconds: 15\n"
        "        failureThreshold: 1\n"
        "      startupProbe:\n        exec: {command: [/bin/false]}\n        initialDelaySeconds: 15\n"
        "        failureThreshold: 60\n",
        timeline="'0s fail-probe startup pod/probed', '0s fail-probe liveness pod/probed'",
        until="4m",
    )
    assert all(p.restarts == 0 and not p.ready for _, p in seen)


def test_e2e_liveness_after_startup_enables_it(tmp_path: Path) -> None:
    """container_probe.go "should be restarted by liveness probe after startup probe enables
    it": the startup probe succeeds 10 s after the start (cat /tmp/startup), then the failing
    liveness probe (failureThreshold 1) restarts the container: restart count 1."""
    seen = run(
        tmp_path,
        "      livenessProbe:\n        exec: {command: [/bin/false]}\n        initialDelaySeconds: 15\n"
        "        failureThreshold: 1\n"
        "      startupProbe:\n        exec: {command: [cat, /tmp/startup]}\n        initialDelaySeconds: 15\n"
        "        failureThreshold: 60\n",
        timeline="'0s fail-probe startup pod/probed', '0s fail-probe liveness pod/probed', "
        "'10s pass-probe startup pod/probed'",
        until="4m",
    )
    restarted = first(seen, lambda p: p.restarts >= 1)
    assert restarted is not None and restarted <= 4 * 60


def test_e2e_ready_immediately_after_startup_probe_succeeds(tmp_path: Path) -> None:
    """container_probe.go "should be ready immediately after startupProbe succeeds": readiness
    (period 30) passes from the start, the startup probe (period 5, failureThreshold 120)
    succeeds once /tmp/startup exists (32 s after the start); the pod must be ready at most 25 s
    after the startup probe succeeded (the readiness probe is triggered at once)."""
    seen = run(
        tmp_path,
        "      readinessProbe:\n        exec: {command: [/bin/cat, /tmp/health]}\n        periodSeconds: 30\n"
        "      startupProbe:\n        exec: {command: [/bin/cat, /tmp/startup]}\n        periodSeconds: 5\n"
        "        failureThreshold: 120\n",
        timeline="'0s fail-probe startup pod/probed', '37s pass-probe startup pod/probed'",
        until="3m",
    )
    started_up = first(seen, lambda p: p.probe is not None and p.probe.startup_done is not None)
    ready = first(seen, lambda p: p.ready)
    assert started_up is not None and ready is not None
    assert 0 <= ready - started_up <= 25
    # the trigger runs the readiness probe at once (the next readiness period would be 20 s on)
    assert ready == started_up


def after_sync(c: Cluster) -> Cluster:
    outs = kubelet.step(c, "node")
    return outs[0].state if outs else c


def _one_pod_cluster(**probes: Probe) -> Cluster:
    pod = started(**probes)
    node = attrs.evolve(mknode("node"), running=frozenset({"test_pod"}))
    return mkcluster(node, pods=[pod])


def test_sandbox_recreated_during_back_off_keeps_waiting() -> None:
    """kuberuntime_manager.go SyncPod: a new sandbox (SandboxChanged) starts the pod's containers
    through doBackOff too, so a container waiting out a back-off keeps waiting."""
    pod = started(liveness=Probe(failure_threshold=1))
    pod = prober.set_answer(pod, LIVENESS, True, 0) or pod
    assert pod.probe is not None
    pod = attrs.evolve(pod, restarts=2, probe=attrs.evolve(pod.probe, exited=100, backoff=20, backoff_updated=80))
    c = attrs.evolve(mkcluster(mknode("node"), pods=[pod]), now=105)  # the sandbox is gone
    c = after_sync(c)
    p = pod_of(c, "test_pod")
    assert "test_pod" in c.node("node").running  # type: ignore[union-attr]
    assert prober.crash_looping(p) and p.restarts == 2
    p = prober.set_answer(p, LIVENESS, False, 110) or p
    c = after_sync(attrs.evolve(c.with_pod(p), now=120))  # 20 s after the container exited
    p = pod_of(c, "test_pod")
    assert not prober.crash_looping(p) and p.restarts == 3


def test_crash_loop_backoff_expiry_is_strictly_more_than_ten_minutes() -> None:
    """flowcontrol.Backoff hasExpired: eventTime - lastUpdate > 2 * maxDuration; at exactly
    600 s the entry still holds (the delay doubles), one second later it has expired."""
    base = started(liveness=Probe(failure_threshold=1))
    assert base.probe is not None
    for gap, wait, after in ((600, 20, 40), (601, 0, prober.INITIAL_BACKOFF)):
        rt = attrs.evolve(base.probe, exited=1000, backoff=20, backoff_updated=1000 - gap)
        assert prober.backoff_wait(rt) == wait
        pod, _, _ = prober.sync(attrs.evolve(base, probe=rt), 1000 + wait)
        assert pod.probe is not None and pod.probe.backoff == after and not killed(pod)
