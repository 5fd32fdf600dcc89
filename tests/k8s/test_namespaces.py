"""Namespaces in the controllers, the scheduler and the descheduler, translated from the Go tests
that put objects in more than one namespace.

A kmodel object of namespace NS other than ``default`` is named ``NS/NAME`` (kmodel.namespaces);
the Go tests' namespace "" and ``metav1.NamespaceDefault`` are ``default``.

- pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go TestPreFilterState
  "namespace mismatch doesn't count" and scoring_test.go TestPodTopologySpreadScore "existing
  pods in a different namespace do not count";
- pkg/controller/endpoint/endpoints_controller_test.go TestSyncEndpointsProtocolTCP (a Service and
  its pod in namespace "other"), with a pod of the same labels in another namespace added: the
  controller lists the pods of the Service's namespace only (syncService,
  ``podLister.Pods(service.Namespace)``);
- kubernetes-sigs/descheduler pkg/framework/plugins/nodeutilization/lownodeutilization_test.go
  TestLowNodeUtilization "without priorities, but excluding namespaces" (p1..p5 in namespace1,
  which the plugin excludes; p8 in kube-system), and the per-namespace eviction limit of
  pkg/descheduler/evictions/evictions.go (``maxPodsToEvictPerNamespace``, counted per
  ``pod.Namespace``).
"""

from __future__ import annotations

import attrs

from kmodel.components import endpoints
from kmodel.components.descheduler_plugins import lownodeutilization
from kmodel.components.plugins import podtopologyspread as pts
from kmodel.components.plugins.framework import UNSCHEDULABLE, CycleState
from kmodel.deschedulertypes import DefaultEvictorArgs, Namespaces, PluginArgs
from kmodel.labels import EXISTS, LabelSelector, Requirement
from kmodel.schedulingspec import DO_NOT_SCHEDULE, SCHEDULE_ANYWAY, SchedulingSpec, TopologySpreadConstraint
from kmodel.settings import Settings
from kmodel.state import LABEL_HOSTNAME, Cluster, Node, Pod, Service, labels_of
from tests.k8s import deschedulerkit as dk
from tests.k8s.conftest import apply, mkcluster, mkpod

FOO = LabelSelector((), (Requirement("foo", EXISTS),))


def in_ns(namespace: str, pod: Pod) -> Pod:
    return attrs.evolve(pod, name=f"{namespace}/{pod.name}")


def spread_pod(key: str, action: str) -> Pod:
    """``st.MakePod().Name("p").Label("foo", "").SpreadConstraint(1, key, action, fooSelector)``."""
    c = TopologySpreadConstraint(1, key, action, FOO)
    return Pod(name="p", labels=labels_of({"foo": ""}), scheduling=SchedulingSpec(topology_spread=(c,)))


def P(name: str, node: str) -> Pod:
    return Pod(name=name, node_name=node, labels=labels_of({"foo": ""}))


def zn(name: str, zone: str) -> Node:
    return Node(name=name, labels=labels_of({"zone": zone, "node": name}))


def mkc(nodes: list[Node], pods: list[Pod]) -> Cluster:
    return Cluster(
        settings=Settings(),
        nodes=tuple(sorted(nodes, key=lambda n: n.name)),
        pods=tuple(sorted(pods, key=lambda p: p.name)),
    )


# --- PodTopologySpread --------------------------------------------------------------------------


def test_pre_filter_state_namespace_mismatch_does_not_count() -> None:
    """filtering_test.go TestPreFilterState "namespace mismatch doesn't count": p-a2 (ns1) and
    p-y1 (ns2) are not counted for the incoming pod of the default namespace:
    TpPairToMatchNum zone1 2, zone2 1. Filter (maxSkew 1): zone1 has 2 + 1 - 1 = 2 > 1, so its
    nodes are Unschedulable; zone2's fit."""
    nodes = [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-x", "zone2"), zn("node-y", "zone2")]
    pods = [
        P("p-a1", "node-a"),
        in_ns("ns1", P("p-a2", "node-a")),
        P("p-b1", "node-b"),
        in_ns("ns2", P("p-y1", "node-y")),
        P("p-y2", "node-y"),
    ]
    state = CycleState.of(mkc(nodes, pods), spread_pod("zone", DO_NOT_SCHEDULE))
    (hard,) = pts._prefilter(state)
    assert hard.counts == {"zone1": 2, "zone2": 1}
    codes = {n.name: (s.code if (s := pts.filter(state, n)) is not None else "Success") for n in nodes}
    assert codes == {"node-a": UNSCHEDULABLE, "node-b": UNSCHEDULABLE, "node-x": "Success", "node-y": "Success"}


def test_score_existing_pods_in_a_different_namespace_do_not_count() -> None:
    """scoring_test.go TestPodTopologySpreadScore "existing pods in a different namespace do not
    count": p-a1 is in ns1, so node-a counts 1 and node-b 2: scores 100 and 33."""
    nodes = [Node(name=n, labels=labels_of({LABEL_HOSTNAME: n})) for n in ("node-a", "node-b")]
    pods = [in_ns("ns1", P("p-a1", "node-a")), P("p-a2", "node-a"), P("p-b1", "node-b"), P("p-b2", "node-b")]
    state = CycleState.of(mkc(nodes, pods), spread_pod(LABEL_HOSTNAME, SCHEDULE_ANYWAY))
    assert pts.score(state, nodes) == {"node-a": 100, "node-b": 33}


def test_the_same_pods_in_one_namespace_all_count() -> None:
    """The control for the two cases above: with every pod in the incoming pod's namespace,
    node-a counts 2 like node-b (zone1 3, zone2 2 in the PreFilter case)."""
    nodes = [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-x", "zone2"), zn("node-y", "zone2")]
    pods = [P("p-a1", "node-a"), P("p-a2", "node-a"), P("p-b1", "node-b"), P("p-y1", "node-y"), P("p-y2", "node-y")]
    (hard,) = pts._prefilter(CycleState.of(mkc(nodes, pods), spread_pod("zone", DO_NOT_SCHEDULE)))
    assert hard.counts == {"zone1": 3, "zone2": 2}
    # and an incoming pod of ns1 sees only p-a2 when that one alone is in ns1
    incoming = in_ns("ns1", spread_pod("zone", DO_NOT_SCHEDULE))
    moved = [in_ns("ns1", p) if p.name == "p-a2" else p for p in pods]
    (hard,) = pts._prefilter(CycleState.of(mkc(nodes, moved), incoming))
    assert hard.counts == {"zone1": 1, "zone2": 0}


# --- Endpoints ----------------------------------------------------------------------------------


def test_sync_endpoints_protocol_tcp_in_namespace_other() -> None:
    """endpoints_controller_test.go TestSyncEndpointsProtocolTCP: Service foo in namespace "other"
    with an empty selector, one ready pod in "other" (addPods(ns, 1, 1, 0): labelled foo=bar): one
    ready address. kmodel's Service has no set-but-empty selector (the apiserver drops an empty
    one), so the Service here selects foo=bar, which the pod carries. A ready pod in default with
    the same labels is not one of its addresses."""
    foo_bar = labels_of({"foo": "bar"})
    svc = Service(name="other/foo", selector=foo_bar)
    pods = (
        mkpod("other/pod0", "node1", labels=foo_bar, ready=True),
        mkpod("pod0", "node1", labels=foo_bar, ready=True),
    )
    c = mkcluster(Node(name="node1"), pods=pods, services=(svc,))
    c, _ = apply(endpoints.step, c)
    assert c.service("other/foo").endpoints == ("other/pod0",)  # type: ignore[union-attr]


def test_a_service_selects_only_its_own_namespaces_pods() -> None:
    """Two Services named web in team-a and team-b with the same selector: each gets its own
    namespace's pod; a Service in a namespace without such pods gets none."""
    labels = labels_of({"app": "web"})
    svcs = tuple(Service(name=f"{ns}web", selector=labels) for ns in ("team-a/", "team-b/", "empty/"))
    pods = (
        mkpod("team-a/web-1", "node1", labels=labels, ready=True),
        mkpod("team-b/web-1", "node1", labels=labels, ready=True),
    )
    c, _ = apply(endpoints.step, mkcluster(Node(name="node1"), pods=pods, services=svcs))
    assert {s.name: s.endpoints for s in c.services} == {
        "team-a/web": ("team-a/web-1",),
        "team-b/web": ("team-b/web-1",),
        "empty/web": (),
    }


# --- the descheduler ----------------------------------------------------------------------------

CPU_PODS_30_50 = {"thresholds": (("cpu", 30.0), ("pods", 30.0)), "target_thresholds": (("cpu", 50.0), ("pods", 50.0))}
NODE_FIT = DefaultEvictorArgs(node_fit=True)


def three_nodes() -> list[Node]:
    return [
        dk.node("n1", 4000, 3000, 9),
        dk.node("n2", 4000, 3000, 10),
        dk.node("n3", 4000, 3000, 10, unschedulable=True),
    ]


def usual_pods(namespace_of_p1_to_p5: dict[str, str]) -> list[Pod]:
    """TestLowNodeUtilization's pods: p1..p5 ReplicaSet pods on n1 (in the namespaces given), p6 a
    DaemonSet pod, p7 a mirror pod (a bare pod here), p8 a system-critical pod in kube-system, p9
    a ReplicaSet pod on n2; each requests 400m."""
    pods = []
    for i in range(1, 6):
        ns = namespace_of_p1_to_p5.get(f"p{i}", "default")
        p = dk.pod(f"p{i}", 400, 0, "n1")
        pods.append(p if ns == "default" else attrs.evolve(p, name=f"{ns}/p{i}", owner=f"{ns}/{p.owner}"))
    pods.append(dk.pod("p6", 400, 0, "n1", owner=dk.DS))
    pods.append(dk.pod("p7", 400, 0, "n1", owner=None))
    pods.append(in_ns("kube-system", dk.pod("p8", 400, 0, "n1", owner=dk.NORMAL, priority=dk.SYSTEM_CRITICAL)))
    pods.append(dk.pod("p9", 400, 0, "n2"))
    return pods


def test_low_node_utilization_without_priorities_but_excluding_namespaces() -> None:
    """TestLowNodeUtilization "without priorities, but excluding namespaces": p1..p5 in
    namespace1, which evictableNamespaces excludes: expectedPodsEvicted 0. Excluding another
    namespace instead leaves them evictable: 4, as "without priorities" expects."""
    pods = usual_pods({f"p{i}": "namespace1" for i in range(1, 6)})
    excluded = PluginArgs(namespaces=Namespaces(exclude=("namespace1",)), **CPU_PODS_30_50)  # type: ignore[arg-type]
    assert dk.run_plugin(lownodeutilization.run, excluded, three_nodes(), pods, NODE_FIT) == []
    other = PluginArgs(namespaces=Namespaces(exclude=("namespace2",)), **CPU_PODS_30_50)  # type: ignore[arg-type]
    assert len(dk.run_plugin(lownodeutilization.run, other, three_nodes(), pods, NODE_FIT)) == 4


def test_the_per_namespace_eviction_limit_counts_each_namespace() -> None:
    """evictions.go EvictPod: maxPodsToEvictPerNamespace is checked against the evictions in the
    pod's own namespace. With a limit of 1, the "without priorities" pods (4 evictions without a
    limit) give 1 eviction when p1..p5 share a namespace, and 2 when p1, p2 are in team-a and
    p3..p5 in team-b (one in each)."""
    args = PluginArgs(**CPU_PODS_30_50)  # type: ignore[arg-type]
    one = usual_pods({})
    assert len(dk.run_plugin(lownodeutilization.run, args, three_nodes(), one, NODE_FIT, max_per_namespace=1)) == 1
    two = usual_pods({"p1": "team-a", "p2": "team-a", "p3": "team-b", "p4": "team-b", "p5": "team-b"})
    evicted = dk.run_plugin(lownodeutilization.run, args, three_nodes(), two, NODE_FIT, max_per_namespace=1)
    assert len(evicted) == 2 and {e.split("/")[0] for e in evicted} == {"team-a", "team-b"}
