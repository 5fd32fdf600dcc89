"""Indexes over a cluster's pods tuple, derived incrementally from one write to the next.

``Cluster.pods`` is a tuple sorted by name; most components need the pods of one node, of one
owner, the pods still waiting for a node, or what the pods on a node request. Scanning the whole
tuple for each of these made every scheduling cycle, every ReplicaSet sync and every kubelet
step cost O(pods), and a whole simulation O(pods^2) (issue 17). A :class:`PodIndex` answers them
in O(1) (or O(pods on one node)).

The index is not part of the state: it is keyed by the *identity* of the pods tuple in a small
memo (the memo holds a reference to the tuple, so an identical id always means the same tuple
and the index is exact), never stored in a :class:`~kmodel.state.Cluster`, so it cannot enter
equality, hashing, fingerprints or ``attrs.evolve``. When ``Cluster.with_pod`` /
``without_pod`` build a new tuple from an indexed one, :func:`derive` builds the new tuple's
index from the old one's with the one pod changed, sharing every group the write did not touch
(a shallow copy of the group maps, O(nodes + owners), no scan of the pods). A tuple that was
built another way (``attrs.evolve(cluster, pods=...)``) is indexed from scratch on first use.
Both indexes stay valid: a checker branching from one state sees the same answers on every
branch.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from kmodel.podseq import CHUNK, ChunkedSeq
from kmodel.sortedchunks import SortedChunks

if TYPE_CHECKING:  # kmodel.state calls this module on every pod write
    from kmodel.state import Pod

_name: Callable[[Pod], str] = attrgetter("name")

# how many pods tuples keep their index (a simulation needs two or three at a time; a checker's
# states are small and are indexed again cheaply)
MEMO_SIZE = 8

Group = tuple["Pod", ...]


# A group longer than this is held in a ChunkedSeq (kmodel.podseq), which reads like the tuple
# and which a write copies one chunk of: an owner's group (every pod of a ReplicaSet: 15,000 at
# 5,000 nodes) and the pending pods' group were copied whole at each write of one of their pods,
# a quarter of a millisecond each at that size.
BIG_GROUP = 4 * CHUNK


def _group(pods: list[Pod]) -> Group:
    return ChunkedSeq(pods) if len(pods) > BIG_GROUP else tuple(pods)  # type: ignore[return-value]


def _without(group: Group, name: str) -> Group:
    if type(group) is ChunkedSeq:
        return group.remove(name)  # type: ignore[no-any-return]
    i = bisect_left(group, name, key=_name)
    if i < len(group) and group[i].name == name:
        return group[:i] + group[i + 1 :]
    return group


def _with(group: Group, pod: Pod) -> Group:
    if type(group) is ChunkedSeq:
        return group.upsert(pod)  # type: ignore[no-any-return]
    i = bisect_left(group, pod.name, key=_name)
    if i < len(group) and group[i].name == pod.name:
        return (*group[:i], pod, *group[i + 1 :])
    grown = (*group[:i], pod, *group[i:])
    return ChunkedSeq(grown) if len(grown) > BIG_GROUP else grown  # type: ignore[return-value]


class GroupMap:
    """The groups by node: a read-only map (a dict's reading methods) that a write copies one
    bucket of (:data:`BUCKET` names) instead of the whole map. With 5,000 nodes a copy of a
    dict of every node's group at each write of a pod (and freeing it later) was a fifth of a
    write's cost. The names are placed in buckets in the order they first come, in a table
    shared by the maps derived from one another (it only grows), and a map reads in bucket
    order (a name written again after its group emptied comes last in its bucket)."""

    __slots__ = ("_at", "_buckets", "_len")

    def __init__(self, groups: dict[str | None, Group]) -> None:
        at: dict[str | None, int] = {}
        buckets: list[dict[str | None, Group]] = []
        for i, (k, v) in enumerate(groups.items()):
            b = i // BUCKET
            if b == len(buckets):
                buckets.append({})
            buckets[b][k] = v
            at[k] = b
        self._at = at
        self._buckets = tuple(buckets)
        self._len = len(groups)

    def get(self, key: str | None, default: Any = None) -> Any:
        b = self._at.get(key)
        if b is None or b >= len(self._buckets):
            return default
        return self._buckets[b].get(key, default)

    def __getitem__(self, key: str | None) -> Group:
        found = self.get(key, _MISSING)
        if found is _MISSING:
            raise KeyError(key)
        return found  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        b = self._at.get(key)  # type: ignore[call-overload]
        return b is not None and b < len(self._buckets) and key in self._buckets[b]

    def __iter__(self) -> Iterator[str | None]:
        return chain.from_iterable(self._buckets)

    def __len__(self) -> int:
        return self._len

    def keys(self) -> Iterator[str | None]:
        return iter(self)

    def values(self) -> Iterator[Group]:
        return chain.from_iterable(b.values() for b in self._buckets)

    def items(self) -> Iterator[tuple[str | None, Group]]:
        return chain.from_iterable(b.items() for b in self._buckets)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GroupMap):
            return dict(self.items()) == dict(other.items())
        if isinstance(other, dict):
            return dict(self.items()) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"GroupMap({dict(self.items())!r})"

    def replaced(self, key: str | None, group: Group) -> GroupMap:
        """This map with ``key``'s group ``group`` (an empty group: no entry)."""
        at, buckets = self._at, self._buckets
        b = at.get(key)
        if b is None:
            if not group:
                return self
            b = at[key] = len(at) // BUCKET
        bucket = dict(buckets[b]) if b < len(buckets) else {}
        n = self._len
        if group:
            n += key not in bucket
            bucket[key] = group
        else:
            if key not in bucket:
                return self
            del bucket[key]
            n -= 1
        out = GroupMap.__new__(GroupMap)
        out._at = at
        if b < len(buckets):
            out._buckets = (*buckets[:b], bucket, *buckets[b + 1 :])
        else:
            out._buckets = (*buckets, *({} for _ in range(len(buckets), b)), bucket)
        out._len = n
        return out


BUCKET = 64  # names per bucket of a GroupMap
_MISSING = object()


class PodIndex:
    """Derived facts about one pods tuple. Read-only for its users: the maps it hands out are
    shared with the indexes derived from it."""

    __slots__ = ("by_node", "by_owner", "counters", "orders", "pods", "seq")

    def __init__(self, pods: tuple[Pod, ...]) -> None:
        self.pods = pods
        self.seq = _new_seq()  # (see the journal below)
        by_node: dict[str | None, list[Pod]] = {}
        by_owner: dict[str | None, list[Pod]] = {}
        for p in pods:
            by_node.setdefault(p.node_name, []).append(p)
            by_owner.setdefault(p.owner, []).append(p)
        self.by_node = GroupMap({k: _group(v) for k, v in by_node.items()})
        self.by_owner: dict[str | None, Group] = {k: _group(v) for k, v in by_owner.items()}
        # counts of pods with a property (COUNTERS), computed on first use
        self.counters: dict[str, int] = {}
        # the pods with a property sorted by a key (ORDERS), as (key, pod), on first use
        self.orders: dict[str, SortedChunks] = {}

    def _regroup(
        self, groups: dict[str | None, Group], old: Pod | None, new: Pod | None, key: Callable[[Pod], str | None]
    ) -> dict[str | None, Group]:
        out = dict(groups)
        if old is not None:
            k = key(old)
            rest = _without(out.get(k, ()), old.name)
            if rest:
                out[k] = rest
            else:
                out.pop(k, None)
        if new is not None:
            k = key(new)
            out[k] = _with(out.get(k, ()), new)
        return out

    def derive(self, pods: tuple[Pod, ...], old: Pod | None, new: Pod | None) -> PodIndex:
        """The index of ``pods``: this index's tuple with ``old`` replaced by ``new`` (either
        may be None: a creation, a deletion)."""
        out = PodIndex.__new__(PodIndex)
        out.pods = pods
        out.seq = _new_seq()
        if _journal.reads is not None:
            _journal.note(self.seq, out.seq, old, new)
        out.by_node = _regroup_nodes(self.by_node, old, new)
        if _node_updates:
            _carry(self.by_node, out.by_node, old, new)
        out.by_owner = self._regroup(self.by_owner, old, new, _owner)
        if _owner_slots:
            _carry_owners(self.by_owner, out.by_owner, old, new)
        self._count_and_order(out, ((old, new),))
        return out

    def _count_and_order(self, out: PodIndex, writes: Iterable[tuple[Pod | None, Pod | None]]) -> None:
        """``out``'s counters and orders: this index's, with ``writes`` (old, new) made in turn."""
        counters = {}
        for name, value in self.counters.items():
            test = COUNTERS[name]
            for old, new in writes:
                value += (new is not None and test(new)) - (old is not None and test(old))
            counters[name] = value
        out.counters = counters
        orders = {}
        for name, entries in self.orders.items():
            test, key = ORDERS[name]
            for old, new in writes:
                if old is not None and test(old):
                    entries = entries.without_key(key(old))
                if new is not None and test(new):
                    entries = entries.with_entry((key(new), new))
            orders[name] = entries
        out.orders = orders

    def derive_many(self, pods: tuple[Pod, ...], writes: list[tuple[Pod | None, Pod | None]]) -> PodIndex:
        """:meth:`derive` for several writes at once, of distinct pods (``pods`` is this
        index's tuple with each ``old`` replaced by its ``new``): each group they touch is
        rebuilt once and its facts carried over once, instead of once per write."""
        out = PodIndex.__new__(PodIndex)
        out.pods = pods
        out.seq = _new_seq()
        if _journal.reads is not None:
            _journal.note_many(self.seq, out.seq, writes)
        node_moves = _moves(writes, _node_name)
        by_node = self.by_node
        for key, moves in node_moves.items():
            by_node = by_node.replaced(key, _rewritten(by_node.get(key, ()), moves))
        out.by_node = by_node
        if _node_updates:
            _carry_many(self.by_node, out.by_node, node_moves)
        owner_moves = _moves(writes, _owner)
        by_owner = dict(self.by_owner)
        for key, moves in owner_moves.items():
            group = _rewritten(by_owner.get(key, ()), moves)
            if group:
                by_owner[key] = group
            else:
                by_owner.pop(key, None)
        out.by_owner = by_owner
        if _owner_slots:
            _carry_owners_many(self.by_owner, out.by_owner, owner_moves)
        self._count_and_order(out, writes)
        return out

    def count(self, name: str) -> int:
        """How many pods have the property ``COUNTERS[name]``."""
        value = self.counters.get(name)
        if value is None:
            test = COUNTERS[name]
            value = self.counters[name] = sum(1 for p in self.pods if test(p))
        return value

    def ordered(self, name: str) -> SortedChunks:
        """The pods with the property ``ORDERS[name]``, sorted by its key (unique per pod), as
        (key, pod). Read-only."""
        entries = self.orders.get(name)
        if entries is None:
            test, key = ORDERS[name]
            entries = self.orders[name] = SortedChunks(sorted(((key(p), p) for p in self.pods if test(p)), key=_first))
        return entries

    def per_node(
        self,
        fact: Hashable,
        node: str | None,
        compute: Callable[[Group], Any],
        update: Update | None = None,
        reads: Callable[[Pod], Hashable] | None = None,
    ) -> Any:
        """``compute(pods on node)``, kept until a pod on that node changes. ``fact`` names
        what ``compute`` computes (the same fact must always be computed the same way).

        ``update(value, old, new)``, when given, is the fact's value for the node's pods with
        ``old`` replaced by ``new`` (either may be None: a pod leaving, a pod arriving), from
        its value before, or None when it cannot tell; ``reads(pod)``, what the fact reads of a
        pod (a pod rewritten with the same ``reads`` leaves the value as it was; facts alike
        share one function). A write then carries a known value over to the node's new group
        (see :func:`_carry`) instead of leaving it to be computed again from all the node's
        pods."""
        if update is not None and fact not in _node_updates:
            _node_updates[fact] = (reads, update)
        return _slot_fact(_node_slots, self.by_node, node, fact, compute)

    def known_node_facts(self, node: str) -> dict[Hashable, Any] | None:
        """The per-node facts known for the pods on ``node`` as they are here (read-only; a
        fact absent from it is computed by :meth:`per_node`), or None when none is known."""
        group = self.by_node.get(node, ())
        found = _node_slots.get((node, id(group)))
        return found[1] if found is not None and found[0] is group else None

    def per_owner(
        self,
        fact: Hashable,
        owner: str | None,
        compute: Callable[[Group], Any],
        update: Callable[[Any, Pod | None, Pod | None], Any] | None = None,
    ) -> Any:
        """``compute(pods whose owner is named owner)``, kept until one of them changes; with
        ``update`` (see :meth:`per_node`; it is called on every write of one of the owner's
        pods), a write carries a known value over to the owner's new group."""
        if update is None:
            return _per_group(_owner_facts, self.by_owner, fact, owner, compute)
        if fact not in _owner_updates:
            if len(_owner_updates) >= MAX_OWNER_FACTS:
                _owner_updates.clear()
                _owner_slots.clear()
            _owner_updates[fact] = update
        return _slot_fact(_owner_slots, self.by_owner, owner, fact, compute)


def _slot_fact(slots: dict[Any, Any], groups: Any, key: Any, fact: Hashable, compute: Callable[[Group], Any]) -> Any:
    """The fact kept for the group of ``key`` in ``groups`` (by node or by owner), in ``slots``
    (key and group identity -> the group and its facts, which writes carry to the new group),
    computed when not known."""
    group = groups.get(key, ())
    slot = (key, id(group))
    found = slots.get(slot)
    if found is not None and found[0] is group:
        facts = found[1]
        value = facts.get(fact, _MISSING)
        if value is not _MISSING:
            return value
    else:
        if len(slots) >= max(FACTS_PER_KIND, 4 * len(groups)):
            slots.clear()
        facts = {}
        slots[slot] = (group, facts)
    value = facts[fact] = compute(group)
    return value


def _regroup_nodes(groups: GroupMap, old: Pod | None, new: Pod | None) -> GroupMap:
    """``groups`` with ``old`` replaced by ``new`` (the same pod name, either may be None)."""
    if old is not None and new is not None and old.node_name == new.node_name:
        return groups.replaced(new.node_name, _with(groups.get(new.node_name, ()), new))
    out = groups
    if old is not None:
        out = out.replaced(old.node_name, _without(out.get(old.node_name, ()), old.name))
    if new is not None:
        out = out.replaced(new.node_name, _with(out.get(new.node_name, ()), new))
    return out


_node_name: Callable[[Pod], str | None] = attrgetter("node_name")
_owner: Callable[[Pod], str | None] = attrgetter("owner")
Moves = dict[str | None, list[tuple["Pod | None", "Pod | None"]]]


def _moves(writes: list[tuple[Pod | None, Pod | None]], key: Callable[[Pod], str | None]) -> Moves:
    """The writes by the group (of ``key``) they touch, as (pod before, pod after) in that
    group: a pod that changes groups leaves one (pod, None) and enters the other (None, pod)."""
    out: Moves = {}
    for old, new in writes:
        k_old = key(old) if old is not None else None
        k_new = key(new) if new is not None else None
        if old is not None and new is not None and k_old == k_new:
            out.setdefault(k_old, []).append((old, new))
            continue
        if old is not None:
            out.setdefault(k_old, []).append((old, None))
        if new is not None:
            out.setdefault(k_new, []).append((None, new))
    return out


def _rewritten(group: Group, moves: list[tuple[Pod | None, Pod | None]]) -> Group:
    """``group`` with each move's pod before replaced by its pod after (distinct names)."""
    if len(moves) == 1:
        a, b = moves[0]
        return _with(group, b) if b is not None else _without(group, a.name)  # type: ignore[union-attr]
    if type(group) is ChunkedSeq:
        seq: Any = group
        for a, b in moves:
            if b is None:
                seq = seq.remove(a.name)  # type: ignore[union-attr]
        return seq.upsert_many([b for _, b in moves if b is not None])[0]  # type: ignore[no-any-return]
    merged = {p.name: p for p in group}
    for a, b in moves:
        if b is None:
            del merged[a.name]  # type: ignore[union-attr]
        else:
            merged[b.name] = b
    return _group(sorted(merged.values(), key=_name))


# --- the journal of writes ------------------------------------------------------------------------
#
# Each index has a number (``seq``), new for each index built or derived. While a journal is kept
# (:func:`journal`, ``kmodel simulate``'s), the derivations that continue one line (each from the
# index derived last) are numbered consecutively, and the journal lists those of their writes that
# may change what it watches (the pod's node, or what the watched ``reads`` functions read of it);
# :func:`touched` then tells which nodes the writes between two indexes of the line touched so,
# without a comparison of every node's group. A derivation from any other index starts a new line
# (the writes before it are not known to lead to it).


class _Journal:
    __slots__ = ("entries", "reads", "root", "start", "tip")

    def __init__(self) -> None:
        self.reads: tuple[Callable[[Pod], Hashable], ...] | None = None
        self.start = self.tip = -1  # the line's first and last numbers
        self.root = -1  # the index the line's first was derived from
        self.entries: list[tuple[int, str | None, str | None]] = []  # (seq, old node, new node)

    def note(self, parent: int, seq: int, old: Pod | None, new: Pod | None) -> None:
        self._step(parent, seq)
        self._entry(seq, old, new)

    def note_many(self, parent: int, seq: int, writes: list[tuple[Pod | None, Pod | None]]) -> None:
        """:meth:`note` for a derivation of several writes (their entries share its number)."""
        self._step(parent, seq)
        for old, new in writes:
            self._entry(seq, old, new)

    def _step(self, parent: int, seq: int) -> None:
        if parent != self.tip or seq != parent + 1:
            self.root, self.start = parent, seq  # a new line
            self.entries.clear()
        self.tip = seq

    def _entry(self, seq: int, old: Pod | None, new: Pod | None) -> None:
        k_old = old.node_name if old is not None else None
        k_new = new.node_name if new is not None else None
        if k_old is None and k_new is None:
            return  # (pending pods: no node's group changes)
        if k_old == k_new and old is not None and new is not None:
            reads = self.reads
            assert reads is not None
            if all(r(old) == r(new) for r in reads):
                return
        if len(self.entries) >= JOURNAL_SIZE:
            self.root, self.start = -1, seq  # forget the older writes
            self.entries.clear()
        self.entries.append((seq, k_old, k_new))


JOURNAL_SIZE = 200_000
_journal = _Journal()
_last_seq = 0


def _new_seq() -> int:
    global _last_seq
    _last_seq += 1
    return _last_seq


@contextmanager
def journal(reads: tuple[Callable[[Pod], Hashable], ...]) -> Iterator[None]:
    """Keep the journal of writes (see above) while in this context; ``reads``: what of a pod
    rewritten on its node may change what the journal's reader watches."""
    outer = _journal.reads  # (a journal kept around this one: its lines start again after it)
    _journal.reads, _journal.start, _journal.tip, _journal.root = reads, -1, -1, -1
    _journal.entries.clear()
    try:
        yield
    finally:
        _journal.reads, _journal.start, _journal.tip, _journal.root = outer, -1, -1, -1
        _journal.entries.clear()


def touched(since: int, ix: PodIndex, reads: tuple[Callable[[Pod], Hashable], ...]) -> set[str] | None:
    """The nodes whose groups the writes from the index numbered ``since`` to ``ix`` changed in
    a way ``reads`` may see (a superset), or None when the journal cannot tell (no journal with
    those reads, or ``ix`` is not on the journal's line after ``since``)."""
    j = _journal
    if j.reads != reads:
        return None
    if since == ix.seq:
        return set()
    if not ((j.start <= since or (since == j.root and since > 0)) and j.start <= ix.seq <= j.tip and since < ix.seq):
        return None
    entries = j.entries
    out: set[str] = set()
    for i in range(bisect_right(entries, since, key=_first), bisect_right(entries, ix.seq, key=_first)):
        _, a, b = entries[i]
        if a is not None:
            out.add(a)
        if b is not None:
            out.add(b)
    return out


# Facts computed from one group of pods (the pods on a node, or of an owner), kept per fact by
# (node or owner, the group tuple's identity): a group tuple is never changed, so an answer found
# this way is the answer for the group at hand, whichever index (derived or built, on whichever
# branch of a checker) asks. The entry holds the group itself, so an identity is never reused
# while it is kept. A write makes a new group only for the node and owner it touched: the other
# groups, shared by the derived index, keep their answers, and a derivation copies no fact.
_FactCache = dict[Hashable, dict[tuple[str | None, int], tuple[Group, Any]]]
_owner_facts: _FactCache = {}
# The facts of the nodes' groups are kept by group, all of a group's together: (node, the group
# tuple's identity) -> (the group, {fact: value}), so that a write carries a node's facts over
# to its new group in one move (see _carry).
_node_slots: dict[tuple[str | None, int], tuple[Group, dict[Hashable, Any]]] = {}
FACTS_PER_KIND = 1 << 13  # entries kept per fact (at least 4 per group) before they are dropped


def _per_group(
    facts: _FactCache,
    groups: GroupMap | dict[str | None, Group],
    fact: Hashable,
    key: str | None,
    compute: Callable[[Group], Any],
) -> Any:
    group = groups.get(key, ())
    cache = facts.get(fact)
    if cache is None:
        cache = facts[fact] = {}
    slot = (key, id(group))
    found = cache.get(slot)
    if found is not None and found[0] is group:
        return found[1]
    value = compute(group)
    if len(cache) >= max(FACTS_PER_KIND, 4 * len(groups)):
        cache.clear()
    cache[slot] = (group, value)
    return value


# The per-node facts a write updates (PodIndex.per_node's ``reads`` and ``update``), by fact.
Update = Callable[[Any, "Pod | None", "Pod | None"], Any]
_node_updates: dict[Hashable, tuple[Callable[[Pod], Hashable] | None, Update]] = {}
MAX_UPDATED_FACTS = 64  # more kinds than this: the updates are forgotten (the facts are computed)


def _carry(before: GroupMap, after: GroupMap, old: Pod | None, new: Pod | None) -> None:
    """After a write of one pod, each updated fact known for a node group the write replaced is
    known for the group that replaced it (and forgotten for the replaced group, which a
    simulation does not read again). A simulation writes every pod several times (created,
    bound, started, ready) and the scheduler reads each node's usage and spread counts at each
    cycle: without this, each write to a node made the next read count all of its pods again.
    (The pending pods' group is left out: no updated fact is read of it.)"""
    if len(_node_updates) > MAX_UPDATED_FACTS:
        _node_updates.clear()
        return
    k_old = old.node_name if old is not None else None
    k_new = new.node_name if new is not None else None
    if k_old == k_new:
        moves = ((k_old, old, new),)
    else:
        moves = ((k_old, old, None), (k_new, None, new))
    for key, a, b in moves:
        if key is None:
            continue
        taken = _taken(_node_slots, before, after, key)
        if taken is None:
            continue
        g1, facts = taken
        same: dict[object, bool] = {}  # per reads function: a and b read alike
        kept: dict[Hashable, Any] = {}
        for fact, value in facts.items():
            known = _node_updates.get(fact)
            if known is None:
                continue  # (a fact computed without an update: computed again for the new group)
            reads, update = known
            if a is None or b is None or reads is None:
                value = update(value, a, b)
            else:
                alike = same.get(reads)
                if alike is None:
                    alike = same[reads] = reads(a) == reads(b)
                if not alike:
                    value = update(value, a, b)
            if value is not None:
                kept[fact] = value
        _keep(_node_slots, key, g1, kept)


def _taken(slots: dict[Any, Any], before: Any, after: Any, key: str | None) -> tuple[Group, dict[Hashable, Any]] | None:
    """The facts known for the group of ``key`` a write replaced (taken out of ``slots``), with
    the group that replaced it; None when the write left the group as it was or none is known."""
    g0, g1 = before.get(key, ()), after.get(key, ())
    if g1 is g0:
        return None
    found = slots.pop((key, id(g0)), None)
    if found is None or found[0] is not g0:
        return None
    return g1, found[1]


def _keep(slots: dict[Any, Any], key: str | None, group: Group, kept: dict[Hashable, Any]) -> None:
    """Record the carried-over facts ``kept`` as known for ``group``, the new group of ``key``."""
    if not kept:
        return
    slot = (key, id(group))
    there = slots.get(slot)
    if there is not None and there[0] is group:
        there[1].update(kept)
    else:
        slots[slot] = (group, kept)


def _carry_many(before: GroupMap, after: GroupMap, moves: Moves) -> None:
    """:func:`_carry` for several writes at once (their moves by node, see :func:`_moves`):
    each group's facts are taken over once, updated move by move."""
    if len(_node_updates) > MAX_UPDATED_FACTS:
        _node_updates.clear()
        return
    _carry_moves(_node_slots, before, after, moves, _node_updates.get, pending=False)


def _carry_owners_many(before: dict[str | None, Group], after: dict[str | None, Group], moves: Moves) -> None:
    """:func:`_carry_owners` for several writes at once (their moves by owner)."""

    def known(fact: Hashable) -> tuple[None, Update] | None:
        update = _owner_updates.get(fact)
        return None if update is None else (None, update)

    _carry_moves(_owner_slots, before, after, moves, known, pending=True)


def _carry_moves(
    slots: dict[Any, Any],
    before: Any,
    after: Any,
    moves: Moves,
    known: Callable[[Hashable], tuple[Callable[[Pod], Hashable] | None, Update] | None],
    pending: bool,
) -> None:
    """Take each moved group's facts over to its new group, each updated move by move (with
    ``known(fact)``: what it reads of a pod, None for all, and its update; None: not carried).
    ``pending``: the group of the key None too (the pods without an owner; no node's facts are
    kept for the pending pods)."""
    for key, pairs in moves.items():
        if key is None and not pending:
            continue
        taken = _taken(slots, before, after, key)
        if taken is None:
            continue
        g1, facts = taken
        kept: dict[Hashable, Any] = {}
        for fact, value in facts.items():
            found = known(fact)
            if found is None:
                continue
            reads, update = found
            for a, b in pairs:
                if a is None or b is None or reads is None or reads(a) != reads(b):
                    value = update(value, a, b)
                    if value is None:
                        break
            if value is not None:
                kept[fact] = value
        _keep(slots, key, g1, kept)


# The per-owner facts a write updates (PodIndex.per_owner's ``update``), by fact, and their values
# by group as for the nodes: (owner, group identity) -> (the group, {fact: value}).
_owner_updates: dict[Hashable, Update] = {}
_owner_slots: dict[tuple[str | None, int], tuple[Group, dict[Hashable, Any]]] = {}
MAX_OWNER_FACTS = 1024  # more kinds than this: the updates and their values are forgotten


def _carry_owners(
    before: dict[str | None, Group], after: dict[str | None, Group], old: Pod | None, new: Pod | None
) -> None:
    """:func:`_carry` for the groups by owner: each updated fact known for an owner's group the
    write replaced is updated and known for the group that replaced it."""
    _carry_owners_many(before, after, _moves([(old, new)], _owner))


# the pod properties an index counts (registered by the modules that ask; a name must always
# mean the same test)
COUNTERS: dict[str, Callable[[Pod], bool]] = {}


def counter(name: str, test: Callable[[Pod], bool]) -> str:
    """Register a counted property; returns ``name`` for :meth:`PodIndex.count`."""
    COUNTERS[name] = test
    return name


# pods with a property kept sorted by a key that is unique per pod (it must end with the name)
ORDERS: dict[str, tuple[Callable[[Pod], bool], Callable[[Pod], Any]]] = {}


def order(name: str, test: Callable[[Pod], bool], key: Callable[[Pod], Any]) -> str:
    """Register a sorted view; returns ``name`` for :meth:`PodIndex.ordered`."""
    ORDERS[name] = (test, key)
    return name


def _first(entry: tuple[Any, ...]) -> Any:
    return entry[0]


_memo: OrderedDict[int, PodIndex] = OrderedDict()
stats = {"built": 0, "derived": 0}


def index(pods: tuple[Pod, ...]) -> PodIndex:
    """The index of ``pods`` (built from scratch unless it is memoised)."""
    found = _memo.get(id(pods))
    if found is not None and found.pods is pods:
        _memo.move_to_end(id(pods))
        return found
    built = PodIndex(pods)
    stats["built"] += 1
    _remember(built)
    return built


def _remember(ix: PodIndex) -> None:
    _memo[id(ix.pods)] = ix
    _memo.move_to_end(id(ix.pods))
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)


def derive(before: tuple[Pod, ...], after: tuple[Pod, ...], old: Pod | None, new: Pod | None) -> None:
    """``after`` is ``before`` with ``old`` replaced by ``new``: index it from ``before``'s
    index when there is one (otherwise it is indexed on first use)."""
    found = _derivable(before, after)
    if found is not None:
        _remember(found.derive(after, old, new))


def derive_many(before: tuple[Pod, ...], after: tuple[Pod, ...], writes: list[tuple[Pod | None, Pod | None]]) -> None:
    """:func:`derive` for several writes of distinct pods at once (see PodIndex.derive_many)."""
    found = _derivable(before, after)
    if found is not None:
        _remember(found.derive_many(after, writes))


def _derivable(before: tuple[Pod, ...], after: tuple[Pod, ...]) -> PodIndex | None:
    """The index of ``before`` to derive ``after``'s from (counted), if it is memoised."""
    if after is before:
        return None
    found = _memo.get(id(before))
    if found is None or found.pods is not before:
        return None
    stats["derived"] += 1
    return found
