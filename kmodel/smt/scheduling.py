"""The scheduling slice of the model as Z3 formulas: the encoding behind ``kmodel prove``.

The slice is the part of the cluster that decides where pods are bound, reduced to what the
scheduler's filters and the node lifecycle controller read and write:

- per node: the Ready condition (True / False / Unknown), the three NoSchedule taints the
  controllers manage (``node.kubernetes.io/not-ready``, ``/unreachable``, ``/unschedulable``),
  ``spec.unschedulable``, and the physical facts the kubelet needs to post status (machine
  powered, kubelet process running, not partitioned) and that decide what it posts (container
  runtime up);
- per pod: whether the object exists, its ``nodeName`` (none, or a node), whether it is
  Terminating, whether it tolerates each of the three NoSchedule taints above, for each node
  whether some *other* NoSchedule / NoExecute taint of that node (the control-plane taint, a
  user's taint, the NoExecute condition taints) is one it does not tolerate (``blocked``), and
  for each node whether the node passes the pod's NodeAffinity filter (``aff``: its nodeSelector
  and its required node affinity terms, matchExpressions and matchFields);
- per node, in a bounded universe only: the pods capacity (``status.allocatable.pods``).

The transition relation is a disjunction of named actions (:data:`ACTIONS`), each a guard and
the values of the next frame, with everything it does not write left equal (the frame condition):

``scheduler``
    One pending, non-terminating pod ``p0`` is bound to one node ``n0`` that passes the filters
    NodeUnschedulable, NodeName (trivially: a pod in the queue names no node), TaintToleration,
    NodeAffinity (nodeSelector) and, in a bounded universe, NodeResourcesFit's pod count (the pods
    bound to the node, Terminating ones included, plus one within capacity). The choice of pod and
    node is free: the real scheduler takes the oldest pod and a best-scoring feasible node, so the
    relation admits *more* bindings than the model makes. That over-approximation is sound for
    safety properties: whatever holds for every feasible choice holds for the one made.
    NodeResourcesFit's cpu, memory, ephemeral-storage and extended-resource checks, NodePorts,
    InterPodAffinity, PodTopologySpread and the scores are left out for the same reason: each
    only removes candidates, so leaving it out admits more bindings. DefaultPreemption's victims
    are deletions (the ``pods`` action); its nomination is not part of the slice. Pod templates
    that pin ``spec.nodeName`` are refused (:func:`check_scenario`): their pods are created
    bound.
``nodelifecycle``
    One monitor pass: any set of nodes goes to Ready=Unknown (the grace-period timing is
    abstracted away: any node may be found late), and then, in the same step, every node's
    not-ready / unreachable NoSchedule taints mirror its Ready condition and its unschedulable
    taint mirrors ``spec.unschedulable``, as ``doNoScheduleTaintingPass`` does. The NoExecute
    condition taints (queued and rate-limited in the model) are not followed: the pass may
    change ``blocked`` arbitrarily. In legacy eviction mode the pass deletes pods: any bound pod
    may become Terminating.
``kubelet``
    The kubelet of a node ``n0`` that is powered, running and not partitioned posts its Ready
    condition (True, or False while the node's container runtime is down), or only syncs pods,
    and may remove Terminating pods bound to ``n0`` (finishing the delete). That the apiserver
    must be reachable too is not followed (more steps are allowed, not fewer).
``pods``
    Controllers and users create and delete pods (ReplicaSet controller, garbage collector, pod
    GC, taint eviction, ``kubectl delete``, the checker's deletePod fault): any set of pods is
    removed, any set of bound pods becomes Terminating, and any number of new pods appear,
    unbound, with arbitrary tolerations, nodeSelector and ``blocked`` (subject to the toleration
    assumption below).
``fault``
    A node's machine, kubelet, container runtime or network changes (power off / on, stop / start
    kubelet or runtime, partition / heal): only the physical facts of that node; no API field
    changes.
``cordon``
    ``kubectl cordon`` / ``uncordon``: ``spec.unschedulable`` of one node (the taint follows at
    the next lifecycle pass).
``taint``
    ``kubectl taint`` of one node with a taint other than the three condition ones: ``blocked``
    changes for that node.
``stutter``
    Nothing in the slice changes: the clock, Deployment, endpoints, a kubelet with nothing to
    report, a scheduler that finds no node, a killed container, a stopped control-plane process.

Every step of the Python model, projected with :func:`project`, is one of these
(``tests/test_smt_prove.py`` checks that on random runs and shows that a broken scheduler makes
a step outside them).

Shape of the formulas. The relation is one case split per field: ``s2.f[x]`` is the update of
the action taken (``Choice.action``) when that action writes ``f``, else ``s.f[x]`` (the frame
condition), plus each action's guard. The choices of a step are Skolem constants: the pod
``p0`` and node ``n0`` it acts on, and arrays for the sets it touches (the nodes a lifecycle
pass finds late, the pods created or deleted).

Universes. :meth:`Universe.open` uses uninterpreted sorts ``Node`` and ``Pod``; each field of
the next frame is then one array equality with a lambda, so the relation has no quantifier, and
whatever is proven over it holds for clusters of every size (see :mod:`kmodel.smt.induction`
for how the invariants' "for every node" is handled). :meth:`Universe.finite` enumerates the
scenario's nodes and a fixed number of pod slots, and the fields are written out element by
element; a slot is reused when its pod is deleted, so "K slots" covers every run with at most K
pods at a time. Counting (the pods bound to a node) needs a finite universe.

Toleration assumption. ``no-schedule-to-unready-node`` forbids binding to a node that is not
Ready even when the pod tolerates the not-ready / unreachable NoSchedule taints (a DaemonSet-like
pod would be bound there, rightly). The proof therefore needs the fact that no pod tolerates
them: with :attr:`SliceOptions.assume_no_condition_tolerations` new pods never do, and the
predicate ``pods-do-not-tolerate-condition-taints`` joins the invariants. kmodel's admission
(DefaultTolerationSeconds) only adds the NoExecute tolerations, so a scenario satisfies the
assumption unless one of its pod templates tolerates those taints itself
(:func:`templates_tolerating_condition_taints`).

Runtime assumption. A kubelet whose container runtime is down posts Ready=False itself, and the
node lifecycle controller adds the not-ready NoSchedule taint only at its next pass: in between
the scheduler may bind a pod to the NotReady node (it reads taints, not conditions), so
``no-schedule-to-unready-node`` does not hold once a runtime can stop (``kmodel check`` finds it
in 5 actions with ``--faults stopRuntime=1,deletePod=1``). With
:attr:`SliceOptions.assume_runtimes_up` no fault stops a runtime and the kubelet only posts
Ready=True, as in the model's runs without a ``stopRuntime`` fault or a ``stop runtime/NAME``
event (:func:`scenario_stops_runtimes`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NoReturn

import z3
from attrs import define, field, frozen

from kmodel.components.plugins import nodeaffinity
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario
from kmodel.smt.nodehealth import (
    SliceError,
    refuse_control_plane_partitions,
    refuse_disruption,
    refuse_informer_lag,
    refuse_watch_cache_lag,
)
from kmodel.state import (
    COND_FALSE,
    COND_TRUE,
    COND_UNKNOWN,
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    Node,
    Pod,
    Taint,
    tolerates_all,
)

# --- sorts ------------------------------------------------------------------------------------

COND, (C_TRUE, C_FALSE, C_UNKNOWN) = z3.EnumSort("ReadyCondition", ["CondTrue", "CondFalse", "CondUnknown"])
COND_VALUE = {COND_TRUE: C_TRUE, COND_FALSE: C_FALSE, COND_UNKNOWN: C_UNKNOWN}
CONDITION_TAINT_KEYS = (TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE)
NR_TAINT = Taint(key=TAINT_NOT_READY, effect=NO_SCHEDULE)
UR_TAINT = Taint(key=TAINT_UNREACHABLE, effect=NO_SCHEDULE)
US_TAINT = Taint(key=TAINT_UNSCHEDULABLE, effect=NO_SCHEDULE)

ACTIONS = ("scheduler", "nodelifecycle", "kubelet", "pods", "fault", "cordon", "taint", "stutter")

_ids = itertools.count(1)


@define
class Universe:
    """The sorts of nodes and pods, and (when finite) their elements by name."""

    node: z3.SortRef
    pod: z3.SortRef
    node_names: tuple[str, ...] | None = None
    pod_names: tuple[str, ...] | None = None
    node_consts: tuple[z3.ExprRef, ...] = ()
    pod_consts: tuple[z3.ExprRef, ...] = ()
    capacity: dict[str, int] = field(factory=dict)  # pods capacity per node (finite only)
    cap: z3.ArrayRef | None = None

    @classmethod
    def open(cls) -> Universe:
        """Uninterpreted sorts: every number of nodes and pods."""
        return cls(z3.DeclareSort("Node"), z3.DeclareSort("Pod"))

    @classmethod
    def finite(cls, nodes: Sequence[str], pods: Sequence[str], capacity: Mapping[str, int] | None = None) -> Universe:
        """Exactly the nodes ``nodes`` and the pod slots ``pods`` (by name), as enumeration sorts."""
        if not nodes or not pods:
            raise ValueError("a finite universe needs at least one node and one pod slot")
        uid = next(_ids)
        node_sort, node_consts = z3.EnumSort(f"Node{uid}", [f"node{uid}_{i}" for i in range(len(nodes))])
        pod_sort, pod_consts = z3.EnumSort(f"Pod{uid}", [f"pod{uid}_{i}" for i in range(len(pods))])
        return cls(
            node_sort,
            pod_sort,
            tuple(nodes),
            tuple(pods),
            tuple(node_consts),
            tuple(pod_consts),
            dict(capacity or {}),
            z3.Array(f"capacity{uid}", node_sort, z3.IntSort()),
        )

    @property
    def is_finite(self) -> bool:
        return self.node_names is not None

    def axioms(self) -> list[z3.BoolRef]:
        """Facts about the universe itself: the pods capacity of each node."""
        if self.cap is None or self.node_names is None:
            return []
        return [
            self.cap[c] == self.capacity[name]
            for name, c in zip(self.node_names, self.node_consts, strict=True)
            if name in self.capacity
        ]

    def node_const(self, name: str) -> z3.ExprRef:
        assert self.node_names is not None
        return self.node_consts[self.node_names.index(name)]

    def pod_const(self, name: str) -> z3.ExprRef:
        assert self.pod_names is not None
        return self.pod_consts[self.pod_names.index(name)]

    def forall(self, sort: z3.SortRef, name: str, body: Callable[[z3.ExprRef], z3.BoolRef]) -> z3.BoolRef:
        """``body`` for every element of ``sort``: a conjunction when finite, a quantifier when open."""
        if self.is_finite:
            return z3.And([body(c) for c in (self.node_consts if sort == self.node else self.pod_consts)])
        x = z3.Const(name, sort)
        return z3.ForAll([x], body(x))


# --- frames and choices -----------------------------------------------------------------------

NODE_BOOLS = ("nr", "ur", "us", "unsched", "powered", "kubelet", "partitioned", "runtime")
POD_BOOLS = ("alive", "bound", "term", "tnr", "tur", "tus")
POD_ROWS = ("blocked", "aff")
FIELDS = ("ready", *NODE_BOOLS, *POD_BOOLS, "where", *POD_ROWS)


class Frame:
    """The slice's variables at one instant: one Z3 array per field of :data:`FIELDS`
    (``frame.ready[n]``, ``frame.where[p]``, ``frame.blocked[p, n]``, ...)."""

    def __init__(self, u: Universe, tag: str) -> None:
        b = z3.BoolSort()
        self.tag = tag
        self.arrays: dict[str, z3.ArrayRef] = {"ready": z3.Array(f"ready@{tag}", u.node, COND)}
        for f in NODE_BOOLS:
            self.arrays[f] = z3.Array(f"{f}@{tag}", u.node, b)
        for f in POD_BOOLS:
            self.arrays[f] = z3.Array(f"{f}@{tag}", u.pod, b)
        self.arrays["where"] = z3.Array(f"where@{tag}", u.pod, u.node)
        for f in POD_ROWS:
            self.arrays[f] = z3.Array(f"{f}@{tag}", u.pod, u.node, b)

    def __getattr__(self, name: str) -> z3.ArrayRef:
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None


class Choice:
    """The free choices of one step (Skolem constants of the step): the pod and node acted on,
    the sets a step may touch, the values new pods get, and which action was taken."""

    def __init__(self, u: Universe, tag: str) -> None:
        b = z3.BoolSort()
        self.tag = tag
        self.action = z3.Int(f"action@{tag}")  # index into ACTIONS
        self.p0 = z3.Const(f"pod@{tag}", u.pod)  # the pod bound
        self.n0 = z3.Const(f"node@{tag}", u.node)  # bind target / kubelet / fault / cordon / taint
        self.flag = z3.Bool(f"flag@{tag}")  # kubelet: heartbeat posted; cordon: new spec.unschedulable
        self.mark = z3.Array(f"mark@{tag}", u.node, b)  # nodelifecycle: nodes found late
        self.born = z3.Array(f"born@{tag}", u.pod, b)  # pods: slots that get a new pod
        self.sel = z3.Array(f"sel@{tag}", u.pod, b)  # pods deleted gracefully (-> Terminating)
        self.gone = z3.Array(f"gone@{tag}", u.pod, b)  # pod objects removed
        self.new_tnr = z3.Array(f"new_tnr@{tag}", u.pod, b)  # new pods' tolerations
        self.new_tur = z3.Array(f"new_tur@{tag}", u.pod, b)
        self.new_tus = z3.Array(f"new_tus@{tag}", u.pod, b)
        self.new_blocked = z3.Array(f"new_blocked@{tag}", u.pod, u.node, b)  # new pods' rows
        self.new_aff = z3.Array(f"new_aff@{tag}", u.pod, u.node, b)
        self.havoc = z3.Array(f"havoc_blocked@{tag}", u.pod, u.node, b)  # nodelifecycle: NoExecute taints
        self.column = z3.Array(f"column@{tag}", u.pod, b)  # taint: the new blocked value for n0
        self.physical = (
            z3.Bool(f"powered@{tag}"),
            z3.Bool(f"kubelet@{tag}"),
            z3.Bool(f"partitioned@{tag}"),
            z3.Bool(f"runtime@{tag}"),
        )


@frozen
class SliceOptions:
    """Switches of the encoding. The defaults give the faithful relation; the others exist so
    that tests can show that the prover notices a broken one."""

    taint_filter: bool = True  # the scheduler's TaintToleration filter
    pod_count_filter: bool = True  # NodeResourcesFit's pod count (finite universes only)
    assume_no_condition_tolerations: bool = True  # no pod tolerates the not-ready / unreachable NoSchedule taints
    assume_runtimes_up: bool = True  # no container runtime stops: the kubelet only posts Ready=True


# --- the relation -----------------------------------------------------------------------------

Update = Callable[..., z3.ExprRef]  # element (or pod, node for rows) -> the field's new value


@frozen
class Action:
    """One action: when it is enabled, and the new value of each field it writes (a function of
    the element); every other field keeps its value."""

    name: str
    guard: z3.BoolRef
    updates: dict[str, Update]


class SchedulingSlice:
    """The transition relation and the predicates of the slice, over one universe."""

    def __init__(self, universe: Universe, options: SliceOptions | None = None) -> None:
        self.u = universe
        self.options = options or SliceOptions()

    def untolerated(self, s: Frame, p: z3.ExprRef, n: z3.ExprRef) -> z3.BoolRef:
        """Node ``n`` has a NoSchedule or NoExecute taint that pod ``p`` does not tolerate
        (``FindMatchingUntoleratedTaint`` with the effects TaintToleration filters on)."""
        return z3.Or(
            z3.And(s.nr[n], z3.Not(s.tnr[p])),
            z3.And(s.ur[n], z3.Not(s.tur[p])),
            z3.And(s.us[n], z3.Not(s.tus[p])),
            s.blocked[p, n],
        )

    def count(self, s: Frame, n: z3.ExprRef) -> z3.ArithRef:
        """The pods bound to ``n``, Terminating ones included (finite universes only)."""
        if not self.u.is_finite:
            raise ValueError("counting pods needs a finite universe")
        return z3.Sum([z3.If(z3.And(s.alive[q], s.bound[q], s.where[q] == n), 1, 0) for q in self.u.pod_consts])

    def feasible(self, s: Frame, p: z3.ExprRef, n: z3.ExprRef) -> z3.BoolRef:
        """The scheduler's filters for pod ``p`` on node ``n``, in the default order."""
        parts = [z3.Or(z3.Not(s.unsched[n]), s.tus[p])]  # NodeUnschedulable
        # NodeName: a pod in the scheduling queue names no node, so it passes.
        if self.options.taint_filter:
            parts.append(z3.Not(self.untolerated(s, p, n)))  # TaintToleration
        parts.append(s.aff[p, n])  # NodeAffinity (nodeSelector, required terms)
        if self.u.is_finite and self.options.pod_count_filter:
            assert self.u.cap is not None
            parts.append(self.count(s, n) + 1 <= self.u.cap[n])  # NodeResourcesFit: pods
        return z3.And(parts)

    def actions(self, s: Frame, s2: Frame, c: Choice) -> list[Action]:
        """The actions of :data:`ACTIONS`, in that order."""
        p0, n0 = c.p0, c.n0
        assume = self.options.assume_no_condition_tolerations

        def new(p: z3.ExprRef) -> z3.BoolRef:
            return z3.And(c.born[p], z3.Not(s.alive[p]))

        def finished(p: z3.ExprRef) -> z3.BoolRef:
            return z3.And(c.gone[p], s.term[p], s.bound[p], s.where[p] == n0)

        powered, running, partitioned, runtime = c.physical
        runtimes_up = self.options.assume_runtimes_up
        # what a kubelet posts: True, or False while its node's runtime is down
        posted = C_TRUE if runtimes_up else z3.If(s.runtime[n0], C_TRUE, C_FALSE)
        physical: dict[str, Update] = {
            "powered": lambda n: z3.If(n == n0, powered, s.powered[n]),
            "kubelet": lambda n: z3.If(n == n0, running, s.kubelet[n]),
            "partitioned": lambda n: z3.If(n == n0, partitioned, s.partitioned[n]),
        }
        if not runtimes_up:
            physical["runtime"] = lambda n: z3.If(n == n0, runtime, s.runtime[n])
        return [
            Action(
                "scheduler",
                z3.And(s.alive[p0], z3.Not(s.bound[p0]), z3.Not(s.term[p0]), self.feasible(s, p0, n0)),
                {
                    "bound": lambda p: z3.Or(p == p0, s.bound[p]),
                    "where": lambda p: z3.If(p == p0, n0, s.where[p]),
                },
            ),
            Action(
                "nodelifecycle",
                z3.BoolVal(True),
                {
                    "ready": lambda n: z3.If(c.mark[n], C_UNKNOWN, s.ready[n]),
                    "nr": lambda n: s2.ready[n] == C_FALSE,
                    "ur": lambda n: s2.ready[n] == C_UNKNOWN,
                    "us": lambda n: s.unsched[n],
                    # legacy eviction mode deletes the pods of lost nodes in the same pass
                    "term": lambda p: z3.Or(s.term[p], z3.And(c.sel[p], s.alive[p], s.bound[p])),
                    # the NoExecute condition taints are not followed
                    "blocked": lambda p, n: c.havoc[p, n],
                },
            ),
            Action(
                "kubelet",
                z3.And(s.powered[n0], s.kubelet[n0], z3.Not(s.partitioned[n0])),
                {
                    "ready": lambda n: z3.If(z3.And(c.flag, n == n0), posted, s.ready[n]),
                    "alive": lambda p: z3.And(s.alive[p], z3.Not(finished(p))),
                },
            ),
            Action(
                "pods",
                z3.BoolVal(True),
                {
                    "alive": lambda p: z3.Or(new(p), z3.And(s.alive[p], z3.Not(c.gone[p]))),
                    "bound": lambda p: z3.And(z3.Not(new(p)), s.bound[p]),
                    "term": lambda p: z3.And(z3.Not(new(p)), z3.Or(s.term[p], z3.And(c.sel[p], s.bound[p]))),
                    "tnr": lambda p: z3.If(new(p), z3.BoolVal(False) if assume else c.new_tnr[p], s.tnr[p]),
                    "tur": lambda p: z3.If(new(p), z3.BoolVal(False) if assume else c.new_tur[p], s.tur[p]),
                    "tus": lambda p: z3.If(new(p), c.new_tus[p], s.tus[p]),
                    "blocked": lambda p, n: z3.If(new(p), c.new_blocked[p, n], s.blocked[p, n]),
                    "aff": lambda p, n: z3.If(new(p), c.new_aff[p, n], s.aff[p, n]),
                },
            ),
            Action("fault", z3.BoolVal(True), physical),
            Action("cordon", z3.BoolVal(True), {"unsched": lambda n: z3.If(n == n0, c.flag, s.unsched[n])}),
            Action("taint", z3.BoolVal(True), {"blocked": lambda p, n: z3.If(n == n0, c.column[p], s.blocked[p, n])}),
            Action("stutter", z3.BoolVal(True), {}),
        ]

    def transition(self, s: Frame, s2: Frame, c: Choice) -> z3.BoolRef:
        """Next(s, s2): ``c.action`` names the action taken; its guard holds; each field of s2 is
        the update of that action, or the field of s when the action does not write it."""
        actions = self.actions(s, s2, c)
        parts = [c.action >= 0, c.action < len(actions)]
        parts += [z3.Implies(c.action == i, a.guard) for i, a in enumerate(actions) if not z3.is_true(a.guard)]
        for f in FIELDS:
            writers = [(i, a.updates[f]) for i, a in enumerate(actions) if f in a.updates]
            parts.append(self._define(s, s2, f, c, writers))
        return z3.And(parts)

    def _define(self, s: Frame, s2: Frame, f: str, c: Choice, writers: list[tuple[int, Update]]) -> z3.BoolRef:
        """s2.f as a case split on the action (pointwise when finite, one lambda when open)."""
        rows = f in POD_ROWS
        over_nodes = f == "ready" or f in NODE_BOOLS

        def value(*x: z3.ExprRef) -> z3.ExprRef:
            out = s.arrays[f][x if rows else x[0]]
            for i, update in reversed(writers):
                out = z3.If(c.action == i, update(*x), out)
            return out

        u = self.u
        if u.is_finite:
            if rows:
                return z3.And([s2.arrays[f][p, n] == value(p, n) for p in u.pod_consts for n in u.node_consts])
            consts = u.node_consts if over_nodes else u.pod_consts
            return z3.And([s2.arrays[f][x] == value(x) for x in consts])
        if not writers:
            return s2.arrays[f] == s.arrays[f]
        p = z3.Const(f"p!{c.tag}", u.pod)
        n = z3.Const(f"n!{c.tag}", u.node)
        if rows:
            return s2.arrays[f] == z3.Lambda([p, n], value(p, n))
        x = n if over_nodes else p
        return s2.arrays[f] == z3.Lambda([x], value(x))

    def init_any(self, s: Frame) -> z3.BoolRef:
        """Initial states of every size: each node registered and Ready (as every kmodel
        scenario starts), pods anywhere; with the toleration assumption, no pod tolerating the
        not-ready / unreachable NoSchedule taints."""
        parts = [self.u.forall(self.u.node, f"n!init{s.tag}", lambda n: s.ready[n] == C_TRUE)]
        if self.options.assume_no_condition_tolerations:
            parts.append(NO_CONDITION_TOLERATIONS.holds(self, s))
        return z3.And(parts)


# --- the Python side: concrete slice states -------------------------------------------------------


@frozen
class NodeView:
    ready: str  # "True" / "False" / "Unknown"
    nr: bool  # node.kubernetes.io/not-ready:NoSchedule
    ur: bool  # node.kubernetes.io/unreachable:NoSchedule
    us: bool  # node.kubernetes.io/unschedulable:NoSchedule
    unsched: bool  # spec.unschedulable
    powered: bool = True
    kubelet: bool = True
    partitioned: bool = False
    runtime: bool = True  # the container runtime is up

    def taints(self) -> list[str]:
        keys = ((self.nr, TAINT_NOT_READY), (self.ur, TAINT_UNREACHABLE), (self.us, TAINT_UNSCHEDULABLE))
        return [f"{key}:NoSchedule" for on, key in keys if on]


@frozen
class PodView:
    node: str | None  # spec.nodeName
    term: bool  # Terminating
    tnr: bool  # tolerates node.kubernetes.io/not-ready:NoSchedule
    tur: bool  # tolerates node.kubernetes.io/unreachable:NoSchedule
    tus: bool  # tolerates node.kubernetes.io/unschedulable:NoSchedule
    blocked: frozenset[str] = frozenset()  # nodes with another taint it does not tolerate
    aff: frozenset[str] = frozenset()  # nodes passing its NodeAffinity filter


@frozen
class SliceState:
    """One state of the slice with named nodes and pods (from a cluster, or read from a model)."""

    nodes: tuple[tuple[str, NodeView], ...]
    pods: tuple[tuple[str, PodView], ...]

    def node(self, name: str) -> NodeView | None:
        return dict(self.nodes).get(name)

    def pod(self, name: str) -> PodView | None:
        return dict(self.pods).get(name)

    def on(self, node: str) -> list[str]:
        return [name for name, p in self.pods if p.node == node]


def _other_untolerated(pod: Pod, node: Node) -> bool:
    for t in node.taints:
        if t.effect not in (NO_SCHEDULE, NO_EXECUTE):
            continue
        if t.effect == NO_SCHEDULE and t.key in CONDITION_TAINT_KEYS:
            continue
        if not tolerates_all(pod.tolerations, t):
            return True
    return False


def scenario_stops_runtimes(scenario: Scenario) -> bool:
    """The scenario can stop a container runtime: a ``stopRuntime`` fault budget or a ``stop
    runtime/NAME`` timeline event (the scheduling slice's runtime assumption then fails)."""
    budget = dict(scenario.faults or ()).get("stopRuntime", 0) > 0
    return budget or any(ev.verb == "stop" and ev.kind == "runtime" for ev in scenario.timeline)


def _selects(pod: Pod, node: Node) -> bool:
    """The NodeAffinity filter for one node: the nodeSelector and the required terms (what the
    PreFilter's node names rule out, no term matches either)."""
    return nodeaffinity.required_matches(pod, node)


def project(cluster: Cluster) -> SliceState:
    """The slice's view of a cluster state."""
    nodes = tuple(
        (
            n.name,
            NodeView(
                n.ready,
                n.has_taint(TAINT_NOT_READY, NO_SCHEDULE),
                n.has_taint(TAINT_UNREACHABLE, NO_SCHEDULE),
                n.has_taint(TAINT_UNSCHEDULABLE, NO_SCHEDULE),
                n.unschedulable,
                n.powered,
                n.kubelet_running,
                n.partitioned,
                n.runtime_ready,
            ),
        )
        for n in cluster.nodes
    )
    pods = tuple(
        (
            p.name,
            PodView(
                p.node_name,
                p.terminating,
                tolerates_all(p.tolerations, NR_TAINT),
                tolerates_all(p.tolerations, UR_TAINT),
                tolerates_all(p.tolerations, US_TAINT),
                frozenset(n.name for n in cluster.nodes if _other_untolerated(p, n)),
                frozenset(n.name for n in cluster.nodes if _selects(p, n)),
            ),
        )
        for p in cluster.pods
    )
    return SliceState(nodes, pods)


def pin(u: Universe, s: Frame, state: SliceState) -> list[z3.BoolRef]:
    """Constraints making frame ``s`` equal to ``state`` (finite universes). Fields that mean
    nothing for a pod slot (where an unbound pod is, anything about an empty slot) stay free."""
    assert u.node_names is not None and u.pod_names is not None
    if sorted(u.node_names) != sorted(name for name, _ in state.nodes):
        raise ValueError(f"the state's nodes {[n for n, _ in state.nodes]} are not the universe's {u.node_names}")
    out: list[z3.BoolRef] = []
    for name, v in state.nodes:
        n = u.node_const(name)
        out.append(s.ready[n] == COND_VALUE[v.ready])
        out += [s.arrays[f][n] == getattr(v, f) for f in NODE_BOOLS]
    pods = dict(state.pods)
    unknown = set(pods) - set(u.pod_names)
    if unknown:
        raise ValueError(f"pods {sorted(unknown)} have no slot in the universe")
    for name, p in zip(u.pod_names, u.pod_consts, strict=True):
        v = pods.get(name)
        if v is None:
            out.append(z3.Not(s.alive[p]))
            continue
        out += [s.alive[p], s.bound[p] == (v.node is not None), s.term[p] == v.term]
        out += [s.tnr[p] == v.tnr, s.tur[p] == v.tur, s.tus[p] == v.tus]
        if v.node is not None:
            out.append(s.where[p] == u.node_const(v.node))
        for node_name, n in zip(u.node_names, u.node_consts, strict=True):
            out.append(s.blocked[p, n] == (node_name in v.blocked))
            out.append(s.aff[p, n] == (node_name in v.aff))
    return out


def read(
    model: z3.ModelRef,
    s: Frame,
    nodes: Sequence[tuple[str, z3.ExprRef]],
    pods: Sequence[tuple[str, z3.ExprRef]],
) -> SliceState:
    """Frame ``s`` in ``model``, with the given (name, element) pairs; empty pod slots left out."""

    def ev(term: z3.ExprRef) -> z3.ExprRef:
        return model.eval(term, model_completion=True)

    def yes(term: z3.ExprRef) -> bool:
        return z3.is_true(ev(term))

    node_views = tuple(
        (
            name,
            NodeView(
                _cond_name(ev(s.ready[n])),
                *(yes(s.arrays[f][n]) for f in NODE_BOOLS),
            ),
        )
        for name, n in nodes
    )
    by_value = [(ev(n), name) for name, n in nodes]

    def node_name(value: z3.ExprRef) -> str:
        for v, name in by_value:
            if z3.eq(v, value):
                return name
        return str(value)

    pod_views = []
    for name, p in pods:
        if not yes(s.alive[p]):
            continue
        where = node_name(ev(s.where[p])) if yes(s.bound[p]) else None
        pod_views.append(
            (
                name,
                PodView(
                    where,
                    yes(s.term[p]),
                    yes(s.tnr[p]),
                    yes(s.tur[p]),
                    yes(s.tus[p]),
                    frozenset(nn for nn, n in nodes if yes(s.blocked[p, n])),
                    frozenset(nn for nn, n in nodes if yes(s.aff[p, n])),
                ),
            )
        )
    return SliceState(node_views, tuple(pod_views))


def _cond_name(value: z3.ExprRef) -> str:
    for name, v in COND_VALUE.items():
        if z3.eq(value, v):
            return name
    return str(value)


# --- predicates ---------------------------------------------------------------------------------


@frozen
class StatePredicate:
    """A state invariant: ``body`` holds for every node (or every pod) of a state.

    ``check`` is the same predicate on a :class:`SliceState`, for the agreement tests and to
    explain a counterexample: the names of the elements where it fails, each with why.
    """

    name: str
    doc: str
    over: str  # "node" or "pod"
    body: Callable[[SchedulingSlice, Frame, z3.ExprRef], z3.BoolRef]
    check: Callable[[SliceState], list[tuple[str, str]]]
    needs_finite: bool = False

    def holds(self, sl: SchedulingSlice, s: Frame) -> z3.BoolRef:
        sort = sl.u.node if self.over == "node" else sl.u.pod
        return sl.u.forall(sort, f"{self.over}!{self.name}!{s.tag}", lambda x: self.body(sl, s, x))


@frozen
class StepPredicate:
    """A transition invariant: ``body`` holds for every pod across a step."""

    name: str
    doc: str
    body: Callable[[SchedulingSlice, Frame, Frame, z3.ExprRef], z3.BoolRef]
    check: Callable[[SliceState, SliceState], list[tuple[str, str]]]
    over: str = "pod"
    needs_finite: bool = False


def _unready_tainted_body(sl: SchedulingSlice, s: Frame, n: z3.ExprRef) -> z3.BoolRef:
    return z3.And(z3.Implies(s.ready[n] == C_UNKNOWN, s.ur[n]), z3.Implies(s.ready[n] == C_FALSE, s.nr[n]))


def _unready_tainted_check(state: SliceState) -> list[tuple[str, str]]:
    out = []
    for name, v in state.nodes:
        if v.ready == COND_UNKNOWN and not v.ur:
            out.append((name, f"node {name} is Ready=Unknown but has no {TAINT_UNREACHABLE}:NoSchedule taint"))
        if v.ready == COND_FALSE and not v.nr:
            out.append((name, f"node {name} is Ready=False but has no {TAINT_NOT_READY}:NoSchedule taint"))
    return out


UNREADY_NODES_ARE_TAINTED = StatePredicate(
    "unready-nodes-are-tainted",
    "A node whose Ready condition is Unknown carries node.kubernetes.io/unreachable:NoSchedule, and one "
    "whose Ready condition is False carries node.kubernetes.io/not-ready:NoSchedule (the node lifecycle "
    "controller changes the condition and the taint in the same step; only the kubelet's Ready=True "
    "leaves a taint behind, which is harmless).",
    "node",
    _unready_tainted_body,
    _unready_tainted_check,
)


def _no_tolerations_body(sl: SchedulingSlice, s: Frame, p: z3.ExprRef) -> z3.BoolRef:
    return z3.Implies(s.alive[p], z3.And(z3.Not(s.tnr[p]), z3.Not(s.tur[p])))


def _no_tolerations_check(state: SliceState) -> list[tuple[str, str]]:
    return [
        (name, f"pod {name} tolerates the {'not-ready' if v.tnr else 'unreachable'} NoSchedule taint")
        for name, v in state.pods
        if v.tnr or v.tur
    ]


NO_CONDITION_TOLERATIONS = StatePredicate(
    "pods-do-not-tolerate-condition-taints",
    "No pod tolerates node.kubernetes.io/not-ready:NoSchedule or node.kubernetes.io/unreachable:NoSchedule.",
    "pod",
    _no_tolerations_body,
    _no_tolerations_check,
)


def _capacity_body(sl: SchedulingSlice, s: Frame, n: z3.ExprRef) -> z3.BoolRef:
    assert sl.u.cap is not None
    return sl.count(s, n) <= sl.u.cap[n]


def capacity_check(capacity: Mapping[str, int]) -> Callable[[SliceState], list[tuple[str, str]]]:
    def check(state: SliceState) -> list[tuple[str, str]]:
        out = []
        for name, _ in state.nodes:
            bound = len(state.on(name))
            if name in capacity and bound > capacity[name]:
                out.append((name, f"node {name} has {bound} pods bound, above its pods capacity {capacity[name]}"))
        return out

    return check


def pods_within_capacity(capacity: Mapping[str, int]) -> StatePredicate:
    """The counting property for nodes of the given pods capacities."""
    return StatePredicate(
        "pods-within-capacity",
        "No node ever has more pods bound to it (Terminating ones included) than its pods capacity "
        "(kube-scheduler's NodeResourcesFit filter: 'Too many pods').",
        "node",
        _capacity_body,
        capacity_check(capacity),
        needs_finite=True,
    )


def _no_unready_bind_body(sl: SchedulingSlice, s: Frame, s2: Frame, p: z3.ExprRef) -> z3.BoolRef:
    target = s2.where[p]
    return z3.Implies(
        z3.And(s.alive[p], z3.Not(s.bound[p]), s2.alive[p], s2.bound[p]),
        z3.And(s.ready[target] == C_TRUE, z3.Not(sl.untolerated(s, p, target))),
    )


def _untolerated_view(pod: PodView, node_name: str, node: NodeView) -> str | None:
    for on, tolerated, key in (
        (node.nr, pod.tnr, TAINT_NOT_READY),
        (node.ur, pod.tur, TAINT_UNREACHABLE),
        (node.us, pod.tus, TAINT_UNSCHEDULABLE),
    ):
        if on and not tolerated:
            return f"{key}:NoSchedule"
    if node_name in pod.blocked:
        return "another NoSchedule/NoExecute taint"
    return None


def _no_unready_bind_check(before: SliceState, after: SliceState) -> list[tuple[str, str]]:
    out = []
    for name, new in after.pods:
        old = before.pod(name)
        if old is None or old.node is not None or new.node is None:
            continue
        node = before.node(new.node)
        if node is None:
            continue
        why = []
        if node.ready != COND_TRUE:
            why.append(f"its Ready condition was {node.ready}")
        taint = _untolerated_view(old, new.node, node)
        if taint is not None:
            why.append(f"it had the taint {taint}, which the pod does not tolerate")
        if why:
            out.append((name, f"pod {name} was bound to {new.node}, but {' and '.join(why)}"))
    return out


NO_SCHEDULE_TO_UNREADY_NODE = StepPredicate(
    "no-schedule-to-unready-node",
    "A pod goes from no nodeName to a node only if that node is Ready and has no NoSchedule / "
    "NoExecute taint the pod does not tolerate (as kmodel check's property of that name).",
    _no_unready_bind_body,
    _no_unready_bind_check,
)


def _stay_put_body(sl: SchedulingSlice, s: Frame, s2: Frame, p: z3.ExprRef) -> z3.BoolRef:
    return z3.Implies(
        z3.And(s.alive[p], s.bound[p], s2.alive[p]),
        z3.And(s2.bound[p], s2.where[p] == s.where[p]),
    )


def _stay_put_check(before: SliceState, after: SliceState) -> list[tuple[str, str]]:
    out = []
    for name, old in before.pods:
        new = after.pod(name)
        if old.node is None or new is None or new.node == old.node:
            continue
        out.append((name, f"pod {name} moved from {old.node} to {new.node or 'no node'}"))
    return out


BOUND_PODS_STAY_PUT = StepPredicate(
    "bound-pods-stay-put",
    "A bound pod's nodeName never changes and is never unset while the pod exists (as kmodel "
    "check's property of that name).",
    _stay_put_body,
    _stay_put_check,
)


# --- scenarios ------------------------------------------------------------------------------------

_OUTSIDE = {
    "apply": "it can add nodes, change labels or capacity, or create pods already bound to a node",
    "delete node": "the slice has a fixed set of nodes",
}


PROVE_FIX = "check it with kmodel check (--engine explore or hypothesis)"


def _unprovable(scen: Scenario, message: str, fix: str = PROVE_FIX) -> NoReturn:
    """Refuse a scenario ``kmodel prove`` cannot encode, naming the file."""
    raise KmodelError(message, file=scen.path, where="kmodel prove", fix=fix)


_CHECK_FIX = "check with --engine explore or --engine hypothesis"


def _refused_by_slices(scen: Scenario, refuse: Callable[[], None]) -> None:
    """Run one of the Z3 slices' shared refusals (kmodel.smt.nodehealth) for ``kmodel prove``:
    its error names the scenario file, and its fix names kmodel check (prove has no --engine)."""
    try:
        refuse()
    except SliceError as err:
        fix = str(err.fix).replace(_CHECK_FIX, "check it with kmodel check (--engine explore or hypothesis)")
        raise KmodelError(str(err.message), file=scen.path, where="kmodel prove", fix=fix) from None


def check_scenario(scen: Scenario) -> None:
    """Refuse a scenario whose timeline does something the slice's actions do not cover, or
    whose pod templates pin ``spec.nodeName`` (their pods are created already bound, skipping
    the scheduler, which the slice's pod creation does not do)."""
    first = scen.initial_state()
    _refused_by_slices(scen, lambda: refuse_watch_cache_lag(scen.settings, "kmodel prove"))
    if scen.fault_rules:
        _unprovable(
            scen,
            f"faultRules ({scen.fault_rules[0].name}: a fault that fires when a condition over the state holds) "
            "are not encoded in Z3",
        )
    _refused_by_slices(scen, lambda: refuse_informer_lag(scen.settings, "kmodel prove"))
    _refused_by_slices(scen, lambda: refuse_disruption(first, scen.timeline, "kmodel prove", scen.faults))
    # kmodel.partitions: zone partitions, joining nodes and the historical safeguards switched off
    for key, on in (
        ("zoneDisruptionSafeguard", scen.settings.zone_disruption_safeguard),
        ("nodeTaintAdmission", scen.settings.node_taint_admission),
    ):
        if not on:
            _unprovable(
                scen,
                f"{key}: false (a safeguard switched off, as in Kubernetes before it existed) is not encoded in Z3",
                f"check it with kmodel check (--engine explore or hypothesis), or drop {key}",
            )
    # kmodel.hapartition: cuts between control-plane machines
    _refused_by_slices(scen, lambda: refuse_control_plane_partitions(scen.timeline, scen.faults or (), "kmodel prove"))
    for ev in scen.timeline:
        if ev.verb == "join" or (ev.verb in ("partition", "heal") and ev.kind == "zone"):
            _unprovable(
                scen,
                f"timeline event {ev.text!r}: zone partitions and nodes joining are not encoded in Z3",
            )
    applied = [m.name for ev in scen.timeline for m in ev.manifests if m.kind == "StatefulSet"]
    for name in [s.name for s in first.statefulsets] + applied:
        _unprovable(
            scen,
            f"statefulset {name} needs the StatefulSet controller, which the Z3 encoding does not cover",
        )
    if scen.descheduler is not None:
        _unprovable(
            scen,
            "the scenario runs the descheduler (a DeschedulerPolicy), which the Z3 encoding does not cover",
        )

    hpas = [m.name for m in scen.manifests if m.kind == "HorizontalPodAutoscaler"]
    hpas += [m.name for ev in scen.timeline for m in ev.manifests if m.kind == "HorizontalPodAutoscaler"]
    if hpas:
        _unprovable(
            scen,
            f"horizontalpodautoscaler {hpas[0]} needs the HorizontalPodAutoscaler controller, which the Z3 "
            "encoding does not cover",
        )
    daemonsets = [m.name for m in scen.manifests if m.kind == "DaemonSet"]
    daemonsets += [m.name for ev in scen.timeline for m in ev.manifests if m.kind == "DaemonSet"]
    if daemonsets:
        _unprovable(
            scen,
            f"daemonset {daemonsets[0]}: the scheduling slice does not encode DaemonSets (the DaemonSet "
            "controller creates a pod per node, pinned by node affinity)",
            "check it with kmodel check --engine explore",
        )
    templates = [(f"deployment {d.name}", d.template) for d in first.deployments]
    templates += [(f"replicaset {rs.name}", rs.template) for rs in first.replicasets]
    for who, t in templates:
        if t.node_name is not None:
            _unprovable(
                scen,
                f"{who}'s pod template sets spec.nodeName ({t.node_name}): its pods are created bound, without the "
                "scheduler, which the scheduling slice does not encode",
                "check it with kmodel check (the property pods-admitted covers the kubelet's admission)",
            )
    for ev in scen.timeline:
        what = None
        if ev.verb == "apply":
            what = _OUTSIDE["apply"]
        elif ev.verb == "delete" and ev.kind == "node":
            what = _OUTSIDE["delete node"]
        elif ev.verb == "taint" and ev.args and any(ev.args[0].startswith(k) for k in CONDITION_TAINT_KEYS):
            what = "the node-condition taints are the node lifecycle controller's to set"
        if what is not None:
            _unprovable(
                scen,
                f"timeline event {ev.text!r} is outside the scheduling slice: {what}",
                "remove the event (the prover covers faults, pod deletions, scale, cordon at any time anyway) "
                "or use kmodel check",
            )


def templates_tolerating_condition_taints(scen: Scenario) -> list[str]:
    """Pod templates (and bare pods) of the scenario that tolerate the not-ready or unreachable
    NoSchedule taint, as ``kind/name``."""
    out = []
    for m in scen.manifests:
        template = getattr(m.obj, "template", None)
        tolerations: Iterable = getattr(template, "tolerations", None) or getattr(m.obj, "tolerations", ()) or ()
        tolerations = tuple(tolerations)
        if tolerates_all(tolerations, NR_TAINT) or tolerates_all(tolerations, UR_TAINT):
            out.append(f"{m.kind.lower()}/{m.name}")
    return out


# --- checking concrete steps against the relation -------------------------------------------------


# Which actions of the slice stand for each actor of the Python model (kmodel.checkmodel):
# every step an actor takes must be admitted by one of its actions.
_USER = ("fault", "pods", "cordon", "taint", "stutter")
ACTOR_ACTIONS: dict[str, tuple[str, ...]] = {
    "scheduler": ("scheduler", "stutter"),  # a bind, or "cannot schedule" (nothing changes)
    "nodelifecycle": ("nodelifecycle",),
    "kubelet": ("kubelet",),
    "replicaset": ("pods",),
    "tainteviction": ("pods",),
    "podgc": ("pods",),
    "garbagecollector": ("pods",),
    "deployment": ("stutter",),
    "endpoints": ("stutter",),
    "clock": ("stutter",),
    "fault": ("fault", "pods", "stutter"),  # power / kubelet / partition; deletePod; killPod, components
    "repair": ("fault", "stutter"),
    "timeline": _USER,
    "user": _USER,
}


def actions_of(actor: str) -> tuple[str, ...]:
    """The slice's actions for a Python actor (``kubelet/node-a`` -> the kubelet's)."""
    return ACTOR_ACTIONS[actor.split("/", 1)[0]]


class StepChecker:
    """Decides whether concrete slice states and steps are admitted by the relation (over a finite
    universe of the given nodes and pod names): the link between the encoding and the Python
    model that the agreement tests use."""

    def __init__(
        self,
        nodes: Sequence[str],
        pods: Sequence[str],
        capacity: Mapping[str, int] | None = None,
        options: SliceOptions | None = None,
    ) -> None:
        self.universe = Universe.finite(nodes, pods, capacity or {n: 110 for n in nodes})
        self.slice = SchedulingSlice(self.universe, options)
        self.before = Frame(self.universe, "before")
        self.after = Frame(self.universe, "after")
        self.choice = Choice(self.universe, "step")
        self.solver = z3.Solver()
        self.solver.add(*self.universe.axioms())
        self.solver.add(self.slice.transition(self.before, self.after, self.choice))

    def admits(self, before: SliceState, after: SliceState, actions: Iterable[str] | None = None) -> str | None:
        """The action (one of ``actions``, default any) that takes ``before`` to ``after``, or
        None if the relation has none. Raises if z3 cannot decide."""
        self.solver.push()
        try:
            self.solver.add(*pin(self.universe, self.before, before), *pin(self.universe, self.after, after))
            if actions is not None:
                self.solver.add(z3.Or([self.choice.action == ACTIONS.index(a) for a in actions]))
            verdict = self.solver.check()
            if verdict == z3.unknown:
                raise RuntimeError(f"z3 could not decide a step: {self.solver.reason_unknown()}")
            if verdict == z3.unsat:
                return None
            index = self.solver.model().eval(self.choice.action, model_completion=True).as_long()
            return ACTIONS[index]
        finally:
            self.solver.pop()

    def holds(self, pred: StatePredicate, state: SliceState) -> bool:
        """Whether the Z3 form of ``pred`` holds on ``state``."""
        solver = z3.Solver()
        solver.add(*self.universe.axioms(), *pin(self.universe, self.before, state))
        solver.add(z3.Not(pred.holds(self.slice, self.before)))
        return solver.check() == z3.unsat
