"""Timeline ``apply`` of Deployments in the workload slice (:mod:`kmodel.smt.workload`).

1. Agreement: on states of random runs of :class:`kmodel.smt.workload.WorkloadModel`, every named
   action's successors in Z3 are exactly the Python ones, on seed-component-restart (an apply
   refused while the apiserver is down, the same apply once it is back, a Deployment the
   controllers only act on once the controller-manager is started again) and on
   tests/data/apply-two-workers.yaml (a Deployment scaled before it exists, applied mid-run
   while a worker may be powered off, scaled up, then applied again with fewer replicas, in a
   file that also scales an initial Deployment down).
2. Sharpness: an encoding whose apply ignores the apiserver, one whose apply leaves
   spec.replicas alone, one whose scale finds a Deployment not yet applied, and one whose
   Deployment controller acts on such a Deployment each make that check fail, at the step where
   they are wrong.
3. Scope: files with other kinds, a new template (a rollout), and the two combinations the
   properties' encodings cannot follow are refused with a one-line error and its fix.
4. Bounded model checking reaches the apply on apply-two-workers and agrees with the explorer.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.checkmodel import CheckState
from kmodel.components.deployment import new_replicaset_for
from kmodel.engines.base import ALWAYS, HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.properties import PropertyDef, to_property
from kmodel.scenario import Scenario, load
from kmodel.smt import bmc
from kmodel.smt.nodehealth import NOT, OR, SliceError, View, pk
from kmodel.smt.workload import WorkloadModel, WorkloadSlice, dk
from kmodel.state import Deployment
from tests.conftest import DATA, SCENARIOS
from tests.test_smt_workload import Case, _inside, _step

SEED = SCENARIOS / "seed-component-restart.yaml"
TWO = DATA / "apply-two-workers.yaml"

# config -> (scenario, fault budget, fewest steps of a walk: enough to reach the applies and
# what the controllers do with them)
CONFIGS: dict[str, tuple[Path, tuple[tuple[str, int], ...], int]] = {
    # the applies are 25 and 35 steps in, the Deployment controller acts at 47, the pod runs at 90
    "seed-component-restart": (SEED, (("stopKubelet", 1),), 60),
    # settled at 20s, when the not-found scale and the first apply are due; the second apply
    # comes about 40 steps later
    "apply-two-workers": (TWO, (("powerOffNode", 1),), 10),
}
WATCHED = ("timeline", "deployment", "replicaset", "scheduler")


def _slice(config: str, cls: type[WorkloadSlice] = WorkloadSlice) -> WorkloadSlice:
    path, faults, _ = CONFIGS[config]
    return cls(WorkloadModel(load(path), faults=faults), pod_slots=3)


@cache
def case(config: str) -> Case:
    return Case(_slice(config))


def _watched(model: WorkloadModel, state: CheckState) -> bool:
    """A timeline event is due or a workload controller or the scheduler can act: the states
    where an apply and its consequences show."""
    return any(t.actor in WATCHED for t in model.transitions(state))


def _walk_and_check(data: st.DataObject, config: str, steps_max: int) -> int:
    """One random walk of ``config``, checked at the watched states and every eighth one;
    how many states it checked."""
    c = case(config)
    state: CheckState | None = c.slice.init_state
    steps = data.draw(st.integers(CONFIGS[config][2], steps_max), label="steps")
    checked = 0
    for i in range(steps + 1):
        assert state is not None
        if _watched(c.model, state) or i % 8 == 0 or i == steps:
            problems = c.problems(state)
            if problems is None:
                break
            assert not problems, f"{config}, step {i} (t={state.cluster.now}s):\n" + "\n".join(problems)
            checked += 1
        state = _step(c.model, state, lambda lo, hi: data.draw(st.integers(lo, hi)))
        if not _inside(c.slice, state):
            break
    return checked


@pytest.mark.parametrize("config", sorted(CONFIGS))
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_apply_encoding_agrees_with_the_python_model(config: str, data: st.DataObject) -> None:
    assert _walk_and_check(data, config, steps_max=100) > 0


@pytest.mark.thorough
@pytest.mark.parametrize("config", sorted(CONFIGS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_apply_encoding_agrees_thorough(config: str, data: st.DataObject) -> None:
    assert _walk_and_check(data, config, steps_max=300) > 0


def test_the_walks_reach_the_applies_and_the_deployment_they_create() -> None:
    """What the agreement test relies on: a walk of a few dozen steps more than its fewest gets
    past the applies (on the seed: refused, then accepted; there every walk is the same run
    until 5m, as the timeline has stopped the kubelet the fault could stop) and sees the late
    Deployment's ReplicaSet create pods."""
    for config in CONFIGS:
        c = case(config)
        state = c.slice.init_state
        seen = []
        for _ in range(CONFIGS[config][2] + 40):
            for t in c.model.transitions(state):
                if t.actor in ("timeline", "deployment", "replicaset"):
                    seen.append(f"{t.label} -> {len(t.state.cluster.deployments)} deployment(s)")
            state = _step(c.model, state, lambda lo, hi: lo)  # the first choice (the adversary's first)
        text = " | ".join(seen)
        assert "create replicaset" in text and "create 1 pod(s)" in text, (config, text)
        if config == "seed-component-restart":
            assert "90s apply manifests/k8s-for-beginners-deploy2.yaml -> 0 deployment(s)" in text
            assert "130s apply manifests/k8s-for-beginners-deploy2.yaml -> 1 deployment(s)" in text
        else:
            assert "20s scale deployment/api 3 -> 1 deployment(s)" in text  # not found
            assert "20s apply apply-api.yaml -> 2 deployment(s)" in text
            assert "60s apply apply-api-scaled.yaml -> 2 deployment(s)" in text
    late = case("apply-two-workers").slice
    assert set(late.late) == {"api"} and late.scales  # api goes 2 -> 1, web 2 -> 1


# --- sharpness ----------------------------------------------------------------------------------------


class ApplyIgnoringTheApiserver(WorkloadSlice):
    """A wrong encoding: an apply takes effect while the apiserver is unavailable."""

    def _timeline_effect(self, ev: Any) -> Any:
        effect = super()._timeline_effect(ev)
        if ev.verb != "apply":
            return effect

        def always(c: View, nx: View) -> Any:
            effect(c, nx)
            return True

        return always


class ApplyLeavingReplicas(WorkloadSlice):
    """A wrong encoding: an apply creates a Deployment but never writes its spec.replicas."""

    def _timeline_effect(self, ev: Any) -> Any:
        effect = super()._timeline_effect(ev)
        if ev.verb != "apply":
            return effect

        def keep_replicas(c: View, nx: View) -> Any:
            applies = effect(c, nx)
            for m in ev.manifests:
                nx[dk(m.name, "replicas")] = c[dk(m.name, "replicas")]
            return applies

        return keep_replicas


class ScaleFindingUnappliedDeployments(WorkloadSlice):
    """A wrong encoding: a timeline scale of a late Deployment applies before the Deployment does."""

    def _timeline_effect(self, ev: Any) -> Any:
        if ev.verb != "scale" or ev.name not in self.late:
            return super()._timeline_effect(ev)
        var, to = dk(ev.name, "replicas"), int(ev.args[0])

        def scale(c: View, nx: View) -> Any:
            nx[var] = to
            return self.apiserver_available(c)

        return scale


class ControllerNotWaitingForTheApply(WorkloadSlice):
    """A wrong encoding: the Deployment controller acts on a late Deployment before it exists."""

    def _deployment(self, c: View) -> Any:
        applied = {dk(name, "exists"): True for name in self.late}
        guard, nx = super()._deployment({**c, **applied})
        return guard, {**nx, **{var: c[var] for var in applied}}  # the Deployments stay unapplied


def _first_disagreement(sl: WorkloadSlice, steps: int) -> str | None:
    """The first disagreement on a fixed walk (always the first choice), which stops where a
    ReplicaSet runs out of pod slots."""
    c = Case(sl)
    state: CheckState | None = sl.init_state
    for _ in range(steps):
        assert state is not None
        problems = c.problems(state, forms=("actions",))
        if problems is None:
            break
        if problems:
            return problems[0]
        state = _step(c.model, state, lambda lo, hi: lo)
    return None


@pytest.mark.parametrize(
    ("config", "wrong", "where"),
    [
        ("seed-component-restart", ApplyIgnoringTheApiserver, "[actions] timeline[4]:"),  # 90s, apiserver down
        ("apply-two-workers", ApplyLeavingReplicas, "[actions] timeline[1]:"),
        ("apply-two-workers", ScaleFindingUnappliedDeployments, "[actions] timeline[0]:"),  # not found
        ("seed-component-restart", ControllerNotWaitingForTheApply, "[actions] deployment:"),
    ],
)
def test_a_wrong_apply_encoding_disagrees(config: str, wrong: type[WorkloadSlice], where: str) -> None:
    found = _first_disagreement(_slice(config, wrong), steps=60)
    assert found is not None and found.startswith(where), found


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_same_walks_agree_with_the_real_encoding(config: str) -> None:
    assert _first_disagreement(_slice(config), steps=60) is None


# --- scope --------------------------------------------------------------------------------------------

SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: extra}\nspec:\n  selector: {app: extra}\n"
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: extra}\nspec:\n  containers: [{name: app, image: nginx}]\n"
REPLICASET = (
    "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: extra}\nspec:\n  replicas: 1\n"
    "  selector: {matchLabels: {app: extra}}\n  template:\n    metadata: {labels: {app: extra}}\n"
    "    spec:\n      containers: [{name: app, image: nginx}]\n"
)


def _with_timeline(tmp_path: Path, events: list[str], files: dict[str, str], base: Path = TWO) -> Scenario:
    """``base`` with its timeline replaced by ``events``, the files it applies next to it."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for name in ("apply-api.yaml", "apply-api-scaled.yaml"):
        (tmp_path / name).write_text((DATA / name).read_text())
    text = base.read_text()
    head, rest = text.split("timeline:\n", 1)
    rest = rest[rest.index("faults:") :]
    path = tmp_path / "scenario.yaml"
    path.write_text(head + "timeline:\n" + "".join(f"  - {e}\n" for e in events) + rest)
    return load(path)


def _refusal(scen: Scenario) -> SliceError:
    with pytest.raises(SliceError) as err:
        WorkloadSlice(WorkloadModel(scen))
    e = err.value
    assert "\n" not in str(e) and e.fix is not None and "or check with --engine explore" in e.fix
    return e


@pytest.mark.parametrize(("kind", "manifest"), [("Service", SERVICE), ("Pod", POD), ("ReplicaSet", REPLICASET)])
def test_applying_other_kinds_is_refused(tmp_path: Path, kind: str, manifest: str) -> None:
    scen = _with_timeline(tmp_path, ["20s apply apply-api.yaml", "30s apply extra.yaml"], {"extra.yaml": manifest})
    e = _refusal(scen)
    assert f"applies {kind} extra (only Deployments are encoded)" in e.message
    assert e.fix is not None and "apply Deployments only (timeline[1])" in e.fix


def test_a_new_template_is_a_rollout_encoded_once_for_a_settled_deployment(tmp_path: Path) -> None:
    # an initial Deployment's template (props-rollout applies its v2 template): a rollout the
    # slice encodes (tests/test_smt_rollout.py)
    sl = WorkloadSlice(WorkloadModel(load(DATA / "props-rollout.yaml"), faults=()))
    assert list(sl.rollouts) == ["web"]
    # a late Deployment's, applied again with a new label: refused
    v1 = (DATA / "apply-api-scaled.yaml").read_text()
    v2 = v1.replace("app: api\n    spec", "app: api\n        v: '2'\n    spec")
    assert v2 != v1
    scen = _with_timeline(tmp_path, ["20s apply apply-api.yaml", "40s apply v2.yaml"], {"v2.yaml": v2})
    e = _refusal(scen)
    assert "changes the template of deployment api, which the timeline creates" in e.message
    assert "(a rollout of a Deployment applied mid-run is not encoded)" in e.message
    assert "timeline[1]" in (e.fix or "")


def _same_answer(model: WorkloadModel, prop: str, depth: int) -> None:
    """BMC and the explorer agree up to ``depth``: both hold, or both fail at the same depth."""
    r = bmc.check(WorkloadSlice(model), prop, max_depth=depth)
    e = explore(model, to_property(bmc.PROPERTIES[prop].python, model.scenario.settings), max_depth=depth)
    if e.verdict == VIOLATED:
        assert e.trace is not None and r.trace is not None, r.message
        assert r.verdict == VIOLATED and len(r.trace.steps) == len(e.trace.steps), r.message
    else:
        assert e.stats.limit == f"max depth {depth}", e.message
        assert r.verdict == HOLDS and r.stats.depth == depth, r.message


def test_the_properties_follow_the_late_deployments(tmp_path: Path) -> None:
    # a Service backed by the late Deployment: wanted once api is applied, and without endpoints
    # until its pods run, so both engines find the same shortest violation
    text = TWO.read_text().replace("  selector:\n    app: web\n  ports", "  selector:\n    app: api\n  ports")
    assert text != TWO.read_text()
    base = tmp_path / "base.yaml"
    base.write_text(text)
    scen = _with_timeline(tmp_path, ["20s apply apply-api.yaml"], {}, base=base)
    _same_answer(WorkloadModel(scen, faults=()), "service-has-endpoint", 8)
    # the late Deployment's ReplicaSet scaled by hand: not found before it exists, then the
    # Deployment controller scales it back (surge checked against api's own maxSurge)
    api = next(m.obj for m in load(TWO).timeline[1].manifests)
    assert isinstance(api, Deployment)
    rs = new_replicaset_for(api, 1).name
    scen = _with_timeline(
        tmp_path, [f"20s scale replicaset/{rs} 5", "20s apply apply-api.yaml", f"25s scale replicaset/{rs} 5"], {}
    )
    _same_answer(WorkloadModel(scen, faults=()), "no-over-replication", 10)


# --- bounded model checking -------------------------------------------------------------------------


@pytest.mark.parametrize("prop", ["no-over-replication", "bound-pods-stay-put", "no-schedule-to-unready-node"])
def test_bmc_agrees_with_the_explorer_past_the_apply(prop: str) -> None:
    # the apply is the second step (after the scale that finds nothing); within 8 the api
    # ReplicaSet exists and a pod of it gets bound (next test)
    depth = 8
    model = WorkloadModel(load(TWO), faults=(("powerOffNode", 1),))
    r = bmc.check(WorkloadSlice(model), prop, max_depth=depth)
    e = explore(model, to_property(bmc.PROPERTIES[prop].python, model.scenario.settings), max_depth=depth)
    assert e.verdict != VIOLATED and e.stats.limit == f"max depth {depth}", e.message
    assert r.verdict == HOLDS and r.stats.depth == depth, r.message


def test_bmc_runs_reach_the_late_pods() -> None:
    """The depth above is deep enough: some run of 8 actions binds a pod of the late Deployment."""
    sl = WorkloadSlice(WorkloadModel(load(TWO), faults=(("powerOffNode", 1),)))
    api_pods = [p.name for p in sl.pods if p.pod.owner in sl.late_rs]
    assert api_pods
    python = PropertyDef(
        "api-pods-stay-unbound",
        ALWAYS,
        "no pod of the late Deployment gets a node",
        lambda c: not any(p.node_name for p in c.pods if p.name in api_pods),
    )

    def holds(_sl: Any, _before: View | None, after: View) -> Any:
        return NOT(OR(*[after[pk(p, "node")] != -1 for p in api_pods]))

    unbound = bmc.SliceProperty(python.name, ALWAYS, python, holds)
    r = bmc.check(sl, unbound, max_depth=8)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None and any(s.actor == "timeline" for s in r.trace.steps)
