"""Why is this pod Pending? Scheduling feasibility decided with Z3 (``kmodel explain``).

The scheduler binds pending pods one at a time, highest priority and then oldest first, each to
a best node for the cluster as it is at that moment, and it never moves a pod once bound. So a
pod can stay Pending while the nodes, taken together, have room for it: the room went to pods
bound before it. For one Pending pod of a cluster state this module tells these cases apart:

``fits-now``
    The scheduler would bind it. Its queue is replayed from this state (every pending pod in
    order, ties broken by node name as ``kmodel simulate`` does) and some node passes every
    filter when the pod's turn comes.
``room-exists``
    The scheduler would not, because of the order it binds pods in; yet the pending pods can be
    placed so that it fits too: some placement, bound in some order, passes every filter at
    every binding. The explanation gives such a placement, in a binding order that works.
``room-if-preempting``
    No placement places it, but the scheduler's preemption (DefaultPreemption, when its turn
    comes) finds lower-priority pods to evict on some node: the victims and the node are named.
``no-room``
    No placement of the pending pods places it while the bound pods stay where they are. Each
    node says why it cannot take the pod, in words with the numbers; the explanation says which
    rule, left out alone, would leave room (its pod anti-affinity, one of its spread
    constraints, the bound pods' requests, ...), and when the pod would fit if some bound pods
    were moved (which the scheduler never does) it gives the fewest moves that make room
    (``bound_pods_must_move``, ``moves``).

The search (:mod:`kmodel.smt.placement`) encodes every filter of the default profile:
NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector, required terms, matchFields),
NodePorts, NodeResourcesFit (pod count, cpu, memory, ephemeral-storage, extended resources such
as ``nvidia.com/gpu``), PodTopologySpread's DoNotSchedule constraints and InterPodAffinity's
required terms. Filters that only read the node and the bound pods are decided by the plugins
themselves; requests are sums; host ports and anti-affinity are pairwise; pod affinity and
spread depend on which pods are bound before a pod, so placed pods get a binding order. The
order is free (any order, not only the queue's): a pod that fails is retried after the others,
and the question is whether room exists at all. With only the filters that read the node and
the room left on it, a pod fits in some placement exactly when it passes every filter now;
affinity and spread can need other pending pods bound first.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import z3
from attrs import define, frozen

from kmodel import namespaces
from kmodel.components import scheduler
from kmodel.components.plugins import (
    defaultpreemption,
    interpodaffinity,
    nodeaffinity,
    nodeports,
    noderesources,
    nodeunschedulable,
    tainttoleration,
)
from kmodel.components.plugins.framework import CycleState, Status
from kmodel.components.scheduler import Usage, failure_message, filter_reasons, node_usage, pod_request
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario, load
from kmodel.settings import format_duration
from kmodel.smt import placement
from kmodel.smt.placement import (
    AFFINITY,
    ANTI_AFFINITY,
    PORTS,
    RESOURCES,
    SPREAD,
    Encoding,
    affinity_terms,
    spread_part,
    spread_rules,
)
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
    label,
)

FITS_NOW = "fits-now"
ROOM_EXISTS = "room-exists"
NO_ROOM = "no-room"
ROOM_IF_PREEMPTING = "room-if-preempting"
VERDICTS = (FITS_NOW, ROOM_EXISTS, NO_ROOM, ROOM_IF_PREEMPTING)

# The reasons NodeResourcesFit gives for cpu, memory and pods (kept for callers; every
# ``Insufficient <resource>`` is one of its reasons)
RESOURCE_REASONS = frozenset({"Too many pods", "Insufficient cpu", "Insufficient memory"})
SOLVER_TIMEOUT_MS = placement.SOLVER_TIMEOUT_MS


@frozen
class NodeFit:
    """One node seen from the explained pod."""

    name: str
    passes: bool  # every filter passes now (bound pods as they are, no other pending pod placed)
    # fails whatever the other pods do: a filter that reads only the node (cordon, taints, node
    # affinity, a topology key it lacks), or a request above the node's allocatable
    never: bool
    reasons: tuple[str, ...]  # the scheduler's own reasons now (empty when it passes)
    detail: str  # the same in words, with numbers


@define
class Explanation:
    pod: str
    verdict: str  # one of VERDICTS
    now: int  # model time of the explained state
    lines: list[str]  # human-readable, one finding per line
    # fits-now: where the scheduler's queue order binds the pending pods (this one included);
    # room-exists: a placement of pending pods that places this one, in a binding order that
    # works; otherwise None
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
    # no room without preemption: the rules that, left out alone, would leave room (their names
    # in words -> a node the pod would then take)
    relaxations: dict[str, str] = attrs.field(factory=dict)
    # room-if-preempting: node -> the pods the scheduler would evict there
    preemption: dict[str, list[str]] | None = None


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
    usage = node_usage(cluster)
    nodes = {n.name: _node_fit(cluster, pod, n, usage) for n in cluster.nodes}
    order, binds, turn = _replay_queue(cluster, name)

    lines = ["requests: " + _requests_text(pod)]
    lines += _features_lines(cluster, pod)
    if not cluster.scheduler_active:
        lines.append(
            "note: the scheduler is not running at this time (" + _why_inactive(cluster) + "), so it binds "
            "nothing until it is back; what follows is what it would do then"
        )
    pending_pods = [p for p in map(cluster.pod, order) if p is not None]
    if len(order) > 1:
        by = "oldest first" if len({p.priority for p in pending_pods}) <= 1 else "highest priority, then oldest first"
        lines.append(f"pending pods in the scheduler's queue order ({by}): {', '.join(order)}")

    enc = Encoding(cluster, pending_pods)
    most = enc.solve()
    max_placeable = len(most.placement) if most.placement is not None else None
    all_fit = (max_placeable == len(order)) if max_placeable is not None else None

    ahead = [p for p in order[: order.index(name)] if p in binds]
    assignment: dict[str, str] | None = None
    must_move = False
    moves: dict[str, tuple[str, str]] | None = None
    node_after_moves: str | None = None
    relaxations: dict[str, str] = {}
    preemption: dict[str, list[str]] | None = None
    passing = [n for n, f in nodes.items() if f.passes]
    if name in binds:
        verdict = FITS_NOW
        assignment = dict(binds)
        text = f"fits now: the scheduler would bind it to {binds[name]}"
        if ahead:
            text += f" after binding the pod(s) ahead of it in the queue: {_arrows({p: binds[p] for p in ahead})}"
        lines.append(text)
        mine = None
    else:
        mine = enc.solve(required={name})
    if mine is not None and (passing or mine.placement is not None):
        verdict = ROOM_EXISTS
        at_turn = {n.name: filter_reasons(turn, pod, n) for n in turn.nodes}
        report = failure_message(len(turn.nodes), at_turn)
        if passing:
            lines.append(
                f"room exists, but not in the scheduler's order: it passes every filter now on {', '.join(passing)}, "
                f"but the scheduler first binds {_arrows({p: binds[p] for p in ahead})} and then reports for it: "
                f"{report}"
            )
        else:
            lines.append(
                "room exists, but not in the scheduler's order: no node passes every filter now, but binding other "
                f"pending pods first makes room; the scheduler's order reports for it: {report}"
            )
        placed = mine.placement
        if placed is None:  # the solver gave up: this pod alone on a node it passes is still an answer
            placed = {name: passing[0]}
            lines.append(f"(the solver gave up ({mine.status}); the assignment below only places this pod)")
        assignment = placed
        ordered = " (bound in this order)" if enc.rank and len(placed) > 1 else ""
        lines.append(f"an assignment that places it{ordered}: {_arrows(placed)}")
    elif mine is not None:
        verdict = NO_ROOM
        if mine.status != z3.unsat:
            lines.append(f"could not decide whether some placement has room for it (solver: {mine.status})")
        if all(f.never for f in nodes.values()):
            lines.append("no room: no node can take it, whatever the other pods do (reasons below)")
            lines += _allocatable_summary(cluster, pod)
        else:
            lines.append(
                "no room: no node has room for it while the bound pods stay where they are, whatever the other "
                "pending pods do and in whatever order they are bound"
            )
            relaxations = _relaxations(cluster, pending_pods, pod, nodes)
            for what, where in relaxations.items():
                lines.append(f"why: without {what} it would fit (on {where})")
            lines += _anti_affinity_summary(cluster, pod, pending_pods)
            lines += _spread_summary(cluster, pod, relaxations)
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
        preemption, why_not = _preemption(turn, pod)
        if preemption:
            verdict = ROOM_IF_PREEMPTING
            for node, victims in preemption.items():
                lines.append(
                    f"room if preempting: when its turn comes the scheduler evicts {', '.join(victims)} on {node} "
                    f"(lower priority than its {pod.priority}) and nominates {node} for it"
                )
        elif why_not:
            lines.append(f"preemption does not help: {why_not}")

    if max_placeable is None:
        lines.append(f"could not decide how many pending pods fit together (solver: {most.status})")
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
        relaxations=relaxations,
        preemption=preemption,
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
        local = namespaces.local_name(name)
        elsewhere = sorted(
            namespaces.namespace_of(p.name) for p in cluster.pods if namespaces.local_name(p.name) == local
        )
        if elsewhere:
            # kubectl says NotFound too: the pod is in another namespace than the one asked about
            choose = f"name its namespace: pod/{local} -n {elsewhere[0]}"
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


def _room_if_moved(
    cluster: Cluster, pod: Pod
) -> tuple[z3.CheckSatResult, dict[str, tuple[str, str]] | None, str | None]:
    """Treat the active bound pods as movable: can they be re-placed (each still passing the
    filters where it lands) so that ``pod`` fits? Returns the fewest moves and ``pod``'s node."""
    movable = [p for p in cluster.pods if p.node_name is not None and p.active]
    current = {p.name: p.node_name for p in movable if p.node_name is not None}
    required = {p.name for p in movable} | {pod.name}
    result = Encoding(cluster, [*movable, pod], current).solve(required, "stay")
    if result.placement is None:
        return result.status, None, None
    moves = {p: (current[p], n) for p, n in result.placement.items() if p in current and current[p] != n}
    return result.status, moves, result.placement[pod.name]


def _relaxations(cluster: Cluster, pending: list[Pod], pod: Pod, nodes: dict[str, NodeFit]) -> dict[str, str]:
    """The rules that, left out alone, would leave room for ``pod`` (words -> a node it would
    then take). Only rules that can be at fault are tried: the ones that depend on other pods."""
    tries: list[tuple[str, frozenset[str]]] = []
    plugins = {r for f in nodes.values() if not f.never for r in f.reasons}
    if any(noderesources.is_fit_reason(r) for r in plugins):
        tries.append(("the bound pods' requests (NodeResourcesFit)", frozenset({RESOURCES})))
    if any(p.scheduling.host_ports for p in cluster.pods if p.node_name is not None) and pod.scheduling.host_ports:
        tries.append(("the host port conflicts", frozenset({PORTS})))
    if affinity_terms(cluster, pod, anti=True) or any(
        interpodaffinity.REASON_EXISTING_ANTI_AFFINITY == r for r in plugins
    ):
        tries.append(("pod anti-affinity (its own and the other pods')", frozenset({ANTI_AFFINITY})))
    if affinity_terms(cluster, pod, anti=False):
        tries.append(("its pod affinity", frozenset({AFFINITY})))
    rules = spread_rules(cluster, pod)
    for rule in rules:
        what = f"its spread constraint on {rule.topology_key} (maxSkew {rule.max_skew})"
        tries.append((what, frozenset({spread_part(pod.name, rule.index)})))
    if len(rules) > 1:
        tries.append(("its topology spread constraints", frozenset({SPREAD})))
    out: dict[str, str] = {}
    for what, drop in tries:
        if drop == {SPREAD} and any(w.startswith("its spread constraint on") for w in out):
            continue  # one constraint alone is enough to name
        result = Encoding(cluster, pending, drop=drop).solve(required={pod.name})
        if result.placement is not None:
            out[what] = result.placement[pod.name]
    return out


def _preemption(cluster: Cluster, pod: Pod) -> tuple[dict[str, list[str]] | None, str]:
    """What DefaultPreemption does for ``pod`` when no node fits it in ``cluster``: the nodes
    it may pick and their victims, or why preemption does not help ("" when nothing is worth
    saying: every pod has the same priority)."""
    best, statuses = scheduler.attempt(cluster, pod)
    if best:
        return None, ""
    result = defaultpreemption.post_filter(cluster, pod, statuses, scheduler.fits)
    if result.candidates:
        return {c.node: [v.name for v in c.victims] for c in result.candidates}, ""
    if not any(p.priority != pod.priority for p in cluster.pods):
        return None, ""
    return None, result.message


def _requests_text(pod: Pod) -> str:
    want = pod_request(pod)
    parts = [f"cpu {_cpu(want.cpu)}", f"memory {_mem(want.memory)}"]
    if want.ephemeral_storage:
        parts.append(f"ephemeral-storage {_mem(want.ephemeral_storage)}")
    parts += [f"{name} {amount}" for name, amount in want.scalar]
    return ", ".join(parts) + ", 1 pod"


def _features_lines(cluster: Cluster, pod: Pod) -> list[str]:
    """One line per placement rule the pod carries beyond requests and tolerations."""
    out = []
    spec = pod.scheduling
    if spec.priority:
        out.append(
            f"priority: {spec.priority}" + (f" ({spec.priority_class_name})" if spec.priority_class_name else "")
        )
    if pod.node_selector:
        out.append("nodeSelector: " + ", ".join(f"{k}={v}" for k, v in pod.node_selector))
    if spec.node_affinity is not None and spec.node_affinity.required is not None:
        out.append("required node affinity: " + " or ".join(_term_text(t) for t in spec.node_affinity.required))
    if spec.host_ports:
        out.append("host ports: " + ", ".join(_port_text(hp) for hp in spec.host_ports))
    for anti in (False, True):
        for t in affinity_terms(cluster, pod, anti):
            out.append(f"required pod {'anti-' if anti else ''}affinity: {_pod_term_text(t)}")
    for rule in spread_rules(cluster, pod):
        out.append(
            f"topology spread (DoNotSchedule): {rule.topology_key}, maxSkew {rule.max_skew}"
            + (f", minDomains {rule.min_domains}" if rule.min_domains > 1 else "")
        )
    return out


def _term_text(term: object) -> str:
    exprs = [str(r) for r in getattr(term, "match_expressions", ())]
    exprs += [f"{r.key} {r.operator} ({','.join(r.values)})" for r in getattr(term, "match_fields", ())]
    return "(" + (", ".join(exprs) or "an empty term, which matches no node") + ")"


def _port_text(hp: object) -> str:
    ip, protocol, number = nodeports.binding(hp)  # type: ignore[arg-type]
    return f"{number}/{protocol}" + (f" on {ip}" if ip != nodeports.ANY_IP else "")


def _pod_term_text(t: interpodaffinity.Term) -> str:
    sel = str(t.selector) if t.selector is not None else "no pod"
    return f"pods matching {sel or 'everything'} per {t.topology_key}"


def _anti_affinity_summary(cluster: Cluster, pod: Pod, pending: list[Pod]) -> list[str]:
    """For each required anti-affinity term that selects the pod itself (replicas kept apart):
    the domains it can use against the pods that want one each."""
    out = []
    usable = [n for n in cluster.nodes if _node_local(cluster, pod, n) is None]
    bound = [(p, cluster.node(p.node_name)) for p in cluster.pods if p.node_name is not None and p.active]
    for t in affinity_terms(cluster, pod, anti=True):
        if not t.matches(pod):
            continue
        key = t.topology_key
        domains = sorted({v for n in usable if (v := label(n.labels, key)) is not None})
        taken: list[str] = []
        for p, n in bound:
            if n is not None and t.matches(p) and label(n.labels, key) in domains:
                taken.append(f"{p.name} on {n.name}")
        waiting = [p.name for p in pending if t.matches(p)]
        wanting = len(taken) + len(waiting)
        if wanting <= len(domains):
            continue
        out.append(
            f"why: its required anti-affinity allows one pod matching {t.selector} per {key} value; the nodes it "
            f"may use have {len(domains)} ({', '.join(domains) or 'none'}) for {wanting} such pods "
            f"({len(taken)} bound" + (f": {', '.join(taken)}" if taken else "") + f"; {len(waiting)} pending)"
        )
    return out


def _allocatable_summary(cluster: Cluster, pod: Pod) -> list[str]:
    """For each resource the pod asks for more of than every node it may use has allocatable:
    the most one of them offers."""
    usable = [
        n for n in cluster.nodes if (st := _node_local(cluster, pod, n)) is None or st.plugin == noderesources.FIT
    ]
    if not usable:
        return []
    want = pod_request(pod)
    asked = [("cpu", want.cpu, lambda r: r.cpu, _cpu), ("memory", want.memory, lambda r: r.memory, _mem)]
    asked.append(("ephemeral-storage", want.ephemeral_storage, lambda r: r.ephemeral_storage, _mem))
    for name, amount in want.scalar:
        asked.append((name, amount, lambda r, name=name: r.get(name), str))
    out = []
    for name, amount, of, show in asked:
        if not amount:
            continue
        most = max(of(n.capacity) for n in usable)
        if most >= amount:
            continue
        holders = [n.name for n in usable if of(n.capacity) == most]
        out.append(
            f"why: it asks for {name} {show(amount)}; the most any node it may use has allocatable is {show(most)} "
            f"({', '.join(holders)})"
        )
    return out


def _spread_summary(cluster: Cluster, pod: Pod, relaxations: dict[str, str]) -> list[str]:
    rules = spread_rules(cluster, pod)
    if len(rules) < 2:
        return []
    alone = [w for w in relaxations if w.startswith("its spread constraint on")]
    if len(alone) < 2:
        return []
    names = " and ".join(f"{r.topology_key} (maxSkew {r.max_skew})" for r in rules)
    return [f"why: its spread constraints on {names} conflict: each alone leaves room for it, together they do not"]


def _node_local(cluster: Cluster, pod: Pod, node: Node) -> Status | None:
    """The filters that read the node alone (what no other pod can change), and requests above
    the node's allocatable."""
    status = placement.node_only_status(CycleState.of(cluster, pod), node)
    if status is not None:
        return status
    keys = [r.topology_key for r in spread_rules(cluster, pod)]
    keys += [t.topology_key for t in affinity_terms(cluster, pod, anti=False)]
    missing = [k for k in keys if label(node.labels, k) is None]
    if missing:
        return Status("labels", (f"missing {missing[0]}",))
    found = noderesources.insufficient(pod_request(pod), node.capacity, Resources())
    if any(unresolvable for _, unresolvable in found):
        return Status(noderesources.FIT, tuple(r for r, u in found if u))
    return None


def _node_fit(cluster: Cluster, pod: Pod, node: Node, usage: dict[str, Usage]) -> NodeFit:
    state = CycleState.of(cluster, pod)
    state.cache["usage"] = usage
    status = nodeaffinity.prefilter_status(state, node) or scheduler.run_filters(state, node)
    used = usage.get(node.name, Usage()).requested
    want = pod_request(pod)
    cap = node.capacity
    if status is None:
        detail = (
            f"fits: cpu {_cpu(want.cpu)} of {_cpu(cap.cpu - used.cpu)} free, memory {_mem(want.memory)} of "
            f"{_mem(cap.memory - used.memory)} free"
        )
        if want.ephemeral_storage:
            detail += (
                f", ephemeral-storage {_mem(want.ephemeral_storage)} of "
                f"{_mem(cap.ephemeral_storage - used.ephemeral_storage)} free"
            )
        for res, amount in want.scalar:
            detail += f", {res} {amount} of {cap.get(res) - used.get(res)} free"
        detail += f", {used.pods} of {cap.pods} pods"
        if node.ready != COND_TRUE:
            detail += f" (the node is not Ready, Ready={node.ready}, but not tainted yet: the scheduler still uses it)"
        return NodeFit(node.name, True, False, (), detail)
    local = _node_local(cluster, pod, node)
    reasons = tuple(status.reasons)
    if local is not None:
        if local.plugin == noderesources.FIT:
            return NodeFit(node.name, False, True, reasons, "cannot take it: " + _exceeds_text(pod, node))
        if local.plugin == "labels":
            text = f"the node has no label {local.reasons[0].removeprefix('missing ')}, which its " + (
                "spread constraints and pod affinity need"
            )
            return NodeFit(node.name, False, True, reasons, "cannot take it: " + text)
        return NodeFit(node.name, False, True, reasons, "cannot take it: " + _filter_detail(cluster, pod, node, local))
    detail = "no room now: " + _filter_detail(cluster, pod, node, status, usage)
    bound = [p.name for p in cluster.pods_on(node.name)]
    if bound and status.plugin in (noderesources.FIT, nodeports.NAME):
        shown = ", ".join(bound[:4]) + (f", ... ({len(bound)} in all)" if len(bound) > 4 else "")
        detail += f" (bound here: {shown})"
    return NodeFit(node.name, False, False, reasons, detail)


def _exceeds_text(pod: Pod, node: Node) -> str:
    parts = []
    want = pod_request(pod)
    cap = node.capacity
    for reason, unresolvable in noderesources.insufficient(want, cap, Resources()):
        if not unresolvable:
            continue
        res = reason.removeprefix(noderesources.INSUFFICIENT)
        if reason == noderesources.TOO_MANY_PODS:
            parts.append(f"the node takes at most {cap.pods} pods")
        elif res in ("cpu",):
            parts.append(f"asks for cpu {_cpu(want.cpu)}, more than the node's allocatable {_cpu(cap.cpu)}")
        elif res == "memory":
            parts.append(f"asks for memory {_mem(want.memory)}, more than the node's allocatable {_mem(cap.memory)}")
        elif res == "ephemeral-storage":
            parts.append(
                f"asks for ephemeral-storage {_mem(want.ephemeral_storage)}, more than the node's allocatable "
                f"{_mem(cap.ephemeral_storage)}"
            )
        else:
            have = cap.get(res)
            parts.append(
                f"asks for {res} {want.get(res)}, more than the node's allocatable {have}"
                + (" (the node has none)" if not have else "")
            )
    return "; ".join(parts)


def _filter_detail(
    cluster: Cluster, pod: Pod, node: Node, status: Status, usage: dict[str, Usage] | None = None
) -> str:
    """Words for the first filter that rejects the node (the scheduler stops there)."""
    reason = status.reasons[0] if status.reasons else ""
    if status.plugin == nodeunschedulable.NAME:
        return (
            f"cordoned (spec.unschedulable) and the pod does not tolerate {TAINT_UNSCHEDULABLE}:{NO_SCHEDULE} "
            "(kubectl uncordon lifts it)"
        )
    if status.plugin == tainttoleration.NAME:
        taint = scheduler.untolerated_taint(pod, node, (NO_SCHEDULE, NO_EXECUTE))
        if taint is not None:
            text = f"taint {taint.show()} not tolerated"
            if taint.key in (TAINT_NOT_READY, TAINT_UNREACHABLE):
                text += (
                    f" (the node is not Ready, Ready={node.ready}; the node controller removes this taint "
                    "once it is Ready again)"
                )
            return text
    if status.plugin == nodeaffinity.NAME:
        return _node_affinity_text(pod, node, reason)
    if status.plugin == nodeports.NAME:
        return _ports_text(cluster, pod, node)
    if status.plugin == noderesources.FIT:
        return _insufficient_text(pod, node, (usage or {}).get(node.name, Usage()).requested, status.reasons)
    if status.plugin == interpodaffinity.NAME:
        return _interpod_text(cluster, pod, node, reason)
    if status.plugin == SPREAD:
        return _spread_text(cluster, pod, node, reason)
    return "; ".join(status.reasons)


def _node_affinity_text(pod: Pod, node: Node, reason: str) -> str:
    if reason == nodeaffinity.REASON_CONFLICT:
        return "its required node affinity names no node at all (the terms' metadata.name lists do not meet)"
    if reason == nodeaffinity.REASON_ABSENT:
        return "its required node affinity names other nodes (matchFields metadata.name)"
    parts = []
    have = dict(node.labels)
    wrong = [
        f"{k}={v} (the node has " + (f"{k}={have[k]})" if k in have else "no such label)")
        for k, v in pod.node_selector
        if have.get(k) != v
    ]
    if wrong:
        parts.append("nodeSelector does not match: " + "; ".join(wrong))
    affinity = pod.scheduling.node_affinity
    if (
        affinity is not None
        and affinity.required is not None
        and not any(nodeaffinity.term_matches(t, node) for t in affinity.required)
    ):
        failing = []
        for i, t in enumerate(affinity.required, 1):
            bad = [
                f"{r} (the node has " + (f"{r.key}={have[r.key]})" if r.key in have else "no such label)")
                for r in t.match_expressions
                if not r.matches(node.labels)
            ]
            bad += [
                f"{r.key} {r.operator} ({','.join(r.values)}) (the node is {node.name})"
                for r in t.match_fields
                if not nodeaffinity.term_matches(type(t)(match_fields=(r,)), node)
            ]
            prefix = f"term {i}: " if len(affinity.required) > 1 else ""
            failing.append(prefix + (", ".join(bad) or "an empty term, which matches no node"))
        parts.append("required node affinity does not match: " + "; ".join(failing))
    return "; ".join(parts) or reason


def _ports_text(cluster: Cluster, pod: Pod, node: Node) -> str:
    holders = []
    for other in cluster.pods_on(node.name):
        if noderesources.in_cache(other) and placement.ports_conflict(pod, other):
            ports = ", ".join(_port_text(hp) for hp in other.scheduling.host_ports)
            holders.append(f"{other.name} ({ports})")
    mine = ", ".join(_port_text(hp) for hp in pod.scheduling.host_ports)
    return f"host port(s) {mine} taken by " + ", ".join(holders)


def _insufficient_text(pod: Pod, node: Node, used: Resources, reasons: tuple[str, ...]) -> str:
    want, cap = pod_request(pod), node.capacity
    parts = []
    for reason in reasons:
        res = reason.removeprefix(noderesources.INSUFFICIENT)
        if reason == noderesources.TOO_MANY_PODS:
            parts.append(f"too many pods: {used.pods} of {cap.pods} already on it")
        elif res == "cpu":
            parts.append(
                f"insufficient cpu: asks {_cpu(want.cpu)}, {_cpu(max(cap.cpu - used.cpu, 0))} free of "
                f"{_cpu(cap.cpu)} allocatable"
            )
        elif res == "memory":
            parts.append(
                f"insufficient memory: asks {_mem(want.memory)}, {_mem(max(cap.memory - used.memory, 0))} free of "
                f"{_mem(cap.memory)} allocatable"
            )
        elif res == "ephemeral-storage":
            free = max(cap.ephemeral_storage - used.ephemeral_storage, 0)
            parts.append(
                f"insufficient ephemeral-storage: asks {_mem(want.ephemeral_storage)}, {_mem(free)} free of "
                f"{_mem(cap.ephemeral_storage)} allocatable"
            )
        else:
            free = max(cap.get(res) - used.get(res), 0)
            parts.append(f"insufficient {res}: asks {want.get(res)}, {free} free of {cap.get(res)} allocatable")
    return "; ".join(parts)


def _interpod_text(cluster: Cluster, pod: Pod, node: Node, reason: str) -> str:
    labels = dict(node.labels)
    existing = interpodaffinity.existing_pods(cluster)
    if reason == interpodaffinity.REASON_ANTI_AFFINITY:
        for t in affinity_terms(cluster, pod, anti=True):
            value = labels.get(t.topology_key)
            there = [p.name for p, n in existing if value is not None and dict(n.labels).get(t.topology_key) == value]
            there = [q for q in there if t.matches(cluster.pod(q))]  # type: ignore[arg-type]
            if there:
                return (
                    f"pod anti-affinity: {', '.join(there)} (matching {t.selector}) already in {t.topology_key}={value}"
                )
    if reason == interpodaffinity.REASON_EXISTING_ANTI_AFFINITY:
        merge = interpodaffinity.label_keys_merged(cluster.settings.kubernetes_version)
        for other, n in existing:
            anti = other.scheduling.pod_anti_affinity
            for term in anti.required if anti is not None else ():
                t = interpodaffinity.term_of(term, other, merge)
                value = dict(n.labels).get(t.topology_key)
                if value is not None and labels.get(t.topology_key) == value and t.matches(pod):
                    return (
                        f"the anti-affinity of {other.name} (on {n.name}, against pods matching {t.selector}) "
                        f"keeps it out of {t.topology_key}={value}"
                    )
    if reason == interpodaffinity.REASON_AFFINITY:
        for t in affinity_terms(cluster, pod, anti=False):
            value = labels.get(t.topology_key)
            if value is None:
                return f"pod affinity: the node has no label {t.topology_key}"
        terms = affinity_terms(cluster, pod, anti=False)
        missing = [f"{t.topology_key}={labels.get(t.topology_key)}" for t in terms]
        return f"pod affinity: no pod matching {' and '.join(str(t.selector) for t in terms)} runs in " + ", ".join(
            missing
        )
    return reason


def _spread_text(cluster: Cluster, pod: Pod, node: Node, reason: str) -> str:
    if reason.endswith("(missing required label)"):
        return "the node lacks a topology key of its spread constraints"
    parts = []
    for rule in spread_rules(cluster, pod):
        counts: dict[str, int] = {}
        for n in cluster.nodes:
            if n.name in rule.eligible:
                counts.setdefault(label(n.labels, rule.topology_key) or "", 0)
        for p in cluster.pods:
            if p.node_name in rule.eligible and not p.terminating and rule.counts(p.labels):  # type: ignore[operator]
                host = cluster.node(p.node_name)
                assert host is not None
                counts[label(host.labels, rule.topology_key) or ""] += 1
        value = label(node.labels, rule.topology_key) or ""
        low = 0 if len(counts) < rule.min_domains else min(counts.values(), default=0)
        mine = counts.get(value, 0) + (1 if rule.selects_self else 0)
        if mine - low > rule.max_skew:
            lowest = [v for v, c in sorted(counts.items()) if c == low]
            parts.append(
                f"spread on {rule.topology_key} (maxSkew {rule.max_skew}): {value} would have {mine} matching pods, "
                f"against {low} in {', '.join(lowest) or 'the empty domains'} (skew {mine - low})"
            )
    return "; ".join(parts) or reason


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
