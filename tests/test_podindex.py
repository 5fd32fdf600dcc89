"""The pods index (kmodel.podindex) and the simulator's fast path are exact.

- The index derived write by write answers as one built from scratch (and as a scan of the pods
  tuple), over random sequences of pod creations, updates and deletions, and on a branching
  history (two writes from the same tuple: both indexes stay valid).
- Facts kept per owner and updated write by write equal the facts computed from the pods; the
  journal of writes (simulate's) names every node whose pods changed between two indexes.
- A ChunkedSeq reads, compares, hashes and is written by name as the tuple it stands for.
- ``kmodel simulate`` with the fast path (derived indexes, the scheduler building only the first
  of several tied successors, a failed attempt remembered, the pods and the index's groups in
  a ChunkedSeq) gives, event by event, step by step and snapshot by snapshot, what the plain
  path gives (every index built afresh from its tuple, every successor built, every retry
  attempted, a tuple), on shipped scenarios and on generated clusters with node failures and
  with pods that do not fit.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.simulate_bench import generated_scale, load_scale
from kmodel import model, podindex, podseq
from kmodel.components import scheduler
from kmodel.components.plugins import podtopologyspread
from kmodel.components.plugins.noderesources import NodeUsage, node_usage
from kmodel.components.scheduler import queue
from kmodel.engines import simulate as simulate_engine
from kmodel.engines.simulate import Simulation, simulate
from kmodel.labels import LabelSelector
from kmodel.scenario import Scenario, load
from kmodel.settings import Settings
from kmodel.state import FAILED, RUNNING, Cluster, Pod, Resources

ROOT = Path(__file__).resolve().parent.parent
NODES = ("n1", "n2", "n3")
NAMES = tuple(f"p{i}" for i in range(8))

write = st.tuples(
    st.sampled_from(NAMES),
    st.one_of(st.none(), st.sampled_from((*NODES, "gone"))),  # where it runs (None: unbound)
    st.sampled_from((None, "rs-a", "rs-b")),  # owner
    st.sampled_from(("Pending", RUNNING, FAILED)),
    st.booleans(),  # deleted instead of written
    st.integers(0, 2),  # priority-ish: the creation time
)


def _pod(w: tuple[str, str | None, str | None, str, bool, int]) -> Pod:
    name, node, owner, phase, _, created = w
    return Pod(name=name, node_name=node, owner=owner, phase=phase, created=created, requests=Resources(cpu=100))


def _apply(c: Cluster, w: tuple[str, str | None, str | None, str, bool, int]) -> Cluster:
    if w[4]:  # (deleted)
        return c.without_pod(w[0])
    return c.with_pod(_pod(w))


def _check(c: Cluster) -> None:
    derived = podindex.index(c.pods)
    fresh = podindex.PodIndex(c.pods)
    assert derived.by_node == fresh.by_node
    assert derived.by_owner == fresh.by_owner
    for node in {p.node_name for p in c.pods}:
        assert derived.by_node[node] == tuple(p for p in c.pods if p.node_name == node)
    for owner in {p.owner for p in c.pods} | {"nobody"}:
        summary = derived.per_owner("test.owned", owner, lambda g: tuple((p.name, p.phase) for p in g))
        assert summary == tuple((p.name, p.phase) for p in c.pods if p.owner == owner)
    for owner in {p.owner for p in c.pods} | {"nobody"}:
        # a fact a write updates (carried from one group of the owner's to the next)
        running = derived.per_owner("test.running", owner, _running, _running_update)
        assert running == sum(1 for p in c.pods if p.owner == owner and p.phase == RUNNING)
    for node in {p.node_name for p in c.pods} | {"nowhere"}:
        summary = derived.per_node("test.placed", node, lambda g: tuple((p.name, p.phase) for p in g))
        assert summary == tuple((p.name, p.phase) for p in c.pods if p.node_name == node)
    for name in podindex.COUNTERS:
        assert derived.count(name) == fresh.count(name)
    for name in podindex.ORDERS:
        assert derived.ordered(name) == fresh.ordered(name)
    usage = NodeUsage(c)
    for node, want in node_usage(c).items():
        assert usage.get(node) == want
    matching = podtopologyspread._Matching(derived, LabelSelector(), None)
    for node in NODES:
        assert matching.get(node) == sum(1 for p in c.pods if p.node_name == node and not p.terminating)
    assert [p.name for p in queue(c)] == [
        p.name for p in sorted((p for p in c.pods if p.node_name is None and not p.terminating), key=_qkey)
    ]


def _running(group: tuple[Pod, ...]) -> int:
    return sum(1 for p in group if p.phase == RUNNING)


def _running_update(value: int, old: Pod | None, new: Pod | None) -> int:
    return value - (old is not None and old.phase == RUNNING) + (new is not None and new.phase == RUNNING)


def _qkey(p: Pod) -> tuple[int, int, str]:
    return (-p.priority, p.created, p.name)


@settings(max_examples=150, deadline=None)
@given(st.lists(write, max_size=25), st.lists(write, max_size=6))
def test_derived_index_equals_fresh_one(writes: list, branch: list) -> None:  # type: ignore[type-arg]
    c = Cluster(settings=Settings())
    _check(c)
    fork = c
    for i, w in enumerate(writes):
        # read everything before each write, so that the next index is derived from this one
        _check(c)
        c = _apply(c, w)
        if i == len(writes) // 2:
            fork = c
    _check(c)
    # a second history from a state already written from: both stay exact
    for w in branch:
        fork = _apply(fork, w)
        _check(fork)
    _check(c)


def _last_writes(batch: list) -> list:  # type: ignore[type-arg]
    """The writes of ``batch`` that a batch makes: the last of each name, deletions left out."""
    return list({w[0]: w for w in batch if not w[4]}.values())


def _batched(c: Cluster, batch: list) -> Cluster:  # type: ignore[type-arg]
    """The pod writes of ``batch`` at once (see _last_writes)."""
    return c.with_pods([_pod(w) for w in _last_writes(batch)])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(write, max_size=8), max_size=8), st.integers(1, 4))
def test_an_index_derived_from_batches_of_writes_equals_a_fresh_one(batches: list, chunk: int) -> None:  # type: ignore[type-arg]
    """Cluster.with_pods on simulate's pods (a ChunkedSeq) writes several pods at once
    (podindex.derive_many): the index, the facts carried per node and per owner, the counters
    and the orders are those of the writes made one by one, and the journal names every node
    whose pods changed; the pods are the tuple the writes one by one give."""
    old_chunk = podseq.CHUNK
    podseq.CHUNK = chunk
    try:
        # the index read in full before each batch (so that the next is derived from it)
        c = Cluster(settings=Settings(), pods=podseq.ChunkedSeq())  # type: ignore[arg-type]
        one_by_one = Cluster(settings=Settings())
        for batch in batches:
            _check(c)
            c = _batched(c, batch)
            for w in _last_writes(batch):
                one_by_one = _apply(one_by_one, w)
            assert type(c.pods) is podseq.ChunkedSeq and c.pods == one_by_one.pods
        _check(c)
        # the journal (the checks above index afresh, which starts a new line: not done here)
        with podindex.journal(_WATCH):
            c = Cluster(settings=Settings(), pods=podseq.ChunkedSeq())  # type: ignore[arg-type]
            seen = [(podindex.index(c.pods), c)]
            for batch in batches:
                c = _batched(c, batch)
                seen.append((podindex.index(c.pods), c))
            last_ix, last = seen[-1]
            for ix, state in seen:
                touched = podindex.touched(ix.seq, last_ix, _WATCH)
                assert touched is not None
                assert {n for n in (*NODES, "gone") if _placed(state, n) != _placed(last, n)} <= touched
    finally:
        podseq.CHUNK = old_chunk


def test_an_index_derived_from_batches_equals_a_fresh_one_with_chunked_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, with every group of two pods or more in a ChunkedSeq (rewritten in batches)."""
    monkeypatch.setattr(podindex, "BIG_GROUP", 1)
    monkeypatch.setattr(podindex, "BUCKET", 2)
    test_an_index_derived_from_batches_of_writes_equals_a_fresh_one()


def _phase(p: Pod) -> str:
    return p.phase


_WATCH = (_phase,)  # what the journal's reader below watches of a pod rewritten on its node


def _placed(c: Cluster, node: str) -> tuple[tuple[str, str], ...]:
    return tuple((p.name, p.phase) for p in c.pods if p.node_name == node)


@settings(max_examples=100, deadline=None)
@given(st.lists(write, max_size=25), st.lists(write, min_size=1, max_size=6))
def test_the_journal_names_every_node_whose_pods_changed(writes: list, branch: list) -> None:  # type: ignore[type-arg]
    """kmodel.podindex.journal (simulate's): between any two indexes of one line of writes,
    ``touched`` names every node whose pods changed in what the reader watches (here: which
    pods, and their phases); on another line it cannot tell (None)."""
    with podindex.journal(_WATCH):
        c = Cluster(settings=Settings())
        seen = [(podindex.index(c.pods), c)]
        for w in writes:
            c = _apply(c, w)
            seen.append((podindex.index(c.pods), c))  # (indexed: the next one is derived from it)
        last_ix, last = seen[-1]
        for ix, state in seen:
            touched = podindex.touched(ix.seq, last_ix, _WATCH)
            assert touched is not None
            for node in (*NODES, "gone"):
                if _placed(state, node) != _placed(last, node):
                    assert node in touched
        assert podindex.touched(last_ix.seq, last_ix, _WATCH) == set()
        assert podindex.touched(seen[0][0].seq, last_ix, (_phase, _phase)) is None  # other reads
        # a history from an earlier state: a new line (from that state), from which the old one
        # cannot be reached
        fork_ix, start = seen[len(seen) // 2]
        fork = start
        for w in branch:
            fork = _apply(fork, w)
            podindex.index(fork.pods)
        if podindex.index(fork.pods) is not fork_ix and fork_ix is not last_ix:
            assert podindex.touched(seen[0][0].seq, last_ix, _WATCH) is None
            touched = podindex.touched(fork_ix.seq, podindex.index(fork.pods), _WATCH)
            assert touched is not None
            assert {n for n in (*NODES, "gone") if _placed(start, n) != _placed(fork, n)} <= touched
    assert podindex.touched(seen[0][0].seq, last_ix, _WATCH) is None  # (no journal kept)


def test_derived_index_equals_fresh_one_with_chunked_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, with every group of two pods or more in a ChunkedSeq of chunks of two (at
    scale an owner's pods and the pending pods are; here the chunks split and empty), and the
    groups by node in buckets of two names."""
    monkeypatch.setattr(podindex, "BIG_GROUP", 1)
    monkeypatch.setattr(podseq, "CHUNK", 2)
    monkeypatch.setattr(podindex, "BUCKET", 2)
    test_derived_index_equals_fresh_one()


def _phases(group: tuple[Pod, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((p.name, p.phase) for p in group)


@pytest.mark.parametrize("parent_first", [True, False])
def test_a_fact_read_on_one_branch_is_never_seen_on_another(parent_first: bool) -> None:
    """A checker reads a state's successor and then the state again (or the other way round):
    after the derivation the two indexes share the fact dicts of the groups the write did not
    touch, and an answer either of them computes later, for the group the write did touch, must
    stay its own (it did not: the controller then counted a pod Ready that was not, and a
    rollout's ReplicaSet status went stale on one branch of the explorer)."""
    fact = ("test.phases", parent_first)
    pending = Pod(name="p0", owner="rs-a", phase="Pending", requests=Resources(cpu=100))
    parent = Cluster(settings=Settings()).with_pod(pending).with_pod(attrs.evolve(pending, name="p1", owner="rs-b"))
    podindex.index(parent.pods).per_owner(fact, "rs-b", _phases)  # the fact dict exists, without rs-a
    child = parent.with_pod(attrs.evolve(pending, phase=RUNNING))  # derived: the dict is shared
    order = [parent, child] if parent_first else [child, parent]
    got = {id(c): podindex.index(c.pods).per_owner(fact, "rs-a", _phases) for c in order}
    assert got[id(parent)] == (("p0", "Pending"),)
    assert got[id(child)] == (("p0", RUNNING),)
    # and again, from the cache this time
    assert podindex.index(parent.pods).per_owner(fact, "rs-a", _phases) == (("p0", "Pending"),)
    assert podindex.index(child.pods).per_owner(fact, "rs-a", _phases) == (("p0", RUNNING),)


# --- the fast path against the plain path ------------------------------------------------------


def _fast(scen: Scenario, monkeypatch: pytest.MonkeyPatch) -> Simulation:
    """The fast path, with the pods in a ChunkedSeq of small chunks however few they are (so that
    chunks split and empty on these small scenarios too)."""
    with monkeypatch.context() as m:
        m.setattr(podseq, "CHUNK", 3)
        m.setattr(simulate_engine, "_CHUNK_FROM", 0)
        m.setattr(podindex, "BIG_GROUP", 0)
        m.setattr(podindex, "BUCKET", 2)
        return simulate(scen)


def _plain(scen: Scenario, monkeypatch: pytest.MonkeyPatch) -> Simulation:
    """The tick-by-tick path without the shortcuts: no index survives a write (each is built
    again by scanning the pods), every tied successor is built, and the pods stay a tuple."""
    with monkeypatch.context() as m:
        m.setattr(simulate_engine, "_CHUNK_FROM", 10**9)
        m.setattr(podindex, "derive", lambda *a: None)
        m.setattr(podindex, "MEMO_SIZE", 1)
        m.setattr(model, "_first_steps", model.component_steps)
        podindex._memo.clear()
        return simulate(scen)


def _same(fast: Simulation, plain: Simulation) -> None:
    assert len(fast.events) == len(plain.events)
    for a, b in zip(fast.events, plain.events, strict=True):
        assert a == b
    assert fast.steps == plain.steps
    assert fast.snapshots == plain.snapshots
    assert fast.final == plain.final


SCENARIOS = (
    "seed-node-failure.yaml",
    "seed-scaling.yaml",
    "priority-preemption.yaml",
    "zone-spread-outage.yaml",
    "anti-affinity-node-failure.yaml",
    "stale-cache-over-creation.yaml",
    "soft-spread-maintenance.yaml",
    # pods no node fits, retried tick after tick (the fast path remembers the failed attempt)
    "gpu-pool.yaml",
    "anti-affinity-too-few-nodes.yaml",
    "conflicting-spread.yaml",
)


@pytest.mark.parametrize("name", SCENARIOS)
def test_fast_path_matches_plain_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scen = load(ROOT / "scenarios" / name)
    _same(_fast(scen, monkeypatch), _plain(scen, monkeypatch))


def test_fast_path_matches_plain_path_on_a_generated_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """12 workers, 6 pods each, 12 simulated minutes with a node powered off every 4 (its pods
    evicted after the toleration and rescheduled elsewhere)."""
    with tempfile.TemporaryDirectory() as tmp:
        scen = load_scale(generated_scale(Path(tmp), 12, 12, 6, 4))
    fast = _fast(scen, monkeypatch)
    assert any(e.reason == "NodeNotReady" for e in fast.events)
    assert sum(e.reason == "Scheduled" for e in fast.events) > 72  # the evicted pods placed again
    _same(fast, _plain(scen, monkeypatch))


def test_fast_path_matches_plain_path_with_pods_that_do_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """6 workers asked for 45 pods each at 50m cpu (40 fit in 2000m): 30 pods stay Pending and
    are retried every tick; a node failure at 3 minutes frees nothing (its pods go Pending too)."""
    with tempfile.TemporaryDirectory() as tmp:
        scen = load_scale(generated_scale(Path(tmp), 6, 6, 45, 3))
    scheduler._unschedulable.clear()
    fast = _fast(scen, monkeypatch)
    assert scheduler._unschedulable  # the retries were answered from the remembered attempt
    assert any("Insufficient cpu" in e.message for e in fast.events if e.reason == "FailedScheduling")
    _same(fast, _plain(scen, monkeypatch))


# --- ChunkedSeq -------------------------------------------------------------------------------

seq_write = st.tuples(st.sampled_from(tuple(f"q{i:02d}" for i in range(40))), st.booleans(), st.integers(0, 3))


@settings(max_examples=150, deadline=None)
@given(st.lists(seq_write, max_size=60), st.integers(1, 5))
def test_chunked_seq_is_the_tuple(writes: list, chunk: int) -> None:  # type: ignore[type-arg]
    from kmodel.state import find, remove, upsert

    old = podseq.CHUNK
    podseq.CHUNK = chunk
    try:
        plain: tuple[Pod, ...] = ()
        chunked: tuple[Pod, ...] = podseq.ChunkedSeq()  # type: ignore[assignment]
        for name, delete, restarts in writes:
            if delete:
                plain, chunked = remove(plain, name), remove(chunked, name)
            else:
                pod = Pod(name=name, restarts=restarts)
                plain, chunked = upsert(plain, pod), upsert(chunked, pod)
            assert type(chunked) is podseq.ChunkedSeq
            assert chunked == plain and plain == chunked and not (chunked != plain)
            assert hash(chunked) == hash(plain)
            assert tuple(chunked) == plain and len(chunked) == len(plain) and bool(chunked) == bool(plain)
            assert [chunked[i] for i in range(len(plain))] == list(plain)
            if plain:
                assert chunked[-1] == plain[-1] and chunked[1:3] == plain[1:3]
                assert plain[0] in chunked and chunked.index(plain[-1]) == len(plain) - 1
            assert chunked + ((),) == (*plain, ()) and ((),) + chunked == ((), *plain)  # noqa: RUF005
            for probe in ("q00", "q07", "q39", "zz"):
                assert find(chunked, probe) == find(plain, probe)
        assert Cluster(settings=Settings(), pods=chunked) == Cluster(settings=Settings(), pods=plain)
        assert hash(Cluster(settings=Settings(), pods=chunked)) == hash(Cluster(settings=Settings(), pods=plain))
        import pickle

        assert pickle.loads(pickle.dumps(chunked)) == plain
    finally:
        podseq.CHUNK = old


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(seq_write, max_size=30), max_size=6), st.integers(1, 5))
def test_chunked_seq_batch_upsert_is_the_writes_one_by_one(batches: list, chunk: int) -> None:  # type: ignore[type-arg]
    """ChunkedSeq.upsert_many: the tuple the upserts one by one give, and the item each replaced."""
    from kmodel.state import find, upsert

    old = podseq.CHUNK
    podseq.CHUNK = chunk
    try:
        plain: tuple[Pod, ...] = ()
        chunked = podseq.ChunkedSeq()
        for batch in batches:
            pods = list({name: Pod(name=name, restarts=r) for name, _, r in batch}.values())
            replaced = [find(plain, p.name) for p in pods]
            for pod in pods:
                plain = upsert(plain, pod)
            chunked, olds = chunked.upsert_many(pods)
            assert olds == replaced
            assert tuple(chunked) == plain and len(chunked) == len(plain) and chunked == plain
            assert all(len(c) <= 2 * chunk for c in chunked.chunks())
            assert [c[-1].name for c in chunked.chunks()] == list(chunked._lasts)
            for probe in ("q00", "q07", "q39", "zz"):
                assert find(chunked, probe) == find(plain, probe)  # type: ignore[arg-type]
    finally:
        podseq.CHUNK = old


# --- the explorer, whose states branch: the same search with and without derived indexes --------


def _explored(path: Path, faults: tuple[tuple[str, int], ...]) -> tuple[str, int, int, int]:
    from kmodel import properties as props
    from kmodel.checkmodel import KubeModel
    from kmodel.engines.explore import explore

    scen = load(path)
    r = explore(KubeModel(scen, faults=faults), props.to_property(props.BUILTINS["no-over-replication"], scen.settings))
    return (r.verdict, r.stats.states, r.stats.transitions, r.stats.depth)


@pytest.mark.parametrize(("name", "faults"), [("props-rollout.yaml", ())])
def test_the_explorer_sees_the_same_states_with_and_without_derived_indexes(
    name: str, faults: tuple[tuple[str, int], ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explorer reads a state's successors and goes back to read the state's siblings: the
    indexes derived along one branch must answer on the others as a fresh one would (they did
    not once, and rollout-completes then failed on the correct model)."""
    path = ROOT / "tests" / "data" / name
    fast = _explored(path, faults)
    with monkeypatch.context() as m:
        m.setattr(podindex, "derive", lambda *a: None)
        m.setattr(podindex, "MEMO_SIZE", 1)
        podindex._memo.clear()
        plain = _explored(path, faults)
    assert fast == plain
    assert fast[0] == "holds"
