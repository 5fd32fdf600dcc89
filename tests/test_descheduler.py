"""The descheduler (kmodel.components.descheduler) end to end: the shipped scenarios
(scenarios/descheduler-cycle.yaml and its fix), their verdicts on no-eviction-cycle with the
explorer and Hypothesis, the simulation's evictions in the time windows the interval gives, the
policy file's refusals, the eviction limits over a whole run, deliberately broken descheduler
components caught by an engine, and the Z3 engine's refusal.

The Go table tests of the plugins are translated in tests/k8s/test_descheduler_*.py.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.components import descheduler
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import load
from tests import broken
from tests.conftest import SCENARIOS, Cli

CYCLE = SCENARIOS / "descheduler-cycle.yaml"
FIXED = SCENARIOS / "descheduler-cycle-fixed.yaml"
NO_FAULTS: tuple[tuple[str, int], ...] = ()
PROPERTY = "no-eviction-cycle"


def _explore(path: Path, replace: dict | None = None, **kw: object):  # type: ignore[no-untyped-def, type-arg]
    scen = load(path)
    prop = props.to_property(props.BUILTINS[PROPERTY], scen.settings)
    model = KubeModel(scen, faults=NO_FAULTS, replace=replace)
    return scen, prop, explore(model, prop, max_states=20_000, **kw)


# --- the shipped scenarios ---------------------------------------------------------------------------


def test_cycle_scenario_violates_no_eviction_cycle_with_a_shortest_trace() -> None:
    scen, prop, r = _explore(CYCLE)
    assert r.verdict == VIOLATED and r.trace is not None
    steps = r.trace.steps
    evictions = [s for s in steps if s.actor == "descheduler" and "LowNodeUtilization" in s.label]
    # N = 2: the third time a db replacement lands back on ssd-node breaks the property
    assert len(evictions) == 3
    assert all("from ssd-node" in s.label for s in evictions)
    binds = [s.label for s in steps if s.actor == "scheduler" and s.label.startswith("bind db-")]
    assert len(binds) == 3 and all(b.endswith("to ssd-node") for b in binds)
    assert prop.explain is not None
    assert "replaced on the same node 3 times (at most 2)" in prop.explain(steps[-1].state)
    shorter = explore(KubeModel(scen, faults=NO_FAULTS), prop, max_states=20_000, max_depth=len(r.trace) - 1)
    assert shorter.verdict != VIOLATED


def test_fixed_scenario_holds() -> None:
    _, _, r = _explore(FIXED)
    assert r.verdict == HOLDS, r.message


def test_no_eviction_cycle_is_checked_by_default_only_with_a_descheduler() -> None:
    from kmodel.checkrun import _by_default

    defn = props.BUILTINS[PROPERTY]
    assert _by_default(defn, load(CYCLE))
    assert not _by_default(defn, load(SCENARIOS / "seed-node-failure.yaml"))


def test_simulation_evicts_at_each_run_in_the_interval_windows() -> None:
    """startAt 1m, deschedulingInterval 2m: a LowNodeUtilization eviction (the real event: type
    Normal, reason the plugin, note "pod eviction from ssd-node node by sigs.k8s.io/descheduler")
    at 1m, 3m, 5m and 7m, each replacement Scheduled to ssd-node within a tick or two."""
    scen = load(CYCLE)
    d = scen.descheduler
    assert d is not None and (d.start_at, d.interval) == (60, 120)
    sim = simulate(scen, until=8 * 60)
    evictions = [e for e in sim.events if e.source == "sigs.k8s.io.descheduler"]
    assert [e.t for e in evictions] == [d.start_at + k * d.interval for k in range(4)]
    for e in evictions:
        assert e.reason == "LowNodeUtilization" and e.type == "Normal"
        assert e.message == "pod eviction from ssd-node node by sigs.k8s.io/descheduler"
    step = scen.settings.step
    for e in evictions:
        placed = [
            x
            for x in sim.events
            if x.reason == "Scheduled" and x.object.startswith("pod/db-") and e.t <= x.t <= e.t + 2 * step
        ]
        assert placed and placed[0].message.endswith("to ssd-node")


def test_fixed_simulation_runs_but_evicts_nothing() -> None:
    sim = simulate(load(FIXED), until=8 * 60)
    assert not [e for e in sim.events if e.source == "sigs.k8s.io.descheduler"]


def test_without_an_interval_the_descheduler_runs_once(tmp_path: Path) -> None:
    """--descheduling-interval defaults to 0: one run, then the process exits
    (``RunDeschedulerStrategies`` cancels its loop after the first iteration)."""
    text = CYCLE.read_text().replace("  deschedulingInterval: 2m\n", "")
    path = tmp_path / "once.yaml"
    path.write_text(text)
    sim = simulate(load(path), until=8 * 60)
    assert [e.t for e in sim.events if e.source == "sigs.k8s.io.descheduler"] == [60]


def test_evicted_pods_carry_the_eviction_api_condition() -> None:
    scen = load(CYCLE)
    c = scen.initial_state()
    sim_state = c
    from kmodel import model

    while sim_state.now < 60:
        for o in model.fixed_schedule(sim_state):
            sim_state = o.state
        sim_state = model.tick(sim_state)
    outs = descheduler.step(sim_state)
    assert len(outs) == 1
    evicted = [p for p in outs[0].state.pods if p.disruption_target]
    assert len(evicted) == 1
    assert evicted[0].terminating and evicted[0].disruption_reason == "EvictionByEvictionAPI"


def test_the_descheduler_skips_a_run_with_fewer_than_two_ready_nodes() -> None:
    """``runProfiles``: "Skipping descheduling cycle: requires >=2 nodes"."""
    scen = load(CYCLE)
    c = scen.initial_state()
    one = attrs.evolve(c, nodes=tuple(attrs.evolve(n, ready="False") if n.name == "plain-node" else n for n in c.nodes))
    one = attrs.evolve(one, now=60)
    outs = descheduler.step(one)
    assert len(outs) == 1 and "requires >=2 ready nodes, found 1" in outs[0].label
    assert outs[0].events == ()


# --- property parameters -------------------------------------------------------------------------------


def test_n_is_a_parameter_of_a_property_file(tmp_path: Path) -> None:
    f = tmp_path / "props.py"
    f.write_text(
        "from kmodel.properties import no_eviction_cycle_property\n"
        "strict = no_eviction_cycle_property(max_returns=0, name='no-eviction-cycle-0')\n"
    )
    (defn,) = props.load_property_file(f)
    scen = load(CYCLE)
    prop = props.to_property(defn, scen.settings)
    r = explore(KubeModel(scen, faults=NO_FAULTS), prop, max_states=20_000)
    assert r.verdict == VIOLATED and r.trace is not None
    assert sum(1 for s in r.trace.steps if s.actor == "descheduler" and "evict" in s.label) == 1


def test_n_must_be_small() -> None:
    with pytest.raises(ValueError, match=r"max_returns must be a whole number 0\.\.9"):
        props.no_eviction_cycle_property(max_returns=10)


# --- broken descheduler components --------------------------------------------------------------------


def test_explorer_catches_a_descheduler_ignoring_node_fit() -> None:
    _, _, r = _explore(FIXED, replace={"descheduler": broken.descheduler_ignoring_node_fit})
    assert r.verdict == VIOLATED and r.trace is not None
    assert any(s.actor == "descheduler" and "LowNodeUtilization" in s.label for s in r.trace.steps)


@pytest.mark.thorough  # one of the slowest default tests (10-16 s); its faster siblings stay
def test_hypothesis_catches_a_descheduler_ignoring_node_fit() -> None:
    scen = load(FIXED)
    prop = props.to_property(props.BUILTINS[PROPERTY], scen.settings)
    bad = KubeModel(scen, faults=NO_FAULTS, replace={"descheduler": broken.descheduler_ignoring_node_fit})
    r = hypothesis_engine.check(bad, prop, seed=0, profile="ci", max_examples=30)
    assert r.verdict == VIOLATED, r.message
    good = KubeModel(scen, faults=NO_FAULTS)
    assert hypothesis_engine.check(good, prop, seed=0, profile="ci", max_examples=30).verdict == HOLDS


LIMITED = """
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {name: limited}
faults: {}
descheduler: {startAt: 30s}
---
apiVersion: descheduler/v1alpha2
kind: DeschedulerPolicy
maxNoOfPodsToEvictTotal: 1
profiles:
- name: default
  pluginConfig:
  - name: RemoveDuplicates
  plugins:
    balance: {enabled: [RemoveDuplicates]}
---
apiVersion: v1
kind: Node
metadata: {name: a, labels: {kubernetes.io/hostname: a}}
---
apiVersion: v1
kind: Node
metadata: {name: b, labels: {kubernetes.io/hostname: b}}
---
apiVersion: v1
kind: Node
metadata: {name: c, labels: {kubernetes.io/hostname: c}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeName: a
      containers: [{name: app, image: nginx}]
"""


def _limited(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "limited.yaml"
    path.write_text(LIMITED)
    return load(path)


def test_max_no_of_pods_to_evict_total_caps_a_run(tmp_path: Path) -> None:
    """Four duplicates pinned to node a, three nodes: RemoveDuplicates wants 2 evictions
    (upperAvg ceil(4/3) = 2), maxNoOfPodsToEvictTotal allows 1."""
    scen = _limited(tmp_path)
    sim = simulate(scen, until=40)
    assert len([e for e in sim.events if e.source == "sigs.k8s.io.descheduler"]) == 1
    invariant = "count(p for p in pods if p.terminating) <= 1"
    from kmodel.checkrun import invariant_property

    prop = invariant_property(invariant, "limit")
    assert explore(KubeModel(scen, faults=NO_FAULTS, horizon=40), prop, max_states=5_000).verdict == HOLDS
    bad = KubeModel(scen, faults=NO_FAULTS, horizon=40, replace={"descheduler": broken.descheduler_ignoring_limits})
    r = explore(bad, prop, max_states=5_000)
    assert r.verdict == VIOLATED and r.trace is not None
    assert r.trace.steps[-1].actor == "descheduler"


# --- input: the policy file ---------------------------------------------------------------------------


POLICY_HEAD = """apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {name: p}
descheduler: {deschedulingInterval: 5m}
---
"""


@pytest.mark.parametrize(
    "policy, message",
    [
        (
            "apiVersion: descheduler/v1alpha2\nkind: DeschedulerPolicy\nprofiles:\n- name: p\n  pluginConfig:\n"
            "  - name: NoSuchPlugin\n  plugins: {}\n",
            "in profile p: plugin NoSuchPlugin in pluginConfig not registered",
        ),
        (
            "apiVersion: descheduler/v1alpha2\nkind: DeschedulerPolicy\nprofiles:\n- name: p\n  pluginConfig:\n"
            "  - name: PodLifeTime\n  plugins: {}\n",
            "plugin PodLifeTime is not modelled by kmodel",
        ),
        (
            "apiVersion: descheduler/v1alpha2\nkind: DeschedulerPolicy\nprofiles:\n- name: p\n  pluginConfig:\n"
            "  - name: DefaultEvictor\n    args: {nodeFitt: true}\n  plugins: {}\n",
            "DefaultEvictor args has no field 'nodeFitt' that kmodel models",
        ),
        (
            "apiVersion: descheduler/v1alpha2\nkind: DeschedulerPolicy\nprofiles:\n- name: p\n  pluginConfig:\n"
            "  - name: LowNodeUtilization\n    args: {thresholds: {cpu: 60}, targetThresholds: {cpu: 50}}\n"
            "  plugins: {balance: {enabled: [LowNodeUtilization]}}\n",
            "thresholds' cpu percentage is greater than targetThresholds'",
        ),
        (
            "apiVersion: descheduler/v1alpha2\nkind: DeschedulerPolicy\nprofiles:\n- name: p\n  pluginConfig:\n"
            "  - name: LowNodeUtilization\n    args: {thresholds: {cpu: 20}, targetThresholds: {memory: 50}}\n"
            "  plugins: {balance: {enabled: [LowNodeUtilization]}}\n",
            "thresholds and targetThresholds configured different resources",
        ),
        (
            "apiVersion: descheduler/v1alpha2\nkind: DeschedulerPolicy\nprofiles:\n- name: p\n"
            "  plugins: {deschedule: {enabled: [LowNodeUtilization]}}\n",
            "LowNodeUtilization is a balance plugin, not a deschedule one",
        ),
        (
            "apiVersion: descheduler/v1alpha1\nkind: DeschedulerPolicy\nstrategies: {}\n",
            "kmodel reads the descheduler/v1alpha2 DeschedulerPolicy",
        ),
    ],
    ids=[
        "unknown plugin",
        "plugin not modelled",
        "unknown arg",
        "thresholds above targets",
        "different resources",
        "wrong extension point",
        "v1alpha1",
    ],
)
def test_bad_policies_are_refused_in_one_line(tmp_path: Path, policy: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(POLICY_HEAD + policy)
    with pytest.raises(KmodelError) as err:
        load(path)
    text = str(err.value)
    assert message in text and "bad.yaml" in text and "\n" not in text
    assert err.value.fix


def test_policy_may_live_in_its_own_file(tmp_path: Path) -> None:
    docs = CYCLE.read_text().split("---\n")
    (tmp_path / "policy.yaml").write_text(docs[1])  # the DeschedulerPolicy document
    text = docs[0] + "---\n" + "---\n".join(docs[2:])
    text = text.replace("  deschedulingInterval: 2m\n", "  deschedulingInterval: 2m\n  policy: policy.yaml\n")
    path = tmp_path / "scen.yaml"
    path.write_text(text)
    scen = load(path)
    assert scen.descheduler is not None and scen.descheduler.file.endswith("policy.yaml")
    assert scen.descheduler.policy == load(CYCLE).descheduler.policy  # type: ignore[union-attr]


def test_unknown_key_in_the_scenario_section(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(CYCLE.read_text().replace("  startAt: 1m\n", "  startAt: 1m\n  interval: 2m\n"))
    with pytest.raises(KmodelError, match="descheduler section has no field 'interval'"):
        load(path)


# --- Z3 -----------------------------------------------------------------------------------------------


def test_the_smt_engine_refuses_a_descheduler_by_name(cli: Cli) -> None:
    r = cli("check", str(CYCLE), "--engine", "smt")
    assert r.exit_code == 2
    assert "the scenario runs the descheduler (a DeschedulerPolicy), which the Z3 encoding does not cover" in r.output


def test_descheduler_evictions_are_not_early_taint_evictions() -> None:
    """eviction-after-timeout judges the taint eviction controller's deletions (DisruptionTarget
    with its reason); an eviction through the eviction API is not one of them."""
    from kmodel import model

    c = load(CYCLE).initial_state()
    while c.now < 60:
        for o in model.fixed_schedule(c):
            c = o.state
        c = model.tick(c)
    (out,) = descheduler.step(c)
    assert props.BUILTINS["eviction-after-timeout"](c, out.state)


def test_a_statefulset_replacement_with_the_same_name_counts_as_a_return(tmp_path: Path) -> None:
    """A StatefulSet recreates an evicted member under the same name once the old pod is gone;
    the bookkeeping tells it from the evicted pod by its not being Terminating."""
    from kmodel import model

    text = CYCLE.read_text().replace(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db}\nspec:\n",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n",
    )
    path = tmp_path / "sts.yaml"
    path.write_text(text)
    scen = load(path)
    assert [s.name for s in scen.initial_state().statefulsets] == ["db"]
    c = scen.initial_state()
    while c.now < 5 * 60 + 30:
        for o in model.fixed_schedule(c):
            c = o.state
        c = model.tick(c)
    # evictions at 1m, 3m and 5m, each member recreated on ssd-node under its own name
    assert descheduler.returns_now(c) == {"statefulset/db": 3}
    assert not props.BUILTINS[PROPERTY](c)


def test_pods_with_local_storage_are_kept_unless_allowed(tmp_path: Path) -> None:
    """DefaultEvictor: a pod with an emptyDir (or hostPath) volume is not evicted unless
    ``evictLocalStoragePods: true`` (the legacy PodsWithLocalStorage protection)."""
    volume = "      volumes: [{name: scratch, emptyDir: {}}]\n      containers:\n      - name: db\n"
    text = CYCLE.read_text().replace("      containers:\n      - name: db\n", volume)
    path = tmp_path / "scratch.yaml"
    path.write_text(text)
    sim = simulate(load(path), until=4 * 60)
    assert not [e for e in sim.events if e.source == "sigs.k8s.io.descheduler"]
    allowed = text.replace(
        "  pluginConfig:\n", "  pluginConfig:\n  - name: DefaultEvictor\n    args: {evictLocalStoragePods: true}\n"
    )
    path.write_text(allowed)
    sim = simulate(load(path), until=4 * 60)
    assert [e.t for e in sim.events if e.source == "sigs.k8s.io.descheduler"] == [60, 180]


def test_descheduler_annotations_are_refused(tmp_path: Path) -> None:
    """The DefaultEvictor reads ``descheduler.alpha.kubernetes.io/evict`` and
    ``prefer-no-eviction``; kmodel does not, so a manifest that writes them is refused."""
    text = CYCLE.read_text().replace(
        "    metadata: {labels: {app: db}}\n",
        "    metadata:\n      labels: {app: db}\n      annotations: {descheduler.alpha.kubernetes.io/evict: 'true'}\n",
    )
    path = tmp_path / "annotated.yaml"
    path.write_text(text)
    with pytest.raises(KmodelError, match="the descheduler's evict annotation"):
        load(path)


def test_a_pod_disruption_budget_stops_the_descheduler_cycle(tmp_path: Path) -> None:
    """The descheduler evicts through the eviction API (``PodEvictor.evictPod``), so a
    PodDisruptionBudget that allows no disruption of the three db pods (minAvailable: 3) turns
    every eviction into a 429 (pkg/registry/core/pod/storage/eviction.go): the descheduler runs
    at 1m, 3m, 5m, 7m and evicts nothing, and no-eviction-cycle holds."""
    pdb = (
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: db}\n"
        "spec: {minAvailable: 3, selector: {matchLabels: {app: db}}}\n"
    )
    path = tmp_path / "pdb.yaml"
    path.write_text(CYCLE.read_text() + pdb)
    scen = load(path)
    sim = simulate(scen, until=8 * 60)
    assert not [e for e in sim.events if e.source == "sigs.k8s.io.descheduler"]
    assert sim.final is not None and not [p for p in sim.final.pods if p.terminating]
    _, _, result = _explore(path)
    assert result.verdict == HOLDS


def test_the_report_header_names_the_descheduler() -> None:
    assert load(CYCLE).summary() == (
        "descheduler-cycle.yaml: 2 nodes, 2 Deployments, descheduler (LowNodeUtilization) every 2m from 1m"
    )
