"""Rollouts in the Z3 workload slice (:mod:`kmodel.smt.workload`, :mod:`kmodel.smt.deploymentsync`).

A timeline ``apply`` that changes a settled Deployment's template starts a rolling update: the
Deployment controller creates the new ReplicaSet and moves replicas to it (rolling.go's order,
as kmodel.components.deployment follows it), the ReplicaSet controller creates and deletes pods
(ranking the old ones by the pods of both ReplicaSets on their node), and the Deployment's status
and conditions follow.

1. Agreement: on states of random runs of :class:`WorkloadModel` on rollout scenarios, every
   named action's successors in Z3 are exactly the Python ones (tests/data/props-rollout*.yaml:
   one or two workers, maxUnavailable 0 or 1; rollout-fix-pending.yaml: old pods that never
   start, so the controller first drops the unavailable old replicas; props-rollout-stuck.yaml:
   new pods that never schedule, so the progress deadline runs out; rollout-small.yaml: the
   rollout is a ``kubectl set image``).
2. Sharpness: encodings with one piece of the algorithm left out (the early end of the sync
   after the new ReplicaSet grows, cleanupUnhealthyReplicas, the old and new ReplicaSets' pods
   counted together in the deletion ranking) each disagree, at the step where they are wrong;
   the broken Python controllers that ignore maxSurge or maxUnavailable disagree with the real
   encoding and agree with its options ``deployment_ignoring_surge`` /
   ``deployment_ignoring_unavailable``.
3. Scope: what is not encoded of rollouts is refused in one line naming it.
4. Bounded model checking on props-rollout agrees with the explorer: the broken controllers
   (ignoring maxSurge: no-over-replication; ignoring maxUnavailable:
   rollout-respects-max-unavailable) are found at the explorer's depth; the real one holds;
   ``prove no-over-replication`` proves it.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.checkmodel import CheckState, KubeModel
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.properties import to_property
from kmodel.scenario import Scenario, load
from kmodel.smt import bmc, deploymentsync
from kmodel.smt.nodehealth import SliceError
from kmodel.smt.wlinduction import prove_workload
from kmodel.smt.workload import WorkloadModel, WorkloadSlice, dk, rk
from tests import broken
from tests.conftest import DATA
from tests.test_smt_workload import Case, _inside, _step

# config -> (scenario, fault budget, pod slots)
CONFIGS: dict[str, tuple[Path, tuple[tuple[str, int], ...], int]] = {
    "one-worker": (DATA / "props-rollout.yaml", (("killPod", 1), ("deletePod", 1), ("stopComponent", 1)), 3),
    "two-workers": (DATA / "props-rollout-two-workers.yaml", (("powerOffNode", 1), ("killPod", 1)), 4),
    "unavailable": (DATA / "props-rollout-unavailable.yaml", (("stopKubelet", 1), ("deletePod", 1)), 4),
    "fix-pending": (DATA / "rollout-fix-pending.yaml", (), 4),
    "stuck": (DATA / "props-rollout-stuck.yaml", (("killPod", 1),), 3),
    "set-image": (DATA / "rollout-small.yaml", (("killPod", 1),), 3),
}
WATCHED = ("user", "deployment", "replicaset", "scheduler")


@cache
def case(config: str) -> Case:
    path, faults, slots = CONFIGS[config]
    return Case(WorkloadSlice(WorkloadModel(load(path), faults=faults), pod_slots=slots))


def _walk(c: Case, pick: Callable[[int, int], int], steps: int, forms: tuple[str, ...]) -> tuple[str | None, int]:
    """One walk, checked where the rollout's components can act and every eighth state: the
    first disagreement (None: none) and how many states were checked."""
    state: CheckState | None = c.slice.init_state
    checked = 0
    for i in range(steps + 1):
        assert state is not None
        if any(t.actor in WATCHED for t in c.model.transitions(state)) or i % 8 == 0:
            problems = c.problems(state, forms)
            if problems is None:
                break
            checked += 1
            if problems:
                return f"step {i} (t={state.cluster.now}s): {problems[0]}", checked
        state = _step(c.model, state, pick)
        if state is None or not _inside(c.slice, state):
            break
    return None, checked


def _agree(data: st.DataObject, steps_max: int) -> None:
    config = data.draw(st.sampled_from(sorted(CONFIGS)), label="config")
    steps = data.draw(st.integers(20, steps_max), label="steps")
    found, checked = _walk(case(config), lambda lo, hi: data.draw(st.integers(lo, hi)), steps, ("actions", "compact"))
    assert found is None, f"{config}: {found}"
    assert checked > 0


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_rollout_encoding_agrees_with_the_python_model(data: st.DataObject) -> None:
    _agree(data, steps_max=70)


@pytest.mark.thorough
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_rollout_encoding_agrees_thorough(data: st.DataObject) -> None:
    _agree(data, steps_max=300)


def test_the_walks_go_through_the_rollout() -> None:
    """What the agreement test relies on: within 90 steps a walk without faults applies the new
    template, the controller creates the new ReplicaSet and (unless the new pods cannot
    schedule) scales the old one down to 0."""
    for config in CONFIGS:
        c = case(config)
        state = c.slice.init_state
        labels = []
        rng = random.Random(0)
        for _ in range(90):
            ts = [t for t in c.model.transitions(state) if not t.fault]
            labels += [t.label for t in ts if t.actor == "deployment"]
            state = rng.choice(ts).state
        ro = c.slice.rollouts["web"]
        text = " | ".join(labels)
        assert f"create replicaset {ro.new.name}" in text, (config, text)
        if config != "stuck":
            assert f"scale {ro.old} 1 -> 0" in text, (config, text)


def test_the_workload_model_is_the_whole_model_on_a_rollout() -> None:
    """Pod GC and the garbage collector, off in the workload slice, never act during these
    rollouts either (the old ReplicaSet stays: revisionHistoryLimit 10): every state of random
    runs has exactly the successors the full checker model gives."""
    for config in ("two-workers", "stuck"):
        path, faults, _ = CONFIGS[config]
        scen = load(path)
        full, sliced = KubeModel(scen, faults=faults), WorkloadModel(scen, faults=faults)
        start = next(iter(full.init_states()))
        assert start == next(iter(sliced.init_states()))
        rng = random.Random(3)
        state = start
        for _ in range(150):
            ts = list(full.transitions(state))
            assert {(t.actor, t.label, t.state) for t in ts} == {
                (t.actor, t.label, t.state) for t in sliced.transitions(state)
            }, f"{config} at t={state.cluster.now}s"
            if not ts:
                break
            state = rng.choice(ts).state
        assert len(state.cluster.replicasets) == 2, config  # the run went into the rollout


# --- sharpness -------------------------------------------------------------------------------------


def _mutated(old: str, new: str) -> Callable[..., Any]:
    """``deploymentsync.rolling_sync`` with one line changed."""
    src = inspect.getsource(deploymentsync.rolling_sync)
    assert old in src
    namespace = dict(vars(deploymentsync))
    exec(src.replace(old, new), namespace)  # the module's own source, one line edited
    return namespace["rolling_sync"]  # type: ignore[no-any-return]


def _mutated_status(old: str, new: str) -> Callable[..., Any]:
    """``deploymentsync.rollout_status`` with one line changed."""
    src = inspect.getsource(deploymentsync.rollout_status)
    assert old in src
    namespace = dict(vars(deploymentsync))
    exec(src.replace(old, new), namespace)  # the module's own source, one line edited
    return namespace["rollout_status"]  # type: ignore[no-any-return]


def _first_disagreement(sl: WorkloadSlice, walks: int = 3, steps: int = 120) -> str | None:
    c = Case(sl)
    for seed in range(walks):
        found, _ = _walk(c, random.Random(seed).randint, steps, ("actions",))
        if found is not None:
            return found
    return None


@pytest.mark.parametrize(
    ("config", "old", "new", "rs"),
    [
        # rolling.go returns after reconcileNewReplicaSet scales: without that the old
        # ReplicaSet goes down in the same sync
        ("unavailable", "go = AND(NOT(grows), old.replicas > 0", "go = AND(old.replicas > 0", "dpx9fd4v8q"),
        # cleanupUnhealthyReplicas drops the old pods that never start
        ("fix-pending", "cleaned = IF(AND(go, unhealthy > 0)", "cleaned = IF(AND(go, unhealthy > 0, False)", "ckzm"),
    ],
)
def test_a_rolling_update_missing_a_step_disagrees(
    monkeypatch: pytest.MonkeyPatch, config: str, old: str, new: str, rs: str
) -> None:
    path, _, slots = CONFIGS[config]
    monkeypatch.setattr(deploymentsync, "rolling_sync", _mutated(old, new))
    found = _first_disagreement(WorkloadSlice(WorkloadModel(load(path), faults=()), pod_slots=slots))
    assert found is not None and "[actions] deployment" in found and f"rs/web-{rs}" in found, found


def test_a_progress_deadline_off_by_one_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    # DeploymentTimedOut: lastUpdateTime + progressDeadlineSeconds < now, not <=
    old = "d1.progress_time + spec.deadline < now"
    monkeypatch.setattr(deploymentsync, "rollout_status", _mutated_status(old, old.replace("<", "<=")))
    path, _, slots = CONFIGS["stuck"]
    found = _first_disagreement(WorkloadSlice(WorkloadModel(load(path), faults=()), pod_slots=slots), walks=1)
    # at t=55s (lastUpdateTime 35s + 20s) the model's controller has nothing to do, the mutant times out
    assert found is not None and "(t=55s): [actions] deployment: Z3 admits 1 successor(s), Python none" in found, found


def test_a_deletion_ranking_of_one_replicaset_alone_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    # two workers, one old pod on each: the first new pod lands on either (a tie), and the old
    # pod then deleted is the one sharing its node
    real = WorkloadSlice._victims

    def alone(self: WorkloadSlice, c: Any, rs: Any, active: Any, surplus: Any, related: Any) -> Any:
        return real(self, c, rs, active, surplus, {p: active[p] for p in rs.owned})

    monkeypatch.setattr(WorkloadSlice, "_victims", alone)
    path, _, slots = CONFIGS["two-workers"]
    found = _first_disagreement(WorkloadSlice(WorkloadModel(load(path), faults=()), pod_slots=slots), walks=6)
    assert found is not None and "[actions] replicaset" in found and "deleting" in found, found


@pytest.mark.parametrize(
    ("broken_step", "option"),
    [
        (broken.deployment_ignoring_max_surge, "deployment_ignoring_surge"),
        (broken.deployment_ignoring_max_unavailable, "deployment_ignoring_unavailable"),
    ],
    ids=["max-surge", "max-unavailable"],
)
def test_a_broken_deployment_controller_disagrees_unless_the_encoding_is_broken_alike(
    broken_step: Any, option: str
) -> None:
    model = WorkloadModel(load(DATA / "props-rollout.yaml"), faults=(), replace={"deployment": broken_step})
    found = _first_disagreement(WorkloadSlice(model, pod_slots=3))
    assert found is not None and "[actions] deployment" in found, found
    assert _first_disagreement(WorkloadSlice(model, pod_slots=3, **{option: True})) is None


# --- scope -----------------------------------------------------------------------------------------


def _rollout(
    tmp_path: Path,
    events: list[str],
    v2_edit: Callable[[str], str] = lambda t: t,
    base_edit: Callable[[str], str] = lambda t: t,
) -> Scenario:
    """props-rollout with ``events`` as its timeline; v2.yaml is its new template (edited)."""
    (tmp_path / "v2.yaml").write_text(v2_edit((DATA / "props-rollout-v2.yaml").read_text()))
    (tmp_path / "v1.yaml").write_text(
        (DATA / "props-rollout-v2.yaml").read_text().replace("version: v2", "version: v1")
    )
    text = base_edit((DATA / "props-rollout.yaml").read_text())
    head, rest = text.split("timeline: ", 1)
    rest = rest[rest.index("\n") :]
    path = tmp_path / "scenario.yaml"
    path.write_text(head + "timeline: [" + ", ".join(f'"{e}"' for e in events) + "]" + rest)
    return load(path)


def _refusal(scen: Scenario) -> SliceError:
    with pytest.raises(SliceError) as err:
        WorkloadSlice(WorkloadModel(scen, faults=()))
    e = err.value
    assert "\n" not in str(e) and e.fix is not None and "or check with --engine explore" in e.fix
    return e


def test_the_rollout_scenario_of_the_test_is_accepted(tmp_path: Path) -> None:
    sl = WorkloadSlice(WorkloadModel(_rollout(tmp_path, ["30s apply v2.yaml", "60s apply v2.yaml"]), faults=()))
    assert list(sl.rollouts) == ["web"]


@pytest.mark.parametrize(
    ("events", "v2_edit", "base_edit", "words"),
    [
        (
            ["30s apply v2.yaml", "60s apply v1.yaml"],
            None,
            None,
            "changes the template of deployment web a second time (one rollout per Deployment is encoded: "
            "a second one, or a rollback, is not)",
        ),
        (
            ["30s apply v2.yaml", "60s scale deployment/web 3"],
            None,
            None,
            "timeline event '60s scale deployment/web 3' scales deployment web, which the timeline also rolls out "
            "(proportional scaling during a rollout is not encoded)",
        ),
        (
            ["30s apply v2.yaml"],
            lambda t: t.replace("replicas: 2", "replicas: 3"),
            None,
            "the timeline's applies change deployment web, which the timeline also rolls out "
            "(proportional scaling during a rollout is not encoded)",
        ),
        (
            ["30s apply v2.yaml"],
            lambda t: t.replace(
                "type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}", "type: Recreate"
            ),
            None,
            "applies deployment web with the Recreate strategy (not encoded)",
        ),
        (
            ["30s apply v2.yaml"],
            lambda t: t.replace("spec:\n  replicas: 2", "spec:\n  paused: true\n  replicas: 2"),
            None,
            "applies deployment web paused (paused Deployments are not encoded)",
        ),
        (
            ["30s apply v2.yaml"],
            lambda t: t.replace("spec:\n  replicas: 2", "spec:\n  revisionHistoryLimit: 0\n  replicas: 2"),
            None,
            "revisionHistoryLimit 0, which the timeline rolls out (revision history clean-up would delete its "
            "old ReplicaSet: not encoded)",
        ),
        (
            ["30s apply v1.yaml"],
            None,
            None,
            "",
        ),
    ],
)
def test_what_is_not_encoded_of_rollouts_is_refused(
    tmp_path: Path, events: list[str], v2_edit: Any, base_edit: Any, words: str
) -> None:
    scen = _rollout(tmp_path, events, v2_edit or (lambda t: t), base_edit or (lambda t: t))
    if not words:  # applying the settled template again: no rollout
        assert WorkloadSlice(WorkloadModel(scen, faults=())).rollouts == {}
        return
    e = _refusal(scen)
    assert words in e.message, e.message


@pytest.mark.parametrize(
    ("event", "words"),
    [
        ("20s set image deployment/web nope=nginx:2", "is an error for kubectl (not encoded)"),
        ("20s set image deployment/api app=nginx:2", "names no Deployment of the settled state"),
    ],
)
def test_a_set_image_kubectl_would_not_carry_out_is_refused(tmp_path: Path, event: str, words: str) -> None:
    text = (DATA / "rollout-small.yaml").read_text().replace("20s set image deployment/web app=nginx:1.27", event)
    (tmp_path / "s.yaml").write_text(text)
    e = _refusal(load(tmp_path / "s.yaml"))
    assert words in e.message, e.message


def test_a_set_image_to_the_same_image_is_no_rollout(tmp_path: Path) -> None:
    text = (DATA / "rollout-small.yaml").read_text().replace("app=nginx:1.27", "app=nginx:1.26")
    (tmp_path / "s.yaml").write_text(text)
    assert WorkloadSlice(WorkloadModel(load(tmp_path / "s.yaml"), faults=())).rollouts == {}


def test_a_surge_change_without_a_new_template_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v1b.yaml").write_text(
        (DATA / "props-rollout-v2.yaml")
        .read_text()
        .replace("version: v2", "version: v1")
        .replace("maxSurge: 1", "maxSurge: 2")
    )
    e = _refusal(_rollout(tmp_path, ["30s apply v1b.yaml"]))
    assert "changes maxSurge, maxUnavailable, the strategy" in e.message and "without a new template" in e.message


# --- bounded model checking and induction -------------------------------------------------------------


def _explorer(model: WorkloadModel, prop: str, depth: int) -> Any:
    return explore(model, to_property(bmc.PROPERTIES[prop].python, model.scenario.settings), max_depth=depth)


@pytest.mark.parametrize(
    ("broken_step", "option", "prop", "last", "depth"),
    [
        # the apply, then the sync that creates the new ReplicaSet at spec.replicas next to
        # the old one
        (broken.deployment_ignoring_max_surge, "deployment_ignoring_surge", "no-over-replication", "deployment", 2),
        # the apply, the sync that scales the old ReplicaSet to 0 at once, the deletion of its
        # pods (maxUnavailable is 0)
        (
            broken.deployment_ignoring_max_unavailable,
            "deployment_ignoring_unavailable",
            "rollout-respects-max-unavailable",
            "replicaset",
            3,
        ),
    ],
    ids=["max-surge", "max-unavailable"],
)
def test_bmc_finds_the_broken_deployment_controller_at_the_explorers_depth(
    broken_step: Any, option: str, prop: str, last: str, depth: int
) -> None:
    model = WorkloadModel(load(DATA / "props-rollout.yaml"), faults=(), replace={"deployment": broken_step})
    r = bmc.check(WorkloadSlice(model, **{option: True}), prop, max_depth=6)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None and r.trace.steps[-1].actor == last
    e = _explorer(model, prop, 6)
    assert e.verdict == VIOLATED and e.trace is not None
    assert len(r.trace.steps) - 1 == len(e.trace.steps) - 1 == depth


@pytest.mark.parametrize(
    "prop",
    ["no-over-replication", "rollout-respects-max-unavailable", "bound-pods-stay-put", "no-schedule-to-unready-node"],
)
def test_the_real_rollout_holds_up_to_the_depth_in_both_engines(prop: str) -> None:
    model = WorkloadModel(load(DATA / "props-rollout.yaml"), faults=())
    r = bmc.check(WorkloadSlice(model, pod_slots=3), prop, max_depth=6)
    assert r.verdict == HOLDS and r.stats.depth == 6, r.message
    e = _explorer(model, prop, 6)
    assert e.verdict != VIOLATED and e.stats.limit == "max depth 6", e.message


@pytest.mark.thorough  # about a minute on one core
def test_the_real_rollout_holds_into_the_rollout() -> None:
    """16 actions: past the shortest runs to the old ReplicaSet's first scale-down (9 actions)
    and to the new one at spec.replicas (11). The old one reaches 0 at 18 and the shortest run
    that finishes the rollout, its pods gone too, is 26 actions: BMC holds to depth 26 as well,
    in about 15 minutes on a shared core, too long for a test."""
    model = WorkloadModel(load(DATA / "props-rollout.yaml"), faults=())
    r = bmc.check(WorkloadSlice(model, pod_slots=3), "no-over-replication", max_depth=16)
    assert r.verdict == HOLDS and r.stats.depth == 16, r.message


def test_prove_no_over_replication_on_a_rollout() -> None:
    found = prove_workload(DATA / "props-rollout.yaml", "no-over-replication", k=1)
    assert found["verdict"] == "proven", found
    assert found["rollouts"] == ["web"]


def test_without_the_rollout_facts_the_step_meets_a_new_replicaset_before_the_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The facts the domain adds for a rollout are needed: without them the step starts from a
    state where the new ReplicaSet has replicas before the apply, and the sync that scales the
    old one back up breaks the surge bound."""
    from kmodel.smt import wlinduction

    real = wlinduction._domain
    monkeypatch.setattr(wlinduction, "_domain", lambda values, view, sl=None: real(values, view))
    found = prove_workload(DATA / "props-rollout.yaml", "no-over-replication", k=1)
    assert found["verdict"] == "not-inductive", found
    assert "deployment breaks it" in found["cti"] and rk("web-dpx9fd4v8q", "replicas") in found["cti"]
    assert dk("web", "updated") not in found["cti"]  # the flag does not change: the apply is not the step
