"""State diagrams: the reachable states of a scenario, seen through one lens, as a graph.

:func:`build_diagram` walks the state space of a :class:`~kmodel.checkmodel.KubeModel` breadth
first (one visit per fingerprint, up to ``max_states`` states), maps every state it admits to
what one *view* shows of it, merges the states that look the same, and counts the transitions
between the merged states by the kind of action that caused them. The result is plain data (a
:class:`StateDiagram`); :mod:`kmodel.render.statediagram_dot` draws it.

Views (see :data:`VIEWS`):

``pod``
    The life cycle of a single pod, whichever pod it is: every pod of every explored state is
    reduced to (what kubectl shows as its STATUS, whether its Ready condition holds, the
    condition of the node it is bound to). A transition moves each pod it changes from one such
    abstract state to another; a pod that appears comes from ``(created)``, one that disappears
    goes to ``(deleted)``.
``node``
    The same for nodes: (STATUS, taints with short names, what the machine is doing: on, off,
    kubelet stopped, partitioned).
``deployment``
    The same for Deployments: (name, ready / desired replicas, up-to-date, available).
``full``
    The whole cluster as a person sees it, without times: every node's STATUS, machine and
    taints, how many pods are in each status, each Deployment's counts and which control-plane
    processes are down. Model states that look alike (they differ in timers, heartbeats or pod
    names) are merged.

Transitions that leave every object's abstract state as it was (self-loops: a heartbeat seen
through the pod view, a clock tick almost always) are counted but not kept as edges. Edges are
labelled with the kind of action (:func:`action_kind`): the component family for component
steps (``kubelet``, ``scheduler``, ``nodelifecycle``, ...) and, for the adversary and the
script, the action with object names replaced by their kind (``fault: power off node``,
``repair: power on node``, ``timeline: stop node/minikube-m03``).

Large diagrams are capped: at most ``max_nodes`` abstract states are marked ``shown`` (the
initial ones, then the most often seen); the counts of everything left out stay in the data so
that the picture's caption can say what was cut.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any

from attrs import frozen

from kmodel.checkmodel import CheckState, KubeModel, cluster_of
from kmodel.engines.base import Stats, action_family
from kmodel.errors import KmodelError
from kmodel.render.view import node_status, pod_status
from kmodel.scenario import Scenario, load
from kmodel.state import COND_TRUE, TAINT_NOT_READY, TAINT_UNREACHABLE, Cluster, Node

VIEWS = ("pod", "node", "deployment", "full")
DEFAULT_MAX_STATES = 20_000
DEFAULT_MAX_NODES = 40
CREATED = "(created)"
DELETED = "(deleted)"

# (stats so far, states admitted but not yet expanded), like the explorer's progress callback
Progress = Callable[[Stats, int], None]

VIEW_DOCS = {
    "pod": "the life cycle of one pod: kubectl STATUS, Ready condition, the condition of its node",
    "node": "every node: kubectl STATUS, taints, what its machine is doing",
    "deployment": "every Deployment: ready / desired replicas, up-to-date, available",
    "full": "the whole cluster as kubectl shows it, without times (equal-looking states merged)",
}
# what one occurrence of an abstract state is, for the caption
VIEW_UNITS = {"pod": "(state, pod)", "node": "(state, node)", "deployment": "(state, Deployment)", "full": "state"}


@frozen
class DiagramNode:
    """One abstract state (or the ``(created)`` / ``(deleted)`` end of a life cycle)."""

    key: str  # unique within the diagram; also the DOT node name
    label: str  # lines separated by "\n"
    count: int  # occurrences among the explored states (per object for the per-object views)
    initial: bool  # occurs in an initial state
    first_seen: int  # breadth-first index of the first explored state it occurs in
    group: str = ""  # what it is clustered with in the picture ("" for none)
    tone: str = ""  # a hint for the colour: "good", "warn", "bad", "gone", "busy" or ""
    shown: bool = True  # kept by the cap
    pseudo: bool = False  # the (created) / (deleted) ends


@frozen
class DiagramEdge:
    source: str  # DiagramNode.key
    target: str
    kind: str  # what acted: "kubelet", "fault: power off node", ...
    count: int  # how many (transition, object) pairs took it
    shown: bool = True  # both ends are shown


@frozen
class StateDiagram:
    view: str
    scenario: str  # the scenario's file name
    faults: tuple[tuple[str, int], ...]  # the fault budget the exploration used
    nodes: tuple[DiagramNode, ...]  # every abstract state, shown or not, by first_seen
    edges: tuple[DiagramEdge, ...]  # every (source, target, kind), shown or not, sorted
    explored_states: int  # model states admitted (distinct fingerprints)
    explored_transitions: int  # transitions taken from them between admitted states
    max_states: int
    max_nodes: int
    truncated: bool  # the state limit stopped the exploration: the graph is partial
    dropped_transitions: int  # transitions into states beyond the limit (not counted anywhere)
    unchanged_transitions: int  # transitions that change nothing this view shows (not drawn)
    seconds: float = 0.0

    @property
    def shown_nodes(self) -> tuple[DiagramNode, ...]:
        return tuple(n for n in self.nodes if n.shown)

    @property
    def shown_edges(self) -> tuple[DiagramEdge, ...]:
        return tuple(e for e in self.edges if e.shown)

    @property
    def abstract_states(self) -> int:
        """Abstract states found (not counting the (created) / (deleted) ends)."""
        return sum(1 for n in self.nodes if not n.pseudo)

    @property
    def shown_states(self) -> int:
        return sum(1 for n in self.nodes if n.shown and not n.pseudo)

    @property
    def changed_pairs(self) -> int:
        """(transition, object) pairs that changed the object's abstract state: the sum of
        every edge count, drawn or cut."""
        return sum(e.count for e in self.edges)

    @property
    def cut_edges(self) -> tuple[DiagramEdge, ...]:
        return tuple(e for e in self.edges if not e.shown)

    def node(self, key: str) -> DiagramNode | None:
        return next((n for n in self.nodes if n.key == key), None)

    def edges_between(self, source: str, target: str) -> dict[str, int]:
        """kind -> count of the edges from ``source`` to ``target``."""
        return {e.kind: e.count for e in self.edges if e.source == source and e.target == target}


# --- projections ---------------------------------------------------------------------------------

# A projection maps a state to {object name: abstract key}; ``info`` holds, per abstract key, its
# label, group and tone (computed once, the first time the key is met).
Info = tuple[str, str, str]  # label, group, tone

_TAINT_PREFIXES = ("node.kubernetes.io/", "node-role.kubernetes.io/", "node.cloudprovider.kubernetes.io/")


def short_taint(key: str, effect: str) -> str:
    for prefix in _TAINT_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
            break
    return f"{key}:{effect}"


def _node_condition(c: Cluster, name: str | None) -> str:
    if name is None:
        return "no node"
    node = c.node(name)
    if node is None:
        return "node gone"
    return "node Ready" if node.ready == COND_TRUE else "node NotReady"


_POD_TONE = {"Running": "good", "Pending": "warn", "ContainerCreating": "busy", "Terminating": "gone"}
_POD_GROUP = {
    "node Ready": "bound to a Ready node",
    "node NotReady": "bound to a NotReady node",
    "no node": "not bound to a node",
    "node gone": "bound to a deleted node",
}


def _project_pods(c: Cluster, info: dict[str, Info]) -> dict[str, str]:
    out = {}
    for p in c.pods:
        status = pod_status(p)
        ready = "ready" if p.ready else "not ready"
        where = _node_condition(c, p.node_name)
        key = f"{status} | {ready} | {where}"
        if key not in info:
            tone = _POD_TONE.get(status, "bad")
            if status == "Running" and not p.ready:
                tone = "warn"
            info[key] = (f"{status}\n{ready}\n{where}", _POD_GROUP.get(where, where), tone)
        out[p.name] = key
    return out


_TROUBLE_TAINTS = (TAINT_NOT_READY, TAINT_UNREACHABLE)


def machine_state(n: Node) -> str:
    if not n.powered:
        return "off"
    trouble = [w for w, bad in (("kubelet stopped", not n.kubelet_running), ("partitioned", n.partitioned)) if bad]
    return ", ".join(trouble) if trouble else "on"


def _project_nodes(c: Cluster, info: dict[str, Info]) -> dict[str, str]:
    out = {}
    for n in c.nodes:
        status = node_status(n)
        if n.ready != COND_TRUE:
            status += f" ({n.ready})"
        taints = sorted(short_taint(t.key, t.effect) for t in n.taints)
        machine = machine_state(n)
        role = "control plane" if n.control_plane else "worker"
        key = f"{role} | {status} | {', '.join(taints) or 'no taints'} | {machine}"
        if key not in info:
            taint_lines = "\n".join(taints) if taints else "no taints"
            if n.ready != COND_TRUE:
                tone = "bad"
            elif machine != "on" or any(t.key in _TROUBLE_TAINTS for t in n.taints):
                tone = "warn"  # Ready as far as the apiserver knows, but not for long / not yet
            else:
                tone = "good"
            group = "control-plane nodes" if n.control_plane else "worker nodes"
            info[key] = (f"{status}\n{taint_lines}\nmachine {machine}", group, tone)
        out[n.name] = key
    return out


def _project_deployments(c: Cluster, info: dict[str, Info]) -> dict[str, str]:
    out = {}
    for d in c.deployments:
        key = f"{d.name} | {d.status_ready}/{d.replicas} | {d.status_updated} | {d.status_available}"
        if key not in info:
            if d.status_available >= d.replicas and d.status_ready >= d.replicas:
                tone = "good"
            elif d.status_available == 0 and d.replicas > 0:
                tone = "bad"
            else:
                tone = "warn"
            label = (
                f"{d.status_ready}/{d.replicas} ready\n{d.status_updated} up-to-date\n{d.status_available} available"
            )
            info[key] = (label, f"deployment/{d.name}", tone)
        out[d.name] = key
    return out


_PROJECTIONS: dict[str, Callable[[Cluster, dict[str, Info]], dict[str, str]]] = {
    "pod": _project_pods,
    "node": _project_nodes,
    "deployment": _project_deployments,
}


def summary(state: CheckState | Cluster) -> str:
    """A few lines saying what a whole state looks like, without times (for the full view)."""
    c = cluster_of(state)
    lines = []
    for n in c.nodes:
        bits = [node_status(n)]
        if machine_state(n) != "on":
            bits.append(f"machine {machine_state(n)}")
        taints = [short_taint(t.key, t.effect) for t in n.taints if not t.key.startswith("node-role.")]
        if taints:
            bits.append(" ".join(sorted(taints)))
        lines.append(f"{n.name}: {', '.join(bits)}")
    statuses: dict[str, int] = {}
    for p in c.pods:
        s = pod_status(p) + ("" if p.ready or pod_status(p) != "Running" else " (not ready)")
        statuses[s] = statuses.get(s, 0) + 1
    if statuses:
        lines.append("pods: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    else:
        lines.append("no pods")
    for d in c.deployments:
        lines.append(f"{d.name} {d.status_ready}/{d.replicas} ready, {d.status_available} available")
    cp = c.control_plane
    down = [
        name
        for name, up in (
            ("apiserver", cp.apiserver),
            ("etcd", cp.etcd),
            ("scheduler", cp.scheduler),
            ("controller-manager", cp.controller_manager),
        )
        if not up
    ]
    if not c.control_plane_host_up:
        down = ["control-plane host", *down]
    if down:
        lines.append("down: " + ", ".join(down))
    return "\n".join(lines)


# --- edge kinds ----------------------------------------------------------------------------------

_TIMELINE_TIME = re.compile(r"^\s*\d+(?:\.\d+)?(?:ms|s|m|h)?(?:\d+s)?\s+")


def action_kind(actor: str, label: str, names: Iterable[tuple[str, str]] = ()) -> str:
    """The kind of an action, as an edge label: the component family for component steps;
    for faults, repairs and timeline events the action itself, shortened.

    ``names`` pairs object names with the word that replaces them (``("minikube-m03", "node")``)
    in fault and repair labels, so that the same fault on two nodes is one kind of action.
    Timeline events keep their object (they are the scenario's script, one of a kind) and lose
    their time.
    """
    family = action_family(actor)
    if family == "timeline":
        text = _TIMELINE_TIME.sub("", label, count=1)
        return f"timeline: {_shorten(text)}"
    if family in ("fault", "repair", "adversary"):
        words: list[str] = []
        replace = dict(names)
        for word in label.split():
            word = replace.get(word, word)
            if words and words[-1] == word:  # "kubectl delete pod pod" -> "kubectl delete pod"
                continue
            words.append(word)
        return f"{family}: {_shorten(' '.join(words))}"
    return family


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _object_names(c: Cluster) -> list[tuple[str, str]]:
    return [(n.name, "node") for n in c.nodes] + [(p.name, "pod") for p in c.pods]


# --- exploration ---------------------------------------------------------------------------------


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise KmodelError(f"unknown view {view!r}", where="--view", fix="use pod, node, deployment or full")
    return view


def build_diagram(
    model: KubeModel,
    view: str,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    max_nodes: int = DEFAULT_MAX_NODES,
    progress: Progress | None = None,
) -> StateDiagram:
    """Explore ``model`` breadth first and build the ``view`` diagram of what was reached.

    At most ``max_states`` model states are admitted; every admitted state is expanded, and
    transitions into states beyond the limit are dropped (counted, and the diagram marked
    ``truncated``). ``progress`` is called about twice a second and once at the end (queue 0)."""
    check_view(view)
    if max_states < 1:
        raise KmodelError(f"max states must be at least 1, got {max_states}", where="--max-states", fix="use 1 or more")
    if max_nodes < 1:
        raise KmodelError(f"max nodes must be at least 1, got {max_nodes}", where="--max-nodes", fix="use 1 or more")
    start = time.monotonic()
    last_report = start
    full = view == "full"
    project = _PROJECTIONS.get(view)
    info: dict[str, Info] = {}
    counts: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    initial: set[str] = set()
    edges: dict[tuple[str, str, str], int] = {}
    index: dict[Hashable, int] = {}  # fingerprint -> breadth-first index
    full_keys: list[str] = []  # full view: the merged state of each explored state, by index
    queue: deque[tuple[Any, dict[str, str]]] = deque()
    stats = Stats()
    dropped = 0
    unchanged = 0
    truncated = False

    # one projection per distinct (pods, nodes, deployments) triple of tuples: most transitions
    # share them (the model rebuilds only what a step touches), so the projection is reused
    memo: dict[tuple[int, int, int], tuple[Cluster, dict[str, str]]] = {}

    def projection(c: Cluster) -> dict[str, str]:
        assert project is not None
        k = (id(c.pods), id(c.nodes), id(c.deployments))
        hit = memo.get(k)
        if hit is not None:
            old = hit[0]
            if old.pods is c.pods and old.nodes is c.nodes and old.deployments is c.deployments:
                return hit[1]
        if len(memo) > 200_000:
            memo.clear()
        out = project(c, info)
        memo[k] = (c, out)
        return out

    def admit(state: Any, is_initial: bool) -> dict[str, str]:
        i = stats.states
        stats.states += 1
        if full:
            c = cluster_of(state)
            text = summary(c)
            key = f"full:{text}"
            if key not in info:
                info[key] = (text, _timeline_group(model, state), _full_tone(c))
            full_keys.append(key)
            proj = {"": key}
        else:
            proj = projection(cluster_of(state))
        for key in proj.values():
            counts[key] = counts.get(key, 0) + 1
            first_seen.setdefault(key, i)
            if is_initial:
                initial.add(key)
        return proj

    for init in model.init_states():
        fp = model.fingerprint(init)
        if fp in index or stats.states >= max_states:
            continue
        index[fp] = stats.states
        queue.append((init, admit(init, True)))

    while queue:
        state, before = queue.popleft()
        c = cluster_of(state)
        names: list[tuple[str, str]] | None = None
        for tr in model.transitions(state):
            fp = model.fingerprint(tr.state)
            j = index.get(fp)
            if j is None:
                if stats.states >= max_states:
                    dropped += 1
                    truncated = True
                    stats.limit = f"max states {max_states}"
                    continue
                j = stats.states
                index[fp] = j
                after = admit(tr.state, False)
                queue.append((tr.state, after))
            elif full:
                after = {"": full_keys[j]}
            else:
                after = projection(cluster_of(tr.state))
            stats.transitions += 1
            if before == after:
                unchanged += 1
                continue
            family = action_family(tr.actor)
            if family in ("fault", "repair", "adversary") and names is None:
                names = _object_names(c)
            kind = action_kind(tr.actor, tr.label, names or ())
            for name in sorted(before.keys() | after.keys()):
                a = before.get(name, CREATED)
                b = after.get(name, DELETED)
                if a != b:
                    edges[(a, b, kind)] = edges.get((a, b, kind), 0) + 1
        if progress is not None:
            now = time.monotonic()
            if now - last_report >= 0.5:
                stats.seconds = now - start
                progress(stats, len(queue))
                last_report = now

    stats.seconds = time.monotonic() - start
    if progress is not None:
        progress(stats, 0)
    nodes, edge_list = _cap(info, counts, first_seen, initial, edges, max_nodes)
    return StateDiagram(
        view=view,
        scenario=Path(model.scenario.path).name,
        faults=model.budget,
        nodes=nodes,
        edges=edge_list,
        explored_states=stats.states,
        explored_transitions=stats.transitions,
        max_states=max_states,
        max_nodes=max_nodes,
        truncated=truncated,
        dropped_transitions=dropped,
        unchanged_transitions=unchanged,
        seconds=stats.seconds,
    )


def _timeline_group(model: KubeModel, state: Any) -> str:
    done = getattr(state, "next_event", 0)
    if not model.timeline:
        return ""
    if done == 0:
        return "before the timeline"
    return f"after {_TIMELINE_TIME.sub('', model.timeline[done - 1].text, count=1)}"


def _full_tone(c: Cluster) -> str:
    if not c.apiserver_available or any(n.ready != COND_TRUE for n in c.nodes):
        return "bad"
    if any(pod_status(p) != "Running" or not p.ready for p in c.pods):
        return "warn"
    return "good"


def _cap(
    info: dict[str, Info],
    counts: dict[str, int],
    first_seen: dict[str, int],
    initial: set[str],
    edges: dict[tuple[str, str, str], int],
    max_nodes: int,
) -> tuple[tuple[DiagramNode, ...], tuple[DiagramEdge, ...]]:
    """Choose the abstract states to show (the initial ones, then the most often seen, the
    earliest first among equals) and build the node and edge records."""
    ranked = sorted(counts, key=lambda k: (k not in initial, -counts[k], first_seen[k], k))
    shown = set(ranked[:max_nodes])
    edge_list = tuple(
        DiagramEdge(a, b, kind, n, shown=(a in shown or a == CREATED) and (b in shown or b == DELETED))
        for (a, b, kind), n in sorted(edges.items())
    )
    ends: dict[str, tuple[bool, int]] = {}  # pseudo key -> (touched by a shown edge, first edge count)
    for e in edge_list:
        for end in (e.source, e.target):
            if end in (CREATED, DELETED):
                was = ends.get(end, (False, 0))
                ends[end] = (was[0] or e.shown, was[1] + e.count)
    nodes = [
        DiagramNode(
            key=k,
            label=info[k][0],
            count=counts[k],
            initial=k in initial,
            first_seen=first_seen[k],
            group=info[k][1],
            tone=info[k][2],
            shown=k in shown,
        )
        for k in counts
    ]
    for end, (touched, n) in sorted(ends.items()):
        first = -1 if end == CREATED else 1 << 62  # drawn first / last
        nodes.append(DiagramNode(end, end, n, False, first, "", "", shown=touched, pseudo=True))
    nodes.sort(key=lambda n: (n.first_seen, n.key))
    return tuple(nodes), edge_list


# --- from a scenario file -------------------------------------------------------------------------


def diagram_for(
    scenario_path: str | Path | Scenario,
    view: str,
    *,
    faults: tuple[tuple[str, int], ...] | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    max_nodes: int = DEFAULT_MAX_NODES,
    progress: Progress | None = None,
) -> StateDiagram:
    """The ``view`` diagram of a scenario file, explored as ``kmodel check`` explores it: from
    the state the scenario settles into, with ``faults`` (``None``: the scenario's own budget,
    or the checker's default for a file that declares none)."""
    check_view(view)
    scenario = scenario_path if isinstance(scenario_path, Scenario) else load(scenario_path)
    model = KubeModel(scenario, faults=faults)
    return build_diagram(model, view, max_states=max_states, max_nodes=max_nodes, progress=progress)


__all__ = [
    "CREATED",
    "DEFAULT_MAX_NODES",
    "DEFAULT_MAX_STATES",
    "DELETED",
    "VIEWS",
    "DiagramEdge",
    "DiagramNode",
    "StateDiagram",
    "action_kind",
    "build_diagram",
    "diagram_for",
    "summary",
]
