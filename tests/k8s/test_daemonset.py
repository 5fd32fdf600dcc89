"""DaemonSet controller, translated from pkg/controller/daemon/daemon_controller_test.go,
pkg/controller/daemon/update_test.go and pkg/controller/daemon/util/daemonset_util_test.go.

One ``daemonset.step`` syncs every DaemonSet. "Creates" are new pods owned by the DaemonSet,
"deletes" pods given a deletionTimestamp (or removed: a Failed pod goes at once); "events" are
the events the controller records itself (FailedDaemonPod, SucceededDaemonPod): the Go tests'
fake recorder does not see the pod control's SuccessfulCreate / SuccessfulDelete.

The Go tests' ``newDaemonSet`` has the OnDelete strategy and most tests run once per strategy
(``updateStrategies``: OnDelete, and RollingUpdate with maxUnavailable 1); so do these. Their
``newNode`` is Ready with no taints; ``addPods`` makes pods bound to a node, owned by the
DaemonSet, carrying the current ``controller-revision-hash``, with no status (Pending, not
ready). The fake pod control removes a deleted pod from the store at once; between two syncs
the helper :func:`settle` does the same with the model's Terminating pods (``clearExpectations``).
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import daemonset
from kmodel.components.daemonset import HASH_LABEL
from kmodel.labels import IN, Requirement
from kmodel.schedulingspec import HostPort, NodeAffinity, NodeSelectorTerm, SchedulingSpec
from kmodel.state import (
    FAILED,
    NO_EXECUTE,
    NO_SCHEDULE,
    PENDING,
    SUCCEEDED,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Cluster,
    DaemonSet,
    Pod,
    PodTemplate,
    Resources,
    Taint,
    Toleration,
    labels_of,
)
from tests.k8s.conftest import apply, at, mkcluster, mknode

SIMPLE = labels_of({"name": "simple-daemon", "type": "production"})
SIMPLE2 = labels_of({"name": "simple-daemon", "type": "test"})
NODE_LABEL = {"color": "blue", "speed": "fast"}
NODE_LABEL2 = {"color": "red", "speed": "fast"}
NO_SCHEDULE_TOLERATIONS = (Toleration(key="dedicated", value="user1", effect=NO_SCHEDULE),)
NO_SCHEDULE_TAINTS = (Taint(key="dedicated", value="user1", effect=NO_SCHEDULE),)
NO_EXECUTE_TAINTS = (Taint(key="dedicated", value="user1", effect=NO_EXECUTE, time_added=0),)

ON_DELETE = {"strategy": "OnDelete"}
ROLLING = {"strategy": "RollingUpdate", "max_unavailable": "1"}
STRATEGIES = pytest.mark.parametrize("strategy", [ON_DELETE, ROLLING], ids=["OnDelete", "RollingUpdate"])


def mkds(name: str = "foo", strategy: dict[str, str] | None = None, **template: object) -> DaemonSet:
    """``newDaemonSet(name)``: selector and template labels simpleDaemonSetLabel."""
    return DaemonSet(
        name=name,
        selector=SIMPLE,
        template=PodTemplate(labels=SIMPLE, **template),  # type: ignore[arg-type]
        **(strategy or ON_DELETE),
    )


def nodes(start: int, count: int, labels: dict[str, str] | None = None) -> list:
    """``addNodes(store, start, count, labels)``: node-<i>."""
    return [mknode(f"node-{i}", labels=labels) for i in range(start, start + count)]


def daemon_pods(ds: DaemonSet | None, node: str, count: int, labels=SIMPLE, tag: str = "", **kw: object) -> list[Pod]:
    """``addPods(store, node, labels, ds, count)``: owned by ``ds`` (None: orphans), with the
    current revision hash, bound to ``node``, no status."""
    out = []
    for i in range(count):
        pod_labels = labels
        if ds is not None:
            pod_labels = tuple(sorted({**dict(labels), HASH_LABEL: daemonset.revision_hash(ds)}.items()))
        out.append(
            Pod(
                name=f"{node}-{tag}{i}",
                owner=ds.name if ds is not None else None,
                owner_kind="DaemonSet",
                labels=pod_labels,
                node_name=node,
                **kw,  # type: ignore[arg-type]
            )
        )
    return out


def sync(c: Cluster) -> tuple[Cluster, set[str], set[str], list[str]]:
    """One sync: the new state, the pods created, the pods deleted, the recorder's events."""
    before = {p.name: p for p in c.pods}
    after, events = apply(daemonset.step, c)
    now = {p.name: p for p in after.pods}
    created = set(now) - set(before)
    deleted = {n for n, p in before.items() if p.deletion_timestamp is None and (n not in now or now[n].terminating)}
    recorded = [e.reason for e in events if e.reason not in ("SuccessfulCreate", "SuccessfulDelete")]
    return after, created, deleted, recorded


def expect(c: Cluster, creates: int, deletes: int, events: int = 0) -> Cluster:
    """``expectSyncDaemonSets(manager, ds, podControl, creates, deletes, events)``."""
    after, created, deleted, recorded = sync(c)
    assert (len(created), len(deleted), len(recorded)) == (creates, deletes, events), (created, deleted, recorded)
    for name in created:
        pod = after.pod(name)
        assert pod is not None and pod.owner_kind == "DaemonSet"
    return after


def settle(c: Cluster) -> Cluster:
    """``clearExpectations``: deleted pods are gone (the fake pod control removes them)."""
    return attrs.evolve(c, pods=tuple(p for p in c.pods if not p.terminating))


def mark_ready(c: Cluster) -> Cluster:
    """``markPodsReady``: every pod gets Ready=True (now)."""
    return attrs.evolve(
        c, pods=tuple(attrs.evolve(p, ready=True, ready_since=c.now) if not p.ready else p for p in c.pods)
    )


def cluster(*ns, ds: DaemonSet, pods: list[Pod] | tuple[Pod, ...] = ()) -> Cluster:
    return mkcluster(*ns, pods=pods, daemonsets=(ds,))


# --- daemon_controller_test.go ------------------------------------------------------------------


@STRATEGIES
def test_simple_daemon_set_launches_pods(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestSimpleDaemonSetLaunchesPods: 5 nodes, 5 creates."""
    expect(cluster(*nodes(0, 5), ds=mkds(strategy=strategy)), 5, 0)


@STRATEGIES
def test_simple_daemon_set_updates_status_after_launching_pods(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestSimpleDaemonSetUpdatesStatusAfterLaunchingPods: the same sync
    writes currentNumberScheduled 5 (and desiredNumberScheduled 5)."""
    after = expect(cluster(*nodes(0, 5), ds=mkds(strategy=strategy)), 5, 0)
    ds = after.daemonset("foo")
    assert ds is not None and (ds.status_current, ds.status_desired) == (5, 5)


@STRATEGIES
def test_no_nodes_does_nothing(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestNoNodesDoesNothing."""
    expect(cluster(ds=mkds(strategy=strategy)), 0, 0)


@STRATEGIES
def test_one_node_daemon_launches_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestOneNodeDaemonLaunchesPod: one create, and the pod carries the
    node affinity ``metadata.name In [only-node]`` for the scheduler (no nodeName)."""
    after = expect(cluster(mknode("only-node"), ds=mkds(strategy=strategy)), 1, 0)
    (pod,) = after.pods
    assert pod.node_name is None
    assert daemonset.target_node(pod) == "only-node"


@STRATEGIES
def test_not_ready_node_daemon_does_launch_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestNotReadyNodeDaemonDoesLaunchPod: Ready=False (no taint): 1 create."""
    expect(cluster(mknode("not-ready", ready="False"), ds=mkds(strategy=strategy)), 1, 0)


@STRATEGIES
def test_insufficient_capacity_node_does_not_unschedule_running_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestInsufficientCapacityNodeDaemonDoesNotUnscheduleRunningPod: a
    template pinned to node too-much-mem (75M, 75m) and another pod there with the same requests
    on a 100M / 200m node: the controller does not look at room, 1 create, 0 deletes."""
    req = Resources(cpu=75, memory=75 * 10**6)
    node = mknode("too-much-mem", capacity=Resources(cpu=200, memory=100 * 10**6, pods=100))
    other = Pod(name="other", node_name="too-much-mem", requests=req, phase="Running")
    ds = mkds(strategy=strategy, node_name="too-much-mem", requests=req)
    expect(cluster(node, ds=ds, pods=[other]), 1, 0)


def test_insufficient_capacity_node_sufficient_capacity_with_node_label_daemon_launch_pod() -> None:
    """daemon_controller_test.go TestInsufficientCapacityNodeSufficientCapacityWithNodeLabelDaemonLaunchPod:
    nodeSelector simpleNodeLabel; only the labelled node gets a pod, and no event is recorded."""
    req = Resources(cpu=75, memory=50 * 10**6)
    small = mknode("not-enough-resource", capacity=Resources(cpu=20, memory=10 * 10**6, pods=100))
    big = mknode("enough-resource", labels=NODE_LABEL, capacity=Resources(cpu=200, memory=100 * 10**6, pods=100))
    ds = mkds(requests=req, node_selector=labels_of(NODE_LABEL))
    expect(cluster(small, big, ds=ds), 1, 0, 0)


@STRATEGIES
def test_deals_with_existing_pods(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestDealsWithExistingPods: node-1 has 1 pod, node-2 2, node-3 5,
    node-4 2 whose labels no longer match (released): 2 creates (node-0, node-4), 5 deletes."""
    ds = mkds(strategy=strategy)
    pods = (
        daemon_pods(ds, "node-1", 1)
        + daemon_pods(ds, "node-2", 2)
        + daemon_pods(ds, "node-3", 5)
        + daemon_pods(ds, "node-4", 2, labels=SIMPLE2)
    )
    expect(cluster(*nodes(0, 5), ds=ds, pods=pods), 2, 5)


@STRATEGIES
def test_selector_daemon_launches_pods(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestSelectorDaemonLaunchesPods: 4 plain nodes, 3 labelled: 3 creates."""
    ds = mkds(strategy=strategy, node_selector=labels_of(NODE_LABEL))
    expect(cluster(*nodes(0, 4), *nodes(4, 3, NODE_LABEL), ds=ds), 3, 0)


@STRATEGIES
def test_selector_daemon_deletes_unselected_pods(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestSelectorDaemonDeletesUnselectedPods: 5 creates (the labelled
    nodes), 4 deletes (node-1's 3 pods and node-4's, on unlabelled nodes)."""
    ds = mkds(strategy=strategy, node_selector=labels_of(NODE_LABEL))
    pods = (
        daemon_pods(ds, "node-0", 2, labels=SIMPLE2)
        + daemon_pods(ds, "node-1", 3)
        + daemon_pods(ds, "node-1", 1, labels=SIMPLE2, tag="b")
        + daemon_pods(ds, "node-4", 1)
    )
    expect(cluster(*nodes(0, 5), *nodes(5, 5, NODE_LABEL), ds=ds, pods=pods), 5, 4)


@STRATEGIES
def test_selector_daemon_deals_with_existing_pods(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestSelectorDaemonDealsWithExistingPods: 3 creates, 20 deletes."""
    ds = mkds(strategy=strategy, node_selector=labels_of(NODE_LABEL))
    pods = (
        daemon_pods(ds, "node-0", 1)
        + daemon_pods(ds, "node-1", 3)
        + daemon_pods(ds, "node-1", 2, labels=SIMPLE2, tag="b")
        + daemon_pods(ds, "node-2", 4)
        + daemon_pods(ds, "node-6", 13)
        + daemon_pods(ds, "node-7", 4, labels=SIMPLE2)
        + daemon_pods(ds, "node-9", 1)
        + daemon_pods(ds, "node-9", 1, labels=SIMPLE2, tag="b")
    )
    expect(cluster(*nodes(0, 5), *nodes(5, 5, NODE_LABEL), ds=ds, pods=pods), 3, 20)


@STRATEGIES
def test_bad_selector_daemon_does_nothing(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestBadSelectorDaemonDoesNothing: nodeSelector simpleNodeLabel2."""
    ds = mkds(strategy=strategy, node_selector=labels_of(NODE_LABEL2))
    expect(cluster(*nodes(0, 4), *nodes(4, 3, NODE_LABEL), ds=ds), 0, 0)


@STRATEGIES
@pytest.mark.parametrize(
    ("node_name", "selector", "creates"),
    [
        ("node-0", None, 1),  # TestNameDaemonSetLaunchesPods
        ("node-10", None, 0),  # TestBadNameDaemonSetDoesNothing
        ("node-6", NODE_LABEL, 1),  # TestNameAndSelectorDaemonSetLaunchesPods
        ("node-0", NODE_LABEL, 0),  # TestInconsistentNameSelectorDaemonSetDoesNothing
    ],
    ids=[
        "TestNameDaemonSetLaunchesPods",
        "TestBadNameDaemonSetDoesNothing",
        "TestNameAndSelectorDaemonSetLaunchesPods",
        "TestInconsistentNameSelectorDaemonSetDoesNothing",
    ],
)
def test_name_daemon_sets(
    strategy: dict[str, str], node_name: str, selector: dict[str, str] | None, creates: int
) -> None:
    """daemon_controller_test.go TestNameDaemonSetLaunchesPods, TestBadNameDaemonSetDoesNothing,
    TestNameAndSelectorDaemonSetLaunchesPods, TestInconsistentNameSelectorDaemonSetDoesNothing:
    a template with spec.nodeName (and a nodeSelector)."""
    template: dict[str, object] = {"node_name": node_name}
    ns = [*nodes(0, 5)] if selector is None else [*nodes(0, 4), *nodes(4, 3, selector)]
    if selector is not None:
        template["node_selector"] = labels_of(selector)
    expect(cluster(*ns, ds=mkds(strategy=strategy, **template)), creates, 0)


@STRATEGIES
def test_node_affinity_daemon_launches_pods(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestNodeAffinityDaemonLaunchesPods: required node affinity
    color In [blue]: 3 creates; the pods' required terms are replaced by metadata.name In."""
    term = NodeSelectorTerm(match_expressions=(Requirement("color", IN, ("blue",)),))
    spec = SchedulingSpec(node_affinity=NodeAffinity(required=(term,)))
    after = expect(cluster(*nodes(0, 4), *nodes(4, 3, NODE_LABEL), ds=mkds(strategy=strategy, scheduling=spec)), 3, 0)
    assert sorted(daemonset.target_node(p) for p in after.pods) == ["node-4", "node-5", "node-6"]


@STRATEGIES
def test_number_ready_status(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestNumberReadyStatus: two pods not ready, numberReady 0; once
    they are ready, 2."""
    ds = mkds(strategy=strategy)
    pods = daemon_pods(ds, "node-0", 1) + daemon_pods(ds, "node-1", 1)
    c = expect(cluster(*nodes(0, 2, NODE_LABEL), ds=ds, pods=pods), 0, 0)
    assert c.daemonsets[0].status_ready == 0
    c = expect(mark_ready(c), 0, 0)
    assert c.daemonsets[0].status_ready == 2


@STRATEGIES
@pytest.mark.parametrize(
    ("failed", "normal", "creates", "deletes", "events"),
    [(0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 1, 1), (1, 3, 0, 3, 1)],
    ids=[
        "normal (do nothing)",
        "no pods (create 1)",
        "1 failed pod (kill 1), 0 normal pod (create 0; will create in the next sync)",
        "1 failed pod (kill 1), 3 normal pods (kill 2)",
    ],
)
def test_daemon_kill_failed_pods(
    strategy: dict[str, str], failed: int, normal: int, creates: int, deletes: int, events: int
) -> None:
    """daemon_controller_test.go TestDaemonKillFailedPods."""
    ds = mkds(strategy=strategy)
    pods = daemon_pods(ds, "node-0", failed, tag="f", phase=FAILED) + daemon_pods(ds, "node-0", normal)
    expect(cluster(*nodes(0, 1), ds=ds, pods=pods), creates, deletes, events)


@STRATEGIES
def test_daemon_kill_failed_pods_backoff(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestDaemonKillFailedPodsBackoff: the first sync deletes the failed
    pod and starts the backoff (FailedDaemonPod); a failed pod again at once is left alone; once
    the delay (1 s in kube-controller-manager) has passed it is deleted again."""
    ds = mkds(strategy=strategy)
    failed = daemon_pods(ds, "node-0", 1, phase=FAILED)
    c = expect(cluster(*nodes(0, 1), ds=ds, pods=failed), 0, 1, 1)
    assert c.memory.daemon_backoff == (("foo/node-0", (1, 0)),)
    again = attrs.evolve(c, pods=tuple(failed))
    c = expect(again, 0, 0, 0)
    assert c.memory.daemon_backoff == (("foo/node-0", (1, 0)),)  # not raised while waiting
    c = expect(at(attrs.evolve(c, pods=tuple(failed)), 1), 0, 1, 1)
    assert c.memory.daemon_backoff == (("foo/node-0", (2, 1)),)


@STRATEGIES
def test_no_schedule_tainted_doesnt_evict_running_intolerant_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod."""
    ds = mkds("intolerant", strategy=strategy)
    c = cluster(mknode("tainted", taints=NO_SCHEDULE_TAINTS), ds=ds, pods=daemon_pods(ds, "tainted", 1))
    expect(c, 0, 0)


@STRATEGIES
def test_no_execute_tainted_does_evict_running_intolerant_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestNoExecuteTaintedDoesEvicitRunningIntolerantPod."""
    ds = mkds("intolerant", strategy=strategy)
    c = cluster(mknode("tainted", taints=NO_EXECUTE_TAINTS), ds=ds, pods=daemon_pods(ds, "tainted", 1))
    expect(c, 0, 1)


@STRATEGIES
def test_tainted_node_daemon_does_not_launch_intolerant_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestTaintedNodeDaemonDoesNotLaunchIntolerantPod."""
    expect(cluster(mknode("tainted", taints=NO_SCHEDULE_TAINTS), ds=mkds("intolerant", strategy=strategy)), 0, 0)


@STRATEGIES
def test_tainted_node_daemon_launches_tolerate_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestTaintedNodeDaemonLaunchesToleratePod."""
    ds = mkds("tolerate", strategy=strategy, tolerations=NO_SCHEDULE_TOLERATIONS)
    expect(cluster(mknode("tainted", taints=NO_SCHEDULE_TAINTS), ds=ds), 1, 0)


@STRATEGIES
@pytest.mark.parametrize(
    ("key", "ready"),
    [(TAINT_NOT_READY, "False"), (TAINT_UNREACHABLE, "Unknown")],
    ids=["TestNotReadyNodeDaemonLaunchesPod", "TestUnreachableNodeDaemonLaunchesPod"],
)
def test_condition_tainted_node_daemon_launches_pod(strategy: dict[str, str], key: str, ready: str) -> None:
    """daemon_controller_test.go TestNotReadyNodeDaemonLaunchesPod, TestUnreachableNodeDaemonLaunchesPod:
    a node with the not-ready (unreachable) NoExecute taint gets a pod: every daemon pod
    tolerates it."""
    node = mknode("tainted", ready=ready, taints=(Taint(key=key, effect=NO_EXECUTE, time_added=0),))
    expect(cluster(node, ds=mkds("simple", strategy=strategy)), 1, 0)


@STRATEGIES
def test_node_daemon_launches_tolerate_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestNodeDaemonLaunchesToleratePod."""
    ds = mkds("tolerate", strategy=strategy, tolerations=NO_SCHEDULE_TOLERATIONS)
    expect(cluster(*nodes(0, 1), ds=ds), 1, 0)


@STRATEGIES
def test_daemon_set_respects_termination(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestDaemonSetRespectsTermination: the node's pod is Terminating:
    no create, no delete."""
    ds = mkds(strategy=strategy)
    pods = daemon_pods(ds, "node-0", 1, deletion_timestamp=0)
    expect(cluster(*nodes(0, 1, NODE_LABEL), ds=ds, pods=pods), 0, 0)


@STRATEGIES
def test_taint_pressure_node_daemon_launches_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestTaintPressureNodeDaemonLaunchesPod: disk, memory and pid
    pressure NoSchedule taints are tolerated by every daemon pod."""
    taints = tuple(Taint(key=f"node.kubernetes.io/{k}-pressure", effect=NO_SCHEDULE) for k in ("disk", "memory", "pid"))
    expect(cluster(mknode("resources-pressure", taints=taints), ds=mkds("critical", strategy=strategy)), 1, 0)


@STRATEGIES
def test_port_conflict_with_same_daemon_pod_does_not_delete_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestPortConflictWithSameDaemonPodDoesNotDeletePod."""
    spec = SchedulingSpec(host_ports=(HostPort(666),))
    ds = mkds(strategy=strategy, node_name="port-conflict", scheduling=spec)
    pods = daemon_pods(ds, "port-conflict", 1, scheduling=spec)
    expect(cluster(mknode("port-conflict"), ds=ds, pods=pods), 0, 0)


@STRATEGIES
def test_no_port_conflict_node_daemon_launches_pod(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestNoPortConflictNodeDaemonLaunchesPod: another pod holds port
    6661, the template wants 6662: 1 create (the controller does not check ports anyway)."""
    other = Pod(name="other", node_name="no-port-conflict", scheduling=SchedulingSpec(host_ports=(HostPort(6661),)))
    ds = mkds(strategy=strategy, node_name="no-port-conflict", scheduling=SchedulingSpec(host_ports=(HostPort(6662),)))
    expect(cluster(mknode("no-port-conflict"), ds=ds, pods=[other]), 1, 0)


@STRATEGIES
def test_delete_unscheduled_pod_for_not_existing_node(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestDeleteUnscheduledPodForNotExistingNode: node-0 exists; a pod
    bound to node-1 (gone: pod GC's) stays; an unbound pod whose affinity names node-2 (gone) is
    deleted: 0 creates, 1 delete."""
    ds = mkds(strategy=strategy)
    term = NodeSelectorTerm(match_fields=(Requirement("metadata.name", IN, ("node-2",)),))
    unbound = daemon_pods(ds, "node-3", 1, scheduling=SchedulingSpec(node_affinity=NodeAffinity(required=(term,))))
    unbound = [attrs.evolve(p, node_name=None, phase=PENDING) for p in unbound]
    pods = daemon_pods(ds, "node-0", 1) + daemon_pods(ds, "node-1", 1) + unbound
    _, created, deleted, _ = sync(cluster(*nodes(0, 1), ds=ds, pods=pods))
    assert (len(created), deleted) == (0, {unbound[0].name})


def test_get_nodes_to_daemon_pods_excludes_deleted_terminal_pods() -> None:
    """daemon_controller_test.go TestGetNodesToDaemonPods "exclude deleted terminal pods": owned
    and matching orphan pods (adopted), a Succeeded and a Failed one are grouped by node; pods
    whose labels do not match, pods of another DaemonSet and deleted finished pods are not."""
    ds, ds2 = mkds("foo"), mkds("foo2")
    wanted = (
        daemon_pods(ds, "node-0", 1, tag="owned")
        + daemon_pods(None, "node-0", 1, tag="orphan")
        + daemon_pods(ds, "node-1", 1, tag="owned")
        + daemon_pods(None, "node-1", 1, tag="orphan")
        + daemon_pods(ds, "node-0", 1, tag="succeeded", phase=SUCCEEDED)
        + daemon_pods(ds, "node-1", 1, tag="failed", phase=FAILED)
    )
    ignored = (
        daemon_pods(ds, "node-0", 1, labels=SIMPLE2, tag="nonmatching")
        + daemon_pods(None, "node-1", 1, labels=SIMPLE2, tag="nonmatching-orphan")
        + daemon_pods(ds2, "node-0", 1, tag="other")
        + daemon_pods(ds, "node-0", 1, tag="succeeded-deleted", phase=SUCCEEDED, deletion_timestamp=0)
        + daemon_pods(ds, "node-1", 1, tag="failed-deleted", phase=FAILED, deletion_timestamp=0)
    )
    orphans = [attrs.evolve(p, owner=None) for p in wanted + ignored if p.owner is None]
    pods = [p for p in wanted + ignored if p.owner is not None] + orphans
    c = mkcluster(*nodes(0, 2), pods=pods, daemonsets=(ds, ds2))
    claimed = daemonset.claim_pods(c, ds, [])
    grouped = daemonset.pods_by_target(claimed, ds)
    got = {p.name for ps in grouped.values() for p in ps}
    assert got == {p.name for p in wanted}
    assert all(p.node_name == node for node, ps in grouped.items() for p in ps)


# --- util/daemonset_util_test.go ----------------------------------------------------------------


def test_add_or_update_daemon_pod_tolerations() -> None:
    """daemonset_util_test.go (AddOrUpdateDaemonPodTolerations via CreatePodTemplate): a pod with
    no tolerations gets the six default ones, all Exists without tolerationSeconds; hostNetwork
    adds network-unavailable; a matching toleration with tolerationSeconds is replaced, not
    duplicated."""
    got = daemonset.daemon_tolerations(())
    assert {(t.key, t.effect) for t in got} == {
        (TAINT_NOT_READY, NO_EXECUTE),
        (TAINT_UNREACHABLE, NO_EXECUTE),
        ("node.kubernetes.io/disk-pressure", NO_SCHEDULE),
        ("node.kubernetes.io/memory-pressure", NO_SCHEDULE),
        ("node.kubernetes.io/pid-pressure", NO_SCHEDULE),
        ("node.kubernetes.io/unschedulable", NO_SCHEDULE),
    }
    assert all(t.operator == "Exists" and t.toleration_seconds is None for t in got)
    assert len(daemonset.daemon_tolerations((), host_network=True)) == 7
    mine = Toleration(key=TAINT_NOT_READY, operator="Exists", effect=NO_EXECUTE, toleration_seconds=300)
    replaced = daemonset.daemon_tolerations((mine,))
    assert len(replaced) == 6 and mine not in replaced


@pytest.mark.parametrize(
    "affinity",
    [
        None,
        NodeAffinity(),
        NodeAffinity(required=(NodeSelectorTerm(match_expressions=(Requirement("color", IN, ("blue",)),)),)),
        NodeAffinity(required=(NodeSelectorTerm(match_fields=(Requirement("metadata.name", IN, ("host_2",)),)),)),
    ],
    ids=["nil affinity", "no required terms", "expressions replaced", "another host replaced"],
)
def test_replace_daemon_set_pod_node_name_node_affinity(affinity: NodeAffinity | None) -> None:
    """daemonset_util_test.go TestReplaceDaemonSetPodNodeNameNodeAffinity: whatever the required
    node affinity was, it becomes the one term matchFields metadata.name In [host_1]; preferred
    terms stay."""
    got = daemonset.node_name_affinity(affinity, "host_1")
    assert got.required == (NodeSelectorTerm(match_fields=(Requirement("metadata.name", IN, ("host_1",)),)),)
    assert got.preferred == (affinity.preferred if affinity is not None else ())


def test_get_target_node_name() -> None:
    """daemonset_util_test.go TestGetTargetNodeName: spec.nodeName first, else the
    metadata.name In value of the required affinity; none: no target."""
    term = NodeSelectorTerm(match_fields=(Requirement("metadata.name", IN, ("node-1",)),))
    spec = SchedulingSpec(node_affinity=NodeAffinity(required=(term,)))
    assert daemonset.target_node(Pod(name="a", node_name="node-1")) == "node-1"
    assert daemonset.target_node(Pod(name="b", scheduling=spec)) == "node-1"
    assert daemonset.target_node(Pod(name="c")) is None


# --- update_test.go -----------------------------------------------------------------------------


def _update(ds: DaemonSet, **changes: object) -> DaemonSet:
    """A new template (``Containers[0].Image = "foo2/bar2"``: the hash of the template as written
    changes) and a new strategy."""
    return attrs.evolve(ds, template=attrs.evolve(ds.template, spec_hash="image=foo2/bar2"), **changes)


def _start(n: int = 5, ready: bool = True) -> Cluster:
    c = expect(cluster(*nodes(0, n), ds=mkds()), n, 0)
    return mark_ready(c) if ready else c


def _with(c: Cluster, ds: DaemonSet) -> Cluster:
    return attrs.evolve(settle(c), daemonsets=(ds,))


def test_daemon_set_updates_pods() -> None:
    """update_test.go TestDaemonSetUpdatesPods: maxUnavailable 2 over 5 nodes: delete 2, create 2,
    ready; delete 2, create 2, ready; delete 1, create 1, ready; then nothing."""
    c = _start()
    c = _with(c, _update(c.daemonsets[0], strategy="RollingUpdate", max_unavailable="2"))
    for batch in (2, 2, 1):
        c = expect(settle(c), 0, batch)
        c = mark_ready(expect(settle(c), batch, 0))
    expect(settle(c), 0, 0)


def test_daemon_set_updates_pods_with_max_surge() -> None:
    """update_test.go TestDaemonSetUpdatesPodsWithMaxSurge: maxSurge 2 (maxUnavailable 0) over 5
    nodes: create 2; nothing until ready; create 2 and delete 2; ...; create 1 and delete 2;
    delete 1."""
    c = _start()
    c = _with(c, _update(c.daemonsets[0], strategy="RollingUpdate", max_unavailable="0", max_surge="2"))
    c = expect(settle(c), 2, 0)
    c = mark_ready(expect(settle(c), 0, 0))
    c = expect(settle(c), 2, 2)
    c = mark_ready(expect(settle(c), 0, 0))
    c = expect(settle(c), 5 % 2, 2)
    c = mark_ready(expect(settle(c), 0, 0))
    c = expect(settle(c), 0, 5 % 2)
    expect(settle(c), 0, 0)


def test_daemon_set_updates_when_new_pod_is_not_ready() -> None:
    """update_test.go TestDaemonSetUpdatesWhenNewPosIsNotReady: maxUnavailable 3: delete 3, create
    3, and while the new pods are not ready nothing more."""
    c = _start()
    c = _with(c, _update(c.daemonsets[0], strategy="RollingUpdate", max_unavailable="3"))
    c = expect(settle(c), 0, 3)
    c = expect(settle(c), 3, 0)
    expect(settle(c), 0, 0)


def test_daemon_set_updates_all_old_pods_not_ready() -> None:
    """update_test.go TestDaemonSetUpdatesAllOldPodsNotReady: the old pods never became ready, so
    all 5 are replaced at once (maxUnavailable 3 does not hold them back)."""
    c = _start(ready=False)
    c = _with(c, _update(c.daemonsets[0], strategy="RollingUpdate", max_unavailable="3"))
    c = expect(settle(c), 0, 5)
    c = expect(settle(c), 5, 0)
    expect(settle(c), 0, 0)


def test_daemon_set_updates_all_old_pods_not_ready_max_surge() -> None:
    """update_test.go TestDaemonSetUpdatesAllOldPodsNotReadyMaxSurge (first part): maxSurge 3, old
    pods not ready: a new pod on every node at once; the old ones are deleted next (the new pods
    being not ready, the old not ready ones go, keeping the new)."""
    c = _start(ready=False)
    c = _with(c, _update(c.daemonsets[0], strategy="RollingUpdate", max_unavailable="0", max_surge="3"))
    c = expect(at(settle(c), 100), 5, 0)
    expect(at(settle(c), 200), 0, 5)


def test_daemon_set_updates_no_template_changed() -> None:
    """update_test.go TestDaemonSetUpdatesNoTemplateChanged: only the strategy changes (to
    RollingUpdate, maxUnavailable 3): no pod is removed."""
    c = _start(ready=False)
    c = _with(c, attrs.evolve(c.daemonsets[0], strategy="RollingUpdate", max_unavailable="3"))
    expect(settle(c), 0, 0)


@pytest.mark.parametrize(
    ("strategy", "desired", "surge", "unavailable"),
    [
        ({"max_unavailable": "0"}, 0, 0, 0),
        ({"max_unavailable": "1"}, 2, 0, 1),
        ({"max_unavailable": "50%"}, 2, 0, 1),
        ({"max_unavailable": "50%"}, 3, 0, 2),
        ({"max_unavailable": "0", "max_surge": "50%"}, 3, 2, 0),
    ],
    ids=[
        "No nodes",
        "Two nodes with ready pods",
        "Two nodes with pods, MaxUnavailable in percents",
        "rounding: 50% of 3 unavailable (util.UnavailableCount)",
        "rounding: 50% of 3 surge (util.SurgeCount)",
    ],
)
def test_get_unavailable_numbers(strategy: dict[str, str], desired: int, surge: int, unavailable: int) -> None:
    """update_test.go TestGetUnavailableNumbers (the maxUnavailable of its first three cases), and
    two cases of the rounding rule of util/daemonset_util.go SurgeCount / UnavailableCount
    (GetScaledValueFromIntOrPercent with roundUp true): percentages of the nodes that should run
    a pod, rounded up."""
    ds = DaemonSet(name="x", selector=SIMPLE, template=PodTemplate(labels=SIMPLE), **strategy)  # type: ignore[arg-type]
    assert daemonset.surge_count(ds, desired) == surge
    assert daemonset.unavailable_count(ds, desired) == unavailable


# --- NodeShouldRunDaemonPod, TestDeleteNoDaemonPod ------------------------------------------------

_TYPE_TEST = NodeAffinity(required=(NodeSelectorTerm(match_expressions=(Requirement("type", IN, ("test",)),)),))
_TYPE_PROD = NodeAffinity(required=(NodeSelectorTerm(match_expressions=(Requirement("type", IN, ("production",)),)),))


@pytest.mark.parametrize(
    ("template", "unschedulable", "expected"),
    [
        ({"requests": Resources(cpu=500, memory=50 * 10**6)}, False, (True, True)),
        ({"requests": Resources(cpu=500, memory=200 * 10**6)}, False, (True, True)),
        ({"node_name": "other-node"}, False, (False, False)),
        ({"scheduling": SchedulingSpec(host_ports=(HostPort(666),))}, False, (True, True)),
        ({"node_selector": SIMPLE2}, False, (False, False)),
        ({"node_selector": SIMPLE}, False, (True, True)),
        ({"scheduling": SchedulingSpec(node_affinity=_TYPE_TEST)}, False, (False, False)),
        ({"scheduling": SchedulingSpec(node_affinity=_TYPE_PROD)}, False, (True, True)),
        ({"requests": Resources(cpu=500, memory=50 * 10**6)}, True, (True, True)),
    ],
    ids=[
        "ShouldRunDaemonPod",
        "InsufficientResourceError",
        "ErrPodNotMatchHostName",
        "ErrPodNotFitsHostPorts",
        "ErrNodeSelectorNotMatch",
        "ShouldRunDaemonPod (nodeSelector)",
        "ErrPodAffinityNotMatch",
        "ShouldRunDaemonPod (node affinity)",
        "ShouldRunDaemonPodOnUnschedulableNode",
    ],
)
def test_node_should_run_daemon_pod(
    template: dict[str, object], unschedulable: bool, expected: tuple[bool, bool]
) -> None:
    """daemon_controller_test.go TestNodeShouldRunDaemonPod: a node labelled simpleDaemonSetLabel
    with 100M / 1 CPU allocatable; room and host ports are not the controller's business (the
    scheduler's), a cordoned node still should run the pod."""
    node = mknode(
        "test-node",
        labels=dict(SIMPLE),
        capacity=Resources(cpu=1000, memory=100 * 10**6, pods=100),
        unschedulable=unschedulable,
    )
    assert daemonset.should_run(mkds(**template), node) == expected


@STRATEGIES
def test_delete_no_daemon_pod_sync(strategy: dict[str, str]) -> None:
    """daemon_controller_test.go TestDeleteNoDaemonPod (the sync part): four other pods using
    200M / 200m of node1's 200M / 200m: the daemon pod is created all the same (1 create)."""
    req = Resources(cpu=50, memory=50 * 10**6)
    node = mknode("node1", capacity=Resources(cpu=200, memory=200 * 10**6, pods=100))
    others = [Pod(name=f"pod_{i}", node_name="node1", requests=req, phase="Running") for i in range(4)]
    expect(cluster(node, ds=mkds("ds", strategy=strategy, requests=req), pods=others), 1, 0)


# --- details the Go tests above leave open, from the Go source ------------------------------------


def test_excess_pods_keep_the_oldest_bound_one() -> None:
    """daemon_controller.go podsShouldBeOnNode without surge: several pods on a node, all but the
    first in podByCreationTimestampAndPhase order are deleted: bound before unbound, then the
    oldest, then by name."""
    ds = mkds()
    young, old, older = (
        attrs.evolve(p, created=t) for p, t in zip(daemon_pods(ds, "node-0", 3), (10, 5, 0), strict=True)
    )
    unbound = attrs.evolve(daemon_pods(ds, "node-0", 1, tag="u")[0], created=-5)
    term = NodeSelectorTerm(match_fields=(Requirement("metadata.name", IN, ("node-0",)),))
    unbound = attrs.evolve(
        unbound, node_name=None, scheduling=SchedulingSpec(node_affinity=NodeAffinity(required=(term,)))
    )
    _, _, deleted, _ = sync(at(cluster(*nodes(0, 1), ds=ds, pods=[young, old, older, unbound]), 20))
    assert deleted == {young.name, old.name, unbound.name}


def test_failed_pod_backoff_doubles_up_to_fifteen_minutes() -> None:
    """failedPodsBackoff = flowcontrol.NewBackOff(1s, 15min) (kube-controller-manager's
    startDaemonSetController): each deletion doubles the delay up to 900 s; an entry not
    updated for more than twice the maximum starts again at 1 s."""
    ds = mkds()
    c = cluster(*nodes(0, 1), ds=ds)
    key = "foo/node-0"
    c = c.with_memory(daemon_backoff=((key, (512, 0)),))
    failed = daemon_pods(ds, "node-0", 1, phase=FAILED)
    c = expect(at(attrs.evolve(c, pods=tuple(failed)), 512), 0, 1, 1)
    assert c.memory.daemon_backoff == ((key, (900, 512)),)
    c = expect(at(attrs.evolve(c, pods=tuple(failed)), 512 + 900), 0, 1, 1)
    assert c.memory.daemon_backoff == ((key, (900, 1412)),)
    c = expect(at(attrs.evolve(c, pods=tuple(failed)), 1412 + 1801), 0, 1, 1)
    assert c.memory.daemon_backoff == ((key, (1, 3213)),)


def test_on_delete_has_no_surge_nor_unavailability() -> None:
    """util.SurgeCount / UnavailableCount: 0 unless the strategy is RollingUpdate."""
    ds = attrs.evolve(mkds(), max_unavailable="2", max_surge="1")
    assert (daemonset.surge_count(ds, 5), daemonset.unavailable_count(ds, 5)) == (0, 0)


def test_rolling_update_percentage_of_the_nodes_that_should_run() -> None:
    """update.go updatedDesiredNodeCounts: maxUnavailable 50% of the 2 nodes that should run a
    pod (the third node's selector does not match) is 1: one old pod deleted at a time."""
    ds = mkds(node_selector=labels_of(NODE_LABEL))
    c = expect(cluster(*nodes(0, 2, NODE_LABEL), *nodes(2, 1), ds=ds), 2, 0)
    c = mark_ready(c)
    new = attrs.evolve(
        ds, template=attrs.evolve(ds.template, spec_hash="v2"), strategy="RollingUpdate", max_unavailable="50%"
    )
    expect(attrs.evolve(c, daemonsets=(new,)), 0, 1)
