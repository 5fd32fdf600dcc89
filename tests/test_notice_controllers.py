"""Deployment, kubelet, pod GC and apiserver behaviours no other test pinned down (issue 19).

Each test names the Kubernetes source it restates; the expected numbers are worked out from that
source in the docstring, never taken from kmodel.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import apiserver, deployment, kubelet, podgc, tainteviction
from kmodel.schedulingspec import SchedulingSpec
from kmodel.settings import Settings
from kmodel.state import (
    COND_FALSE,
    COND_TRUE,
    COND_UNKNOWN,
    NO_EXECUTE,
    RUNNING,
    TAINT_NOT_READY,
    TAINT_OUT_OF_SERVICE,
    TAINT_UNREACHABLE,
    Cluster,
    Deployment,
    Node,
    Pod,
    PodTemplate,
    PriorityClass,
    ReplicaSet,
    Resources,
    Taint,
    Toleration,
    labels_of,
)

V1 = PodTemplate(labels=labels_of({"app": "web", "version": "v1"}))
V2 = PodTemplate(labels=labels_of({"app": "web", "version": "v2"}))


def mkdeploy(replicas: int, surge: str, unavailable: str) -> Deployment:
    return Deployment(
        name="web",
        replicas=replicas,
        selector=labels_of({"app": "web"}),
        template=V2,
        max_surge=surge,
        max_unavailable=unavailable,
    )


def old_rs(name: str, revision: int, replicas: int, ready: int) -> ReplicaSet:
    template = attrs.evolve(V1, labels=labels_of({"app": "web", "version": f"old{revision}"}))
    return ReplicaSet(
        name=name,
        replicas=replicas,
        selector=labels_of({"app": "web", "version": f"old{revision}"}),
        template=template,
        owner="web",
        labels=template.labels,
        revision=revision,
        status_replicas=replicas,
        status_ready=ready,
        status_available=ready,  # minReadySeconds 0: every ready pod is available
    )


def new_rs(d: Deployment, replicas: int, ready: int, revision: int = 9) -> ReplicaSet:
    rs = deployment.new_replicaset_for(d, revision)
    return attrs.evolve(rs, replicas=replicas, status_replicas=replicas, status_ready=ready, status_available=ready)


def sync(d: Deployment, *replicasets: ReplicaSet) -> Cluster:
    c = Cluster(settings=Settings()).with_deployment(d)
    for rs in replicasets:
        c = c.with_replicaset(rs)
    outs = deployment.step(c)
    return outs[0].state if outs else c


def spec(c: Cluster, name: str) -> int:
    rs = c.replicaset(name)
    assert rs is not None, name
    return rs.replicas


# --- Deployment: cleanupUnhealthyReplicas mid-rollout ------------------------------------------------


@pytest.mark.parametrize(
    ("old_replicas", "old_ready", "new_replicas", "new_ready", "expected_old"),
    [
        # maxScaledDown = 12 - 8 - (2 - 1) = 3; cleanup takes the 2 unhealthy (10 -> 8), then
        # available 8 + 1 = 9 > 8 lets one more go: 7 (Go case "maxCleanupCount 3, expected 2")
        (10, 8, 2, 1, 7),
        # maxScaledDown = 12 - 8 - (3 - 0) = 1 < 2 unhealthy: cleanup stops after 1 (9 -> 8);
        # available 7 + 0 <= 8, nothing more (Go case "maxCleanupCount 1, expected 1")
        (9, 7, 3, 0, 8),
        # maxScaledDown = 12 - 8 - (4 - 0) = 0: nothing at all (Go case "maxCleanupCount 0")
        (8, 6, 4, 0, 8),
        # no unhealthy old replica: cleanup 0; available 10 - 8 = 2 go by availability
        # (Go case "readyPods 10, unHealthyPods 0, expected 0")
        (10, 10, 2, 0, 8),
    ],
)
def test_cleanup_of_unhealthy_old_replicas_mid_rollout(
    old_replicas: int, old_ready: int, new_replicas: int, new_ready: int, expected_old: int
) -> None:
    """rolling.go reconcileOldReplicaSets / cleanupUnhealthyReplicas, the rolling_test.go
    TestDeploymentController_cleanupUnhealthyReplicas cases (10 replicas, maxSurge 2,
    maxUnavailable 2, so minAvailable 8) driven through a sync: maxScaledDown = all replicas -
    minAvailable - the new ReplicaSet's unavailable; the old ReplicaSet first loses up to that
    many of its unavailable replicas (spec - available), then scaleDownOldReplicaSetsForRollingUpdate
    removes available ones while the available count (as read before the cleanup) stays above
    minAvailable. The new ReplicaSet is already at replicas + maxSurge in total, so it does not
    grow in the same sync."""
    d = mkdeploy(10, "2", "2")
    old = old_rs("web-old", 1, old_replicas, old_ready)
    new = new_rs(d, new_replicas, new_ready)
    assert old_replicas + new_replicas == 12, "at replicas + maxSurge: reconcileNewReplicaSet has nothing to do"
    c = sync(d, old, new)
    assert spec(c, "web-old") == expected_old
    assert spec(c, new.name) == new_replicas


def test_cleanup_takes_the_oldest_replicaset_first() -> None:
    """cleanupUnhealthyReplicas and scaleDownOldReplicaSetsForRollingUpdate both sort the old
    ReplicaSets by creation (oldest first). 10 replicas, maxSurge 2, maxUnavailable 2: old1 3 (1
    ready), old2 5 (5 ready), new 4 (3 ready): maxScaledDown = 12 - 8 - 1 = 3. Cleanup: old1 has
    2 unavailable: 3 -> 1; old2 none. Then available 1 + 5 + 3 = 9 > 8: one more from the oldest
    with replicas left, old1: 1 -> 0. old2 keeps 5."""
    d = mkdeploy(10, "2", "2")
    c = sync(d, old_rs("web-old1", 1, 3, 1), old_rs("web-old2", 2, 5, 5), new_rs(d, 4, 3))
    assert (spec(c, "web-old1"), spec(c, "web-old2")) == (0, 5)


def test_deployment_status_sums_every_replicaset() -> None:
    """sync.go calculateStatus: Replicas and ReadyReplicas (and, with minReadySeconds 0,
    AvailableReplicas) add up the status of every ReplicaSet of the Deployment, UpdatedReplicas
    is the new ReplicaSet's alone. 4 replicas at 25% / 25% (surge 1, unavailable 1): old 3 (3
    ready), new 2 (0 ready); maxScaledDown = 5 - 3 - 2 = 0, so nothing is scaled, and the status
    is replicas 3 + 2 = 5, updated 2, ready 3 + 0 = 3, available 3."""
    d = mkdeploy(4, "25%", "25%")
    c = sync(d, old_rs("web-old", 1, 3, 3), new_rs(d, 2, 0))
    status = c.deployment("web")
    assert status is not None
    assert (status.status_replicas, status.status_updated, status.status_ready, status.status_available) == (
        5,
        2,
        3,
        3,
    )
    assert spec(c, "web-old") == 3


# --- kubelet: Ready at once on reconnect ---------------------------------------------------------------


def test_a_reconnecting_kubelet_posts_ready_at_once() -> None:
    """kubelet_node_status.go tryUpdateNodeStatus: inside nodeStatusReportFrequency the kubelet
    skips the PATCH only when nodeStatusHasChanged says nothing changed; the node controller's
    Ready=Unknown differs from the kubelet's Ready=True, so the first sync after reconnecting
    posts Ready=True (KubeletReady) with a fresh lastHeartbeatTime and the NodeReady event."""
    lost = Node(name="w", ready=COND_UNKNOWN, ready_reason="NodeStatusUnknown", last_heartbeat=0, lease_renew_time=100)
    c = Cluster(settings=Settings(), now=105, nodes=(lost,))
    (out,) = kubelet.step(c, "w")
    node = out.state.node("w")
    assert node is not None
    assert (node.ready, node.ready_reason, node.last_heartbeat) == (COND_TRUE, "KubeletReady", 105)
    assert [(e.reason, e.message) for e in out.events] == [("NodeReady", "Node w status is now: NodeReady")]
    assert node.lease_renew_time == 100, "the Lease is renewed on its own period, 10 s"


def test_a_kubelet_whose_status_is_current_posts_nothing() -> None:
    """The other side of the same check: Ready already True and the Lease renewed within its
    interval: no status PATCH, no new heartbeat, no event."""
    fine = Node(name="w", ready=COND_TRUE, last_heartbeat=50, lease_renew_time=100)
    c = Cluster(settings=Settings(), now=105, nodes=(fine,))
    assert kubelet.step(c, "w") == []


def test_a_reconnecting_kubelet_with_its_runtime_down_posts_not_ready() -> None:
    """setters.go ReadyCondition: with the runtime down the kubelet's condition is Ready=False
    (KubeletNotReady); that differs from Unknown too, so it is posted at once."""
    lost = Node(name="w", ready=COND_UNKNOWN, last_heartbeat=0, lease_renew_time=100, runtime_ready=False)
    c = Cluster(settings=Settings(), now=105, nodes=(lost,))
    (out,) = kubelet.step(c, "w")
    node = out.state.node("w")
    assert node is not None and (node.ready, node.ready_reason, node.last_heartbeat) == (
        COND_FALSE,
        "KubeletNotReady",
        105,
    )


# --- pod GC: the out-of-service taint on a Ready node -----------------------------------------------------


def test_out_of_service_taint_on_a_ready_node_does_not_force_delete() -> None:
    """gc_controller.go gcTerminating: a terminating pod is force-deleted only when its node is
    not Ready *and* carries node.kubernetes.io/out-of-service; on a Ready node the taint alone
    does nothing (the kubelet there finishes the pod itself)."""
    taint = Taint(key=TAINT_OUT_OF_SERVICE, effect=NO_EXECUTE, time_added=0)
    ready = Node(name="ready", taints=(taint,))
    down = Node(name="down", taints=(taint,), ready=COND_FALSE)
    pods = (  # sorted by name, as a Cluster keeps them
        Pod(name="on-down", node_name="down", phase=RUNNING, deletion_timestamp=0),
        Pod(name="on-ready", node_name="ready", phase=RUNNING, deletion_timestamp=0),
    )
    c = Cluster(settings=Settings(), nodes=(down, ready), pods=pods)
    (out,) = podgc.step(c)
    assert [p.name for p in out.state.pods] == ["on-ready"]


# --- apiserver: DefaultTolerationSeconds and a second DELETE ----------------------------------------------


def test_default_not_ready_toleration_seconds_is_its_own_setting() -> None:
    """defaulttolerationseconds/admission.go: --default-not-ready-toleration-seconds sets the
    not-ready toleration, --default-unreachable-toleration-seconds the unreachable one."""
    c = Cluster(settings=Settings(default_not_ready_toleration_seconds=77, default_unreachable_toleration_seconds=99))
    pod = apiserver.create_pod(c, Pod(name="p")).pod("p")
    assert pod is not None
    assert {t.key: t.toleration_seconds for t in pod.tolerations} == {TAINT_NOT_READY: 77, TAINT_UNREACHABLE: 99}
    assert all(t.operator == "Exists" and t.effect == NO_EXECUTE for t in pod.tolerations)


def test_a_pod_that_tolerates_not_ready_keeps_its_toleration() -> None:
    """The plugin adds a default toleration only for a taint none of the pod's tolerations
    already tolerates."""
    own = Toleration(key=TAINT_NOT_READY, operator="Exists", effect=NO_EXECUTE, toleration_seconds=5)
    c = Cluster(settings=Settings(default_not_ready_toleration_seconds=77))
    pod = apiserver.create_pod(c, Pod(name="p", tolerations=(own,))).pod("p")
    assert pod is not None
    assert {t.key: t.toleration_seconds for t in pod.tolerations} == {TAINT_NOT_READY: 5, TAINT_UNREACHABLE: 300}


def test_a_second_delete_of_a_terminating_pod_keeps_its_deletion_timestamp() -> None:
    """apiserver registry/rest/delete.go BeforeDelete: an object already being deleted may only
    have its grace period shortened; a DELETE with the same grace period changes nothing, so the
    deletionTimestamp of the first DELETE stays."""
    c = Cluster(settings=Settings(), now=10, pods=(Pod(name="p", node_name="n", phase=RUNNING),))
    first = apiserver.delete_pod(c, "p")
    assert first.pod("p").deletion_timestamp == 10  # type: ignore[union-attr]
    again = apiserver.delete_pod(attrs.evolve(first, now=20), "p")
    assert again.pod("p").deletion_timestamp == 10  # type: ignore[union-attr]
    assert apiserver.delete_pod(again, "p", force=True).pod("p") is None


# --- survivors of the mutation run ------------------------------------------------------------------------


def test_the_new_replicaset_counted_after_it_grew() -> None:
    """rolloutRolling scales the new ReplicaSet up and returns; the next sync's
    reconcileOldReplicaSets sees the grown one. 4 replicas at 25% / 25% (minAvailable 3): old 4
    (2 ready), new 0. The new one grows to 1 (4 + 1 = 5 = replicas + maxSurge); then
    maxScaledDown = 5 - 3 - (1 - 0) = 1, so cleanup takes 1 of the 2 unhealthy old replicas:
    old 3 (counting the new one at 0 would allow 2 and leave 2)."""
    d = mkdeploy(4, "25%", "25%")
    c = sync(d, old_rs("web-old", 1, 4, 2), new_rs(d, 0, 0))
    # rolling.go rolloutRolling: "if scaledUp { return dc.syncRolloutStatus(...) }": this sync
    # only grows the new ReplicaSet; the old one is scaled down by the next sync
    assert spec(c, "web-old") == 4
    assert sum(rs.replicas for rs in c.replicasets if rs.name != "web-old") == 1
    c = deployment.step(c)[0].state
    assert spec(c, "web-old") == 3
    assert sum(rs.replicas for rs in c.replicasets if rs.name != "web-old") == 1


def test_no_scale_down_when_max_scaled_down_is_zero() -> None:
    """reconcileOldReplicaSets returns at ``maxScaledDown <= 0`` before looking at availability:
    old spec 8 with 10 ready pods still there (a scale-down the ReplicaSet controller has not
    carried out yet), new 4 with none ready: 12 - 8 - 4 = 0, nothing is scaled although 10
    available exceed minAvailable 8."""
    d = mkdeploy(10, "2", "2")
    c = sync(d, old_rs("web-old", 1, 8, 10), new_rs(d, 4, 0))
    assert spec(c, "web-old") == 8


def test_an_old_replicaset_already_at_zero_does_not_end_the_rollout() -> None:
    """The rollout is over only when every old ReplicaSet is at 0 (oldPodsCount == 0). old1 at 0,
    old2 at 4 (4 ready), new 0, 4 replicas at 25% / 25%: the new one grows by maxSurge only, to 1,
    and old2 loses maxUnavailable: 3."""
    d = mkdeploy(4, "25%", "25%")
    c = sync(d, old_rs("web-old1", 1, 0, 0), old_rs("web-old2", 2, 4, 4), new_rs(d, 0, 0))
    assert sum(rs.replicas for rs in c.replicasets if not rs.name.startswith("web-old")) == 1
    # the new one scaled up, so this sync ends there (rolling.go); the next scales old2 down
    assert (spec(c, "web-old1"), spec(c, "web-old2")) == (0, 4)
    c = deployment.step(c)[0].state
    assert (spec(c, "web-old1"), spec(c, "web-old2")) == (0, 3)


def test_cleanup_counts_what_it_already_removed_across_replicasets() -> None:
    """cleanupUnhealthyReplicas adds each scale-down to totalScaledDown and stops at
    maxCleanupCount. 10 replicas, maxSurge 2, maxUnavailable 2: old1 3 (1 ready), old2 5 (3
    ready), new 4 (3 ready): maxScaledDown = 12 - 8 - 1 = 3; old1 loses its 2 unhealthy, old2
    only 1 of its 2. Available 1 + 3 + 3 = 7 < 8: nothing more."""
    d = mkdeploy(10, "2", "2")
    c = sync(d, old_rs("web-old1", 1, 3, 1), old_rs("web-old2", 2, 5, 3), new_rs(d, 4, 3))
    assert (spec(c, "web-old1"), spec(c, "web-old2")) == (1, 4)


def test_a_new_replicaset_gets_the_highest_revision_plus_one() -> None:
    """sync.go getNewReplicaSet: newRevision = MaxRevision(oldRSs) + 1."""
    d = mkdeploy(4, "25%", "25%")
    c = sync(d, old_rs("web-old1", 1, 0, 0), old_rs("web-old2", 2, 4, 4))
    (new,) = [rs for rs in c.replicasets if not rs.name.startswith("web-old")]
    assert new.revision == 3


def test_node_admission_adds_the_not_ready_taint_once() -> None:
    """plugin/pkg/admission/nodetaint: the not-ready:NoSchedule taint is added unless the Node
    already has it; an unreachable taint does not count as it."""
    bare = apiserver.admit_node(Node(name="n"), 0)
    assert [(t.key, t.effect) for t in bare.taints] == [(TAINT_NOT_READY, "NoSchedule")]
    assert apiserver.admit_node(bare, 0) == bare
    unreachable = Node(name="n", taints=(Taint(key=TAINT_UNREACHABLE, effect="NoSchedule"),))
    admitted = apiserver.admit_node(unreachable, 0)
    assert [(t.key, t.effect) for t in admitted.taints] == [
        (TAINT_UNREACHABLE, "NoSchedule"),
        (TAINT_NOT_READY, "NoSchedule"),
    ]
    not_ready_execute = Node(name="n", taints=(Taint(key=TAINT_NOT_READY, effect=NO_EXECUTE, time_added=0),))
    assert len(apiserver.admit_node(not_ready_execute, 0).taints) == 2


def test_taint_eviction_leaves_a_pod_it_already_marked_alone() -> None:
    """A pod the controller already deleted (DisruptionTarget, Terminating) on a node whose taint
    it does not tolerate is not deleted again: no second "Marking for deletion" event."""
    node = Node(name="w", taints=(Taint(key="k", effect=NO_EXECUTE, time_added=0),))
    pod = Pod(name="p", node_name="w", phase=RUNNING, disruption_target=True, deletion_timestamp=0)
    c = Cluster(settings=Settings(), now=10, nodes=(node,), pods=(pod,))
    assert tainteviction.step(c) == []
    fresh = c.with_pod(attrs.evolve(pod, disruption_target=False, deletion_timestamp=None))
    (out,) = tainteviction.step(fresh)
    assert [e.message for e in out.events] == ["Marking for deletion Pod default/p"]


def _kubelet_node(**kw: object) -> Node:
    """A node whose status and Lease are current at t=105: no heartbeat is due."""
    return Node(name="w", ready=COND_TRUE, last_heartbeat=100, lease_renew_time=100, **kw)  # type: ignore[arg-type]


def _sync(*pods: Pod, running: frozenset[str] = frozenset()) -> Cluster:
    c = Cluster(settings=Settings(), now=105, nodes=(_kubelet_node(running=running),), pods=pods)
    outs = kubelet.step(c, "w")
    return outs[0].state if outs else c


def test_kubelet_syncs_pods_even_when_no_heartbeat_is_due() -> None:
    """pkg/kubelet syncLoop: pod work does not wait for a status report. With status and Lease
    current, a bound Pending pod is started, a Running pod whose containers are gone is restarted
    (restartCount + 1, ready again), a running pod shown not ready is reported ready, a deleted
    pod's containers are stopped, and containers of a pod that no longer exists are killed."""
    started = _sync(Pod(name="a", node_name="w")).pod("a")
    assert started is not None and (started.phase, started.ready) == (RUNNING, True)
    restarted = _sync(Pod(name="a", node_name="w", phase=RUNNING, ready=True, restarts=2)).pod("a")
    assert restarted is not None and (restarted.restarts, restarted.ready, restarted.ready_since) == (3, True, 105)
    unready = Pod(name="a", node_name="w", phase=RUNNING, ready=False)
    again = _sync(unready, running=frozenset({"a"})).pod("a")
    assert again is not None and again.ready
    fine = Pod(name="a", node_name="w", phase=RUNNING, ready=True)
    going = Pod(name="b", node_name="w", phase=RUNNING, ready=True, deletion_timestamp=100)
    stopped = _sync(fine, going, running=frozenset({"a", "b"})).node("w")
    assert stopped is not None and stopped.running == frozenset({"a"})
    leftover = _sync(running=frozenset({"gone"})).node("w")
    assert leftover is not None and leftover.running == frozenset()


def test_taint_eviction_schedules_nothing_for_a_pod_it_already_marked() -> None:
    """Nor does a marked pod that tolerates its node's taint for a while get a second deletion
    scheduled (the controller would mark it again when that came due)."""
    node = Node(name="w", taints=(Taint(key=TAINT_UNREACHABLE, effect=NO_EXECUTE, time_added=0),))
    tol = Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE, toleration_seconds=300)
    pod = Pod(name="p", node_name="w", phase=RUNNING, tolerations=(tol,), disruption_target=True, deletion_timestamp=0)
    c = Cluster(settings=Settings(), now=10, nodes=(node,), pods=(pod,))
    assert tainteviction.step(c) == []


def test_generated_pod_names_have_five_random_characters() -> None:
    """apiserver/pkg/storage/names: generateName appends 5 random characters (randomLength = 5)."""
    suffix = apiserver.name_suffix("web-abc", 0)
    assert len(suffix) == 5 and all(ch in "bcdfghjklmnpqrstvwxz2456789" for ch in suffix)


def test_cleanup_reaches_an_old_replicaset_of_one_replica() -> None:
    """10 replicas, maxSurge 2, maxUnavailable 2: old1 1 (0 ready), old2 7 (7 ready), new 4 (4
    ready): maxScaledDown = 12 - 8 - 0 = 4; cleanup takes old1's unhealthy replica (1 -> 0); then
    available 0 + 7 + 4 = 11 lets 3 more go from old2: 4."""
    d = mkdeploy(10, "2", "2")
    c = sync(d, old_rs("web-old1", 1, 1, 0), old_rs("web-old2", 2, 7, 7), new_rs(d, 4, 4))
    assert (spec(c, "web-old1"), spec(c, "web-old2")) == (0, 4)


def test_a_pod_the_kubelet_starts_shows_its_containers_ready() -> None:
    """status_manager.go generatePodStatus / kubelet_pods.go: a pod whose only container runs and
    is ready has ContainersReady=True next to Ready=True (kubectl's READY column shows 1/1). That
    holds for a pod started for the first time, one whose containers were re-created, and one
    reported ready again."""
    started = _sync(Pod(name="a", node_name="w")).pod("a")
    restarted = _sync(Pod(name="a", node_name="w", phase=RUNNING, ready=True, restarts=2)).pod("a")
    unready = Pod(name="a", node_name="w", phase=RUNNING, ready=False, containers_ready=False)
    again = _sync(unready, running=frozenset({"a"})).pod("a")
    for pod in (started, restarted, again):
        assert pod is not None and (pod.ready, pod.containers_ready) == (True, True)


def test_a_pod_started_where_priorities_are_in_use_gets_its_start_time() -> None:
    """The kubelet's status manager sets status.startTime when it first handles a pod
    (kubelet_pods.go generateAPIPodStatus keeps the old one, else now). kmodel leaves it unset
    only while nothing could read it (no PriorityClass, every pod at priority 0; see
    kubelet._start_time): with a PriorityClass defined, or with any pod of non-zero priority,
    the started pod's startTime is the sync time, and a startTime already set is kept."""
    with_class = Cluster(
        settings=Settings(),
        now=105,
        nodes=(_kubelet_node(),),
        pods=(Pod(name="a", node_name="w"),),
        priority_classes=(PriorityClass(name="high", value=1000),),
    )
    (out,) = kubelet.step(with_class, "w")
    assert out.state.pod("a").start_time == 105  # type: ignore[union-attr]
    high = Pod(
        name="h", node_name="other", phase=RUNNING, ready=True, scheduling=SchedulingSpec(priority=5), start_time=7
    )
    with_priority = Cluster(
        settings=Settings(), now=105, nodes=(_kubelet_node(),), pods=(Pod(name="a", node_name="w"), high)
    )
    (out,) = kubelet.step(with_priority, "w")
    assert out.state.pod("a").start_time == 105  # type: ignore[union-attr]
    kept = attrs.evolve(with_class, pods=(Pod(name="a", node_name="w", start_time=50),))
    (out,) = kubelet.step(kept, "w")
    assert out.state.pod("a").start_time == 50  # type: ignore[union-attr]


def test_admission_counts_the_pods_already_running_on_the_node() -> None:
    """predicate.go Admit checks a new pod against the pods the kubelet already admitted (its
    Running pods): with 600m of a 1000m node taken by a running pod, a new pod asking 500m is
    rejected OutOfcpu; the running pod itself is not admitted again."""
    node = _kubelet_node(capacity=Resources(cpu=1000, memory=1 << 30, pods=10), running=frozenset({"old"}))
    old = Pod(name="old", node_name="w", phase=RUNNING, ready=True, requests=Resources(cpu=600))
    new = Pod(name="new", node_name="w", requests=Resources(cpu=500))
    c = Cluster(settings=Settings(), now=105, nodes=(node,), pods=(old, new))
    (out,) = kubelet.step(c, "w")
    assert out.state.pod("old") == old
    rejected = out.state.pod("new")
    assert rejected is not None and (rejected.phase, rejected.status_reason) == ("Failed", "OutOfcpu")


def test_a_pod_being_deleted_is_not_put_through_admission() -> None:
    """kubelet.go HandlePodAdditions: "Only go through the admission process if the pod is not
    requested for termination by another core component" -- a Pending pod with a deletion
    timestamp that would not fit is not rejected (it stays Pending and is removed)."""
    node = _kubelet_node(capacity=Resources(cpu=1000, memory=1 << 30, pods=10))
    big = Pod(name="big", node_name="w", requests=Resources(cpu=5000), deletion_timestamp=100)
    c = Cluster(settings=Settings(), now=105, nodes=(node,), pods=(big,))
    outs = kubelet.step(c, "w")
    assert all(o.state.pod("big") is None for o in outs)
    assert not any(e.reason == "OutOfcpu" for o in outs for e in o.events)


def test_a_kubelet_with_nothing_to_report_still_restarts_a_pod_and_kills_leftovers() -> None:
    """The sync loop's pod work needs no status report: a Running, ready pod whose containers are
    gone (the runtime lists only the containers of a pod that no longer exists) is started again
    (SyncPod: sandbox changed, restartCount + 1) and the orphaned containers are killed
    (HandlePodCleanups), even though as many containers run as pods are bound."""
    pod = Pod(name="a", node_name="w", phase=RUNNING, ready=True, restarts=0)
    after = _sync(pod, running=frozenset({"gone"}))
    node, again = after.node("w"), after.pod("a")
    assert node is not None and node.running == frozenset({"a"})
    assert again is not None and again.restarts == 1


def test_a_kubelet_with_nothing_to_report_stops_a_pod_being_deleted() -> None:
    """Likewise the containers of a pod being deleted are stopped on the next sync (killPod),
    also when it is the only pod on the node and was running and ready."""
    going = Pod(name="b", node_name="w", phase=RUNNING, ready=True, deletion_timestamp=100)
    node = _sync(going, running=frozenset({"b"})).node("w")
    assert node is not None and node.running == frozenset()


def test_an_old_replicaset_with_more_available_than_its_spec_stops_the_scale_down() -> None:
    """rolling.go cleanupUnhealthyReplicas: for an old ReplicaSet with spec.replicas > 0 and
    available != spec.replicas it scales down by min(maxCleanupCount - done, spec - available);
    when more pods are available than spec.replicas (a scale-down the ReplicaSet controller has
    not carried out yet) that is negative, it returns "got invalid request to scale down", and
    reconcileOldReplicaSets returns (false, nil) at once: scaleDownOldReplicaSetsForRollingUpdate
    does not run in that sync.

    10 replicas, maxSurge 2, maxUnavailable 2 (minAvailable 8); old1 spec 3 with 4 available,
    old2 spec 5 with 5, new spec 4 with 4: maxScaledDown = 12 - 8 - 0 = 4 > 0, cleanup reaches old1
    first and fails, so nothing is scaled down although 13 available > 8. Once old1 reports 3
    available, the availability scale-down takes 12 - 8 = 4: old1 3 -> 0, old2 5 -> 4."""
    d = mkdeploy(10, "2", "2")
    first = old_rs("web-old1", 1, 3, 4)
    second = old_rs("web-old2", 2, 5, 5)
    new = new_rs(d, 4, 4)
    c = sync(d, first, second, new)
    assert (spec(c, "web-old1"), spec(c, "web-old2"), spec(c, new.name)) == (3, 5, 4)
    caught_up = sync(d, attrs.evolve(first, status_ready=3, status_available=3), second, new)
    assert (spec(caught_up, "web-old1"), spec(caught_up, "web-old2"), spec(caught_up, new.name)) == (0, 4, 4)


def test_an_old_replicaset_scaled_to_zero_with_pods_still_available_is_skipped() -> None:
    """cleanupUnhealthyReplicas skips an old ReplicaSet at spec.replicas 0 ("cannot scale down this
    replica set") before comparing its available pods, so pods of it still available are no
    error. Nor does scaleDownOldReplicaSetsForRollingUpdate count them: rolloutRolling passes
    reconcileOldReplicaSets FilterActiveReplicaSets(oldRSs), and the availability is summed over
    ``append(oldRSs, newRS)`` of those (rolling.go). 10 replicas, maxSurge 2, maxUnavailable 2:
    old1 spec 0 with 2 available, old2 spec 8 with 8, new spec 4 with 4; available 8 + 4 = 12,
    minus minAvailable 8 = 4 come off old2: 8 -> 4."""
    d = mkdeploy(10, "2", "2")
    c = sync(d, old_rs("web-old1", 1, 0, 2), old_rs("web-old2", 2, 8, 8), new_rs(d, 4, 4))
    assert (spec(c, "web-old1"), spec(c, "web-old2")) == (0, 4)


def test_cleanup_stops_at_max_scaled_down_before_looking_at_the_next_replicaset() -> None:
    """cleanupUnhealthyReplicas checks ``totalScaledDown >= maxCleanupCount`` first in each round:
    once the cleanup reached maxScaledDown it stops without looking at the next old ReplicaSet, so
    one there with more available pods than its spec is no error. 10 replicas, 2 / 2: old1 spec 4
    with 2 available, old2 spec 4 with 5, new spec 4 with 2; maxScaledDown = 12 - 8 - 2 = 2 comes
    off old1 (4 -> 2); then 9 available - 8 lets one more go, from old1 again: 1."""
    d = mkdeploy(10, "2", "2")
    c = sync(d, old_rs("web-old1", 1, 4, 2), old_rs("web-old2", 2, 4, 5), new_rs(d, 4, 2))
    assert (spec(c, "web-old1"), spec(c, "web-old2")) == (1, 4)
