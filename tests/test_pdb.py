"""PodDisruptionBudgets and kubectl drain end to end: the shipped scenarios
(scenarios/drain-blocked-by-pdb.yaml and its -fixed variant) do what their headers promise, with
time windows derived from the settings; pdb-respected and drain-completes hold on the correct
model and the engines catch an eviction API that ignores budgets (tests/broken.py PDB_CASE);
manifests are read, validated and refused as the apiserver would; the Z3 engine refuses them."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.components import drain
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import load
from tests import broken

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = ROOT / "scenarios" / "drain-blocked-by-pdb.yaml"
FIXED = ROOT / "scenarios" / "drain-blocked-by-pdb-fixed.yaml"
DRAIN_AT = 30  # the scenarios' drain event
TIMEOUT = 120  # its --timeout=2m


def _explore(path: Path, name: str, max_states: int = 200_000, **kw: object) -> object:
    scen = load(path)
    m = KubeModel(scen, **kw)  # type: ignore[arg-type]
    return explore(m, props.to_property(props.BUILTINS[name], scen.settings), max_states=max_states)


# --- simulate ------------------------------------------------------------------------------------


def test_simulated_drain_retries_every_5s_and_times_out() -> None:
    """drain-blocked-by-pdb: the cordon at 30s, a 429 at every kubectl step from 30s (one per
    tick; kubectl sleeps 5 s, the tick is ``step``) until the --timeout at 30s + 2m, then the
    error; worker-1 stays cordoned and both web pods keep running."""
    scen = load(BLOCKED)
    step = scen.settings.step
    sim = simulate(scen)
    retries = [e.t for e in sim.events if "will retry after 5s" in e.message]
    first_try = DRAIN_AT
    expected = list(range(first_try, DRAIN_AT + TIMEOUT, max(step, drain.RETRY_SECONDS)))
    assert retries == expected
    failed = [e for e in sim.events if e.reason == "DrainFailed"]
    assert failed and failed[0].t == DRAIN_AT + TIMEOUT
    assert failed[0].message.startswith(
        'error: unable to drain node "worker-1" due to error: error when evicting pods/"web-'
    )
    assert failed[0].message.endswith('-n "default": global timeout reached: 2m0s, continuing command...')
    final = sim.final
    assert final is not None
    assert final.node("worker-1").unschedulable  # type: ignore[union-attr]
    assert sum(1 for p in final.pods if p.ready and not p.terminating) == 2
    assert final.pdb("web").disruptions_allowed == 0  # type: ignore[union-attr]


def test_simulated_fixed_drain_completes() -> None:
    """drain-blocked-by-pdb-fixed: the eviction at 30s spends the one disruption; the kubelet
    stops the pod at the next tick and removes it at the one after, so kubectl prints
    ``node/worker-1 drained`` at 30s + 2 steps; no 429; the replacement runs on worker-3."""
    scen = load(FIXED)
    step = scen.settings.step
    sim = simulate(scen)
    assert not [e for e in sim.events if "will retry" in e.message]
    drained = [e for e in sim.events if e.message == "node/worker-1 drained"]
    assert drained and drained[0].t == DRAIN_AT + 2 * step
    final = sim.final
    assert final is not None
    running = {p.node_name for p in final.pods if p.ready and not p.terminating}
    assert "worker-1" not in running and len(running) == 2
    pdb = final.pdb("web")
    assert pdb is not None and (pdb.current_healthy, pdb.desired_healthy, pdb.disruptions_allowed) == (2, 1, 1)


# --- check ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [BLOCKED, FIXED], ids=["blocked", "fixed"])
def test_pdb_respected_holds(path: Path) -> None:
    """In every interleaving up to 30s after the drain starts (the eviction, the pod's removal,
    its replacement started and counted: 6 ticks) no eviction takes the budget below its
    floor. The unbounded run is the thorough test below."""
    step = load(path).settings.step
    assert _explore(path, "pdb-respected", horizon=DRAIN_AT + 6 * step).verdict == HOLDS  # type: ignore[attr-defined]


@pytest.mark.thorough
@pytest.mark.parametrize("path", [BLOCKED, FIXED], ids=["blocked", "fixed"])
def test_pdb_respected_holds_unbounded(path: Path) -> None:
    assert _explore(path, "pdb-respected").verdict == HOLDS  # type: ignore[attr-defined]


def test_defaults_name_the_new_properties_only_with_a_budget_or_drain() -> None:
    from kmodel.checkrun import _by_default

    for name in props.PDB_PROPERTIES:
        assert _by_default(props.BUILTINS[name], load(BLOCKED))
        assert not _by_default(props.BUILTINS[name], load(ROOT / "scenarios" / "seed-node-failure.yaml"))


@pytest.mark.thorough
def test_drain_blocked_violates_drain_completes() -> None:
    """drain-completes is violated: the drain fails at its timeout, and is not done within
    drain_bound(settings) after the faults stop (~55k states)."""
    r = _explore(BLOCKED, "drain-completes")
    assert r.verdict == VIOLATED  # type: ignore[attr-defined]
    assert "global timeout reached: 2m0s" in r.trace.last.cluster.drains[0].outcome  # type: ignore[attr-defined]


@pytest.mark.thorough
def test_fixed_drain_completes() -> None:
    assert _explore(FIXED, "drain-completes").verdict == HOLDS  # type: ignore[attr-defined]


def test_drain_bound_from_settings() -> None:
    s = load(BLOCKED).settings
    assert props.drain_bound(s) == props.convergence_bound(s) + 2 * (5 + props.ROLLOUT_ROUND_TICKS * s.step)


# --- the broken eviction API -----------------------------------------------------------------------


def test_explorer_catches_the_eviction_api_ignoring_budgets() -> None:
    """An eviction API that ignores budgets lets the drain evict web's pod on worker-1 while
    minAvailable 2 needs both: pdb-respected is violated at that eviction."""
    case = broken.PDB_CASE
    scen = case.load()
    r = explore(case.model(scen), props.to_property(props.BUILTINS[case.property], scen.settings), max_states=50_000)
    assert r.verdict == VIOLATED
    assert r.trace is not None and r.trace.steps[-1].actor == "kubectl"
    assert "fewer than the 2 the budget keeps" in (r.message or "") or r.trace is not None


def test_decrement_matters() -> None:
    """Three pods on the drained node, one disruption allowed: the real eviction API lets one go
    and refuses the others until the controller counts again (pdb-respected holds); one that
    does not decrement lets the drain take all three in one step (VIOLATED, at that step)."""
    case = broken.PDB_DECREMENT_CASE
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    good = explore(case.model(scen, broken=False), prop, max_states=50_000)
    assert good.verdict == HOLDS
    bad = explore(case.model(scen), prop, max_states=50_000)
    assert bad.verdict == VIOLATED and bad.trace is not None
    last = bad.trace.steps[-1]
    assert last.actor == "kubectl" and last.label.count("evict ") == 3


def test_hypothesis_catches_the_eviction_api_ignoring_budgets() -> None:
    case = broken.PDB_CASE
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    r = hypothesis_engine.check(case.model(scen), prop, seed=0, profile="ci", max_examples=30)
    assert r.verdict == VIOLATED, r.message
    r = hypothesis_engine.check(case.model(scen, broken=False), prop, seed=0, profile="ci", max_examples=30)
    assert r.verdict == HOLDS, r.message


# --- the drainNode action ------------------------------------------------------------------------


def test_drain_node_action_and_uncordon() -> None:
    """The checker's drainNode: a drain of a worker, undone by kubectl uncordon."""
    scen = attrs.evolve(load(FIXED), timeline=())
    m = KubeModel(scen, faults=(("drainNode", 1),))
    init = next(iter(m.init_states()))
    drains = [t for t in m.transitions(init) if t.label.startswith("kubectl drain ")]
    assert {t.label for t in drains} == {
        f"kubectl drain {n} --ignore-daemonsets --delete-emptydir-data" for n in ("worker-1", "worker-2", "worker-3")
    }
    after = drains[0].state
    healed = m.stop_faults(after)
    assert healed is not None
    assert not any(n.unschedulable for n in healed.cluster.nodes)


# --- manifests -----------------------------------------------------------------------------------

PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web}}
spec:
{spec}
"""


def _load_pdb(tmp_path: Path, spec: str) -> object:
    f = tmp_path / "pdb.yaml"
    f.write_text(PDB.format(spec=spec))
    return load(f)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "  minAvailable: 1\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}",
            "minAvailable and maxUnavailable cannot be both set",
        ),
        ("  minAvailable: 150%\n  selector: {matchLabels: {app: web}}", "must not be greater than 100%"),
        ("  maxUnavailable: -1\n  selector: {matchLabels: {app: web}}", "must be greater than or equal to 0"),
        ("  minAvailable: 1x\n  selector: {matchLabels: {app: web}}", "a valid percent string"),
        (
            "  minAvailable: 1\n  unhealthyPodEvictionPolicy: Sometimes\n  selector: {matchLabels: {app: web}}",
            'Unsupported value: "Sometimes"',
        ),
    ],
)
def test_invalid_budgets_are_refused_as_the_apiserver_would(tmp_path: Path, spec: str, message: str) -> None:
    """ValidatePodDisruptionBudgetSpec (pkg/apis/policy/validation)."""
    with pytest.raises(KmodelError) as err:
        _load_pdb(tmp_path, spec)
    assert message in str(err.value) and 'The PodDisruptionBudget "web" is invalid' in str(err.value)


def test_budget_is_read(tmp_path: Path) -> None:
    scen = _load_pdb(tmp_path, '  maxUnavailable: "25%"\n  unhealthyPodEvictionPolicy: AlwaysAllow\n  selector: {}')
    pdb = scen.initial_state().pdb("web")  # type: ignore[attr-defined]
    assert pdb is not None
    assert (pdb.max_unavailable, pdb.min_available, pdb.unhealthy_pod_eviction_policy) == ("25%", None, "AlwaysAllow")
    assert pdb.selector is not None and pdb.selector.empty


def test_drain_event_flags_are_checked(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(BLOCKED.read_text().replace("--timeout=2m", "--pod-selector=app=web"))
    with pytest.raises(KmodelError, match="--pod-selector is not modelled"):
        load(f)


def test_smt_refuses_budgets_and_drains() -> None:
    from kmodel.smt.nodehealth import refuse_disruption

    scen = load(BLOCKED)
    with pytest.raises(KmodelError, match="PodDisruptionBudget"):
        refuse_disruption(scen.initial_state(), scen.timeline, "kmodel check --engine smt")


def test_prove_refuses_budgets() -> None:
    from kmodel.smt.scheduling import check_scenario

    with pytest.raises(KmodelError, match="poddisruptionbudget web needs the disruption controller"):
        check_scenario(load(BLOCKED))


def test_smt_refuses_a_drain_without_a_budget(tmp_path: Path) -> None:
    from kmodel.smt.nodehealth import refuse_disruption

    f = tmp_path / "s.yaml"
    text = BLOCKED.read_text()
    f.write_text(text[: text.index("---\napiVersion: policy/v1")])
    scen = load(f)
    with pytest.raises(KmodelError, match="needs kubectl drain"):
        refuse_disruption(scen.initial_state(), scen.timeline, "kmodel check --engine smt")
