"""The built-in properties and property files.

For every built-in: it holds when the explorer checks the real model on small scenarios, and it
is violated, with a shortest counterexample ending in the broken action, when the component it
is about is swapped for a deliberately broken one (tests/broken.py). The small scenarios
(tests/data/props-*.yaml) use short timeouts so that a whole node failure fits in a few
thousand states.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import model, timeline
from kmodel import properties as props
from kmodel.checkmodel import CheckState, KubeModel
from kmodel.components import deployment
from kmodel.engines.base import ALWAYS, ALWAYS_TRANSITION, EVENTUALLY, HOLDS, VIOLATED, Property, Result
from kmodel.engines.explore import explore, explore_many
from kmodel.errors import EXIT_BAD_INPUT, KmodelError
from kmodel.labels import LabelSelector
from kmodel.scenario import Scenario, load
from kmodel.schedulingspec import SchedulingSpec, TopologySpreadConstraint
from kmodel.settings import Settings
from kmodel.state import (
    LABEL_HOSTNAME,
    LABEL_ZONE,
    Cluster,
    Deployment,
    Node,
    Pod,
    PodTemplate,
    ReplicaSet,
    Resources,
    Taint,
    labels_of,
)
from kmodel.transition import Outcome
from tests import broken
from tests.conftest import DATA, SCENARIOS, Cli

Faults = tuple[tuple[str, int], ...]
POWER_OFF_ONE: Faults = (("powerOffNode", 1),)
DELETE_ONE: Faults = (("deletePod", 1),)


def scenario(path: Path, *events: str, timeline_: bool = True) -> Scenario:
    scen = load(path, list(events)) if events else load(path)
    return scen if timeline_ else attrs.evolve(scen, timeline=())


def prop(name: str, scen: Scenario) -> Property:
    return props.to_property(props.BUILTINS[name], scen.settings)


def check(
    scen: Scenario, name: str, faults: Faults, replace: dict[str, model.StepFn] | None = None, **kw: Any
) -> Result:
    return explore(KubeModel(scen, faults=faults, replace=replace, **kw), prop(name, scen), max_states=200_000)


def shortest(
    scen: Scenario, name: str, faults: Faults, replace: dict[str, model.StepFn] | None = None, **kw: Any
) -> Result:
    """A violation, checked to be a shortest one: no search stopped one action earlier finds it."""
    r = check(scen, name, faults, replace, **kw)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    shorter = explore(
        KubeModel(scen, faults=faults, replace=replace, **kw),
        prop(name, scen),
        max_states=200_000,
        max_depth=len(r.trace) - 1,
    )
    assert shorter.verdict != VIOLATED
    return r


def explanation(scen: Scenario, name: str, r: Result) -> str:
    p = prop(name, scen)
    assert r.trace is not None and p.explain is not None
    steps = r.trace.steps
    if p.transition is not None:
        return str(p.explain(steps[-2].state, steps[-1].state))
    return str(p.explain(steps[-1].state))


def walk(scen: Scenario, until: int, replace: dict[str, model.StepFn] | None = None) -> Iterator[Outcome]:
    """Every step of the fixed schedule ``kmodel simulate`` follows (timeline events, component
    steps, clock ticks), as outcomes; ``walk_pairs`` pairs them with the state before."""
    state = scen.initial_state()
    pending = list(scen.timeline)
    while True:
        while pending and pending[0].at <= state.now:
            out = timeline.perform(state, pending.pop(0))
            yield out
            state = out.state
        for out in model.fixed_schedule(state, replace):
            yield out
            state = out.state
        if state.now + state.settings.step > until:
            return
        state = model.tick(state)
        yield Outcome("clock", f"tick to t={state.now}s", state)


def walk_pairs(
    scen: Scenario, until: int, replace: dict[str, model.StepFn] | None = None
) -> Iterator[tuple[Cluster, Outcome]]:
    before = scen.initial_state()
    for out in walk(scen, until, replace):
        yield before, out
        before = out.state


def labels(r: Result) -> list[str]:
    assert r.trace is not None
    return [s.label for s in r.trace.steps]


# --- the registry and the engine view ------------------------------------------------------------


def test_builtins_in_their_fixed_order_with_kinds_docs_and_explanations() -> None:
    assert list(props.BUILTINS) == [
        "replica-convergence",
        "no-schedule-to-unready-node",
        "eviction-after-timeout",
        "no-over-replication",
        "bound-pods-stay-put",
        "service-has-endpoint",
        "pods-admitted",
        "anti-affinity-respected",
        "no-preemption-of-higher-priority",
        "spread-within-max-skew",
        "at-most-one-pod-per-ordinal",
        "statefulset-replicas-ready",
        "job-completes-or-fails",
        "job-retries-bounded",
        "daemonset-on-every-eligible-node",
        "rollout-respects-max-unavailable",
        "rollout-completes",
        "no-eviction-cycle",
        "hpa-within-bounds",
        "no-oscillation",
        "pdb-respected",
        "drain-completes",
        "manageable-after-any-single-failure",
        "one-leader-acting",
        "no-mass-eviction",
        "endpoints-only-ready",
        "scale-down-deletes-unready-first",
    ]
    kinds = {name: d.kind for name, d in props.BUILTINS.items()}
    assert kinds == {
        "replica-convergence": EVENTUALLY,
        "no-schedule-to-unready-node": ALWAYS_TRANSITION,
        "eviction-after-timeout": ALWAYS_TRANSITION,
        "no-over-replication": ALWAYS_TRANSITION,
        "bound-pods-stay-put": ALWAYS_TRANSITION,
        "service-has-endpoint": ALWAYS,
        "pods-admitted": ALWAYS,
        "anti-affinity-respected": ALWAYS,
        "no-preemption-of-higher-priority": ALWAYS_TRANSITION,
        "spread-within-max-skew": ALWAYS,
        "at-most-one-pod-per-ordinal": ALWAYS,
        "statefulset-replicas-ready": EVENTUALLY,
        "job-completes-or-fails": EVENTUALLY,
        "job-retries-bounded": ALWAYS,
        "daemonset-on-every-eligible-node": EVENTUALLY,
        "rollout-respects-max-unavailable": ALWAYS,
        "rollout-completes": EVENTUALLY,
        "no-eviction-cycle": ALWAYS,
        "hpa-within-bounds": ALWAYS,
        "no-oscillation": ALWAYS,
        "pdb-respected": ALWAYS_TRANSITION,
        "drain-completes": EVENTUALLY,
        "manageable-after-any-single-failure": ALWAYS,
        "one-leader-acting": ALWAYS,
        "no-mass-eviction": ALWAYS_TRANSITION,
        "endpoints-only-ready": ALWAYS_TRANSITION,
        "scale-down-deletes-unready-first": ALWAYS_TRANSITION,
    }
    for d in props.BUILTINS.values():
        assert d.explain is not None and len(d.doc) > 200 and d.summary
        assert d.needs_fairness == (d.kind == EVENTUALLY)
        # Jobs get their own bound (their back-off alone can take 630 s); the rest the default
        assert d.bound == (props.JOB_BOUND if d.name == "job-completes-or-fails" else None)


def test_to_property_takes_checker_states_and_bare_clusters() -> None:
    scen = scenario(DATA / "props-two-workers.yaml")
    c = scen.initial_state()
    state = CheckState(c, ())
    for name, d in props.BUILTINS.items():
        p = props.to_property(d, scen.settings)
        assert (p.name, p.kind, p.doc) == (name, d.kind, d.doc)
        if p.kind == ALWAYS_TRANSITION:
            assert p.transition is not None and p.explain is not None
            assert p.transition(state, state) is True and p.transition(c, c) is True
            assert isinstance(p.explain(state, c), str)
        else:
            assert p.predicate is not None and p.explain is not None
            assert p.predicate(state) == p.predicate(c)
            assert isinstance(p.explain(state), str)
    conv = prop("replica-convergence", scen)
    assert conv.bound == props.convergence_bound(scen.settings) and conv.needs_fairness
    assert props.to_property(attrs.evolve(props.BUILTINS["replica-convergence"], bound=7), scen.settings).bound == 7


def test_convergence_bound_formula() -> None:
    assert props.convergence_bound(Settings()) == 60  # 5 s monitor period + 11 ticks of 5 s
    slow = Settings(
        node_monitor_period=20, node_status_update_frequency=20, pod_gc_period=20, node_lease_duration_seconds=80
    )
    assert slow.step == 20 and props.convergence_bound(slow) == 20 + 11 * 20
    assert props.convergence_bound(Settings(tick=1)) == 5 + 11


# --- replica-convergence -------------------------------------------------------------------------


@pytest.mark.thorough  # one of the slowest default tests (10-16 s); its faster siblings stay
def test_convergence_bound_against_the_measured_worst_case() -> None:
    """props-one-worker: its only worker dies at any moment and comes back at any later one.
    The slowest recovery the explorer finds takes 15 s (three ticks: the kubelet restarts the old
    pod just as the eviction deletes it, the replacement has no room until the kubelet has
    stopped and removed the old pod, then it is bound and started). So the property holds with a
    bound of 15 s and not with 10 s, and convergence_bound (60 s here) covers it with room."""
    scen = scenario(DATA / "props-one-worker.yaml")
    p = prop("replica-convergence", scen)
    measured = 15
    assert measured <= p.bound == props.convergence_bound(scen.settings)
    holds = explore(KubeModel(scen, faults=POWER_OFF_ONE), attrs.evolve(p, bound=measured))
    assert holds.verdict == HOLDS, holds.message  # and so with any larger bound, the default included
    tight = explore(KubeModel(scen, faults=POWER_OFF_ONE), attrs.evolve(p, bound=measured - scen.settings.step))
    assert tight.verdict == VIOLATED and tight.trace is not None
    assert "faults stop: every fault undone, no more" in labels(tight)
    assert tight.trace.steps[-1].label == f"tick to t={tight.trace.last.now}s"


@pytest.mark.parametrize(
    ("path", "faults"),
    [
        (SCENARIOS / "seed-node-failure.yaml", ()),  # the seed's own outage, every interleaving
        (DATA / "props-two-workers.yaml", DELETE_ONE),
        (DATA / "props-rollout.yaml", ()),  # a rolling update completes within the default bound
    ],
)
def test_replica_convergence_holds(path: Path, faults: Faults) -> None:
    r = check(scenario(path), "replica-convergence", faults)
    assert r.verdict == HOLDS, r.message


def test_replica_convergence_violated_when_terminating_pods_count_as_active() -> None:
    """worker-2 dies for good at 20s (the scenario's timeline, not a checker fault): its pod is
    evicted and stays Terminating on the dead node, and a ReplicaSet controller that counts it
    as active never replaces it."""
    scen = scenario(DATA / "props-two-workers.yaml", "20s stop node/worker-2")
    replace: dict[str, model.StepFn] = {"replicaset": broken.replicaset_counting_terminating}
    r = shortest(scen, "replica-convergence", (), replace)
    assert r.message == f"not reached within {props.convergence_bound(scen.settings)}s after faults stopped"
    steps = r.trace.steps if r.trace is not None else ()
    evicted = [s for s in steps if s.actor == "tainteviction" and s.label.startswith("evict")]
    assert len(evicted) == 1 and "from worker-2" in evicted[0].label
    assert not any(s.actor == "replicaset" and "create" in s.label for s in steps[steps.index(evicted[0]) :])
    text = explanation(scen, "replica-convergence", r)
    assert "deployment web: 1 of 2 owed pods Running and ready" in text
    assert "0 waiting on lost nodes" in text and "Terminating on worker-2" in text
    # the real controller replaces the pod in time
    assert check(scen, "replica-convergence", ()).verdict == HOLDS


def test_replica_convergence_violated_when_the_kubelet_never_finishes_deletions() -> None:
    """props-one-worker has room for one pod: a deleted pod that stays Terminating keeps it, so
    the replacement stays Pending."""
    scen = scenario(DATA / "props-one-worker.yaml")
    replace = broken.per_kubelet(scen.initial_state(), broken.kubelet_never_finishing_deletions)
    r = shortest(scen, "replica-convergence", DELETE_ONE, replace)
    assert r.trace is not None
    assert any(s.label.startswith("kubectl delete pod web-") for s in r.trace.steps)
    assert not any(s.label.endswith(" removed") for s in r.trace.steps)
    last = r.trace.last.cluster
    assert [p.name for p in last.pods if p.terminating] and [p for p in last.pods if p.node_name is None]
    text = explanation(scen, "replica-convergence", r)
    assert "0 of 1 owed pods" in text and "Pending, not ready, no node" in text and "Terminating on worker" in text


def _web(replicas: int, **template: Any) -> tuple[Deployment, ReplicaSet]:
    t = PodTemplate(labels=labels_of({"app": "web"}), **template)
    d = Deployment("web", replicas, labels_of({"app": "web"}), t)
    return d, ReplicaSet("web-1", replicas, labels_of({"app": "web"}), t, owner="web", labels=t.labels)


def _node(name: str, **kw: Any) -> Node:
    return Node(name=name, labels=labels_of({LABEL_HOSTNAME: name}), **kw)


def test_replica_convergence_owes_only_what_fits() -> None:
    """With no pods at all: a Deployment whose pods fit nowhere is excused; one that fits
    twice is owed two of its three replicas; one that fits is owed them all."""
    nodes = (_node("a", capacity=Resources(cpu=1000, memory=2**30, pods=10)),)
    nowhere, rs1 = _web(3, node_selector=labels_of({"disk": "ssd"}))
    c = Cluster(settings=Settings(), nodes=nodes, deployments=(nowhere,), replicasets=(rs1,))
    assert props.replica_convergence(c)
    twice, rs2 = _web(3, requests=Resources(cpu=400))
    c = attrs.evolve(c, deployments=(twice,), replicasets=(rs2,))
    assert not props.replica_convergence(c)
    assert "0 of 2 owed pods" in props.BUILTINS["replica-convergence"].explain(c)  # type: ignore[misc]
    # control plane down: nothing is owed
    c_down = attrs.evolve(c, control_plane=attrs.evolve(c.control_plane, scheduler=False))
    assert props.replica_convergence(c_down)


# --- no-schedule-to-unready-node -------------------------------------------------------------------


def test_no_schedule_to_unready_node_violated_by_a_scheduler_ignoring_taints() -> None:
    """worker-1 is powered off; once the node controller marks it Unknown and taints it, the
    replacement of its evicted pod goes back to it."""
    scen = scenario(DATA / "props-two-workers.yaml")
    replace: dict[str, model.StepFn] = {"scheduler": broken.scheduler_ignoring_taints}
    r = shortest(scen, "no-schedule-to-unready-node", POWER_OFF_ONE, replace)
    assert r.trace is not None
    last = r.trace.steps[-1]
    assert last.actor == "scheduler" and last.label.startswith("bind ")
    off = next(s.label.removeprefix("power off ") for s in r.trace.steps if s.label.startswith("power off "))
    assert f" to {off}" in last.label
    text = explanation(scen, "no-schedule-to-unready-node", r)
    assert f"bound to {off}" in text and "Ready condition was Unknown" in text
    assert "node.kubernetes.io/unreachable:NoSchedule" in text


def test_no_schedule_to_unready_node_catches_the_control_plane_taint_at_start_up() -> None:
    """Without settling, the checker sees the start-up too: the first binding of the broken
    scheduler already puts a pod on the tainted control-plane node (3 actions)."""
    scen = scenario(SCENARIOS / "seed-node-failure.yaml", timeline_=False)
    replace: dict[str, model.StepFn] = {"scheduler": broken.scheduler_ignoring_taints}
    r = shortest(scen, "no-schedule-to-unready-node", (), replace, settle=False)
    assert [s.actor for s in r.trace.steps] == ["init", "deployment", "replicaset", "scheduler"]  # type: ignore[union-attr]
    assert "bind hello-world-" in labels(r)[-1] and " to minikube " in labels(r)[-1] + " "
    assert "node-role.kubernetes.io/control-plane:NoSchedule" in explanation(scen, "no-schedule-to-unready-node", r)
    assert check(scen, "no-schedule-to-unready-node", (), settle=False).verdict == HOLDS


# --- the safety built-ins on the real model -------------------------------------------------------------

# the HA properties are about scenarios with several control-plane machines (tests/test_ha.py): a
# single control plane that loses a process is unmanageable, by design
SAFETY = [name for name, d in props.BUILTINS.items() if d.kind != EVENTUALLY and name not in props.HA_PROPERTIES]


@pytest.fixture(scope="module")
def two_workers_one_failure() -> dict[str, Result]:
    """Every safety built-in on props-two-workers, either worker powered off (and on) at any
    moment, in one shared search (~17k states)."""
    scen = scenario(DATA / "props-two-workers.yaml")
    results = explore_many(KubeModel(scen, faults=POWER_OFF_ONE), [prop(n, scen) for n in SAFETY])
    return {r.property: r for r in results}


@pytest.mark.parametrize("name", SAFETY)
def test_safety_builtins_hold_through_a_node_failure(two_workers_one_failure: dict[str, Result], name: str) -> None:
    r = two_workers_one_failure[name]
    assert r.verdict == HOLDS, r.message
    assert r.stats.states > 10_000


@pytest.mark.parametrize(
    ("path", "faults"),
    [
        (DATA / "props-two-workers.yaml", (("stopComponent", 1),)),  # controller-manager restarts
        (DATA / "props-rollout.yaml", ()),
        (SCENARIOS / "seed-scaling.yaml", ()),  # scale 3 -> 5 -> 2, delete a pod
    ],
)
def test_safety_builtins_hold_on_small_scenarios(path: Path, faults: Faults) -> None:
    scen = scenario(path)
    for r in explore_many(KubeModel(scen, faults=faults), [prop(n, scen) for n in SAFETY], max_states=100_000):
        assert r.verdict == HOLDS, f"{r.property}: {r.message}"


# --- eviction-after-timeout ---------------------------------------------------------------------------------


def test_eviction_after_timeout_measured_on_the_seed() -> None:
    """seed-node-failure as ``kmodel simulate`` runs it: minikube-m03 is off at 60s (its last
    Lease renewal at 50s), Unknown at 105s, NoExecute-tainted at 110s, the pod's deletion
    scheduled then for 110 + 300 = 410s, and evicted at 410s. Before the deletion is scheduled
    the controller's deadline is max(probe 50 + grace 50, taint 110) + 300 = 410s, with 15s of
    slack. The property holds on every step."""
    scen = scenario(SCENARIOS / "seed-node-failure.yaml")
    defn = props.BUILTINS["eviction-after-timeout"]
    evicted = due = None
    for before, out in walk_pairs(scen, 600):
        assert defn(before, out.state), defn.explain(before, out.state)  # type: ignore[misc]
        if out.actor == "tainteviction" and out.label.startswith("evict"):
            evicted = out.state.now
            node = before.node("minikube-m03")
            assert node is not None and node.lease_renew_time == 50
        if evicted is None:
            due = next((d.due for d in props.eviction_deadlines(out.state) if d.node == "minikube-m03"), due)
    assert evicted == 410 and due == 410
    assert props.eviction_slack(scen.settings) == 15


def test_eviction_too_early_explained_with_the_numbers() -> None:
    scen = scenario(SCENARIOS / "seed-node-failure.yaml")
    replace: dict[str, model.StepFn] = {"tainteviction": broken.tainteviction_ignoring_toleration}
    defn = props.BUILTINS["eviction-after-timeout"]
    bad = [(b, o) for b, o in walk_pairs(scen, 200, replace) if not defn(b, o.state)]
    before, out = bad[0]
    assert out.actor == "tainteviction" and out.state.now == 110
    text = defn.explain(before, out.state)  # type: ignore[misc]
    expected = "evicted from minikube-m03 at t=110s, too early: no deletion was scheduled (it tolerates them for 300s)"
    assert expected in text


def test_eviction_overdue_explained_with_the_numbers() -> None:
    scen = scenario(SCENARIOS / "seed-node-failure.yaml")
    replace: dict[str, model.StepFn] = {"tainteviction": broken.tainteviction_never_evicting}
    defn = props.BUILTINS["eviction-after-timeout"]
    before, out = next((b, o) for b, o in walk_pairs(scen, 600, replace) if not defn(b, o.state))
    assert out.state.now == 430  # first state after due 410 + slack 15
    text = defn.explain(before, out.state)  # type: ignore[misc]
    assert "on minikube-m03 is still not Terminating at t=430s" in text
    # the broken controller schedules nothing: the deadline comes from the node controller's records
    assert "heartbeat or Lease change at t=50s" in text and "taint was added at t=110s" in text
    assert "due at t=410s" in text and "ran out at t=425s" in text


def test_eviction_violated_by_a_controller_ignoring_toleration_seconds() -> None:
    scen = scenario(DATA / "props-two-workers.yaml")
    replace: dict[str, model.StepFn] = {"tainteviction": broken.tainteviction_ignoring_toleration}
    r = shortest(scen, "eviction-after-timeout", POWER_OFF_ONE, replace)
    assert r.trace is not None
    assert r.trace.steps[-1].actor == "tainteviction" and r.trace.steps[-1].label.startswith("evict ")
    assert r.trace.steps[-2].label.endswith("tainted node.kubernetes.io/unreachable:NoExecute")
    assert "too early" in explanation(scen, "eviction-after-timeout", r)


def test_eviction_violated_by_a_controller_that_never_evicts() -> None:
    scen = scenario(DATA / "props-two-workers.yaml")
    replace: dict[str, model.StepFn] = {"tainteviction": broken.tainteviction_never_evicting}
    r = shortest(scen, "eviction-after-timeout", POWER_OFF_ONE, replace)
    assert r.trace is not None
    assert not any(s.label.startswith("evict ") for s in r.trace.steps)
    assert r.trace.steps[-1].actor == "clock"  # overdue as time passes
    text = explanation(scen, "eviction-after-timeout", r)
    assert "still not Terminating" in text and "toleration 15s" in text


def test_eviction_excused_while_every_zone_is_down() -> None:
    """Both workers of props-two-workers die: the only zone is fully disrupted, the controller
    removes the NoExecute taints and evicts nobody; the property does not ask it to."""
    scen = scenario(DATA / "props-two-workers.yaml", "20s stop node/worker-1", "20s stop node/worker-2")
    defn = props.BUILTINS["eviction-after-timeout"]
    outs = list(walk_pairs(scen, 300))
    assert all(defn(b, o.state) for b, o in outs)
    assert not any(o.actor == "tainteviction" and o.label.startswith("evict") for _, o in outs)
    assert dict(outs[-1][1].state.memory.zone_states) == {"": "FullDisruption"}


def test_eviction_checks_nothing_in_legacy_mode() -> None:
    scen = scenario(SCENARIOS / "seed-node-failure.yaml")
    legacy = attrs.evolve(scen, settings=attrs.evolve(scen.settings, eviction_mode="legacy", kubernetes_version="1.26"))
    defn = props.BUILTINS["eviction-after-timeout"]
    assert all(defn(b, o.state) and not props.eviction_deadlines(o.state) for b, o in walk_pairs(legacy, 600))


# --- no-over-replication ---------------------------------------------------------------------------------------


def test_no_over_replication_violated_by_one_pod_too_many() -> None:
    scen = scenario(SCENARIOS / "seed-scaling.yaml", timeline_=False)
    replace: dict[str, model.StepFn] = {"replicaset": broken.replicaset_one_too_many}
    r = shortest(scen, "no-over-replication", DELETE_ONE, replace)
    assert [s.actor for s in r.trace.steps] == ["init", "fault", "replicaset"]  # type: ignore[union-attr]
    assert labels(r)[-1].endswith(": create 1 pod(s)")
    assert "now has 4 active pods for spec.replicas 3" in explanation(scen, "no-over-replication", r)


def deployment_ignoring_max_surge(cluster: Cluster) -> list[Outcome]:
    """The Deployment controller with maxSurge taken as 100%: a rollout starts the whole new
    ReplicaSet at once (a percentage resolved against the wrong base)."""
    view = attrs.evolve(cluster, deployments=tuple(attrs.evolve(d, max_surge="100%") for d in cluster.deployments))
    out = []
    for o in deployment.step(view):
        restored = tuple(
            attrs.evolve(d, max_surge=old.max_surge)
            for d, old in zip(o.state.deployments, cluster.deployments, strict=True)
        )
        out.append(attrs.evolve(o, state=attrs.evolve(o.state, deployments=restored)))
    return out


def test_no_over_replication_catches_a_deployment_surging_too_far() -> None:
    scen = scenario(DATA / "props-rollout.yaml")
    replace: dict[str, model.StepFn] = {"deployment": deployment_ignoring_max_surge}
    r = shortest(scen, "no-over-replication", (), replace)
    assert r.trace is not None and r.trace.steps[-1].actor == "deployment"
    assert labels(r)[-2] == "30s apply props-rollout-v2.yaml"
    text = explanation(scen, "no-over-replication", r)
    assert "add up to 4, above replicas 2 + maxSurge 1 (= 3)" in text


def test_scaling_down_is_not_over_replication() -> None:
    """Right after a scale-down a ReplicaSet has more pods than spec.replicas until its next
    sync; only growing past spec.replicas counts."""
    scen = scenario(SCENARIOS / "seed-scaling.yaml")
    defn = props.BUILTINS["no-over-replication"]
    states = [o.state for _, o in walk_pairs(scen, 18 * 60)]
    assert all(defn(a, b) for a, b in itertools.pairwise(states))
    surplus = [c for c in states if any(len(props._active(c, rs)) > rs.replicas for rs in c.replicasets)]
    assert surplus  # the 5 -> 2 scale-down, before the ReplicaSet controller deletes


# --- bound-pods-stay-put -----------------------------------------------------------------------------------------


def test_bound_pods_stay_put_violated_by_a_rebinding_scheduler() -> None:
    scen = scenario(DATA / "props-two-workers.yaml")
    replace: dict[str, model.StepFn] = {"scheduler": broken.scheduler_rebinding_from_unready_nodes}
    r = shortest(scen, "bound-pods-stay-put", POWER_OFF_ONE, replace)
    assert r.trace is not None
    off = next(s.label.removeprefix("power off ") for s in r.trace.steps if s.label.startswith("power off "))
    assert r.trace.steps[-1].actor == "scheduler"
    assert r.trace.steps[-2].label.startswith(f"{off} Ready True -> Unknown")
    assert f"moved from {off} to " in explanation(scen, "bound-pods-stay-put", r)


# --- service-has-endpoint ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "faults"),
    [(DATA / "props-two-workers.yaml", (("powerOffNode", 2),)), (DATA / "props-one-worker.yaml", POWER_OFF_ONE)],
)
def test_service_has_endpoint_fails_when_the_budget_can_take_every_pod(path: Path, faults: Faults) -> None:
    """With one worker off out of two it holds (see above); with both, or with the only worker
    of a one-replica Deployment, the Service loses its last endpoint: expected, the budget says so."""
    scen = scenario(path)
    r = shortest(scen, "service-has-endpoint", faults)
    assert r.trace is not None and r.trace.steps[-1].actor == "endpoints"
    assert labels(r)[-1] == "service web endpoints: <none>"
    assert "service web has no ready endpoint" in explanation(scen, "service-has-endpoint", r)


# --- spread-within-max-skew ------------------------------------------------------------------------


def _zone_spread_cluster(zone_c_pods: int, pending: bool = False) -> Cluster:
    """Three zones (one node each), pods with a DoNotSchedule zone spread (maxSkew 1): one on
    node-a, one on node-b, ``zone_c_pods`` on node-c, and one more waiting if ``pending``."""
    spread = TopologySpreadConstraint(1, LABEL_ZONE, "DoNotSchedule", LabelSelector((("app", "web"),)))
    spec = SchedulingSpec(topology_spread=(spread,))
    nodes = tuple(
        Node(name=f"node-{z}", labels=labels_of({LABEL_HOSTNAME: f"node-{z}", LABEL_ZONE: f"zone-{z}"})) for z in "abc"
    )
    web = labels_of({"app": "web"})
    placed = [("a", "node-a"), ("b", "node-b")] + [(f"c{i}", "node-c") for i in range(zone_c_pods)]
    pods = [Pod(name=f"web-{n}", labels=web, node_name=node, scheduling=spec) for n, node in placed]
    if pending:
        pods.append(Pod(name="web-new", labels=web, scheduling=spec))
    return Cluster(settings=Settings(), nodes=nodes, pods=tuple(pods))


def test_spread_within_max_skew_counts_settled_states_only() -> None:
    """1/1/1 and 1/1/2 are within maxSkew 1; 1/1/3 is not, unless a matching pod still waits for
    a node (the scheduler checks the constraint only when it binds a pod)."""
    assert props.spread_within_max_skew(_zone_spread_cluster(1))
    assert props.spread_within_max_skew(_zone_spread_cluster(2))
    skewed = _zone_spread_cluster(3)
    assert not props.spread_within_max_skew(skewed)
    why = props.BUILTINS["spread-within-max-skew"].explain(skewed)  # type: ignore[misc]
    assert "zone-a=1, zone-b=1, zone-c=3 (skew 2 > maxSkew 1)" in why
    assert props.spread_within_max_skew(_zone_spread_cluster(3, pending=True))


def test_spread_within_max_skew_honours_the_taints_policy() -> None:
    """A domain whose only node has a taint the pods do not tolerate counts under the default
    nodeTaintsPolicy (Ignore) and not under Honor."""
    c = _zone_spread_cluster(0)
    c = attrs.evolve(c, pods=tuple(attrs.evolve(p, node_name="node-a") if p.name == "web-b" else p for p in c.pods))
    tainted = c.with_node(attrs.evolve(c.node("node-c"), taints=(Taint("example.com/down", "NoSchedule"),)))
    assert not props.spread_within_max_skew(tainted)  # zone-a=2, zone-b=0, zone-c=0
    honor = tuple(
        attrs.evolve(
            p,
            scheduling=SchedulingSpec(
                topology_spread=(attrs.evolve(p.scheduling.topology_spread[0], node_taints_policy="Honor"),)
            ),
        )
        for p in tainted.pods
    )
    assert not props.spread_within_max_skew(attrs.evolve(tainted, pods=honor))  # zone-a=2, zone-b=0
    moved = attrs.evolve(
        tainted, pods=tuple(attrs.evolve(p, node_name="node-b") if p.name == "web-b" else p for p in honor)
    )
    assert props.spread_within_max_skew(moved)  # zone-a=1, zone-b=1; zone-c is not a domain


@pytest.mark.thorough
def test_spread_within_max_skew_holds_through_pod_deletions() -> None:
    """zone-spread-outage.yaml without its outage, anyone deleting one pod at any moment: the
    replacement goes to the emptied zone, so every settled state is spread 1/1/1."""
    scen = scenario(SCENARIOS / "zone-spread-outage.yaml", timeline_=False)
    r = check(scen, "spread-within-max-skew", DELETE_ONE)
    assert r.verdict == HOLDS, r.message


def test_spread_within_max_skew_violated_after_the_zone_returns() -> None:
    """zone-spread-outage-honor.yaml: with nodeTaintsPolicy Honor the evicted replica is placed in
    another zone at once; when node-c returns its zone is a domain again, with no pod."""
    scen = scenario(SCENARIOS / "zone-spread-outage-honor.yaml")
    r = shortest(scen, "spread-within-max-skew", ())
    why = explanation(scen, "spread-within-max-skew", r)
    assert "zone-c=0 (skew 2 > maxSkew 1)" in why and "at t=720s" in why
    assert "node-c taint node.kubernetes.io/unreachable:NoSchedule removed" in labels(r)[-1]


def test_replica_convergence_violated_by_conflicting_spread_constraints() -> None:
    """conflicting-spread.yaml: zone and hostname spread that cannot both hold for six replicas
    on 2+1 nodes; the sixth stays Pending although the nodes have room."""
    scen = scenario(SCENARIOS / "conflicting-spread.yaml")
    r = shortest(scen, "replica-convergence", ())
    why = explanation(scen, "replica-convergence", r)
    assert "5 of 6 owed pods Running and ready" in why and "Pending, not ready, no node" in why


# --- property files ---------------------------------------------------------------------------------------------------

GOOD = '''
from kmodel.properties import eventually, invariant, transition_invariant


def _terminating(cluster):
    return [p.name for p in cluster.pods if p.terminating]


@invariant("one-terminating-at-most", explain=lambda c: "terminating: " + ", ".join(_terminating(c)))
def one_terminating_at_most(cluster):
    """No more than one pod is Terminating at any time."""
    return len(_terminating(cluster)) <= 1


@transition_invariant("clock-never-goes-back", doc="Time only moves forward.")
def clock(before, after):
    return after.now >= before.now


@eventually("two-ready", bound=30)
def two_ready(cluster):
    """Two pods are ready."""
    return sum(p.ready for p in cluster.pods) >= 2
'''


def test_load_a_property_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.py"
    f.write_text(GOOD)
    builtins_before = list(props.BUILTINS)
    defs = props.load_property_file(f)
    assert [(d.name, d.kind, d.bound) for d in defs] == [
        ("one-terminating-at-most", ALWAYS, None),
        ("clock-never-goes-back", ALWAYS_TRANSITION, None),
        ("two-ready", EVENTUALLY, 30),
    ]
    assert defs[0].doc == "No more than one pod is Terminating at any time."
    assert defs[1].doc == "Time only moves forward." and defs[2].needs_fairness
    assert list(props.BUILTINS) == builtins_before  # nothing was added to the built-ins
    assert not list(tmp_path.glob("__pycache__"))
    again = props.load_property_file(f)  # a fresh module each time
    assert again[0].fn is not defs[0].fn
    scen = scenario(DATA / "props-two-workers.yaml")
    for d in defs:
        r = explore(KubeModel(scen, faults=()), props.to_property(d, scen.settings))
        assert r.verdict == HOLDS, (d.name, r.message)


def _error(tmp_path: Path, body: str | None, name: str = "bad.py") -> KmodelError:
    f = tmp_path / name
    if body is not None:
        f.write_text(body)
    with pytest.raises(KmodelError) as info:
        props.load_property_file(f)
    err = info.value
    assert err.exit_code == EXIT_BAD_INPUT and "\n" not in str(err) and str(f) in str(err) and err.fix
    return err


def test_property_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    missing = _error(tmp_path, None, "missing.py")
    assert "no such property file" in str(missing)
    syntax = _error(
        tmp_path, "from kmodel.properties import invariant\n\n@invariant('x')\ndef x(cluster)\n    return 1\n"
    )
    assert syntax.line == 4 and "bad.py:4: syntax error" in str(syntax)
    boom = _error(tmp_path, "import os\n\nLIMIT = int(os.environ['NOPE_NOT_SET_' * 1])\n")
    assert boom.line == 3 and "KeyError while importing" in str(boom)
    empty = _error(tmp_path, "X = 1\n")
    assert "defines no properties" in str(empty)
    clash = _error(
        tmp_path,
        "from kmodel.properties import invariant\n\n@invariant('bound-pods-stay-put')\ndef f(c):\n    return True\n",
    )
    assert clash.line == 3 and "is a built-in property" in str(clash)
    twice = _error(
        tmp_path,
        "from kmodel.properties import invariant\n\n"
        "@invariant('a')\ndef f(c):\n    return True\n\n@invariant('a')\ndef g(c):\n    return True\n",
    )
    assert twice.line == 7 and "defined twice" in str(twice)
    misuse = _error(tmp_path, "from kmodel.properties import invariant\n\n@invariant\ndef f(c):\n    return True\n")
    assert misuse.line == 3 and "needs a property name" in str(misuse)
    arity = _error(
        tmp_path,
        "from kmodel.properties import transition_invariant\n\n@transition_invariant('t')\ndef f(c):\n    return 1\n",
    )
    assert arity.line == 3 and "f(before, after)" in str(arity)


def test_property_file_errors_through_the_command_line(tmp_path: Path, cli: Cli) -> None:
    bad = tmp_path / "props.py"
    bad.write_text("from kmodel.properties import invariant\n\nVALUE = 1 / 0\n")
    result = cli("check", str(DATA / "props-two-workers.yaml"), "--property-file", str(bad), "--faults", "none")
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"{bad}:3: ZeroDivisionError while importing" in result.stderr


def test_a_failing_user_property_is_reported_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "flaky.py"
    f.write_text(
        "from kmodel.properties import invariant\n\n"
        "@invariant('first-pod-ready')\ndef first(cluster):\n    return cluster.pods[0].ready\n\n"
        "@invariant('says-nothing')\ndef nothing(cluster):\n    pass\n"
    )
    first, nothing = props.load_property_file(f)
    empty = Cluster(settings=Settings())
    with pytest.raises(KmodelError) as info:
        props.to_property(first, empty.settings).predicate(empty)  # type: ignore[misc]
    assert info.value.line == 5 and "IndexError" in str(info.value) and "property first-pod-ready" in str(info.value)
    with pytest.raises(KmodelError) as info:
        props.to_property(nothing, empty.settings).predicate(empty)  # type: ignore[misc]
    assert "returned None, not a bool" in str(info.value)
