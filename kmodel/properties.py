"""Properties of the control plane: the built-in ones, and the decorators to write more.

A property is a plain function of the cluster (:class:`kmodel.state.Cluster`), registered with
one of three decorators:

- ``@invariant(name)``: ``f(cluster) -> bool`` holds in every reachable state;
- ``@transition_invariant(name)``: ``f(before, after) -> bool`` holds for every step of the model
  (a component's step, a fault, a timeline event, the clock);
- ``@eventually(name, bound=None)``: ``f(cluster) -> bool`` becomes true within ``bound`` seconds
  of model time once the checker stops injecting faults (undoing every fault it injected), and
  again within that bound whenever it is lost after that. ``None`` means
  :func:`convergence_bound` of the scenario's settings.

Every decorator also takes ``explain=``, a function with the same arguments returning one line
that says what is wrong (which pods, which nodes, which numbers), and ``doc=`` (default: the
function's docstring). A property file is an ordinary Python file using them::

    from kmodel.properties import invariant

    def _terminating(cluster):
        return [p.name for p in cluster.pods if p.terminating]

    @invariant("one-terminating-at-most", explain=lambda c: f"terminating: {', '.join(_terminating(c))}")
    def one_terminating_at_most(cluster):
        "No more than one pod is Terminating at any time."
        return len(_terminating(cluster)) <= 1

``kmodel check --property-file FILE.py`` loads it with :func:`load_property_file`; the decorated
names stay callable like the functions they wrap.

The built-ins (:data:`BUILTINS`) each check one promise of a real controller; their docstrings say
which, and where the model has to decide what "should" means (which pods are owed, how late is
late) the rule is spelled out there.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import itertools
import math
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from kmodel import versions
from kmodel.checkmodel import cluster_of
from kmodel.components import eviction
from kmodel.components import statefulset as sts_controller
from kmodel.components.nodelifecycle import FULL
from kmodel.components.plugins import interpodaffinity, nodeports
from kmodel.components.plugins.framework import CycleState
from kmodel.engines.base import ALWAYS, ALWAYS_TRANSITION, EVENTUALLY, Property
from kmodel.errors import KmodelError
from kmodel.frozen import evolve
from kmodel.namespaces import namespace_of, same_namespace
from kmodel.schedulingspec import PodAffinityTerm
from kmodel.settings import Settings
from kmodel.state import (
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
    DaemonSet,
    Deployment,
    Job,
    Node,
    Pod,
    ReplicaSet,
    Resources,
    StatefulSet,
    Taint,
    Toleration,
    find,
    pod_available,
    pods_by_node,
    selector_matches,
)

KINDS = (ALWAYS, ALWAYS_TRANSITION, EVENTUALLY)
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# the reason of the DisruptionTarget condition the scheduler's preemption sets (v1.PodReasonPreemptionByScheduler)
PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler"
# the node-condition taints the node lifecycle controller adds and lifts with the Ready condition
CONDITION_TAINTS = (TAINT_NOT_READY, TAINT_UNREACHABLE)


# --- definitions and the decorators -------------------------------------------------------------


@frozen
class PropertyDef:
    """A property as written: Cluster-level functions, before they are wrapped for an engine."""

    name: str
    kind: str  # ALWAYS, ALWAYS_TRANSITION or EVENTUALLY (kmodel.engines.base)
    doc: str
    fn: Callable[..., bool]  # (cluster) or (before, after)
    explain: Callable[..., str] | None = None  # same arguments as fn
    bound: int | None = None  # eventually: seconds; None = convergence_bound(settings)
    needs_fairness: bool = False
    # eventually: the bound from the scenario's settings when ``bound`` is None (None:
    # convergence_bound); a built-in about one kind of object gives it for its own pipeline
    bound_of: Callable[[Settings], int] | None = None

    def __call__(self, *clusters: Cluster) -> bool:
        """A decorated name stays usable as the function it decorates."""
        return self.fn(*clusters)

    @property
    def summary(self) -> str:
        """The first line of the doc."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


# The definitions made while a property file is being imported go here (see collecting()).
_collector: ContextVar[list[PropertyDef] | None] = ContextVar("kmodel_property_collector", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[list[PropertyDef]]:
    """Collect every property defined inside the block, in order of definition."""
    found: list[PropertyDef] = []
    token = _collector.set(found)
    try:
        yield found
    finally:
        _collector.reset(token)


def _arity_ok(fn: Callable[..., Any], n: int) -> bool:
    try:
        inspect.signature(fn).bind(*([None] * n))
    except TypeError:
        return False
    except ValueError:  # no signature (a builtin): give it the benefit of the doubt
        return True
    return True


def _define(
    kind: str,
    name: object,
    doc: str | None,
    explain: Callable[..., str] | None,
    bound: int | None,
    decorator: str,
) -> Callable[[Callable[..., bool]], PropertyDef]:
    args = 2 if kind == ALWAYS_TRANSITION else 1
    shape = "f(before, after)" if args == 2 else "f(cluster)"
    if callable(name) or not isinstance(name, str):
        raise TypeError(f'@{decorator} needs a property name first: write @{decorator}("my-property")')
    if not _NAME.match(name):
        raise ValueError(
            f"property name {name!r} must be lower case letters, digits, '-', '.' or '_' (e.g. 'pods-spread')"
        )
    if explain is not None and (not callable(explain) or not _arity_ok(explain, args)):
        raise TypeError(f"@{decorator}({name!r}): explain= must be a function {shape} returning a string")
    if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int) or bound <= 0):
        raise ValueError(f"@{decorator}({name!r}): bound must be a positive whole number of seconds (got {bound!r})")

    def wrap(fn: Callable[..., bool]) -> PropertyDef:
        if not callable(fn):
            raise TypeError(f"@{decorator}({name!r}) must decorate a function {shape}")
        if not _arity_ok(fn, args):
            raise TypeError(f"@{decorator}({name!r}) decorates a function {shape}; {fn.__name__} takes other arguments")
        text = doc if doc is not None else inspect.getdoc(fn) or ""
        defn = PropertyDef(name, kind, text, fn, explain, bound, needs_fairness=kind == EVENTUALLY)
        found = _collector.get()
        if found is not None:
            found.append(defn)
        return defn

    return wrap


def invariant(
    name: str, doc: str | None = None, *, explain: Callable[[Cluster], str] | None = None
) -> Callable[[Callable[[Cluster], bool]], PropertyDef]:
    """``f(cluster) -> bool`` must hold in every reachable state."""
    return _define(ALWAYS, name, doc, explain, None, "invariant")


def transition_invariant(
    name: str, doc: str | None = None, *, explain: Callable[[Cluster, Cluster], str] | None = None
) -> Callable[[Callable[[Cluster, Cluster], bool]], PropertyDef]:
    """``f(before, after) -> bool`` must hold for every step the model can take."""
    return _define(ALWAYS_TRANSITION, name, doc, explain, None, "transition_invariant")


def eventually(
    name: str, bound: int | None = None, doc: str | None = None, *, explain: Callable[[Cluster], str] | None = None
) -> Callable[[Callable[[Cluster], bool]], PropertyDef]:
    """``f(cluster) -> bool`` must hold within ``bound`` seconds once faults stop (a fair run);
    ``bound=None``: :func:`convergence_bound` of the scenario's settings."""
    return _define(EVENTUALLY, name, doc, explain, bound, "eventually")


# --- from definitions to engine properties ------------------------------------------------------

CONVERGENCE_SLACK_TICKS = 3


def convergence_bound(settings: Settings) -> int:
    """Seconds a healed cluster needs, at most, to bring every Deployment back to its replicas.

    Counted from the moment the checker stops and undoes its faults (every machine powered, every
    kubelet and control-plane process running, no partition), with ``step`` = one tick and
    ``period`` = ``nodeMonitorPeriod``::

        step              a powered-on kubelet posts Ready=True at its first sync (it posts at once
                          when its node is not shown Ready)
      + period + step     the node lifecycle controller's next pass sees Ready and lifts the
                          not-ready / unreachable taints (the pass may have run earlier in that tick)
      + 4 * step          Deployment -> ReplicaSet -> scheduler -> kubelet: each may need a tick of
                          its own, since within a tick the components act in any order; a started
                          container is ready at once (the model has no probes)
      + 2 * step          a Terminating pod finishes: the kubelet stops its containers, then removes
                          the object (frees its room on the node)
      + 3 * step          slack
      = period + 11 * step          (60 s with the defaults: 5 s period, 5 s tick)

    It covers recovery, not a whole rolling update (each surge round takes several ticks), and
    not the eviction of pods from a node the scenario's own timeline leaves dead (that takes
    nodeMonitorGracePeriod + tolerationSeconds; see ``eviction-after-timeout``). tests/
    test_properties.py measures the worst case on small scenarios and compares.
    """
    step = settings.step
    heartbeat = step
    taints_lifted = settings.node_monitor_period + step
    pipeline = 4 * step
    terminating = 2 * step
    return heartbeat + taints_lifted + pipeline + terminating + CONVERGENCE_SLACK_TICKS * step


def _user_frame(err: BaseException, filename: str) -> int | None:
    line = None
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def _guard(defn: PropertyDef, fn: Callable[..., Any], what: str, want: type) -> Callable[..., Any]:
    """Run a property's function; for properties from user files, turn an exception or a result
    of the wrong type into a one-line KmodelError naming the file and line."""
    builtin = getattr(fn, "__module__", None) == __name__
    if builtin:
        return fn
    code = getattr(fn, "__code__", None)
    filename = code.co_filename if code is not None else None

    def run(*clusters: Cluster) -> Any:
        try:
            result = fn(*clusters)
        except KmodelError:
            raise
        except Exception as err:
            line = _user_frame(err, filename) if filename else None
            raise KmodelError(
                f"{what} raised {type(err).__name__}: {err} (at t={clusters[-1].now}s)",
                file=filename,
                line=line,
                where=f"property {defn.name}",
                fix="make the function work on every cluster state (e.g. guard against missing objects)",
            ) from None
        if not isinstance(result, want):
            raise KmodelError(
                f"{what} returned {result!r}, not a {want.__name__}",
                file=filename,
                line=code.co_firstlineno if code is not None else None,
                where=f"property {defn.name}",
                fix=f"return a {want.__name__}",
            )
        return result

    return run


def to_property(defn: PropertyDef, settings: Settings) -> Property:
    """The engine's view of ``defn``: callables on engine states (a checker state with
    ``.cluster``, or a bare Cluster), and the bound of an ``eventually`` resolved."""
    fn = _guard(defn, defn.fn, "the property", bool)
    explain = _guard(defn, defn.explain, "explain", str) if defn.explain is not None else None
    if defn.kind == ALWAYS_TRANSITION:
        return Property(
            defn.name,
            ALWAYS_TRANSITION,
            defn.doc,
            transition=lambda a, b: fn(cluster_of(a), cluster_of(b)),
            explain=(lambda a, b: explain(cluster_of(a), cluster_of(b))) if explain else None,
        )
    one: Callable[[Any], str] | None = (lambda s: explain(cluster_of(s))) if explain else None
    if defn.kind == ALWAYS:
        return Property(defn.name, ALWAYS, defn.doc, predicate=lambda s: fn(cluster_of(s)), explain=one)
    if defn.kind == EVENTUALLY:
        bound = defn.bound
        if bound is None:
            default = defn.bound_of or DEFAULT_BOUNDS.get(defn.name, convergence_bound)
            bound = default(settings)
        return Property(
            defn.name,
            EVENTUALLY,
            defn.doc,
            predicate=lambda s: fn(cluster_of(s)),
            bound=bound,
            explain=one,
            needs_fairness=defn.needs_fairness,
        )
    raise ValueError(f"{defn.name}: unknown property kind {defn.kind!r}")


# --- property files -------------------------------------------------------------------------------

_loaded = itertools.count(1)
_FILE_FIX = "decorate functions with @invariant, @transition_invariant or @eventually from kmodel.properties"


def load_property_file(path: str | Path) -> list[PropertyDef]:
    """Import a Python file of properties and return those it defines, in order.

    The file runs as a module of its own (a fresh, unique module name each time, no bytecode
    written next to it). Raises KmodelError (exit code 2, one line naming the file, the line and
    the fix) when the file is missing, does not parse, raises while importing, defines no
    property, or defines a name twice or one that a built-in property already has.
    """
    shown = str(path)
    p = Path(path)
    if not p.is_file():
        raise KmodelError(
            "no such property file" if not p.exists() else "is not a file",
            file=shown,
            fix="give the path of a .py file that uses kmodel.properties decorators",
        )
    if p.suffix != ".py":
        raise KmodelError("a property file must be Python source", file=shown, fix="name it *.py")
    filename = str(p.resolve())
    try:
        source = p.read_bytes()
        compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as err:
        raise KmodelError(
            f"syntax error: {err.msg}", file=shown, line=err.lineno, fix="correct the Python syntax at that line"
        ) from None
    except (OSError, ValueError) as err:
        raise KmodelError(f"cannot read it: {err}", file=shown, fix="save it as UTF-8 Python source") from None
    module_name = f"kmodel_properties_file_{next(_loaded)}_{re.sub(r'[^0-9A-Za-z_]', '_', p.stem)}"
    spec = importlib.util.spec_from_file_location(module_name, filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    no_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        with collecting() as found:
            spec.loader.exec_module(module)
    except KmodelError:
        sys.modules.pop(module_name, None)
        raise
    except BaseException as err:
        sys.modules.pop(module_name, None)
        if isinstance(err, KeyboardInterrupt):
            raise
        raise KmodelError(
            f"{type(err).__name__} while importing: {err}",
            file=shown,
            line=_user_frame(err, filename),
            fix="fix that line; the file is imported as a Python module",
        ) from None
    finally:
        sys.dont_write_bytecode = no_bytecode
    if not found:
        raise KmodelError("defines no properties", file=shown, fix=_FILE_FIX)
    seen: set[str] = set()
    for defn in found:
        line = getattr(getattr(defn.fn, "__code__", None), "co_firstlineno", None)
        if defn.name in BUILTINS:
            raise KmodelError(
                f"property {defn.name!r} is a built-in property",
                file=shown,
                line=line,
                fix="give yours another name (built-ins: " + ", ".join(BUILTINS) + ")",
            )
        if defn.name in seen:
            raise KmodelError(
                f"property {defn.name!r} is defined twice", file=shown, line=line, fix="give each property its own name"
            )
        seen.add(defn.name)
    return found


# --- shared facts for the built-ins ----------------------------------------------------------------
#
# The rules the built-ins judge by are restated here in a few lines each, from the Kubernetes
# sources named, instead of calling the components' own helpers: a bug in a component's helper
# would otherwise be shared by the property that is meant to catch it.


def _tolerates(toleration: Toleration, taint: Taint) -> bool:
    """k8s.io/api/core/v1 ``Toleration.ToleratesTaint``: the effect (empty: any), the key (empty:
    any, with Exists) and, for Equal, the value must match."""
    if toleration.effect not in ("", taint.effect):
        return False
    if toleration.key not in ("", taint.key):
        return False
    if toleration.operator == "Exists":
        return True
    return toleration.key == taint.key and toleration.value == taint.value


def _untolerated(pod: Pod, node: Node, effects: tuple[str, ...]) -> Taint | None:
    """The first of the node's taints with one of ``effects`` that none of the pod's
    tolerations tolerates (TaintToleration's filter, FindMatchingUntoleratedTaint)."""
    for taint in node.taints:
        if taint.effect in effects and not any(_tolerates(t, taint) for t in pod.tolerations):
            return taint
    return None


def _scheduler_would_accept(pod: Pod, node: Node) -> bool:
    """The filters that do not depend on room, as the default profile runs them: NodeUnschedulable
    (a cordoned node needs a toleration of node.kubernetes.io/unschedulable:NoSchedule),
    TaintToleration (NoSchedule and NoExecute taints) and NodeAffinity (every nodeSelector key
    with its value)."""
    if node.unschedulable and not any(
        _tolerates(t, Taint(key=TAINT_UNSCHEDULABLE, effect=NO_SCHEDULE)) for t in pod.tolerations
    ):
        return False
    if _untolerated(pod, node, (NO_SCHEDULE, NO_EXECUTE)) is not None:
        return False
    return _node_selection_accepts(pod, node)


def _node_selection_accepts(pod: Pod, node: Node) -> bool:
    """The pod's node selection: every nodeSelector entry on the node, and, when it has required
    node affinity, one term whose expressions (over labels) and fields (metadata.name) all hold;
    a term with neither matches no node."""
    if not set(pod.node_selector) <= set(node.labels):
        return False
    required = pod.scheduling.node_affinity.required if pod.scheduling.node_affinity else None
    if required is None:
        return True
    fields = (("metadata.name", node.name),)
    return any(
        (term.match_expressions or term.match_fields)
        and all(r.matches(node.labels) for r in term.match_expressions)
        and all(r.matches(fields) for r in term.match_fields)
        for term in required
    )


def _max_surge(d: Deployment) -> int:
    """deploymentutil.ResolveFenceposts' maxSurge: a percentage of spec.replicas rounded up, or
    the number as written (both fenceposts 0 only changes maxUnavailable)."""
    value = d.max_surge
    if value.endswith("%"):
        return math.ceil(int(value[:-1]) * d.replicas / 100)
    return int(value)


def _owned_by(c: Cluster, d: Deployment) -> set[str]:
    return {rs.name for rs in c.replicasets if rs.owner == d.name}


def _serving(c: Cluster, p: Pod) -> bool:
    """Running and Ready in the API, not Terminating, and its containers really run on a node
    whose kubelet is connected."""
    if p.phase != RUNNING or not p.ready or p.terminating or p.node_name is None:
        return False
    node = c.node(p.node_name)
    return node is not None and c.kubelet_connected(node) and p.name in node.running


def template_pod(c: Cluster, d: Deployment) -> Pod:
    t = d.template
    pod = Pod(
        name=f"{d.name}-template",
        labels=t.labels,
        tolerations=t.tolerations,
        node_selector=t.node_selector,
        requests=t.requests,
        scheduling=t.scheduling,
    )
    # what the DefaultTolerationSeconds admission plugin gives every new pod: a NoExecute
    # toleration of the not-ready and of the unreachable taint, unless one already tolerates it
    s = c.settings
    added = list(pod.tolerations)
    for key, seconds in (
        (TAINT_NOT_READY, s.default_not_ready_toleration_seconds),
        (TAINT_UNREACHABLE, s.default_unreachable_toleration_seconds),
    ):
        if not any(_tolerates(t, Taint(key=key, effect=NO_EXECUTE)) for t in added):
            added.append(Toleration(key=key, operator="Exists", effect=NO_EXECUTE, toleration_seconds=seconds))
    return evolve(pod, tolerations=tuple(added))


# _slots's answers by what it reads: the nodes, the pods, the settings (the template's default
# tolerations), the Deployment, whether the apiserver answers (kubelets connected) and the
# ReplicaSets it owns. replica-convergence asks in every state the explorer visits, and states
# that differ elsewhere (the clock, the controllers' memory, which components ran) share their
# nodes and pods tuples. Keyed by identity; the entry holds the objects, so an id is not reused
# while it is kept.
_slots_memo: dict[tuple[int, int, int, int, bool, frozenset[str]], tuple[tuple[object, ...], int]] = {}
_SLOTS_MEMO = 10_000


def _slots(c: Cluster, d: Deployment, owned: set[str]) -> int:
    """:func:`_count_slots`, remembered (see above)."""
    key = (id(c.nodes), id(c.pods), id(c.settings), id(d), c.apiserver_available, frozenset(owned))
    hit = _slots_memo.get(key)
    if hit is not None:
        held = hit[0]
        if held[0] is c.nodes and held[1] is c.pods and held[2] is c.settings and held[3] is d:
            return hit[1]
    value = _count_slots(c, d, owned)
    if len(_slots_memo) >= _SLOTS_MEMO:
        _slots_memo.clear()
    _slots_memo[key] = ((c.nodes, c.pods, c.settings, d), value)
    return value


def _count_slots(c: Cluster, d: Deployment, owned: set[str]) -> int:
    """How many of ``d``'s pods the scheduler could have running at once on the healthy nodes
    (kubelet connected), next to the non-terminating pods of other owners there.

    A node passes if the scheduler's filters (NodeUnschedulable, TaintToleration, NodeAffinity,
    InterPodAffinity against other owners' pods) accept the Deployment's pod template, ignoring
    the not-ready / unreachable taints, which the node lifecycle controller lifts within a pass
    of seeing the node Ready. Its own pods do not exclude a node: a Deployment whose required
    anti-affinity keeps its replicas on more domains than there are is short, not excused. Its
    room is what NodeResourcesFit leaves (pods, cpu, memory, ephemeral-storage, extended
    resources) and, for a template with host ports, one pod at most (two copies bind the same
    port), none if another pod there binds a conflicting one. Terminating pods are not counted:
    they finish once their kubelet runs, and the bound allows for that; finished (Failed) pods
    hold nothing.
    """
    # spread constraints say where the pods go relative to each other, not how many the nodes
    # hold: they are left out here, so a Deployment its own constraints keep short is not excused
    pod = _template(c, d)
    # pod affinity depends on where other pods run: there the InterPodAffinity plugin itself is
    # asked (the other filters are restated in _scheduler_would_accept)
    affinity_matters = pod.scheduling.pod_affinity is not None or any(
        p.scheduling.pod_anti_affinity is not None or p.scheduling.pod_affinity is not None for p in c.pods
    )
    by_node = pods_by_node(c.pods)
    mine = frozenset(owned)
    total = 0
    if not affinity_matters:
        for node in c.nodes:
            if c.kubelet_connected(node):
                total += _node_slots(pod, node, by_node.get(node.name, ()), mine)
        return total
    # the filters see the other owners' pods only: a Deployment's own pods take room by their
    # requests, and its own anti-affinity (replicas kept apart) is not an excuse to run fewer
    others = evolve(c, pods=tuple(p for p in c.pods if p.replicaset_owner not in owned))
    affinity_state = CycleState.of(others, pod)  # one PreFilter for every node
    for node in c.nodes:
        if not c.kubelet_connected(node):
            continue
        clean = _clean(node)
        if not _scheduler_would_accept(pod, clean) or interpodaffinity.filter(affinity_state, clean) is not None:
            continue
        total += _room(pod, node, by_node.get(node.name, ()), mine)
    return total


def _clean(node: Node) -> Node:
    """The node without the not-ready / unreachable taints (see :func:`_count_slots`)."""
    return evolve(node, taints=tuple(t for t in node.taints if t.key not in CONDITION_TAINTS))


# the template pod by Deployment and settings, and each node's slots by node, its pods group (the
# pods index shares a node's group between states where its pods did not change), template and
# owned ReplicaSets; keyed by identity, each entry holding what it was computed from
_templates: dict[tuple[int, int], tuple[Deployment, object, Pod]] = {}
_node_memo: dict[tuple[int, int, int, frozenset[str]], tuple[tuple[object, ...], int]] = {}


def _template(c: Cluster, d: Deployment) -> Pod:
    hit = _templates.get((id(d), id(c.settings)))
    if hit is not None and hit[0] is d and hit[1] is c.settings:
        return hit[2]
    pod = template_pod(c, d)
    if len(_templates) >= _SLOTS_MEMO:
        _templates.clear()
    _templates[(id(d), id(c.settings))] = (d, c.settings, pod)
    return pod


def _node_slots(pod: Pod, node: Node, group: tuple[Pod, ...], owned: frozenset[str]) -> int:
    """The template's slots on a node with no pod affinity anywhere: the filters, then the room."""
    key = (id(pod), id(node), id(group), owned)
    hit = _node_memo.get(key)
    if hit is not None and hit[0][0] is pod and hit[0][1] is node and hit[0][2] is group:
        return hit[1]
    value = _room(pod, node, group, owned) if _scheduler_would_accept(pod, _clean(node)) else 0
    if len(_node_memo) >= 10 * _SLOTS_MEMO:
        _node_memo.clear()
    _node_memo[key] = ((pod, node, group), value)
    return value


def _room(pod: Pod, node: Node, group: tuple[Pod, ...], owned: frozenset[str]) -> int:
    """How many copies of ``pod`` fit on ``node`` next to the pods of ``group`` that count (not
    terminating, not finished, not of the ``owned`` ReplicaSets): NodeResourcesFit's resources
    and, for a template with host ports, one copy at most."""
    want = pod.requests
    wanted_ports = pod.scheduling.host_ports
    used = Resources()
    taken: set[nodeports.Binding] = set()
    for other in group:
        if other.terminating or other.replicaset_owner in owned or other.phase in (SUCCEEDED, FAILED):
            continue
        used = used + other.requests + Resources(pods=1)
        taken.update(nodeports.binding(hp) for hp in other.scheduling.host_ports)
    cap = node.capacity
    room = cap.pods - used.pods
    if want.cpu:
        room = min(room, (cap.cpu - used.cpu) // want.cpu)
    if want.memory:
        room = min(room, (cap.memory - used.memory) // want.memory)
    if want.ephemeral_storage:
        room = min(room, (cap.ephemeral_storage - used.ephemeral_storage) // want.ephemeral_storage)
    for name, amount in want.scalar:
        room = min(room, (cap.get(name) - used.get(name)) // amount)
    if wanted_ports:
        room = min(room, 0 if nodeports.conflicts(wanted_ports, taken) else 1)
    return max(room, 0)


def _pod_state(c: Cluster, p: Pod) -> str:
    """kubectl-like: phase (or Terminating), readiness, node, and what is wrong with the node."""
    shown = "Terminating" if p.terminating else p.phase
    if not p.terminating and not p.ready:
        shown += ", not ready"
    if p.node_name is None:
        return f"{shown}, no node"
    node = c.node(p.node_name)
    if node is None:
        return f"{shown} on {p.node_name}, which does not exist"
    if not c.kubelet_connected(node):
        return f"{shown} on {p.node_name}, whose kubelet is not connected"
    if p.name not in node.running and not p.terminating:
        return f"{shown} on {p.node_name}, containers not running"
    return f"{shown} on {p.node_name}"


@frozen
class _Owed:
    deployment: str
    replicas: int
    serving: tuple[str, ...]
    waiting: tuple[str, ...]  # active pods on nodes whose kubelet is not connected
    room: int
    required: int
    others: tuple[Pod, ...]  # the Deployment's pods that do not count as serving


def _convergence(c: Cluster) -> list[_Owed]:
    """The Deployments short of the ready pods they are owed (empty: all converged)."""
    if not (c.controller_manager_active and c.scheduler_active):
        return []
    short: list[_Owed] = []
    for d in c.deployments:
        if d.replicas <= 0:
            continue
        owned = _owned_by(c, d)
        pods = [p for p in c.pods if p.replicaset_owner in owned]
        serving = [p for p in pods if _serving(c, p)]
        if len(serving) >= d.replicas:
            continue
        waiting = []
        for p in pods:
            if p.active and p.node_name is not None:
                node = c.node(p.node_name)
                if node is None or not c.kubelet_connected(node):
                    waiting.append(p)
        room = _slots(c, d, owned)
        required = max(0, min(d.replicas - len(waiting), room))
        if len(serving) < required:
            short.append(
                _Owed(
                    d.name,
                    d.replicas,
                    tuple(p.name for p in serving),
                    tuple(p.name for p in waiting),
                    room,
                    required,
                    tuple(p for p in pods if p not in serving),
                )
            )
    return short


def _explain_convergence(c: Cluster) -> str:
    short = _convergence(c)
    if not short:
        return "every Deployment has the ready pods it is owed"
    parts = []
    for o in short:
        others = "; ".join(f"{p.name} {_pod_state(c, p)}" for p in o.others[:6]) or "no other pods"
        if len(o.others) > 6:
            others += f"; and {len(o.others) - 6} more"
        parts.append(
            f"deployment {o.deployment}: {len(o.serving)} of {o.required} owed pods Running and ready "
            f"(spec.replicas {o.replicas}, {len(o.waiting)} waiting on lost nodes, room for {o.room} on "
            f"healthy nodes) at t={c.now}s; {others}"
        )
    return " | ".join(parts)


def _condition_taint(node: Node) -> Taint | None:
    for t in node.taints:
        if t.effect == NO_EXECUTE and t.key in CONDITION_TAINTS:
            return t
    return None


UNTOLERATED = -1


def _eviction_delay(pod: Pod, taints: list[Taint]) -> int | None:
    """How long the taint eviction controller lets ``pod`` stay on a node with these NoExecute
    ``taints`` (restated from pkg/controller/tainteviction, not taken from kmodel's component):
    each taint is answered by the first of the pod's tolerations that tolerates it; a taint
    answered by none means UNTOLERATED (evict now); of the answering tolerations, the smallest
    tolerationSeconds counts (zero or less: 0), and None when none of them has any (forever)."""
    seconds: list[int] = []
    for taint in taints:
        answer = None
        for toleration in pod.tolerations:
            if _tolerates(toleration, taint):
                answer = toleration
                break
        if answer is None:
            return UNTOLERATED
        if answer.toleration_seconds is not None:
            seconds.append(answer.toleration_seconds)
    if not seconds:
        return None
    return max(0, min(seconds))


def _toleration(pod: Pod, key: str) -> int | None:
    """Seconds ``pod`` tolerates the ``key``:NoExecute taint alone (0: not at all; None: forever)."""
    delay = _eviction_delay(pod, [Taint(key=key, effect=NO_EXECUTE)])
    return 0 if delay == UNTOLERATED else delay


def _no_execute(node: Node | None) -> list[Taint]:
    return [t for t in node.taints if t.effect == NO_EXECUTE] if node is not None else []


def eviction_slack(settings: Settings) -> int:
    """How late an eviction may be against the controller's own deadline: one pass of the node
    lifecycle controller to mark the node Unknown, one more to add the NoExecute taint (it uses
    the condition observed at the start of its pass), and a tick for the taint eviction
    controller to act."""
    return 2 * settings.node_monitor_period + settings.step


@frozen
class _Due:
    pod: str
    node: str
    due: int
    basis: str  # how ``due`` follows from the controller's view, with the numbers


def eviction_deadlines(c: Cluster) -> list[_Due]:
    """When, by the controller-manager's own records, each non-terminating pod on a node that is
    not Ready should be evicted. Empty unless taint-based eviction is on and the
    controller-manager runs and reaches the apiserver; nodes it has no record of yet, nodes
    waiting in a zone's rate-limited tainting queue, and every node while all zones are fully
    disrupted (eviction is then off) are left out. A deletion the taint eviction controller has
    already scheduled is due when it scheduled it (it keeps that time when the node's taints
    change)."""
    s = c.settings
    if s.eviction_mode != "taint" or not c.controller_manager_active:
        return []
    mem = c.memory
    zones = dict(mem.zone_states)
    if zones and all(v == FULL for v in zones.values()):
        return []
    queued = {name for _, name, _ in mem.taint_queue}
    scheduled = dict(mem.scheduled_evictions)
    by_node = pods_by_node(c.pods)
    out: list[_Due] = []
    for node in c.nodes:
        pods = [p for p in by_node.get(node.name, ()) if not p.terminating]
        if not pods or node.name in queued or node.ready == COND_TRUE:
            continue
        health = find(mem.node_health, node.name)
        if health is None:
            continue
        never = health.seen_heartbeat is None
        grace = s.node_startup_grace_period if never else s.node_monitor_grace_period
        silent = health.probe_time + grace
        taint = _condition_taint(node)
        key = taint.key if taint is not None else TAINT_UNREACHABLE
        for p in pods:
            if p.name in scheduled:
                due = scheduled[p.name]
                out.append(_Due(p.name, node.name, due, f"the taint eviction controller scheduled it for t={due}s"))
                continue
            tol = _toleration(p, key)
            if tol is None:
                continue
            start = silent
            basis = (
                f"the node controller last saw {node.name}'s heartbeat or Lease change at t={health.probe_time}s, "
                f"so it was unhealthy from t={silent}s ({'startup ' if never else ''}grace {grace}s)"
            )
            if taint is not None and taint.time_added is not None and taint.time_added > start:
                start = taint.time_added
                basis += f"; its {taint.key}:NoExecute taint was added at t={start}s"
            basis += f"; {key} toleration {tol}s"
            out.append(_Due(p.name, node.name, start + tol, basis))
    return out


def _overdue(c: Cluster) -> list[_Due]:
    slack = eviction_slack(c.settings)
    return [d for d in eviction_deadlines(c) if c.now > d.due + slack]


def _proof_of_life(node: Node) -> int:
    """The last sign of life the node lifecycle controller can have seen from the node's kubelet:
    its status heartbeat or its Lease renewal, or the node's creation if it never posted."""
    times = [node.created if node.last_heartbeat is None else node.last_heartbeat]
    if node.lease_renew_time is not None:
        times.append(node.lease_renew_time)
    return max(times)


def _early_unknown(before: Cluster, after: Cluster) -> list[str]:
    """Nodes marked Ready=Unknown in this step sooner than their last sign of life + the grace
    period (the startup grace period for a node that never posted status)."""
    if before.nodes is after.nodes:
        return []
    s = after.settings
    out = []
    for node in after.nodes:
        old = before.node(node.name)
        if old is None or node.ready != COND_UNKNOWN or old.ready == COND_UNKNOWN:
            continue
        never = old.last_heartbeat is None
        grace = s.node_startup_grace_period if never else s.node_monitor_grace_period
        alive = _proof_of_life(old)
        if after.now <= alive + grace:
            out.append(
                f"node {node.name} was marked Unknown at t={after.now}s, too early: its kubelet's last heartbeat or "
                f"Lease renewal was at t={alive}s and the {'startup ' if never else ''}grace period is {grace}s"
            )
    return out


def _early_evictions(before: Cluster, after: Cluster) -> list[str]:
    """Pods the taint eviction controller deleted (DisruptionTarget set) in this step although
    they tolerate their node's NoExecute taints: for ever, or with no deletion scheduled that is
    due by now (a deletion due at once, a toleration of 0 seconds, needs no schedule); and
    deletions scheduled in this step for another time than now + the pod's toleration."""
    if after.settings.eviction_mode != "taint":
        return []
    out = []
    if before.pods is not after.pods:
        scheduled = dict(before.memory.scheduled_evictions)
        for p in after.pods:
            old = before.pod(p.name)
            if not p.disruption_target or old is None or old.disruption_target or p.node_name is None:
                continue
            if p.disruption_reason == eviction.REASON:
                continue  # evicted through the eviction API (the descheduler), not by taint eviction
            node = before.node(p.node_name)
            taints = _no_execute(node)
            due = scheduled.get(p.name)
            if node is not None:
                delay = _eviction_delay(old, taints)
                if delay == UNTOLERATED:
                    continue
                if delay is None:
                    out.append(
                        f"pod {p.name} was evicted from {p.node_name} at t={after.now}s although it tolerates its "
                        f"NoExecute taints ({', '.join(t.show() for t in taints)}) forever"
                    )
                    continue
                if due is None and delay == 0:
                    continue
            else:
                delay = None
            if due is None or due > after.now:
                when = "no deletion was scheduled" if due is None else f"its deletion was scheduled for t={due}s"
                tol = "" if delay is None else f" (it tolerates them for {delay}s)"
                out.append(f"pod {p.name} was evicted from {p.node_name} at t={after.now}s, too early: {when}{tol}")
    old_schedule = before.memory.scheduled_evictions
    if old_schedule is not after.memory.scheduled_evictions:
        had = dict(old_schedule)
        for name, due in after.memory.scheduled_evictions:
            if name in had:
                continue
            pod = before.pod(name)
            node = before.node(pod.node_name) if pod is not None and pod.node_name else None
            if pod is None or node is None:
                continue
            delay = _eviction_delay(pod, _no_execute(node))
            if delay is None or delay == UNTOLERATED or due != after.now + delay:
                want = "none" if delay is None or delay == UNTOLERATED else f"t={after.now + (delay or 0)}s"
                out.append(
                    f"pod {name}'s deletion was scheduled at t={after.now}s for t={due}s, but its tolerations of "
                    f"{node.name}'s NoExecute taints say {want}"
                )
    return out


def _allowed_total(d: Deployment) -> tuple[int, int]:
    surge = _max_surge(d)
    return d.replicas + surge, surge


def _active(c: Cluster, rs: ReplicaSet) -> list[Pod]:
    return [
        p for p in c.pods if p.owned_by("ReplicaSet", rs.name) and p.active and selector_matches(rs.selector, p.labels)
    ]


def _spec_before(c: Cluster, name: str) -> int:
    rs = c.replicaset(name)
    return rs.replicas if rs is not None else 0


def _over_replication(before: Cluster, after: Cluster) -> list[str]:
    problems: list[str] = []
    if before.pods is not after.pods:
        old_names = {p.name for p in before.pods}
        for rs in after.replicasets:
            active = _active(after, rs)
            created = [p.name for p in active if p.name not in old_names]
            if created and len(active) > rs.replicas:
                problems.append(
                    f"replicaset {rs.name} created {', '.join(created)} and now has {len(active)} active pods "
                    f"for spec.replicas {rs.replicas} (at t={after.now}s)"
                )
    if before.replicasets is not after.replicasets:
        for d in after.deployments:
            mine = [rs for rs in after.replicasets if rs.owner == d.name]
            raised = [rs.name for rs in mine if rs.replicas > _spec_before(before, rs.name)]
            total = sum(rs.replicas for rs in mine)
            allowed, surge = _allowed_total(d)
            if raised and total > allowed:
                problems.append(
                    f"deployment {d.name} raised {', '.join(raised)}: its ReplicaSets' spec.replicas add up to "
                    f"{total}, above replicas {d.replicas} + maxSurge {surge} (= {allowed}) (at t={after.now}s)"
                )
    return problems


def _rebound(before: Cluster, after: Cluster) -> list[str]:
    if before.pods is after.pods:
        return []
    out = []
    for old in before.pods:
        if old.node_name is None:
            continue
        new = after.pod(old.name)
        if new is not None and new.node_name != old.node_name:
            to = new.node_name if new.node_name is not None else "no node"
            out.append(f"pod {old.name} moved from {old.node_name} to {to} at t={after.now}s")
    return out


def _bad_bindings(before: Cluster, after: Cluster) -> list[str]:
    if before.pods is after.pods:
        return []
    out = []
    for p in after.pods:
        if p.node_name is None:
            continue
        old = before.pod(p.name)
        if old is None or old.node_name is not None:
            continue
        node = before.node(p.node_name)
        if node is None:
            out.append(f"pod {p.name} bound to {p.node_name}, which does not exist (t={after.now}s)")
            continue
        why = []
        if node.ready == COND_NONE:
            why.append("it had no Ready condition yet (its kubelet had not posted status)")
        elif node.ready != COND_TRUE:
            why.append(f"its Ready condition was {node.ready} ({node.ready_reason})")
        taint = _untolerated(old, node, (NO_SCHEDULE, NO_EXECUTE))
        if taint is not None:
            why.append(f"it had the taint {taint.show()}, which the pod does not tolerate")
        if why:
            out.append(f"pod {p.name} bound to {node.name} at t={after.now}s, but {' and '.join(why)}")
    return out


def _services_down(c: Cluster) -> list[str]:
    out = []
    for svc in c.services:
        if svc.endpoints:
            continue
        backing = [
            d
            for d in c.deployments
            if d.replicas >= 1
            and same_namespace(d.name, svc.name)
            and selector_matches(svc.selector, d.template.labels)
        ]
        if not backing:
            continue
        pods = [p for p in c.pods if same_namespace(p.name, svc.name) and selector_matches(svc.selector, p.labels)]
        shown = "; ".join(f"{p.name} {_pod_state(c, p)}" for p in pods[:6]) or "no pods"
        names = ", ".join(f"{d.name} (spec.replicas {d.replicas})" for d in backing)
        out.append(
            f"service {svc.name} has no ready endpoint at t={c.now}s though it selects deployment {names}: {shown}"
        )
    return out


def _anti_affinity_breaches(c: Cluster) -> list[str]:
    """Pairs of bound, non-terminating pods where one's required anti-affinity term selects the
    other and both nodes carry the term's topology key with the same value."""
    placed = []
    for p in c.pods:
        if p.node_name is None or p.terminating or p.phase in (SUCCEEDED, FAILED):
            continue
        node = c.node(p.node_name)
        if node is not None:
            placed.append((p, dict(node.labels)))
    merge = versions.minor_of(c.settings.kubernetes_version) >= 31
    out = []
    for p, p_labels in placed:
        anti = p.scheduling.pod_anti_affinity
        if anti is None:
            continue
        for term in anti.required:
            domain = p_labels.get(term.topology_key)
            if domain is None:
                continue
            for q, q_labels in placed:
                if q is p or q_labels.get(term.topology_key) != domain:
                    continue
                if _term_selects(term, p, q, merge):
                    out.append(
                        f"pod {q.name} on {q.node_name} is in {term.topology_key}={domain} with pod {p.name} "
                        f"on {p.node_name}, whose required anti-affinity selects it"
                    )
    return out


def _term_selects(term: PodAffinityTerm, owner: Pod, other: Pod, merge: bool) -> bool:
    """Whether ``owner``'s affinity term selects ``other`` (in the term's namespaces: its own
    pod's when it names none; the label keys merged as the apiserver does at creation from 1.31
    on)."""
    if term.label_selector is None:
        return False
    ns = namespace_of(other.name)
    if not term.namespaces and term.namespace_selector is None:
        if ns != namespace_of(owner.name):
            return False
    elif ns not in term.namespaces and not (
        term.namespace_selector is not None and term.namespace_selector.matches((("kubernetes.io/metadata.name", ns),))
    ):
        return False
    if not term.label_selector.matches(other.labels):
        return False
    if not merge:
        return True
    mine, theirs = dict(owner.labels), dict(other.labels)
    return all(theirs.get(k) == mine[k] for k in term.match_label_keys if k in mine) and all(
        theirs.get(k) != mine[k] for k in term.mismatch_label_keys if k in mine
    )


# --- the built-ins -------------------------------------------------------------------------------------


@eventually("replica-convergence", explain=_explain_convergence)
def replica_convergence(cluster: Cluster) -> bool:
    """Every Deployment gets back the Running, ready pods it asks for (ReplicaSet and Deployment
    controllers, scheduler, kubelet together).

    A Deployment with spec.replicas = R is owed min(R - W, F) pods that are Running, Ready, not
    Terminating, with containers really running on a node whose kubelet is connected, where
    W = its active pods on nodes whose kubelet is not connected (the ReplicaSet controller rightly
    counts them until the taint eviction controller deletes them, which eviction-after-timeout
    checks) and F = how many of its pods the scheduler could place on the healthy nodes: nodes
    that pass NodeUnschedulable, TaintToleration (ignoring the not-ready / unreachable taints the
    node controller lifts once it sees Ready) and NodeAffinity for its pod template, with the room
    NodeResourcesFit leaves next to other owners' non-terminating pods. A Deployment whose pods
    fit nowhere is owed nothing: it is excused, not failed. Its topologySpreadConstraints are not
    counted in F (they constrain the pods relative to each other, not the nodes' room): a
    Deployment that its own DoNotSchedule constraints leave short of pods fails. Pods of any of its ReplicaSets count
    (mid-rollout the old ones serve too). While the scheduler or the controller-manager cannot act
    (process stopped, apiserver down) every Deployment is excused.

    Checked in bounded form: once faults stop it must hold within the bound (default
    convergence_bound(settings)), and again within the bound whenever it is lost.
    """
    return not _convergence(cluster)


def _explain_bindings(before: Cluster, after: Cluster) -> str:
    return " | ".join(_bad_bindings(before, after)) or "no pod was bound in this step to a node it should avoid"


@transition_invariant("no-schedule-to-unready-node", explain=_explain_bindings)
def no_schedule_to_unready_node(before: Cluster, after: Cluster) -> bool:
    """A pod is only ever bound to a node that is Ready and whose NoSchedule / NoExecute taints
    it tolerates (kube-scheduler's TaintToleration filter, with the node lifecycle controller
    keeping the not-ready / unreachable taints in step with the Ready condition).

    Checked on every step where a pod goes from no nodeName to one, against the node as it was
    just before the step. Pods created with spec.nodeName already set skip the scheduler, as in
    Kubernetes, and are not checked. kubernetes#72129 is the real race this guards against: a
    new node got pods before its not-ready taint existed.

    It does not hold once a container runtime may stop (a ``stopRuntime`` fault or a ``stop
    runtime/N`` event): the kubelet posts Ready=False and, until the node lifecycle controller's
    next pass adds the not-ready:NoSchedule taint, the scheduler, which filters on taints only,
    may bind a pod there. Kubernetes has that race too; its window is shorter, as its NoSchedule
    tainting reacts to the node update at once, where kmodel's runs with the monitor pass. Nor
    does it hold with ``informerLagNodes``: a scheduler whose Node informer has not yet delivered
    a taint binds as if it were not there (scenarios/stale-node-view.yaml).
    """
    return not _bad_bindings(before, after)


def _explain_eviction(before: Cluster, after: Cluster) -> str:
    parts = _early_unknown(before, after) + _early_evictions(before, after)
    slack = eviction_slack(after.settings)
    for d in _overdue(after):
        parts.append(
            f"pod {d.pod} on {d.node} is still not Terminating at t={after.now}s, overdue: {d.basis}, so due "
            f"at t={d.due}s, and the slack of {slack}s (2 x nodeMonitorPeriod + tick) ran out at t={d.due + slack}s"
        )
    return " | ".join(parts) or "no eviction too early or overdue in this step"


@transition_invariant("eviction-after-timeout", explain=_explain_eviction)
def eviction_after_timeout(before: Cluster, after: Cluster) -> bool:
    """Pods on a node that stopped posting status are evicted when their toleration runs out:
    not before, and not much after (node lifecycle controller + taint eviction controller).

    (a) Not too early, checked where each controller acts. The node lifecycle controller marks a
    node Ready=Unknown only after its kubelet's last heartbeat or Lease renewal + the grace
    period (nodeStartupGracePeriod, counted from the node's creation, for a node that never
    posted status). The taint eviction controller deletes a pod that tolerates its node's
    NoExecute taints only when the deletion it scheduled is due, never one that tolerates them
    forever; and it schedules a deletion for now + the pod's toleration (for each taint the
    first toleration that matches it, the smallest tolerationSeconds of those), keeping that
    time if the taints change.

    (b) Not too late. After every step, with the controller-manager running and reaching the
    apiserver, no pod bound to a node that is not Ready is still non-terminating more than
    2 x nodeMonitorPeriod + one tick (one pass to mark the node Unknown, one to taint it, a tick
    for the eviction) after its deadline by the controllers' own records: the deletion time the
    taint eviction controller scheduled, or before it has, the later of (the last time the node
    controller saw the node's heartbeat or Lease change + the grace period) and the time the
    NoExecute taint was added, plus the pod's toleration. Those records are lost when the
    controller-manager restarts, and the deadline moves with them, as in the real controller.
    Nodes waiting in a zone's rate-limited tainting queue, and all nodes while every zone is
    fully disrupted (the controller then stops evicting), are excused.

    With evictionMode: legacy (the removed --pod-eviction-timeout) pods are deleted without the
    taints and this property checks only the node controller's clause of (a).
    """
    return not _early_unknown(before, after) and not _early_evictions(before, after) and not _overdue(after)


def _explain_over_replication(before: Cluster, after: Cluster) -> str:
    return " | ".join(_over_replication(before, after)) or "no over-replication in this step"


@transition_invariant("no-over-replication", explain=_explain_over_replication)
def no_over_replication(before: Cluster, after: Cluster) -> bool:
    """Controllers never create more pods than asked for (ReplicaSet controller, and the
    Deployment controller's surge budget).

    For a ReplicaSet: a step that creates active pods (not Terminating, not Succeeded / Failed)
    for it must leave it with at most spec.replicas of them. Having more is fine while it is being
    scaled down (the ReplicaSet controller deletes the surplus in its next sync); growing past
    spec.replicas is not: that is the double creation the controller's expectations prevent.
    For a Deployment: a step that raises the spec.replicas of one of its ReplicaSets must leave
    their sum at most replicas + maxSurge, with maxSurge resolved as the Deployment controller
    does (a percentage of replicas rounded up; 25% by default). Mid-rollout the pods of the old
    and new ReplicaSets together may thus reach replicas + maxSurge, not more. A user who scales
    a Deployment's ReplicaSet by hand also breaks it (the controller then scales it back).
    """
    return not _over_replication(before, after)


def _explain_rebound(before: Cluster, after: Cluster) -> str:
    return " | ".join(_rebound(before, after)) or "no bound pod moved in this step"


@transition_invariant("bound-pods-stay-put", explain=_explain_rebound)
def bound_pods_stay_put(before: Cluster, after: Cluster) -> bool:
    """A pod bound to a node stays on that node until it is gone (kube-scheduler only binds pods
    with no nodeName, and the apiserver refuses a second binding: "pod ... is already assigned to
    node ..."). Kubernetes never moves or rebalances pods; it deletes and replaces them.

    Checked on every step for every pod that keeps its name: its nodeName never changes once set,
    and is never unset.
    """
    return not _rebound(before, after)


def _bad_preemptions(before: Cluster, after: Cluster) -> list[str]:
    """Pods preempted in this step (DisruptionTarget with reason PreemptionByScheduler newly
    set) with no pending pod of strictly higher priority nominated to their node after it."""
    if before.pods is after.pods:
        return []
    victims = [
        p
        for p in after.pods
        if p.disruption_reason == PREEMPTION_BY_SCHEDULER
        and p.node_name is not None
        and (old := before.pod(p.name)) is not None
        and old.disruption_reason != PREEMPTION_BY_SCHEDULER
    ]
    if not victims:
        return []
    # the preemptor is the pod nominated to the victim's node in this step; if none was (it
    # preempts again for the node it was already nominated to), any pod nominated there
    nominated: dict[str, list[int]] = {}
    fresh: dict[str, list[int]] = {}
    for p in after.pods:
        if p.node_name is None and p.nominated_node_name:
            nominated.setdefault(p.nominated_node_name, []).append(p.priority)
            old = before.pod(p.name)
            if old is None or old.nominated_node_name != p.nominated_node_name:
                fresh.setdefault(p.nominated_node_name, []).append(p.priority)
    out = []
    for v in victims:
        node = v.node_name or ""
        best = max(fresh.get(node) or nominated.get(node) or [], default=None)
        if best is None:
            out.append(
                f"pod {v.name} (priority {v.priority}) was preempted on {v.node_name} at t={after.now}s, but no "
                "pending pod is nominated to that node"
            )
        elif best <= v.priority:
            out.append(
                f"pod {v.name} (priority {v.priority}) was preempted on {v.node_name} at t={after.now}s for a pod "
                f"of priority {best}, not higher"
            )
    return out


def _explain_preemptions(before: Cluster, after: Cluster) -> str:
    return " | ".join(_bad_preemptions(before, after)) or "every pod preempted in this step had a lower priority"


@transition_invariant("no-preemption-of-higher-priority", explain=_explain_preemptions)
def no_preemption_of_higher_priority(before: Cluster, after: Cluster) -> bool:
    """kube-scheduler preempts a pod only for a pod of strictly higher priority (DefaultPreemption:
    victims have a lower spec.priority than the preemptor; pods of equal priority never preempt
    each other).

    Checked on every step: each pod that gets the DisruptionTarget condition with reason
    PreemptionByScheduler in the step must have a lower priority than its preemptor, the pending
    pod whose status.nominatedNodeName is set to the victim's node in that same step (a
    preemption step nominates only its preemptor; when no nomination changed, the preemptor
    was already nominated there, and the pending pods nominated to that node are the ones
    that can be it).
    """
    return not _bad_preemptions(before, after)


def _explain_services(c: Cluster) -> str:
    return " | ".join(_services_down(c)) or "every Service that selects a Deployment's pods has a ready endpoint"


@invariant("service-has-endpoint", explain=_explain_services)
def service_has_endpoint(cluster: Cluster) -> bool:
    """Every Service that selects the pods of a Deployment with spec.replicas >= 1 has at least
    one ready endpoint (endpoints controller, with the node lifecycle controller marking pods on
    lost nodes not ready).

    This one is about the scenario, not a controller: it holds only while the workload survives
    the faults, i.e. with at most the budgeted faults active (e.g. one worker lost out of two with
    a pod on each), and fails, rightly, when the budget can take out every pod (both workers off,
    a single replica's node off) or when the scenario's timeline applies the Service before its
    pods are ready. Choose the fault budget to say what the Service must survive.
    """
    return not _services_down(cluster)


def _rejected(c: Cluster) -> list[str]:
    out = []
    for p in c.pods:
        if p.phase == FAILED and p.status_reason:
            owner = f" (owned by {p.owner_kind.lower()} {p.owner})" if p.owner else ""
            out.append(
                f"pod {p.name}{owner} on {p.node_name} was rejected by its kubelet at t={c.now}s: "
                f"{p.status_reason}: {p.status_message}"
            )
    return out


def _explain_rejected(c: Cluster) -> str:
    return " | ".join(_rejected(c)) or "every pod bound to a node was admitted by its kubelet"


@invariant("pods-admitted", explain=_explain_rejected)
def pods_admitted(cluster: Cluster) -> bool:
    """Every pod bound to a node is admitted by that node's kubelet: none is Failed with a
    rejection reason (OutOfcpu, OutOfnvidia.com/gpu, NodeAffinity, NodePorts, TaintToleration...).

    Before it starts a pod, the kubelet checks that the pod fits next to the pods it runs, that
    the node satisfies the pod's nodeSelector and required node affinity, that its host ports are
    free and (since 1.22) that it tolerates the node's NoExecute taints. The scheduler only binds
    pods that pass the same checks, so a rejection means the scheduler was bypassed: a pod (or a
    pod template) that sets spec.nodeName, or that it bound on a stale view (with ``informerLag``:
    its pods without assumed pods, its nodes with ``informerLagNodes``). A Deployment whose
    template pins a node that rejects its pods never runs them, and its ReplicaSet replaces each
    rejected pod with another one.
    """
    return not _rejected(cluster)


def _explain_anti_affinity(c: Cluster) -> str:
    return " | ".join(_anti_affinity_breaches(c)) or "no two running pods break a required anti-affinity term"


@invariant("anti-affinity-respected", explain=_explain_anti_affinity)
def anti_affinity_respected(cluster: Cluster) -> bool:
    """No two pods that are bound and not Terminating break a required pod anti-affinity term of
    either (kube-scheduler's InterPodAffinity filter, which checks the incoming pod's terms and,
    for symmetry, those of the pods already there).

    A pod P with the term (labelSelector S, topologyKey K) breaks it with a pod Q when P's node
    and Q's node both carry the label K with the same value and S selects Q's labels (in the
    term's namespaces; kmodel's pods are all in default). Terminating and finished pods are not
    counted here, though the scheduler still counts Terminating ones (so it can only be
    stricter). Pods created with spec.nodeName skip the scheduler and can break it, and
    "IgnoredDuringExecution": the scheduler checks at binding only, so a node relabelled later
    can break it too, without any component being wrong.
    """
    return not _anti_affinity_breaches(cluster)


def _spread_domains(c: Cluster, pod: Pod, key: str, policies: tuple[str, str]) -> dict[str, list[Node]]:
    """The nodes of each value of ``key`` that count for ``pod``: they carry every topologyKey
    of its DoNotSchedule constraints, and, per the constraint's policies, accept the pod's node
    selection (nodeSelector, required node affinity) and have no taint it does not tolerate."""
    keys = {t.topology_key for t in pod.scheduling.topology_spread if t.when_unsatisfiable == "DoNotSchedule"}
    affinity, taints = policies
    out: dict[str, list[Node]] = {}
    for node in c.nodes:
        labels = dict(node.labels)
        if not keys <= set(labels):
            continue
        if affinity == "Honor" and not _node_selection_accepts(pod, node):
            continue
        if taints == "Honor" and any(
            t.effect in (NO_SCHEDULE, NO_EXECUTE) and not any(tol.tolerates(t) for tol in pod.tolerations)
            for t in node.taints
        ):
            continue
        out.setdefault(labels[key], []).append(node)
    return out


def _skewed(c: Cluster) -> list[str]:
    """Each settled DoNotSchedule constraint whose matching pods are spread wider than maxSkew."""
    found: dict[str, str] = {}
    by_node = pods_by_node(c.pods)
    seen: set[tuple[object, ...]] = set()
    for pod in c.pods:
        for t in pod.scheduling.topology_spread:
            if t.when_unsatisfiable != "DoNotSchedule" or t.label_selector is None:
                continue
            have = dict(pod.labels)
            selector = t.label_selector.also(
                tuple((k, have[k]) for k in t.match_label_keys if k in have)  # matchLabelKeys
            )
            ns = namespace_of(pod.name)
            group = (ns, t, selector, pod.node_selector, pod.tolerations, pod.scheduling.node_affinity)
            if group in seen:
                continue
            seen.add(group)
            matching = {
                p.name: p
                for p in c.pods
                if not p.terminating and namespace_of(p.name) == ns and selector.matches(p.labels)
            }
            if any(p.node_name is None for p in matching.values()):
                continue  # not settled: a matching pod still waits for a node
            domains = _spread_domains(c, pod, t.topology_key, (t.node_affinity_policy, t.node_taints_policy))
            counts = {
                value: sum(1 for n in nodes for p in by_node.get(n.name, ()) if p.name in matching)
                for value, nodes in domains.items()
            }
            if not counts:
                continue
            low = 0 if len(counts) < (t.min_domains or 1) else min(counts.values())
            high = max(counts.values())
            if high - low > t.max_skew:
                spread = ", ".join(f"{v}={n}" for v, n in sorted(counts.items()))
                found.setdefault(
                    f"{t.topology_key}/{selector}",
                    f"pods matching {selector} over {t.topology_key}: {spread} (skew {high - low} > maxSkew "
                    f"{t.max_skew}) at t={c.now}s",
                )
    return list(found.values())


def _explain_skew(c: Cluster) -> str:
    return " | ".join(_skewed(c)) or "every settled DoNotSchedule spread constraint is within its maxSkew"


@invariant("spread-within-max-skew", explain=_explain_skew)
def spread_within_max_skew(cluster: Cluster) -> bool:
    """Pods with a DoNotSchedule topology spread constraint stay spread: the matching pods per
    domain differ from the emptiest eligible domain by at most maxSkew, whenever none of them
    waits for a node.

    For each DoNotSchedule constraint of a pod: the pods counted are those its labelSelector
    (plus the pod's matchLabelKeys values) matches, bound and not Terminating; the domains are the
    values of topologyKey on the nodes that carry all the pod's DoNotSchedule topology keys and
    pass its nodeAffinityPolicy / nodeTaintsPolicy; the skew is the largest count minus the
    smallest (0 while fewer domains than minDomains). It is checked only in *settled* states, where
    no matching pod is Pending: the scheduler checks a constraint only when it binds a pod, so a
    pod waiting for room is not a violation.

    What it finds: the promise holds at binding time only. Deleting or evicting pods, scaling
    down, or a domain that joins or comes back (a node powered on again, a taint lifted under
    nodeTaintsPolicy: Honor) can leave the settled pods more skewed than maxSkew, and nothing in
    the control plane moves running pods back (that is the descheduler's job).
    """
    return not _skewed(cluster)


# --- StatefulSets ---------------------------------------------------------------------------------


def _identity_clashes(c: Cluster) -> list[str]:
    """StatefulSet identities whose containers run on more than one powered machine."""
    names = {s.name for s in c.statefulsets}
    if not names:
        return []
    where: dict[str, list[str]] = {}
    for node in c.nodes:
        if not node.powered:
            continue
        for pod_name in node.running:
            parent, ordinal = sts_controller.parent_and_ordinal(pod_name)
            if parent in names and ordinal >= 0:
                where.setdefault(pod_name, []).append(node.name)
    out = []
    for pod_name, nodes in sorted(where.items()):
        if len(nodes) > 1:
            pod = c.pod(pod_name)
            api = f"the API's pod {pod_name} is bound to {pod.node_name}" if pod else f"no pod {pod_name} in the API"
            out.append(
                f"containers of {pod_name} run on {len(nodes)} machines ({', '.join(sorted(nodes))}) at t={c.now}s; "
                f"{api}"
            )
    return out


def _explain_identity(c: Cluster) -> str:
    return " | ".join(_identity_clashes(c)) or "every StatefulSet identity runs on one machine at most"


@invariant("at-most-one-pod-per-ordinal", explain=_explain_identity)
def at_most_one_pod_per_ordinal(cluster: Cluster) -> bool:
    """At no time do the containers of two pods with the same StatefulSet identity run: the
    fencing guarantee the StatefulSet controller gives stateful apps (one writer per ordinal).

    An identity is a name ``<set>-<ordinal>`` of a StatefulSet in the cluster. It is claimed on a
    machine when that machine is powered on and its container runtime runs containers of a pod
    of that name (``Node.running``: what really runs, whatever the API says). The property
    fails when two powered machines run one identity at the same time.

    The controller keeps it by never creating a member while a pod object of that name exists:
    a Terminating pod on a lost node stays until its kubelet confirms that its containers are
    gone. A force delete (``kubectl delete pod web-1 --force``, or pod GC after the Node object
    is deleted or tainted out-of-service) removes the object without that confirmation: if the
    old machine is only cut off (partitioned) and still on, its containers run on while the
    controller starts the new member elsewhere. That is the real fencing hazard, and kmodel
    reports it as a violation. A machine that is powered off runs nothing, so force-deleting a
    pod of a machine known to be off is safe.
    """
    return not _identity_clashes(cluster)


def _sts_room(c: Cluster, s: StatefulSet) -> int:
    """How many of the StatefulSet's pods fit on the healthy nodes (:func:`_slots`, with the
    set's own pods not taking room)."""
    tag = f"statefulset/{s.name}"
    view = attrs.evolve(
        c,
        pods=tuple(
            attrs.evolve(p, owner=tag, owner_kind="ReplicaSet") if p.owned_by(sts_controller.KIND, s.name) else p
            for p in c.pods
        ),
    )
    stand_in = Deployment(name=s.name, replicas=s.replicas, selector=s.selector, template=s.template)
    return _slots(view, stand_in, {tag})


def _sts_short(c: Cluster) -> list[str]:
    if not (c.controller_manager_active and c.scheduler_active):
        return []
    out = []
    for s in c.statefulsets:
        if s.replicas <= 0:
            continue
        pods = [p for p in c.pods if p.owned_by(sts_controller.KIND, s.name)]
        serving = [p for p in pods if _serving(c, p)]
        if len(serving) >= s.replicas:
            continue
        waiting = []
        for p in pods:
            if p.active and p.node_name is not None:
                node = c.node(p.node_name)
                if node is None or not c.kubelet_connected(node):
                    waiting.append(p)
        required = max(0, min(s.replicas - len(waiting), _sts_room(c, s)))
        if len(serving) < required:
            others = "; ".join(f"{p.name} {_pod_state(c, p)}" for p in pods if p not in serving) or "no other pods"
            out.append(
                f"statefulset {s.name}: {len(serving)} of {required} owed members Running and ready "
                f"(spec.replicas {s.replicas}, {len(waiting)} waiting on lost nodes) at t={c.now}s; {others}"
            )
    return out


def _explain_sts(c: Cluster) -> str:
    return " | ".join(_sts_short(c)) or "every StatefulSet has the ready members it is owed"


@eventually("statefulset-replicas-ready", explain=_explain_sts)
def statefulset_replicas_ready(cluster: Cluster) -> bool:
    """Every StatefulSet gets back the Running, ready members it asks for (StatefulSet
    controller, scheduler, kubelet together): the StatefulSet analogue of replica-convergence.

    A StatefulSet with spec.replicas = R is owed min(R - W, F) members that are Running, Ready,
    not Terminating, with containers really running on a node whose kubelet is connected, where
    W = its members that are *not* Terminating on nodes whose kubelet is not connected (the
    controller rightly keeps them until they are evicted) and F = how many of its pods fit on
    the healthy nodes (as for replica-convergence). A member that *is* Terminating on a lost
    node is not excused: nothing replaces it until its kubelet confirms the deletion or someone
    force-deletes it, and this property reports exactly that: the member stays down after its
    node is lost. Excused while the scheduler or the controller-manager cannot act.

    Checked in bounded form (convergence_bound(settings) once faults stop, and again whenever
    lost). The bound covers bringing one member back; a scale-up of several OrderedReady members
    (one at a time, each waiting for the previous to be Running and ready) can take longer.
    """
    return not _sts_short(cluster)


# --- Jobs ----------------------------------------------------------------------------------------

# seconds a Job gets, once faults stop, to end: a Job with the default backoffLimit 6 whose pods
# all fail waits 10 + 20 + 40 + 80 + 160 + 320 = 630 s of pod failure back-off in all, and its
# seven pods need their runs and a few ticks each around them
JOB_BOUND = 1200


def _unfinished_jobs(cluster: Cluster) -> list[Job]:
    return [j for j in cluster.jobs if not j.suspend and not j.finished]


def _explain_jobs(cluster: Cluster) -> str:
    parts = []
    for j in _unfinished_jobs(cluster):
        want = j.completions if j.completions is not None else 1
        interim = ", ".join(f"{k} ({r})" if r else k for k, r in j.conditions) or "no condition"
        terminating = sum(1 for p in cluster.pods if p.owned_by("Job", j.name) and p.terminating)
        parts.append(
            f"job/{j.name}: {interim}; {j.status_succeeded}/{want} succeeded, {j.status_failed} failed, "
            f"{j.status_active} active, {terminating} terminating"
        )
    return " | ".join(parts) or "every Job has finished"


@eventually("job-completes-or-fails", bound=JOB_BOUND, explain=_explain_jobs)
def job_completes_or_fails(cluster: Cluster) -> bool:
    """Every Job ends: it gets a Complete or Failed condition (Job controller, kubelet, scheduler
    together). Suspended Jobs are excused.

    A Job completes once its pods have succeeded completions times; it fails once more pods have
    failed than backoffLimit allows, or when activeDeadlineSeconds pass. Since Kubernetes 1.31
    the terminal condition waits until none of its pods is terminating (FailureTarget or
    SuccessCriteriaMet show the decision meanwhile), so pods stuck Terminating on a dead node
    hold it back.

    Checked in bounded form: once faults stop, every Job must have ended within JOB_BOUND
    (1200 s). That covers the default backoffLimit (630 s of back-off in all) with short runs;
    for Jobs that need longer (long runs, many completions, a larger backoffLimit), define your
    own with a larger bound: ``@eventually("my-jobs-end", bound=3600)`` returning
    ``job_completes_or_fails(cluster)``.

    What it finds: Jobs whose containers never exit (no ``workloads`` entry), Jobs whose pods
    cannot be placed and that have no activeDeadlineSeconds, and Jobs held back by Terminating
    pods on a node that does not come back.
    """
    return not _unfinished_jobs(cluster)


def _over_retried(cluster: Cluster) -> list[Job]:
    return [j for j in cluster.jobs if j.status_failed > j.backoff_limit + j.parallelism]


def _explain_retries(cluster: Cluster) -> str:
    return (
        " | ".join(
            f"job/{j.name}: {j.status_failed} failed pods, more than backoffLimit {j.backoff_limit} + parallelism "
            f"{j.parallelism}"
            for j in _over_retried(cluster)
        )
        or "no Job has more failed pods than backoffLimit + parallelism"
    )


@invariant("job-retries-bounded", explain=_explain_retries)
def job_retries_bounded(cluster: Cluster) -> bool:
    """A Job stops retrying at its backoffLimit: it never counts more failed pods than
    backoffLimit + parallelism (Job controller).

    The controller fails the Job at the sync that sees more than backoffLimit failures; the pods
    that fail in that last round, or are deleted then and counted as failed, are at most the
    active ones, so the count can pass backoffLimit by at most parallelism. The safety side of
    job-completes-or-fails: a controller that keeps replacing failed pods breaks it after a few
    failures, long before a bound on time would.
    """
    return not _over_retried(cluster)


# --- DaemonSets ------------------------------------------------------------------------------------

# The tolerations the DaemonSet controller gives every daemon pod (pkg/controller/daemon/util
# AddOrUpdateDaemonPodTolerations), restated: (taint key, effect), operator Exists, no
# tolerationSeconds. (network-unavailable comes only with hostNetwork, which kmodel refuses.)
DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", NO_EXECUTE),
    ("node.kubernetes.io/unreachable", NO_EXECUTE),
    ("node.kubernetes.io/disk-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/memory-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/pid-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/unschedulable", NO_SCHEDULE),
)


def daemonset_bound(settings: Settings) -> int:
    """Seconds within which a node that is Ready with a connected kubelet, and should run a pod of
    a DaemonSet, has one Running and Ready (once faults stop), with ``step`` = one tick and
    ``period`` = ``nodeMonitorPeriod``::

        step              a powered-on kubelet posts Ready=True
      + period + step     the node lifecycle controller lifts the not-ready / unreachable
                          NoSchedule taints (no daemon pod tolerates not-ready:NoSchedule)
      + 2 * step          a Terminating daemon pod on the node finishes (the controller makes
                          the new one only once the old one is gone)
      + 3 * step          DaemonSet controller -> scheduler -> kubelet, a tick each at worst
      + 3 * step          slack
      = period + 10 * step          (55 s with the defaults)
    """
    step = settings.step
    return step + (settings.node_monitor_period + step) + 2 * step + 3 * step + CONVERGENCE_SLACK_TICKS * step


def _daemon_pod(ds: DaemonSet) -> Pod:
    """A pod of the DaemonSet's template with the tolerations the controller adds."""
    t = ds.template
    tolerations = list(t.tolerations)
    for key, effect in DAEMON_TOLERATIONS:
        wanted = Toleration(key=key, operator="Exists", effect=effect)
        same = [x for x in tolerations if (x.key, x.operator, x.value, x.effect) == (key, "Exists", "", effect)]
        if same:
            tolerations = [wanted if x in same else x for x in tolerations]
        else:
            tolerations.append(wanted)
    return Pod(
        name=f"{ds.name}-template",
        labels=t.labels,
        tolerations=tuple(tolerations),
        node_selector=t.node_selector,
        requests=t.requests,
        scheduling=t.scheduling,
    )


def _should_run(ds: DaemonSet, pod: Pod, node: Node) -> bool:
    """Whether ``node`` should run a pod of ``ds`` once its node-condition taints follow its Ready
    condition: spec.nodeName (if the template sets it) is the node, nodeSelector and required node
    affinity match, and every NoSchedule / NoExecute taint other than not-ready and unreachable
    is tolerated (those two are lifted within the bound once the node is Ready)."""
    if ds.template.node_name is not None and ds.template.node_name != node.name:
        return False
    if not _node_selection_accepts(pod, node):
        return False
    return not any(
        t.effect in (NO_SCHEDULE, NO_EXECUTE)
        and t.key not in CONDITION_TAINTS
        and not any(_tolerates(x, t) for x in pod.tolerations)
        for t in node.taints
    )


def _fits_next_to_others(c: Cluster, ds: DaemonSet, pod: Pod, node: Node) -> bool:
    """NodeResourcesFit and NodePorts for the daemon pod next to the node's non-terminating pods
    of other owners: every requested resource within the node's allocatable, one more pod within
    its pod count, and no host port another pod holds."""
    others = [
        p
        for p in pods_by_node(c.pods).get(node.name, ())
        if not p.owned_by("DaemonSet", ds.name) and not p.terminating and p.phase not in (SUCCEEDED, FAILED)
    ]
    used = Resources()
    for p in others:
        used = used + p.requests
    want, cap = pod.requests, node.capacity
    if len(others) + 1 > cap.pods:
        return False
    for have, need, limit in (
        (used.cpu, want.cpu, cap.cpu),
        (used.memory, want.memory, cap.memory),
        (used.ephemeral_storage, want.ephemeral_storage, cap.ephemeral_storage),
    ):
        if need and have + need > limit:
            return False
    for name, need in want.scalar:
        if need and used.get(name) + need > cap.get(name):
            return False
    ports = {(hp.port, hp.protocol) for hp in pod.scheduling.host_ports}
    return not any((hp.port, hp.protocol) in ports for p in others for hp in p.scheduling.host_ports)


def _daemon_gaps(c: Cluster) -> list[str]:
    """``ds/node`` for every node that should have a serving pod of a DaemonSet and has none."""
    if not (c.scheduler_active and c.controller_manager_active):
        return []
    gaps = []
    for ds in c.daemonsets:
        t = ds.template.scheduling
        if t.pod_affinity is not None or t.pod_anti_affinity is not None or t.topology_spread:
            continue  # rules between pods: not judged here
        pod = _daemon_pod(ds)
        for node in c.nodes:
            if node.ready != COND_TRUE or not c.kubelet_connected(node):
                continue
            if not _should_run(ds, pod, node) or not _fits_next_to_others(c, ds, pod, node):
                continue
            if not any(p.owned_by("DaemonSet", ds.name) and _serving(c, p) for p in c.pods_on(node.name)):
                gaps.append(f"{ds.name}/{node.name}")
    return gaps


def _explain_daemon_gaps(c: Cluster) -> str:
    gaps = _daemon_gaps(c)
    return (
        f"no Running, Ready pod of the DaemonSet on a Ready node that should run one: {', '.join(gaps)} at t={c.now}s"
    )


@eventually("daemonset-on-every-eligible-node", explain=_explain_daemon_gaps)
def _daemonset_on_every_eligible_node(cluster: Cluster) -> bool:
    """Every node that should run a pod of a DaemonSet has one, Running and Ready (DaemonSet
    controller, scheduler and kubelet together).

    A node N is owed a pod of DaemonSet D when N's Ready condition is True and its kubelet is
    connected, and a pod of D's template, with the tolerations the DaemonSet controller adds to
    every daemon pod (Exists tolerations of not-ready and unreachable NoExecute and of
    disk-pressure, memory-pressure, pid-pressure and unschedulable NoSchedule), would be placed
    on N: the template's spec.nodeName (if set) is N; its nodeSelector and required node
    affinity match N; every NoSchedule and NoExecute taint of N is tolerated (leaving out the
    not-ready and unreachable taints, which the node lifecycle controller lifts once it sees
    Ready); its requests fit N's allocatable next to the non-terminating pods of other owners
    there (one more pod within the pod count), and none of its host ports is taken there. The
    pod must be Running, Ready, not Terminating, with its containers really running. A
    DaemonSet whose template has pod affinity, anti-affinity or topology spread constraints is
    not judged; while the scheduler or the controller-manager cannot act nothing is owed.

    Checked in bounded form: once faults stop it must hold within daemonset_bound(settings)
    (55 s with the defaults) and again within it whenever it is lost. Left out of ``kmodel
    check`` runs of every built-in on scenarios without DaemonSets.
    """
    return not _daemon_gaps(cluster)


daemonset_on_every_eligible_node = attrs.evolve(_daemonset_on_every_eligible_node, bound_of=daemonset_bound)

# --- rollouts -------------------------------------------------------------------------------------


def _fault_active(c: Cluster) -> bool:
    """Something outside the control plane's reach is broken right now: a machine powered off, a
    kubelet or container runtime stopped, a node cut off, or a control-plane process down."""
    cp = c.control_plane
    if not (cp.apiserver and cp.etcd and cp.scheduler and cp.controller_manager and c.control_plane_host_up):
        return True
    if c.ha is not None and c.ha.failures(c):
        return True
    return any(not n.powered or not n.kubelet_running or not n.runtime_ready or n.partitioned for n in c.nodes)


def _rollout_sets(c: Cluster, d: Deployment) -> tuple[ReplicaSet | None, list[ReplicaSet]]:
    """(the ReplicaSet with the Deployment's pod template, the other ReplicaSets it owns)."""
    from kmodel.components.deployment import template_key

    key = template_key(d.template)
    owned = [rs for rs in c.replicasets if rs.owner == d.name]
    new = next((rs for rs in owned if template_key(rs.template) == key), None)
    return new, [rs for rs in owned if rs is not new]


def _available_pods(c: Cluster, rss: list[ReplicaSet]) -> int:
    """Pods of these ReplicaSets that are active and available (IsPodAvailable with their
    ReplicaSet's minReadySeconds)."""
    mrs = {rs.name: rs.min_ready_seconds for rs in rss}
    return sum(
        1 for p in c.pods if p.replicaset_owner in mrs and p.active and pod_available(p, mrs[p.replicaset_owner], c.now)
    )


def _below_floor(c: Cluster) -> list[str]:
    from kmodel.components.deployment import ROLLING, max_unavailable

    if _fault_active(c):
        return []
    out = []
    for d in c.deployments:
        if d.strategy != ROLLING:
            continue
        new, olds = _rollout_sets(c, d)
        if new is None or not olds:
            continue
        floor = d.replicas - max_unavailable(d)
        available = _available_pods(c, [new, *olds])
        unfinished = any(rs.replicas > 0 or _active(c, rs) for rs in olds) or _available_pods(c, [new]) < d.replicas
        if unfinished and available < floor:
            out.append(f"deployment/{d.name}: {available} available pods < replicas - maxUnavailable = {floor}")
    return out


def _explain_below_floor(c: Cluster) -> str:
    return "; ".join(_below_floor(c))


@invariant("rollout-respects-max-unavailable", explain=_explain_below_floor)
def rollout_respects_max_unavailable(cluster: Cluster) -> bool:
    """During a RollingUpdate the Deployment keeps at least spec.replicas - maxUnavailable pods
    available, whenever no fault is active (rolling.go reconcileOldReplicaSets).

    Precisely: in every state where every machine is powered, every kubelet and container runtime
    runs, no node is cut off and every control-plane process runs, each RollingUpdate Deployment
    that is mid-rollout - it owns a ReplicaSet with its current pod template and another one, and
    either an old one still has spec.replicas > 0 or active pods or the new one has fewer than
    spec.replicas available pods - has at least spec.replicas -
    MaxUnavailable(d) pods (ResolveFenceposts' maxUnavailable, capped at spec.replicas) of its
    ReplicaSets that are active (not Terminating, not finished) and available (Ready for the
    ReplicaSet's minReadySeconds).

    That is what the controller promises and no more: it scales old ReplicaSets down only by as
    many pods as the ReplicaSets' status reports available above that floor (and takes unhealthy
    old replicas first). It cannot restore pods it did not remove: pods lost to a failure count
    against the floor after the failure is repaired too (a node powered back on restarts its
    pods, which are not ready at once), and a rollout that starts below the floor, or during
    which spec.replicas is raised, is below it until the new pods are available. Recreate
    Deployments promise no availability and are not checked.
    """
    return not _below_floor(cluster)


def _rollout_unfinished(c: Cluster) -> list[str]:
    if not (c.controller_manager_active and c.scheduler_active) or any(not c.kubelet_connected(n) for n in c.nodes):
        return []
    out = []
    for d in c.deployments:
        if d.paused:
            continue
        new, olds = _rollout_sets(c, d)
        if not olds and new is not None and new.revision <= 1:
            continue  # no rollout ever: replica-convergence's business
        if _slots(c, d, _owned_by(c, d)) < d.replicas:
            continue  # its pods do not all fit: it is excused, as in replica-convergence
        left = [rs.name for rs in olds if rs.replicas > 0 or _active(c, rs)]
        available = _available_pods(c, [new]) if new is not None else 0
        if new is None or new.replicas != d.replicas or left or available < d.replicas:
            have = f"{new.name} {new.replicas}/{d.replicas}, {available} available" if new else "no new ReplicaSet"
            olds_text = f"; old ReplicaSets with pods: {', '.join(left)}" if left else ""
            out.append(f"deployment/{d.name} ({have}{olds_text})")
    return out


def _explain_rollout_unfinished(c: Cluster) -> str:
    return "; ".join(_rollout_unfinished(c))


ROLLOUT_ROUNDS = 10
ROLLOUT_ROUND_TICKS = 6


def rollout_bound(settings: Settings) -> int:
    """Seconds a healed cluster needs, at most, to finish a rollout: :func:`convergence_bound`
    (the cluster recovers) plus ``ROLLOUT_ROUNDS`` rounds of ``ROLLOUT_ROUND_TICKS`` ticks each:
    a round is the Deployment controller scaling the new ReplicaSet up (its sync ends there),
    the ReplicaSet controller creating pods, the scheduler binding them, the kubelet starting
    them (ready at once: the model has no probes), the ReplicaSet's status counting them, and
    the Deployment controller scaling the old ReplicaSet down. A rollout needs
    ceil(replicas / (maxSurge + maxUnavailable)) rounds or fewer; one with more rounds, or with
    minReadySeconds, needs a larger bound (a property file with @eventually(..., bound=N))."""
    return convergence_bound(settings) + ROLLOUT_ROUNDS * ROLLOUT_ROUND_TICKS * settings.step


@eventually("rollout-completes", explain=_explain_rollout_unfinished)
def rollout_completes(cluster: Cluster) -> bool:
    """A rollout finishes: once faults stop, within :func:`rollout_bound` of the settings, every
    Deployment that has rolled out (it owns an old ReplicaSet, or its ReplicaSet was renumbered)
    has a ReplicaSet with its pod template at spec.replicas whose pods are all available, and
    every old ReplicaSet at 0 replicas with no active pods left.

    Excused: a paused Deployment (it does not roll out), one whose pods do not all fit on the
    healthy nodes (as in replica-convergence), and every Deployment while the controller-manager
    or the scheduler cannot act or a node's kubelet is not connected. Checked in bounded form,
    like replica-convergence: it must hold within the bound after the faults stop, and again
    within the bound whenever it is lost.
    """
    return not _rollout_unfinished(cluster)


# --- the descheduler: no-eviction-cycle (kmodel.components.descheduler) --------------------------

DEFAULT_EVICTION_CYCLE_RETURNS = 2  # no-eviction-cycle's N


def _cycles(c: Cluster, most: int) -> list[str]:
    from kmodel.components import descheduler

    return [
        f"{w}: a pod evicted by the descheduler was replaced on the same node {n} times (at most {most})"
        for w, n in sorted(descheduler.returns_now(c).items())
        if n > most
    ]


def no_eviction_cycle_property(max_returns: int = DEFAULT_EVICTION_CYCLE_RETURNS, name: str = "") -> PropertyDef:
    """``no-eviction-cycle`` with its N: a property file may define its own, e.g.
    ``strict = no_eviction_cycle_property(max_returns=0, name="no-eviction-cycle-0")``."""
    if isinstance(max_returns, bool) or not isinstance(max_returns, int) or not 0 <= max_returns < 10:
        raise ValueError(f"no-eviction-cycle: max_returns must be a whole number 0..9 (got {max_returns!r})")

    def holds(cluster: Cluster) -> bool:
        return not _cycles(cluster, max_returns)

    def explain(cluster: Cluster) -> str:
        return "; ".join(_cycles(cluster, max_returns))

    doc = f"""No workload plays an eviction cycle with the descheduler: no pod of a workload is evicted
    by the descheduler and its replacement bound by the scheduler to the node it was evicted
    from more than {max_returns} times (a replacement that lands elsewhere does not count). Such
    a loop costs a restart per descheduling interval and never converges: a strategy evicts a
    pod the scheduler can only, or prefers to, put straight back (LowNodeUtilization without
    ``nodeFit`` evicting a pod pinned to its node, thresholds without a dead band, ...). Checked
    by default only on scenarios with a DeschedulerPolicy."""
    return invariant(name or "no-eviction-cycle", doc, explain=explain)(holds)


no_eviction_cycle = no_eviction_cycle_property()
DESCHEDULER_PROPERTIES = ("no-eviction-cycle",)


# --- several control-plane machines (kmodel.ha) ----------------------------------------------------


def _unmanageable(c: Cluster) -> str | None:
    """Why the control plane has been unable to carry a new Deployment to Running pods for longer
    than the failover bound; None when it is not."""
    from kmodel import ha

    h = c.ha
    if h is None:
        missing = [
            what
            for what, ok in (
                ("no apiserver answers", c.apiserver_available),
                ("no scheduler acts", c.scheduler_active),
                ("no controller-manager acts", c.controller_manager_active),
            )
            if not ok
        ]
        return "; ".join(missing) + " (one control plane: nothing takes over)" if missing else None
    if h.unmanageable_since is None or c.now - h.unmanageable_since <= ha.failover_bound(c):
        return None
    missing = []
    if not h.quorum(c):
        up = sum(1 for m in h.etcd_machines if h.running(c, "etcd", m))
        # kmodel.hapartition: a majority may run but be cut off from each other
        split = ", no majority of them reaching each other" if 2 * up > len(h.etcd_machines) else ""
        missing.append(f"etcd has no quorum ({up} of {len(h.etcd_machines)} members up{split})")
    elif not h.apiserver_available(c):
        missing.append("no apiserver answers")
    for process in ha.LEADER_ELECTED:
        if h.apiserver_available(c) and not h.acting(c, process):
            missing.append(f"no {process} leader acts")
    cause = ", ".join(h.failures(c)) or "nothing is down"
    return (
        f"unmanageable for {c.now - h.unmanageable_since}s (> failover bound {ha.failover_bound(c)}s): "
        f"{'; '.join(missing)}; {cause}"
    )


def _explain_unmanageable(c: Cluster) -> str:
    return _unmanageable(c) or ""


@invariant("manageable-after-any-single-failure", explain=_explain_unmanageable)
def manageable_after_any_single_failure(cluster: Cluster) -> bool:
    """After a failure the control plane can again carry a newly applied Deployment to Running
    pods within the failover bound: etcd has quorum, the load balancer reaches an apiserver, and
    a scheduler leader and a controller-manager leader act.

    What is checked is that capability, in every state, not an apply after each fault: with it the
    Deployment controller creates the ReplicaSet, the ReplicaSet controller the pods, the
    scheduler binds them and the kubelets run them (the topology scenarios also apply a
    Deployment after their fault window, and tests/test_ha.py shows its pods Running). The
    failures are whatever the checker's budget allows: give it one (``powerOffNode: 1``,
    ``stopComponent: 1`` or ``partitionControlPlane: 1``) to ask about "any single failure".
    The failover bound is leaseDuration
    (15 s) rounded up to whole ticks with several control-plane machines (kmodel.ha), and 0 with
    one: there is no standby to take over, so the trace ends at the fault that names the single
    point of failure. Checked by default on scenarios with a controlPlane section.
    """
    return _unmanageable(cluster) is None


def _several_leaders(c: Cluster) -> list[str]:
    from kmodel import ha

    if c.ha is None:
        return []
    out = []
    for process in ha.LEADER_ELECTED:
        acting = c.ha.acting(c, process)
        if len(acting) > 1:
            out.append(f"{process} acts on {', '.join(sorted(acting))} at once")
    return out


@invariant("one-leader-acting", explain=lambda c: "; ".join(_several_leaders(c)))
def one_leader_acting(cluster: Cluster) -> bool:
    """At most one instance of kube-scheduler and of kube-controller-manager acts at a time (the
    promise of leader election: a leader that cannot renew its Lease within renewDeadline stops
    before another may take the Lease after leaseDuration). Two schedulers acting bind from two
    caches (double booking); two controller-managers create pods twice. Checked by default on
    scenarios with a controlPlane section."""
    return not _several_leaders(cluster)


HA_PROPERTIES = ("manageable-after-any-single-failure", "one-leader-acting")
# --- the HorizontalPodAutoscaler (kmodel.components.horizontalpodautoscaler) ---------------------


def _hpa_target_replicas(cluster: Cluster, kind: str, name: str) -> int | None:
    obj: Deployment | ReplicaSet | StatefulSet | None
    if kind == "Deployment":
        obj = cluster.deployment(name)
    elif kind == "ReplicaSet":
        obj = cluster.replicaset(name)
    else:
        obj = cluster.statefulset(name)
    return obj.replicas if obj is not None else None


def _hpas_out_of_bounds(cluster: Cluster) -> list[str]:
    out = []
    for h in cluster.hpas:
        if not h.acted:
            continue
        replicas = _hpa_target_replicas(cluster, h.target_kind, h.target_name)
        if replicas is None or replicas == 0:
            continue
        if not h.min_replicas <= replicas <= h.max_replicas:
            out.append(
                f"{h.target_kind.lower()}/{h.target_name} spec.replicas {replicas} outside "
                f"[{h.min_replicas}, {h.max_replicas}] of horizontalpodautoscaler/{h.name}"
            )
    return out


@invariant("hpa-within-bounds", explain=lambda c: "; ".join(_hpas_out_of_bounds(c)))
def hpa_within_bounds(cluster: Cluster) -> bool:
    """Once a HorizontalPodAutoscaler has acted (synced once with its target found), the
    target's spec.replicas stays within [minReplicas, maxReplicas].

    The HPA controller only writes counts in that range, and brings a count outside it back at
    its next sync ("Current number of replicas below Spec.MinReplicas"); what breaks the
    promise in between is another writer: a `kubectl apply` of a manifest that drops
    spec.replicas (client-side apply removes the field, the apiserver defaults it to 1), or a
    `kubectl scale`. spec.replicas 0 is left out: it turns autoscaling off (ScalingDisabled)."""
    return not _hpas_out_of_bounds(cluster)


def oscillations(
    history: tuple[tuple[int, int], ...], window: int, reversals: int
) -> tuple[tuple[int, int], ...] | None:
    """The entries of ``history`` ((time, replicas), one per change) of a run that turns
    direction more than ``reversals`` times within ``window`` seconds (e.g. up, down, up: two
    turns), from the count before its first change to its last change; None when there is none."""
    changes = [(t, 1 if after > before else -1) for (_, before), (t, after) in itertools.pairwise(history)]
    for i in range(len(changes)):
        turns = 0
        for j in range(i + 1, len(changes)):
            if changes[j][0] - changes[i][0] > window:
                break
            if changes[j][1] != changes[j - 1][1]:
                turns += 1
            if turns > reversals:
                return history[i : j + 2]
    return None


def no_oscillation(window: int = 300, reversals: int = 1, name: str = "no-oscillation") -> PropertyDef:
    """The ``no-oscillation`` property with its parameters: within any ``window`` seconds, an
    autoscaled workload's spec.replicas changes direction at most ``reversals`` times. In a
    property file::

        from kmodel.properties import no_oscillation

        no_oscillation(window=600, reversals=1, name="no-oscillation-10m")

    defines a property of that name (``kmodel check --property-file FILE.py``). The HPA
    controller records its target's count at each sync (kmodel.state.HorizontalPodAutoscaler
    .history), reaching back ``replicaHistoryWindow`` (a setting, 10m): ``window`` must not be
    longer."""
    if isinstance(window, bool) or not isinstance(window, int) or window <= 0:
        raise ValueError(f"no_oscillation: window must be a positive whole number of seconds (got {window!r})")
    if isinstance(reversals, bool) or not isinstance(reversals, int) or reversals < 0:
        raise ValueError(f"no_oscillation: reversals must be a whole number >= 0 (got {reversals!r})")

    def found(cluster: Cluster) -> list[str]:
        if window > cluster.settings.replica_history_window:
            raise KmodelError(
                f"property {name}: window {window}s is longer than the replica history kmodel keeps "
                f"({cluster.settings.replica_history_window}s)",
                where=f"property {name}",
                fix="raise the setting replicaHistoryWindow, or shorten the window",
            )
        out = []
        for h in cluster.hpas:
            run = oscillations(h.history, window, reversals)
            if run is not None:
                counts = " -> ".join(str(r) for _, r in run)
                ups = [b > a for (_, a), (_, b) in itertools.pairwise(run)]
                turns = sum(1 for x, y in itertools.pairwise(ups) if x != y)
                out.append(
                    f"{h.target_kind.lower()}/{h.target_name} spec.replicas {counts} from t={run[1][0]}s to "
                    f"t={run[-1][0]}s: {turns} turns within {window}s (at most {reversals})"
                )
        return out

    doc = f"""An autoscaled workload's spec.replicas does not go up-down-up (or down-up-down) within {window}s.

    More precisely: over any {window} s, the count the HorizontalPodAutoscaler sees at its syncs
    (its own writes and anyone else's) changes direction at most {reversals} time(s). A start-up
    load spike that scales a Deployment up, then down once the spike is over, then up again is
    the classic loop; the default scale-down stabilization window (5m) is what stops it. Build
    it with other parameters with :func:`kmodel.properties.no_oscillation` in a property file."""
    return _define(ALWAYS, name, doc, lambda c: "; ".join(found(c)), None, "no_oscillation")(
        lambda cluster: not found(cluster)
    )


no_oscillation_default = no_oscillation()


DEFAULT_BOUNDS: dict[str, Callable[[Settings], int]] = {"rollout-completes": rollout_bound}
ROLLOUT_PROPERTIES = ("rollout-respects-max-unavailable", "rollout-completes")


def can_roll_out(scenario: Any) -> bool:
    """Whether a scenario can start a rollout: its timeline sets an image, restarts, undoes or
    applies a file with a Deployment, or it starts with a Deployment that owns several
    ReplicaSets (``kmodel check`` checks the rollout properties by default only then)."""
    for ev in scenario.timeline:
        if ev.verb in ("set", "rollout"):
            return True
        if ev.verb == "apply" and any(m.kind == "Deployment" for m in ev.manifests):
            return True
    c = scenario.initial_state()
    return any(sum(1 for rs in c.replicasets if rs.owner == d.name) > 1 for d in c.deployments)


# --- PodDisruptionBudgets and kubectl drain ---------------------------------------------------------


def _budget_breaches(before: Cluster, after: Cluster) -> list[str]:
    from kmodel.components import disruption

    evicted = [
        name
        for name in eviction.evicted(before, after)
        if (was := before.pod(name)) is not None and was.ready and not was.terminating
    ]
    if not evicted:
        return []
    out = []
    for b in after.pdbs:
        hit = [n for n in evicted if (p := after.pod(n)) is not None and disruption.guards(b, p)]
        if not hit:
            continue
        pods = disruption.pods_of(after, b)
        try:
            _, desired, _ = disruption.expected_pod_count(after, b, pods)
        except disruption.SyncError:
            continue  # no budget can be computed (the controller fails safe: nothing is allowed)
        healthy = [p.name for p in pods if p.ready and not p.terminating]
        excused = [
            p.name for p in pods if not (p.ready and not p.terminating) and p.disruption_reason != eviction.REASON
        ]
        if len(healthy) + len(excused) < desired:
            rule = (
                f"minAvailable {b.min_available}"
                if b.min_available is not None
                else f"maxUnavailable {b.max_unavailable}"
            )
            out.append(
                f"pdb/{b.name} ({rule}): evicting {', '.join(hit)} left {len(healthy)} healthy pod"
                f"{'s' if len(healthy) != 1 else ''} ({', '.join(healthy) or 'none'})"
                + (f" and {len(excused)} down for other reasons" if excused else "")
                + f", fewer than the {desired} the budget keeps"
            )
    return out


def _explain_budget_breaches(before: Cluster, after: Cluster) -> str:
    return "; ".join(_budget_breaches(before, after))


@transition_invariant("pdb-respected", explain=_explain_budget_breaches)
def pdb_respected(before: Cluster, after: Cluster) -> bool:
    """Voluntary evictions never take a workload below its PodDisruptionBudget: a step in which
    the eviction API evicts a healthy pod (Ready, not being deleted) that a budget guards leaves
    that budget with at least desiredHealthy pods (minAvailable, rounded up from a percentage of
    the controllers' scale, or the scale minus maxUnavailable) that are healthy or down for some
    other reason.

    Evictions are the pods that newly carry the eviction API's DisruptionTarget condition
    (reason EvictionByEvictionAPI). Involuntary losses are excused: a pod made not ready by a
    failure, or deleted by taint eviction, pod GC, preemption or ``kubectl delete``, is counted
    as if it were still healthy, since the eviction API judges by the budget's status, which the
    disruption controller computed before that loss (Kubernetes does not promise more: a budget
    limits voluntary disruptions only). A pod that is not ready and not being deleted (one still
    starting) is counted the same way, so the property can miss a breach that only shows while
    replacements start; it never reports one that the budget allowed. A budget whose controllers
    have no scale (the disruption controller fails safe) is not judged.
    """
    return not _budget_breaches(before, after)


# kubectl drain's rounds the default bound allows: the first eviction, then (with a budget that
# lets one pod go at a time) one more once the replacement is ready
DRAIN_ROUNDS = 2


def drain_bound(settings: Settings) -> int:
    """Seconds a drain gets, once faults stop, to drain its node: :func:`convergence_bound` (the
    cluster recovers) plus ``DRAIN_ROUNDS`` rounds of a 5 s kubectl retry and
    ``ROLLOUT_ROUND_TICKS`` ticks (the eviction, the kubelet stopping the pod, the replacement
    created, scheduled, started and counted healthy by the disruption controller): 130 s with
    the default settings. A drain with ``--timeout`` that runs out first has failed, and fails
    the property too."""
    from kmodel.components.drain import RETRY_SECONDS

    return convergence_bound(settings) + DRAIN_ROUNDS * (RETRY_SECONDS + ROLLOUT_ROUND_TICKS * settings.step)


def _undrained(c: Cluster) -> list[str]:
    out = []
    for d in c.drains:
        if d.outcome == "drained":
            continue
        if d.outcome:
            out.append(f"drain of {d.node} failed at t={d.ended}s: {d.outcome}")
            continue
        parts = []
        if d.pending:
            parts.append(f"evicting {', '.join(d.pending)}")
        if d.waiting:
            parts.append(f"waiting for {', '.join(d.waiting)} to go")
        out.append(f"drain of {d.node} (started t={d.started}s) still running at t={c.now}s: {'; '.join(parts)}")
    return out


def _explain_undrained(c: Cluster) -> str:
    return " | ".join(_undrained(c)) or "every drain has drained its node"


@eventually("drain-completes", explain=_explain_undrained)
def _drain_completes(cluster: Cluster) -> bool:
    """A started ``kubectl drain`` ends with its node drained: every pod it had to evict (or
    delete) is gone, and kubectl printed ``node/NAME drained``.

    Checked in bounded form: once faults stop (and the scenario's timeline is over), every drain
    must have drained its node within :func:`drain_bound` of the settings (130 s by default),
    and a drain that ended in an error (its ``--timeout`` ran out, the filters refused a pod, a
    request failed) never does. A drain whose ``--timeout`` is longer than the bound (or that has
    none: kubectl's 0 waits for ever) is judged at the bound all the same: kubectl would still be
    retrying then; for longer waits define ``@eventually("my-drain", bound=N)`` returning
    ``drain_completes(cluster)``. What it finds: drains a PodDisruptionBudget blocks (no
    disruption allowed, and none coming), pods that cannot be placed elsewhere while the budget
    waits for them, and drains that fail.
    """
    return not _undrained(cluster)


drain_completes = attrs.evolve(_drain_completes, bound_of=drain_bound)
PDB_PROPERTIES = ("pdb-respected", "drain-completes")


def has_pdb_or_drain(scenario: Any) -> bool:
    """Whether a scenario has a PodDisruptionBudget (in its files or applied by its timeline),
    drains a node in its timeline, or lets the checker drain one (``drainNode``): ``kmodel
    check`` checks pdb-respected and drain-completes by default only then."""
    applied = (m for ev in scenario.timeline for m in ev.manifests)
    if any(m.kind == "PodDisruptionBudget" for m in (*scenario.manifests, *applied)):
        return True
    if any(ev.verb == "drain" for ev in scenario.timeline):
        return True
    return dict(scenario.faults or ()).get("drainNode", 0) > 0


# --- no-mass-eviction (kmodel.partitions; kubernetes#28832) -------------------------------------


def _mass_evictions(before: Cluster, after: Cluster) -> list[str]:
    """Pods the node controller's eviction (taint eviction's DisruptionTarget, or in legacy mode
    a deletion of a pod on a node that is not Ready) marks for deletion in this step, while the
    node lifecycle controller last saw every zone in FullDisruption."""
    if before.pods is after.pods:
        return []
    states = before.memory.zone_states
    if not states or any(st != "FullDisruption" for _, st in states):
        return []
    legacy = after.settings.eviction_mode == "legacy"
    out = []
    for p in after.pods:
        old = before.pod(p.name)
        if old is None or p.node_name is None or not p.terminating or old.terminating:
            continue
        node = before.node(p.node_name)
        by_node_controller = legacy and node is not None and node.ready != COND_TRUE
        if p.disruption_target or by_node_controller:
            zones = ", ".join(z or "<no zone>" for z, _ in states)
            out.append(
                f"pod {p.name} evicted from {p.node_name} at t={after.now}s while every zone was FullDisruption "
                f"({zones})"
            )
    return out


def _explain_mass_eviction(before: Cluster, after: Cluster) -> str:
    return " | ".join(_mass_evictions(before, after)) or "no pod evicted in this step while every zone was down"


@transition_invariant("no-mass-eviction", explain=_explain_mass_eviction)
def no_mass_eviction(before: Cluster, after: Cluster) -> bool:
    """While every zone is fully disrupted (no node Ready in any zone, as the node lifecycle
    controller last recorded the zone states), the node controller evicts no pod: a control
    plane that hears from no node at all is more likely cut off itself than every node dead
    (pkg/controller/nodelifecycle ``handleDisruption``; kubernetes#28832, fixed in 1.5).

    Checked on every step in which a pod gets the DisruptionTarget condition of taint eviction
    (or, with ``evictionMode: legacy``, is deleted while its node is not Ready: a user's own
    deletion of such a pod counts too). The threshold is zero: with the safeguard no pod at all
    is evicted. It is violated with ``zoneDisruptionSafeguard: false`` (Kubernetes before 1.5).
    A controller-manager that restarts forgets the zone states, and until its first pass the
    property has nothing to judge.
    """
    return not _mass_evictions(before, after)


# --- endpoints-only-ready and scale-down-deletes-unready-first (the mutation suite, issue 17) -----


def _unready_endpoints(before: Cluster, after: Cluster) -> list[str]:
    """Pods a step writes into a Service's endpoints that were not ready endpoints (bound,
    Ready, not Terminating; Running with publishNotReadyAddresses) in the state before it."""
    if before.services is after.services:
        return []
    out = []
    for svc in after.services:
        old = before.service(svc.name)
        if old is None or old.endpoints == svc.endpoints:
            continue
        for name in svc.endpoints:
            pod = before.pod(name)
            if pod is None or not same_namespace(pod.name, svc.name) or not selector_matches(svc.selector, pod.labels):
                serves = False
            elif svc.publish_not_ready_addresses:
                serves = pod.node_name is not None and pod.phase == RUNNING
            else:
                serves = pod.node_name is not None and pod.ready and not pod.terminating
            if not serves:
                shown = _pod_state(before, pod) if pod is not None else "gone"
                out.append(f"service {svc.name} lists {name} as a ready endpoint at t={after.now}s, but it is {shown}")
    return out


def _explain_unready_endpoints(before: Cluster, after: Cluster) -> str:
    return " | ".join(_unready_endpoints(before, after)) or "every endpoint written in this step is a ready pod"


@transition_invariant("endpoints-only-ready", explain=_explain_unready_endpoints)
def endpoints_only_ready(before: Cluster, after: Cluster) -> bool:
    """Whenever a Service's endpoints are written, they list only pods that are ready to serve:
    bound to a node, with the Ready condition, not Terminating (every Running pod for a Service
    with publishNotReadyAddresses). The endpoints controller (pkg/controller/endpoint,
    ``addEndpointSubset`` with ``podutil.IsPodReady``) puts every other pod among the not-ready
    addresses, which receive no traffic.

    Checked on each step that changes a Service's endpoints, against the pods as they were
    before the step (what the controller read). A pod that becomes not ready between two writes
    is not judged until the next write: the property says what the controller publishes, not
    how fast it follows readiness.
    """
    return not _unready_endpoints(before, after)


_DELETION_PHASE = {PENDING: 0, "Unknown": 1, RUNNING: 2}


def _deletion_rank(p: Pod) -> tuple[bool, int, bool]:
    """The first keys of ``ActivePodsWithRanks``: assigned, phase (Pending < Unknown < Running),
    ready; the pod with the smaller rank is deleted first."""
    return (p.node_name is not None, _DELETION_PHASE.get(p.phase, 3), p.ready)


def _bad_scale_downs(before: Cluster, after: Cluster) -> list[str]:
    if before.pods is after.pods or after.settings.informer_lag > 0:
        return []
    out = []
    for old_rs in before.replicasets:
        rs = after.replicaset(old_rs.name)
        if rs is None or rs.replicas != old_rs.replicas:
            continue
        was = [p for p in before.pods if p.owned_by("ReplicaSet", rs.name) and p.active]
        if len(was) <= rs.replicas:
            continue
        gone, kept = [], []
        for p in was:
            q = after.pod(p.name)
            if q is not None and q.active:
                kept.append(p)
            elif q is None or not q.disruption_target:
                gone.append(p)
        # the controller's scale-down removes exactly the surplus; other deletions are not judged
        if not gone or len(kept) != rs.replicas:
            continue
        for g in gone:
            worse = [k for k in kept if _deletion_rank(k) < _deletion_rank(g)]
            if worse:
                kept_text = ", ".join(f"{k.name} ({_pod_state(before, k)})" for k in worse)
                out.append(
                    f"replicaset {rs.name} scaled down at t={after.now}s by deleting {g.name} "
                    f"({_pod_state(before, g)}) and kept {kept_text}"
                )
    return out


def _explain_bad_scale_downs(before: Cluster, after: Cluster) -> str:
    return " | ".join(_bad_scale_downs(before, after)) or "no scale-down kept a pod that ranks below one it deleted"


@transition_invariant("scale-down-deletes-unready-first", explain=_explain_bad_scale_downs)
def scale_down_deletes_unready_first(before: Cluster, after: Cluster) -> bool:
    """A ReplicaSet that deletes its surplus deletes the pods that serve least first: unassigned
    before assigned, Pending before Unknown before Running, not ready before ready (the first
    keys of ``ActivePodsWithRanks``, pkg/controller/controller_utils.go, which
    ``getPodsToDelete`` sorts by).

    Checked on every step in which a ReplicaSet with more active pods than spec.replicas ends
    with exactly spec.replicas of them, the others deleted without a DisruptionTarget condition
    (not evicted or preempted): no pod kept may rank strictly below a pod deleted on those keys.
    The later keys (pod-deletion-cost, pods per node, time ready, restarts, age) are not judged.
    With ``informerLag`` the controller ranks the pods of its lagging view, which the property
    does not see: it is not judged there.
    """
    return not _bad_scale_downs(before, after)


BUILTINS: dict[str, PropertyDef] = {
    d.name: d
    for d in (
        replica_convergence,
        no_schedule_to_unready_node,
        eviction_after_timeout,
        no_over_replication,
        bound_pods_stay_put,
        service_has_endpoint,
        pods_admitted,
        anti_affinity_respected,
        no_preemption_of_higher_priority,
        spread_within_max_skew,
        at_most_one_pod_per_ordinal,
        statefulset_replicas_ready,
        job_completes_or_fails,
        job_retries_bounded,
        daemonset_on_every_eligible_node,
        rollout_respects_max_unavailable,
        rollout_completes,
        no_eviction_cycle,
        hpa_within_bounds,
        no_oscillation_default,
        pdb_respected,
        drain_completes,
        manageable_after_any_single_failure,
        one_leader_acting,
        no_mass_eviction,
        endpoints_only_ready,
        scale_down_deletes_unready_first,
    )
}

# built-ins about one kind of object: checked by default only when the scenario has such objects
ABOUT_KIND: dict[str, str] = {
    "job-completes-or-fails": "Job",
    "job-retries-bounded": "Job",
    "at-most-one-pod-per-ordinal": "StatefulSet",
    "statefulset-replicas-ready": "StatefulSet",
    "daemonset-on-every-eligible-node": "DaemonSet",
    "hpa-within-bounds": "HorizontalPodAutoscaler",
    "no-oscillation": "HorizontalPodAutoscaler",
}
