"""kube-scheduler: TaintToleration matching, filter order, failure messages, scoring, ties, and
the cases where the scheduler must do nothing (pkg/scheduler, ../shared/k8s-semantics.md)."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import attrs
import pytest

from kmodel.components import apiserver, scheduler
from kmodel.settings import Settings
from kmodel.state import (
    COND_FALSE,
    LABEL_CONTROL_PLANE,
    LABEL_HOSTNAME,
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    ControlPlane,
    Node,
    Pod,
    PodTemplate,
    ReplicaSet,
    Resources,
    Taint,
    Toleration,
    labels_of,
)
from kmodel.transition import Outcome

WEB = labels_of({"app": "web"})


def mknode(name: str, *taints: Taint, labels: dict[str, str] | None = None, **kw: Any) -> Node:
    return Node(name=name, labels=labels_of({LABEL_HOSTNAME: name, **(labels or {})}), taints=taints, **kw)


# The filter reasons below name the taint, as releases 1.24 to 1.33 print them; the wording of
# every release is tested in test_taint_wording_follows_the_release.
WORDING_RELEASE = Settings(kubernetes_version="1.33")


def mkcluster(*nodes: Node, pods: tuple[Pod, ...] = (), settings: Settings | None = None, **kw: Any) -> Cluster:
    c = Cluster(settings=settings or WORDING_RELEASE, nodes=tuple(sorted(nodes, key=attrgetter("name"))), **kw)
    for p in pods:
        c = c.with_pod(p)
    return c


def admitted(c: Cluster, pod: Pod) -> Cluster:
    """Create the pod through the apiserver (default NoExecute tolerations added)."""
    return apiserver.create_pod(c, pod)


def get(c: Cluster, name: str) -> Pod:
    pod = c.pod(name)
    assert pod is not None, name
    return pod


def bindings(outs: list[Outcome], pod: str) -> list[str | None]:
    return [get(o.state, pod).node_name for o in outs]


# --- TaintToleration matching -------------------------------------------------------------------

DEDICATED = Taint(key="dedicated", value="user1", effect=NO_SCHEDULE)
FOO = Taint(key="foo", value="bar", effect=NO_SCHEDULE)


def tol(key: str, operator: str, value: str = "", effect: str = "") -> Toleration:
    return Toleration(key=key, operator=operator, value=value, effect=effect)


# The conformance table of k8s-semantics.md (taint_toleration_test.go): pod tolerations, node
# taint, does some toleration tolerate the taint, does the node pass the filter.
CONFORMANCE = [
    pytest.param((), DEDICATED, False, False, id="none"),
    pytest.param((tol("dedicated", "", "user1", NO_SCHEDULE),), DEDICATED, True, True, id="empty-operator"),
    pytest.param((tol("dedicated", "Equal", "user2", NO_SCHEDULE),), DEDICATED, False, False, id="other-value"),
    pytest.param((tol("foo", "Exists", effect=NO_SCHEDULE),), FOO, True, True, id="exists"),
    pytest.param((tol("foo", "Equal", "bar", PREFER_NO_SCHEDULE),), FOO, False, False, id="other-effect"),
    pytest.param((tol("foo", "Equal", "bar"),), FOO, True, True, id="empty-effect"),
    pytest.param((), attrs.evolve(DEDICATED, effect=PREFER_NO_SCHEDULE), False, True, id="PreferNoSchedule"),
]


@pytest.mark.parametrize(("tolerations", "taint", "tolerated", "passes"), CONFORMANCE)
def test_taint_toleration_conformance(
    tolerations: tuple[Toleration, ...], taint: Taint, tolerated: bool, passes: bool
) -> None:
    assert any(t.tolerates(taint) for t in tolerations) is tolerated
    c = mkcluster(mknode("n", taint))
    pod = Pod(name="p", tolerations=tolerations)
    expected = [] if passes else [f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"]
    assert scheduler.filter_reasons(c, pod, c.nodes[0]) == expected


@pytest.mark.parametrize("effect", [NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE])
def test_empty_effect_matches_every_effect(effect: str) -> None:
    taint = Taint(key="k", value="v", effect=effect)
    assert Toleration(key="k", operator="Exists").tolerates(taint)
    assert Toleration(key="k", operator="Equal", value="v").tolerates(taint)
    other = NO_EXECUTE if effect != NO_EXECUTE else NO_SCHEDULE
    assert not Toleration(key="k", operator="Exists", effect=other).tolerates(taint)


def test_empty_key_with_exists_matches_every_key() -> None:
    for key in ("a", "node.kubernetes.io/unreachable", "dedicated"):
        assert Toleration(operator="Exists").tolerates(Taint(key=key, value="x", effect=NO_EXECUTE))
        assert Toleration(operator="Exists", effect=NO_SCHEDULE).tolerates(Taint(key=key, effect=NO_SCHEDULE))
        assert not Toleration(operator="Exists", effect=NO_SCHEDULE).tolerates(Taint(key=key, effect=NO_EXECUTE))
    c = mkcluster(mknode("n", DEDICATED, FOO, Taint(key="z", effect=NO_EXECUTE, time_added=0)))
    assert scheduler.filter_reasons(c, Pod(name="p", tolerations=(Toleration(operator="Exists"),)), c.nodes[0]) == []


def test_exists_ignores_the_value_and_equal_needs_it() -> None:
    for value in ("", "bar", "other"):
        taint = Taint(key="foo", value=value, effect=NO_SCHEDULE)
        assert Toleration(key="foo", operator="Exists", effect=NO_SCHEDULE).tolerates(taint)
        assert Toleration(key="foo", operator="Equal", value="bar").tolerates(taint) is (value == "bar")
        assert not Toleration(key="fo", operator="Exists").tolerates(taint)


def test_prefer_no_schedule_taints_never_filter() -> None:
    prefer = (Taint(key="a", effect=PREFER_NO_SCHEDULE), Taint(key="b", value="x", effect=PREFER_NO_SCHEDULE))
    c = admitted(mkcluster(mknode("n", *prefer)), Pod(name="p"))
    assert scheduler.filter_reasons(c, get(c, "p"), c.nodes[0]) == []
    assert bindings(scheduler.step(c), "p") == ["n"]


def test_default_noexecute_tolerations_do_not_tolerate_noschedule_condition_taints() -> None:
    node = mknode("n", Taint(key=TAINT_NOT_READY, effect=NO_SCHEDULE))
    c = admitted(mkcluster(node), Pod(name="p"))
    reasons = scheduler.filter_reasons(c, get(c, "p"), c.nodes[0])
    assert reasons == ["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"]


# --- failure messages ---------------------------------------------------------------------------

CP_TAINT = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
UNREACHABLE_TAINT = "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"
FIT_ERROR = f"0/3 nodes are available: 1 {CP_TAINT}, 2 {UNREACHABLE_TAINT}."


def no_workers(settings: Settings | None = None) -> Cluster:
    """kind's shape with both workers lost: control plane tainted, workers unreachable."""
    unreachable = Taint(key=TAINT_UNREACHABLE, effect=NO_SCHEDULE)
    cp = mknode("cp", Taint(key=LABEL_CONTROL_PLANE, effect=NO_SCHEDULE), labels={LABEL_CONTROL_PLANE: ""})
    c = mkcluster(cp, mknode("w1", unreachable), mknode("w2", unreachable), settings=settings)
    return admitted(c, Pod(name="web-1", owner=None, labels=WEB))


def test_failure_message_function() -> None:
    reasons = {"cp": [CP_TAINT], "w1": [UNREACHABLE_TAINT], "w2": [UNREACHABLE_TAINT]}
    assert scheduler.failure_message(3, reasons) == FIT_ERROR
    assert scheduler.failure_message(3, reasons, version="1.23") == FIT_ERROR


def test_failure_message_counts_are_sorted_as_strings() -> None:
    reasons = {f"u{i}": ["node(s) were unschedulable"] for i in range(10)}
    reasons |= {"c1": ["Insufficient cpu"], "c2": ["Insufficient cpu"]}
    # sort.Strings: "10 ..." < "2 ...", neither numeric nor by reason
    expected = "0/12 nodes are available: 10 node(s) were unschedulable, 2 Insufficient cpu."
    assert scheduler.failure_message(12, reasons) == expected


def test_failed_step_reports_fit_error_and_preemption() -> None:
    """Current releases append the DefaultPreemption PostFilter's message to FitError's (as in
    tests/test_seeds.py TestNoWorkers): no node can be helped by preemption here."""
    c = no_workers()
    outs = scheduler.step(c)
    assert len(outs) == 1
    (event,) = outs[0].events
    preemption = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    assert event.message == f"{FIT_ERROR} {preemption}"
    assert (event.reason, event.type, event.object, event.source) == (
        "FailedScheduling",
        "Warning",
        "pod/web-1",
        "default-scheduler",
    )
    after = outs[0].state
    assert get(after, "web-1").node_name is None
    assert after.sched_attempted == {"web-1"}
    assert scheduler.step(after) == [], "tried once per tick"


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        # seed 003 (v1.16): no taint named, no PostFilter message
        ("1.16", "0/3 nodes are available: 3 node(s) had taints that the pod didn't tolerate."),
        # kubernetes PR 87250 (1.18): the taint is named
        (
            "1.20",
            "0/3 nodes are available: 1 node(s) had taint {node-role.kubernetes.io/control-plane: }, that the pod "
            "didn't tolerate, 2 node(s) had taint {node.kubernetes.io/unreachable: }, that the pod didn't tolerate.",
        ),
        # PR 109119 (1.24) shortens it; PR 107775 (1.24) appends DefaultPreemption's diagnosis
        (
            "v1.24",
            f"{FIT_ERROR} preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        ),
        # PR 134740 (1.35, and the 1.34 patch releases) hides taint keys and values; DynamicResources'
        # PostFilter (on by default since 1.34) speaks before DefaultPreemption
        (
            "1.37",
            "0/3 nodes are available: 3 node(s) had untolerated taint(s). no new claims to deallocate, "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        ),
    ],
)
def test_taint_wording_follows_the_release(release: str, expected: str) -> None:
    outs = scheduler.step(no_workers(Settings(kubernetes_version=release)))
    assert outs[0].events[0].message == expected


def test_resource_reasons() -> None:
    full = mknode("n", capacity=Resources(cpu=1000, memory=4 * 1024**3, pods=1))
    c = mkcluster(full, pods=(Pod(name="there", node_name="n", requests=Resources(cpu=500)),))
    big = Pod(name="big", requests=Resources(cpu=1500))
    assert scheduler.filter_reasons(c, big, full) == ["Too many pods", "Insufficient cpu"]
    roomy = attrs.evolve(full, capacity=Resources(cpu=1000, memory=4 * 1024**3, pods=10))
    c = admitted(mkcluster(roomy, pods=c.pods), Pod(name="p", requests=Resources(cpu=800)))
    message = scheduler.step(c)[0].events[0].message
    assert message == (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )


# --- filter order ---------------------------------------------------------------------------------


def test_unschedulable_is_reported_before_taints() -> None:
    node = mknode("n", Taint(key="dedicated", value="x", effect=NO_SCHEDULE), unschedulable=True)
    c = mkcluster(node)
    assert scheduler.filter_reasons(c, Pod(name="p"), node) == ["node(s) were unschedulable"]
    # a pod tolerating the unschedulable taint passes NodeUnschedulable and meets TaintToleration
    tol = Toleration(key=TAINT_UNSCHEDULABLE, operator="Exists", effect=NO_SCHEDULE)
    reasons = scheduler.filter_reasons(c, Pod(name="p", tolerations=(tol,)), node)
    assert reasons == ["node(s) had untolerated taint {dedicated: x}"]


def test_node_selector_mismatch() -> None:
    ssd = mknode("ssd", labels={"disk": "ssd"})
    hdd = mknode("hdd", labels={"disk": "hdd"})
    pod = Pod(name="p", node_selector=labels_of({"disk": "ssd"}))
    c = mkcluster(ssd, hdd)
    assert scheduler.filter_reasons(c, pod, hdd) == ["node(s) didn't match Pod's node affinity/selector"]
    assert scheduler.filter_reasons(c, pod, ssd) == []
    tainted = mknode("t", Taint(key="k", effect=NO_SCHEDULE), labels={"disk": "hdd"})
    assert scheduler.filter_reasons(c, pod, tainted) == ["node(s) had untolerated taint {k: }"]
    assert bindings(scheduler.step(admitted(c, pod)), "p") == ["ssd"]


# --- ties and scores --------------------------------------------------------------------------------


def test_tie_offers_every_best_node() -> None:
    c = admitted(mkcluster(mknode("a"), mknode("b")), Pod(name="p"))
    outs = scheduler.step(c)
    assert bindings(outs, "p") == ["a", "b"]
    assert [o.label for o in outs] == ["bind p to a (tie among a, b)", "bind p to b (tie among a, b)"]
    assert [o.events[0].message for o in outs] == [f"Successfully assigned default/p to {n}" for n in "ab"]
    assert all(o.events[0].reason == "Scheduled" and o.state.sched_attempted == {"p"} for o in outs)


def test_spread_prefers_the_node_without_a_sibling() -> None:
    rs = ReplicaSet(name="web-x", replicas=2, selector=WEB, template=PodTemplate(labels=WEB))
    sibling = Pod(name="web-x-1", owner="web-x", labels=WEB, node_name="a")
    stranger = Pod(name="other", labels=labels_of({"app": "db"}), node_name="b")  # same requests
    c = mkcluster(mknode("a"), mknode("b"), pods=(sibling, stranger)).with_replicaset(rs)
    outs = scheduler.step(admitted(c, Pod(name="web-x-2", owner="web-x", labels=WEB)))
    assert bindings(outs, "web-x-2") == ["b"]
    assert "tie" not in outs[0].label
    # without an owner or Service the default spread does not apply: a and b tie
    assert bindings(scheduler.step(admitted(c, Pod(name="solo"))), "solo") == ["a", "b"]


def test_least_allocated_prefers_the_emptier_node() -> None:
    hog = Pod(name="hog", node_name="a", requests=Resources(cpu=1500))
    c = admitted(mkcluster(mknode("a"), mknode("b"), pods=(hog,)), Pod(name="p"))
    assert bindings(scheduler.step(c), "p") == ["b"]


MI = 1024**2


def test_balanced_allocation_rounds_as_kube_scheduler() -> None:
    """balancedResourceScorer computes |f_cpu - f_mem| / 2 for two resources: with the node's
    CPU fully requested and 320Mi of 1000Mi memory, std is 0.34 and the score 66 (the square root
    of the variance rounds just above 0.34, which would give 65)."""
    node = mknode("a", capacity=Resources(cpu=1000, memory=1000 * MI, pods=110))
    pod = Pod(name="p", requests=Resources(cpu=1000, memory=320 * MI))
    assert scheduler._balanced_allocation({}, pod, node) == 66


def test_a_resource_the_node_has_none_of_is_left_out_of_the_scores() -> None:
    """The scorers skip a resource whose allocatable is 0: memory alone decides here (LeastAllocated
    (1000Mi - 500Mi) / 1000Mi = 50, BalancedAllocation one fraction, std 0)."""
    node = mknode("a", capacity=Resources(cpu=0, memory=1000 * MI, pods=110))
    pod = Pod(name="p", requests=Resources(memory=300 * MI))
    usage = {"a": scheduler.Usage(Resources(memory=200 * MI), Resources(cpu=100, memory=200 * MI))}
    assert scheduler._least_allocated(usage, pod, node) == 50
    assert scheduler._balanced_allocation(usage, pod, node) == 100


def test_untolerated_prefer_no_schedule_taint_loses() -> None:
    c = mkcluster(mknode("a", Taint(key="k", effect=PREFER_NO_SCHEDULE)), mknode("b"))
    assert bindings(scheduler.step(admitted(c, Pod(name="p"))), "p") == ["b"]
    # only tolerations with an empty or PreferNoSchedule effect count for the score
    wrong = Toleration(key="k", operator="Exists", effect=NO_SCHEDULE)
    assert bindings(scheduler.step(admitted(c, Pod(name="q", tolerations=(wrong,)))), "q") == ["b"]
    right = Toleration(key="k", operator="Exists", effect=PREFER_NO_SCHEDULE)
    assert bindings(scheduler.step(admitted(c, Pod(name="r", tolerations=(right,)))), "r") == ["a", "b"]


# --- when the scheduler does nothing --------------------------------------------------------------


def test_no_rebalancing_of_bound_pods() -> None:
    pods = tuple(Pod(name=f"web-{i}", labels=WEB, node_name="a", phase="Running", ready=True) for i in range(3))
    c = mkcluster(mknode("a"), mknode("b"), pods=pods)
    assert scheduler.step(c) == []
    assert not scheduler.has_work(c)


@pytest.mark.parametrize("down", ["scheduler", "apiserver", "etcd"])
def test_no_step_without_a_running_scheduler_and_apiserver(down: str) -> None:
    c = admitted(mkcluster(mknode("a")), Pod(name="p"))
    stopped = attrs.evolve(c, control_plane=attrs.evolve(ControlPlane(), **{down: False}))
    assert scheduler.step(stopped) == []
    assert scheduler.step(c) != []


def test_pods_already_tried_this_tick_are_skipped_and_the_oldest_goes_first() -> None:
    c = mkcluster(mknode("a"), pods=(Pod(name="young", created=10), Pod(name="old", created=0)))
    assert scheduler.step(c)[0].label == "bind old to a"
    tried = attrs.evolve(c, sched_attempted=frozenset({"old"}))
    assert scheduler.step(tried)[0].label == "bind young to a"
    assert scheduler.step(attrs.evolve(c, sched_attempted=frozenset({"old", "young"}))) == []


def test_terminating_pods_are_not_scheduled() -> None:
    c = mkcluster(mknode("a"), pods=(Pod(name="p", deletion_timestamp=0),))
    assert scheduler.step(c) == []


def test_binds_to_a_not_ready_node_that_has_no_taint_yet() -> None:
    """The scheduler filters by taints, not by node conditions (CheckNodeCondition was replaced by
    TaintNodesByCondition), as the real one does: a node whose kubelet just reported NotReady
    still gets pods until the node lifecycle controller adds not-ready:NoSchedule."""
    sick = mknode("sick", ready=COND_FALSE, ready_reason="KubeletNotReady")
    c = admitted(mkcluster(sick), Pod(name="p"))
    assert bindings(scheduler.step(c), "p") == ["sick"]
    tainted = c.with_node(attrs.evolve(sick, taints=(Taint(key=TAINT_NOT_READY, effect=NO_SCHEDULE),)))
    assert scheduler.step(tainted)[0].events[0].reason == "FailedScheduling"


# --- PodTopologySpread through the whole scheduler ------------------------------------------------


def test_zone_outage_replacement_waits_under_a_hard_zone_spread() -> None:
    """scenarios/zone-spread-outage.yaml: the evicted replica's replacement fails on every node,
    with TaintToleration's reason on the lost node and PodTopologySpread's on the others, and the
    spread status (Unschedulable) lets preemption look for victims there."""
    from kmodel.engines.simulate import simulate
    from kmodel.scenario import load
    from tests.conftest import SCENARIOS

    sim = simulate(load(SCENARIOS / "zone-spread-outage.yaml"))
    failed = [e for e in sim.events if e.reason == "FailedScheduling"]
    assert failed and {e.t for e in failed} >= {410}
    assert failed[0].message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match pod topology "
        "spread constraints. no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption "
        "is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )
    placed = [e for e in sim.events if e.reason == "Scheduled" and e.t >= 410]
    assert [(e.t, e.message.rsplit(" ", 1)[1]) for e in placed] == [(720, "node-c")]


def test_topology_spread_constraints_are_read_from_the_manifest(tmp_path: Any) -> None:
    """An unset labelSelector stays None (it selects no pod); defaults: Honor / Ignore, no
    minDomains; the template's constraints reach the pods."""
    from kmodel.labels import LabelSelector
    from kmodel.schedulingspec import TopologySpreadConstraint
    from tests.builders import manifest_scenario
    from tests.conftest import DEPLOYMENT

    body = DEPLOYMENT.replace(
        "      containers:\n",
        "      topologySpreadConstraints:\n"
        "        - {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, minDomains: 3,\n"
        "           labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [pod-template-hash],\n"
        "           nodeTaintsPolicy: Honor}\n"
        "        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}\n"
        "      containers:\n",
    )
    scen = manifest_scenario(tmp_path, body)
    d = scen.initial_state().deployments[0]
    assert d.template.scheduling.topology_spread == (
        TopologySpreadConstraint(
            2, "zone", "DoNotSchedule", LabelSelector((("app", "web"),)), 3, "Honor", "Honor", ("pod-template-hash",)
        ),
        TopologySpreadConstraint(1, LABEL_HOSTNAME, "ScheduleAnyway", None),
    )


def test_a_tie_among_many_nodes_names_eight_and_counts_the_rest() -> None:
    """A bind on a big cluster of identical nodes ties thousands of them: the label stays short."""
    from kmodel.components.scheduler import tie_note

    nodes = [f"worker-{i}" for i in range(1, 1_668)]
    assert tie_note(nodes) == (
        " (tie among worker-1, worker-2, worker-3, worker-4, worker-5, worker-6, worker-7, worker-8 and 1,659 more)"
    )
    assert tie_note(nodes[:8]).count("worker-") == 8 and "more" not in tie_note(nodes[:8])
