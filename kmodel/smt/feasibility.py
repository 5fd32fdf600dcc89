"""Why is this pod Pending? Scheduling feasibility decided with Z3 (``kmodel explain``).

The scheduler binds pending pods one at a time, oldest first, each to a best node for the cluster
as it is at that moment, and it never moves a pod once bound. So a pod can stay Pending while the
nodes, taken together, have room for it: the room went to pods bound before it. For one Pending
pod of a cluster state this module tells three cases apart:

``fits-now``
    The scheduler would bind it. Its queue is replayed from this state (every pending pod in
    order, ties broken by node name as ``kmodel simulate`` does) and some node passes every
    filter when the pod's turn comes.
``room-exists``
    The scheduler would not, because pods ahead of it in the queue take the room it needs; yet
    the pending pods can be spread over the nodes so that it fits too. The explanation gives
    such an assignment (one placing as many pending pods as possible).
``no-room``
    No assignment of the pending pods places it while the bound pods stay where they are. Each
    node says why it cannot take the pod, with the requests and free capacity. When the pod
    would fit if some bound pods were moved (which the scheduler never does), the explanation
    says so and gives the fewest moves that make room (``bound_pods_must_move``, ``moves``).

With the bound pods fixed, placing other pending pods only takes room away, so the pod fits in
some assignment exactly when it passes every filter now: ``room-exists`` always means the queue
order stands in the way, and ``no-room`` always means the bound pods (or the nodes themselves)
do. Z3 answers the questions that need a search: the most pending pods that fit together (and
whether all do), an assignment that places the pod alongside as many others as possible, and
the fewest bound pods to move.

One definition of each filter: NodeUnschedulable, TaintToleration and NodeAffinity (nodeSelector)
are decided by :func:`kmodel.components.scheduler.filter_reasons` itself, run against the node
emptied of pods (``usage={}``), which also rules out pods asking for more than a node's
allocatable. NodeResourcesFit, the only filter that depends on the other pods, is encoded as the
scheduler checks it: a pod placed on a node needs room for one more pod, and for its cpu (memory)
only when it requests some. Requests only add up, so a set of pods placed on a node passes that
check in every order exactly when, for each resource one of them requests, the node's final
total stays within its allocatable; that is the constraint. ``Node.capacity`` is the node's
allocatable, as in the scheduler.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import z3
from attrs import define, frozen

from kmodel.components import scheduler
from kmodel.components.scheduler import Usage, failure_message, filter_reasons, node_usage, pod_request
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario, load
from kmodel.settings import format_duration
from kmodel.smt.nodehealth import refuse_scheduling_features
from kmodel.state import (
    COND_TRUE,
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    Node,
    Pod,
    Resources,
)

FITS_NOW = "fits-now"
ROOM_EXISTS = "room-exists"
NO_ROOM = "no-room"
VERDICTS = (FITS_NOW, ROOM_EXISTS, NO_ROOM)

# The reasons NodeResourcesFit gives; every other filter failure does not depend on other pods.
RESOURCE_REASONS = frozenset({"Too many pods", "Insufficient cpu", "Insufficient memory"})
DIMENSIONS = ("cpu", "memory", "pods")
SOLVER_TIMEOUT_MS = 20_000


@frozen
class NodeFit:
    """One node seen from the explained pod."""

    name: str
    passes: bool  # every filter passes now (bound pods as they are, no other pending pod placed)
    never: bool  # fails whatever the other pods do: a non-resource filter, or asks for more than allocatable
    reasons: tuple[str, ...]  # the scheduler's own reasons now (empty when it passes)
    detail: str  # the same in words, with numbers


@define
class Explanation:
    pod: str
    verdict: str  # one of VERDICTS
    now: int  # model time of the explained state
    lines: list[str]  # human-readable, one finding per line
    # fits-now: where the scheduler's queue order binds the pending pods (this one included);
    # room-exists: an assignment of pending pods that places this one; no-room: None
    assignment: dict[str, str] | None
    nodes: dict[str, NodeFit]
    pending: list[str]  # the pending pods in the scheduler's queue order
    scheduler_binds: dict[str, str]  # what replaying the queue binds: pod -> node
    all_pending_fit: bool | None  # None: the solver gave up
    max_placeable: int | None  # most pending pods that fit together (None: the solver gave up)
    bound_pods_must_move: bool = False
    # when bound_pods_must_move: bound pod -> (from node, to node), and the node that then takes this pod
    moves: dict[str, tuple[str, str]] | None = None
    node_after_moves: str | None = None


# --- the state to explain -------------------------------------------------------------------------


def state_at(
    scenario_path: str | Path | Scenario, at: int | None = None, extra_events: list[str] | None = None
) -> Cluster:
    """The cluster ``kmodel simulate`` reaches at ``at`` seconds (default: the scenario's
    ``until``): the state at the end of the last tick that starts no later than ``at``."""
    scen = scenario_path if isinstance(scenario_path, Scenario) else load(scenario_path, extra_events)
    if at is not None and at < 0:
        raise KmodelError(f"time {at}s is before the start", file=scen.path, where="--at", fix="give a time like 5m")
    final = simulate(scen, until=at).final
    assert final is not None
    return final


# --- explaining one pod ---------------------------------------------------------------------------


def explain_pod(cluster: Cluster, pod_name: str) -> Explanation:
    """Explain why the Pending pod ``pod_name`` (``NAME`` or ``pod/NAME``) is or is not placed.

    Raises KmodelError when there is no such pod or it is not Pending (bound, or being deleted).
    """
    name = pod_name.removeprefix("pod/")
    pod = _pending_pod(cluster, name)
    refuse_scheduling_features(cluster, "kmodel explain")
    usage = node_usage(cluster)
    nodes = {n.name: _node_fit(cluster, pod, n, usage) for n in cluster.nodes}
    order, binds, turn = _replay_queue(cluster, name)
    want = pod_request(pod)

    lines = [f"requests: cpu {_cpu(want.cpu)}, memory {_mem(want.memory)}, 1 pod"]
    if not cluster.scheduler_active:
        lines.append(
            "note: the scheduler is not running at this time (" + _why_inactive(cluster) + "), so it binds "
            "nothing until it is back; what follows is what it would do then"
        )
    if len(order) > 1:
        lines.append(f"pending pods in the scheduler's queue order (oldest first): {', '.join(order)}")

    pending_pods = [p for p in map(cluster.pod, order) if p is not None]
    all_status, best = _solve(cluster, usage, pending_pods, set(), {}, "place")
    max_placeable = len(best) if best is not None else None
    all_fit = (max_placeable == len(order)) if max_placeable is not None else None

    ahead = [p for p in order[: order.index(name)] if p in binds]
    assignment: dict[str, str] | None = None
    must_move = False
    moves: dict[str, tuple[str, str]] | None = None
    node_after_moves: str | None = None
    if name in binds:
        verdict = FITS_NOW
        assignment = dict(binds)
        text = f"fits now: the scheduler would bind it to {binds[name]}"
        if ahead:
            text += f" after binding the pod(s) ahead of it in the queue: {_arrows({p: binds[p] for p in ahead})}"
        lines.append(text)
    elif any(f.passes for f in nodes.values()):
        verdict = ROOM_EXISTS
        passing = [n for n, f in nodes.items() if f.passes]
        at_turn = {n.name: filter_reasons(turn, pod, n) for n in turn.nodes}
        lines.append(
            f"room exists, but not in the scheduler's order: it passes every filter now on {', '.join(passing)}, "
            f"but the scheduler first binds {_arrows({p: binds[p] for p in ahead})} and then reports for it: "
            f"{failure_message(len(turn.nodes), at_turn)}"
        )
        status, placed = _solve(cluster, usage, pending_pods, {name}, {}, "place")
        if placed is None:  # the solver gave up: this pod alone on a node it passes is still an answer
            placed = {name: passing[0]}
            lines.append(f"(the solver gave up ({status}); the assignment below only places this pod)")
        assignment = placed
        lines.append(f"an assignment that places it: {_arrows(placed)}")
    else:
        verdict = NO_ROOM
        if all(f.never for f in nodes.values()):
            lines.append("no room: no node can take it, whatever the other pods do (reasons below)")
        else:
            lines.append(
                "no room: no node has room for it while the bound pods stay where they are "
                "(placing other pending pods could only take more room)"
            )
            status, relocation, target = _room_if_moved(cluster, pod)
            if relocation and target is not None:
                must_move, moves, node_after_moves = True, relocation, target
                lines.append(
                    "room would exist only if bound pods moved (the scheduler never moves a bound pod): moving "
                    + ", ".join(f"{p} from {a} to {b}" for p, (a, b) in relocation.items())
                    + f" frees room for it on {target}"
                )
            elif status == z3.unsat:
                lines.append("moving bound pods would not help either: no re-placement of them leaves room for it")
            else:
                lines.append(f"could not decide whether moving bound pods would help (solver: {status})")

    if max_placeable is None:
        lines.append(f"could not decide how many pending pods fit together (solver: {all_status})")
    elif len(order) > 1:
        lines.append(
            f"all {len(order)} pending pods fit at once: {'yes' if all_fit else 'no'}; at most {max_placeable} "
            f"of {len(order)} can be placed together, the scheduler's order places {len(binds)}"
        )

    lines.append("nodes:")
    width = max((len(n) for n in nodes), default=0)
    for f in nodes.values():
        lines.append(f"  {f.name:<{width}}  {f.detail}")

    return Explanation(
        pod=name,
        verdict=verdict,
        now=cluster.now,
        lines=lines,
        assignment=assignment,
        nodes=nodes,
        pending=order,
        scheduler_binds=binds,
        all_pending_fit=all_fit,
        max_placeable=max_placeable,
        bound_pods_must_move=must_move,
        moves=moves,
        node_after_moves=node_after_moves,
    )


def explanation_text(e: Explanation) -> str:
    """The explanation as ``kmodel explain`` prints it."""
    head = f"pod/{e.pod} at t={format_duration(e.now)}: {e.verdict}"
    return "\n".join([head, *(f"  {line}" for line in e.lines)]) + "\n"


# --- pieces -----------------------------------------------------------------------------------------


def _pending_pod(cluster: Cluster, name: str) -> Pod:
    where = f"pod/{name}"
    when = f"t={format_duration(cluster.now)}"
    waiting = [p.name for p in scheduler.queue(attrs.evolve(cluster, sched_attempted=frozenset()))]
    choose = (
        f"explain a Pending pod at {when}: {', '.join(waiting)}"
        if waiting
        else f"no pod is Pending at {when}; explain an earlier time"
    )
    pod = cluster.pod(name)
    if pod is None:
        names = [p.name for p in cluster.pods]
        existing = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "") or "none"
        raise KmodelError(f"no pod named {name!r} at {when} (pods: {existing})", where=where, fix=choose)
    if pod.terminating:
        raise KmodelError(
            f"the pod is not Pending: it is being deleted (Terminating) at {when}", where=where, fix=choose
        )
    if pod.node_name is not None:
        raise KmodelError(
            f"the pod is not Pending: it is already bound to {pod.node_name} at {when}", where=where, fix=choose
        )
    return pod


def _replay_queue(cluster: Cluster, name: str) -> tuple[list[str], dict[str, str], Cluster]:
    """Run the scheduler's queue from this state: every pending pod in order, each bound to the
    first best node (as ``kmodel simulate`` takes the first successor). Returns the queue order,
    what gets bound where, and the cluster as it is when ``name``'s turn comes."""
    c = attrs.evolve(cluster, sched_attempted=frozenset())
    order = scheduler.queue(c)
    binds: dict[str, str] = {}
    turn = c
    for p in order:
        if p.name == name:
            turn = c
        best, _ = scheduler.schedule(c, p)
        if best:
            binds[p.name] = best[0]
            c = c.with_pod(attrs.evolve(p, node_name=best[0]))
    return [p.name for p in order], binds, turn


def _want(pod: Pod) -> Resources:
    """What NodeResourcesFit checks for a pod: its requests and one pod slot."""
    return pod_request(pod) + Resources(pods=1)


def _candidates(cluster: Cluster, pod: Pod) -> list[str]:
    """Nodes that would take the pod if they had no pods on them (every filter but the room left)."""
    return [n.name for n in cluster.nodes if not filter_reasons(cluster, pod, n, {})]


def _solve(
    cluster: Cluster,
    base: dict[str, Usage],
    pods: list[Pod],
    required: set[str],
    current: dict[str, str],
    objective: str,
) -> tuple[z3.CheckSatResult, dict[str, str] | None]:
    """Place ``pods`` on nodes on top of ``base`` (what the pods that stay put request).

    Every pod goes to at most one node among its candidates (and its ``current`` node, where
    it may stay without being checked again); the pods in ``required`` must be placed. The
    objective is ``"place"`` (as many pods as possible) or ``"stay"`` (as few of the ``current``
    pods moved as possible). Returns the solver's answer and, when sat, pod -> node for the
    placed pods."""
    opt = z3.Optimize()
    opt.set(timeout=SOLVER_TIMEOUT_MS)
    choice: dict[tuple[str, str], z3.BoolRef] = {}
    placed: dict[str, z3.BoolRef] = {}
    for i, p in enumerate(pods):
        options = _candidates(cluster, p)
        if p.name in current and current[p.name] not in options:
            options.append(current[p.name])
        vs = [z3.Bool(f"pod{i}@{n}") for n in options]
        choice.update({(p.name, n): v for n, v in zip(options, vs, strict=True)})
        placed[p.name] = z3.Or(*vs) if vs else z3.BoolVal(False)
        if len(vs) > 1:
            opt.add(z3.AtMost(*vs, 1))
        if p.name in required:
            opt.add(placed[p.name])
    for node in cluster.nodes:
        here = [(p, choice[p.name, node.name]) for p in pods if (p.name, node.name) in choice]
        if not here:
            continue
        used = base.get(node.name, Usage()).requested
        for dim in DIMENSIONS:
            total = getattr(used, dim) + z3.Sum([z3.If(v, getattr(_want(p), dim), 0) for p, v in here])
            for p, v in here:
                if getattr(_want(p), dim) > 0 and current.get(p.name) != node.name:
                    opt.add(z3.Implies(v, total <= getattr(node.capacity, dim)))
    if objective == "place":
        opt.maximize(z3.Sum([z3.If(b, 1, 0) for b in placed.values()]))
    elif current:
        opt.minimize(z3.Sum([z3.If(choice[p, n], 0, 1) for p, n in current.items()]))
    status = opt.check()
    if status != z3.sat:
        return status, None
    model = opt.model()
    return status, {p: n for (p, n), v in choice.items() if z3.is_true(model.eval(v, model_completion=True))}


def _room_if_moved(
    cluster: Cluster, pod: Pod
) -> tuple[z3.CheckSatResult, dict[str, tuple[str, str]] | None, str | None]:
    """Treat the active bound pods as movable: can they be re-placed (each still passing the
    filters where it lands) so that ``pod`` fits? Returns the fewest moves and ``pod``'s node."""
    movable = [p for p in cluster.pods if p.node_name is not None and p.active]
    kept = attrs.evolve(cluster, pods=tuple(p for p in cluster.pods if not (p.node_name is not None and p.active)))
    current = {p.name: p.node_name for p in movable if p.node_name is not None}
    required = {p.name for p in movable} | {pod.name}
    status, placed = _solve(cluster, node_usage(kept), [*movable, pod], required, current, "stay")
    if placed is None:
        return status, None, None
    moves = {p: (current[p], n) for p, n in placed.items() if p in current and current[p] != n}
    return status, moves, placed[pod.name]


def _node_fit(cluster: Cluster, pod: Pod, node: Node, usage: dict[str, Usage]) -> NodeFit:
    now = filter_reasons(cluster, pod, node, usage)
    empty = filter_reasons(cluster, pod, node, {})
    used = usage.get(node.name, Usage()).requested
    want = pod_request(pod)
    cap = node.capacity
    if not now:
        detail = (
            f"fits: cpu {_cpu(want.cpu)} of {_cpu(cap.cpu - used.cpu)} free, memory {_mem(want.memory)} of "
            f"{_mem(cap.memory - used.memory)} free, {used.pods} of {cap.pods} pods"
        )
        if node.ready != COND_TRUE:
            detail += f" (the node is not Ready, Ready={node.ready}, but not tainted yet: the scheduler still uses it)"
        return NodeFit(node.name, True, False, (), detail)
    if empty and not set(empty) <= RESOURCE_REASONS:
        return NodeFit(node.name, False, True, tuple(now), "cannot take it: " + _filter_detail(pod, node, empty))
    if empty:
        parts = []
        if "Too many pods" in empty:
            parts.append(f"the node takes at most {cap.pods} pods")
        if "Insufficient cpu" in empty:
            parts.append(f"asks for cpu {_cpu(want.cpu)}, more than the node's allocatable {_cpu(cap.cpu)}")
        if "Insufficient memory" in empty:
            parts.append(f"asks for memory {_mem(want.memory)}, more than the node's allocatable {_mem(cap.memory)}")
        return NodeFit(node.name, False, True, tuple(now), "cannot take it: " + "; ".join(parts))
    bound = [p.name for p in cluster.pods_on(node.name)]
    parts = []
    if "Too many pods" in now:
        parts.append(f"too many pods: {used.pods} of {cap.pods} already on it")
    if "Insufficient cpu" in now:
        parts.append(
            f"insufficient cpu: asks {_cpu(want.cpu)}, {_cpu(max(cap.cpu - used.cpu, 0))} free of "
            f"{_cpu(cap.cpu)} allocatable"
        )
    if "Insufficient memory" in now:
        parts.append(
            f"insufficient memory: asks {_mem(want.memory)}, {_mem(max(cap.memory - used.memory, 0))} free of "
            f"{_mem(cap.memory)} allocatable"
        )
    shown = ", ".join(bound[:4]) + (f", ... ({len(bound)} in all)" if len(bound) > 4 else "")
    detail = "no room now: " + "; ".join(parts) + f" (bound here: {shown})"
    return NodeFit(node.name, False, False, tuple(now), detail)


def _filter_detail(pod: Pod, node: Node, reasons: list[str]) -> str:
    """Words for a failure of NodeUnschedulable, TaintToleration or NodeAffinity (the scheduler
    stops at the first failing filter, so ``reasons`` names one of them)."""
    reason = reasons[0]
    if reason == "node(s) were unschedulable":
        return (
            f"cordoned (spec.unschedulable) and the pod does not tolerate {TAINT_UNSCHEDULABLE}:{NO_SCHEDULE} "
            "(kubectl uncordon lifts it)"
        )
    if reason.startswith("node(s) had"):
        taint = scheduler.untolerated_taint(pod, node, (NO_SCHEDULE, NO_EXECUTE))
        if taint is not None:
            text = f"taint {taint.show()} not tolerated"
            if taint.key in (TAINT_NOT_READY, TAINT_UNREACHABLE):
                text += (
                    f" (the node is not Ready, Ready={node.ready}; the node controller removes this taint "
                    "once it is Ready again)"
                )
            return text
    if "selector" in reason:
        have = dict(node.labels)
        wrong = [
            f"{k}={v} (the node has " + (f"{k}={have[k]})" if k in have else "no such label)")
            for k, v in pod.node_selector
            if have.get(k) != v
        ]
        return "nodeSelector does not match: " + "; ".join(wrong)
    return "; ".join(reasons)


def _why_inactive(cluster: Cluster) -> str:
    if not cluster.control_plane_host_up:
        return "the control-plane machine is off"
    if not cluster.apiserver_available:
        return "the apiserver is not answering"
    return "kube-scheduler is stopped"


def _arrows(placement: dict[str, str]) -> str:
    return ", ".join(f"{p} -> {n}" for p, n in placement.items())


def _cpu(millis: int) -> str:
    return f"{millis}m"


def _mem(size: int) -> str:
    for unit, scale in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if size and size % scale == 0:
            return f"{size // scale}{unit}"
    return str(size)
