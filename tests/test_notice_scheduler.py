"""kube-scheduler behaviours no other test pinned down (issue 19): a nodeSelector of several keys,
a pod that exactly fills a node, score normalisation ties, the plugins' weights,
BalancedAllocation for cpu-only and memory-only pods, the queue's oldest-first order when names
disagree with age, and the preemption diagnosis of a pod asking exactly a node's capacity.

Every expected number is worked out by hand from the Kubernetes sources named in each test
(pkg/scheduler/framework/plugins/..., pkg/scheduler/apis/config/v1/default_plugins.go); the
arithmetic is in the comments. Only the public functions ``filter_reasons``, ``scores``,
``schedule``, ``step``, ``queue`` and ``failure_message`` are called.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import pytest

from kmodel.components import scheduler
from kmodel.schedulingspec import HostPort, SchedulingSpec
from kmodel.settings import Settings
from kmodel.state import (
    LABEL_HOSTNAME,
    PREFER_NO_SCHEDULE,
    Cluster,
    Node,
    Pod,
    PodTemplate,
    ReplicaSet,
    Resources,
    Taint,
    labels_of,
)

GI = 1024**3
MI = 1024**2
WEB = labels_of({"app": "web"})
AFFINITY = "node(s) didn't match Pod's node affinity/selector"


def mknode(name: str, *taints: Taint, labels: dict[str, str] | None = None, **kw: Any) -> Node:
    return Node(name=name, labels=labels_of({LABEL_HOSTNAME: name, **(labels or {})}), taints=taints, **kw)


def mkcluster(*nodes: Node, pods: tuple[Pod, ...] = (), **kw: Any) -> Cluster:
    c = Cluster(settings=Settings(), nodes=tuple(sorted(nodes, key=attrgetter("name"))), **kw)
    for p in pods:
        c = c.with_pod(p)
    return c


# --- NodeAffinity: every key of the nodeSelector must match ----------------------------------------


@pytest.mark.parametrize(
    ("node_labels", "fits"),
    [
        ({"a": "1", "b": "2", "c": "3"}, True),
        ({"a": "1", "b": "2", "c": "3", "d": "4"}, True),  # more labels than asked for
        ({"b": "2", "c": "3"}, False),  # the first key missing
        ({"a": "1", "c": "3"}, False),  # a middle key missing
        ({"a": "1", "b": "2"}, False),  # the last key missing
        ({"a": "1", "b": "x", "c": "3"}, False),  # a key with another value
        ({}, False),
    ],
)
def test_node_selector_with_several_keys_needs_all_of_them(node_labels: dict[str, str], fits: bool) -> None:
    """component-helpers/scheduling/corev1/nodeaffinity: GetRequiredNodeAffinity turns
    spec.nodeSelector into labels.SelectorFromSet, which matches only a node carrying every
    key with the same value (node_affinity_test.go TestNodeAffinity "node labels are subset")."""
    node = mknode("n", labels=node_labels)
    pod = Pod(name="p", node_selector=labels_of({"a": "1", "b": "2", "c": "3"}))
    assert scheduler.filter_reasons(mkcluster(node), pod, node) == ([] if fits else [AFFINITY])


def test_an_untolerated_no_execute_taint_filters_the_node_too() -> None:
    """tainttoleration/taint_toleration.go Filter: FindMatchingUntoleratedTaint over the taints
    with effect NoSchedule *or* NoExecute (PreferNoSchedule only scores)."""
    node = mknode("n", Taint(key="k", value="v", effect="NoExecute"))
    c = mkcluster(node)
    assert scheduler.filter_reasons(c, Pod(name="p"), node) == ["node(s) had untolerated taint(s)"]
    assert scheduler.schedule(c, Pod(name="p")) == ([], {"n": ["node(s) had untolerated taint(s)"]})


# --- NodeResourcesFit: a pod may take exactly what is left ------------------------------------------


@pytest.mark.parametrize(
    ("cpu", "memory", "reasons"),
    [
        (500, 0, []),  # 1500m used + 500m = 2000m: exactly full
        (501, 0, ["Insufficient cpu"]),
        (0, 3 * GI, []),  # 1Gi used + 3Gi = 4Gi
        (0, 3 * GI + 1, ["Insufficient memory"]),
        (500, 3 * GI, []),
        (501, 3 * GI + 1, ["Insufficient cpu", "Insufficient memory"]),
    ],
)
def test_a_pod_may_exactly_fill_the_free_room(cpu: int, memory: int, reasons: list[str]) -> None:
    """noderesources/fit.go fitsRequest: a resource is insufficient when
    ``podRequest > allocatable - requested``, so a request equal to the free room fits
    (fit_test.go TestEnoughRequests "equal edge case", here with room already in use)."""
    node = mknode("n", capacity=Resources(cpu=2000, memory=4 * GI, pods=110))
    there = Pod(name="there", node_name="n", requests=Resources(cpu=1500, memory=GI))
    c = mkcluster(node, pods=(there,))
    pod = Pod(name="p", requests=Resources(cpu=cpu, memory=memory))
    assert scheduler.filter_reasons(c, pod, node) == reasons
    best, _ = scheduler.schedule(c, pod)
    assert best == ([] if reasons else ["n"])


def test_the_last_pod_slot_can_be_taken() -> None:
    """fit.go: ``len(nodeInfo.Pods)+1 > allowedPodNumber`` is "Too many pods": with 2 of 3 taken
    the third fits, with 3 of 3 it does not."""
    node = mknode("n", capacity=Resources(cpu=2000, memory=4 * GI, pods=3))
    two = tuple(Pod(name=f"b{i}", node_name="n") for i in range(2))
    assert scheduler.filter_reasons(mkcluster(node, pods=two), Pod(name="p"), node) == []
    three = (*two, Pod(name="b2", node_name="n"))
    assert scheduler.filter_reasons(mkcluster(node, pods=three), Pod(name="p"), node) == ["Too many pods"]


# --- scores --------------------------------------------------------------------------------------
#
# The totals below add up, with the default profile's weights (default_plugins.go:
# TaintToleration 3, PodTopologySpread 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation 1;
# NodeAffinity, InterPodAffinity and ImageLocality give every node the same score here; a pod
# with no owner gets no system default spread constraint, PodTopologySpread's PreScore then
# returns Skip (podtopologyspread/scoring.go: "return Skip if incoming pod doesn't have soft
# topology spread Constraints") and the skipped plugin adds nothing to any node):
# - TaintToleration: intolerable PreferNoSchedule taints, DefaultNormalizeScore reversed:
#   100 - 100 * count / maxCount, and 100 for all when maxCount is 0;
# - LeastAllocated: per resource (capacity - requested) * 100 / capacity with the non-zero
#   defaults (100m cpu, 200Mi memory) for pods that set no request, averaged (integer division);
# - BalancedAllocation: (1 - std of the cpu and memory fractions) * 100 with the real requests,
#   skipped (0) for a pod that requests nothing;
# - PodTopologySpread: raw = sum over the system default constraints (hostname maxSkew 3, zone
#   maxSkew 5) of matching pods * log(domains + 2) + maxSkew - 1, rounded; normalised
#   100 * (max + min - raw) / max, and 100 for all when max is 0.
#
# A best-effort pod alone on an empty 2000m / 4Gi node: LeastAllocated cpu (1900*100)//2000 = 95,
# memory ((4096-200)Mi*100)//4096Mi = 95, so 95.
EMPTY_NODE_LEAST_ALLOCATED = 95


def test_plugin_weights_add_up_as_the_default_profile_says() -> None:
    """busy: no taint, an existing pod of 1800m; tainted: one untolerated PreferNoSchedule taint.

    busy: TaintToleration 100 (x3 = 300); LeastAllocated cpu (2000-1900)*100//2000 = 5, memory
    (4096-400)Mi*100//4096Mi = 90, (5+90)//2 = 47; BalancedAllocation 0 (best-effort pod); spread
    skipped (no owner), 0: 347.
    tainted: TaintToleration 100 - 100*1/1 = 0; LeastAllocated 95; spread 0: 95."""
    busy = mknode("busy")
    tainted = mknode("tainted", Taint(key="k", effect=PREFER_NO_SCHEDULE))
    hog = Pod(name="hog", node_name="busy", requests=Resources(cpu=1800))
    c = mkcluster(busy, tainted, pods=(hog,))
    pod = Pod(name="p")
    assert scheduler.scores(c, pod, list(c.nodes)) == {"busy": 347, "tainted": 95}
    assert scheduler.schedule(c, pod)[0] == ["busy"]


def test_taint_weight_outweighs_both_resource_plugins() -> None:
    """The pod asks 1000m and 1Gi. clean: no taint, an existing 900m / 3Gi pod; tainted: a
    PreferNoSchedule taint, empty.

    clean: taint 300; LeastAllocated cpu (2000-1900)*100//2000 = 5, memory (4-4)Gi -> 0, so 2;
    BalancedAllocation fractions 1900/2000 = 0.95 and 4/4 = 1.0, std 0.025, int(97.5) = 97;
    spread skipped, 0: 399.
    tainted: taint 0; LeastAllocated cpu 50, memory 75, so 62; BalancedAllocation 0.5 and 0.25,
    std 0.125, 87; spread 0: 149.
    With TaintToleration weighted 1 instead of 3 the clean node would score 199 and still win;
    with weight 3 the taint is worth more than both resource plugins' whole range together."""
    clean = mknode("clean")
    tainted = mknode("tainted", Taint(key="k", effect=PREFER_NO_SCHEDULE))
    other = Pod(name="other", node_name="clean", requests=Resources(cpu=900, memory=3 * GI))
    c = mkcluster(clean, tainted, pods=(other,))
    pod = Pod(name="p", requests=Resources(cpu=1000, memory=GI))
    assert scheduler.scores(c, pod, list(c.nodes)) == {"clean": 399, "tainted": 149}


def test_balanced_allocation_scores_a_pod_that_requests_only_cpu_or_only_memory() -> None:
    """balanced_allocation.go PreScore skips only a best-effort pod (isBestEffortPod: every
    request zero); a pod asking only cpu or only memory is scored, its missing request counting
    as 0 (BalancedAllocation uses the real requests).

    cpu 500m alone on an empty 2000m / 4Gi node: fractions 0.25 and 0, std 0.125, int(87.5) = 87;
    LeastAllocated cpu 75, memory (default 200Mi) 95: 85; taint 300, spread skipped (0): 472.
    Memory 1Gi alone: fractions 0 and 0.25, the same 87; LeastAllocated cpu (default 100m) 95,
    memory 75: 85; 472. Best-effort: 300 + 95 + 0 + 0 = 395."""
    node = mknode("n")
    c = mkcluster(node)
    cpu_only = Pod(name="c", requests=Resources(cpu=500))
    memory_only = Pod(name="m", requests=Resources(memory=GI))
    assert scheduler.scores(c, cpu_only, [node]) == {"n": 300 + 85 + 87}
    assert scheduler.scores(c, memory_only, [node]) == {"n": 300 + 85 + 87}
    assert scheduler.scores(c, Pod(name="b"), [node]) == {"n": 300 + EMPTY_NODE_LEAST_ALLOCATED + 0}


def test_balanced_allocation_against_least_allocated() -> None:
    """A cpu-only pod of 1000m; heavy already holds a 2Gi memory-only pod, light is empty.
    heavy: BalancedAllocation fractions 1000/2000 = 0.5 and 2Gi/4Gi = 0.5, std 0, 100;
    LeastAllocated cpu (2000-1100)*100//2000 = 45 (the existing pod counts the 100m default),
    memory (4096-2248)Mi*100//4096Mi = 45 (the new pod counts the 200Mi default), 45:
    300 + 45 + 100 = 445 (spread skipped). light: fractions 0.5 and 0, std 0.25, 75;
    LeastAllocated cpu (2000-1000)*100//2000 = 50, memory 95, (50+95)//2 = 72: 300 + 72 + 75 = 447."""
    heavy, light = mknode("heavy"), mknode("light")
    existing = Pod(name="mem", node_name="heavy", requests=Resources(memory=2 * GI))
    c = mkcluster(heavy, light, pods=(existing,))
    pod = Pod(name="p", requests=Resources(cpu=1000))
    assert scheduler.scores(c, pod, list(c.nodes)) == {"heavy": 445, "light": 447}


def test_least_allocated_scores_an_overcommitted_resource_zero() -> None:
    """least_allocated.go leastRequestedScore: ``if requested > capacity { return 0 }``. A
    best-effort pod counts the 100m cpu default, more than this node's 50m: cpu scores 0 (not
    a negative number), memory 95, so (0 + 95) // 2 = 47; total 300 + 47 + 0 (spread skipped)."""
    node = mknode("tiny", capacity=Resources(cpu=50, memory=4 * GI, pods=110))
    assert scheduler.scores(mkcluster(node), Pod(name="p"), [node]) == {"tiny": 347}


def test_the_non_zero_defaults_are_exactly_100m_and_200mi() -> None:
    """pkg/scheduler/util/pod_resources.go: DefaultMilliCPURequest = 100, DefaultMemoryRequest =
    200 * 1024 * 1024. On a 1000m / 400Mi node a best-effort pod scores LeastAllocated cpu
    (1000-100)*100//1000 = 90 and memory (400-200)*100//400 = 50, (90 + 50) // 2 = 70 (one
    millicore or one byte more would give 69): total 300 + 70 + 0 = 370 (spread skipped)."""
    node = mknode("small", capacity=Resources(cpu=1000, memory=400 * MI, pods=110))
    assert scheduler.scores(mkcluster(node), Pod(name="p"), [node]) == {"small": 370}


def _web_rs() -> ReplicaSet:
    return ReplicaSet(name="web-x", replicas=3, selector=WEB, template=PodTemplate(labels=WEB))


def test_spread_normalisation_when_every_node_ties() -> None:
    """podtopologyspread/scoring.go NormalizeScore: with min == max != 0 every node gets
    100 * (max + min - max) / max = 100. Two hostnames, no zones, no matching pod yet: raw
    0 * log(4) + (3 - 1) = 2 on both nodes, so 100 each (x2 = 200), total 300 + 95 + 0 + 200."""
    c = mkcluster(mknode("a"), mknode("b")).with_replicaset(_web_rs())
    pod = Pod(name="web-x-1", owner="web-x", labels=WEB)
    assert scheduler.scores(c, pod, list(c.nodes)) == {"a": 595, "b": 595}
    assert scheduler.schedule(c, pod)[0] == ["a", "b"]


def test_spread_normalisation_ties_with_a_sibling_on_every_node() -> None:
    """One matching pod on each node: raw round(1 * log(4) + 2) = 3 on both, still a tie, 100 each.
    LeastAllocated with one best-effort pod there: cpu (2000-200)*100//2000 = 90, memory
    (4096-400)*100//4096 = 90: 90. Total 300 + 90 + 0 + 200 = 590."""
    siblings = (
        Pod(name="web-x-a", owner="web-x", labels=WEB, node_name="a"),
        Pod(name="web-x-b", owner="web-x", labels=WEB, node_name="b"),
    )
    c = mkcluster(mknode("a"), mknode("b"), pods=siblings).with_replicaset(_web_rs())
    pod = Pod(name="web-x-c", owner="web-x", labels=WEB)
    assert scheduler.scores(c, pod, list(c.nodes)) == {"a": 590, "b": 590}


def test_spread_normalisation_without_a_tie() -> None:
    """A sibling on a, a stranger (same requests) on b: raw a = round(log(4) + 2) = 3, b = 2.
    a: 100 * (3 + 2 - 3) // 3 = 66 (x2 = 132); b: 100 * (3 + 2 - 2) // 3 = 100 (x2 = 200).
    Totals a 300 + 90 + 132 = 522, b 300 + 90 + 200 = 590."""
    pods = (
        Pod(name="web-x-a", owner="web-x", labels=WEB, node_name="a"),
        Pod(name="stranger", labels=labels_of({"app": "db"}), node_name="b"),
    )
    c = mkcluster(mknode("a"), mknode("b"), pods=pods).with_replicaset(_web_rs())
    pod = Pod(name="web-x-c", owner="web-x", labels=WEB)
    assert scheduler.scores(c, pod, list(c.nodes)) == {"a": 522, "b": 590}


def test_spread_counts_zones_with_their_own_max_skew() -> None:
    """The zone constraint (maxSkew 5) adds to the hostname one (maxSkew 3). a in zone z1 with a
    sibling, b in zone z2 with a stranger: two hostnames and two zones, weight log(4) = 1.386 for
    each. raw a = (1.386 + 2) + (1.386 + 4) = 8.77, rounded 9; b = 2 + 4 = 6. a: 100 * (9 + 6 -
    9) // 9 = 66 (x2 = 132); b: 100 (x2 = 200). Totals a 300 + 90 + 132 = 522, b 590."""
    pods = (
        Pod(name="web-x-a", owner="web-x", labels=WEB, node_name="a"),
        Pod(name="stranger", labels=labels_of({"app": "db"}), node_name="b"),
    )
    zone = "topology.kubernetes.io/zone"
    nodes = (mknode("a", labels={zone: "z1"}), mknode("b", labels={zone: "z2"}))
    c = mkcluster(*nodes, pods=pods).with_replicaset(_web_rs())
    pod = Pod(name="web-x-c", owner="web-x", labels=WEB)
    assert scheduler.scores(c, pod, list(c.nodes)) == {"a": 522, "b": 590}


def test_spread_with_no_topology_labels_scores_every_node_100() -> None:
    """Nodes with neither a hostname nor a zone label: every raw score is 0, max is 0, so
    NormalizeScore gives all of them 100 (and does not divide by zero)."""
    a, b = Node(name="a"), Node(name="b")
    c = mkcluster(a, b).with_replicaset(_web_rs())
    pod = Pod(name="web-x-1", owner="web-x", labels=WEB)
    assert scheduler.scores(c, pod, [a, b]) == {"a": 595, "b": 595}


# --- the queue -------------------------------------------------------------------------------------


def test_queue_pops_the_oldest_pod_first_whatever_the_names_say() -> None:
    """queuesort/priority_sort.go Less: equal priorities are ordered by the time the pod entered
    the queue, earliest first; a pod created earlier entered it earlier. The names here sort the
    other way round from the ages."""
    pods = (
        Pod(name="a-newest", created=20),
        Pod(name="m-middle", created=10),
        Pod(name="z-oldest", created=0),
    )
    c = mkcluster(mknode("n"), pods=pods)
    assert [p.name for p in scheduler.queue(c)] == ["z-oldest", "m-middle", "a-newest"]
    (out,) = scheduler.step(c)
    assert out.label == "bind z-oldest to n"


# --- DefaultPreemption's diagnosis -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ask", "reason", "diagnosis"),
    [
        # asks exactly the allocatable
        (Resources(cpu=1000), "Insufficient cpu", "No preemption victims found for incoming pod"),
        (Resources(memory=2 * GI), "Insufficient memory", "No preemption victims found for incoming pod"),
        # more than the node has at all
        (Resources(cpu=1001), "Insufficient cpu", "Preemption is not helpful for scheduling"),
        (Resources(memory=2 * GI + 1), "Insufficient memory", "Preemption is not helpful for scheduling"),
    ],
)
def test_preemption_diagnosis_for_a_pod_asking_exactly_the_nodes_capacity(
    ask: Resources, reason: str, diagnosis: str
) -> None:
    """noderesources/fit.go: an insufficient resource is Unresolvable only when
    ``podRequest > allocatable``; asking exactly the allocatable leaves it Unschedulable, so
    DefaultPreemption looks for victims (and, all priorities being equal, finds none)."""
    node = mknode("n", capacity=Resources(cpu=1000, memory=2 * GI, pods=110))
    there = Pod(name="there", node_name="n", requests=Resources(cpu=100, memory=MI))
    c = mkcluster(node, pods=(there, Pod(name="p", requests=ask)))
    (out,) = scheduler.step(c)
    (event,) = out.events
    assert event.message == (
        f"0/1 nodes are available: 1 {reason}. no new claims to deallocate, "
        f"preemption: 0/1 nodes are available: 1 {diagnosis}."
    )


def test_preemption_diagnosis_when_every_resource_is_short() -> None:
    """All three NodeResourcesFit reasons at once, each for a request within the node's
    allocatable: still only Unschedulable (resolvable), so preemption is tried."""
    node = mknode("n", capacity=Resources(cpu=1000, memory=GI, pods=1))
    there = Pod(name="there", node_name="n", requests=Resources(cpu=600, memory=GI // 2))
    c = mkcluster(node, pods=(there, Pod(name="p", requests=Resources(cpu=600, memory=GI // 2 + 1))))
    (out,) = scheduler.step(c)
    assert out.events[0].message == (
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods. no new claims to "
        "deallocate, preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )


def test_failure_message_with_resolvable_and_unresolvable_nodes() -> None:
    """framework/types.go FitError.Error with the PostFilter message: per node one diagnosis,
    counted and sorted as strings."""
    reasons = {"a": ["Insufficient cpu"], "b": ["Insufficient cpu"], "c": [AFFINITY]}
    message = scheduler.failure_message(3, reasons, {"a", "b"}, "1.30")
    assert message == (
        f"0/3 nodes are available: 1 {AFFINITY}, 2 Insufficient cpu. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )


# --- survivors of the mutation run ----------------------------------------------------------------


def test_a_prefilter_rejection_replaces_the_histogram_in_the_fit_error() -> None:
    """framework/types.go FitError.Error(): when a PreFilter plugin rejected the pod,
    ``Diagnosis.PreFilterMsg`` follows ``0/N nodes are available:`` (SeparatorFormat " %v.")
    instead of the per-node histogram, which would repeat the same status for every node."""
    conflict = "pod affinity terms conflict"
    reasons = {n: [conflict] for n in ("a", "b", "c")}
    assert scheduler.failure_message(3, reasons, prefilter=conflict) == f"0/3 nodes are available: {conflict}."


def test_a_host_port_conflict_is_resolvable_by_preemption() -> None:
    """node_ports.go Filter: a port conflict is ``framework.Unschedulable`` (not
    UnschedulableAndUnresolvable): evicting the pod that holds the port would help."""
    holder = Pod(name="h", node_name="a", phase="Running", scheduling=SchedulingSpec(host_ports=(HostPort(80),)))
    pod = Pod(name="p", scheduling=SchedulingSpec(host_ports=(HostPort(80),)))
    node = mknode("a")
    reasons = scheduler.filter_reasons(mkcluster(node, pods=(holder,)), pod, node)
    assert reasons == ["node(s) didn't have free ports for the requested pod ports"]
    assert scheduler.resolvable_by_preemption(pod, node, reasons)


def test_a_stale_nomination_is_cleared_when_preemption_cannot_help() -> None:
    """default_preemption / preemption.go Preempt: when no node has a candidate the PostFilter
    result is ``NewPostFilterResultWithNominatedNode("")`` and handleSchedulingFailure writes
    status.nominatedNodeName = "" (ModeOverride): a pod nominated to a node it no longer fits on,
    asking more cpu than any node has, loses its nomination."""
    node = mknode("a", capacity=Resources(cpu=2000, memory=4 * GI, pods=110))
    pod = Pod(name="p", requests=Resources(cpu=5000), nominated_node_name="a")
    (outcome,) = scheduler.step(mkcluster(node, pods=(pod,)))
    after = outcome.state.pod("p")
    assert after is not None and after.node_name is None and after.nominated_node_name is None
    assert [e.reason for e in outcome.events] == ["FailedScheduling"]


def test_a_nomination_waiting_for_its_victim_to_terminate_is_kept() -> None:
    """preemption.go PodEligibleToPreemptOthers: a pod whose nominated node still holds a pod of
    lower priority terminating by preemption (podTerminatingByPreemption: deleted, with the
    DisruptionTarget reason PreemptionByScheduler) is not eligible to preempt again ("not eligible due to a
    terminating pod on the nominated node."); Preempt returns no PostFilter result, so the
    nominating info is a no-op and status.nominatedNodeName stays."""
    node = mknode("a", capacity=Resources(cpu=2000, memory=4 * GI, pods=110))
    victim = Pod(
        name="v",
        node_name="a",
        phase="Running",
        requests=Resources(cpu=1500),
        deletion_timestamp=0,
        disruption_reason="PreemptionByScheduler",
        scheduling=SchedulingSpec(priority=0),
    )
    pod = Pod(name="p", requests=Resources(cpu=1000), nominated_node_name="a", scheduling=SchedulingSpec(priority=100))
    (outcome,) = scheduler.step(mkcluster(node, pods=(victim, pod)))
    after = outcome.state.pod("p")
    assert after is not None and after.node_name is None and after.nominated_node_name == "a"
    (event,) = outcome.events
    assert event.reason == "FailedScheduling"
    assert "not eligible due to a terminating pod on the nominated node." in event.message
