"""The explorer's breadth-first search on several processes, and Hypothesis swarms.

**Parallel BFS.** The search goes level by level (every state at depth d is expanded before any
at depth d+1). A coordinator (the process that runs ``kmodel check``) holds the visited set and
the frontier; each level it cuts the frontier into chunks and hands them to the workers, which
compute every successor, its fingerprint and the properties, and send back, for every
transition, the successor's fingerprint digest, which properties it breaks and (when the worker
has not already seen the digest at an earlier level) the successor itself. The coordinator then
takes the chunks' answers *in frontier order*, exactly as the single-process explorer pops its
queue: so it visits the same states in the same order, stops at the same ``--max-states``, and
reports the same shortest counterexample (the first violation in breadth-first order, not the
first a worker happens to find). The workers need only the :class:`~kmodel.engines.base.Model`
interface (``init_states``, ``transitions``, ``fingerprint``, ``clock``; ``stop_faults`` for
``eventually``), so this works with any model the explorer takes.

The difference from the explorer: the visited set holds a 64-bit digest of each fingerprint
(Python's ``hash``), not the fingerprint, since fingerprints cross process boundaries. As in TLC,
two distinct states could share a digest and one of them would go unexplored; with n states the
chance of any such collision is about n²/2⁶⁵ (3·10⁻⁸ for a million states).

Where the workers run is an *executor*: :class:`LocalExecutor` forks processes of this
machine (``--workers N``; a level narrower than :data:`INLINE_BELOW` states per worker, of which
a deep thin state space has hundreds, is expanded by the coordinator itself, since handing it
out would cost more than it saves), :class:`kmodel.engines.distributed.DaskExecutor` sends the
chunks as tasks to a Dask cluster (``--cluster``). A worker that dies loses nothing: the chunks it held
are handed out again (Dask does that itself; the local executor starts a fresh pool), and the
answer is the same, as a chunk's answer depends only on the chunk.

**Swarms.** ``--engine hypothesis --workers N`` runs N Hypothesis searches with different seeds
and orders of transitions at once (:func:`swarm`); the first counterexample wins and the others
are stopped.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import multiprocessing
import os
import pickle
import queue
import random
import signal
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from kmodel.engines.base import (
    ALWAYS,
    ALWAYS_TRANSITION,
    EVENTUALLY,
    HOLDS,
    INCONCLUSIVE,
    VIOLATED,
    WITHIN,
    Model,
    Property,
    Result,
    Stats,
    Step,
    Trace,
    Transition,
    action_family,
)
from kmodel.engines.explore import calm_result, calm_within

ENGINE = "explore"  # the explorer's results, computed on several processes
MAX_CHUNK = 256  # states in one task at most (answers come back in time for progress and deadlines)
CHUNKS_PER_WORKER = 4  # each level is cut into about this many chunks per worker, for balance
INLINE_BELOW = 32  # local: a level of fewer states than this per worker is expanded by the coordinator
POLL = 2.0  # local: seconds between looks at the workers while waiting for an answer
RETRIES = 3  # a level whose workers keep dying is given up after this many fresh starts

Progress = Callable[[Stats, int], None]  # (stats so far, frontier length)


class WorkerLost(RuntimeError):
    """The workers kept dying: the level could not be finished."""


def loads(blob: bytes) -> Any:
    """``pickle.loads`` without the cyclic garbage collector: unpickling thousands of states makes
    as many objects, and the collections they set off (each scanning the whole heap of a big
    search) cost several times the unpickling itself. States hold no cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(blob)  # noqa: S301 (blobs our coordinator and workers made)
    finally:
        if was:
            gc.enable()


# -- the worker side ------------------------------------------------------------------------------


class Context:
    """What a worker needs for one search: the model and its properties (one ``within`` property,
    or any number of ``always`` / ``always-transition`` ones)."""

    def __init__(self, model: Model, props: Sequence[Property]) -> None:
        self.model = model
        self.props = list(props)
        self.within = self.props[0] if self.props and self.props[0].kind == WITHIN else None
        assert self.within is None or len(self.props) == 1

    def digest(self, state: Any, pending: int | None) -> int:
        fp = self.model.fingerprint(state)
        if self.within is None:
            return hash(fp)
        waited = None if pending is None else min(self.model.clock(state) - pending, self.within.bound + 1)
        return hash((fp, waited))

    def monitor(self, state: Any, pending: int | None) -> int | None:
        w = self.within
        assert w is not None and w.predicate is not None and w.target is not None
        if w.target(state):
            return None
        if pending is None and w.predicate(state):
            return self.model.clock(state)
        return pending

    def broken(self, state: Any, active: Sequence[int]) -> tuple[int, ...]:
        """The active ``always`` properties (by index) that ``state`` violates."""
        props = self.props
        return tuple(i for i in active if props[i].kind == ALWAYS and not props[i].predicate(state))  # type: ignore[misc]


# Entry: what a worker tells about one transition (or one initial state):
# (actor, label, fault, digest, transition properties broken, state properties broken (None when
# not checked: the worker knew the digest), within's pending, within's bound exceeded, the state
# (None when the coordinator has it already and needs it for nothing))
Entry = tuple[str, str, bool, int, tuple[int, ...], "tuple[int, ...] | None", "int | None", bool, Any]

# digests a worker process has sent at earlier levels, per search: those are in the
# coordinator's visited set, so their states need not travel again
_known: dict[str, tuple[int, set[int], set[int]]] = {}


def _seen_before(key: str, level: int) -> tuple[set[int], set[int]]:
    """(digests sent at earlier levels, digests sent at this level) for search ``key``. Only
    those of earlier levels count as known: which chunks a worker gets within a level, and in
    which order, varies, and the coordinator must find each new state in the first chunk (in
    frontier order) that reaches it, as it takes the chunks in that order."""
    got = _known.get(key)
    if got is None or got[0] > level:
        got = (level, set(), set())
    elif got[0] < level:
        got[1].update(got[2])
        got = (level, got[1], set())
    if len(_known) > 16 and key not in _known:
        _known.clear()
    _known[key] = got
    return got[1], got[2]


def initial_entries(ctx: Context) -> bytes:
    """The initial states, as entries."""
    active = range(len(ctx.props))
    out: list[Entry] = []
    for init in ctx.model.init_states():
        pending = ctx.monitor(init, None) if ctx.within is not None else None
        out.append(
            (
                "init",
                "initial state",
                False,
                ctx.digest(init, pending),
                (),
                ctx.broken(init, active),
                pending,
                False,
                init,
            )
        )
    return pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)


def expand(ctx: Context, key: str, level: int, active: tuple[int, ...], chunk: bytes) -> bytes:
    """Every transition of every (state, pending) in ``chunk`` (pickled), as entries, with the
    action families that fired: the pickled answer for the coordinator."""
    answer = expand_items(ctx, key, level, active, loads(chunk))
    return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)


def expand_items(
    ctx: Context, key: str, level: int, active: tuple[int, ...], items: list[tuple[Any, int | None]]
) -> tuple[list[list[Entry]], set[str]]:
    """:func:`expand` on (state, pending) pairs, unpickled."""
    known, sent = _seen_before(key, level)
    model, props, within = ctx.model, ctx.props, ctx.within
    checks = [i for i in active if props[i].kind == ALWAYS_TRANSITION]
    watching = within is not None and 0 in active
    fired: set[str] = set()
    local: set[int] = set()  # digests sent in this chunk
    answer: list[list[Entry]] = []
    for state, pending in items:
        entries: list[Entry] = []
        for tr in model.transitions(state):
            fired.add(action_family(tr.actor))
            after = tr.state
            bad = tuple(i for i in checks if not props[i].transition(state, after))  # type: ignore[misc]
            p, over = pending, False
            if watching:
                assert within is not None
                p = ctx.monitor(after, p)
                over = p is not None and model.clock(after) - p > within.bound
            d = ctx.digest(after, p)
            new = d not in known and d not in local
            if new:
                local.add(d)
            entries.append(
                (
                    tr.actor,
                    tr.label,
                    tr.fault,
                    d,
                    bad,
                    ctx.broken(after, active) if new else None,
                    p,
                    over,
                    after if new or bad or over else None,
                )
            )
        answer.append(entries)
    sent.update(local)
    return answer, fired


# -- executors ------------------------------------------------------------------------------------


class Executor(Protocol):
    """Runs :func:`initial_entries` and :func:`expand` for the coordinator, somewhere."""

    workers: int

    def start(self, contexts: dict[str, Context]) -> None: ...

    def initial(self, key: str) -> bytes: ...

    def expand(
        self,
        key: str,
        level: int,
        active: tuple[int, ...],
        chunks: list[list[tuple[Any, int | None]]],
        deadline: float | None,
    ) -> Iterator[tuple[list[list[Entry]], set[str]]]:
        """The answers to ``chunks`` of (state, pending), in their order; raises TimeoutError
        past ``deadline``."""
        ...

    def close(self) -> None: ...


# the contexts of the searches a local pool serves: set before the pool forks its workers, so
# that each inherits the model and properties (closures included) instead of unpickling them
_local: dict[str, Context] = {}


def _local_expand(key: str, level: int, active: tuple[int, ...], chunk: bytes) -> bytes:
    return expand(_local[key], key, level, active, chunk)


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is for the coordinator, which stops the workers itself (without this,
    each worker would print a KeyboardInterrupt traceback of its own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalExecutor:
    """Worker processes forked from this one (``fork``: they inherit the model, so a model built
    with replaced components or properties written as closures needs no pickling)."""

    def __init__(self, workers: int) -> None:
        if "fork" not in multiprocessing.get_all_start_methods():
            raise RuntimeError("--workers needs the 'fork' start method (Linux, or macOS with fork allowed)")
        self.workers = workers
        self.pool: cf.ProcessPoolExecutor | None = None
        self.restarts = 0  # pools started again after a worker died

    def start(self, contexts: dict[str, Context]) -> None:
        if self.pool is not None:  # its workers were forked with other contexts
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _local.clear()
        _local.update(contexts)
        self._pool()

    def _pool(self) -> cf.ProcessPoolExecutor:
        if self.pool is None:
            self.pool = cf.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_interrupts
            )
        return self.pool

    def _restart(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None
        self.restarts += 1
        if self.restarts > RETRIES:
            raise WorkerLost(f"worker processes died {self.restarts} times")

    def processes(self) -> list[int]:
        """The worker processes' ids (for tests that kill one)."""
        return list(self.pool._processes) if self.pool is not None and self.pool._processes else []  # type: ignore[attr-defined]

    def initial(self, key: str) -> bytes:
        return initial_entries(_local[key])  # here: the workers are forks of this process

    def expand(
        self,
        key: str,
        level: int,
        active: tuple[int, ...],
        chunks: list[list[tuple[Any, int | None]]],
        deadline: float | None,
    ) -> Iterator[tuple[list[list[Entry]], set[str]]]:
        if sum(map(len, chunks)) < INLINE_BELOW * self.workers:
            # a narrow level (a deep, thin state space has hundreds): handing it out would cost
            # more than expanding it here (the coordinator has the model and the same hash seed)
            for c in chunks:
                yield expand_items(_local[key], key, level, active, c)
            return
        blobs = [pickle.dumps(c, protocol=pickle.HIGHEST_PROTOCOL) for c in chunks]
        done = 0
        while done < len(blobs):
            pool = self._pool()
            futures: list[cf.Future[bytes]] = []
            try:
                # inside the try: a worker killed since the last level has already broken the pool
                futures = [pool.submit(_local_expand, key, level, active, c) for c in blobs[done:]]
                for f in futures:
                    answer = loads(self._result(f, deadline))
                    done += 1
                    yield answer
            except cf.process.BrokenProcessPool:
                self._restart()  # a worker died: its chunks (and those after) are handed out again
            finally:
                for f in futures:
                    f.cancel()

    def _result(self, f: cf.Future[bytes], deadline: float | None) -> bytes:
        """``f``'s answer; TimeoutError at ``deadline``. Waits in slices and looks at the workers
        in between: should a worker die without the pool noticing, the level is redone rather
        than waited for forever."""
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError("the run's deadline passed")
            try:
                return f.result(timeout=POLL if left is None else min(POLL, left))
            except cf.TimeoutError:  # the builtin TimeoutError from Python 3.11
                procs = self.pool._processes if self.pool is not None else None  # type: ignore[attr-defined]
                if procs and any(p.exitcode is not None for p in list(procs.values())):
                    raise cf.process.BrokenProcessPool("a worker process died") from None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _local.clear()


# -- the coordinator ------------------------------------------------------------------------------


class _Node:
    __slots__ = ("actor", "depth", "label", "parent", "pending", "state")

    def __init__(self, state: Any, parent: _Node | None, actor: str, label: str, depth: int, pending: int | None):
        self.state = state
        self.parent = parent
        self.actor = actor
        self.label = label
        self.depth = depth
        self.pending = pending


def _trace(node: _Node, last: tuple[str, str, Any] | None = None) -> Trace:
    steps: list[Step] = []
    cur: _Node | None = node
    while cur is not None:
        steps.append(Step(cur.actor, cur.label, cur.state))
        cur = cur.parent
    steps.reverse()
    if last is not None:
        steps.append(Step(*last))
    return Trace(tuple(steps))


def _chunks(nodes: list[_Node], workers: int) -> list[list[_Node]]:
    size = max(1, min(MAX_CHUNK, -(-len(nodes) // (workers * CHUNKS_PER_WORKER))))
    return [nodes[i : i + size] for i in range(0, len(nodes), size)]


def _search(
    executor: Executor,
    key: str,
    props: list[Property],
    *,
    max_states: int,
    max_depth: int | None,
    deadline: float | None,
    progress: Progress | None,
    families: list[str] | None,
) -> list[Result]:
    """The explorer's breadth-first search, with the workers of ``executor`` expanding each level;
    ``props`` are those of the context ``key`` (same semantics as the explorer's search)."""
    within = props[0] if props[0].kind == WITHIN else None
    start = time.monotonic()
    stats = Stats()
    fired: set[str] = set()
    seen: set[int] = set()
    active = list(props)
    done: dict[int, Result] = {}
    last_report = start

    def snapshot() -> Stats:
        stats.seconds = time.monotonic() - start
        stats.never_fired = sorted(set(families or []) - fired)
        return Stats(
            stats.states,
            stats.transitions,
            stats.depth,
            stats.examples,
            stats.seconds,
            list(stats.never_fired),
            stats.limit,
        )

    def violated(prop: Property, trace: Trace, message: str = "") -> None:
        done[id(prop)] = Result(VIOLATED, ENGINE, prop.name, snapshot(), trace, message)
        active.remove(prop)

    def finish(verdict: str, message: str = "") -> list[Result]:
        final = snapshot()
        for prop in active:
            done[id(prop)] = Result(verdict, ENGINE, prop.name, final, None, message)
        return [done[id(p)] for p in props]

    def timed_out() -> list[Result]:
        now = time.monotonic()
        stats.limit = f"timeout after {now - start:.0f}s"
        return finish(INCONCLUSIVE, f"stopped after {now - start:.0f}s: the run's --timeout ran out")

    def check_state(node: _Node, broken: tuple[int, ...] | None, message: str = "") -> None:
        for i in broken or ():
            if props[i] in active:
                violated(props[i], _trace(node), message)

    if deadline is not None and start >= deadline:
        stats.limit = "timeout"
        return finish(INCONCLUSIVE, "not started: the run's --timeout ran out")
    frontier: list[_Node] = []
    for actor, label, _, d, _, broken, pending, _, state in loads(executor.initial(key)):
        if d in seen:
            continue
        seen.add(d)
        node = _Node(state, None, actor, label, 0, pending)
        stats.states += 1
        check_state(node, broken, "the initial state violates it")
        frontier.append(node)

    level = 0
    while frontier and active:
        depth = frontier[0].depth
        stats.depth = max(stats.depth, depth)
        if max_depth is not None and depth >= max_depth:
            stats.limit = f"max depth {max_depth}"
            break
        indices = tuple(props.index(p) for p in active)
        groups = _chunks(frontier, executor.workers)
        following: list[_Node] = []
        answers = executor.expand(key, level, indices, [[(n.state, n.pending) for n in g] for g in groups], deadline)
        try:
            for group in groups:
                try:
                    answer, got = next(answers)
                except TimeoutError:
                    return timed_out()
                fired |= got
                for node, entries in zip(group, answer, strict=True):
                    for actor, label, _, d, bad, broken, pending, over, after in entries:
                        stats.transitions += 1
                        for i in bad:
                            if props[i] in active:
                                violated(props[i], _trace(node, (actor, label, after)))
                        if over and within is not None and within in active:
                            violated(within, _trace(node, (actor, label, after)), f"not reached within {within.bound}s")
                        if not active:
                            break
                        if d in seen:
                            continue
                        if stats.states >= max_states:
                            stats.limit = f"max states {max_states}"
                            return finish(INCONCLUSIVE, f"stopped at {max_states:,} states")
                        if after is None:
                            raise AssertionError("a worker withheld a state the coordinator has not seen")
                        seen.add(d)
                        child = _Node(after, node, actor, label, depth + 1, pending)
                        stats.states += 1
                        check_state(child, broken)
                        following.append(child)
                    if not active:
                        break
                if not active:
                    break
                now = time.monotonic()
                if deadline is not None and now > deadline:
                    return timed_out()
                if progress is not None and now - last_report >= 0.5:
                    stats.seconds = now - start
                    progress(stats, len(following))
                    last_report = now
        finally:
            close = getattr(answers, "close", None)
            if close is not None:
                close()
        frontier = following
        level += 1
    if stats.limit and active:
        return finish(INCONCLUSIVE, f"stopped at {stats.limit}")
    return finish(HOLDS)


def explore_many(
    model: Model,
    props: list[Property],
    executor: Executor,
    *,
    max_states: int = 1_000_000,
    max_depth: int | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: Progress | None = None,
    families: list[str] | None = None,
) -> list[Result]:
    """:func:`kmodel.engines.explore.explore_many` on ``executor``'s workers: one shared search for
    the state and transition invariants, one for each ``within`` and ``eventually`` property;
    ``timeout`` (or ``deadline``) bounds them all together."""
    ends = [t for t in (deadline, None if timeout is None else time.monotonic() + timeout) if t is not None]
    deadline = min(ends) if ends else None
    for p in props:
        if p.kind not in (ALWAYS, ALWAYS_TRANSITION, WITHIN, EVENTUALLY):
            raise ValueError(f"the explorer cannot check properties of kind {p.kind!r}")
    shared = [p for p in props if p.kind in (ALWAYS, ALWAYS_TRANSITION)]
    contexts: dict[str, Context] = {}
    searches: list[tuple[str, list[Property]]] = []
    token = f"{os.getpid()}-{random.getrandbits(48):x}"
    if shared:
        contexts[f"{token}/shared"] = Context(model, shared)
        searches.append((f"{token}/shared", shared))
    alone: dict[int, tuple[str, Property]] = {}
    for i, p in enumerate(props):
        if p.kind == WITHIN:
            alone[i] = (f"{token}/{i}", p)
            contexts[f"{token}/{i}"] = Context(model, [p])
        elif p.kind == EVENTUALLY:
            calm, w = calm_within(model, p)
            alone[i] = (f"{token}/{i}", w)
            contexts[f"{token}/{i}"] = Context(calm, [w])
    limits: dict[str, Any] = {
        "max_states": max_states,
        "max_depth": max_depth,
        "deadline": deadline,
        "progress": progress,
        "families": families,
    }
    executor.start(contexts)
    found: dict[int, Result] = {}
    if shared:
        key, group = searches[0]
        for p, r in zip(group, _search(executor, key, group, **limits), strict=True):
            found[id(p)] = r
    for i, (key, w) in alone.items():
        prop = props[i]
        result = _search(executor, key, [w], **limits)[0]
        if prop.kind == EVENTUALLY:
            result = calm_result(model, prop, result)
        found[id(prop)] = result
    return [found[id(p)] for p in props]


def explore(model: Model, prop: Property, executor: Executor, **limits: Any) -> Result:
    """:func:`kmodel.engines.explore.explore` on ``executor``'s workers."""
    return explore_many(model, [prop], executor, **limits)[0]


def explore_on_workers(
    model: Model, props: list[Property], *, workers: int, cluster: str | None = None, **limits: Any
) -> list[Result]:
    """:func:`explore_many` on ``workers`` forked processes, or on the Dask cluster ``cluster``
    (``"local"``: a local cluster of ``workers`` processes started for this run)."""
    if cluster is None:
        local = LocalExecutor(workers)
        try:
            return explore_many(model, props, local, **limits)
        finally:
            local.close()
    from kmodel.engines.distributed import Cluster, DaskExecutor

    with Cluster(cluster, workers) as c:
        dask = DaskExecutor(c.client)
        try:
            return explore_many(model, props, dask, **limits)
        finally:
            dask.close()


def worker_lines(engine: str, workers: int, cluster: str | None) -> list[str]:
    """The report's header lines saying where the engines run, when not on this process alone."""
    out: list[str] = []
    if engine in ("explore", "all") and (workers > 1 or cluster is not None):
        where = (
            f"{workers} worker processes"
            if cluster is None
            else f"a local Dask cluster of {workers} workers"
            if cluster == "local"
            else f"the Dask cluster at {cluster}"
        )
        out.append(
            f"explorer on {where}: states told apart by a 64-bit digest of their fingerprint "
            "(a collision among n states has a chance of about n²/2⁶⁵)"
        )
    if engine in ("hypothesis", "all") and workers > 1:
        out.append(
            f"hypothesis: a swarm of {workers} searches with different seeds and orders of transitions; "
            "the first counterexample wins"
        )
    return out


# -- swarms of Hypothesis searches ----------------------------------------------------------------

_swarm_job: tuple[Model, Property, dict[str, Any]] | None = None  # set before the members fork


class Reordered:
    """``model`` with the transitions of every state in another fixed order (member ``order`` of
    a swarm; order 0 is the model's own). Hypothesis draws a transition as an index and shrinks
    towards index 0, and the ``eventually`` drive takes the first enabled component step, so
    each order leans a search towards other interleavings. States, fingerprints and traces are
    the model's."""

    def __init__(self, model: Model, order: int) -> None:
        self.model = model
        self.order = order

    def __getattr__(self, name: str) -> Any:  # init_states, fingerprint, clock, stop_faults, fair...
        return getattr(self.model, name)

    def transitions(self, state: Any) -> list[Transition]:
        got = list(self.model.transitions(state))
        if self.order == 0:
            return got
        tag = f"{self.order}:".encode()
        return sorted(got, key=lambda tr: zlib.crc32(tag + f"{tr.actor}\0{tr.label}".encode()))


def _swarm_member(index: int, seed: int, out: Any) -> None:
    from kmodel.engines import hypothesis_engine

    _ignore_interrupts()
    assert _swarm_job is not None
    model, prop, kwargs = _swarm_job
    try:
        result = hypothesis_engine.check(Reordered(model, index), prop, seed=seed, **kwargs)
        out.put((index, seed, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), ""))
    except BaseException as err:  # the parent reports it; a member must always answer
        out.put((index, seed, b"", f"{type(err).__name__}: {err}"))


def swarm(model: Model, prop: Property, workers: int, *, seed: int | None = None, **kwargs: Any) -> Result:
    """``hypothesis_engine.check`` on ``workers`` forked processes at once, each with its own
    seed (``seed``, ``seed + 1``, ...; random ones without ``seed``) and its own order of the
    transitions (:class:`Reordered`; the first member keeps the model's): the first counterexample
    found wins and stops the others. Without one, the verdict is the weakest of the members'
    (inconclusive if any stopped at a limit) and the statistics add up theirs (``states`` counts
    a state reached by two members twice). A member that dies is started again with its seed."""
    global _swarm_job
    if "fork" not in multiprocessing.get_all_start_methods():
        raise RuntimeError("--workers needs the 'fork' start method (Linux, or macOS with fork allowed)")
    base = seed if seed is not None else random.SystemRandom().randrange(2**31)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    _swarm_job = (model, prop, dict(kwargs, progress=None))
    start = time.monotonic()
    members: dict[int, Any] = {}
    restarts = 0

    def launch(i: int) -> None:
        p = ctx.Process(target=_swarm_member, args=(i, base + i, out), daemon=True)
        p.start()
        members[i] = p

    results: dict[int, tuple[int, Result]] = {}
    try:
        for i in range(workers):
            launch(i)
        while len(results) < workers:
            try:
                index, member_seed, blob, error = out.get(timeout=1.0)
            except queue.Empty:  # look for members that died without answering
                for i, p in list(members.items()):
                    # a member that answered exits with 0, and its answer is in the queue
                    if i not in results and p.exitcode not in (None, 0):
                        restarts += 1
                        if restarts > RETRIES * workers:
                            raise WorkerLost(f"swarm members died {restarts} times") from None
                        launch(i)
                continue
            if error:
                raise RuntimeError(f"swarm member {index} (seed {member_seed}) failed: {error}")
            result: Result = loads(blob)
            results[index] = (member_seed, result)
            if result.verdict == VIOLATED:
                order = "the model's order of transitions" if index == 0 else f"transition order #{index}"
                result.warnings.append(
                    f"swarm of {workers} Hypothesis searches: found by the one with seed {member_seed} and {order}"
                )
                result.stats.seconds = time.monotonic() - start
                return result
    finally:
        for p in members.values():
            if p.is_alive():
                p.terminate()
        for p in members.values():
            p.join(timeout=5)
        _swarm_job = None
    ordered = [results[i][1] for i in range(workers)]
    verdict = INCONCLUSIVE if any(r.verdict == INCONCLUSIVE for r in ordered) else HOLDS
    stats = Stats(
        states=sum(r.stats.states for r in ordered),
        transitions=sum(r.stats.transitions for r in ordered),
        depth=max(r.stats.depth for r in ordered),
        examples=sum(r.stats.examples for r in ordered),
        seconds=time.monotonic() - start,
        never_fired=sorted(set.intersection(*(set(r.stats.never_fired) for r in ordered))),
        limit=next((r.stats.limit for r in ordered if r.stats.limit), ""),
    )
    first = next((r for r in ordered if r.verdict == verdict), ordered[0])
    warnings = [w for r in ordered for w in r.warnings if w not in first.warnings] + list(first.warnings)
    warnings = list(dict.fromkeys(warnings))
    warnings.append(
        f"swarm of {workers} Hypothesis searches, seeds {base} to {base + workers - 1}, "
        "each with its own order of transitions"
    )
    return Result(verdict, first.engine, prop.name, stats, None, first.message, warnings)
