"""The workload slice: the node-health slice plus kube-scheduler and the Deployment, ReplicaSet
and endpoints controllers.

:class:`WorkloadSlice` extends :class:`kmodel.smt.nodehealth.Slice` so that pods come and go and
get bound: the Deployment controller scales a Deployment's ReplicaSet to spec.replicas, or rolls
it out to a new one (see below), and keeps its status and conditions
(:mod:`kmodel.smt.deploymentsync` is its sync over terms), the ReplicaSet controller creates the
pods it misses and deletes its surplus (``ActivePodsWithRanks`` order, with the log-scale age
ranks as sums of threshold comparisons, and the pods of all the Deployment's ReplicaSets
counted per node),
kube-scheduler binds them one at a time, the kubelets start them, the endpoints controller lists
the ready ones, and everything the node-health slice does to pods (marking them not ready,
evicting them, removing them, the ``deletePod`` / ``killPod`` faults) applies to them wherever
they are bound. The timeline may also scale Deployments or ReplicaSets, delete or kill pods (by
name or glob), ``apply`` files of Deployments and ``set image`` of a Deployment (see below).
Its Python side is :class:`WorkloadModel`: the checker's model with pod GC and the garbage
collector switched off after settling. On the scenarios the slice accepts neither of them ever
acts (no node is deleted or carries the out-of-service taint, no owner is deleted, no pod is
Terminating without a node), so the workload slice *is* the whole model there:
tests/test_smt_workload.py compares the transitions of both on random runs, and
tests/test_smt_workload_requests.py on runs of scenarios with resource requests.

The universe of pods is bounded: the pods of the settled state, and for every ReplicaSet the next
``pod_slots`` pods it would create, whose names are known in advance (``<rs>-<suffix>`` from the
ReplicaSet's counter, :func:`kmodel.components.replicaset.new_pod`). A pod variable's ``node`` is
the index of the node it is bound to (-1: none), ``created`` its creation time, ``attempted``
whether the scheduler already tried it in this tick (``Cluster.sched_attempted``); a ReplicaSet
has ``next_pod`` (its name counter) and its status counts.

A timeline ``apply`` writes spec.replicas of every Deployment in its file, provided the apiserver
is available (else kubectl is refused and nothing changes). A Deployment it names that the
initial cluster lacks is *late*: the slice knows in advance the spec it will have and the
ReplicaSet the Deployment controller will create for it (``new_replicaset_for``, so its pod
names too), and gives both an ``exists`` flag, with every other variable 0 while it is false.
The apply sets the Deployment's flag; the Deployment controller's first sync of it sets the
ReplicaSet's and, the ReplicaSet having no older siblings, creates it at spec.replicas in the same
step, as the Python controller does. The late ReplicaSet's pod slots start at counter 0, and the
scheduler's spread selectors for them are those of a cluster that has the ReplicaSet (their pods
only exist once it does).

An ``apply`` that changes the template of a Deployment of the settled state is a *rollout*
(so is a ``kubectl set image`` of one: the template kubectl writes is computed on the settled
state when the slice is built)
(:class:`Rollout`): the slice knows the new ReplicaSet the Deployment controller will create
(``new_replicaset_for`` with the next revision: its name and pod names), gives it an ``exists``
flag like a late one, and the Deployment a flag ``updated`` (it has the new template). Before the
apply the Deployment syncs as one with a single ReplicaSet; after it, as ``rolloutRolling`` does
(rolling.go's order: create the new ReplicaSet at ``NewRSNewReplicas``, grow it within replicas
+ maxSurge and end the sync if it grew, else clean up the old one's unavailable replicas and
scale it down while the available pods stay at or above replicas - maxUnavailable), with the
maxSurge, maxUnavailable and progress deadline of the new spec. One rollout per Deployment, of a
Deployment whose spec.replicas no event changes, is encoded; the rest is refused (below).

kube-scheduler is one action per target node, ``scheduler/<node>`` (a tie between nodes gives
several enabled actions, as the Python scheduler gives several successors), plus ``scheduler``
for a pod that fits nowhere (tried, left Pending). The encoding mirrors
:mod:`kmodel.components.scheduler`: the queue head (oldest pod, then name, not yet tried this
tick), the filters (NodeUnschedulable, TaintToleration against the node lifecycle controller's
taint variables and the node's other taints, NodeAffinity by nodeSelector, NodeResourcesFit: the
pod count, and the cpu and memory the pod requests against what the pods bound to the node
request, Terminating ones included until they are gone) and the scores that can tell nodes apart
for the pods it supports (:class:`NodeLoad` is what they add up per node):

- LeastAllocated, in integer arithmetic as the model computes it, on the non-zero requests
  (the defaults for a pod that requests nothing);
- BalancedAllocation, for a pod that requests cpu or memory: the model computes floor((1 -
  |f_cpu - f_mem| / 2) * 100) in floats, f = min(1, requested / capacity) (100 when a capacity
  is 0, as only one fraction is left). The encoding is the
  exact rational value in integers (:func:`balanced_exact`) plus a table of the points where
  the float one differs from it (where 100 - 50 |f_cpu - f_mem| is an integer or within a few
  ulps of one); every (requested cpu, requested memory) the slice's pods can add up to on a
  node the pod fits is enumerated when the slice is built and the model's function evaluated
  on each (:meth:`WorkloadSlice.balanced_table`), so the encoding is the model's score on every
  state of the slice;
- PodTopologySpread's system default hostname constraint, whose float weight ``log(domains +
  2)`` and rounding are tabulated in Python for every number of feasible nodes and matching pods
  (so the encoding rounds exactly as the model does).

Anything the encoding cannot represent is refused up front with :class:`SliceError`:
PreferNoSchedule taints, zone labels, requests so varied that they make more than
``BALANCED_POINTS_MAX`` different sums on a node, two nodes with one hostname, a
Deployment with several ReplicaSets in the settled state, objects that ControllerRef would adopt
or release (an orphan pod matching a ReplicaSet's selector, an orphan ReplicaSet matching a
Deployment's, an owned object its owner's selector does not match), an ``apply`` of anything but
Deployments, and of rollouts: the Recreate strategy, paused Deployments, a second template change
of one Deployment (or a rollback), a template change of a Deployment the timeline creates, a
selector change, a change of maxSurge, maxUnavailable, strategy, revisionHistoryLimit,
progressDeadlineSeconds or paused without a new template, a spec.replicas change (scale or
apply) of a Deployment that rolls out (proportional scaling), and revisionHistoryLimit 0 on one
(clean-up would delete the old ReplicaSet). The
properties' encodings in :mod:`kmodel.smt.bmc` read late Deployments too
(:meth:`WorkloadSlice.deployment_of`, :attr:`WorkloadSlice.late_deployments`). What a run can reach but the
encoding cannot represent shows as the variable ``unencoded``: the ReplicaSet controller would
need a pod slot beyond ``pod_slots``, or (in a scenario where no spec.replicas can go down, so the
deletion ranking is left out of the formulas) would have a surplus to delete, which cannot happen
there. The bounded model checker reports a run that reaches ``unencoded`` as inconclusive, naming
the fix (more slots), so the bound is never silently an assumption.

Deliberately broken components of tests/broken.py are options of the same encoding:
``scheduler="ignoring-taints"`` (:func:`scheduler_ignoring_taints`), ``scheduler="rebinding"``
(``scheduler_rebinding_from_unready_nodes``), ``replicaset_extra=1``
(``replicaset_one_too_many``), ``replicaset_counting_terminating=True``, ``deployment_ignoring_surge=True``
(``deployment_ignoring_max_surge``) and ``deployment_ignoring_unavailable=True``
(``deployment_ignoring_max_unavailable``); the node-health
slice's ``kubelet_keeps_deleted=True`` is ``kubelet_never_finishing_deletions``.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable
from typing import Any

import attrs
from attrs import frozen

from kmodel import useractions
from kmodel.checkmodel import CheckState
from kmodel.components import apiserver, replicaset
from kmodel.components import deployment as deployment_controller
from kmodel.components import scheduler as kube_scheduler
from kmodel.model import CONTROLLERS
from kmodel.smt import deploymentsync as ds
from kmodel.smt.nodehealth import (
    AND,
    IF,
    MIN,
    NOT,
    OR,
    OWN_TAINTS,
    R_TRUE,
    SLICE_CONTROLLERS,
    SUM,
    NodeInfo,
    PodInfo,
    Slice,
    SliceError,
    SliceModel,
    View,
    _constant_pod,
    nk,
    pk,
)
from kmodel.state import (
    LABEL_HOSTNAME,
    LABEL_ZONE,
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    TAINT_OUT_OF_SERVICE,
    Cluster,
    Deployment,
    Pod,
    ReplicaSet,
    Resources,
    Taint,
    label,
    selector_matches,
)

WHERE = "kmodel.smt workload slice"
DEFAULT_POD_SLOTS = 4  # pods each ReplicaSet may create in one run
WORKLOAD_CONTROLLERS = (*SLICE_CONTROLLERS, "deployment", "replicaset", "endpoints")
# timeline verbs besides the node-health slice's fault verbs
WORKLOAD_VERBS = ("scale", "delete", "kill", "apply", "set")
LOG_RANK_BITS = 63  # Go's time.Duration is an int64 of nanoseconds
SCHEDULER_VARIANTS = ("real", "ignoring-taints", "rebinding")
# the most (cpu, memory) request sums BalancedAllocation's table may cover on one node
BALANCED_POINTS_MAX = 200_000


def DIV(a: Any, b: int) -> Any:
    """Floor division by a positive constant (both operands non-negative where it is used)."""
    return a // b if isinstance(a, int) else a / b


def balanced_exact(cpu: Any, memory: Any, cap_cpu: int, cap_mem: int) -> Any:
    """NodeResourcesBalancedAllocation in exact arithmetic, for positive capacities and
    requests already capped at them: the fractions f = requested / capacity, std = |f_cpu -
    f_mem| / 2, and the score floor((1 - std) * 100) = 100 - ceil(100 * |d| / (2 * lcm)), where
    d is the difference of the fractions over the common denominator lcm. Integers in, integer
    out (a Z3 term for Z3 terms)."""
    lcm = math.lcm(cap_cpu, cap_mem)
    d = cpu * (lcm // cap_cpu) - memory * (lcm // cap_mem)
    dist = IF(d >= 0, d, -d)
    return kube_scheduler.MAX_NODE_SCORE - DIV(kube_scheduler.MAX_NODE_SCORE * dist + 2 * lcm - 1, 2 * lcm)


def _same_owner(a: str | None, b: str | None) -> bool:
    return a is not None and a == b


def _refuse(message: str, fix: str) -> SliceError:
    return SliceError(message, where=WHERE, fix=fix)


class WorkloadModel(SliceModel):
    """The Python side of the workload slice: the node-health slice's model with kube-scheduler
    and the ReplicaSet controller running too."""

    OFF = tuple(c.name for c in CONTROLLERS if c.name not in (*WORKLOAD_CONTROLLERS, "scheduler"))


def rk(rs: str, field: str) -> str:
    return f"rs/{rs}.{field}"


def dk(dep: str, field: str) -> str:
    return f"deployment/{dep}.{field}"


def ek(svc: str, pod: str) -> str:
    """The pod is one of the Service's ready endpoints."""
    return f"svc/{svc}.ep/{pod}"


@frozen
class RSInfo:
    name: str
    # its Deployment when that is in the initial cluster; None for a ReplicaSet without one and
    # for a late one (created for a Deployment applied mid-run: WorkloadSlice.late_rs names it)
    owner: str | None
    first: int  # the counter value of the first slot
    slots: tuple[str, ...]  # the names of its next pods, in creation order
    owned: tuple[str, ...]  # every pod of the universe it owns (settled ones and slots)
    revision: int = 0  # constant in the slice (no rollback renumbers it)


@frozen
class PodClass:
    """What the scheduler reads of a pod besides its name and age: pods of one template share it."""

    tolerations: tuple[Any, ...]
    node_selector: tuple[Any, ...]
    spread: tuple[str, ...]  # the pods its default spread selector matches
    cpu: int = 0  # resources.requests, as declared (0: none)
    memory: int = 0


@frozen
class NodeLoad:
    """What the scheduler adds up over the pods it sees bound to a node (terminating ones
    included, as ``scheduler.node_usage``): how many, their declared cpu and memory requests,
    and the same with the non-zero defaults LeastAllocated scores with."""

    count: Any
    cpu: Any
    memory: Any
    nonzero_cpu: Any
    nonzero_memory: Any


@frozen
class BalancedTable:
    """NodeResourcesBalancedAllocation for one pod class on one node whose cpu and memory
    capacities are both positive (:meth:`WorkloadSlice.balanced_table`). ``exceptions`` maps
    (requested cpu, requested memory), each capped at the capacity, to the model's float score
    where it differs from the exact rational one; ``points`` is how many such pairs the pods of
    the slice can make on a node that passes NodeResourcesFit."""

    exceptions: tuple[tuple[tuple[int, int], int], ...]
    points: int


@frozen
class LateDeployment:
    """A Deployment that a timeline ``apply`` creates mid-run (absent from the initial cluster)."""

    deployment: Deployment  # as the first apply creates it (status 0)
    replicaset: ReplicaSet  # the one the Deployment controller then creates for it


@frozen
class Rollout:
    """A Deployment of the settled state whose template a timeline ``apply`` changes: a rolling
    update from its one ReplicaSet (``old``) to the one the Deployment controller creates for
    the new template (``new``, absent until then). ``dk(name, "updated")`` says whether the
    Deployment has the new template yet."""

    before: Deployment  # the settled spec (status 0)
    after: Deployment  # the spec once the apply has changed the template (status 0)
    old: str  # the settled ReplicaSet
    new: ReplicaSet  # the new one, as the controller creates it (replicas 0)


DEPLOYMENT_FIELDS = ("replicas", "status_updated", "status_ready", "status_available", "status_replicas")
# the Deployment's status variables, in the order of deploymentsync.Status
DEPLOYMENT_STATUS_VARS = (
    "status_updated",
    "status_ready",
    "status_available",
    "status_replicas",
    "revision",
    "progressing",
    "progress_time.set",
    "progress_time",
    "available_cond",
)
RS_FIELDS = ("replicas", "next_pod", "status_replicas", "status_ready", "status_available")
# the deployment.kubernetes.io/desired-replicas and max-replicas annotations (both or neither)
RS_ANNOTATIONS = ("annotated", "desired", "max")


def _deployment_spec(d: Deployment) -> Deployment:
    """The Deployment without spec.replicas and its status (what the slice keeps as variables)."""
    return attrs.evolve(
        d,
        **dict.fromkeys(DEPLOYMENT_FIELDS, 0),
        revision=0,
        progressing="",
        progressing_reason="",
        progress_time=None,
        available="",
    )


def _rollout_fields(d: Deployment) -> tuple[Any, ...]:
    """What an apply may change only together with the template, as a rollout (the selector:
    not at all; apply keeps the object's)."""
    return (
        d.selector,
        d.template,
        d.max_surge,
        d.max_unavailable,
        d.strategy,
        d.revision_history_limit,
        d.progress_deadline_seconds,
        d.paused,
    )


class WorkloadSlice(Slice):
    """The encoding of a :class:`WorkloadModel`; see the module docstring. ``pod_slots`` is how
    many pods each ReplicaSet may create; ``scheduler`` and ``replicaset_extra`` select the
    deliberately broken variants."""

    MOVABLE = True
    WHERE = WHERE
    VERBS_TEXT = (
        "stop/start of nodes, kubelets, container runtimes and control-plane processes, partition/heal, scale, "
        "delete pod, kill pod, apply of Deployments, set image"
    )

    def __init__(
        self,
        model: WorkloadModel,
        *,
        pod_slots: int = DEFAULT_POD_SLOTS,
        scheduler: str = "real",
        replicaset_extra: int = 0,
        replicaset_counting_terminating: bool = False,
        deployment_ignoring_surge: bool = False,
        deployment_ignoring_unavailable: bool = False,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, WorkloadModel):
            raise _refuse(
                f"expected a WorkloadModel, got {type(model).__name__}",
                "build the Python side with kmodel.smt.workload.WorkloadModel(scenario, faults=...)",
            )
        if scheduler not in SCHEDULER_VARIANTS:
            raise _refuse(f"unknown scheduler variant {scheduler!r}", f"use one of {', '.join(SCHEDULER_VARIANTS)}")
        if pod_slots < 0:
            raise _refuse(f"pod_slots {pod_slots} is negative", "give 0 or more")
        self.pod_slots = pod_slots
        self.scheduler_variant = scheduler
        self.replicaset_extra = replicaset_extra
        self.replicaset_counting_terminating = replicaset_counting_terminating
        self.deployment_ignoring_surge = deployment_ignoring_surge
        self.deployment_ignoring_unavailable = deployment_ignoring_unavailable
        # set by _check_scope: the Deployments the timeline applies mid-run (by name), their
        # ReplicaSets (name -> Deployment), and whether any spec.replicas can go down
        self.late: dict[str, LateDeployment] = {}
        self.late_rs: dict[str, str] = {}
        # the Deployments the timeline rolls out (by name), and every ReplicaSet the Deployment
        # controller creates mid-run (for a late Deployment or a rollout) by name
        self.rollouts: dict[str, Rollout] = {}
        self.late_replicasets: dict[str, ReplicaSet] = {}
        self.rolling_sets: set[str] = set()  # the set image events (by text) that start a rollout
        self.scales = False
        super().__init__(model, **kwargs)
        # the scheduler's view of the pods' owners: late pods exist only while their
        # ReplicaSet does, so their spread selectors are those of the cluster that has it
        c = self.init_state.cluster
        for late_rs in self.late_replicasets.values():
            c = c.with_replicaset(late_rs)
        self.classes: dict[str, PodClass] = {}
        for info in self.pods:
            selector = kube_scheduler.default_spread_selector(c, info.pod)
            spread = tuple(q.name for q in self.pods if selector_matches(selector, q.pod.labels))
            want = kube_scheduler.pod_request(info.pod)
            self.classes[info.name] = PodClass(
                info.pod.tolerations, info.pod.node_selector, spread, want.cpu, want.memory
            )
        # BalancedAllocation's float score, where it is not the exact rational one, for every
        # pod class with requests and every node (see balanced_table)
        self.balanced: dict[tuple[PodClass, str], BalancedTable] = {}
        for cls in dict.fromkeys(self.classes.values()):
            if cls.cpu or cls.memory:
                for node in self.nodes:
                    table = self.balanced_table(cls, node.name)
                    if table is not None:
                        self.balanced[cls, node.name] = table
        # PodTopologySpread's raw hostname score, round(m * log(d + 2) + (maxSkew - 1)), for d
        # feasible nodes and m matching pods on the node, computed as the model computes it
        skew = dict(kube_scheduler.DEFAULT_SPREAD_CONSTRAINTS)[LABEL_HOSTNAME]
        self.spread_table = {
            (d, m): round(0.0 + (m * math.log(d + 2) + (skew - 1)))
            for d in range(1, len(self.nodes) + 1)
            for m in range(len(self.pods) + 1)
        }

    # -- universe and scope -------------------------------------------------------------------------

    def _pod_universe(self, c: Cluster) -> tuple[PodInfo, ...]:
        pods = list(super()._pod_universe(c))
        self._add_slots(c, pods)
        # the pods each Service's selector matches (labels are constant)
        self.selected = {
            svc.name: tuple(p.name for p in pods if selector_matches(svc.selector, p.pod.labels)) for svc in c.services
        }
        return tuple(pods)

    def _add_slots(self, c: Cluster, pods: list[PodInfo]) -> None:
        taken = {p.name for p in c.pods}
        infos = []
        for rs in (*c.replicasets, *self.late_replicasets.values()):
            names = []
            cur = rs
            for _ in range(self.pod_slots):
                first = cur.next_pod
                pod, cur = replicaset.new_pod(cur, 0, lambda name: name in taken)
                if cur.next_pod != first + 1:
                    raise _refuse(
                        f"replicaset {rs.name}'s next pod name is taken", "start from a state without name clashes"
                    )
                admitted = apiserver.default_tolerations(attrs.evolve(pod, created=0), c)
                pods.append(PodInfo(admitted.name, None, admitted))
                names.append(admitted.name)
                taken.add(admitted.name)
            owned = tuple(
                p.name
                for p in pods
                if p.pod.owned_by("ReplicaSet", rs.name) and selector_matches(rs.selector, p.pod.labels)
            )
            owner = None if rs.name in self.late_rs else rs.owner
            infos.append(RSInfo(rs.name, owner, rs.next_pod, tuple(names), owned, rs.revision))
        self.replicasets = tuple(infos)
        self.rs_by_name = {info.name: info for info in infos}
        # each Deployment without a rollout: its one ReplicaSet
        self.rs_of = {d: info.name for info in infos if (d := self.deployment_of(info)) is not None}

    def deployment_of(self, rs: RSInfo) -> str | None:
        """The Deployment that owns ``rs``, late or not (``rs.owner`` is None for a late one)."""
        return rs.owner if rs.owner is not None else self.late_rs.get(rs.name)

    @property
    def late_deployments(self) -> tuple[Deployment, ...]:
        """The Deployments the timeline applies mid-run, as first applied (spec.replicas is a
        variable: :meth:`deployment_replicas`; ``dk(name, "exists")`` says whether it is there)."""
        return tuple(late.deployment for late in self.late.values())

    def deployment_names(self) -> list[str]:
        """Every Deployment the encoding has variables for: the initial ones, then the late ones."""
        return [d.name for d in self.init_state.cluster.deployments] + list(self.late)

    def _controllers(self) -> tuple[str, ...]:
        return WORKLOAD_CONTROLLERS

    def _check_scope(self) -> None:
        super()._check_scope()
        c = self.init_state.cluster
        hostnames = [label(n.labels, LABEL_HOSTNAME) for n in c.nodes]
        if None in hostnames or len(set(hostnames)) != len(hostnames):
            raise _refuse(
                "nodes without a hostname label, or sharing one", "give every node its own kubernetes.io/hostname"
            )
        for n in c.nodes:
            if label(n.labels, LABEL_ZONE) is not None:
                raise _refuse(
                    f"node {n.name} has a zone label (PodTopologySpread's zone scoring is not encoded)",
                    "leave topology.kubernetes.io/zone off the nodes, or check with --engine explore",
                )
            if any(t.effect == PREFER_NO_SCHEDULE for t in n.taints):
                raise _refuse(
                    f"node {n.name} has a PreferNoSchedule taint (TaintToleration scoring is not encoded)",
                    "remove PreferNoSchedule taints, or check with --engine explore",
                )
        for w in (*c.deployments, *c.replicasets):
            if w.min_ready_seconds:
                raise _refuse(
                    f"{type(w).__name__.lower()} {w.name} has minReadySeconds {w.min_ready_seconds} (not encoded)",
                    "leave spec.minReadySeconds out, or check with --engine explore",
                )
        for svc in c.services:
            if svc.publish_not_ready_addresses:
                raise _refuse(
                    f"service {svc.name} publishes not-ready addresses (publishNotReadyAddresses is not encoded)",
                    "leave spec.publishNotReadyAddresses out, or check with --engine explore",
                )
        # pod GC and the garbage collector are off here: refuse what would make them act
        deps = {d.name for d in c.deployments}
        rss = {rs.name for rs in c.replicasets}
        for n in c.nodes:
            if any(t.key == TAINT_OUT_OF_SERVICE for t in n.taints):
                raise _refuse(
                    f"node {n.name} has the out-of-service taint (pod GC's force deletion is not encoded)",
                    "remove the taint, or check with --engine explore",
                )
        for rs in c.replicasets:
            if rs.owner is not None and rs.owner not in deps:
                raise _refuse(f"replicaset {rs.name}'s Deployment is gone", "start from a settled scenario")
        for p in c.pods:
            if p.owner is not None and p.owner not in rss:
                raise _refuse(f"pod {p.name}'s ReplicaSet is gone", "start from a settled scenario")
        for d in c.deployments:
            mine = [rs for rs in c.replicasets if rs.owner == d.name]
            if len(mine) != 1 or mine[0].replicas != d.replicas:
                raise _refuse(
                    f"deployment {d.name} has {len(mine)} ReplicaSets or is mid-scale in the settled state "
                    "(the slice encodes a rollout that a timeline apply starts, not one already under way)",
                    "start from a settled scenario with one ReplicaSet per Deployment",
                )
        for i, ev in enumerate(self.model.timeline):
            if any(getattr(m.obj, "min_ready_seconds", 0) for m in getattr(ev, "manifests", ())):
                raise _refuse(
                    f"timeline event {ev.text!r} applies a workload with minReadySeconds (not encoded)",
                    f"leave spec.minReadySeconds out, or check with --engine explore (timeline[{i}])",
                )
            if ev.verb == "scale" and ev.kind not in ("deployment", "replicaset"):
                raise _refuse(f"timeline event {ev.text!r} scales a {ev.kind}", f"scale Deployments (timeline[{i}])")
            if ev.verb == "delete" and ev.kind != "pod":
                raise _refuse(
                    f"timeline event {ev.text!r} deletes a {ev.kind} (only pod deletion is encoded)",
                    f"delete pods only, or check with --engine explore (timeline[{i}])",
                )
        self._scope_applies()
        self._scope_strategies()
        self._scope_controller_refs()

    def _scope_strategies(self) -> None:
        """What :mod:`kmodel.smt.deploymentsync` leaves out, in the settled Deployments and in
        every Deployment the timeline applies: Recreate, pause, and a revisionHistoryLimit of 0
        on a Deployment that rolls out (clean-up would delete its old ReplicaSet)."""
        c = self.init_state.cluster
        applied = [
            (f"timeline event {ev.text!r} applies", m.obj)
            for ev in self.model.timeline
            if ev.verb == "apply"
            for m in ev.manifests
        ]
        fix = "use an unpaused RollingUpdate Deployment, or check with --engine explore"
        for where, d in [("the settled state has", d) for d in c.deployments] + applied:
            if d.strategy != deployment_controller.ROLLING:
                raise _refuse(f"{where} deployment {d.name} with the {d.strategy} strategy (not encoded)", fix)
            if d.paused:
                raise _refuse(f"{where} deployment {d.name} paused (paused Deployments are not encoded)", fix)
            if d.name in self.rollouts and d.revision_history_limit == 0:
                raise _refuse(
                    f"{where} deployment {d.name} with revisionHistoryLimit 0, which the timeline rolls out "
                    "(revision history clean-up would delete its old ReplicaSet: not encoded)",
                    "leave spec.revisionHistoryLimit at 1 or more, or check with --engine explore",
                )
        for name, ro in self.rollouts.items():
            old, settled = c.replicaset(ro.old), c.deployment(name)
            assert old is not None and settled is not None
            if old.desired_replicas not in (None, settled.replicas):
                raise _refuse(
                    f"replicaset {old.name}'s desired-replicas annotation is not its Deployment's spec.replicas "
                    "(a scaling event during a rollout: not encoded)",
                    "start from a settled scenario",
                )

    def _scope_controller_refs(self) -> None:
        """``ClaimPods`` / ``ClaimReplicaSets`` (adopting orphans whose labels match a selector,
        releasing owned objects whose labels do not) are not encoded: refuse a scenario where
        they would act. Labels and selectors are constant in the slice, so looking at the
        settled state and the Deployments the timeline applies is enough."""
        c = self.init_state.cluster
        fix = "give every object a controller that selects it, or check with --engine explore"
        rss = [*c.replicasets, *self.late_replicasets.values()]
        deps = [*c.deployments, *(late.deployment for late in self.late.values())]
        by_rs = {rs.name: rs for rs in rss}
        by_dep = {d.name: d for d in deps}
        for p in c.pods:
            if not p.active:
                continue  # ClaimPods looks at active pods only
            if p.owner is None:
                rs = next((rs for rs in rss if selector_matches(rs.selector, p.labels)), None)
                if rs is not None:
                    raise _refuse(
                        f"pod {p.name} has no owner and matches replicaset {rs.name}'s selector "
                        "(ControllerRef adoption is not encoded)",
                        fix,
                    )
            elif (owner := by_rs.get(p.owner)) is not None and not selector_matches(owner.selector, p.labels):
                raise _refuse(
                    f"pod {p.name} no longer matches its replicaset {owner.name}'s selector "
                    "(ControllerRef release is not encoded)",
                    fix,
                )
        for rs in c.replicasets:
            if rs.owner is None:
                d = next((d for d in deps if selector_matches(d.selector, rs.labels)), None)
                if d is not None:
                    raise _refuse(
                        f"replicaset {rs.name} has no owner and matches deployment {d.name}'s selector "
                        "(ControllerRef adoption is not encoded)",
                        fix,
                    )
            elif (dep := by_dep.get(rs.owner)) is not None and not selector_matches(dep.selector, rs.labels):
                raise _refuse(
                    f"replicaset {rs.name} no longer matches its deployment {dep.name}'s selector "
                    "(ControllerRef release is not encoded)",
                    fix,
                )

    def _scope_applies(self) -> None:
        """The timeline's ``apply`` events: Deployments only. An apply may change spec.replicas;
        it may change the template of a Deployment of the settled state once (a rollout: with
        it maxSurge and maxUnavailable may change too), and nothing else. Fills :attr:`late`,
        :attr:`late_rs`, :attr:`rollouts`, :attr:`late_replicasets` and :attr:`scales`."""
        c = self.init_state.cluster
        timeline = self.model.timeline
        spec: dict[str, Deployment] = {d.name: d for d in c.deployments}  # each name's spec so far
        replicas: dict[str, set[int]] = {d.name: {d.replicas} for d in c.deployments}
        rs_names = {rs.name for rs in c.replicasets}
        for i, ev in enumerate(timeline):
            if ev.verb == "set":
                self._scope_set_image(ev, f"timeline[{i}]", spec, rs_names)
                continue
            if ev.verb != "apply":
                continue
            where = f"timeline[{i}]"
            for m in ev.manifests:
                d = m.obj
                if not isinstance(d, Deployment):
                    raise _refuse(
                        f"timeline event {ev.text!r} applies {m.kind} {m.name} (only Deployments are encoded)",
                        f"apply Deployments only ({where}), or check with --engine explore",
                    )
                before = spec.get(d.name)
                replicas.setdefault(d.name, set()).add(d.replicas)
                if before is not None and _rollout_fields(before) != _rollout_fields(d):
                    self._scope_rollout(ev, where, before, d, rs_names)
                    spec[d.name] = d
                if before is not None:
                    continue
                spec[d.name] = d
                rs = deployment_controller.new_replicaset_for(d, 1)
                if rs.name in rs_names:
                    raise _refuse(
                        f"timeline event {ev.text!r} applies deployment {d.name}, whose ReplicaSet would be named "
                        f"{rs.name} like another one",
                        f"rename the Deployment ({where}), or check with --engine explore",
                    )
                rs_names.add(rs.name)
                self.late[d.name] = LateDeployment(d, rs)
                self.late_rs[rs.name] = d.name
                self.late_replicasets[rs.name] = rs
        # proportional scaling (a spec.replicas change while the old and new ReplicaSets both
        # have replicas) is not encoded: a Deployment that rolls out keeps its replicas
        for name in self.rollouts:
            scaled = [
                ev.text
                for ev in timeline
                if ev.verb == "scale"
                and (
                    (ev.kind == "deployment" and ev.name == name)
                    or (ev.kind == "replicaset" and self.late_rs.get(ev.name, self._owner_of(ev.name)) == name)
                )
            ]
            if scaled or len(replicas[name]) > 1:
                what = f"timeline event {scaled[0]!r} scales" if scaled else "the timeline's applies change"
                raise _refuse(
                    f"{what} deployment {name}, which the timeline also rolls out "
                    "(proportional scaling during a rollout is not encoded)",
                    "keep spec.replicas of a Deployment whose template changes, or check with --engine explore",
                )
        # a scale-down needs the deletion ranking: a scale event, applies that change replicas,
        # or a rollout (it scales the old ReplicaSet down)
        self.scales = (
            any(ev.verb == "scale" for ev in timeline)
            or any(len(v) > 1 for v in replicas.values())
            or bool(self.rollouts)
        )

    def _scope_set_image(self, ev: Any, where: str, spec: dict[str, Deployment], rs_names: set[str]) -> None:
        """``kubectl set image deployment/NAME C=IMAGE`` of a Deployment of the settled state: the
        template kubectl writes (:func:`kmodel.useractions.set_image` on the settled state) is
        known in advance, so the event is a rollout like an apply of that template (or changes
        nothing, when the image is already the one). Anything else kubectl does here (not
        found, no such container) is refused."""
        fix = f"set the image of a Deployment of the settled state ({where}), or check with --engine explore"
        c = self.init_state.cluster
        before = spec.get(ev.name)
        if ev.kind != "deployment" or before is None or c.deployment(ev.name) is None or not c.apiserver_available:
            raise _refuse(f"timeline event {ev.text!r} names no Deployment of the settled state", fix)
        if ev.name in self.rollouts:
            raise _refuse(
                f"timeline event {ev.text!r} changes the template of deployment {ev.name} a second time "
                "(one rollout per Deployment is encoded: a second one, or a rollback, is not)",
                fix,
            )
        container, image = ev.args[1].split("=", 1)
        out = useractions.set_image(c, ev.name, container, image)
        d = out.state.deployment(ev.name)
        assert d is not None
        if out.label.endswith("(error)"):
            raise _refuse(f"timeline event {ev.text!r} is an error for kubectl (not encoded)", fix)
        if d.template == before.template:
            return  # unchanged
        self._scope_rollout(ev, where, before, d, rs_names)
        spec[ev.name] = d
        self.rolling_sets.add(ev.text)

    def _owner_of(self, rs_name: str) -> str | None:
        rs = self.init_state.cluster.replicaset(rs_name)
        return rs.owner if rs is not None else None

    def _scope_rollout(self, ev: Any, where: str, before: Deployment, d: Deployment, rs_names: set[str]) -> None:
        """An apply that changes what :func:`_rollout_fields` covers: a rollout, if it is the
        first template change of a Deployment of the settled state and keeps its selector."""
        fix = f"change the template of a Deployment of the settled state once ({where}), or check with --engine explore"
        if d.name in self.late:
            raise _refuse(
                f"timeline event {ev.text!r} changes the template of deployment {d.name}, which the timeline "
                "creates (a rollout of a Deployment applied mid-run is not encoded)",
                fix,
            )
        if d.selector != before.selector:
            raise _refuse(
                f"timeline event {ev.text!r} changes the selector of deployment {d.name} (not encoded)",
                f"keep spec.selector ({where}), or check with --engine explore",
            )
        if deployment_controller.template_key(d.template) == deployment_controller.template_key(before.template):
            raise _refuse(
                f"timeline event {ev.text!r} changes maxSurge, maxUnavailable, the strategy, revisionHistoryLimit, "
                f"progressDeadlineSeconds or paused of deployment {d.name} without a new template (not encoded)",
                f"change them together with the template ({where}), or check with --engine explore",
            )
        if d.name in self.rollouts:
            raise _refuse(
                f"timeline event {ev.text!r} changes the template of deployment {d.name} a second time "
                "(one rollout per Deployment is encoded: a second one, or a rollback, is not)",
                fix,
            )
        c = self.init_state.cluster
        (old,) = [rs for rs in c.replicasets if rs.owner == d.name]
        # the apply keeps the selector and the rest of the settled object (useractions.apply_object)
        after = attrs.evolve(
            _deployment_spec(before),
            replicas=d.replicas,
            template=d.template,
            max_surge=d.max_surge,
            max_unavailable=d.max_unavailable,
            min_ready_seconds=d.min_ready_seconds,
            strategy=d.strategy,
            revision_history_limit=d.revision_history_limit,
            progress_deadline_seconds=d.progress_deadline_seconds,
            paused=d.paused,
        )
        new = deployment_controller.new_replicaset_for(after, old.revision + 1)
        if new.name in rs_names:
            raise _refuse(
                f"timeline event {ev.text!r} rolls out deployment {d.name}, whose new ReplicaSet would be named "
                f"{new.name} like another one",
                f"change the template differently ({where}), or check with --engine explore",
            )
        rs_names.add(new.name)
        self.rollouts[d.name] = Rollout(_deployment_spec(before), after, old.name, new)
        self.late_rs[new.name] = d.name
        self.late_replicasets[new.name] = new

    def _timeline_verb_ok(self, ev: Any) -> bool:
        return super()._timeline_verb_ok(ev) or ev.verb in WORKLOAD_VERBS

    def _schema(self) -> dict[str, type]:
        sch = super()._schema()
        for p in self.pods:
            sch[pk(p.name, "created")] = int
            sch[pk(p.name, "attempted")] = bool
        for rs in self.replicasets:
            if rs.name in self.late_rs:
                sch[rk(rs.name, "exists")] = bool
            for f in RS_FIELDS:
                sch[rk(rs.name, f)] = int
            sch[rk(rs.name, "annotated")] = bool
            sch[rk(rs.name, "desired")] = int
            sch[rk(rs.name, "max")] = int
        for name in self.deployment_names():
            if name in self.late:
                sch[dk(name, "exists")] = bool
            if name in self.rollouts:
                sch[dk(name, "updated")] = bool
            for f in (*DEPLOYMENT_FIELDS, *DEPLOYMENT_STATUS_VARS):
                sch[dk(name, f)] = bool if f == "progress_time.set" else int
        for svc in self.init_state.cluster.services:
            for p in self.selected[svc.name]:
                sch[ek(svc.name, p)] = bool
        sch["unencoded"] = bool
        return sch

    def _constant(self, p: Pod) -> tuple[Any, ...]:
        return _constant_pod(attrs.evolve(p, node_name=None, created=0))

    def _project_more(self, state: CheckState, out: dict[str, int | bool], bad: Callable[[str], SliceError]) -> None:
        c = state.cluster
        pods = {p.name: p for p in c.pods}
        for info in self.pods:
            p = pods.get(info.name)
            out[pk(info.name, "created")] = p.created if p is not None else 0
            out[pk(info.name, "attempted")] = info.name in c.sched_attempted
        if not c.sched_attempted <= set(self.pod_by_name):
            raise bad("the scheduler tried unknown pods")
        # the initial ReplicaSets and Deployments stay; the late ones may have appeared
        by_name = {rs.name: rs for rs in c.replicasets}
        known = {rs.name for rs in self.replicasets}
        if not known - set(self.late_rs) <= set(by_name) <= known:
            raise bad("the set of ReplicaSets changed")
        for info in self.replicasets:
            got = by_name.get(info.name)
            late_owner = self.late_rs.get(info.name)
            if late_owner is not None:
                out[rk(info.name, "exists")] = got is not None
                expected = self.late_replicasets[info.name]
                bare = None if got is None else attrs.evolve(got, desired_replicas=None, max_replicas=None)
                if bare is not None and attrs.evolve(bare, **dict.fromkeys(RS_FIELDS, 0)) != expected:
                    raise bad(f"replicaset {info.name} is not the one its Deployment's controller creates")
            if got is None:
                for f in (*RS_FIELDS, *RS_ANNOTATIONS):
                    out[rk(info.name, f)] = 0
                out[rk(info.name, "annotated")] = False
                continue
            if (got.desired_replicas is None) != (got.max_replicas is None):
                raise bad(f"replicaset {got.name} has one of the desired-replicas / max-replicas annotations")
            out[rk(info.name, "annotated")] = got.desired_replicas is not None
            out[rk(info.name, "desired")] = got.desired_replicas or 0
            out[rk(info.name, "max")] = got.max_replicas or 0
            if not info.first <= got.next_pod <= info.first + len(info.slots):
                raise bad(f"replicaset {got.name} used more than its {len(info.slots)} pod slots")
            for f in RS_FIELDS:
                out[rk(info.name, f)] = getattr(got, f)
        deps = {d.name: d for d in c.deployments}
        first = {d.name: d for d in self.init_state.cluster.deployments}
        if not set(first) <= set(deps) <= set(first) | set(self.late):
            raise bad("the set of Deployments changed")
        for name in self.deployment_names():
            d = deps.get(name)
            if name in self.late:
                out[dk(name, "exists")] = d is not None
            if d is None:
                for f in (*DEPLOYMENT_FIELDS, *DEPLOYMENT_STATUS_VARS):
                    out[dk(name, f)] = 0
                out[dk(name, "progress_time.set")] = False
                continue
            ref = first[name] if name in first else self.late[name].deployment
            if name in self.rollouts:
                ro = self.rollouts[name]
                updated = _deployment_spec(d) == _deployment_spec(ro.after)
                out[dk(name, "updated")] = updated
                ref = ro.after if updated else ro.before
            if _deployment_spec(d) != _deployment_spec(ref):
                raise bad(f"deployment {name} changed beyond spec.replicas")
            for f in DEPLOYMENT_FIELDS:
                out[dk(name, f)] = getattr(d, f)
            out[dk(name, "revision")] = d.revision
            progressing = (d.progressing, d.progressing_reason)
            if progressing not in ds.PROGRESSING or d.available not in ds.AVAILABLE_CONDITION:
                raise bad(f"deployment {name} has conditions the slice does not encode: {progressing}, {d.available!r}")
            out[dk(name, "progressing")] = ds.PROGRESSING.index(progressing)
            out[dk(name, "progress_time.set")] = d.progress_time is not None
            out[dk(name, "progress_time")] = d.progress_time or 0
            out[dk(name, "available_cond")] = ds.AVAILABLE_CONDITION.index(d.available)
        services = {svc.name: svc for svc in c.services}
        if set(services) != set(self.selected):
            raise bad("the set of Services changed")
        for name, selected in self.selected.items():
            eps = services[name].endpoints
            if not set(eps) <= set(selected) or list(eps) != sorted(eps):
                raise bad(f"service {name} lists endpoints outside its selection, or out of name order")
            for p in selected:
                out[ek(name, p)] = p in eps
        out["unencoded"] = False

    # -- state helpers ------------------------------------------------------------------------------

    def _remove_pod(self, nx: View, p: str, when: Any) -> None:
        super()._remove_pod(nx, p, when)
        nx[pk(p, "node")] = IF(when, -1, nx[pk(p, "node")])
        nx[pk(p, "created")] = IF(when, 0, nx[pk(p, "created")])

    def _clock(self, c: View) -> tuple[Any, View]:
        guard, nx = super()._clock(c)
        for p in self.pods:
            nx[pk(p.name, "attempted")] = False
        return guard, nx

    def _acted_this_tick(self, c: View) -> Any:
        return OR(super()._acted_this_tick(c), *[c[pk(p.name, "attempted")] for p in self.pods])

    def _action_names(self) -> list[str]:
        return [*super()._action_names(), "scheduler", *[f"scheduler/{n.name}" for n in self.nodes]]

    def _component_steps(self, c: View) -> list[tuple[str, Any, View]]:
        out = super()._component_steps(c)
        out.append(("deployment", *self._deployment(c)))
        out.append(("replicaset", *self._replicaset(c)))
        out.append(("endpoints", *self._endpoints(c)))
        out += self._scheduler(c)
        return out

    def deployment_replicas(self, c: View, name: str) -> Any:
        """A Deployment's spec.replicas."""
        return c[dk(name, "replicas")]

    def options(self) -> dict[str, Any]:
        """The constructor options of this slice besides the base Slice's (to rebuild it)."""
        return {
            "pod_slots": self.pod_slots,
            "scheduler": self.scheduler_variant,
            "replicaset_extra": self.replicaset_extra,
            "replicaset_counting_terminating": self.replicaset_counting_terminating,
            "deployment_ignoring_surge": self.deployment_ignoring_surge,
            "deployment_ignoring_unavailable": self.deployment_ignoring_unavailable,
        }

    def node_is(self, c: View, p: str, pick: Callable[[str], Any]) -> Any:
        """``pick(node)`` of the node pod ``p`` is bound to (False when unbound)."""
        where = c[pk(p, "node")]
        return OR(*[AND(where == n.index, pick(n.name)) for n in self.nodes])

    # -- ReplicaSet controller ----------------------------------------------------------------------

    def _replicaset(self, c: View) -> tuple[Any, View]:
        nx = dict(c)
        now = c["now"]
        unencoded = []
        # each pod's activity as the step goes: the controller syncs the ReplicaSets in name
        # order, and the deletion ranking of one counts its siblings' active pods as the
        # earlier syncs left them
        alive = {p.name: AND(c[pk(p.name, "present")], NOT(c[pk(p.name, "deleting.set")])) for p in self.pods}
        for rs in sorted(self.replicasets, key=lambda r: r.name):
            # a late ReplicaSet acts once the Deployment controller has created it
            live = c[rk(rs.name, "exists")] if rs.name in self.late_rs else True
            active = {p: AND(c[pk(p, "present")], NOT(c[pk(p, "deleting.set")])) for p in rs.owned}
            count = SUM([IF(a, 1, 0) for a in active.values()])
            target = c[rk(rs.name, "replicas")] + self.replicaset_extra
            if self.replicaset_counting_terminating:
                target = self._target_counting_terminating(c, rs, count, target)
            need = target - count
            create = AND(live, need > 0)
            nxt = c[rk(rs.name, "next_pod")]
            made = {}
            for i, name in enumerate(rs.slots):
                value = rs.first + i
                make = AND(create, nxt <= value, value < nxt + need)
                made[name] = make
                nx[pk(name, "present")] = IF(make, True, nx[pk(name, "present")])
                nx[pk(name, "created")] = IF(make, now, nx[pk(name, "created")])
            nx[rk(rs.name, "next_pod")] = IF(create, nxt + need, nxt)
            unencoded.append(AND(create, nxt + need > rs.first + len(rs.slots)))
            # the surplus, first ones in ActivePodsWithRanks order (at most burstReplicas); only
            # a scale-down makes one, so when nothing lowers a spec.replicas (no scale event, no
            # apply that changes it: self.scales) the ranking is left out and a surplus (which
            # cannot happen: creations stop at spec.replicas) marks the run
            if self.scales:
                surplus = IF(live, MIN(count - target, replicaset.BURST_REPLICAS), 0)
                owner = self.deployment_of(rs)
                siblings = [r for r in self.replicasets if r is rs or _same_owner(owner, self.deployment_of(r))]
                related = {p: alive[p] for r in siblings for p in r.owned}
                victims = self._victims(c, rs, active, surplus, related)
                for p, victim in victims.items():
                    alive[p] = AND(alive[p], NOT(victim))
            else:
                victims = dict.fromkeys(rs.owned, False)
                unencoded.append(AND(live, count > target))
            for p, victim in victims.items():
                self._api_delete(c, nx, self.pod_by_name[p], victim)
            after = [OR(AND(active[p], NOT(victims[p])), made.get(p, False)) for p in rs.owned]
            nx[rk(rs.name, "status_replicas")] = SUM([IF(a, 1, 0) for a in after])
            # new pods are not ready; deleted ones no longer count
            nx[rk(rs.name, "status_ready")] = SUM(
                [IF(AND(active[p], NOT(victims[p]), c[pk(p, "ready")]), 1, 0) for p in rs.owned]
            )
            # minReadySeconds is 0 here (refused otherwise): available = ready
            nx[rk(rs.name, "status_available")] = nx[rk(rs.name, "status_ready")]
        nx["unencoded"] = OR(c["unencoded"], *unencoded)
        guard = AND(NOT(c["ran.replicaset"]), self.cm_active(c), self.changed_exactly(c, nx))
        nx["ran.replicaset"] = True
        return guard, nx

    def _target_counting_terminating(self, c: View, rs: RSInfo, count: Any, replicas: Any) -> Any:
        """``replicaset_counting_terminating`` of tests/broken.py: the replicas a sync aims at
        when Terminating pods (not finished: here every pod is Pending or Running) count as if
        still active: create only what they do not cover, scale down as usual."""
        terminating = SUM([IF(AND(c[pk(p, "present")], c[pk(p, "deleting.set")]), 1, 0) for p in rs.owned])
        return IF(count > replicas, replicas, IF(count + terminating < replicas, replicas - terminating, count))

    def _log_rank(self, c: View, t: Any) -> Any:
        """``logarithmicRankDiff``'s rank of an instant: floor(log2(nanoseconds since)), -1 for
        none; the duration's thresholds are constants, so this is a sum of comparisons."""
        d = c["now"] - t
        steps = [IF(d >= -(-(2**k) // 1_000_000_000), 1, 0) for k in range(30, LOG_RANK_BITS)]
        return IF(d <= 0, -1, 29 + SUM(steps))

    def _victims(
        self, c: View, rs: RSInfo, active: dict[str, Any], surplus: Any, related: dict[str, Any]
    ) -> dict[str, Any]:
        """Which active pods the sync deletes: those with fewer than ``surplus`` active pods
        ahead of them in :func:`kmodel.components.replicaset.deletion_order`. ``related``: the
        pods of every ReplicaSet of the same Deployment (this one's included), each with
        whether it is active when this sync runs."""
        pods = list(rs.owned)
        node = {p: c[pk(p, "node")] for p in pods}
        assigned = {p: node[p] != -1 for p in pods}
        # the related active pods on the same node
        per_node = {
            p: IF(
                assigned[p],
                SUM([IF(AND(on, c[pk(q, "node")] == node[p]), 1, 0) for q, on in related.items()]),
                0,
            )
            for p in pods
        }
        ready = {p: c[pk(p, "ready")] for p in pods}
        since_set = {p: c[pk(p, "ready_since.set")] for p in pods}
        since = {p: c[pk(p, "ready_since")] for p in pods}
        since_rank = {p: self._log_rank(c, since[p]) for p in pods}
        created_rank = {p: self._log_rank(c, c[pk(p, "created")]) for p in pods}
        restarts = {p: c[pk(p, "restarts")] for p in pods}
        created = {p: c[pk(p, "created")] for p in pods}
        phase = {p: c[pk(p, "phase")] for p in pods}  # Pending 0 < Running 1 (no Unknown here)

        def first(a: str, b: str) -> Any:
            """``deletion_order``'s comparison: a is deleted before b."""
            by_name = a < b
            # 5. both ready with different ready times: the log-scale rank, then the name
            both = AND(ready[a], ready[b], OR(since_set[a] != since_set[b], since[a] != since[b]))
            five = IF(
                since_set[a] != since_set[b],
                NOT(since_set[a]),  # a missing ready time goes first
                IF(since_rank[a] != since_rank[b], since_rank[a] < since_rank[b], by_name),
            )
            seven = IF(
                AND(created[a] != created[b], created_rank[a] != created_rank[b]),
                created_rank[a] < created_rank[b],
                by_name,
            )
            six = IF(restarts[a] != restarts[b], restarts[a] > restarts[b], seven)
            four = IF(per_node[a] != per_node[b], per_node[a] > per_node[b], IF(both, five, six))
            three = IF(ready[a] != ready[b], NOT(ready[a]), four)
            two = IF(phase[a] != phase[b], phase[a] < phase[b], three)
            return IF(assigned[a] != assigned[b], NOT(assigned[a]), two)

        out = {}
        for p in pods:
            ahead = SUM([IF(AND(active[q], first(q, p)), 1, 0) for q in pods if q != p])
            out[p] = AND(active[p], surplus > 0, ahead < surplus)
        return out

    # -- Deployment controller ------------------------------------------------------------------------

    def _deployment(self, c: View) -> tuple[Any, View]:
        """One step of the Deployment controller: a sync of every Deployment there is
        (:mod:`kmodel.smt.deploymentsync` holds the algorithm)."""
        nx = dict(c)
        for name in self.deployment_names():
            self._sync_deployment(c, nx, name)
        guard = AND(NOT(c["ran.deployment"]), self.cm_active(c), self.changed_exactly(c, nx))
        nx["ran.deployment"] = True
        return guard, nx

    def _rs_terms(self, c: View, name: str) -> ds.RS:
        info = self.rs_by_name[name]
        return ds.RS(
            c[rk(name, "exists")] if name in self.late_rs else True,
            c[rk(name, "replicas")],
            c[rk(name, "status_replicas")],
            c[rk(name, "status_ready")],
            c[rk(name, "status_available")],
            info.revision,
            c[rk(name, "annotated")],
            c[rk(name, "desired")],
            c[rk(name, "max")],
        )

    def _write_rs(self, nx: View, name: str, w: ds.Written, when: Any) -> None:
        for field, value in (
            ("exists", w.exists),
            ("replicas", w.replicas),
            ("annotated", w.annotated),
            ("desired", w.desired),
            ("max", w.max),
        ):
            if field == "exists" and name not in self.late_rs:
                continue
            nx[rk(name, field)] = IF(when, value, nx[rk(name, field)])

    def _status_terms(self, c: View, name: str) -> ds.Status:
        return ds.Status(
            *[c[dk(name, f)] for f in ("status_updated", "status_ready", "status_available", "status_replicas")],
            c[dk(name, "revision")],
            c[dk(name, "progressing")],
            c[dk(name, "progress_time.set")],
            c[dk(name, "progress_time")],
            c[dk(name, "available_cond")],
        )

    def _write_status(self, nx: View, name: str, st: ds.Status, when: Any) -> None:
        for var, value in zip(DEPLOYMENT_STATUS_VARS, attrs.astuple(st, recurse=False), strict=True):
            nx[dk(name, var)] = IF(when, value, nx[dk(name, var)])

    def spec_of(self, d: Deployment) -> ds.Spec:
        # the broken deployment_ignoring_max_unavailable reads maxUnavailable as 100%
        unavailable = "100%" if self.deployment_ignoring_unavailable else d.max_unavailable
        return ds.Spec(d.max_surge, unavailable, d.progress_deadline_seconds, self.deployment_ignoring_surge)

    def _sync_deployment(self, c: View, nx: View, name: str) -> None:
        """``deployment.sync`` of one Deployment: with one ReplicaSet (before a rollout's apply,
        or without one), :func:`deploymentsync.single_sync`; rolling from its settled
        ReplicaSet to the new one, :func:`deploymentsync.rolling_sync`; then the status."""
        now = c["now"]
        replicas = c[dk(name, "replicas")]
        before = self._status_terms(c, name)
        ro = self.rollouts.get(name)
        if ro is None:
            rs_name = self.rs_of[name]
            rs = self._rs_terms(c, rs_name)
            there = c[dk(name, "exists")] if name in self.late else True
            created = AND(there, NOT(rs.exists)) if name in self.late else False
            spec = self.spec_of(self.late[name].deployment if name in self.late else self._initial_deployment(name))
            written, rolling = ds.single_sync(rs, replicas, spec, now, created)
            self._write_rs(nx, rs_name, written, there)
            after = self._rs_terms(nx, rs_name)
            st = ds.rollout_status(
                before, spec, replicas, now, [after], after, revision=rs.revision, created=created, rolling=rolling
            )
            self._write_status(nx, name, st, there)
            return
        updated = c[dk(name, "updated")]
        old, new = self._rs_terms(c, ro.old), self._rs_terms(c, ro.new.name)
        # before the apply: the settled ReplicaSet is the new one, with no old ones
        spec0 = self.spec_of(ro.before)
        single, rolling0 = ds.single_sync(old, replicas, spec0, now)
        # after it: the rolling update
        spec1 = self.spec_of(ro.after)
        old1, new1 = ds.rolling_sync(old, new, replicas, spec1)
        self._write_rs(nx, ro.old, single, NOT(updated))
        self._write_rs(nx, ro.old, old1, updated)
        self._write_rs(nx, ro.new.name, new1, updated)
        old_after, new_after = self._rs_terms(nx, ro.old), self._rs_terms(nx, ro.new.name)
        st0 = ds.rollout_status(
            before, spec0, replicas, now, [old_after], old_after, revision=old.revision, created=False, rolling=rolling0
        )
        st1 = ds.rollout_status(
            before,
            spec1,
            replicas,
            now,
            [old_after, new_after],
            new_after,
            revision=ro.new.revision,
            created=NOT(new.exists),
            rolling=True,
        )
        self._write_status(nx, name, st0, NOT(updated))
        self._write_status(nx, name, st1, updated)

    def _initial_deployment(self, name: str) -> Deployment:
        d = self.init_state.cluster.deployment(name)
        assert d is not None
        return d

    # -- timeline ---------------------------------------------------------------------------------------

    def _timeline_effect(self, ev: Any) -> Callable[[View, View], Any]:
        if ev.verb not in WORKLOAD_VERBS:
            return super()._timeline_effect(ev)
        if ev.verb == "scale":
            var = dk(ev.name, "replicas") if ev.kind == "deployment" else rk(ev.name, "replicas")
            to = int(ev.args[0])
            if ev.kind == "deployment":
                exists = dk(ev.name, "exists") if ev.name in self.late else None
            else:
                exists = rk(ev.name, "exists") if ev.name in self.late_rs else None

            def scale(c: View, nx: View) -> Any:
                if var not in c:
                    return False  # not found: nothing changes
                nx[var] = to
                up = self.apiserver_available(c)
                # a late Deployment (or its ReplicaSet) is not found before it is created
                return AND(c[exists], up) if exists is not None else up

            return scale
        if ev.verb == "set":
            # kubectl set image: the rollout's template (_scope_set_image), or no change
            rolls = ev.text in self.rolling_sets

            def set_image(c: View, nx: View) -> Any:
                if rolls:
                    nx[dk(ev.name, "updated")] = True
                return self.apiserver_available(c)

            return set_image
        if ev.verb == "apply":
            applied = [m.obj for m in ev.manifests]  # Deployments (_scope_applies)

            def apply(c: View, nx: View) -> Any:
                # created with the manifest's spec and a zero status, or configured: only
                # spec.replicas can differ (_scope_applies), later manifests win
                for d in applied:
                    if d.name in self.late:
                        nx[dk(d.name, "exists")] = True
                    if d.name in self.rollouts:
                        # the new template (the scope allows no way back)
                        if d.template == self.rollouts[d.name].after.template:
                            nx[dk(d.name, "updated")] = True
                    nx[dk(d.name, "replicas")] = d.replicas
                return self.apiserver_available(c)

            return apply
        targets = [p for p in self.pods if fnmatch.fnmatchcase(p.name, ev.name)]
        if not any(ch in ev.name for ch in "*?["):
            targets = [p for p in targets if p.name == ev.name]
        if ev.verb == "kill":

            def kill(c: View, nx: View) -> Any:
                hits = [self._kill_pod(p)(c, nx) for p in targets]
                return OR(*hits)

            return kill
        force = "--force" in ev.args

        def delete(c: View, nx: View) -> Any:
            up = self.apiserver_available(c)
            for info in targets:
                self._api_delete(c, nx, info, AND(up, c[pk(info.name, "present")]), force)
            return up

        return delete

    # -- endpoints controller -----------------------------------------------------------------------

    def _endpoints(self, c: View) -> tuple[Any, View]:
        """A Service's ready endpoints: its pods that are bound, Ready and not Terminating (kept
        in name order, which is the order of the cluster's pods)."""
        nx = dict(c)
        for svc, selected in self.selected.items():
            for p in selected:
                nx[ek(svc, p)] = AND(
                    c[pk(p, "present")],
                    c[pk(p, "node")] != -1,
                    c[pk(p, "ready")],
                    NOT(c[pk(p, "deleting.set")]),
                )
        guard = AND(NOT(c["ran.endpoints"]), self.cm_active(c), self.changed_exactly(c, nx))
        nx["ran.endpoints"] = True
        return guard, nx

    # -- kube-scheduler -----------------------------------------------------------------------------

    def scheduler_active(self, c: View) -> Any:
        return AND(c["cp.scheduler"], self.host_up(c), self.apiserver_available(c))

    def _view_node(self, c: View, p: str) -> Any:
        """The node the scheduler believes ``p`` is bound to (-1: none)."""
        node = c[pk(p, "node")]
        if self.scheduler_variant != "rebinding":
            return node
        unready = self.node_is(c, p, lambda n: c[nk(n, "ready")] != R_TRUE)
        return IF(AND(unready, NOT(c[pk(p, "deleting.set")])), -1, node)

    def _tolerates(self, cls: PodClass, taint: Taint) -> bool:
        return any(t.tolerates(taint) for t in cls.tolerations)

    def untolerated(self, c: View, tolerations: tuple[Any, ...], node: NodeInfo) -> list[Any]:
        """TaintToleration's filter: the node's NoSchedule / NoExecute taints in ``c`` (the node
        lifecycle controller's, as variables, and its other ones) that ``tolerations`` leave
        untolerated, each as a condition (True for another taint)."""
        out: list[Any] = []
        for t in node.foreign_taints:
            if t.effect in (NO_SCHEDULE, NO_EXECUTE) and not any(x.tolerates(t) for x in tolerations):
                out.append(True)
        for (key, effect), var in OWN_TAINTS.items():
            if not any(x.tolerates(Taint(key=key, effect=effect)) for x in tolerations):
                out.append(c[nk(node.name, var)])
        return out

    def _load(self, vnode: dict[str, Any]) -> dict[str, NodeLoad]:
        """Each node's :class:`NodeLoad` in the scheduler's view (``vnode``: where it believes
        each pod is bound)."""

        def total(on: dict[str, Any], amount: Callable[[PodClass], int]) -> Any:
            pods = [(p.name, amount(self.classes[p.name])) for p in self.pods]
            return SUM([IF(on[name], value, 0) for name, value in pods if value])

        cpu0, memory0 = kube_scheduler.DEFAULT_MILLI_CPU_REQUEST, kube_scheduler.DEFAULT_MEMORY_REQUEST
        out = {}
        for node in self.nodes:
            on = {p.name: vnode[p.name] == node.index for p in self.pods}
            count = total(on, lambda _cls: 1)
            # the non-zero requests: the default for every pod, corrected for those that ask
            out[node.name] = NodeLoad(
                count=count,
                cpu=total(on, lambda cls: cls.cpu),
                memory=total(on, lambda cls: cls.memory),
                nonzero_cpu=count * cpu0 + total(on, lambda cls: cls.cpu and cls.cpu - cpu0),
                nonzero_memory=count * memory0 + total(on, lambda cls: cls.memory and cls.memory - memory0),
            )
        return out

    def _feasible(self, c: View, cls: PodClass, load: dict[str, NodeLoad]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for node in self.nodes:
            n = node.name
            spec = self.init_state.cluster.node(n)
            assert spec is not None
            ok: list[Any] = []
            if node.unschedulable:
                probe = Taint(key=kube_scheduler.TAINT_UNSCHEDULABLE, effect=NO_SCHEDULE)
                ok.append(self._tolerates(cls, probe))
            if self.scheduler_variant != "ignoring-taints":
                ok += [NOT(t) for t in self.untolerated(c, cls.tolerations, node)]
            have = dict(spec.labels)
            ok.append(all(have.get(k) == v for k, v in cls.node_selector))
            # NodeResourcesFit: one more pod, and the requests the pod makes (terminating pods
            # still count)
            here = load[n]
            ok.append(here.count + 1 <= spec.capacity.pods)
            if cls.cpu:
                ok.append(here.cpu + cls.cpu <= spec.capacity.cpu)
            if cls.memory:
                ok.append(here.memory + cls.memory <= spec.capacity.memory)
            out[n] = AND(*ok)
        return out

    def _least_allocated(self, n: str, here: NodeLoad, cls: PodClass) -> Any:
        """``scheduler._least_allocated``: integer arithmetic on the non-zero requests, a
        resource the node has none of left out."""
        spec = self.init_state.cluster.node(n)
        assert spec is not None
        scores = []
        for used, want, cap in (
            (here.nonzero_cpu, cls.cpu or kube_scheduler.DEFAULT_MILLI_CPU_REQUEST, spec.capacity.cpu),
            (here.nonzero_memory, cls.memory or kube_scheduler.DEFAULT_MEMORY_REQUEST, spec.capacity.memory),
        ):
            if cap == 0:
                continue
            requested = used + want
            scores.append(IF(requested > cap, 0, DIV((cap - requested) * kube_scheduler.MAX_NODE_SCORE, cap)))
        return DIV(SUM(scores), len(scores)) if scores else 0

    def balanced_table(self, cls: PodClass, n: str) -> BalancedTable | None:
        """NodeResourcesBalancedAllocation for pods of ``cls`` (which request something) on node
        ``n``, as :func:`balanced_exact` plus the points where the model's float score differs
        from it; None when a capacity is 0 (then one fraction or none is left, std 0, score
        100 whatever the requests).

        The score reads the requested amounts only through min(1, requested / capacity), so
        through the requests capped at the capacities. The scheduler only scores a node the pod
        fits on, and what the pods it sees there request is a sum over a subset of the slice's
        pods; every such capped sum at which the pod still fits is enumerated, and the model's
        score, ``scheduler._balanced_allocation`` itself, computed on each: the encoding is the
        model's score on every state of the slice, not just on the reachable ones."""
        spec = self.init_state.cluster.node(n)
        assert spec is not None
        cap_cpu, cap_mem = spec.capacity.cpu, spec.capacity.memory
        if cap_cpu == 0 or cap_mem == 0:
            return None
        # the largest sums of the other pods' requests at which the pod still fits
        cpu_room = cap_cpu - cls.cpu if cls.cpu else cap_cpu
        mem_room = cap_mem - cls.memory if cls.memory else cap_mem
        sums: set[tuple[int, int]] = {(0, 0)} if cpu_room >= 0 and mem_room >= 0 else set()
        for info in self.pods:
            want = self.classes[info.name]
            if not (want.cpu or want.memory):
                continue
            grown = {(min(x + want.cpu, cap_cpu), min(y + want.memory, cap_mem)) for x, y in sums}
            sums |= {(x, y) for x, y in grown if x <= cpu_room and y <= mem_room}
            if len(sums) > BALANCED_POINTS_MAX:
                raise _refuse(
                    f"the pods' requests make over {BALANCED_POINTS_MAX} different sums on node {n} "
                    "(NodeResourcesBalancedAllocation's float score is tabulated over them)",
                    "use fewer distinct resources.requests, or check with --engine explore",
                )
        probe = Pod(name="probe", requests=Resources(cpu=cls.cpu, memory=cls.memory))
        scores: dict[tuple[int, int], int] = {}
        for x, y in sums:
            key = (min(x + cls.cpu, cap_cpu), min(y + cls.memory, cap_mem))
            usage = {n: kube_scheduler.Usage(requested=Resources(cpu=x, memory=y))}
            score = kube_scheduler._balanced_allocation(usage, probe, spec)
            assert scores.setdefault(key, score) == score, "the score depends on more than the capped requests"
        exceptions = tuple(
            sorted((key, score) for key, score in scores.items() if score != balanced_exact(*key, cap_cpu, cap_mem))
        )
        return BalancedTable(exceptions, len(scores))

    def _balanced_allocation(self, n: str, here: NodeLoad, cls: PodClass) -> Any:
        """``scheduler._balanced_allocation``, exactly: :meth:`balanced_table`."""
        if not (cls.cpu or cls.memory):
            return 0  # a best-effort pod: the plugin skips it
        table = self.balanced.get((cls, n))
        if table is None:
            return kube_scheduler.MAX_NODE_SCORE
        spec = self.init_state.cluster.node(n)
        assert spec is not None
        cap_cpu, cap_mem = spec.capacity.cpu, spec.capacity.memory
        cpu = MIN(here.cpu + cls.cpu, cap_cpu)
        memory = MIN(here.memory + cls.memory, cap_mem)
        value = balanced_exact(cpu, memory, cap_cpu, cap_mem)
        for (x, y), score in table.exceptions:
            value = IF(AND(cpu == x, memory == y), score, value)
        return value

    def _spread_raw(self, domains: Any, matching: Any) -> Any:
        value: Any = 0
        for (d, m), raw in sorted(self.spread_table.items(), reverse=True):
            value = IF(AND(domains == d, matching == m), raw, value)
        return value

    def _best(self, c: View, cls: PodClass, vnode: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """The nodes the scheduler may bind a pod of ``cls`` to (the best-scored feasible ones),
        and whether any node is feasible."""
        load = self._load(vnode)
        feasible = self._feasible(c, cls, load)
        if len(self.nodes) == 1:
            return feasible, feasible[self.nodes[0].name]
        domains = SUM([IF(f, 1, 0) for f in feasible.values()])
        total: dict[str, Any] = {}
        raw: dict[str, Any] = {}
        for node in self.nodes:
            n = node.name
            if cls.spread:
                matching = SUM(
                    [IF(AND(vnode[q] == node.index, NOT(c[pk(q, "deleting.set")])), 1, 0) for q in cls.spread]
                )
                raw[n] = self._spread_raw(domains, matching)
            else:
                raw[n] = 0
        top = max(self.spread_table.values()) + 1
        high: Any = 0
        low: Any = top
        for n in raw:
            high = IF(AND(feasible[n], raw[n] > high), raw[n], high)
            low = IF(AND(feasible[n], raw[n] < low), raw[n], low)
        values = sorted({v for v in self.spread_table.values() if v > 0})
        for node in self.nodes:
            n = node.name
            normalised: Any = kube_scheduler.MAX_NODE_SCORE  # high == 0 (no spread selector)
            for h in values:
                normalised = IF(high == h, DIV(kube_scheduler.MAX_NODE_SCORE * (h + low - raw[n]), h), normalised)
            total[n] = (
                kube_scheduler.WEIGHT_LEAST_ALLOCATED * self._least_allocated(n, load[n], cls)
                + kube_scheduler.WEIGHT_BALANCED_ALLOCATION * self._balanced_allocation(n, load[n], cls)
                + kube_scheduler.WEIGHT_POD_TOPOLOGY_SPREAD * normalised
            )
        best = {
            n: AND(feasible[n], *[OR(NOT(feasible[m]), total[m] <= total[n]) for m in feasible if m != n])
            for n in feasible
        }
        return best, OR(*feasible.values())

    def _scheduler(self, c: View) -> list[tuple[str, Any, View]]:
        vnode = {p.name: self._view_node(c, p.name) for p in self.pods}
        waiting = {
            p.name: AND(
                c[pk(p.name, "present")],
                vnode[p.name] == -1,
                NOT(c[pk(p.name, "deleting.set")]),
                NOT(c[pk(p.name, "attempted")]),
            )
            for p in self.pods
        }
        created = {p.name: c[pk(p.name, "created")] for p in self.pods}
        head = {}
        for p in self.pods:
            ahead = []
            for q in self.pods:
                if q.name == p.name:
                    continue
                earlier = created[q.name] <= created[p.name] if q.name < p.name else created[q.name] < created[p.name]
                ahead.append(AND(waiting[q.name], earlier))
            head[p.name] = AND(waiting[p.name], NOT(OR(*ahead)))
        active = self.scheduler_active(c)
        tried = dict(c)
        for p in self.pods:
            tried[pk(p.name, "attempted")] = OR(c[pk(p.name, "attempted")], head[p.name])
        # pods of one class share the answer: compute it once per class
        answers: dict[PodClass, tuple[dict[str, Any], Any]] = {}
        for p in self.pods:
            cls = self.classes[p.name]
            if cls not in answers:
                answers[cls] = self._best(c, cls, vnode)
        out = []
        nowhere = OR(*[AND(head[p.name], NOT(answers[self.classes[p.name]][1])) for p in self.pods])
        out.append(("scheduler", AND(active, nowhere), tried))
        for node in self.nodes:
            n = node.name
            nx = dict(tried)
            for p in self.pods:
                nx[pk(p.name, "node")] = IF(head[p.name], node.index, c[pk(p.name, "node")])
            can = OR(*[AND(head[p.name], answers[self.classes[p.name]][0][n]) for p in self.pods])
            out.append((f"scheduler/{n}", AND(active, can), nx))
        return out
