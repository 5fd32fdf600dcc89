"""The node-health slice of the model as Z3 formulas: the foundation of the bounded model checker.

The slice is the part of the control plane that decides when a node is lost and what happens to
its pods:

- the clock (``kmodel.model.tick``, leader election included: after an apiserver outage longer
  than ``leaderElectionRenewDeadline`` the controller-manager restarts with empty memory);
- the kubelet of every node (Lease renewal every ``nodeLeaseDurationSeconds / 4``, the Ready
  condition posted when it changes: True, or False while the container runtime is down;
  starting and restarting the containers of its bound pods, reporting them ready again,
  finishing deletions of Terminating pods, none of which it does with the runtime down);
- the node lifecycle controller in taint mode, all of it for a fixed set of nodes (nodes it finds
  NotReady in one pass enter the zone's queue in name order only: :data:`ORDER_NOTE`): registration
  of a node it has no record of (its NoExecute condition taints removed), probe timestamps
  refreshed by a new heartbeat or a renewed Lease (the record rebuilt for a new heartbeat
  forgetting the Lease it held, as in ``tryUpdateNodeHealth``), Ready -> Unknown after the
  grace period, marking pods not ready, zone states (Normal / PartialDisruption /
  FullDisruption, total disruption and leaving it; nodes labelled
  ``node.kubernetes.io/exclude-disruption`` left out, a static fact), the per-zone rate-limited
  NoExecute queue with its token buckets (zones without a state at the normal rate), the
  NoExecute swap, and the NoSchedule taints (including ``unschedulable``);
- the taint eviction controller (``processPodOnNode``: for each NoExecute taint the first
  toleration that matches it, the deletion scheduled for now + the smallest of their
  tolerationSeconds and kept when the taints change, cancelled when the taints go or are
  tolerated forever, immediate eviction of untolerated pods, Terminating pods included, pods
  already marked DisruptionTarget left alone, schedules of pods that are gone dropped);
- the faults of the checker's budget: power a worker off / on, stop / start a kubelet or a
  node's container runtime, partition / heal a worker, stop / start apiserver, etcd, scheduler
  or controller-manager (with the controller-manager's memory lost on a stop), delete a pod
  (``deletePod``) and kill its containers (``killPod``);
- the scenario's timeline, as scheduled events (only verbs that are faults: stop / start of a
  node, a kubelet, a container runtime or a control-plane process, partition / heal).

The other components (scheduler, ReplicaSet, Deployment, endpoints, pod GC, garbage collector)
are switched off on both sides, so pods only change through the slice and can only disappear:
the universe is the scenario's nodes and the pods present once the scenario has settled. The
Python side of the slice is :class:`SliceModel`, a :class:`kmodel.checkmodel.KubeModel` whose
other components do nothing (it settles the scenario with the full model first, so the pods
exist).

The layers:

``Slice.project(state)``
    A checker state as a flat ``dict[str, int | bool]`` of the slice's variables (names like
    ``node/worker-1.ready``, ``pod/web-x.deleting``, ``zone/.token``, ``now``). It holds everything
    the slice's successors depend on, so the projections of the successors are a function of the
    projection. Enums are small ints (:data:`READY`, :data:`PHASE`, :data:`ZONE_STATE`,
    :data:`REASON`); an optional time is two variables, ``x.set`` and ``x``, with ``x = 0`` when
    unset, so every projected state has exactly one representation. Taint *order* is not kept (no
    component's decision depends on it; only which condition taints are present and when the
    NoExecute ones were added). The rate-limited queue is kept per node (queued, since when): its
    order is always (enqueue time, node name), which ``project`` checks. ``project`` raises
    :class:`SliceError` on a state outside the slice (a pod that moved, a foreign NoExecute
    taint, a field the slice keeps constant that changed, ...), so a model change that breaks the
    slice's assumptions cannot go unnoticed.
:class:`SymState`
    One time frame of Z3 variables with the same names, suffixed ``@<frame>``.
``Slice.init(s0)``, ``Slice.actions(s, s2)``, ``Slice.transition(s, s2)``
    The initial state (the settled state, as constants) and the transition relation as a
    disjunction of the *same named actions* as the Python model: ``kubelet/<node>``,
    ``nodelifecycle``, ``tainteviction``, ``clock``, ``fault: power off <node>``,
    ``repair: power on <node>``, ``timeline[<i>]``, ... (:func:`action_name` maps a Python
    transition to its name). Each action is deterministic: a guard on ``s`` and one equation per
    variable of ``s2``, the ones it does not write being equal to ``s`` (the frame condition).
    A component's guard includes "its step changes something", as the Python model drops steps
    that change nothing; it is built from boolean flips plus the few conditions under which an
    integer changes alone, which a test proves equal to the literal "some variable differs"
    (``exact_changed=True`` switches to the literal form).
``Slice.steps(view)``
    The same actions in functional form, ``name -> (guard, next values)``: every encoding above
    is built from it, and so is ``Slice.compact(s, s2, selectors)``, the form the bounded model
    checker unrolls (one selector per action, exactly one true, each variable of ``s2`` an
    if-then-else over the selectors of the actions that write it: several times faster to solve
    than the disjunction). ``Slice.invariants()`` finds variables that keep their initial value
    in every reachable state (e.g. the control-plane flags without a ``stopComponent`` budget);
    frames built with them fold those to constants.
:class:`Enumerator`, :func:`agreement`
    For a concrete state, every successor each action admits in Z3 (models enumerated with
    blocking clauses), compared with the Python successors: tests/test_smt_agreement.py.

Timing settings are :class:`Params`, each either a Python int (concrete) or a Z3 Int term
(symbolic, for synthesis of timing parameters): :meth:`Params.symbolic` makes chosen ones free.
The initial state is always the concretely settled one, computed with the scenario's own
settings. Time is an absolute Int (seconds); nothing saturates.

"Agrees exactly" is meant on the states a run can reach: the encoding relies on facts true of
every one of them (unset values are 0; the clock only adds ``step``, so when the monitor period
divides both ``step`` and the start time, every tick is a monitor pass and the modulo is left
out; the invariants of ``Slice.invariants``). The agreement test draws its states from runs, and
the bounded model checker only unrolls runs from the initial state, so both stay within them.

Left out (refused with :class:`SliceError`, never disagreeing silently): the legacy
``evictionMode``, nodes that never posted status or have no Lease (the startup grace period,
registration by a new kubelet), NoExecute taints
other than not-ready / unreachable (and condition taints with a value), pods in a terminal phase
or whose containers run on a node they are not bound to, timeline events other than the fault
verbs above, and nodes or pods appearing after the scenario settled (the workload slice of
:mod:`kmodel.smt.workload` extends this one with pods that come, go and get bound, and with the
scale / delete / kill timeline verbs). The deliberately broken taint eviction variants of ``tests/broken.py`` are the
same encoding with one option (``toleration_override``, see :class:`Slice`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import attrs
import z3
from attrs import frozen
from z3 import z3core

from kmodel import model as kmodel_model
from kmodel import schedulingspec
from kmodel.checkmodel import CONTROL_PLANE_PROCESSES, CheckState, KubeModel
from kmodel.components import kubelet, nodelifecycle
from kmodel.engines.base import Transition
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario
from kmodel.settings import Settings
from kmodel.state import (
    COND_FALSE,
    COND_NONE,
    COND_TRUE,
    COND_UNKNOWN,
    FAILED,
    NO_EXECUTE,
    NO_SCHEDULE,
    PENDING,
    RUNNING,
    SUCCEEDED,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    Pod,
    Taint,
    label,
)

WHERE = "kmodel.smt node-health slice"

# --- enums -------------------------------------------------------------------------------------

READY = {COND_TRUE: 0, COND_FALSE: 1, COND_UNKNOWN: 2}
R_TRUE, R_FALSE, R_UNKNOWN = 0, 1, 2
REASON = {"KubeletReady": 0, "NodeStatusUnknown": 1, "NodeStatusNeverUpdated": 2, "": 3, "KubeletNotReady": 4}
PHASE = {PENDING: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 3}
P_RUNNING = 1
ZONE_STATE = {None: -1, nodelifecycle.NORMAL: 0, nodelifecycle.PARTIAL: 1, nodelifecycle.FULL: 2}
Z_ABSENT, Z_NORMAL, Z_PARTIAL, Z_FULL = -1, 0, 1, 2

# the components that belong to the slice (kubelets besides) and those switched off
SLICE_CONTROLLERS = ("nodelifecycle", "tainteviction")
OFF_COMPONENTS = tuple(c.name for c in kmodel_model.CONTROLLERS if c.name not in SLICE_CONTROLLERS)
SLICE_FAULTS = ("powerOffNode", "stopKubelet", "stopRuntime", "partitionNode", "stopComponent", "deletePod", "killPod")
# the taints the node lifecycle controller owns: (key, effect) -> short variable name
OWN_TAINTS = {
    (TAINT_NOT_READY, NO_SCHEDULE): "ns_not_ready",
    (TAINT_UNREACHABLE, NO_SCHEDULE): "ns_unreachable",
    (TAINT_UNSCHEDULABLE, NO_SCHEDULE): "ns_unschedulable",
    (TAINT_NOT_READY, NO_EXECUTE): "ne_not_ready",
    (TAINT_UNREACHABLE, NO_EXECUTE): "ne_unreachable",
}
NE_KEYS = (TAINT_NOT_READY, TAINT_UNREACHABLE)
NE_VAR = {TAINT_NOT_READY: "ne_not_ready", TAINT_UNREACHABLE: "ne_unreachable"}
TIMELINE_VERBS = ("stop", "start", "partition", "heal")


class SliceError(KmodelError):
    """A scenario, option or state the node-health encoding does not cover."""


def _refuse(message: str, fix: str) -> SliceError:
    return SliceError(message, where=WHERE, fix=fix)


EXPLORE_FIX = "check with --engine explore or --engine hypothesis"


def _unencoded(message: str, where: str, fix: str = EXPLORE_FIX) -> NoReturn:
    """Refuse what no slice encodes, pointing at the engines that run the whole model."""
    raise SliceError(message, where=where, fix=fix)


def refuse_scheduling_features(cluster: Cluster, where: str, encoded: frozenset[str] = frozenset()) -> None:
    """Refuse pods and templates that use a scheduler feature (affinity, spread constraints,
    host ports, priorities) the encoding does not cover (``encoded`` lists those it does)."""
    refuse_daemonsets(cluster, where)
    refuse_descheduler(cluster, where)
    specs = [(f"pod {p.name}", p.scheduling) for p in cluster.pods]
    specs += [(f"replicaset {rs.name}'s template", rs.template.scheduling) for rs in cluster.replicasets]
    specs += [(f"deployment {d.name}'s template", d.template.scheduling) for d in cluster.deployments]
    for who, spec in specs:
        missing = [f for f in schedulingspec.features(spec) if f not in encoded]
        if missing:
            _unencoded(
                f"{who} uses {', '.join(missing)}, which the Z3 encoding does not cover",
                where,
            )
    refuse_unencoded_requests(cluster, where)


def refuse_statefulsets(cluster: Cluster, applied: list[Any], where: str) -> None:
    """Refuse StatefulSets, in the cluster or applied by the timeline: the StatefulSet controller
    (ordered creation, stable names, rolling updates) is not encoded."""
    names = [s.name for s in cluster.statefulsets] + [m.name for m in applied if m.kind == "StatefulSet"]
    if names:
        _unencoded(
            f"statefulset {names[0]} needs the StatefulSet controller, which the Z3 encoding does not cover",
            where,
        )


def refuse_fault_rules(scenario: Any, where: str) -> None:
    """Refuse a scenario with ``faultRules`` (kmodel.faultrules): a fault that fires when a
    condition over the whole state holds is not encoded."""
    rules = getattr(scenario, "fault_rules", ())
    if rules:
        _unencoded(
            f"faultRules ({rules[0].name}: a fault that fires when a condition over the state holds) are not "
            "encoded in Z3",
            where,
        )


def refuse_descheduler(cluster: Cluster, where: str) -> None:
    """Refuse a scenario with a descheduler (a DeschedulerPolicy): no slice encodes its plugins,
    its eviction limits or its interval."""
    if cluster.descheduler is not None:
        _unencoded(
            "the scenario runs the descheduler (a DeschedulerPolicy), which the Z3 encoding does not cover",
            where,
        )


def refuse_namespaces(cluster: Cluster, timeline: Any, where: str) -> None:
    """Refuse objects outside the default namespace (kmodel.namespaces), in the cluster, applied
    by the timeline or named by an event's ``-n``: the encodings select pods by labels alone."""
    names = [o.name for o in (*cluster.pods, *cluster.deployments, *cluster.replicasets, *cluster.services)]
    spaced = [n for n in names if "/" in n]
    spaced += [
        f"{x.kind.lower()}/{x.name}"
        for ev in timeline
        for x in getattr(ev, "manifests", ())
        if x.namespace not in ("", "default")
    ]
    spaced += [ev.text for ev in timeline if getattr(ev, "namespace", None) not in (None, "default")]
    if spaced:
        _unencoded(
            f"{spaced[0]} is outside the default namespace: the Z3 encoding has one namespace",
            where,
        )


def refuse_hpas(cluster: Cluster, applied: list[Any], where: str) -> None:
    """Refuse HorizontalPodAutoscalers, in the cluster or applied by the timeline: the HPA
    controller (metrics from the load model, stabilization windows, scale policies) is not
    encoded."""
    names = [h.name for h in cluster.hpas] + [m.name for m in applied if m.kind == "HorizontalPodAutoscaler"]
    if names:
        _unencoded(
            f"horizontalpodautoscaler {names[0]} needs the HorizontalPodAutoscaler controller and the load model, "
            "which the Z3 encoding does not cover",
            where,
        )


def refuse_disruption(cluster: Cluster, timeline: Any, where: str, faults: Any = ()) -> None:
    """Refuse PodDisruptionBudgets (in the cluster or applied by the timeline), kubectl drain
    (a timeline event, or the checker's drainNode action): the disruption controller, the
    eviction API and kubectl's retry loop are not encoded."""
    applied = [m.name for ev in timeline for m in getattr(ev, "manifests", ()) if m.kind == "PodDisruptionBudget"]
    names = [b.name for b in cluster.pdbs] + applied
    if names:
        _unencoded(
            f"poddisruptionbudget {names[0]} needs the disruption controller and the eviction API "
            "(PodDisruptionBudget), which the Z3 encoding does not cover",
            where,
        )
    drains = [ev.text for ev in timeline if ev.verb == "drain"]
    if drains or dict(faults or ()).get("drainNode", 0) > 0 or cluster.drains:
        what = f"timeline event {drains[0]!r}" if drains else "the drainNode action"
        _unencoded(
            f"{what} needs kubectl drain (cordon, then evictions through the eviction API), which the Z3 encoding "
            "does not cover",
            where,
        )


def refuse_several_control_planes(cluster: Cluster, where: str) -> None:
    """Refuse a scenario with a controlPlane section (kmodel.ha): several apiservers, leader
    election, etcd quorum and the load balancer are not encoded (every slice has one control
    plane)."""
    ha = getattr(cluster, "ha", None)
    if ha is not None:
        _unencoded(
            f"the scenario declares control-plane machines ({', '.join(ha.machines)}): leader election, etcd "
            "quorum and the load balancer of several control planes are not encoded in Z3",
            where,
        )


def refuse_control_plane_partitions(timeline: Any, budget: Any, where: str) -> None:
    """Refuse what kmodel.hapartition adds: ``partition|heal node/A from ...`` and the
    ``partitionControlPlane`` fault (etcd's quorum on each side of a cut and the leader election
    across it; every slice has one control plane)."""
    from kmodel import hapartition

    for ev in timeline:
        if hapartition.is_between(ev):
            _unencoded(
                f"timeline event {ev.text!r}: partitions between control-plane machines (etcd quorum on each "
                "side, leader election across the cut) are not encoded in Z3",
                where,
            )
    if dict(budget).get(hapartition.FAULT_KIND, 0) > 0:
        _unencoded(
            f"fault kind {hapartition.FAULT_KIND}: partitions between control-plane machines (etcd quorum on "
            "each side, leader election across the cut) are not encoded in Z3",
            where,
        )


def refuse_informer_lag(settings: Any, where: str) -> None:
    """Refuse ``informerLag`` (kmodel.informer): controllers acting on lagging views, the watch
    deliveries and the ReplicaSet expectations are not encoded (every slice reads the store)."""
    lag = getattr(settings, "informer_lag", 0)
    if lag:
        raise SliceError(
            f"informerLag {lag} (informer caches that lag, with the ReplicaSet expectations and the scheduler's "
            "assumed pods) is not encoded in Z3",
            where=where,
            fix="check with --engine explore or --engine hypothesis, or set informerLag: 0",
        )


def refuse_watch_cache_lag(settings: Any, where: str) -> None:
    """Refuse ``watchCacheLag`` (kmodel.watchcache): an apiserver's watch cache behind etcd and a
    kubelet's first list served from it are not encoded (every slice reads the store)."""
    lag = getattr(settings, "watch_cache_lag", 0)
    if lag:
        raise SliceError(
            f"watchCacheLag {lag} (an apiserver watch cache that lags etcd, read by a restarting kubelet) "
            "is not encoded in Z3",
            where=where,
            fix="check with --engine explore or --engine hypothesis, or set watchCacheLag: 0",
        )


def refuse_partition_features(settings: Any, timeline: Any, where: str) -> None:
    """Refuse what kmodel.partitions adds and no slice encodes: ``partition|heal zone/Z`` and
    ``join node/N`` (the ``partitionZone`` fault is refused with the other unencoded fault kinds),
    and the historical settings ``zoneDisruptionSafeguard: false`` and ``nodeTaintAdmission:
    false``."""
    for ev in timeline:
        if (ev.verb in ("partition", "heal") and ev.kind == "zone") or ev.verb == "join":
            _unencoded(
                f"timeline event {ev.text!r}: zone partitions and nodes joining are not encoded in Z3",
                where,
            )
    for name, key in (
        ("zone_disruption_safeguard", "zoneDisruptionSafeguard"),
        ("node_taint_admission", "nodeTaintAdmission"),
    ):
        if not getattr(settings, name, True):
            raise SliceError(
                f"{key}: false (a safeguard switched off, as in Kubernetes before it existed) is not encoded in Z3",
                where=where,
                fix=f"check with --engine explore or --engine hypothesis, or drop {key}",
            )


def refuse_daemonsets(cluster: Cluster, where: str) -> None:
    """Refuse DaemonSets: no slice encodes the DaemonSet controller (its pods would be created
    by nothing, and the properties would judge a cluster without them)."""
    for ds in cluster.daemonsets:
        _unencoded(
            f"daemonset {ds.name}: the Z3 encoding does not cover DaemonSets (the DaemonSet controller)",
            where,
        )


def refuse_unencoded_requests(cluster: Cluster, where: str) -> None:
    """Refuse requests of resources other than cpu and memory (ephemeral-storage, extended
    resources such as nvidia.com/gpu, hugepages: NodeResourcesFit and the kubelet check them,
    the encoding does not), and templates that pin spec.nodeName (their pods skip the scheduler
    and face the kubelet's admission, which is not encoded)."""
    requests = [(f"pod {p.name}", p.requests) for p in cluster.pods]
    requests += [(f"replicaset {rs.name}'s template", rs.template.requests) for rs in cluster.replicasets]
    requests += [(f"deployment {d.name}'s template", d.template.requests) for d in cluster.deployments]
    for who, r in requests:
        names = (["ephemeral-storage"] if r.ephemeral_storage else []) + [name for name, _ in r.scalar]
        if names:
            _unencoded(
                f"{who} requests {', '.join(names)}, which the Z3 encoding does not cover (it has cpu, memory "
                "and the pod count)",
                where,
            )
    templates = [(f"replicaset {rs.name}'s template", rs.template) for rs in cluster.replicasets]
    templates += [(f"deployment {d.name}'s template", d.template) for d in cluster.deployments]
    for who, t in templates:
        if t.node_name is not None:
            _unencoded(
                f"{who} sets spec.nodeName ({t.node_name}), which the Z3 encoding does not cover (its pods skip "
                "the scheduler and face the kubelet's admission)",
                where,
            )


def refuse_probes(cluster: Cluster, timeline: Any, where: str) -> None:
    """Refuse container probes (readiness, liveness, startup: they decide when a pod is ready
    and restart containers, which the encoding does not cover), on the scenario's pods and
    templates and on the objects the timeline applies."""
    objs: list[tuple[str, Any]] = [(f"pod {p.name}", p.probes) for p in cluster.pods]
    objs += [(f"replicaset {rs.name}'s template", rs.template.probes) for rs in cluster.replicasets]
    objs += [(f"deployment {d.name}'s template", d.template.probes) for d in cluster.deployments]
    for ev in timeline:
        for m in getattr(ev, "manifests", ()):
            probes = getattr(m.obj, "probes", None) or getattr(getattr(m.obj, "template", None), "probes", None)
            objs.append((f"{m.kind.lower()} {m.name} (applied by {ev.text!r})", probes))
    for who, probes in objs:
        if probes is not None and not probes.empty:
            kinds = [k for k in ("readiness", "liveness", "startup") if probes.get(k) is not None]
            _unencoded(
                f"{who} has {', '.join(kinds)} probe(s) (container probes), which the Z3 encoding does not cover",
                where,
            )


# --- keys ----------------------------------------------------------------------------------------


def nk(node: str, field: str) -> str:
    return f"node/{node}.{field}"


def pk(pod: str, field: str) -> str:
    return f"pod/{pod}.{field}"


def zk(zone: str, field: str) -> str:
    return f"zone/{zone}.{field}"


# --- parameters ------------------------------------------------------------------------------------

Num = Any  # a Python int (or float, for the zone threshold) or a Z3 arithmetic term


@frozen
class Params:
    """The timing and sizing settings the slice reads. Each is a Python number (concrete) or a
    Z3 term (symbolic); ``None`` for an interval means "no eviction at this rate" and must stay
    concrete, as must ``large_cluster_size_threshold``'s comparison structure (it may be a term).

    Pods whose NoExecute toleration for not-ready / unreachable is the one the
    DefaultTolerationSeconds admission plugin adds (``Exists``, the scenario's default seconds)
    read ``not_ready_toleration`` / ``unreachable_toleration``; other tolerations keep their own
    seconds. ``lease_renew_interval`` is ``nodeLeaseDurationSeconds / 4``, how often a kubelet
    renews its Lease; nodeStatusUpdateFrequency is not read (the kubelet posts its status when
    it changes, which the slice takes at its next sync, and the node lifecycle controller counts
    the Lease renewals as signs of life)."""

    step: Num
    lease_renew_interval: Num
    monitor_period: Num
    monitor_grace: Num
    eviction_interval: Num | None
    secondary_eviction_interval: Num | None
    large_cluster_size_threshold: Num
    unhealthy_zone_threshold: Num
    not_ready_toleration: Num
    unreachable_toleration: Num
    renew_deadline: Num

    @classmethod
    def from_settings(cls, s: Settings) -> Params:
        return cls(
            step=s.step,
            lease_renew_interval=s.lease_renew_interval,
            monitor_period=s.node_monitor_period,
            monitor_grace=s.node_monitor_grace_period,
            eviction_interval=s.eviction_interval,
            secondary_eviction_interval=s.secondary_eviction_interval,
            large_cluster_size_threshold=s.large_cluster_size_threshold,
            unhealthy_zone_threshold=s.unhealthy_zone_threshold,
            not_ready_toleration=s.default_not_ready_toleration_seconds,
            unreachable_toleration=s.default_unreachable_toleration_seconds,
            renew_deadline=s.leader_election_renew_deadline,
        )

    def symbolic(self, *fields: str, prefix: str = "param.") -> Params:
        """These params with the named fields replaced by free Z3 constants (``param.<field>``;
        an Int, or a Real for ``unhealthy_zone_threshold``)."""
        changes: dict[str, Any] = {}
        for f in fields:
            if f not in attrs.fields_dict(Params):
                raise _refuse(f"unknown parameter {f!r}", f"use one of: {', '.join(attrs.fields_dict(Params))}")
            if getattr(self, f) is None:
                raise _refuse(f"parameter {f} is None (no eviction at that rate)", "give it a value first")
            changes[f] = z3.Real(prefix + f) if f == "unhealthy_zone_threshold" else z3.Int(prefix + f)
        return attrs.evolve(self, **changes)

    def constraints(self) -> list[z3.BoolRef]:
        """Sanity bounds for the symbolic fields (periods at least 1 s, others non-negative)."""
        out = []
        for f in attrs.fields(Params):
            v = getattr(self, f.name)
            if isinstance(v, z3.ExprRef):
                lowest = 1 if f.name in ("step", "lease_renew_interval", "monitor_period") else 0
                out.append(v >= lowest)
                if f.name == "unhealthy_zone_threshold":
                    out.append(v <= 1)
                if f.name in ("eviction_interval", "secondary_eviction_interval"):
                    out.append(v >= 1)
        return out


# --- small helpers that fold Python constants ----------------------------------------------------


def _is_const(x: object) -> bool:
    return isinstance(x, bool | int | float) and not isinstance(x, z3.ExprRef)


def AND(*xs: Any) -> Any:
    items = []
    for x in xs:
        if x is True:
            continue
        if x is False:
            return False
        items.append(x)
    if not items:
        return True
    return items[0] if len(items) == 1 else z3.And(*items)


def OR(*xs: Any) -> Any:
    items = []
    for x in xs:
        if x is False:
            continue
        if x is True:
            return True
        items.append(x)
    if not items:
        return False
    return items[0] if len(items) == 1 else z3.Or(*items)


def NOT(x: Any) -> Any:
    if isinstance(x, bool):
        return not x
    return z3.Not(x)


def IF(c: Any, a: Any, b: Any) -> Any:
    if isinstance(c, bool):
        return a if c else b
    if _same(a, b):
        return a
    return z3.If(c, a, b)


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef):
        return z3.eq(a, b)
    if _is_const(a) and _is_const(b):
        return type(a) is type(b) and a == b
    return False


def NE(a: Any, b: Any) -> Any:
    if _same(a, b):
        return False
    if _is_const(a) and _is_const(b):
        return a != b
    return a != b


def SUM(xs: list[Num]) -> Num:
    consts = sum(x for x in xs if _is_const(x))
    terms = [x for x in xs if not _is_const(x)]
    if not terms:
        return consts
    total = terms[0] if len(terms) == 1 else z3.Sum(*terms)
    return total + consts if consts else total


def MIN(a: Num, b: Num) -> Num:
    if _is_const(a) and _is_const(b):
        return min(a, b)
    return z3.If(a <= b, a, b)


def MAX0(a: Num) -> Num:
    if _is_const(a):
        return max(0, a)
    return z3.If(a >= 0, a, 0)


# --- the universe ----------------------------------------------------------------------------------


@frozen
class TolInfo:
    """How a pod's tolerations answer one NoExecute condition taint (``GetMatchingTolerations``:
    the first toleration that tolerates it): not at all, forever (that toleration has no
    ``tolerationSeconds``: ``seconds`` None), or for ``seconds`` (a number or a term, already
    clamped at 0)."""

    tolerated: bool
    seconds: Num | None


@frozen
class NodeInfo:
    name: str
    index: int
    zone: str
    control_plane: bool
    unschedulable: bool
    foreign_taints: tuple[Taint, ...]  # taints the slice never changes
    # labelled node.kubernetes.io/exclude-disruption: left out of the zone states (labels are
    # constant in the slice)
    excluded: bool = False


@frozen
class PodInfo:
    name: str
    node: str | None  # where it is bound (fixed: nothing in the slice binds or moves pods)
    pod: Pod  # as in the settled state (its constant fields)


ORDER_NOTE = (
    "the Z3 slices queue the nodes the node lifecycle controller finds NotReady in one pass in name "
    "order, where Kubernetes walks them in its lister's order (any order; the explorer tries every one "
    "with --node-symmetry): a violation that needs another order of one zone's nodes is not found by "
    "--engine smt"
)


class SliceModel(KubeModel):
    """The Python side of the slice: the checker's model with every component outside the slice
    doing nothing. The scenario first settles with the full model (so the Deployment's pods exist
    and run), then only the slice's components, faults and timeline act.

    ``replace`` may swap slice components (e.g. a deliberately broken taint eviction controller);
    ``faults`` defaults to the scenario's budget, as for :class:`KubeModel`."""

    OFF = OFF_COMPONENTS  # the components switched off after settling

    def __init__(
        self,
        scenario: Scenario,
        *,
        faults: tuple[tuple[str, int], ...] | None = None,
        replace: dict[str, kmodel_model.StepFn] | None = None,
        horizon: int | None = None,
    ) -> None:
        # why the workload slice could not be used instead, when it was tried (for the report)
        self.slice_note: str | None = None
        off: dict[str, kmodel_model.StepFn] = {name: _nothing for name in self.OFF}
        self.slice_replace = dict(replace or {})
        # the slice encodes the node lifecycle controller's walk in the node list's order only
        # (see ORDER_NOTE), so its Python side does too
        super().__init__(
            scenario, faults=faults, horizon=horizon, replace={**off, **self.slice_replace}, node_orders=False
        )
        # said in every answer where two nodes of a zone could be queued in one pass
        sizes = nodelifecycle.zone_sizes(scenario.initial_state())
        self.order_note: str | None = ORDER_NOTE if any(k > 1 for k in sizes.values()) else None

    def init_states(self) -> Iterator[CheckState]:
        state = CheckState(self.scenario.initial_state(), tuple(sorted(self.budget)))
        if self.settle:
            sliced = self.replace
            self.replace = self.slice_replace or None  # settle with every component running
            try:
                state = self._settle(state)
            finally:
                self.replace = sliced
        yield state


def _nothing(_: Cluster) -> list[Any]:
    return []


ADVERSARY = "adversary"  # the calm product's "faults stop" action


def calm_action_name(state: CheckState, tr: Transition) -> str:
    """:func:`action_name` of a transition of the calm product from ``(state, calm)``."""
    if tr.actor == ADVERSARY:
        return ADVERSARY
    return action_name(state, Transition(tr.actor, tr.label, tr.state[0], tr.fault))


def action_name(state: CheckState, tr: Transition) -> str:
    """The name of the encoding's action that corresponds to a Python transition: the actor for
    components and the clock, ``fault: <label>`` / ``repair: <label>`` for the adversary, and
    ``timeline[<i>]`` for the i-th timeline event."""
    if tr.actor in ("fault", "repair"):
        return f"{tr.actor}: {tr.label}"
    if tr.actor == "timeline":
        return f"timeline[{state.next_event}]"
    if tr.actor == "scheduler":
        # one action per target node (the scheduler's ties are separate successors)
        before = {p.name: p.node_name for p in state.cluster.pods}
        for p in tr.state.cluster.pods:
            if p.node_name is not None and before.get(p.name) != p.node_name:
                return f"scheduler/{p.node_name}"
    return tr.actor


class SymState:
    """The slice's variables in one time frame, as Z3 constants named ``<var>@<frame>``.

    ``fixed`` maps variables known to keep one value in every reachable state (see
    :meth:`Slice.invariants`) to that value; they are Python constants here instead of Z3
    variables, so the formulas built on this frame fold them away."""

    def __init__(self, sl: Slice, frame: int | str, fixed: dict[str, int | bool] | None = None) -> None:
        self.frame = frame
        self.fixed = fixed or {}
        self.vars: View = {
            name: self.fixed[name] if name in self.fixed else (z3.Bool if kind is bool else z3.Int)(f"{name}@{frame}")
            for name, kind in sl.schema.items()
        }

    def __getitem__(self, name: str) -> Any:
        return self.vars[name]

    def values(self, m: z3.ModelRef | dict[str, int | bool]) -> dict[str, int | bool]:
        """This frame's values in a model (or in :func:`model_values` of one); a variable the
        model leaves unconstrained gets Z3's completion value (0, false)."""
        given = m if isinstance(m, dict) else model_values(m)
        out: dict[str, int | bool] = {}
        for name, v in self.vars.items():
            if name in self.fixed:
                out[name] = v
                continue
            val = given.get(f"{name}@{self.frame}")
            out[name] = val if val is not None else (False if z3.is_bool(v) else 0)
        return out

    def equals(self, values: dict[str, int | bool]) -> z3.BoolRef:
        if any(values[k] != v for k, v in self.fixed.items()):
            return z3.BoolVal(False)
        return z3.And(*[self.vars[k] == v for k, v in values.items() if k not in self.fixed])


def model_values(m: z3.ModelRef, consts: dict[str, Any] | None = None) -> dict[str, int | bool]:
    """The values a model gives to constants, by name, as Python values, through the low-level
    API (much faster than ``m.eval`` per variable). ``consts`` (name -> Z3 constant) limits it
    to those; constants the model leaves unassigned are missing."""
    ctx = m.ctx.ref()
    if consts is None:
        pairs = [(d.name(), d.ast) for d in m.decls() if d.arity() == 0]
    else:
        pairs = _decls_of(consts)
    out: dict[str, int | bool] = {}
    for name, decl in pairs:
        ast = z3core.Z3_model_get_const_interp(ctx, m.model, decl)
        if not ast:
            continue
        if z3core.Z3_get_sort_kind(ctx, z3core.Z3_get_sort(ctx, ast)) == z3.Z3_BOOL_SORT:
            out[name] = z3core.Z3_get_bool_value(ctx, ast) == z3.Z3_L_TRUE
        else:
            out[name] = int(z3core.Z3_get_numeral_string(ctx, ast))
    return out


# the (name, declaration) pairs of a ``consts`` dict, by the dict's identity: the agreement
# checks read the same constants from thousands of models, and building a Python FuncDeclRef per
# constant and model was half their time. The entry holds the dict, whose constants keep their
# declarations alive (and the id from being reused).
_decls: dict[int, tuple[dict[str, Any], list[tuple[str, Any]]]] = {}


def _decls_of(consts: dict[str, Any]) -> list[tuple[str, Any]]:
    hit = _decls.get(id(consts))
    if hit is not None and hit[0] is consts and len(hit[1]) == len(consts):
        return hit[1]
    pairs = [(name, c.decl().ast) for name, c in consts.items()]
    if len(_decls) >= 256:
        _decls.clear()
    _decls[id(consts)] = (consts, pairs)
    return pairs


def fast_and(terms: list[z3.BoolRef]) -> z3.BoolRef:
    """``z3.And`` of Boolean terms without the Python-side sort checks (hot in enumeration)."""
    if not terms:
        return z3.BoolVal(True)
    ctx = terms[0].ctx
    arr = (z3.Ast * len(terms))(*[t.as_ast() for t in terms])
    return z3.BoolRef(z3core.Z3_mk_and(ctx.ref(), len(terms), arr), ctx)


# A state as the action builders see it: variable name -> term (or Python constant).
View = dict[str, Any]

AS_WRITTEN = "as-written"


class Slice:
    """The encoding of one :class:`SliceModel` (its scenario's universe, settings and budget).

    ``params`` overrides the timing settings (default: the scenario's, concrete).
    ``toleration_override`` mirrors the broken taint eviction controllers of tests/broken.py in
    the *transition* (the controller's view of every toleration that has tolerationSeconds):
    ``0`` is ``tainteviction_ignoring_toleration`` (evict as soon as the taint is there),
    ``None`` is ``tainteviction_never_evicting`` (tolerate forever); the default
    :data:`AS_WRITTEN` is the real controller. Properties always read the pods' real
    tolerations. ``exact_changed`` builds the components' "changes something" guards in the
    literal form (slower to solve; the default form is proved equal to it by the tests).

    ``calm`` encodes the explorer's product for ``eventually`` properties
    (:class:`kmodel.engines.explore.Calm`): a variable ``calm`` and the action ``adversary``
    ("faults stop"), which, once the timeline is over, undoes every injected fault, spends the
    whole budget and sets ``calm``, after which no fault or repair can fire.
    ``kubelet_keeps_deleted`` mirrors ``kubelet_never_finishing_deletions`` of tests/broken.py:
    a kubelet that stops a deleted pod's containers but never removes the pod.
    ``ignoring_leases`` mirrors ``nodelifecycle_ignoring_leases`` of
    benchmarks/mutant_components.py: a node lifecycle controller that never sees a Lease
    renewed (its records hold no Lease), so only a new status heartbeat moves its probe time."""

    # pods keep the node they were bound to when the scenario settled (nothing in this slice
    # binds or moves pods); :class:`kmodel.smt.workload.WorkloadSlice` makes it a variable
    MOVABLE = False
    WHERE = WHERE
    VERBS_TEXT = "stop/start of nodes, kubelets, container runtimes and control-plane processes, partition/heal"

    def __init__(
        self,
        model: SliceModel,
        *,
        params: Params | None = None,
        toleration_override: int | str | None = AS_WRITTEN,
        exact_changed: bool = False,
        calm: bool = False,
        kubelet_keeps_deleted: bool = False,
        ignoring_leases: bool = False,
    ) -> None:
        self.calm = calm
        self.kubelet_keeps_deleted = kubelet_keeps_deleted
        self.ignoring_leases = ignoring_leases
        if not isinstance(model, SliceModel):
            raise _refuse(
                f"expected a SliceModel, got {type(model).__name__}",
                "build the Python side with kmodel.smt.nodehealth.SliceModel(scenario, faults=...)",
            )
        self.model = model
        self.settings = model.scenario.settings
        self.params = params if params is not None else Params.from_settings(self.settings)
        self.toleration_override = toleration_override
        self.exact_changed = exact_changed
        self.init_state: CheckState = next(iter(model.init_states()))
        self._check_scope()
        c = self.init_state.cluster
        zones = sorted({n.zone for n in c.nodes})
        self.zones = zones
        self.nodes = tuple(
            NodeInfo(
                n.name,
                i,
                n.zone,
                n.control_plane,
                n.unschedulable,
                tuple(t for t in n.taints if (t.key, t.effect) not in OWN_TAINTS),
                label(n.labels, nodelifecycle.LABEL_EXCLUDE_DISRUPTION) is not None,
            )
            for i, n in enumerate(c.nodes)
        )
        # the zones that get a state (some node of theirs is not excluded from disruption
        # checks); the others keep zk(zone, "state") absent, and their queue the normal rate
        self.state_zones = sorted({n.zone for n in self.nodes if not n.excluded})
        self.node_by_name = {n.name: n for n in self.nodes}
        self.pods = self._pod_universe(c)
        self.pod_by_name = {p.name: p for p in self.pods}
        self.implicit_host_powered = c.implicit_host_powered
        self.budget_kinds = tuple(kind for kind, _ in self.init_state.budget)
        self.tags = self._tags()
        self.components = (*(kubelet.actor(n.name) for n in self.nodes), *self._controllers())
        self.timeline = model.timeline
        self.schema = self._schema()
        # per pod and NoExecute key: the pod's real tolerations, and the controller's view of them
        self.real_tol = {p.name: {k: self._tol(p.pod, k, AS_WRITTEN) for k in NE_KEYS} for p in self.pods}
        self.ctl_tol = {p.name: {k: self._tol(p.pod, k, toleration_override) for k in NE_KEYS} for p in self.pods}
        # The clock only ever adds ``step``, so now = now0 (mod step) in every reachable state;
        # when nodeMonitorPeriod divides both, every tick is a monitor pass (the default: the
        # tick is the gcd of the periods) and "now % period == 0" (costly for the solver) is
        # true. Symbolic timings keep the modulo.
        step, period = self.params.step, self.params.monitor_period
        self.always_due = _is_const(step) and _is_const(period) and step % period == 0 and c.now % period == 0
        self.cur = SymState(self, "cur")
        self.nxt = SymState(self, "nxt")
        self.action_names = self._action_names()

    def _timeline_verb_ok(self, ev: Any) -> bool:
        """The encoding has the timeline event's verb."""
        return ev.verb in TIMELINE_VERBS

    def _pod_universe(self, c: Cluster) -> tuple[PodInfo, ...]:
        """The pods the encoding has variables for: those of the settled state."""
        return tuple(PodInfo(p.name, p.node_name, p) for p in c.pods)

    def _controllers(self) -> tuple[str, ...]:
        """The controllers with a ``ran`` flag (once per tick), kubelets besides."""
        return SLICE_CONTROLLERS

    def on(self, c: View, info: PodInfo, node: str) -> Any:
        """The pod is bound to ``node`` in ``c`` (a Python bool when pods cannot move)."""
        if self.MOVABLE:
            return c[pk(info.name, "node")] == self.node_by_name[node].index
        return info.node == node

    # -- scope ---------------------------------------------------------------------------------

    def _check_scope(self) -> None:
        s = self.settings
        m = self.model
        refuse_watch_cache_lag(s, self.WHERE)
        if s.eviction_mode != "taint":
            raise _refuse("evictionMode: legacy is not encoded", "use the default evictionMode: taint")
        refuse_control_plane_partitions(m.timeline, m.budget, self.WHERE)  # kmodel.hapartition
        for kind, n in m.budget:
            if kind not in SLICE_FAULTS and n > 0:
                raise _refuse(
                    f"fault kind {kind} is not encoded", f"use only {', '.join(SLICE_FAULTS)} in the fault budget"
                )
        for i, ev in enumerate(m.timeline):
            if ev.elsewhere and ev.kind in ("pod", "deployment", "replicaset", "service"):
                raise SliceError(
                    f"timeline event {ev.text!r} acts in a namespace where the scenario has no object "
                    "(the slices do not encode a verb that finds nothing)",
                    where=self.WHERE,
                    fix=f"drop the event or its -n (timeline[{i}]), or check with --engine explore",
                )
            if not self._timeline_verb_ok(ev):
                raise SliceError(
                    f"timeline event {ev.text!r} ({ev.verb}) is not encoded",
                    where=self.WHERE,
                    fix=f"keep to {self.VERBS_TEXT} (timeline[{i}]), or check with --engine explore",
                )
        if m.horizon is not None and not isinstance(m.horizon, int):
            raise _refuse("horizon must be a whole number of seconds", "give an int")
        c = self.init_state.cluster
        if c.ran or c.sched_attempted:
            raise _refuse("the initial state is inside a tick", "start from a settled state")
        refuse_scheduling_features(c, self.WHERE)
        refuse_probes(c, m.timeline, self.WHERE)
        refuse_statefulsets(c, [x for ev in m.timeline for x in ev.manifests], self.WHERE)
        refuse_fault_rules(getattr(m, "scenario", None), self.WHERE)
        refuse_hpas(c, [x for ev in m.timeline for x in ev.manifests], self.WHERE)
        refuse_namespaces(c, m.timeline, self.WHERE)
        refuse_informer_lag(c.settings, self.WHERE)
        refuse_several_control_planes(c, self.WHERE)
        refuse_partition_features(c.settings, m.timeline, self.WHERE)
        applies_jobs = any(x.kind == "Job" for ev in m.timeline for x in getattr(ev, "manifests", ()))
        if c.jobs or applies_jobs or any(p.owner_kind == "Job" for p in c.pods):
            name = c.jobs[0].name if c.jobs else "applied by the timeline"
            raise _refuse(
                f"the scenario has Jobs (job {name}): the slices do not encode the Job controller "
                "or containers that finish",
                "check scenarios with Jobs with --engine explore or hypothesis",
            )
        for n in c.nodes:
            if n.ready == COND_NONE or n.last_heartbeat is None:
                raise _refuse(
                    f"node {n.name} has no Ready condition yet: its kubelet never posted status "
                    "(the startup grace period is not encoded)",
                    "start from a state where every node has posted status",
                )
            if n.lease_renew_time is None:
                raise _refuse(
                    f"node {n.name} has no Lease yet (its kubelet never renewed one; not encoded)",
                    "start from a state where every node's kubelet has run",
                )
            for t in n.taints:
                if t.effect == NO_EXECUTE and (t.key, t.effect) not in OWN_TAINTS:
                    raise _refuse(
                        f"node {n.name} has the NoExecute taint {t.show()}, which the slice does not encode",
                        "keep NoExecute taints to the node lifecycle controller's not-ready / unreachable ones",
                    )
                if (t.key, t.effect) in OWN_TAINTS and t.value:
                    raise _refuse(
                        f"node {n.name} has the taint {t.show()} with a value", "remove the value of that taint"
                    )
        if len(c.memory.gc_quarantine) or len(c.memory.not_ready_since):
            raise _refuse("pod GC quarantine or legacy eviction records in memory", "start from a settled state")

    def _tags(self) -> tuple[str, ...]:
        tags = []
        for n in self.nodes:
            if "powerOffNode" in self.budget_kinds and not n.control_plane:
                tags.append(f"off:{n.name}")
            if "partitionNode" in self.budget_kinds and not n.control_plane:
                tags.append(f"partition:{n.name}")
            if "stopKubelet" in self.budget_kinds:
                tags.append(f"kubelet:{n.name}")
            if "stopRuntime" in self.budget_kinds:
                tags.append(f"runtime:{n.name}")
        if "stopComponent" in self.budget_kinds:
            tags += [f"component:{x}" for x in CONTROL_PLANE_PROCESSES]
        return tuple(tags)

    def _schema(self) -> dict[str, type]:
        sch: dict[str, type] = {"now": int, "next_event": int}
        for x in CONTROL_PLANE_PROCESSES:
            sch[f"cp.{x}"] = bool
        sch["cp.down_since.set"] = bool
        sch["cp.down_since"] = int
        for kind in self.budget_kinds:
            sch[f"budget.{kind}"] = int
        for tag in self.tags:
            sch[f"injected.{tag}"] = bool
        if self.calm:
            sch["calm"] = bool
        for comp in self.components:
            sch[f"ran.{comp}"] = bool
        for n in self.nodes:
            for f in ("powered", "kubelet", "runtime", "partitioned"):
                sch[nk(n.name, f)] = bool
            sch[nk(n.name, "ready")] = int
            sch[nk(n.name, "reason")] = int
            sch[nk(n.name, "heartbeat")] = int
            sch[nk(n.name, "lease")] = int  # the Lease's renewTime (always set in the slice)
            for v in OWN_TAINTS.values():
                sch[nk(n.name, v)] = bool
            for k in NE_KEYS:
                sch[nk(n.name, NE_VAR[k] + ".added")] = int
            sch[nk(n.name, "health.set")] = bool
            sch[nk(n.name, "health.probe")] = int
            sch[nk(n.name, "health.seen_heartbeat")] = int
            sch[nk(n.name, "health.seen_ready")] = int
            sch[nk(n.name, "health.seen_lease.set")] = bool
            sch[nk(n.name, "health.seen_lease")] = int
            sch[nk(n.name, "queued")] = bool
            sch[nk(n.name, "queued.at")] = int
        for z in self.zones:
            sch[zk(z, "state")] = int
            sch[zk(z, "token.set")] = bool
            sch[zk(z, "token")] = int
        for p in self.pods:
            sch[pk(p.name, "present")] = bool
            sch[pk(p.name, "node")] = int
            sch[pk(p.name, "phase")] = int
            sch[pk(p.name, "ready")] = bool
            sch[pk(p.name, "containers_ready")] = bool
            sch[pk(p.name, "deleting.set")] = bool
            sch[pk(p.name, "deleting")] = int
            sch[pk(p.name, "disruption_target")] = bool
            sch[pk(p.name, "restarts")] = int
            sch[pk(p.name, "ready_since.set")] = bool
            sch[pk(p.name, "ready_since")] = int
            sch[pk(p.name, "running")] = bool
            sch[pk(p.name, "eviction.set")] = bool
            sch[pk(p.name, "eviction")] = int
        return sch

    def _tol(self, pod: Pod, key: str, override: int | str | None) -> TolInfo:
        """How the pod tolerates the ``key``:NoExecute taint by ``GetMatchingTolerations`` (the
        first of its tolerations that tolerates it), with the DefaultTolerationSeconds
        toleration reading the params, and the broken-controller override applied (it changes
        every toleration that has tolerationSeconds)."""
        probe = Taint(key=key, effect=NO_EXECUTE)
        first = next((t for t in pod.tolerations if t.tolerates(probe)), None)
        if first is None:
            return TolInfo(False, None)
        if first.toleration_seconds is None:
            return TolInfo(True, None)
        if override != AS_WRITTEN:
            return TolInfo(True, None if override is None else max(0, int(override)))  # type: ignore[arg-type]
        s = self.settings
        default = {
            TAINT_NOT_READY: (s.default_not_ready_toleration_seconds, self.params.not_ready_toleration),
            TAINT_UNREACHABLE: (s.default_unreachable_toleration_seconds, self.params.unreachable_toleration),
        }
        plain, param = default[key]
        if (
            first.key == key
            and first.operator == "Exists"
            and first.effect == NO_EXECUTE
            and not first.value
            and first.toleration_seconds == plain
        ):
            return TolInfo(True, MAX0(param))
        return TolInfo(True, max(0, first.toleration_seconds))

    # -- projection ----------------------------------------------------------------------------------

    def project(self, state: CheckState, calm: bool = False) -> dict[str, int | bool]:
        """The slice's variables of a checker state (and, for a ``calm`` slice, of the product
        state ``(state, calm)``). Raises :class:`SliceError` when the state is outside what the
        slice encodes."""
        c = state.cluster
        out: dict[str, int | bool] = {"now": c.now, "next_event": state.next_event}
        if self.calm:
            out["calm"] = calm

        def bad(what: str) -> SliceError:
            return _refuse(f"state at t={c.now}s is outside the slice: {what}", "keep to the slice's scenarios")

        cp = c.control_plane
        for x in CONTROL_PLANE_PROCESSES:
            out[f"cp.{x}"] = getattr(cp, x.replace("-", "_"))
        _opt(out, "cp.down_since", cp.apiserver_down_since)
        budget = dict(state.budget)
        if set(budget) != set(self.budget_kinds):
            raise bad(f"budget kinds {sorted(budget)}")
        for kind in self.budget_kinds:
            out[f"budget.{kind}"] = budget[kind]
        if not state.injected <= set(self.tags):
            raise bad(f"unknown injected faults {sorted(state.injected - set(self.tags))}")
        for tag in self.tags:
            out[f"injected.{tag}"] = tag in state.injected
        if not c.ran <= set(self.components) or (c.sched_attempted and not self.MOVABLE):
            raise bad(f"components outside the slice ran: {sorted(c.ran - set(self.components))}")
        for comp in self.components:
            out[f"ran.{comp}"] = comp in c.ran
        if c.implicit_host_powered != self.implicit_host_powered:
            raise bad("the implicit control-plane host changed")
        if tuple(n.name for n in c.nodes) != tuple(n.name for n in self.nodes):
            raise bad("the set of nodes changed")
        pods_now = {p.name: p for p in c.pods}
        if not set(pods_now) <= set(self.pod_by_name):
            raise bad(f"new pods {sorted(set(pods_now) - set(self.pod_by_name))}")
        running_on: dict[str, str] = {}
        mem = c.memory
        health = {h.name: h for h in mem.node_health}
        queue = {n: (z, t) for z, n, t in mem.taint_queue}
        if len(queue) != len(mem.taint_queue):
            raise bad("a node is queued twice")
        order = [(t, self.node_by_name[n].index) for z, n, t in mem.taint_queue if n in self.node_by_name]
        if order != sorted(order):
            raise bad("the tainting queue is not in (time, node) order")
        for n in c.nodes:
            info = self.node_by_name[n.name]
            if n.zone != info.zone or n.control_plane != info.control_plane or n.unschedulable != info.unschedulable:
                raise bad(f"node {n.name} changed zone, role or spec.unschedulable")
            out[nk(n.name, "powered")] = n.powered
            out[nk(n.name, "kubelet")] = n.kubelet_running
            out[nk(n.name, "runtime")] = n.runtime_ready
            out[nk(n.name, "partitioned")] = n.partitioned
            if n.ready not in READY:
                raise bad(f"node {n.name} has no Ready condition")
            out[nk(n.name, "ready")] = READY[n.ready]
            if n.ready_reason not in REASON:
                raise bad(f"node {n.name} has reason {n.ready_reason!r}")
            out[nk(n.name, "reason")] = REASON[n.ready_reason]
            if n.last_heartbeat is None:
                raise bad(f"node {n.name} has no heartbeat")
            out[nk(n.name, "heartbeat")] = n.last_heartbeat
            if n.lease_renew_time is None:
                raise bad(f"node {n.name} has no Lease")
            out[nk(n.name, "lease")] = n.lease_renew_time
            own = {(t.key, t.effect): t for t in n.taints if (t.key, t.effect) in OWN_TAINTS}
            foreign = tuple(t for t in n.taints if (t.key, t.effect) not in OWN_TAINTS)
            if foreign != info.foreign_taints:
                raise bad(f"node {n.name}'s other taints changed")
            if len(own) != sum(1 for t in n.taints if (t.key, t.effect) in OWN_TAINTS):
                raise bad(f"node {n.name} has a taint twice")
            for (key, effect), var in OWN_TAINTS.items():
                t = own.get((key, effect))
                out[nk(n.name, var)] = t is not None
                if t is not None and t.value:
                    raise bad(f"node {n.name}'s taint {t.show()} has a value")
                if effect == NO_EXECUTE:
                    added = t.time_added if t is not None else None
                    if t is not None and added is None:
                        raise bad(f"node {n.name}'s NoExecute taint has no time")
                    out[nk(n.name, var + ".added")] = added if added is not None else 0
                elif t is not None and t.time_added is not None:
                    raise bad(f"node {n.name}'s NoSchedule taint has a time")
            if out[nk(n.name, "ne_not_ready")] and out[nk(n.name, "ne_unreachable")]:
                raise bad(f"node {n.name} has both condition NoExecute taints")
            h = health.get(n.name)
            out[nk(n.name, "health.set")] = h is not None
            if h is not None and h.seen_heartbeat is None:
                raise bad(f"the controller saw no heartbeat of {n.name}")
            out[nk(n.name, "health.probe")] = h.probe_time if h is not None else 0
            out[nk(n.name, "health.seen_heartbeat")] = h.seen_heartbeat if h is not None else 0  # type: ignore[assignment]
            if h is not None and h.seen_ready not in READY:
                raise bad(f"the controller saw no Ready condition of {n.name}")
            out[nk(n.name, "health.seen_ready")] = READY[h.seen_ready] if h is not None else 0
            _opt(out, nk(n.name, "health.seen_lease"), h.seen_lease if h is not None else None)
            q = queue.get(n.name)
            if q is not None and q[0] != n.zone:
                raise bad(f"node {n.name} queued in zone {q[0]!r}")
            out[nk(n.name, "queued")] = q is not None
            out[nk(n.name, "queued.at")] = q[1] if q is not None else 0
            for name in n.running:
                running_on[name] = n.name
        if set(health) - set(self.node_by_name) or set(queue) - set(self.node_by_name):
            raise bad("controller memory names unknown nodes")
        zstates = dict(mem.zone_states)
        tokens = dict(mem.zone_next_token)
        if set(zstates) - set(self.zones) or set(tokens) - set(self.zones):
            raise bad("controller memory names unknown zones")
        if zstates and set(zstates) != set(self.state_zones):
            raise bad("zone states recorded for other zones than those of the nodes not excluded from disruption")
        for z in self.zones:
            out[zk(z, "state")] = ZONE_STATE[zstates.get(z)]
            _opt(out, zk(z, "token"), tokens.get(z))
        evictions = dict(mem.scheduled_evictions)
        if set(evictions) - set(self.pod_by_name):
            raise bad("scheduled evictions of unknown pods")
        if mem.gc_quarantine or mem.not_ready_since:
            raise bad("pod GC or legacy eviction records")
        for info in self.pods:
            p = pods_now.get(info.name)
            present = p is not None
            out[pk(info.name, "present")] = present
            bound = info.node
            if self.MOVABLE:
                bound = p.node_name if p is not None else None
                if bound is not None and bound not in self.node_by_name:
                    raise bad(f"pod {info.name} is bound to unknown node {bound}")
            out[pk(info.name, "node")] = self._node_index(bound)
            if p is not None:
                if p.node_name != bound:
                    raise bad(f"pod {p.name} moved from {info.node} to {p.node_name}")
                if self._constant(p) != self._constant(info.pod):
                    raise bad(f"pod {p.name} changed a field the slice keeps constant")
                if p.phase not in (PENDING, RUNNING):
                    raise bad(f"pod {p.name} is {p.phase}")
            where = running_on.get(info.name)
            if where is not None and (not present or where != bound):
                raise bad(f"containers of {info.name} run on {where}, where it is not bound")
            out[pk(info.name, "phase")] = PHASE[p.phase] if p is not None else 0
            out[pk(info.name, "ready")] = p.ready if p is not None else False
            out[pk(info.name, "containers_ready")] = p.containers_ready if p is not None else False
            _opt(out, pk(info.name, "deleting"), p.deletion_timestamp if p is not None else None)
            out[pk(info.name, "disruption_target")] = p.disruption_target if p is not None else False
            out[pk(info.name, "restarts")] = p.restarts if p is not None else 0
            _opt(out, pk(info.name, "ready_since"), p.ready_since if p is not None else None)
            out[pk(info.name, "running")] = where is not None
            _opt(out, pk(info.name, "eviction"), evictions.get(info.name))
        for name in running_on:
            if name not in self.pod_by_name:
                raise bad(f"containers of unknown pod {name} run")
        self._project_more(state, out, bad)
        assert set(out) == set(self.schema), set(out) ^ set(self.schema)
        return out

    def _project_more(self, state: CheckState, out: dict[str, int | bool], bad: Callable[[str], SliceError]) -> None:
        """Variables a subclass adds to :meth:`_schema`."""

    def _constant(self, p: Pod) -> tuple[Any, ...]:
        """The fields of a pod the encoding keeps constant."""
        return _constant_pod(p)

    def _node_index(self, name: str | None) -> int:
        return -1 if name is None else self.node_by_name[name].index

    # -- frames -----------------------------------------------------------------------------------------

    def frame(self, k: int | str, fixed: dict[str, int | bool] | None = None) -> SymState:
        return SymState(self, k, fixed)

    def invariants(self) -> dict[str, int | bool]:
        """Variables that keep their initial value in every reachable state, with that value.

        A set F of variables qualifies when, with F's initial values put in place of the
        variables (the others staying free), every action whose guard does not fold to false
        leaves each variable of F as it is (syntactically): then no step from a state that
        agrees with the initial one on F can change F, and by induction on the run F keeps its
        initial values. F is found by shrinking: start with every variable, drop those some
        action may write, until nothing is dropped (the closure condition then holds, which is
        all soundness needs). E.g. with no ``stopComponent`` budget and no timeline the
        control-plane flags are fixed, so "apiserver available" folds to true everywhere."""
        return self.kept(self.project(self.init_state))

    def kept(self, start: dict[str, int | bool]) -> dict[str, int | bool]:
        """The variables that keep their value of ``start`` in every state reachable from
        ``start``, with that value: :meth:`invariants` from another state."""
        fixed: dict[str, int | bool] = dict(start)
        while True:
            c = self.frame("inv", fixed).vars
            written: set[str] = set()
            for guard, nx in self.steps(c).values():
                if guard is False:
                    continue
                written |= {v for v in fixed if not _same(nx[v], c[v])}
            if not written:
                return fixed
            fixed = {v: x for v, x in fixed.items() if v not in written}

    def init(self, s0: SymState) -> z3.BoolRef:
        """The settled initial state, as constants (computed with the scenario's settings)."""
        return s0.equals(self.project(self.init_state))

    # -- derived facts --------------------------------------------------------------------------------------

    def host_up(self, c: View) -> Any:
        cps = [n for n in self.nodes if n.control_plane]
        if not cps:
            return self.implicit_host_powered
        return OR(*[c[nk(n.name, "powered")] for n in cps])

    def apiserver_available(self, c: View) -> Any:
        return AND(c["cp.apiserver"], c["cp.etcd"], self.host_up(c))

    def cm_active(self, c: View) -> Any:
        return AND(c["cp.controller-manager"], self.host_up(c), self.apiserver_available(c))

    def recorded_all_full(self, c: View) -> Any:
        """Every zone state the controller recorded is FullDisruption (and it recorded some):
        ``bool(zone_states) and all(v == FULL ...)``. States are recorded for all of
        :attr:`state_zones` or for none."""
        if not self.state_zones:
            return False
        return AND(*[c[zk(z, "state")] == Z_FULL for z in self.state_zones])

    def timeline_due(self, c: View) -> Any:
        return OR(*[AND(c["next_event"] == i, ev.at <= c["now"]) for i, ev in enumerate(self.timeline)])

    # -- helpers on views ---------------------------------------------------------------------------------

    def changed_exactly(self, c: View, nx: View) -> Any:
        """Some variable (besides the ``ran`` flags) differs: the literal "the step changes
        something". Costly for the solver (a disequality per integer variable)."""
        return OR(*[NE(nx[v], c[v]) for v in self.schema if not v.startswith("ran.") and not _same(nx[v], c[v])])

    def _changed(self, c: View, nx: View, int_changes: list[Any]) -> Any:
        """ "The step changes something", cheaply: some boolean variable flips, or one of
        ``int_changes`` holds, the conditions under which the step writes an integer variable
        without flipping a boolean one (each of which really changes it). Equivalent to
        :meth:`changed_exactly` on canonical states (unset optional values are 0), which
        tests/test_smt_agreement.py proves with Z3 for every component; :attr:`exact_changed`
        switches back to the literal form."""
        if self.exact_changed:
            return self.changed_exactly(c, nx)
        flips = [
            NE(nx[v], c[v])
            for v, kind in self.schema.items()
            if kind is bool and not v.startswith("ran.") and not _same(nx[v], c[v])
        ]
        return OR(*flips, *int_changes)

    def _forget_memory(self, nx: View, when: Any) -> None:
        """``ControllerMemory()`` when ``when`` holds."""
        if when is False:
            return
        for n in self.nodes:
            for f, empty in (
                ("health.set", False),
                ("health.probe", 0),
                ("health.seen_heartbeat", 0),
                ("health.seen_ready", 0),
                ("health.seen_lease.set", False),
                ("health.seen_lease", 0),
                ("queued", False),
                ("queued.at", 0),
            ):
                nx[nk(n.name, f)] = IF(when, empty, nx[nk(n.name, f)])
        for z in self.zones:
            nx[zk(z, "state")] = IF(when, Z_ABSENT, nx[zk(z, "state")])
            nx[zk(z, "token.set")] = IF(when, False, nx[zk(z, "token.set")])
            nx[zk(z, "token")] = IF(when, 0, nx[zk(z, "token")])
        for p in self.pods:
            nx[pk(p.name, "eviction.set")] = IF(when, False, nx[pk(p.name, "eviction.set")])
            nx[pk(p.name, "eviction")] = IF(when, 0, nx[pk(p.name, "eviction")])

    def _forget_if_cm_lost(self, c: View, nx: View) -> None:
        """faults._forget_controller_memory: a controller-manager that stops running (process
        stopped or host down) loses its memory."""
        was = AND(c["cp.controller-manager"], self.host_up(c))
        now = AND(nx["cp.controller-manager"], self.host_up(nx))
        self._forget_memory(nx, AND(was, NOT(now)))

    def _remove_pod(self, nx: View, p: str, when: Any) -> None:
        """The pod object is gone: every field back to the canonical value of an absent pod
        (its scheduled eviction is controller memory and stays until the controller prunes it)."""
        for f, empty in (
            ("present", False),
            ("phase", 0),
            ("ready", False),
            ("containers_ready", False),
            ("deleting.set", False),
            ("deleting", 0),
            ("disruption_target", False),
            ("restarts", 0),
            ("ready_since.set", False),
            ("ready_since", 0),
            ("running", False),
        ):
            nx[pk(p, f)] = IF(when, empty, nx[pk(p, f)])

    # -- the actions ----------------------------------------------------------------------------------------

    def _action_names(self) -> list[str]:
        names = [kubelet.actor(n.name) for n in self.nodes]
        names += list(self._controllers())
        names.append("clock")
        names += [name for name, _ in self._fault_specs()]
        names += [f"timeline[{i}]" for i in range(len(self.timeline))]
        if self.calm:
            names.append(ADVERSARY)
        return names

    def actions(self, s: SymState | View, s2: SymState | View) -> dict[str, z3.BoolRef]:
        """One formula per named action: its guard on ``s`` and every variable of ``s2``."""
        c = s.vars if isinstance(s, SymState) else s
        n2 = s2.vars if isinstance(s2, SymState) else s2
        return {name: self._relation(c, n2, guard, nx) for name, (guard, nx) in self.steps(c).items()}

    def transition(self, s: SymState, s2: SymState) -> z3.BoolRef:
        """The transition relation: the disjunction of :meth:`actions`."""
        return z3.Or(*self.actions(s, s2).values())

    def compact(self, s: SymState, s2: SymState, selectors: dict[str, z3.BoolRef]) -> list[z3.BoolRef]:
        """The transition relation in a form that is cheaper to solve, equivalent to
        :meth:`transition` with exactly one selector true: each selector implies its action's
        guard, and each variable of ``s2`` is an if-then-else over the selectors of the actions
        that write it (the others leave it equal)."""
        c, n2 = s.vars, s2.vars
        steps = self.steps(c)
        out: list[z3.BoolRef] = [z3.Or(*selectors.values()), z3.AtMost(*selectors.values(), 1)]
        for name, (guard, _) in steps.items():
            if guard is False:
                out.append(z3.Not(selectors[name]))
            elif guard is not True:
                out.append(z3.Implies(selectors[name], guard))
        for v in self.schema:
            if v in s2.fixed and v in s.fixed:
                continue  # the same constant in both frames (an invariant)
            value = c[v]
            for name, (guard, nx) in steps.items():
                if guard is not False and not _same(nx[v], c[v]):
                    value = IF(selectors[name], nx[v], value)
            out.append(n2[v] == value)
        return out

    def _relation(self, c: View, n2: View, guard: Any, nx: View) -> z3.BoolRef:
        eqs = [n2[v] == nx[v] for v in self.schema]
        return z3.And(guard, *eqs) if not isinstance(guard, bool) else (z3.And(*eqs) if guard else z3.BoolVal(False))

    def steps(self, c: View) -> dict[str, tuple[Any, View]]:
        """Every action as (guard, next values): the functional form of :meth:`actions`."""
        out: dict[str, tuple[Any, View]] = {}
        tl_due = self.timeline_due(c)
        quiet = NOT(tl_due)
        busy = []
        for name, g, nx in self._component_steps(c):
            out[name] = (AND(quiet, g), nx)
            busy.append(g)
        g, nx = self._clock(c)
        out["clock"] = (AND(quiet, NOT(OR(*busy)), g), nx)
        no_ran = NOT(self._acted_this_tick(c))
        stormy = NOT(c["calm"]) if self.calm else True
        for name, fn in self._fault_specs():
            g, nx = fn(c)
            out[name] = (AND(quiet, no_ran, stormy, g), nx)
        for i, ev in enumerate(self.timeline):
            g, nx = self._timeline_event(c, i, ev)
            out[f"timeline[{i}]"] = (AND(c["next_event"] == i, ev.at <= c["now"], g), nx)
        if self.calm:
            out[ADVERSARY] = self._stop_faults(c)
        return out

    def _stop_faults(self, c: View) -> tuple[Any, View]:
        """``KubeModel.stop_faults`` as the product's ``adversary`` action: once the timeline is
        over, undo each injected fault in tag order (each undo reads the state the previous ones
        left), spend the budget, and stay calm from then on."""
        cur = dict(c)
        for tag in sorted(self.tags):
            kind, _, name = tag.partition(":")
            effect = self._undo(kind, name)
            nx = dict(cur)
            take = AND(c[f"injected.{tag}"], effect(cur, nx))
            cur = {v: cur[v] if _same(nx[v], cur[v]) else IF(take, nx[v], cur[v]) for v in self.schema}
        for kind in self.budget_kinds:
            cur[f"budget.{kind}"] = 0
        for tag in self.tags:
            cur[f"injected.{tag}"] = False
        cur["calm"] = True
        return AND(NOT(c["calm"]), c["next_event"] >= len(self.timeline)), cur

    def _undo(self, kind: str, name: str) -> Callable[[View, View], Any]:
        """The effect that repairs the fault of tag kind ``kind`` on ``name`` (``UNDO``)."""
        if kind == "off":
            return self._power(name, True)
        if kind == "partition":
            return self._partition(name, False)
        if kind == "kubelet":
            return self._kubelet_proc(name, True)
        if kind == "runtime":
            return self._runtime(name, True)
        return self._component((name,), True)

    def python_calm_successors(
        self, state: CheckState, calm: bool
    ) -> dict[str, set[tuple[tuple[str, int | bool], ...]]]:
        """Python side of a ``calm`` slice: action name -> the projections of the successors of
        the product state ``(state, calm)`` in :class:`kmodel.engines.explore.Calm`."""
        from kmodel.engines.explore import Calm

        out: dict[str, set[tuple[tuple[str, int | bool], ...]]] = {}
        for tr in Calm(self.model).transitions((state, calm)):
            inner, after = tr.state
            name = calm_action_name(state, tr)
            out.setdefault(name, set()).add(_frozen(self.project(inner, after)))
        return out

    def _component_steps(self, c: View) -> list[tuple[str, Any, View]]:
        """(action name, guard, next values) of every component step (the clock waits for all)."""
        out = [(kubelet.actor(n.name), *self._kubelet(c, n)) for n in self.nodes]
        out.append(("nodelifecycle", *self._nodelifecycle(c)))
        out.append(("tainteviction", *self._tainteviction(c)))
        return out

    def _acted_this_tick(self, c: View) -> Any:
        """Some component acted since the last tick (faults wait for the start of a tick)."""
        return OR(*[c[f"ran.{comp}"] for comp in self.components])

    # kubelet ------------------------------------------------------------------------------------------

    def _kubelet(self, c: View, node: NodeInfo) -> tuple[Any, View]:
        P = self.params
        n = node.name
        nx = dict(c)
        now = c["now"]
        connected = AND(
            c[nk(n, "powered")], c[nk(n, "kubelet")], NOT(c[nk(n, "partitioned")]), self.apiserver_available(c)
        )
        # the Ready condition it computes: True, or False (KubeletNotReady) with the runtime down;
        # posted when the apiserver shows another one (the heartbeat is always set here)
        runtime = c[nk(n, "runtime")]
        want = IF(runtime, R_TRUE, R_FALSE)
        status_due = c[nk(n, "ready")] != want
        lease_due = now - c[nk(n, "lease")] >= P.lease_renew_interval
        for info in self.pods:
            on = self.on(c, info, n)
            if on is False:
                continue
            p = info.name
            # with the runtime down the kubelet syncs no pod
            present = AND(on, runtime, c[pk(p, "present")])
            term = c[pk(p, "deleting.set")]
            running = c[pk(p, "running")]
            stop = AND(present, term, running)
            remove = False if self.kubelet_keeps_deleted else AND(present, term, NOT(running))
            start = AND(present, NOT(term), NOT(running))
            restart = AND(start, c[pk(p, "phase")] == P_RUNNING)
            again = AND(present, NOT(term), running, NOT(c[pk(p, "ready")]))
            nx[pk(p, "running")] = IF(stop, False, IF(start, True, running))
            nx[pk(p, "restarts")] = IF(restart, c[pk(p, "restarts")] + 1, c[pk(p, "restarts")])
            nx[pk(p, "phase")] = IF(start, P_RUNNING, c[pk(p, "phase")])
            ready_now = OR(start, again)
            nx[pk(p, "ready")] = IF(ready_now, True, c[pk(p, "ready")])
            nx[pk(p, "containers_ready")] = IF(ready_now, True, c[pk(p, "containers_ready")])
            nx[pk(p, "ready_since.set")] = IF(ready_now, True, c[pk(p, "ready_since.set")])
            nx[pk(p, "ready_since")] = IF(ready_now, now, c[pk(p, "ready_since")])
            self._remove_pod(nx, p, remove)
        nx[nk(n, "lease")] = IF(lease_due, now, c[nk(n, "lease")])
        nx[nk(n, "ready")] = IF(status_due, want, c[nk(n, "ready")])
        reason = IF(runtime, REASON["KubeletReady"], REASON["KubeletNotReady"])
        nx[nk(n, "reason")] = IF(status_due, reason, c[nk(n, "reason")])
        nx[nk(n, "heartbeat")] = IF(status_due, now, c[nk(n, "heartbeat")])
        ran = f"ran.{kubelet.actor(n)}"
        # integers written without a boolean flip: the Lease (now - renewTime >= interval >= 1)
        # and the status (Ready changes); every pod change flips running, ready or present
        guard = AND(NOT(c[ran]), connected, self._changed(c, nx, [lease_due, status_due]))
        nx[ran] = True
        return guard, nx

    # node lifecycle controller ------------------------------------------------------------------------

    def _zone_state(self, conds: list[Any]) -> Any:
        """ComputeZoneState over the zone's current Ready conditions."""
        total = len(conds)
        nr = SUM([IF(cnd != R_TRUE, 1, 0) for cnd in conds])
        th = self.params.unhealthy_zone_threshold
        if _is_const(th):
            frac = OR(*[nr == k for k in range(total + 1) if k / total >= th])
        else:
            frac = z3.ToReal(nr) >= th * total
        return IF(nr == total, Z_FULL, IF(AND(nr > 2, frac), Z_PARTIAL, Z_NORMAL))

    def _zone_interval(self, state: Any, size: int) -> tuple[Any, Num]:
        """(has an interval, its value) for a zone in ``state`` with ``size`` nodes."""
        P = self.params
        prim_ok = P.eviction_interval is not None
        prim = P.eviction_interval if P.eviction_interval is not None else 0
        if P.secondary_eviction_interval is None:
            sec_ok: Any = False
            sec = 0
        else:
            sec_ok = size > P.large_cluster_size_threshold  # a bool, or a term when symbolic
            sec = P.secondary_eviction_interval
        partial = state == Z_PARTIAL
        return IF(partial, sec_ok, prim_ok), IF(partial, sec, prim)

    def _nodelifecycle(self, c: View) -> tuple[Any, View]:
        P = self.params
        nx = dict(c)
        now = c["now"]
        observed = {n.name: c[nk(n.name, "ready")] for n in self.nodes}
        ready: dict[str, Any] = {}
        # the NoExecute condition taints once a node the controller has no record of is
        # registered (markNodeAsReachable removes them)
        has_ne: dict[str, dict[str, Any]] = {}
        added_ne: dict[str, dict[str, Any]] = {}
        # integers written without a boolean flip (see _changed): Ready and its reason (to
        # Unknown), a rebuilt record (its seen heartbeat changes, or the record is new), a
        # Lease seen renewed (the seen renewTime changes), the probe time reset, the seen
        # Ready, zone states, and a zone's token taken (now + interval > the old token <= now);
        # taint and queue times go with their flags' flips
        int_changes: list[Any] = []
        # 0-2: registration and node health (tryUpdateNodeHealth)
        for node in self.nodes:
            n = node.name
            has = c[nk(n, "health.set")]
            new = NOT(has)
            has_ne[n] = {k: AND(has, c[nk(n, NE_VAR[k])]) for k in NE_KEYS}
            added_ne[n] = {k: IF(has, c[nk(n, NE_VAR[k] + ".added")], 0) for k in NE_KEYS}
            hb = c[nk(n, "heartbeat")]
            lease = c[nk(n, "lease")]
            # the Lease the record held before this pass (none for a new record)
            saved_set = AND(has, c[nk(n, "health.seen_lease.set")])
            saved = c[nk(n, "health.seen_lease")]
            # a new heartbeat (or no record): the record is rebuilt, forgetting its Lease
            rebuild = OR(new, c[nk(n, "health.seen_heartbeat")] != hb)
            renewed = False if self.ignoring_leases else OR(NOT(saved_set), saved < lease)
            probe = IF(OR(rebuild, renewed), now, c[nk(n, "health.probe")])
            cond = c[nk(n, "ready")]
            unknown = AND(now > probe + P.monitor_grace, cond != R_UNKNOWN)
            ready[n] = IF(unknown, R_UNKNOWN, cond)
            int_changes += [rebuild, renewed, unknown, ready[n] != c[nk(n, "health.seen_ready")]]
            nx[nk(n, "ready")] = ready[n]
            nx[nk(n, "reason")] = IF(unknown, REASON["NodeStatusUnknown"], c[nk(n, "reason")])
            nx[nk(n, "health.set")] = True
            nx[nk(n, "health.probe")] = probe
            nx[nk(n, "health.seen_heartbeat")] = IF(OR(rebuild, unknown), hb, c[nk(n, "health.seen_heartbeat")])
            nx[nk(n, "health.seen_ready")] = ready[n]
            keep_lease = NOT(OR(renewed, unknown, rebuild))
            nx[nk(n, "health.seen_lease.set")] = OR(
                renewed, unknown, AND(keep_lease, c[nk(n, "health.seen_lease.set")])
            )
            nx[nk(n, "health.seen_lease")] = IF(
                OR(renewed, unknown), lease, IF(rebuild, 0, c[nk(n, "health.seen_lease")])
            )
            if self.ignoring_leases:  # the record never holds a Lease
                nx[nk(n, "health.seen_lease.set")] = AND(keep_lease, c[nk(n, "health.seen_lease.set")])
                nx[nk(n, "health.seen_lease")] = IF(rebuild, 0, c[nk(n, "health.seen_lease")])
            lost = AND(ready[n] != R_TRUE, cond == R_TRUE)
            for info in self.pods:
                on = self.on(c, info, n)
                if on is False:
                    continue
                p = info.name
                mark = AND(lost, on, c[pk(p, "present")], c[pk(p, "ready")])
                # (chained on nx: with movable pods every node's pass writes every pod)
                nx[pk(p, "ready")] = IF(mark, False, nx[pk(p, "ready")])
                nx[pk(p, "ready_since.set")] = IF(mark, False, nx[pk(p, "ready_since.set")])
                nx[pk(p, "ready_since")] = IF(mark, 0, nx[pk(p, "ready_since")])
        # 4: zone states (nodes excluded from disruption checks left out)
        states: dict[str, Any] = {
            z: self._zone_state([ready[n.name] for n in self.nodes if n.zone == z and not n.excluded])
            for z in self.state_zones
        }
        all_full = AND(*[states[z] == Z_FULL for z in self.state_zones]) if self.state_zones else False
        was_all_full = self.recorded_all_full(c)
        reset = AND(was_all_full, NOT(all_full))
        for node in self.nodes:
            key = nk(node.name, "health.probe")
            int_changes.append(AND(reset, nx[key] != now))
            nx[key] = IF(reset, now, nx[key])
        for z in self.zones:
            st = states.get(z, Z_ABSENT)
            int_changes.append(NE(st, c[zk(z, "state")]))
            nx[zk(z, "state")] = st
        # 3: processTaintBaseEviction with the observed conditions
        for node in self.nodes:
            n = node.name
            cond = observed[n]
            has = has_ne[n]
            added = added_ne[n]
            live = NOT(all_full)
            want_for = {TAINT_NOT_READY: R_FALSE, TAINT_UNREACHABLE: R_UNKNOWN}
            other = {TAINT_NOT_READY: TAINT_UNREACHABLE, TAINT_UNREACHABLE: TAINT_NOT_READY}
            new_has: dict[str, Any] = {}
            new_added: dict[str, Any] = {}
            for k in NE_KEYS:
                o = other[k]
                swap_in = AND(live, cond == want_for[k], has[o])  # k is wanted, the other one goes
                swap_out = AND(live, cond == want_for[o], has[k])  # k is the other one
                lifted = AND(live, cond == R_TRUE)
                add = AND(swap_in, NOT(has[k]))
                drop = OR(swap_out, lifted)
                new_has[k] = IF(add, True, IF(drop, False, has[k]))
                new_added[k] = IF(add, now, IF(drop, 0, added[k]))
            bad_cond = OR(cond == R_FALSE, cond == R_UNKNOWN)
            want_has = IF(cond == R_FALSE, has[TAINT_NOT_READY], has[TAINT_UNREACHABLE])
            other_has = IF(cond == R_FALSE, has[TAINT_UNREACHABLE], has[TAINT_NOT_READY])
            queued = c[nk(n, "queued")]
            enqueue = AND(live, bad_cond, NOT(other_has), NOT(want_has), NOT(queued))
            dequeue = OR(AND(live, cond == R_TRUE), all_full)  # dequeued when Ready; cleared when all down
            nx[nk(n, "queued")] = IF(enqueue, True, IF(dequeue, False, queued))
            nx[nk(n, "queued.at")] = IF(enqueue, now, IF(dequeue, 0, c[nk(n, "queued.at")]))
            for k in NE_KEYS:
                # every zone down: markNodeAsReachable drops both
                nx[nk(n, NE_VAR[k])] = IF(all_full, False, new_has[k])
                nx[nk(n, NE_VAR[k] + ".added")] = IF(all_full, 0, new_added[k])
        # 5: each zone releases its first queued node when its token bucket allows (a zone with
        # no state, all of its nodes excluded from disruption checks, at the normal rate)
        for z in self.zones:
            members = [n for n in self.nodes if n.zone == z]
            counted = sum(1 for n in members if not n.excluded)
            has_interval, interval = self._zone_interval(states.get(z, Z_NORMAL), counted)
            tok_set, tok = c[zk(z, "token.set")], c[zk(z, "token")]
            token_ok = OR(NOT(tok_set), now >= tok)
            queued = {n.name: nx[nk(n.name, "queued")] for n in members}
            at = {n.name: nx[nk(n.name, "queued.at")] for n in members}
            fire = AND(has_interval, OR(*queued.values()), token_ok)
            int_changes.append(fire)
            nx[zk(z, "token.set")] = OR(tok_set, fire)
            nx[zk(z, "token")] = IF(fire, now + interval, tok)
            for node in members:
                n = node.name
                ahead = [
                    AND(queued[m.name], OR(at[m.name] < at[n], at[m.name] == at[n] if m.index < node.index else False))
                    for m in members
                    if m.name != n
                ]
                release = AND(fire, queued[n], NOT(OR(*ahead)))
                nx[nk(n, "queued")] = IF(release, False, queued[n])
                nx[nk(n, "queued.at")] = IF(release, 0, at[n])
                for k, cnd in ((TAINT_NOT_READY, R_FALSE), (TAINT_UNREACHABLE, R_UNKNOWN)):
                    var = nk(n, NE_VAR[k])
                    add = AND(release, ready[n] == cnd, NOT(nx[var]))
                    nx[nk(n, NE_VAR[k] + ".added")] = IF(add, now, nx[nk(n, NE_VAR[k] + ".added")])
                    nx[var] = IF(add, True, nx[var])
        # 6: NoSchedule taints follow the current conditions and spec.unschedulable
        for node in self.nodes:
            n = node.name
            nx[nk(n, "ns_not_ready")] = ready[n] == R_FALSE
            nx[nk(n, "ns_unreachable")] = ready[n] == R_UNKNOWN
            nx[nk(n, "ns_unschedulable")] = node.unschedulable
        due = True if self.always_due else (now % P.monitor_period) == 0
        guard = AND(NOT(c["ran.nodelifecycle"]), due, self.cm_active(c), self._changed(c, nx, int_changes))
        nx["ran.nodelifecycle"] = True
        return guard, nx

    # taint eviction controller -------------------------------------------------------------------------

    def _tainteviction(self, c: View) -> tuple[Any, View]:
        """``processPodOnNode`` for every present pod bound to a node and not yet marked
        DisruptionTarget (Terminating ones included), then the schedules of pods that are gone
        dropped."""
        nx = dict(c)
        now = c["now"]
        for info in self.pods:
            p = info.name
            present = c[pk(p, "present")]
            sched_set, sched = c[pk(p, "eviction.set")], c[pk(p, "eviction")]
            if not self.MOVABLE and info.node is None:
                # never bound: the controller leaves it alone while it exists
                nx[pk(p, "eviction.set")] = AND(present, sched_set)
                nx[pk(p, "eviction")] = IF(present, sched, 0)
                continue
            act = AND(present, NOT(self.unbound(c, info)), NOT(c[pk(p, "disruption_target")]))
            has, untolerated, finite, seconds = self._no_execute_delay(c, info, self.ctl_tol[p])
            tainted = OR(*has.values())
            timed = AND(tainted, NOT(untolerated), finite)  # a deletion is (or stays) scheduled
            due = IF(sched_set, sched, now + seconds)  # an existing schedule is kept
            fire = AND(timed, now >= due)
            waiting = AND(timed, now < due)
            evict = AND(act, OR(untolerated, fire))
            # untouched when not acted on, dropped when the pod is gone
            nx[pk(p, "eviction.set")] = IF(act, waiting, AND(present, sched_set))
            nx[pk(p, "eviction")] = IF(act, IF(waiting, due, 0), IF(present, sched, 0))
            nx[pk(p, "disruption_target")] = IF(evict, True, c[pk(p, "disruption_target")])
            self._api_delete(c, nx, info, evict)
        # every integer it writes goes with a flip of eviction.set, deleting.set or
        # disruption_target (a kept schedule keeps its time)
        guard = AND(NOT(c["ran.tainteviction"]), self.cm_active(c), self._changed(c, nx, []))
        nx["ran.tainteviction"] = True
        return guard, nx

    def _no_execute_delay(
        self, c: View, info: PodInfo, tol: dict[str, TolInfo]
    ) -> tuple[dict[str, Any], Any, Any, Num]:
        """The NoExecute condition taints of the pod's node in ``c`` (per key), and
        :func:`no_execute_delay` of them for tolerations ``tol``."""
        has = {k: OR(*[AND(self.on(c, info, n.name), c[nk(n.name, NE_VAR[k])]) for n in self.nodes]) for k in NE_KEYS}
        return (has, *no_execute_delay(has, tol))

    # clock --------------------------------------------------------------------------------------------

    def _clock(self, c: View) -> tuple[Any, View]:
        P = self.params
        nx = dict(c)
        now2 = c["now"] + P.step
        nx["now"] = now2
        for comp in self.components:
            nx[f"ran.{comp}"] = False
        up = self.apiserver_available(c)
        since = IF(c["cp.down_since.set"], c["cp.down_since"], c["now"])
        nx["cp.down_since.set"] = NOT(up)
        nx["cp.down_since"] = IF(up, 0, since)
        self._forget_memory(nx, AND(NOT(up), now2 - since >= P.renew_deadline))
        horizon = self.model.horizon
        guard = True if horizon is None else now2 <= horizon
        return guard, nx

    # faults, repairs, timeline -------------------------------------------------------------------------

    def _fault_specs(self) -> list[tuple[str, Callable[[View], tuple[Any, View]]]]:
        specs: list[tuple[str, Callable[[View], tuple[Any, View]]]] = []
        kinds = self.budget_kinds

        def fault(kind: str, tag: str, effect: Callable[[View, View], Any]) -> Callable[[View], tuple[Any, View]]:
            def build(c: View) -> tuple[Any, View]:
                nx = dict(c)
                applies = effect(c, nx)
                nx[f"budget.{kind}"] = c[f"budget.{kind}"] - 1
                if tag:  # deleting a pod or killing its containers leaves nothing to undo
                    nx[f"injected.{tag}"] = True
                return AND(c[f"budget.{kind}"] > 0, applies), nx

            return build

        def repair(tag: str, effect: Callable[[View, View], Any]) -> Callable[[View], tuple[Any, View]]:
            def build(c: View) -> tuple[Any, View]:
                nx = dict(c)
                applies = effect(c, nx)
                nx[f"injected.{tag}"] = False
                return AND(c[f"injected.{tag}"], applies), nx

            return build

        # the order of KubeModel._faults does not matter here: actions are a set
        for node in self.nodes:
            n = node.name
            if not node.control_plane:
                if "powerOffNode" in kinds:
                    specs.append((f"fault: power off {n}", fault("powerOffNode", f"off:{n}", self._power(n, False))))
                if "partitionNode" in kinds:
                    specs.append(
                        (f"fault: partition {n}", fault("partitionNode", f"partition:{n}", self._partition(n, True)))
                    )
            if "stopKubelet" in kinds:
                stop = self._kubelet_proc(n, False)

                def stop_when_powered(c: View, nx: View, n: str = n, stop: Any = stop) -> Any:
                    return AND(c[nk(n, "powered")], stop(c, nx))

                specs.append((f"fault: stop kubelet on {n}", fault("stopKubelet", f"kubelet:{n}", stop_when_powered)))
            if "stopRuntime" in kinds:
                halt = self._runtime(n, False)

                def halt_when_powered(c: View, nx: View, n: str = n, halt: Any = halt) -> Any:
                    return AND(c[nk(n, "powered")], halt(c, nx))

                specs.append(
                    (
                        f"fault: stop container runtime on {n}",
                        fault("stopRuntime", f"runtime:{n}", halt_when_powered),
                    )
                )
        if "stopComponent" in kinds:
            for x in CONTROL_PLANE_PROCESSES:
                specs.append(
                    (f"fault: stop {x}", fault("stopComponent", f"component:{x}", self._component((x,), False)))
                )
        for info in self.pods:
            if "deletePod" in kinds:
                specs.append((f"fault: kubectl delete pod {info.name}", fault("deletePod", "", self._delete_pod(info))))
            if "killPod" in kinds:
                specs.append((f"fault: kill containers of {info.name}", fault("killPod", "", self._kill_pod(info))))
        for tag in self.tags:
            kind, _, name = tag.partition(":")
            if kind == "off":
                specs.append((f"repair: power on {name}", repair(tag, self._power(name, True))))
            elif kind == "partition":
                specs.append((f"repair: heal {name}", repair(tag, self._partition(name, False))))
            elif kind == "kubelet":
                specs.append((f"repair: start kubelet on {name}", repair(tag, self._kubelet_proc(name, True))))
            elif kind == "runtime":
                specs.append((f"repair: start container runtime on {name}", repair(tag, self._runtime(name, True))))
            else:
                specs.append((f"repair: start {name}", repair(tag, self._component((name,), True))))
        return specs

    # Each effect writes its change into nx and returns when the fault applies (the fault
    # function would not return None).

    def _power(self, n: str, on: bool) -> Callable[[View, View], Any]:
        def effect(c: View, nx: View) -> Any:
            nx[nk(n, "powered")] = on
            for info in self.pods:
                there = self.on(c, info, n)
                nx[pk(info.name, "running")] = IF(there, False, nx[pk(info.name, "running")])
            if not on:
                self._forget_if_cm_lost(c, nx)
            return c[nk(n, "powered")] if not on else NOT(c[nk(n, "powered")])

        return effect

    def _delete_pod(self, info: PodInfo) -> Callable[[View, View], Any]:
        """``apiserver.delete_pod``: an unbound pod goes at once, a bound one turns Terminating."""

        def effect(c: View, nx: View) -> Any:
            p = info.name
            applies = AND(c[pk(p, "present")], NOT(c[pk(p, "deleting.set")]), self.apiserver_available(c))
            self._api_delete(c, nx, info, applies)
            return applies

        return effect

    def unbound(self, c: View, info: PodInfo) -> Any:
        """The pod has no node in ``c`` (a Python bool when pods cannot move)."""
        return c[pk(info.name, "node")] == -1 if self.MOVABLE else info.node is None

    def _api_delete(self, c: View, nx: View, info: PodInfo, when: Any, force: bool = False) -> None:
        """``apiserver.delete_pod`` of a present pod, where ``when`` holds: gone at once when
        forced or unbound, else Terminating from now (unless it already is)."""
        p = info.name
        gone = AND(when, OR(force, self.unbound(c, info)))
        self._remove_pod(nx, p, gone)
        graceful = AND(when, NOT(gone), NOT(c[pk(p, "deleting.set")]))
        nx[pk(p, "deleting.set")] = IF(graceful, True, nx[pk(p, "deleting.set")])
        nx[pk(p, "deleting")] = IF(graceful, c["now"], nx[pk(p, "deleting")])

    def _kill_pod(self, info: PodInfo) -> Callable[[View, View], Any]:
        """``faults.kill_pod``: the containers of a bound pod stop (the kubelet restarts them)."""

        def effect(c: View, nx: View) -> Any:
            p = info.name
            nx[pk(p, "running")] = False
            bound = OR(*[self.on(c, info, n.name) for n in self.nodes])
            return AND(c[pk(p, "present")], bound, c[pk(p, "running")])

        return effect

    def _partition(self, n: str, cut: bool) -> Callable[[View, View], Any]:
        def effect(c: View, nx: View) -> Any:
            nx[nk(n, "partitioned")] = cut
            return NOT(c[nk(n, "partitioned")]) if cut else c[nk(n, "partitioned")]

        return effect

    def _kubelet_proc(self, n: str, run: bool) -> Callable[[View, View], Any]:
        def effect(c: View, nx: View) -> Any:
            nx[nk(n, "kubelet")] = run
            return NOT(c[nk(n, "kubelet")]) if run else c[nk(n, "kubelet")]

        return effect

    def _runtime(self, n: str, run: bool) -> Callable[[View, View], Any]:
        """``faults.set_runtime``: the node's container runtime stops or starts."""

        def effect(c: View, nx: View) -> Any:
            nx[nk(n, "runtime")] = run
            return NOT(c[nk(n, "runtime")]) if run else c[nk(n, "runtime")]

        return effect

    def _component(self, names: tuple[str, ...], run: bool) -> Callable[[View, View], Any]:
        def effect(c: View, nx: View) -> Any:
            differs = []
            for x in names:
                nx[f"cp.{x}"] = run
                differs.append(NOT(c[f"cp.{x}"]) if run else c[f"cp.{x}"])
            self._forget_if_cm_lost(c, nx)
            return OR(*differs)

        return effect

    def _timeline_event(self, c: View, i: int, ev: Any) -> tuple[Any, View]:
        """``kmodel.timeline.perform`` for the fault verbs: the change when it applies, else
        nothing (the Python model records "no change"); the timeline moves on either way."""
        nx = dict(c)
        changed = dict(c)
        applies = self._timeline_effect(ev)(c, changed)
        for v in self.schema:
            nx[v] = IF(applies, changed[v], c[v])
        nx["next_event"] = i + 1
        return True, nx

    def _timeline_effect(self, ev: Any) -> Callable[[View, View], Any]:
        """What a timeline event does, as an effect (writes nx, returns when it applies)."""
        kind, name = ev.kind, ev.name
        if ev.verb in ("stop", "start"):
            on = ev.verb == "start"
            if kind == "node":
                return self._power(name, on)
            if kind == "kubelet":
                return self._kubelet_proc(name, on)
            if kind == "runtime":
                return self._runtime(name, on)
            return self._component(CONTROL_PLANE_PROCESSES if kind == "control-plane" else (kind,), on)
        return self._partition(name, ev.verb == "partition")

    # -- checks on concrete states (the agreement test and replay use them) ------------------------------

    def python_successors(self, state: CheckState) -> dict[str, set[tuple[tuple[str, int | bool], ...]]]:
        """Python side: action name -> the projections of its successors."""
        out: dict[str, set[tuple[tuple[str, int | bool], ...]]] = {}
        for tr in self.model.transitions(state):
            out.setdefault(action_name(state, tr), set()).add(_frozen(self.project(tr.state)))
        return out


def no_execute_delay(has: dict[str, Any], tol: dict[str, TolInfo]) -> tuple[Any, Any, Num]:
    """How a pod with tolerations ``tol`` answers the NoExecute condition taints ``has`` (key ->
    present), by ``GetMatchingTolerations`` and ``getMinTolerationTime``: (some present taint
    is not tolerated, some present taint has a timed toleration -- else they are tolerated
    forever --, the smallest of those times, meaningful when there is one)."""
    untolerated = OR(*[AND(has[k], NOT(tol[k].tolerated)) for k in NE_KEYS])
    timed = [k for k in NE_KEYS if tol[k].tolerated and tol[k].seconds is not None]
    finite = OR(*[has[k] for k in timed])
    seconds: Num = 0
    if len(timed) == 1:
        seconds = tol[timed[0]].seconds
    elif len(timed) == 2:
        a, b = (tol[k].seconds for k in timed)
        seconds = IF(AND(has[timed[0]], has[timed[1]]), MIN(a, b), IF(has[timed[0]], a, b))
    return untolerated, finite, seconds


def _opt(out: dict[str, int | bool], key: str, value: int | None) -> None:
    out[key + ".set"] = value is not None
    out[key] = value if value is not None else 0


_POD_VARIABLE = frozenset(
    {
        "phase",
        "ready",
        "containers_ready",
        "deletion_timestamp",
        "restarts",
        "ready_since",
        "disruption_target",
    }
)


def _constant_pod(p: Pod) -> tuple[Any, ...]:
    return tuple(getattr(p, f.name) for f in attrs.fields(Pod) if f.name not in _POD_VARIABLE)


def _frozen(values: dict[str, int | bool]) -> tuple[tuple[str, int | bool], ...]:
    return tuple(sorted(values.items()))


class Enumerator:
    """Z3 side of the agreement check: for a concrete current state, every successor each action
    admits, found by enumerating models with blocking clauses (at most ``limit`` per action, so
    a missing frame condition shows as more than one successor instead of looping)."""

    def __init__(self, sl: Slice, form: str = "actions", limit: int = 4) -> None:
        """``form``: ``"actions"`` checks :meth:`Slice.actions` (the disjunction of named
        actions); ``"compact"`` checks :meth:`Slice.compact` on frames with the invariants of
        :meth:`Slice.invariants` folded in, exactly what the bounded model checker unrolls."""
        self.slice = sl
        self.limit = limit
        self.solver = z3.Solver()
        self.selectors = {name: z3.Bool(f"select[{name}]") for name in sl.action_names}
        if form == "actions":
            self.cur, self.nxt = sl.cur, sl.nxt
            for name, formula in sl.actions(self.cur, self.nxt).items():
                self.solver.add(z3.Implies(self.selectors[name], formula))
        elif form == "compact":
            fixed = sl.invariants()
            self.cur, self.nxt = sl.frame("cur", fixed), sl.frame("nxt", fixed)
            self.solver.add(*sl.compact(self.cur, self.nxt, self.selectors))
        else:
            raise ValueError(f"unknown form {form!r}")
        for c in sl.params.constraints():
            self.solver.add(c)
        self._eqs: dict[tuple[int, str, int | bool], z3.BoolRef] = {}
        # the constants a model is read for: the next frame's variables and the selectors
        self._read = {f"{k}@{self.nxt.frame}": v for k, v in self.nxt.vars.items() if k not in self.nxt.fixed}
        self._read.update({f"select[{name}]": sel for name, sel in self.selectors.items()})

    def _eq(self, frame: SymState, name: str, value: int | bool) -> z3.BoolRef:
        """``frame[name] == value``, built once (states repeat most values)."""
        key = (id(frame), name, value)
        hit = self._eqs.get(key)
        if hit is None:
            var = frame[name]
            hit = var == (z3.BoolVal(value) if isinstance(value, bool) else z3.IntVal(value))
            self._eqs[key] = hit
        return hit

    def successors(self, values: dict[str, int | bool]) -> dict[str, set[tuple[tuple[str, int | bool], ...]]]:
        """Every (action, successor) the relation admits from ``values``: models of "some
        selector" are enumerated, each one blocking the pairs it shows, until none is left (an
        action with ``limit`` successors is excluded from then on)."""
        out: dict[str, set[tuple[tuple[str, int | bool], ...]]] = {}
        solver = self.solver
        solver.push()
        try:
            if any(values[k] != v for k, v in self.cur.fixed.items()):
                return out  # breaks an invariant: no successor in this form
            solver.add(fast_and([self._eq(self.cur, k, v) for k, v in values.items() if k not in self.cur.fixed]))
            solver.add(z3.Or(*self.selectors.values()))
            for _ in range(self.limit * len(self.selectors) + 1):
                r = solver.check()
                if r == z3.unknown:
                    raise RuntimeError(f"z3 gave up: {solver.reason_unknown()}")
                if r == z3.unsat:
                    break
                given = model_values(solver.model(), self._read)
                vals = self.nxt.values(given)
                same = fast_and([self._eq(self.nxt, k, v) for k, v in vals.items() if k not in self.nxt.fixed])
                for name, sel in self.selectors.items():
                    if given.get(f"select[{name}]", False):
                        found = out.setdefault(name, set())
                        found.add(_frozen(vals))
                        solver.add(z3.Not(z3.And(sel, same)))
                        if len(found) >= self.limit:
                            solver.add(z3.Not(sel))
        finally:
            solver.pop()
        return out


def agreement(sl: Slice, state: CheckState, enumerator: Enumerator | None = None) -> list[str]:
    """Differences between the Python slice and its encoding at ``state`` (empty: they agree):
    for every action, the successors' projections must be the same sets."""
    enumerator = enumerator or Enumerator(sl)
    return successor_differences(sl, sl.python_successors(state), enumerator.successors(sl.project(state)))


Successors = dict[str, set[tuple[tuple[str, int | bool], ...]]]


def successor_differences(sl: Slice, py: Successors, zz: Successors, tag: str = "") -> list[str]:
    """Per action, where the Python successors ``py`` and the Z3 ones ``zz`` differ (each line
    starts with ``tag``)."""
    problems = []
    for name in sorted(set(py) | set(zz)):
        if name not in sl.action_names:
            problems.append(f"{tag}Python action {name!r} has no counterpart in the encoding")
            continue
        a, b = py.get(name, set()), zz.get(name, set())
        if a != b:
            problems.append(tag + _describe(name, a, b))
    return problems


def _describe(name: str, py: set[Any], zz: set[Any]) -> str:
    if not py:
        return f"{name}: Z3 admits {len(zz)} successor(s), Python none"
    if not zz:
        return f"{name}: Python has {len(py)} successor(s), Z3 admits none"
    a, b = dict(next(iter(py))), dict(next(iter(zz)))
    diff = {k: (a.get(k), b.get(k)) for k in a if a.get(k) != b.get(k)}
    return f"{name}: Python {len(py)} successor(s), Z3 {len(zz)}; first differ at (python, z3) {diff}"
