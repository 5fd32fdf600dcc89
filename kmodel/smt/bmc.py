"""Bounded model checking with Z3 (engine name ``smt``) of the node-health slice
(:mod:`kmodel.smt.nodehealth`) or the workload slice (:mod:`kmodel.smt.workload`, the whole
model on the scenarios it covers; :func:`python_model` chooses, as ``kmodel check`` does).

:func:`check` unrolls the slice's transition relation one frame
at a time in a single incremental solver: frame 0 is the settled initial state, frame k+1 is
related to frame k by one of the named actions, and after adding frame k it asks whether the
property can fail there (an invariant on frame k, a transition invariant on the step k-1 -> k).
The first depth with a violation gives a shortest counterexample (no shorter run of the slice
violates it).

A counterexample is never reported from the Z3 model alone: it is **replayed on the Python
model**. At each frame the Python transition whose action name matches the one Z3 chose and
whose projection equals frame k+1 is taken; if there is none, :class:`EncodingBug` is raised
("encoding bug: frame k does not replay"). The property is then re-checked in Python on the
replayed trace, and a disagreement is an :class:`EncodingBug` too. So every trace this engine
returns is a real run of the Python model.

"holds" means "no violation up to depth k" and nothing more: ``stats.depth`` is k and the
message says "holds up to depth k (bounded)". A timeout gives "inconclusive" with the depth
reached.

The properties it knows are in :data:`PROPERTIES`: the built-ins ``eviction-after-timeout``
(encoded clause by clause from its Python definition in :mod:`kmodel.properties`),
``no-schedule-to-unready-node``, ``bound-pods-stay-put``, ``no-over-replication``,
``service-has-endpoint`` and ``replica-convergence`` (these five need the workload slice; the
last, a bounded liveness property, is checked by :mod:`kmodel.smt.liveness` on the product with
the explorer's "calm" flag), and ``no-pod-terminating`` (no pod ever gets a deletionTimestamp) and
``no-eviction-from-ready-node`` (the taint eviction controller never deletes a pod from a node
shown Ready). Each has its Python definition next to its encoding, so the explorer can check the
same property on the same model. On the workload slice a run that needs more pods than its
slots stops the check as inconclusive at that depth.

Cost: every interleaving of the components within a tick is a distinct path to the solver,
so the time per depth grows steeply. Measured with ``benchmarks/smt_bench.py`` (60 s budget) on
a shared 2-core machine (load 4 to 6, so runs vary with it): props-two-workers with one worker
powered off reaches depth 13 to 15 on ``eviction-after-timeout`` (finds the shortest Terminating
pod, depth 19, in 14 to 60 s); seed-node-failure with its timeline reaches depth 20
(``eviction-after-timeout``) and 24 to 30 (``no-pod-terminating``); without the timeline and one
worker powered off at any time, depth 14 to 15.
``eviction-after-timeout`` got dearer with the Lease model: its "not marked Unknown too early"
clause needs the solver to refute an early Unknown along every path (same machine, same load,
40 s: depth 16, against 19 for the encoding before the Lease). The explorer covers those state
spaces in well under a second: this engine is the base for what explicit states cannot do
(symbolic timing parameters, induction), not a faster explorer. The workload slice reaches
depth 10 to 19 in a minute there (``python benchmarks/smt_bench.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import z3
from attrs import frozen

from kmodel.checkmodel import CONTROL_PLANE_PROCESSES
from kmodel.components import deployment as deployment_controller
from kmodel.engines.base import (
    ALWAYS,
    ALWAYS_TRANSITION,
    EVENTUALLY,
    HOLDS,
    INCONCLUSIVE,
    VIOLATED,
    Result,
    Stats,
    Step,
    Trace,
)
from kmodel.engines.explore import Calm
from kmodel.properties import BUILTINS, PropertyDef, to_property
from kmodel.scenario import Scenario, load
from kmodel.smt import liveness
from kmodel.smt.nodehealth import (
    AND,
    AS_WRITTEN,
    IF,
    NE_KEYS,
    NE_VAR,
    NOT,
    OR,
    R_TRUE,
    R_UNKNOWN,
    SUM,
    TAINT_NOT_READY,
    Num,
    Params,
    PodInfo,
    Slice,
    SliceError,
    SliceModel,
    SymState,
    TolInfo,
    View,
    action_name,
    calm_action_name,
    model_values,
    nk,
    no_execute_delay,
    pk,
    refuse_disruption,
)
from kmodel.smt.workload import DEFAULT_POD_SLOTS, WORKLOAD_VERBS, WorkloadModel, WorkloadSlice, dk, ek, rk
from kmodel.state import COND_TRUE, Cluster, Deployment, selector_matches

ENGINE = "smt"

Progress = Callable[[Stats, int], None]  # as the explorer's: (stats so far, queue length = 0)


class EncodingBug(RuntimeError):
    """The Z3 encoding and the Python model disagree on a counterexample."""


# --- properties over the slice -------------------------------------------------------------------


@frozen
class SliceProperty:
    """A property with both definitions: ``python`` for the engines that run the model, and
    ``holds(slice, before, after)`` over views of two frames (``before`` is None for an
    invariant, which reads ``after`` only)."""

    name: str
    kind: str  # ALWAYS, ALWAYS_TRANSITION, or EVENTUALLY (checked by kmodel.smt.liveness)
    python: PropertyDef
    holds: Callable[[Slice, View | None, View], Any]
    workload: bool = False  # needs the workload slice (scheduler, ReplicaSet controller)


def _terminating(cluster: Cluster) -> list[str]:
    return [p.name for p in cluster.pods if p.terminating]


# Built as PropertyDef directly rather than with the decorators, so that importing this module
# from a property file does not add these to the file's properties.
no_pod_terminating = PropertyDef(
    "no-pod-terminating",
    ALWAYS,
    "No pod ever gets a deletionTimestamp (shows Terminating). In the node-health slice only the taint "
    "eviction controller deletes pods, so a violation is the shortest way to an eviction.",
    lambda cluster: not _terminating(cluster),
    explain=lambda c: f"Terminating at t={c.now}s: {', '.join(_terminating(c))}",
)


def _evicted_from_ready(before: Cluster, after: Cluster) -> list[str]:
    out = []
    for p in after.pods:
        old = before.pod(p.name)
        if old is None or old.terminating or not (p.terminating and p.disruption_target) or p.node_name is None:
            continue
        node = before.node(p.node_name)
        if node is not None and node.ready == COND_TRUE:
            out.append(f"{p.name} evicted from {node.name}, which was Ready, at t={after.now}s")
    return out


no_eviction_from_ready_node = PropertyDef(
    "no-eviction-from-ready-node",
    ALWAYS_TRANSITION,
    "The taint eviction controller never deletes a pod (deletionTimestamp and DisruptionTarget set in one "
    "step) from a node whose Ready condition is True just before the step. It does not hold: the "
    "NoExecute taint outlives the condition by up to a node lifecycle pass, so a pod whose toleration "
    "runs out just after its node came back is still evicted (tests/test_smt_bmc.py).",
    lambda before, after: not _evicted_from_ready(before, after),
    explain=lambda a, b: " | ".join(_evicted_from_ready(a, b)) or "no eviction from a Ready node",
)


def _holds_no_terminating(sl: Slice, _before: View | None, after: View) -> Any:
    return NOT(OR(*[AND(after[pk(p.name, "present")], after[pk(p.name, "deleting.set")]) for p in sl.pods]))


def _evicted_now(before: View, after: View, p: str) -> Any:
    """The step deletes the pod with DisruptionTarget (the taint eviction controller's delete)."""
    return AND(
        after[pk(p, "present")],
        after[pk(p, "deleting.set")],
        after[pk(p, "disruption_target")],
        before[pk(p, "present")],
        NOT(before[pk(p, "deleting.set")]),
    )


def _holds_no_eviction_from_ready(sl: Slice, before: View | None, after: View) -> Any:
    assert before is not None
    bad = [
        AND(_evicted_now(before, after, p.name), sl.on(before, p, n.name), before[nk(n.name, "ready")] == R_TRUE)
        for p in sl.pods
        for n in sl.nodes
    ]
    return NOT(OR(*bad))


def _tolerated_for(tol: TolInfo) -> Any:
    """``properties._toleration``: seconds the pod tolerates the taint alone (0: not at all;
    None: forever)."""
    if not tol.tolerated:
        return 0
    return tol.seconds


def _by_condition_taint(v: View, node: str, per_key: dict[str, Any]) -> Any:
    """The value for the node's condition NoExecute taint: not-ready if it has that one, else
    unreachable (also when it has none, as ``properties.eviction_deadlines`` assumes)."""
    return IF(v[nk(node, NE_VAR[TAINT_NOT_READY])], per_key[NE_KEYS[0]], per_key[NE_KEYS[1]])


def _placements(sl: Slice, v: View) -> list[tuple[PodInfo, str]]:
    """(pod, node) pairs where the pod may be bound in ``v`` (only its own node when pods
    cannot move); formulas over a pair are guarded by ``sl.on(v, pod, node)``."""
    return [(p, n.name) for p in sl.pods for n in sl.nodes if sl.on(v, p, n.name) is not False]


def _delay(sl: Slice, v: View, p: PodInfo, n: str) -> tuple[Any, Any, Num]:
    """``properties._eviction_delay`` of pod ``p`` (its real tolerations) for node ``n``'s
    NoExecute taints in ``v``: (untolerated, timed -- else forever --, the seconds)."""
    has = {k: v[nk(n, NE_VAR[k])] for k in NE_KEYS}
    return no_execute_delay(has, sl.real_tol[p.name])


def _holds_eviction_after_timeout(sl: Slice, before: View | None, after: View) -> Any:
    """``properties.eviction_after_timeout``: (a1) no node marked Unknown too early, (a2) no
    eviction too early and every new schedule for now + the toleration, (b) none overdue."""
    assert before is not None
    P = sl.params
    now = after["now"]
    bad = []
    # (a1) _early_unknown: the last sign of life is the heartbeat or the Lease renewal (every
    # node in the slice has posted status and has a Lease)
    for node in sl.nodes:
        n = node.name
        hb, lease = before[nk(n, "heartbeat")], before[nk(n, "lease")]
        # now <= max(heartbeat, renewTime) + grace, without the max
        alive = OR(now <= hb + P.monitor_grace, now <= lease + P.monitor_grace)
        bad.append(AND(before[nk(n, "ready")] != R_UNKNOWN, after[nk(n, "ready")] == R_UNKNOWN, alive))
    # (a2) _early_evictions: DisruptionTarget newly set on a pod that tolerates its node's
    # NoExecute taints (as they were before the step) ...
    for p, n in _placements(sl, after):
        untolerated, timed, seconds = _delay(sl, before, p, n)
        due_set, due = before[pk(p.name, "eviction.set")], before[pk(p.name, "eviction")]
        early = OR(
            NOT(timed),  # tolerated forever (or no NoExecute taint at all)
            AND(due_set, due > now),
            AND(NOT(due_set), seconds != 0),
        )
        bad.append(
            AND(
                sl.on(after, p, n),
                after[pk(p.name, "present")],
                after[pk(p.name, "disruption_target")],
                before[pk(p.name, "present")],
                NOT(before[pk(p.name, "disruption_target")]),
                NOT(untolerated),
                early,
            )
        )
    # ... and a deletion scheduled in the step for another time than now + the toleration
    for p, n in _placements(sl, before):
        untolerated, timed, seconds = _delay(sl, before, p, n)
        wrong = OR(untolerated, NOT(timed), after[pk(p.name, "eviction")] != now + seconds)
        bad.append(
            AND(
                NOT(before[pk(p.name, "eviction.set")]),
                after[pk(p.name, "eviction.set")],
                before[pk(p.name, "present")],
                sl.on(before, p, n),
                wrong,
            )
        )
    # (b) _overdue(after)
    slack = 2 * P.monitor_period + P.step
    cm = sl.cm_active(after)
    all_full = sl.recorded_all_full(after)
    for p, n in _placements(sl, after):
        silent = after[nk(n, "health.probe")] + P.monitor_grace
        has_nr, has_ur = (after[nk(n, NE_VAR[k])] for k in NE_KEYS)
        added = IF(has_nr, after[nk(n, NE_VAR[NE_KEYS[0]] + ".added")], after[nk(n, NE_VAR[NE_KEYS[1]] + ".added")])
        start = IF(AND(OR(has_nr, has_ur), added > silent), added, silent)
        overdue = {}
        for k in NE_KEYS:
            tol = _tolerated_for(sl.real_tol[p.name][k])
            overdue[k] = False if tol is None else now > start + tol + slack
        scheduled = after[pk(p.name, "eviction.set")]
        late = IF(scheduled, now > after[pk(p.name, "eviction")] + slack, _by_condition_taint(after, n, overdue))
        bad.append(
            AND(
                cm,
                sl.on(after, p, n),
                NOT(all_full),
                NOT(after[nk(n, "queued")]),
                after[nk(n, "ready")] != R_TRUE,
                after[nk(n, "health.set")],
                after[pk(p.name, "present")],
                NOT(after[pk(p.name, "deleting.set")]),
                late,
            )
        )
    return NOT(OR(*bad))


def _holds_no_schedule_to_unready(sl: Slice, before: View | None, after: View) -> Any:
    """``properties.no_schedule_to_unready_node``: a pod that goes from no node to one goes to
    a node that was Ready and had no taint it does not tolerate."""
    assert before is not None and isinstance(sl, WorkloadSlice)
    bad = []
    for p in sl.pods:
        was_unbound = AND(before[pk(p.name, "present")], before[pk(p.name, "node")] == -1)
        for node in sl.nodes:
            wrong = OR(before[nk(node.name, "ready")] != R_TRUE, *sl.untolerated(before, p.pod.tolerations, node))
            bad.append(AND(was_unbound, after[pk(p.name, "present")], sl.on(after, p, node.name), wrong))
    return NOT(OR(*bad))


def _holds_bound_pods_stay_put(sl: Slice, before: View | None, after: View) -> Any:
    """``properties.bound_pods_stay_put``: a bound pod that is still there keeps its node."""
    assert before is not None
    moved = [
        AND(
            before[pk(p.name, "present")],
            before[pk(p.name, "node")] != -1,
            after[pk(p.name, "present")],
            after[pk(p.name, "node")] != before[pk(p.name, "node")],
        )
        for p in sl.pods
    ]
    return NOT(OR(*moved))


def _holds_no_over_replication(sl: Slice, before: View | None, after: View) -> Any:
    """``properties.no_over_replication``: a step that creates active pods for a ReplicaSet
    leaves it at most spec.replicas of them, and a step that raises one of a Deployment's
    ReplicaSets leaves the sum of their replicas within replicas + maxSurge (maxSurge of the
    Deployment's spec after the step: the new one once a rollout's apply has changed it)."""
    assert before is not None and isinstance(sl, WorkloadSlice)
    bad = []
    mine: dict[str, list[Any]] = {}
    for rs in sl.replicasets:
        active = {p: AND(after[pk(p, "present")], NOT(after[pk(p, "deleting.set")])) for p in rs.owned}
        created = OR(*[AND(NOT(before[pk(p, "present")]), active[p]) for p in rs.owned])
        count = SUM([IF(a, 1, 0) for a in active.values()])
        wanted = after[rk(rs.name, "replicas")]
        bad.append(AND(created, count > wanted))
        owner = sl.deployment_of(rs)
        if owner is not None:
            mine.setdefault(owner, []).append(rs)
    for owner, rss in mine.items():
        # a ReplicaSet that does not exist (yet) has replicas 0 in the slice
        raised = OR(*[after[rk(rs.name, "replicas")] > before[rk(rs.name, "replicas")] for rs in rss])
        total = SUM([after[rk(rs.name, "replicas")] for rs in rss])
        replicas = sl.deployment_replicas(after, owner)
        allowed = replicas + _max_surge(_deployment_spec(sl, owner).max_surge, replicas)
        ro = sl.rollouts.get(owner)
        if ro is not None:
            allowed = IF(after[dk(owner, "updated")], replicas + _max_surge(ro.after.max_surge, replicas), allowed)
        bad.append(AND(raised, total > allowed))
    return NOT(OR(*bad))


def _fault_active(sl: Slice, v: View) -> Any:
    """``properties._fault_active``: a machine off, a kubelet or runtime stopped, a node cut off,
    or a control-plane process (or every machine running it) down."""
    cp = AND(*[v[f"cp.{x}"] for x in CONTROL_PLANE_PROCESSES], sl.host_up(v))
    broken = [
        OR(
            NOT(v[nk(n.name, "powered")]),
            NOT(v[nk(n.name, "kubelet")]),
            NOT(v[nk(n.name, "runtime")]),
            v[nk(n.name, "partitioned")],
        )
        for n in sl.nodes
    ]
    return OR(NOT(cp), *broken)


def _holds_rollout_floor(sl: Slice, _before: View | None, after: View) -> Any:
    """``properties.rollout_respects_max_unavailable``: with no fault active, a Deployment
    mid-rollout (its new ReplicaSet exists, and the old one has replicas or active pods, or the
    new one has fewer than spec.replicas available pods) has at least replicas - maxUnavailable
    available pods (Ready: minReadySeconds is 0 in the slice). Only a rollout has an old
    ReplicaSet in the slice."""
    assert isinstance(sl, WorkloadSlice)
    bad = []
    for name, ro in sl.rollouts.items():
        old, new = sl.rs_by_name[ro.old], sl.rs_by_name[ro.new.name]
        active = {p: AND(after[pk(p, "present")], NOT(after[pk(p, "deleting.set")])) for p in (*old.owned, *new.owned)}

        def available(rs: Any, active: dict[str, Any] = active) -> Any:
            return SUM([IF(AND(active[p], after[pk(p, "ready")]), 1, 0) for p in rs.owned])

        replicas = ro.after.replicas  # constant: the slice refuses replicas changes of a rollout
        floor = replicas - deployment_controller.max_unavailable(ro.after)
        unfinished = OR(after[rk(old.name, "replicas")] > 0, *[active[p] for p in old.owned], available(new) < replicas)
        mid = AND(after[dk(name, "updated")], after[rk(new.name, "exists")])
        bad.append(AND(mid, unfinished, available(old) + available(new) < floor))
    return OR(_fault_active(sl, after), NOT(OR(*bad)))


def _deployment_spec(sl: WorkloadSlice, name: str) -> Deployment:
    """A Deployment of the slice, initial or applied mid-run (its spec but spec.replicas is
    constant in the slice)."""
    d = sl.init_state.cluster.deployment(name)
    if d is None:
        d = next(x for x in sl.late_deployments if x.name == name)
    return d


def _max_surge(value: str, replicas: Any) -> Any:
    """``deployment.resolve(max_surge, replicas, round_up=True)`` for a term ``replicas``."""
    if value.endswith("%"):
        pct = int(value[:-1])
        return (pct * replicas + 99) / 100 if not isinstance(replicas, int) else -(-pct * replicas // 100)
    return int(value)


def _holds_service_has_endpoint(sl: Slice, _before: View | None, after: View) -> Any:
    """``properties.service_has_endpoint``: a Service that selects the pods of a Deployment
    with spec.replicas >= 1 has a ready endpoint."""
    assert isinstance(sl, WorkloadSlice)
    c = sl.init_state.cluster
    ok = []
    deployments = [*c.deployments, *sl.late_deployments]
    for svc in c.services:
        backing = [d for d in deployments if selector_matches(svc.selector, d.template.labels)]
        wanted = OR(
            *[AND(after.get(dk(d.name, "exists"), True), sl.deployment_replicas(after, d.name) >= 1) for d in backing]
        )
        ok.append(OR(NOT(wanted), *[after[ek(svc.name, p)] for p in sl.selected[svc.name]]))
    return AND(*ok)


# Built-ins the Z3 slices have no encoding of, and why: a check that defaults to every built-in
# names them in each verdict instead of leaving them out in silence.
NOT_ENCODED: dict[str, str] = {
    "pods-admitted": "the slices do not encode the kubelet's admission (they refuse templates with spec.nodeName)",
    "anti-affinity-respected": "the slices do not encode pod affinity (they refuse pods that use it)",
    "no-preemption-of-higher-priority": "the slices do not encode priorities or preemption (they refuse them)",
    "spread-within-max-skew": "the slices do not encode topology spread constraints (they refuse them)",
    "at-most-one-pod-per-ordinal": "the slices do not encode StatefulSets (they refuse them)",
    "statefulset-replicas-ready": "the slices do not encode StatefulSets (they refuse them)",
    "job-completes-or-fails": "the slices do not encode Jobs (they refuse them)",
    "job-retries-bounded": "the slices do not encode Jobs (they refuse them)",
    "daemonset-on-every-eligible-node": "the slices do not encode the DaemonSet controller (they refuse DaemonSets)",
    "rollout-completes": "the Z3 engine's bounded liveness encodes replica-convergence only",
    "no-eviction-cycle": "the slices do not encode the descheduler (they refuse scenarios with a DeschedulerPolicy)",
    "hpa-within-bounds": "the slices do not encode the HorizontalPodAutoscaler (they refuse it)",
    "no-oscillation": "the slices do not encode the HorizontalPodAutoscaler (they refuse it)",
    "pdb-respected": "the slices do not encode PodDisruptionBudgets or the eviction API (they refuse them)",
    "drain-completes": "the slices do not encode kubectl drain (they refuse it)",
    "no-mass-eviction": "no slice encodes it (kmodel.partitions: check it with --engine explore or hypothesis)",
    "endpoints-only-ready": "no slice encodes it (a property of the mutation suite: check it with --engine explore)",
    "scale-down-deletes-unready-first": "the workload slice leaves the deletion ranking out (use --engine explore)",
    "manageable-after-any-single-failure": "the slices have one control plane (they refuse a controlPlane section)",
    "one-leader-acting": "the slices have one control plane (they refuse a controlPlane section)",
}

PROPERTIES: dict[str, SliceProperty] = {
    "eviction-after-timeout": SliceProperty(
        "eviction-after-timeout", ALWAYS_TRANSITION, BUILTINS["eviction-after-timeout"], _holds_eviction_after_timeout
    ),
    "no-pod-terminating": SliceProperty("no-pod-terminating", ALWAYS, no_pod_terminating, _holds_no_terminating),
    "no-eviction-from-ready-node": SliceProperty(
        "no-eviction-from-ready-node", ALWAYS_TRANSITION, no_eviction_from_ready_node, _holds_no_eviction_from_ready
    ),
    "no-schedule-to-unready-node": SliceProperty(
        "no-schedule-to-unready-node",
        ALWAYS_TRANSITION,
        BUILTINS["no-schedule-to-unready-node"],
        _holds_no_schedule_to_unready,
        workload=True,
    ),
    "bound-pods-stay-put": SliceProperty(
        "bound-pods-stay-put",
        ALWAYS_TRANSITION,
        BUILTINS["bound-pods-stay-put"],
        _holds_bound_pods_stay_put,
        workload=True,
    ),
    "service-has-endpoint": SliceProperty(
        "service-has-endpoint", ALWAYS, BUILTINS["service-has-endpoint"], _holds_service_has_endpoint, workload=True
    ),
    "no-over-replication": SliceProperty(
        "no-over-replication",
        ALWAYS_TRANSITION,
        BUILTINS["no-over-replication"],
        _holds_no_over_replication,
        workload=True,
    ),
    "rollout-respects-max-unavailable": SliceProperty(
        "rollout-respects-max-unavailable",
        ALWAYS,
        BUILTINS["rollout-respects-max-unavailable"],
        _holds_rollout_floor,
        workload=True,
    ),
    "replica-convergence": SliceProperty(
        "replica-convergence",
        EVENTUALLY,
        BUILTINS["replica-convergence"],
        lambda sl, _before, after: liveness.convergence(sl, after),  # type: ignore[arg-type]
        workload=True,
    ),
}


# --- the engine ------------------------------------------------------------------------------------


def slice_of(
    target: str | Path | Scenario | SliceModel | Slice,
    *,
    faults: tuple[tuple[str, int], ...] | None = None,
    toleration_override: int | str | None = AS_WRITTEN,
    params: Params | None = None,
    workload: bool = False,
    pod_slots: int = DEFAULT_POD_SLOTS,
    calm: bool = False,
) -> Slice:
    """The encoding of a scenario file, a Scenario, a SliceModel, or a Slice as it is (rebuilt
    with the same options when ``calm`` asks for the product with the calm flag, which
    ``eventually`` properties need). ``workload`` chooses the workload slice (scheduler and
    ReplicaSet controller included) for a scenario, with ``pod_slots`` new pods per ReplicaSet."""
    if isinstance(target, Slice):
        return with_calm(target) if calm and not target.calm else target
    if isinstance(target, str | Path):
        target = load(target)
    if isinstance(target, Scenario):
        target = (WorkloadModel if workload or needs_workload(target) else SliceModel)(target, faults=faults)
    if isinstance(target, WorkloadModel):
        return WorkloadSlice(
            target, pod_slots=pod_slots, params=params, toleration_override=toleration_override, calm=calm
        )
    return Slice(target, params=params, toleration_override=toleration_override, calm=calm)


def with_calm(sl: Slice) -> Slice:
    """``sl`` rebuilt with the calm flag and the ``adversary`` action, every other option kept."""
    options: dict[str, Any] = {
        "params": sl.params,
        "toleration_override": sl.toleration_override,
        "exact_changed": sl.exact_changed,
        "kubelet_keeps_deleted": sl.kubelet_keeps_deleted,
        "ignoring_leases": sl.ignoring_leases,
        "calm": True,
    }
    if isinstance(sl, WorkloadSlice):
        options |= sl.options()
    return type(sl)(sl.model, **options)


def python_model(
    scenario: Scenario,
    names: list[str] | tuple[str, ...],
    *,
    faults: tuple[tuple[str, int], ...] | None = None,
    replace: dict[str, Any] | None = None,
    slice: str = "auto",
) -> SliceModel:
    """The Python model the Z3 engine's answers are about. ``slice``: ``"auto"`` takes the
    workload slice's whenever it accepts the scenario (on those scenarios it is the whole model:
    the components it leaves out never act there, which tests/test_smt_workload.py checks),
    else the node-health slice's, which then carries the reason in ``slice_note``;
    ``"workload"`` or ``"node-health"`` force one (the node-health slice is faster but runs
    with the scheduler and the workload controllers off). Properties that need the workload
    slice get it or a one-line refusal."""
    if slice not in SLICES:
        raise SliceError(f"unknown slice {slice!r}", where="--smt-slice", fix=f"use one of {', '.join(SLICES)}")
    refuse_disruption(scenario.initial_state(), scenario.timeline, "--engine smt", faults or scenario.faults)
    needed = [n for n in names if n in PROPERTIES and PROPERTIES[n].workload]
    workload = bool(needed) or needs_workload(scenario)
    if slice == "node-health":
        if workload:
            why = f"{', '.join(needed)} needs" if needed else "the timeline's scale / delete / kill / apply events need"
            raise SliceError(f"{why} the workload slice", where="--smt-slice", fix="use --smt-slice workload (or auto)")
        return SliceModel(scenario, faults=faults, replace=replace)
    if slice == "auto" and not workload:
        try:
            WorkloadSlice(WorkloadModel(scenario, faults=faults))
        except SliceError as e:
            model = SliceModel(scenario, faults=faults, replace=replace)
            try:
                Slice(model)
            except SliceError:
                raise e from None  # neither covers it: the larger slice's reason is the useful one
            model.slice_note = e.message
            return model
    return WorkloadModel(scenario, faults=faults, replace=replace)


SLICES = ("auto", "workload", "node-health")


def needs_workload(scenario: Scenario) -> bool:
    """The scenario's timeline scales Deployments or deletes / kills pods, which only the
    workload slice encodes (so every property is checked there)."""
    return any(ev.verb in WORKLOAD_VERBS for ev in scenario.timeline)


class Unrolling:
    """One incremental solver holding frames 0..k of the slice's transition relation
    (:meth:`Slice.compact`), with a selector per (step, action) saying which action the step
    k -> k+1 takes.

    ``fixed``: the variables folded into constants in every frame (default:
    :meth:`Slice.invariants`). ``init``: frame 0 is the slice's settled initial state
    (:meth:`Slice.init`); with False frame 0 is left to the caller, who adds its own constraint
    on ``frames[0]`` (synthesis ties it to the parameters, one settled state per grid point).
    The sanity bounds of symbolic parameters (:meth:`Params.constraints`) are asserted either
    way."""

    def __init__(self, sl: Slice, fixed: dict[str, int | bool] | None = None, *, init: bool = True) -> None:
        self.slice = sl
        self.solver = z3.Solver()
        self.fixed = sl.invariants() if fixed is None else fixed
        self.frames: list[SymState] = [sl.frame(0, self.fixed)]
        self.selectors: list[dict[str, z3.BoolRef]] = []
        if init:
            self.solver.add(sl.init(self.frames[0]))
        self.solver.add(*sl.params.constraints())

    def extend(self) -> None:
        """Add frame k+1, related to frame k by one of the slice's actions."""
        k = len(self.frames)
        sl = self.slice
        s, s2 = self.frames[-1], sl.frame(k, self.fixed)
        self.frames.append(s2)
        chosen = {name: z3.Bool(f"step{k - 1}[{name}]") for name in sl.action_names}
        self.solver.add(*sl.compact(s, s2, chosen))
        self.selectors.append(chosen)

    def violation(self, prop: SliceProperty, k: int) -> Any:
        """The formula "``prop`` fails at frame ``k``" (an invariant on frame k, a transition
        invariant on the step k-1 -> k); False when it cannot (a transition invariant at 0)."""
        after = self.frames[k].vars
        if prop.kind == ALWAYS:
            return NOT(prop.holds(self.slice, None, after))
        if k > 0:
            return NOT(prop.holds(self.slice, self.frames[k - 1].vars, after))
        return False


def replay(sl: Slice, unrolling: Unrolling, m: z3.ModelRef, depth: int, where: str = "") -> Trace:
    """The run of ``depth`` actions of Z3's model ``m`` as a trace of the Python model of
    ``sl`` (a concrete slice; ``unrolling`` may be over another one with the same schema, e.g.
    with symbolic parameters): frame 0 must be ``sl``'s initial state, and each step the
    Python transition whose action name is the one Z3 chose and whose projection is the next
    frame. Raises :class:`EncodingBug` when there is none; ``where`` (e.g. the settings) goes
    into its message."""
    given = model_values(m)
    for_where, with_where = (f" for {where}", f" with {where}") if where else ("", "")
    state = sl.init_state
    calm = False  # a calm slice replays on the explorer's product (state, calm)
    if sl.project(state) != unrolling.frames[0].values(given):
        raise EncodingBug(f"encoding bug: frame 0 is not the initial state{for_where}")
    steps = [Step("init", "initial state", state)]
    for k in range(depth):
        target = unrolling.frames[k + 1].values(given)
        names = [name for name, sel in unrolling.selectors[k].items() if z3.is_true(m.eval(sel, model_completion=True))]
        match = None
        for tr, inner, after, name in _successors(sl, state, calm):
            if name in names and sl.project(inner, after) == target:
                match = (tr, inner, after)
                break
        if match is None:
            raise EncodingBug(
                f"encoding bug: frame {k} does not replay{with_where}: Z3 chose {', '.join(names) or 'no action'} at "
                f"t={state.cluster.now}s and no Python transition of that name reaches frame {k + 1}"
            )
        tr, state, calm = match
        steps.append(Step(tr.actor, tr.label, state))
    return Trace(tuple(steps))


def _successors(sl: Slice, state: Any, calm: bool) -> Any:
    """(transition, next checker state, next calm flag, action name) for every Python
    successor; on a calm slice, those of the explorer's product."""
    if not sl.calm:
        for tr in sl.model.transitions(state):
            yield tr, tr.state, False, action_name(state, tr)
        return
    for tr in Calm(sl.model).transitions((state, calm)):
        yield tr, tr.state[0], tr.state[1], calm_action_name(state, tr)


def check(
    target: str | Path | Scenario | SliceModel | Slice,
    prop_name: str | SliceProperty,
    *,
    max_depth: int,
    timeout: float | None = None,
    progress: Progress | None = None,
    faults: tuple[tuple[str, int], ...] | None = None,
    toleration_override: int | str | None = AS_WRITTEN,
    pod_slots: int = DEFAULT_POD_SLOTS,
) -> Result:
    """Bounded model checking of ``prop_name`` (a key of :data:`PROPERTIES`, or a ready
    :class:`SliceProperty` such as :func:`kmodel.smt.exprsmt.invariant_slice_property`) on the node-health
    slice of ``target`` (the workload slice for the properties that need the scheduler or the
    ReplicaSet controller), for runs of at most ``max_depth`` actions from the settled state.

    ``faults`` (the budget), ``toleration_override`` and ``pod_slots`` apply when ``target`` is a
    scenario file or Scenario; pass a model or a :class:`Slice` to choose everything yourself.
    On the workload slice a run that needs more than ``pod_slots`` new pods per ReplicaSet (or a
    scale-down, outside the slice) stops the check as inconclusive at that depth."""
    prop = _slice_property(prop_name)
    live = prop.kind == EVENTUALLY
    sl = slice_of(
        target,
        faults=faults,
        toleration_override=toleration_override,
        workload=prop.workload,
        pod_slots=pod_slots,
        calm=live,
    )
    _require_workload(prop, sl, "pass a scenario, a WorkloadModel or a WorkloadSlice")
    _require_concrete(sl)
    if live:
        return liveness.check(sl, prop.name, max_depth=max_depth, timeout=timeout, progress=progress)
    by_name = None if progress is None else (lambda _name, stats, queue: progress(stats, queue))
    return _unroll(sl, [prop], max_depth=max_depth, timeout=timeout, progress=by_name)[0]


def _slice_property(p: str | SliceProperty) -> SliceProperty:
    """``p`` itself, or the encoding of the built-in it names; refused when there is none."""
    prop = p if isinstance(p, SliceProperty) else PROPERTIES.get(p)
    if prop is None:
        raise SliceError(
            f"no slice encoding of property {p!r}", where="kmodel.smt.bmc", fix=f"use one of: {', '.join(PROPERTIES)}"
        )
    return prop


def _require_workload(prop: SliceProperty, sl: Slice, fix: str) -> None:
    """Refuse ``prop`` on ``sl`` when it needs the workload slice and ``sl`` is not one."""
    if prop.workload and not isinstance(sl, WorkloadSlice):
        raise SliceError(
            f"{prop.name} needs the workload slice (scheduler and ReplicaSet controller)",
            where="kmodel.smt.bmc",
            fix=fix,
        )


def _require_concrete(sl: Slice) -> None:
    """Refuse a slice with symbolic parameters: BMC's counterexamples are replayed on the
    Python model, which needs concrete settings."""
    symbolic = [f for f, v in attrs.asdict(sl.params, recurse=False).items() if isinstance(v, z3.ExprRef)]
    if symbolic:
        raise SliceError(
            f"symbolic parameters {', '.join(symbolic)}: counterexamples are replayed on the Python model, "
            "which runs on the scenario's concrete settings",
            where="kmodel.smt.bmc",
            fix="give the Slice concrete params (Params.from_settings) for bounded model checking",
        )


def check_many(
    sl: Slice,
    props: Sequence[str | SliceProperty],
    *,
    max_depth: int,
    timeout: float | None = None,
    progress: Callable[[str, Stats, int], None] | None = None,
) -> list[Result]:
    """:func:`check` of several properties on the slice ``sl``, in order: the state and
    transition invariants share one unrolling (the transition relation is encoded once, and each
    depth asks one query per property still undecided), and each ``eventually`` property gets
    its own check (its slice has the calm flag). Each answer is the one :func:`check` gives on
    its own: the same verdict and the same depth (the shortest violation within the slice); a
    counterexample may take another path of that length, since Z3's model depends on the
    solver's history. ``timeout`` bounds the shared unrolling as a whole and each eventually
    check apart; ``progress(name, stats, 0)`` after each depth of the shared unrolling (``name``: the
    property's, or "N properties" while N are undecided) and as each eventually check reports."""
    chosen = [_slice_property(p) for p in props]
    _require_concrete(sl)
    shared = [p for p in chosen if p.kind != EVENTUALLY]
    for p in shared:
        _require_workload(p, sl, "pass a WorkloadSlice")
    answers = _unroll(sl, shared, max_depth=max_depth, timeout=timeout, progress=progress)
    found = dict(zip(map(id, shared), answers, strict=True))
    out = []
    for p in chosen:
        if id(p) in found:
            out.append(found[id(p)])
            continue
        one = None if progress is None else (lambda stats, queue, name=p.name: progress(name, stats, queue))
        out.append(check(sl, p, max_depth=max_depth, timeout=timeout, progress=one))
    return out


def _unroll(
    sl: Slice,
    props: list[SliceProperty],
    *,
    max_depth: int,
    timeout: float | None,
    progress: Callable[[str, Stats, int], None] | None,
) -> list[Result]:
    """Bounded model checking of the state and transition invariants ``props`` on one unrolling
    of ``sl``: at each depth k, for each property not yet decided, "it fails at frame k" (every
    shallower depth having been refuted); then, on the workload slice, whether a run of k actions
    leaves the slice (its pod slots), which stops every property still undecided. The callers
    have checked that the properties fit ``sl`` and that its parameters are concrete."""
    if not props:
        return []
    start = time.monotonic()
    stats = Stats()
    unrolling = Unrolling(sl)
    solver = unrolling.solver
    python_props = {id(p): to_property(p.python, sl.settings) for p in props}
    answers: dict[int, Result] = {}
    active = list(props)

    def snapshot(depth: int | None = None, transitions: int | None = None) -> Stats:
        stats.seconds = time.monotonic() - start
        d = stats.depth if depth is None else depth
        t = stats.transitions if transitions is None else transitions
        return Stats(stats.states, t, d, 0, stats.seconds, [], stats.limit)

    def stop_all(make: Callable[[SliceProperty], Result]) -> list[Result]:
        for p in active:
            answers[id(p)] = make(p)
        return [answers[id(p)] for p in props]

    done = -1  # deepest depth known to be free of violations (of every property still undecided)
    for k in range(max_depth + 1):
        if k > 0:
            unrolling.extend()
        after = unrolling.frames[k].vars
        if timeout is not None:
            # every query of this depth shares what is left of the budget
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return stop_all(lambda p, done=done: _inconclusive(p.name, snapshot(), done, timeout, stats))
            solver.set("timeout", max(1, int(left * 1000)))
        for prop in list(active):
            bad = unrolling.violation(prop, k)
            if bad is False:
                continue
            solver.push()
            solver.add(bad)
            if "unencoded" in sl.schema:
                solver.add(NOT(after["unencoded"]))  # (sticky: no earlier frame either)
            r = solver.check()
            if r == z3.sat:
                m = solver.model()
                solver.pop()
                trace = replay(sl, unrolling, m, k)
                confirm(python_props[id(prop)], prop, trace)
                answers[id(prop)] = Result(
                    VIOLATED,
                    ENGINE,
                    prop.name,
                    snapshot(depth=k, transitions=k),
                    trace,
                    f"violated at depth {k} (shortest within the slice); trace replayed on the Python model",
                )
                active.remove(prop)
                continue
            solver.pop()
            if r == z3.unknown:
                limit = f"timeout {timeout:g}s" if timeout is not None else solver.reason_unknown()
                snap = snapshot()
                snap.limit = limit
                answers[id(prop)] = _inconclusive(prop.name, snap, done, timeout, stats)
                active.remove(prop)
        if not active:
            break
        if "unencoded" in sl.schema and after["unencoded"] is not False:
            solver.push()
            solver.add(after["unencoded"])
            r = solver.check()
            solver.pop()
            if r == z3.unknown:
                stats.limit = f"timeout {timeout:g}s" if timeout is not None else solver.reason_unknown()
                return stop_all(lambda p, done=done: _inconclusive(p.name, snapshot(), done, timeout, stats))
            if r == z3.sat:
                slots = getattr(sl, "pod_slots", DEFAULT_POD_SLOTS)
                return stop_all(lambda p, d=done, k=k, n=slots: out_of_slots(p.name, snapshot(), d, k, n))
        done = k
        stats.depth = k
        if progress is not None:
            progress(active[0].name if len(active) == 1 else f"{len(active)} properties", snapshot(), 0)
    for p in active:
        answers[id(p)] = Result(HOLDS, ENGINE, p.name, snapshot(), None, f"holds up to depth {done} (bounded)")
    return [answers[id(p)] for p in props]


def out_of_slots(name: str, snap: Stats, done: int, k: int, slots: int) -> Result:
    """The inconclusive answer when a run of ``k`` actions reaches the workload slice's
    ``unencoded`` (``snap``: the statistics so far)."""
    snap.limit = f"a run of {k} actions leaves the workload slice (pod slots)"
    snap.depth = max(done, 0)
    return Result(
        INCONCLUSIVE,
        ENGINE,
        name,
        snap,
        None,
        f"no violation up to depth {done} (bounded); at depth {k} a ReplicaSet may need more than {slots} new "
        "pods (or scale down, which the slice leaves out): rerun with more pod slots",
    )


def _inconclusive(name: str, snap: Stats, done: int, timeout: float | None, stats: Stats) -> Result:
    snap.depth = max(done, 0)
    snap.limit = snap.limit or (f"timeout {timeout:g}s" if timeout is not None else "")
    return Result(
        INCONCLUSIVE, ENGINE, name, snap, None, f"no violation up to depth {done} (bounded); stopped: {snap.limit}"
    )


def confirm(python_prop: Any, prop: SliceProperty, trace: Trace, where: str = "") -> None:
    """The replayed trace must violate the property in Python too (``python_prop``: ``prop``'s
    Python definition, :func:`~kmodel.properties.to_property` with the trace's settings), or
    :class:`EncodingBug` is raised; ``where`` (e.g. the settings) goes into its message."""
    last = trace.steps[-1].state
    if prop.kind == ALWAYS:
        ok = python_prop.predicate(last)
    else:
        ok = python_prop.transition(trace.steps[-2].state, last)
    if ok:
        with_where = f" with {where}" if where else ""
        raise EncodingBug(
            f"encoding bug: the property {prop.name} fails in Z3 at depth {len(trace)}{with_where} but holds on the "
            "replayed Python trace"
        )
