"""kmodel explain's Z3 search against a brute-force search over binding sequences.

The brute force restates the scheduler's filter rules here, in a few lines each, without the
plugins (kmodel.components.plugins) or ``scheduler.filter_reasons``: a state is the set of
pending pods bound so far; a pod may be bound to a node when the rules pass with the bound pods
and the pods bound before it. Every state reachable that way is a placement in some binding
order, which is what ``explain`` asks about ("is there room at all"). Small generated clusters
use node affinity, extended resources, ephemeral-storage, host ports, taints, cordons, required
pod affinity and anti-affinity; the tests assert that the interesting cases occur (room that
only another binding order reaches, no room on a node that passes the node-local rules, ...),
so they cannot pass on clusters where every answer is trivial.
"""

from __future__ import annotations

from collections import Counter
from operator import attrgetter

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kmodel.components import scheduler
from kmodel.labels import DOES_NOT_EXIST, EXISTS, IN, NOT_IN, LabelSelector, Requirement
from kmodel.schedulingspec import (
    HostPort,
    NodeAffinity,
    NodeSelectorTerm,
    PodAffinity,
    PodAffinityTerm,
    SchedulingSpec,
    TopologySpreadConstraint,
)
from kmodel.settings import Settings
from kmodel.smt.feasibility import FITS_NOW, NO_ROOM, ROOM_EXISTS, explain_pod
from kmodel.state import (
    LABEL_HOSTNAME,
    LABEL_ZONE,
    NO_EXECUTE,
    NO_SCHEDULE,
    Cluster,
    Node,
    Pod,
    Resources,
    Taint,
    Toleration,
)

GPU = "example.com/gpu"
ZONE = LABEL_ZONE
HOST = LABEL_HOSTNAME

# --- the rules, restated ---------------------------------------------------------------------------


def tolerated(pod: Pod, key: str, value: str, effect: str) -> bool:
    for t in pod.tolerations:
        if t.effect not in ("", effect):
            continue
        if t.operator == "Exists" and t.key in ("", key):
            return True
        if t.operator in ("", "Equal") and t.key == key and t.value == value:
            return True
    return False


def requirement_holds(r: Requirement, labels: dict[str, str]) -> bool:
    if r.operator == IN:
        return labels.get(r.key) in r.values
    if r.operator == NOT_IN:
        return labels.get(r.key) not in r.values
    if r.operator == EXISTS:
        return r.key in labels
    if r.operator == DOES_NOT_EXIST:
        return r.key not in labels
    raise AssertionError(r.operator)


def selects(sel: LabelSelector | None, pod: Pod) -> bool:
    if sel is None:
        return False
    labels = dict(pod.labels)
    return all(labels.get(k) == v for k, v in sel.match_labels) and all(
        requirement_holds(r, labels) for r in sel.match_expressions
    )


def node_ok(pod: Pod, node: Node) -> bool:
    """Cordon, NoSchedule/NoExecute taints, nodeSelector, required node affinity."""
    if node.unschedulable and not tolerated(pod, "node.kubernetes.io/unschedulable", "", NO_SCHEDULE):
        return False
    for t in node.taints:
        if t.effect in (NO_SCHEDULE, NO_EXECUTE) and not tolerated(pod, t.key, t.value, t.effect):
            return False
    labels = dict(node.labels)
    if any(labels.get(k) != v for k, v in pod.node_selector):
        return False
    aff = pod.scheduling.node_affinity
    if aff is not None and aff.required is not None:
        fields = {"metadata.name": node.name}

        def term_ok(term: NodeSelectorTerm) -> bool:
            if not term.match_expressions and not term.match_fields:
                return False
            return all(requirement_holds(r, labels) for r in term.match_expressions) and all(
                requirement_holds(r, fields) for r in term.match_fields
            )

        if not any(term_ok(t) for t in aff.required):
            return False
    return True


def ports_clash(a: Pod, b: Pod) -> bool:
    for x in a.scheduling.host_ports:
        for y in b.scheduling.host_ports:
            same_ip = x.host_ip == y.host_ip or "" in (x.host_ip, y.host_ip)
            if x.port == y.port and x.protocol == y.protocol and same_ip:
                return True
    return False


def amounts(pod: Pod) -> dict[str, int]:
    r = pod.requests
    return {"cpu": r.cpu, "memory": r.memory, "ephemeral": r.ephemeral_storage, GPU: r.get(GPU)}


def allocatable(node: Node) -> dict[str, int]:
    c = node.capacity
    return {"cpu": c.cpu, "memory": c.memory, "ephemeral": c.ephemeral_storage, GPU: c.get(GPU)}


def value(node: Node, key: str) -> str | None:
    return dict(node.labels).get(key)


def may_bind(c: Cluster, pod: Pod, node: Node, there: list[tuple[Pod, Node]]) -> bool:
    """Can ``pod`` be bound to ``node`` with ``there`` (pod, node) already bound?"""
    if not node_ok(pod, node):
        return False
    # resources: every pod takes a slot; a requested amount must fit in what is left
    on_node = [p for p, n in there if n.name == node.name]
    if len(on_node) + 1 > node.capacity.pods:
        return False
    for res, amount in amounts(pod).items():
        if amount and sum(amounts(p)[res] for p in on_node) + amount > allocatable(node)[res]:
            return False
    # host ports
    if any(ports_clash(pod, p) for p in on_node):
        return False
    # required anti-affinity, both ways
    for p, n in there:
        for owner, other in ((pod, p), (p, pod)):
            anti = owner.scheduling.pod_anti_affinity
            for term in anti.required if anti is not None else ():
                k = term.topology_key
                if selects(term.label_selector, other) and value(n, k) is not None and value(n, k) == value(node, k):
                    return False
    # required affinity: every term's key on the node; a pod matching all terms in the same
    # domain, unless none matches anywhere yet and the pod matches them itself
    aff = pod.scheduling.pod_affinity
    if aff is not None and aff.required:
        terms = aff.required
        if any(value(node, t.topology_key) is None for t in terms):
            return False
        group = [(p, n) for p, n in there if all(selects(t.label_selector, p) for t in terms)]
        if not all(any(value(n, t.topology_key) == value(node, t.topology_key) for _, n in group) for t in terms):
            anywhere = any(any(value(n, t.topology_key) is not None for t in terms) for _, n in group)
            if anywhere or not all(selects(t.label_selector, pod) for t in terms):
                return False
    # DoNotSchedule spread constraints (Honor node affinity, Ignore taints: the defaults)
    for sc in pod.scheduling.topology_spread:
        keys = [x.topology_key for x in pod.scheduling.topology_spread]
        if value(node, sc.topology_key) is None:
            return False
        eligible = [n for n in c.nodes if all(value(n, k) is not None for k in keys) and node_ok_affinity(pod, n)]
        counts = {value(n, sc.topology_key): 0 for n in eligible}
        names = {n.name for n in eligible}
        for p, n in there:
            if n.name in names and selects(sc.label_selector, p) and not p.terminating:
                counts[value(n, sc.topology_key)] += 1
        low = min(counts.values()) if counts else 0
        if len(counts) < (sc.min_domains or 1):
            low = 0
        mine = counts.get(value(node, sc.topology_key), 0) + (1 if selects(sc.label_selector, pod) else 0)
        if counts and mine - low > sc.max_skew:
            return False
    return True


def node_ok_affinity(pod: Pod, node: Node) -> bool:
    """nodeSelector and required node affinity only (the spread's nodeAffinityPolicy: Honor)."""
    return node_ok(
        attrs.evolve(pod, tolerations=(Toleration(operator="Exists"),)), attrs.evolve(node, unschedulable=False)
    )


def reachable(c: Cluster, pending: list[Pod]) -> set[frozenset[tuple[str, str]]]:
    """Every set of (pod, node) bindings some binding sequence reaches."""
    nodes = {n.name: n for n in c.nodes}
    pods = {p.name: p for p in c.pods}
    fixed = [(p, nodes[p.node_name]) for p in c.pods if p.node_name in nodes and p.phase not in ("Succeeded", "Failed")]
    start: frozenset[tuple[str, str]] = frozenset()
    seen = {start}
    todo = [start]
    while todo:
        state = todo.pop()
        there = fixed + [(pods[p], nodes[n]) for p, n in state]
        done = {p for p, _ in state}
        for pod in pending:
            if pod.name in done:
                continue
            for node in c.nodes:
                if may_bind(c, pod, node, there):
                    nxt = state | {(pod.name, node.name)}
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
    return seen


def room_if_moved(c: Cluster, name: str) -> bool:
    """Some set of active bound pods, unbound, can be bound again on other nodes together with
    ``name`` (in some order; the pods that stay were bound before)."""
    movable = [p for p in c.pods if p.node_name is not None and p.active]
    for mask in range(1, 2 ** len(movable)):
        moved = [p for i, p in enumerate(movable) if mask >> i & 1]
        rest = c
        for p in moved:
            rest = rest.with_pod(attrs.evolve(p, node_name=None))
        unbound = [rest.pod(p.name) for p in moved] + [rest.pod(name)]
        want = {p.name for p in unbound}  # type: ignore[union-attr]
        was = {p.name: p.node_name for p in moved}
        for s in reachable(rest, unbound):  # type: ignore[arg-type]
            # a move lands on another node (re-binding a pod where it was is staying put)
            if {p for p, _ in s} == want and all(was.get(p) != n for p, n in s):
                return True
    return False


def replay_ok(c: Cluster, placement: dict[str, str]) -> bool:
    """The placement, bound in its order, passes the restated rules at every binding."""
    nodes = {n.name: n for n in c.nodes}
    there = [(p, nodes[p.node_name]) for p in c.pods if p.node_name in nodes and p.phase not in ("Succeeded", "Failed")]
    for name, node in placement.items():
        pod = c.pod(name)
        assert pod is not None
        if not may_bind(c, pod, nodes[node], there):
            return False
        there.append((pod, nodes[node]))
    return True


# --- generated clusters ------------------------------------------------------------------------------

GI = 1024**3
APP_A = LabelSelector((("app", "a"),))
APP_B = LabelSelector((("app", "b"),))


def mknode(name: str, zone: str | None, **kw: object) -> Node:
    labels = {HOST: name, **({ZONE: zone} if zone else {}), **kw.pop("labels", {})}  # type: ignore[dict-item]
    return Node(name=name, labels=tuple(sorted(labels.items())), **kw)  # type: ignore[arg-type]


@st.composite
def clusters(draw: st.DrawFn, spread: bool = False) -> Cluster:
    nodes = []
    for i in range(draw(st.integers(2, 3))):
        gpus = draw(st.sampled_from((0, 1, 2)))
        scalar = ((GPU, gpus),) if gpus else ()
        taint = draw(st.sampled_from((None, None, None, Taint("dedicated", NO_SCHEDULE, "x"))))
        nodes.append(
            mknode(
                f"n{i}",
                draw(st.sampled_from(("z1", "z1", "z2", None) if not spread else ("z1", "z2"))),
                labels={"disk": "ssd"} if draw(st.booleans()) else {},
                capacity=Resources(
                    cpu=draw(st.sampled_from((1000, 2000))),
                    memory=4 * GI,
                    pods=draw(st.sampled_from((1, 2, 3, 110))),
                    ephemeral_storage=draw(st.sampled_from((0, 10 * GI))),
                    scalar=scalar,
                ),
                taints=(taint,) if taint else (),
                unschedulable=draw(st.integers(0, 7)) == 0,
            )
        )
    names = [n.name for n in nodes]
    pods = []
    for j in range(draw(st.integers(1, 4))):
        app = draw(st.sampled_from(("a", "a", "b")))
        kind = draw(
            st.sampled_from(("plain", "anti", "affinity", "ports", "gpu", "nodeaff") if not spread else ("spread",))
        )
        spec = SchedulingSpec()
        req = Resources(cpu=draw(st.sampled_from((0, 300, 800))), memory=0)
        if kind == "anti":
            key = draw(st.sampled_from((HOST, ZONE)))
            spec = SchedulingSpec(
                pod_anti_affinity=PodAffinity(required=(PodAffinityTerm(key, draw(st.sampled_from((APP_A, APP_B)))),))
            )
        elif kind == "affinity":
            spec = SchedulingSpec(
                pod_affinity=PodAffinity(required=(PodAffinityTerm(ZONE, draw(st.sampled_from((APP_A, APP_B)))),))
            )
        elif kind == "ports":
            ip = draw(st.sampled_from(("", "", "10.0.0.1", "10.0.0.2")))
            spec = SchedulingSpec(host_ports=(HostPort(8080, "TCP", ip),))
        elif kind == "gpu":
            req = Resources(cpu=req.cpu, scalar=((GPU, draw(st.sampled_from((1, 2)))),))
            if draw(st.booleans()):
                req = attrs.evolve(req, ephemeral_storage=draw(st.sampled_from((GI, 20 * GI))))
        elif kind == "nodeaff":
            term = draw(
                st.sampled_from(
                    (
                        NodeSelectorTerm(match_expressions=(Requirement(ZONE, IN, ("z1",)),)),
                        NodeSelectorTerm(match_expressions=(Requirement(ZONE, NOT_IN, ("z1",)),)),
                        NodeSelectorTerm(match_expressions=(Requirement("disk", EXISTS),)),
                        NodeSelectorTerm(
                            match_fields=(Requirement("metadata.name", IN, (draw(st.sampled_from(names)),)),)
                        ),
                        NodeSelectorTerm(match_fields=(Requirement("metadata.name", NOT_IN, ("n0",)),)),
                    )
                )
            )
            spec = SchedulingSpec(node_affinity=NodeAffinity(required=(term,)))
        elif kind == "spread":
            constraints = [TopologySpreadConstraint(1, ZONE, "DoNotSchedule", APP_A)]
            if draw(st.booleans()):
                constraints.append(TopologySpreadConstraint(1, HOST, "DoNotSchedule", APP_A))
            spec = SchedulingSpec(topology_spread=tuple(constraints))
        tolerations = (Toleration("dedicated", "Exists"),) if draw(st.booleans()) else ()
        selector = (("disk", "ssd"),) if draw(st.integers(0, 5)) == 0 else ()
        node = draw(st.sampled_from([None, None, *names]))
        pods.append(
            Pod(
                name=f"p{j}",
                labels=(("app", app),),
                node_name=node,
                requests=req,
                created=draw(st.sampled_from((0, 5))),
                tolerations=tolerations,
                node_selector=selector,
                scheduling=spec,
            )
        )
    return Cluster(
        settings=Settings(),
        nodes=tuple(sorted(nodes, key=attrgetter("name"))),
        pods=tuple(sorted(pods, key=attrgetter("name"))),
    )


def check_against_brute_force(c: Cluster, seen: Counter[str]) -> None:
    queue = [p.name for p in scheduler.queue(c)]
    assume(queue)
    pending = [c.pod(n) for n in queue]
    states = reachable(c, pending)  # type: ignore[arg-type]
    best = max(len(s) for s in states)
    for name in queue:
        e = explain_pod(c, name)
        room = any(name in {p for p, _ in s} for s in states)
        assert (e.verdict in (FITS_NOW, ROOM_EXISTS)) == room, (name, e.lines)
        assert e.max_placeable == best, (e.max_placeable, best)
        if e.verdict == ROOM_EXISTS:
            assert e.assignment is not None and name in e.assignment
            assert replay_ok(c, e.assignment), e.assignment
            seen["room-exists"] += 1
            if not any(f.passes for f in e.nodes.values()):
                seen["room only in another order"] += 1
        if e.verdict == NO_ROOM:
            seen["no-room"] += 1
            if not all(f.never for f in e.nodes.values()):
                seen["no-room with a node passing the node-local rules"] += 1
                assert e.bound_pods_must_move == room_if_moved(c, name), e.lines
                if e.bound_pods_must_move:
                    seen["room if bound pods moved"] += 1
        if e.verdict == FITS_NOW:
            seen["fits-now"] += 1
    seen["clusters"] += 1


def run_sweep(strategy: st.SearchStrategy[Cluster], examples: int) -> Counter[str]:
    seen: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    @given(strategy)
    def sweep(c: Cluster) -> None:
        check_against_brute_force(c, seen)

    sweep()
    return seen


def test_node_local_rules_resources_ports_and_pod_affinity_agree_with_brute_force() -> None:
    seen = run_sweep(clusters(), 250)
    assert seen["clusters"] >= 100
    for case in (
        "fits-now",
        "room-exists",
        "no-room",
        "no-room with a node passing the node-local rules",
        "room only in another order",
        "room if bound pods moved",
    ):
        assert seen[case] > 0, seen


@pytest.mark.thorough
def test_bigger_sweep_agrees_with_brute_force() -> None:
    seen = run_sweep(clusters(), 3000)
    assert seen["room only in another order"] > 10, seen
