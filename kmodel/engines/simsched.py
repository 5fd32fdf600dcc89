"""The scheduler's loop of one ``kmodel simulate`` tick on node classes (issue 17).

:func:`scheduler_steps` yields what the scheduler's part of :func:`kmodel.model.fixed_schedule`
yields (one step per queued pod, the first successor of each, at most 10,000 a tick), but a pod
whose cycle depends on a node only through a few of its facts is filtered and scored once per
*class* of nodes instead of once per node.

A pod qualifies when nothing but the default profile's per-node plugins speaks about it: no
nominated node and no pod nominated anywhere, no nodeSelector or node affinity, no pod
(anti-)affinity of its own and none on any pod in the cluster, no host ports, no topology spread
constraints of its own (the system defaults apply). Then its filters (NodeUnschedulable,
TaintToleration, NodeResourcesFit; the others let every node through) and its scores
(TaintToleration's untolerated PreferNoSchedule taints, LeastAllocated, BalancedAllocation, the
default PodTopologySpread; NodeAffinity and InterPodAffinity score every node 0) read of a node:
its zone label, whether it has a hostname label, its cordon, its taints, its capacity, what the
pods bound to it request (the scheduler cache's NodeInfo) and how many of them the default spread
selector matches. Nodes alike in all of these form a class; the plugins run on one node of each
class, and what a node's score depends on beyond its own facts (the normalisations over the
feasible nodes, the spread plugin's weights from the number of candidates and of zones among
them, a zone's count of matching pods) is taken from the classes' sizes and sums. The best
classes' nodes, in name order, are the ties the scheduler would list, and the pod goes to the
first, as :func:`kmodel.components.scheduler.step` does when only the first successor is built.

The classes are kept from one tick to the next: a bind moves only the node it bound to (when
the classes are next used), and at a new tick, or after the scheduler's own step, a node moves
only when its node object or its group of pods in the pods index is another object (and its
class key then differs). Any other pod, and a pod that no node fits (the failure message counts
every node's reasons, and preemption may act), takes the scheduler's own step.

Within the loop the names of the pods attempted are gathered and written to the state's
``sched_attempted`` once, at the end of the loop and before a pod takes the scheduler's own
step. The binds are gathered too and written in one write (``Cluster.with_pods``) when the
state is next read: before the scheduler's own step, before classes are brought up to date
or built, when a filter must run on a class no answer is known for, and at the end of the
loop. Until then the classes of the pod's selector move the bound node at once, from its key
(its usage and spread count with the pod added, as the pods index's facts would be carried),
and the pods are taken from the queue as it was (the bound ones are attempted, so passed
over). An outcome of the loop may carry a state without the binds and attempts after it
(``simulate`` reads only the last state of a tick). tests/test_simulate_equivalence.py holds
the simulator to its outputs from before this module.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from itertools import islice
from operator import attrgetter
from typing import Any

import attrs

from kmodel import model, podindex
from kmodel.components import scheduler
from kmodel.components.plugins import interpodaffinity, noderesources, podtopologyspread, tainttoleration
from kmodel.components.plugins.framework import MAX_NODE_SCORE, CycleState
from kmodel.components.plugins.noderesources import NodeUsage, Usage
from kmodel.labels import LabelSelector
from kmodel.namespaces import namespaced
from kmodel.state import LABEL_HOSTNAME, LABEL_ZONE, Cluster, Node, Pod, label
from kmodel.transition import Event, Outcome

REPEAT = model.REPEAT  # the scheduler's steps per tick (kmodel.model.fixed_schedule_steps)

_NOMINATED = podindex.counter(
    "simsched.nominated", lambda p: p.node_name is None and bool(p.nominated_node_name) and not p.terminating
)

_HOST_SKEW, _ZONE_SKEW = (
    dict(podtopologyspread.DEFAULT_SPREAD_CONSTRAINTS)[LABEL_HOSTNAME],
    dict(podtopologyspread.DEFAULT_SPREAD_CONSTRAINTS)[LABEL_ZONE],
)
assert [k for k, _ in podtopologyspread.DEFAULT_SPREAD_CONSTRAINTS] == [LABEL_HOSTNAME, LABEL_ZONE]


def qualifies(cluster: Cluster, pod: Pod) -> bool:
    """The pod's cycle reads each node only through the facts of its class (see above)."""
    spec = pod.scheduling
    if pod.nominated_node_name or pod.node_selector or spec.node_affinity is not None:
        return False
    if spec.pod_affinity is not None or spec.pod_anti_affinity is not None or spec.host_ports:
        return False
    if podtopologyspread.uses_own_constraints(pod, cluster.settings.kubernetes_version):
        return False
    ix = podindex.index(cluster.pods)
    return (
        ix.count(_NOMINATED) == 0
        and ix.count(interpodaffinity._REPELS) == 0
        and ix.count(interpodaffinity._BOUND_WITH_AFFINITY) == 0
    )


# what a class key reads of a pod on the node (NodeUsage's and the spread counts'), for the pods
# index's journal of writes (kmodel.podindex.journal, kept by simulate)
JOURNAL_READS = (noderesources._usage_reads, podtopologyspread._reads)

_node_facts = attrgetter("labels", "unschedulable", "taints", "capacity")  # what a class key reads of a node


class _Classes:
    """The nodes in classes for one spread selector (None: the pod has no default spread) in
    one namespace, kept up to date bind by bind, and from one state to the next by
    :meth:`catch_up`.

    A node's class key is a function of the node's labels, cordon, taints and capacity, of its
    group of pods in the pods index (a tuple that never changes), and of the selector: the node
    object and the group each key was computed from are kept, and a node whose two are the very
    same objects keeps its key."""

    def __init__(self, cluster: Cluster, selector: LabelSelector | None, space: str | None) -> None:
        self.selector, self.space = selector, space
        # what the spread count of a node reads of a pod (podtopologyspread._Matching's)
        self.counter = podtopologyspread._Counter(selector.requirements(), space) if selector is not None else None
        self.node_list = cluster.nodes
        self.nodes: dict[str, Node] = {n.name: n for n in cluster.nodes}
        self.groups: dict[str, object] = {}  # the pods group each node's key was computed from
        self.key: dict[str, tuple[Any, ...]] = {}
        self.members: dict[tuple[Any, ...], _Class] = {}
        self.matching: dict[str, int] = {}
        self.zone_total: dict[str, int] = {}
        self.dirty: set[str] = set()  # nodes bound to since the classes were last brought up to date
        self.seq = -1  # the pods index the classes are up to date with (kmodel.podindex's journal)
        self.refresh(cluster, list(self.nodes))

    def catch_up(self, cluster: Cluster) -> bool:
        """Bring the classes up to date with ``cluster`` (any state of the same nodes); False
        when its node list has other nodes (the classes must be built again)."""
        changed: list[str] = []
        if cluster.nodes is not self.node_list:
            nodes = self.nodes
            if len(cluster.nodes) != len(nodes):
                return False
            for n in cluster.nodes:
                old = nodes.get(n.name)
                if old is None:
                    return False
                if n is not old:
                    nodes[n.name] = n
                    if _node_facts(n) != _node_facts(old):
                        changed.append(n.name)
            self.node_list = cluster.nodes
        ix = podindex.index(cluster.pods)
        touched = podindex.touched(self.seq, ix, JOURNAL_READS)
        if touched is None:
            by_node = ix.by_node
            changed.extend(name for name, group in self.groups.items() if by_node.get(name, ()) is not group)
        else:
            # (the journal's nodes: the others' pods were not written, or were rewritten alike
            # in all that a class key reads; their groups are other tuples, their keys the same)
            changed.extend(name for name in touched if name in self.nodes)
        changed.extend(name for name in self.dirty if name in self.nodes)  # (bound to in another state)
        self.dirty.clear()
        if changed:
            self.refresh(cluster, sorted(set(changed)))
        self.seq = ix.seq
        return True

    def bind(self, pod: Pod, name: str) -> None:
        """Move node ``name`` to its class with ``pod`` (bound to it) added to its pods, from
        its key alone (the usage and the spread count a write of that pod would carry: see
        kmodel.podindex's updated facts), before the bind is written to the state. The node's
        group is marked unknown: the next catch_up, after the write, checks its key again."""
        old = self.key.get(name)
        usage = noderesources._usage_update(old[5], None, pod) if old is not None else None
        if old is None or usage is None:
            self.dirty.add(name)
            return
        m = old[6] + (self.counter is not None and self.counter.counts(pod))
        key = (*old[:5], usage, m)
        self.groups[name] = _UNKNOWN
        self._move(name, old, key, m)

    def _move(self, name: str, old: tuple[Any, ...] | None, key: tuple[Any, ...], m: int) -> None:
        """Node ``name`` from class ``old`` (None: none yet) to class ``key`` (``m``: its
        spread count)."""
        if old is not None:
            names_of = self.members[old].names
            del names_of[bisect_left(names_of, name)]
            if not names_of:
                del self.members[old]
            self.zone_total[old[0] or ""] -= self.matching[name]
        zone = key[0]
        self.key[name] = key
        self.matching[name] = m
        self.zone_total[zone or ""] = self.zone_total.get(zone or "", 0) + m
        cls = self.members.get(key)
        if cls is None:
            cls = self.members[key] = _Class(key)
        names_of = cls.names
        if not names_of or names_of[-1] < name:
            names_of.append(name)
        else:
            insort(names_of, name)

    def _count(self, cluster: Cluster) -> Any:
        if self.selector is None:
            return None
        return podtopologyspread._Matching(podindex.index(cluster.pods), self.selector, self.space)

    def refresh(self, cluster: Cluster, names: list[str]) -> None:
        """Recompute the class of each node in ``names`` (their pods changed)."""
        usage = NodeUsage(cluster)
        counts = self._count(cluster)
        ix = podindex.index(cluster.pods)
        self.seq = ix.seq
        by_node = ix.by_node
        count_fact = (podtopologyspread.NAME, self.selector, self.space)
        if len(_base) > 4 * len(self.nodes) + 1000:
            _base.clear()
        for name in names:
            node = self.nodes[name]
            group = self.groups[name] = by_node.get(name, ())
            # the key's part that does not depend on the selector, shared by the selectors' classes
            seen = _base.get(name)
            if seen is None or seen[0] is not node or seen[1] is not group:
                seen = _base[name] = (node, group, _base_key(ix, usage, node, group))
            base = seen[2]
            if counts is None:
                m = 0
            elif group:
                # (straight from the facts the pods index knows for the node's pods, when it does)
                facts = ix.known_node_facts(name)
                m = facts.get(count_fact) if facts is not None else None
                if m is None:
                    m = counts.get(name, 0)
            else:
                m = 0
            key = (*base, m)
            old = self.key.get(name)
            if old is not None and old == key:
                continue
            self._move(name, old, key, m)


def _base_key(ix: podindex.PodIndex, usage: NodeUsage, node: Node, group: object) -> tuple[Any, ...]:
    """A node's class key but for its matching count: its zone, whether it has a hostname label,
    its cordon, taints, capacity and usage (as NodeUsage reads it, straight from the facts the
    pods index knows for its pods when it does)."""
    if group:
        facts = ix.known_node_facts(node.name)
        u = facts.get(USAGE_FACT) if facts is not None else None
        if u is None:
            u = usage.get(node.name, _NO_USAGE)
    else:
        u = _NO_USAGE
    labels = node.labels
    return (
        label(labels, LABEL_ZONE),
        label(labels, LABEL_HOSTNAME) is not None,
        node.unschedulable,
        node.taints,
        node.capacity,
        u,
    )


_UNKNOWN = object()  # a node's group after a bind not yet written (never any group)

# per node: (the node, its pods group, its _base_key), shared by the classes of every selector
_base: dict[str, tuple[Node, object, tuple[Any, ...]]] = {}


USAGE_FACT = "noderesources.usage"  # (kmodel.components.plugins.noderesources.NodeUsage's fact)
_NO_USAGE = Usage()


class _Class:
    """Nodes alike (their names, in order), and the answers found for them by what the pod
    reads (``_pod_sig``): whether it fits, its resource scores."""

    __slots__ = ("fits", "key", "names", "room")

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key
        self.names: list[str] = []
        self.fits: dict[int, bool] = {}
        self.room: dict[int, int] = {}


# what the filters and the resource scores read of a pod (its tolerations and requests, and the
# version), numbered: a class's answers are looked up by that number, without hashing its key
_pod_sigs: dict[tuple[Any, ...], int] = {}


def _pod_sig(pod: Pod, version: str) -> int:
    seen = (pod.tolerations, pod.requests, version)
    sig = _pod_sigs.get(seen)
    if sig is None:
        if len(_pod_sigs) > _MEMO:
            _pod_sigs.clear()  # (the classes' answers then go by other numbers: no mix-up)
            global _sig_epoch
            _sig_epoch += 1
        sig = _pod_sigs[seen] = len(_pod_sigs) + _sig_epoch * (_MEMO + 2)
    return sig


_sig_epoch = 0


def _best(written: Callable[[], Cluster], version: str, pod: Pod, classes: _Classes) -> tuple[list[str], int] | None:
    """The first of the best nodes for ``pod`` in name order (:data:`kmodel.components.
    scheduler.TIE_NAMES` at most) and how many tie, or None when no node fits. ``written()``:
    the state with the loop's binds written (the filters run on it when no answer is known for
    a class; the classes are up to date with those binds); ``version``: its Kubernetes version."""
    sig = _pod_sig(pod, version)
    feasible: list[tuple[tuple[Any, ...], list[str], Node]] = []
    room_of: list[_Class] = []
    for cls in classes.members.values():
        key, names = cls.key, cls.names
        rep = classes.nodes[names[0]]
        fits = cls.fits.get(sig)
        if fits is None:
            # the filters read of the node its cordon, taints, capacity and requested resources
            # (the class key's fields 2 to 5), and of the pod its tolerations and requests
            seen = (key[2:6], pod.tolerations, pod.requests, version)
            fits = _fits.get(seen)
            if fits is None:
                if len(_fits) > _MEMO:
                    _fits.clear()
                fits = _fits[seen] = scheduler.run_filters(CycleState(written(), pod, {}), rep) is None
            cls.fits[sig] = fits
        if fits:
            feasible.append((key, names, rep))
            room_of.append(cls)
    count = sum(len(names) for _, names, _ in feasible)
    if count == 0:
        return None
    if count == 1:
        return [feasible[0][1][0]], 1
    tt = [tainttoleration.raw_score(pod, rep) for _, _, rep in feasible]
    tt_high = max(tt)
    spread: list[int] = [0] * len(feasible)
    if classes.selector is not None:
        w_host = math.log(count + 2)
        w_zone = math.log(len({key[0] or "" for key, _, _ in feasible}) + 2)
        raw = []
        for key, _, _ in feasible:
            zone, has_host, m = key[0], key[1], key[6]
            total = 0.0
            if has_host:
                total += m * w_host + (_HOST_SKEW - 1)
            if zone is not None:
                total += classes.zone_total[zone] * w_zone + (_ZONE_SKEW - 1)
            raw.append(math.floor(total + 0.5))
        high, low = max(raw), min(raw)
        spread = [MAX_NODE_SCORE if high == 0 else MAX_NODE_SCORE * (high + low - v) // high for v in raw]
    totals = []
    for i, (key, _, rep) in enumerate(feasible):
        tt_score = MAX_NODE_SCORE if tt_high == 0 else MAX_NODE_SCORE - MAX_NODE_SCORE * tt[i] // tt_high
        room = room_of[i].room.get(sig)
        if room is None:
            # LeastAllocated and BalancedAllocation read the node's capacity and usage (fields
            # 4 and 5) and the pod's requests
            seen = (key[4], key[5], pod.requests)
            room = _room.get(seen)
            if room is None:
                if len(_room) > _MEMO:
                    _room.clear()
                usage = {rep.name: key[5]}  # (the class's usage: the binds of the loop in it)
                room = _room[seen] = noderesources.WEIGHT_LEAST_ALLOCATED * noderesources.least_allocated(
                    usage, pod, rep
                ) + noderesources.WEIGHT_BALANCED_ALLOCATION * noderesources.balanced_allocation(usage, pod, rep)
            room_of[i].room[sig] = room
        totals.append(
            scheduler.WEIGHT_TAINT_TOLERATION * tt_score + scheduler.WEIGHT_POD_TOPOLOGY_SPREAD * spread[i] + room
        )
    best = max(totals)
    groups = [names for (_, names, _), t in zip(feasible, totals, strict=True) if t == best]
    if len(groups) == 1:
        return groups[0][: scheduler.TIE_NAMES], len(groups[0])
    # (the first names of the tied classes' sorted runs merged: a label names TIE_NAMES at most)
    return list(islice(heapq.merge(*groups), scheduler.TIE_NAMES)), sum(len(g) for g in groups)


# answers of the filters and of the two resource scores by what they read (see _best)
_MEMO = 100_000
_fits: dict[tuple[Any, ...], bool] = {}
_room: dict[tuple[Any, ...], int] = {}


def _spread_of(cluster: Cluster, pod: Pod) -> tuple[LabelSelector | None, str | None]:
    selector = podtopologyspread.default_spread_selector(cluster, pod)
    if selector.empty:
        return None, None
    return selector, (pod.name.split("/", 1)[0] if "/" in pod.name else None)


# the classes kept from one scheduler loop to the next (a tick's), by spread selector and namespace
_kept: dict[tuple[LabelSelector | None, str | None], _Classes] = {}
MAX_KEPT = 64


def scheduler_steps(cluster: Cluster, comp: model.Component) -> Iterator[Outcome]:
    """The scheduler's steps of one tick (``comp`` is its component), as described above."""
    state = cluster
    attempted: set[str] = set()
    current: set[tuple[LabelSelector | None, str | None]] = set()  # the kept classes up to date with state
    bound: list[Pod] = []  # the pods bound since the state was last written, in order
    waiting: Iterator[tuple[Any, Pod]] | None = None  # the queue of the state last stepped from

    def written() -> Cluster:
        """The state with the binds of the loop written (in one write: kmodel.podindex)."""
        nonlocal state
        if bound:
            state = state.with_pods(bound)
            bound.clear()
        return state

    def settle() -> Cluster:
        written()
        if not attempted:
            return state
        return attrs.evolve(state, sched_attempted=state.sched_attempted | attempted)

    held: Outcome | None = None  # the last outcome, yielded once the next is known
    for _ in range(REPEAT):
        if waiting is None:
            waiting = iter(podindex.index(state.pods).ordered(scheduler._QUEUE))
        pod = _next(waiting, state.sched_attempted, attempted) if state.scheduler_active else None
        if pod is not None and pod.name not in scheduler._unschedulable and qualifies(state, pod):
            spread = _spread_of(state, pod)
            classes = _kept.get(spread)
            if classes is not None and spread not in current and not classes.catch_up(written()):
                classes = None
            if classes is None:
                if len(_kept) >= MAX_KEPT:
                    _kept.clear()
                    current.clear()
                classes = _kept[spread] = _Classes(written(), *spread)
            elif classes.dirty:
                classes.refresh(written(), sorted(classes.dirty))
                classes.dirty.clear()
            current.add(spread)
            best = _best(written, state.settings.kubernetes_version, pod, classes)
            if best is not None:
                first, ties = best
                node_name = first[0]
                attempted.add(pod.name)
                placed = attrs.evolve(pod, node_name=node_name, nominated_node_name=None)
                bound.append(placed)
                event = Event(
                    state.now,
                    scheduler.SOURCE,
                    "Scheduled",
                    f"pod/{pod.name}",
                    f"Successfully assigned {namespaced(pod.name)} to {node_name}",
                )
                label_ = f"bind {pod.name} to {node_name}"
                if ties > 1:
                    label_ += scheduler.tie_note_of(first, ties)
                # (the classes of this pod's selector move the node at once; the others when
                # next used, from the state with the binds written)
                classes.bind(placed, node_name)
                for c in _kept.values():
                    if c is not classes:
                        c.dirty.add(node_name)
                if held is not None:
                    yield held
                held = Outcome("scheduler", label_, state, (event,))
                continue
        # the scheduler's own step, on the state with every bind and attempt written
        state = settle()
        attempted = set()
        current.clear()
        if held is not None:
            yield attrs.evolve(held, state=state)
            held = None
        outs = model._first_steps(state, comp)
        if not outs:
            return
        state = outs[0].state
        waiting = None
        yield outs[0]
    if held is not None:
        yield attrs.evolve(held, state=settle())


def _next(waiting: Iterator[tuple[Any, Pod]], done: frozenset[str], attempted: set[str]) -> Pod | None:
    """The next pod of the queue not attempted (``waiting``: the queue's entries not yet passed;
    the loop's binds leave it in the state's queue until written, and are attempted)."""
    for _, p in waiting:
        if p.name not in done and p.name not in attempted:
            return p
    return None
