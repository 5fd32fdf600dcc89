"""Bounded liveness with Z3: ``replica-convergence`` in the form the explorer checks it.

The explorer checks an ``eventually`` property P on a product of the model with a "calm" flag
(:class:`kmodel.engines.explore.Calm`): once the timeline is over the adversary may stop for
good, undoing every fault it injected; from then on P must hold within ``bound`` seconds of
model time, and again within the bound whenever it is lost. A monitor remembers since when P
has been missing while calm; the property fails in a state whose clock is more than ``bound``
past that moment.

Here the same product is unrolled: the slice is built with ``calm=True`` (the ``adversary``
action and the ``calm`` variable, :class:`kmodel.smt.nodehealth.Slice`), and every frame k gets
two monitor variables, ``wait.set@k`` and ``wait.since@k``, defined from frame k-1 exactly as
the explorer's monitor is::

    wait.set'   = not P' and (wait.set or calm')
    wait.since' = wait.since if wait.set else now'

The violation at frame k is ``wait.set@k and now@k - wait.since@k > bound``. A counterexample is
replayed on the Python product (action by action, as :func:`kmodel.smt.bmc.replay` does) and the
explorer's monitor is run on the replayed trace: it must fail at the last step, or the run is
reported as an encoding bug.

P itself, :func:`convergence`, is ``properties._convergence`` clause by clause: every
Deployment with spec.replicas >= 1 has at least min(R - W, F) serving pods, where W counts its
active pods on nodes whose kubelet is not connected and F is the room its pod template finds on
the connected nodes that pass the scheduler's static filters (pods, and the cpu and memory the
template requests, next to the other owners' pods there); every Deployment is excused while the
scheduler or the controller-manager cannot act.

Depth is the limit: after the faults stop the run needs ``bound`` seconds (60 s, 12 ticks, with
the defaults) of clock ticks, heartbeats and retries, some 25 to 45 actions, before a violation
can show, on top of the actions that break the cluster; every order of the components within a
tick is a path of its own, so BMC does not get that deep. Hence the *doomed-state search*: at
each depth a few calm states where the goal fails are taken from the solver and
:func:`doomed` asks whether the variables no action can change any more from there
(:meth:`~kmodel.smt.nodehealth.Slice.kept`) already falsify the goal. A doomed state is a
violation; the Python product runs on from it until the monitor fails, and that longer trace is
reported (a doomed state from which the Python run regains the goal is an encoding bug).
"""

from __future__ import annotations

import time
from typing import Any

import attrs
import z3

from kmodel.components import scheduler as kube_scheduler
from kmodel.engines.base import HOLDS, INCONCLUSIVE, VIOLATED, Result, Stats, Step, Trace
from kmodel.engines.explore import Calm
from kmodel.properties import BUILTINS, CONDITION_TAINTS, template_pod, to_property
from kmodel.smt.nodehealth import ADVERSARY, AND, IF, MAX0, MIN, NOT, OR, PHASE, SUM, Slice, SliceError, View, nk, pk
from kmodel.smt.workload import DIV, WorkloadSlice, dk
from kmodel.state import RUNNING

ENGINE = "smt"
LIVENESS = ("replica-convergence",)
DOOM_TRIES = 3  # calm states per depth tested with doomed()
RUN_OUT_LIMIT = 5000  # steps of the Python product after a doomed state
P_RUNNING = PHASE[RUNNING]


def _connected(sl: Slice, c: View, n: str) -> Any:
    """``Cluster.kubelet_connected``."""
    return AND(c[nk(n, "powered")], c[nk(n, "kubelet")], NOT(c[nk(n, "partitioned")]), sl.apiserver_available(c))


def convergence(sl: WorkloadSlice, c: View) -> Any:
    """``properties.replica_convergence`` over a frame: no Deployment is short of the serving
    pods it is owed (see the module docstring)."""
    c0 = sl.init_state.cluster
    connected = {n.name: _connected(sl, c, n.name) for n in sl.nodes}
    short = []
    for d in _deployments(sl):
        owned_rs = {rs.name for rs in sl.replicasets if sl.deployment_of(rs) == d.name}
        mine = [p for p in sl.pods if p.pod.replicaset_owner in owned_rs]
        others = [p for p in sl.pods if p.pod.replicaset_owner not in owned_rs]
        serving = []
        waiting = []
        for p in mine:
            here = AND(c[pk(p.name, "present")], NOT(c[pk(p.name, "deleting.set")]))
            serving.append(
                AND(
                    here,
                    c[pk(p.name, "phase")] == P_RUNNING,
                    c[pk(p.name, "ready")],
                    c[pk(p.name, "running")],
                    OR(*[AND(sl.on(c, p, n.name), connected[n.name]) for n in sl.nodes]),
                )
            )
            waiting.append(AND(here, OR(*[AND(sl.on(c, p, n.name), NOT(connected[n.name])) for n in sl.nodes])))
        pod = template_pod(c0, d)
        ro = sl.rollouts.get(d.name)
        if ro is not None and _placement_of(template_pod(c0, ro.after)) != _placement_of(pod):
            raise SliceError(
                f"deployment {d.name}'s new template asks for other tolerations, nodes or resources than its "
                "old one (replica-convergence across such a rollout is not encoded)",
                where="kmodel.smt workload slice",
                fix="keep what the template asks of nodes, or check with --engine explore",
            )
        want = kube_scheduler.pod_request(pod)
        room = []
        for n in sl.nodes:
            spec = c0.node(n.name)
            assert spec is not None
            clean = attrs.evolve(spec, taints=tuple(t for t in spec.taints if t.key not in CONDITION_TAINTS))
            if kube_scheduler.filter_reasons(c0, pod, clean, usage={}):
                continue
            there = [
                (q.pod.requests, AND(c[pk(q.name, "present")], NOT(c[pk(q.name, "deleting.set")]), sl.on(c, q, n.name)))
                for q in others
            ]
            # NodeResourcesFit's room next to them: pods, and each resource the template requests
            fits = spec.capacity.pods - SUM([IF(on, 1, 0) for _, on in there])
            if want.cpu:
                used_cpu = SUM([IF(on, r.cpu, 0) for r, on in there if r.cpu])
                fits = MIN(fits, DIV(spec.capacity.cpu - used_cpu, want.cpu))
            if want.memory:
                used_memory = SUM([IF(on, r.memory, 0) for r, on in there if r.memory])
                fits = MIN(fits, DIV(spec.capacity.memory - used_memory, want.memory))
            room.append(IF(connected[n.name], MAX0(fits), 0))
        replicas = sl.deployment_replicas(c, d.name)
        n_serving = SUM([IF(s, 1, 0) for s in serving])
        required = MAX0(MIN(replicas - SUM([IF(w, 1, 0) for w in waiting]), SUM(room)))
        exists = c.get(dk(d.name, "exists"), True)
        short.append(AND(exists, replicas > 0, n_serving < required))
    excused = NOT(AND(sl.cm_active(c), sl.scheduler_active(c)))
    return OR(excused, NOT(OR(*short)))


def _placement_of(pod: Any) -> Any:
    """What the filters read of a template pod (its name and labels aside)."""
    return attrs.evolve(pod, name="", labels=())


def _deployments(sl: WorkloadSlice) -> list[Any]:
    """Every Deployment the slice knows: those of the settled state and any the timeline
    applies later (``late_deployments``, absent until applied)."""
    return [*sl.init_state.cluster.deployments, *sl.late_deployments]


def doomed(sl: WorkloadSlice, values: dict[str, int | bool]) -> bool:
    """Replica convergence can never hold again on any run from the calm state ``values``:
    the variables :meth:`~kmodel.smt.nodehealth.Slice.kept` proves constant from there already
    make the goal false, whatever the others are."""
    fixed = sl.kept(values)
    goal = convergence(sl, sl.frame("doom", fixed).vars)
    if isinstance(goal, bool):
        return not goal
    solver = z3.Solver()
    solver.add(goal)
    return solver.check() == z3.unsat


def check(
    sl: Slice,
    name: str,
    *,
    max_depth: int,
    timeout: float | None = None,
    progress: Any = None,
    doom_tries: int = DOOM_TRIES,
) -> Result:
    """Bounded model checking of the liveness property ``name`` on a ``calm`` workload slice,
    for runs of at most ``max_depth`` actions (of the product: the ``adversary`` step counts).

    Besides the violations of length <= ``max_depth``, at each depth up to ``doom_tries``
    calm states where the goal fails are tested with :func:`doomed`; the first doomed one is
    reported as a violation once the Python product, run on from it, shows the bound running
    out (the trace is then longer than the depth, and not necessarily the shortest)."""
    from kmodel.smt.bmc import EncodingBug, Unrolling, out_of_slots, replay

    if name not in LIVENESS:
        raise SliceError(
            f"no liveness encoding of {name!r}", where="kmodel.smt.liveness", fix="use replica-convergence"
        )
    if not isinstance(sl, WorkloadSlice) or not sl.calm:
        raise SliceError(
            f"{name} needs the workload slice built with calm=True",
            where="kmodel.smt.liveness",
            fix="pass a scenario, a WorkloadModel, or WorkloadSlice(model, calm=True)",
        )
    python_prop = to_property(BUILTINS[name], sl.settings)
    bound = python_prop.bound
    assert bound is not None
    start = time.monotonic()
    stats = Stats()
    unrolling = Unrolling(sl)
    solver = unrolling.solver
    waits: list[tuple[Any, Any]] = []  # (wait.set, wait.since) per frame

    def snapshot() -> Stats:
        stats.seconds = time.monotonic() - start
        return Stats(stats.states, stats.transitions, stats.depth, 0, stats.seconds, [], stats.limit)

    done = -1
    for k in range(max_depth + 1):
        if k > 0:
            unrolling.extend()
        frame = unrolling.frames[k].vars
        goal = convergence(sl, frame)
        if timeout is not None:
            # every query of this depth shares what is left of the budget
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return _stopped(name, snapshot(), done, f"timeout {timeout:g}s")
            solver.set("timeout", max(1, int(left * 1000)))
        if k == 0:
            waits.append((False, 0))  # the initial state is not calm
        else:
            was_set, since = waits[-1]
            w_set, w_since = z3.Bool(f"wait.set@{k}"), z3.Int(f"wait.since@{k}")
            solver.add(w_set == AND(NOT(goal), OR(was_set, frame["calm"])))
            solver.add(w_since == IF(was_set, since, frame["now"]))
            waits.append((w_set, w_since))
            bad = AND(w_set, frame["now"] - w_since > bound)
            solver.push()
            solver.add(bad)
            solver.add(NOT(frame["unencoded"]))
            r = solver.check()
            if r == z3.sat:
                m = solver.model()
                solver.pop()
                trace = replay(sl, unrolling, m, k)
                if not _misses(trace, python_prop):
                    raise EncodingBug(
                        f"encoding bug: {name} fails in Z3 at depth {k} but the explorer's monitor does not fail on "
                        "the replayed Python trace"
                    )
                stats.depth = stats.transitions = k
                return Result(
                    VIOLATED,
                    ENGINE,
                    name,
                    snapshot(),
                    trace,
                    f"not reached within {bound}s after faults stopped; violated at depth {k} (shortest within "
                    "the slice); trace replayed on the Python model",
                )
            solver.pop()
            if r == z3.unknown:
                why = f"timeout {timeout:g}s" if timeout is not None else solver.reason_unknown()
                return _stopped(name, snapshot(), done, why)
            found = _doom_search(sl, unrolling, k, goal, doom_tries, python_prop)
            if found is not None:
                trace, at = found
                stats.depth = stats.transitions = k
                return Result(
                    VIOLATED,
                    ENGINE,
                    name,
                    snapshot(),
                    trace,
                    f"not reached within {bound}s after faults stopped: at depth {k} the run reaches a state "
                    f"from which no run regains it (what it depends on can no longer change); the Python model, "
                    f"run on from there, misses it for more than {bound}s at depth {at}; trace replayed on the "
                    "Python model",
                )
        if frame["unencoded"] is not False:
            solver.push()
            solver.add(frame["unencoded"])
            r = solver.check()
            solver.pop()
            if r == z3.unknown:
                why = f"timeout {timeout:g}s" if timeout is not None else solver.reason_unknown()
                return _stopped(name, snapshot(), done, why)
            if r == z3.sat:
                return out_of_slots(name, snapshot(), done, k, sl.pod_slots)
        done = stats.depth = k
        if progress is not None:
            progress(snapshot(), 0)
    return Result(
        HOLDS,
        ENGINE,
        name,
        snapshot(),
        None,
        f"holds up to depth {done} (bounded): no run of at most {done} actions stays without it for more than "
        f"{bound}s once faults stop",
    )


def _doom_search(
    sl: WorkloadSlice, unrolling: Any, k: int, goal: Any, tries: int, prop: Any
) -> tuple[Trace, int] | None:
    """Up to ``tries`` calm states at frame ``k`` where the goal fails; the first that is
    :func:`doomed` and whose replayed trace, extended on the Python product, runs out the
    bound gives (that trace, its length)."""
    from kmodel.smt.bmc import replay

    solver = unrolling.solver
    frame = unrolling.frames[k]
    solver.push()
    solver.add(frame.vars["calm"], NOT(goal), NOT(frame.vars["unencoded"]))
    try:
        for _ in range(tries):
            if solver.check() != z3.sat:
                return None
            m = solver.model()
            values = frame.values(m)
            if doomed(sl, values):
                extended = _run_out(sl, replay(sl, unrolling, m, k), prop)
                if extended is not None:
                    return extended, len(extended.steps) - 1
            solver.add(NOT(frame.equals(values)))
        return None
    finally:
        solver.pop()


def _run_out(sl: WorkloadSlice, trace: Trace, prop: Any) -> Trace | None:
    """``trace`` (ending calm) continued on the Python product, taking the first calm
    transition each time, until the explorer's monitor fails; None when the run ends first
    (the scenario's horizon stops the clock), when the monitor failed earlier in ``trace``, or
    after :data:`RUN_OUT_LIMIT` steps."""
    from kmodel.smt.bmc import EncodingBug

    steps = list(trace.steps)
    doomed_at = len(steps) - 1
    watch = _Monitor(prop)
    for i, step in enumerate(steps):
        if watch.late(step):
            return Trace(tuple(steps)) if i == doomed_at else None
    state = steps[-1].state
    product = Calm(sl.model)
    for _ in range(RUN_OUT_LIMIT):
        nxt = next(iter(product.transitions((state, True))), None)
        if nxt is None:
            return None
        state = nxt.state[0]
        steps.append(Step(nxt.actor, nxt.label, state))
        if prop.predicate(state):
            raise EncodingBug(
                f"encoding bug: the state at depth {doomed_at} was proven unable to regain {prop.name}, but the "
                f"Python model regains it at depth {len(steps) - 1} (t={state.cluster.now}s)"
            )
        if watch.late(steps[-1]):
            return Trace(tuple(steps))
    return None


class _Monitor:
    """The explorer's monitor for ``eventually`` on the calm product (``explore._search``),
    fed one step at a time: since when the goal has been missing while calm."""

    def __init__(self, prop: Any) -> None:
        assert prop.bound is not None and prop.predicate is not None
        self.prop = prop
        self.pending: int | None = None
        self.calm = False

    def late(self, step: Step) -> bool:
        """Take ``step``; whether the goal has now been missing for longer than the bound."""
        self.calm = self.calm or step.actor == ADVERSARY
        now = step.state.cluster.now
        if self.prop.predicate(step.state):
            self.pending = None
        elif self.pending is None and self.calm:
            self.pending = now
        return self.pending is not None and now - self.pending > self.prop.bound


def _misses(trace: Trace, prop: Any) -> bool:
    """The explorer's monitor fails at the last step of ``trace`` and not before."""
    watch = _Monitor(prop)
    for i, step in enumerate(trace.steps):
        if watch.late(step):
            return i == len(trace.steps) - 1
    return False


def _stopped(name: str, snap: Stats, done: int, why: str) -> Result:
    snap.depth = max(done, 0)
    snap.limit = why
    return Result(INCONCLUSIVE, ENGINE, name, snap, None, f"no violation up to depth {done} (bounded); stopped: {why}")
