"""Draw a counterexample as a Graphviz picture: one box per step, the cluster inside it.

Every step of a :class:`~kmodel.tracedoc.TraceDoc` becomes a box (``cluster_stepN``) titled with
its number, the model time and ``[actor] action``; the boxes follow each other from top to
bottom, joined by arrows, with the first node column in the same place in every box. Under the
title, short lines name the control-plane processes that are down and give the Deployments'
counts and the Services' endpoints. Below them each node is a column showing its condition,
taints and what is wrong with its machine, with the pods bound to it inside, coloured by status;
pods no node has taken yet wait in a "Pending (unscheduled)" lane.

Whatever changed since the step before carries a thick red border (or red text); a new object
is marked ``+``; a pod that disappeared is left behind as a dashed ghost for one step. Runs of
steps that change nothing visible (heartbeats, health checks, clock ticks) fold into one small
dashed box, except faults, repairs, timeline events, adversary moves and the last step. The
last step is framed twice in red and says which property it violates; the graph's title names
the property, the engine and the scenario, and says why.

A :class:`Projection` (``--view``) narrows what is drawn: ``full``, ``nodes`` (no pods, no
Deployment or Service lines), ``pods`` (no Deployment or Service lines), ``deployment/NAME`` (the
nodes, the pods named ``NAME-...`` and that Deployment's line) or ``node/NAME`` (that node and its
pods, nothing else). Control-plane processes that are down are noted in every view but the last.
Changes and folding are judged on what the projection keeps, so a step that only touches hidden
objects counts as quiet.

The DOT text depends on the document alone: objects are drawn in name order and nothing else
(no clock, no hash order) goes in, so the same trace always gives the same bytes.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmodel.errors import KmodelError
from kmodel.render.dotfile import render_dot
from kmodel.render.view import row_key, show_value
from kmodel.settings import format_duration

if TYPE_CHECKING:
    from kmodel.tracedoc import TraceDoc, TraceStep

View = dict[str, Any]

KINDS = (
    ("nodes", "node"),
    ("pods", "pod"),
    ("deployments", "deployment"),
    ("services", "service"),
    ("poddisruptionbudgets", "poddisruptionbudget"),
    ("drains", "drain"),
)
ALWAYS_SHOWN_ACTORS = ("fault", "repair", "timeline", "adversary")
CONTROL_PLANE_NAMES = {
    "apiserver": "apiserver",
    "etcd": "etcd",
    "scheduler": "scheduler",
    "controllerManager": "controller-manager",
    "hostUp": "control-plane host",
}

FONT = "Helvetica"
HIGHLIGHT = "#d62728"  # what changed in this step
GHOST = "#9a9a9a"
TITLE_WIDTH = 110  # characters per line in the graph's title
STEP_TITLE_WIDTH = 90
POD_COLOURS = {
    "Running": "#c7e9c0",
    "NotReady": "#e6efb5",  # Running, but not ready: the Service leaves it out
    "Pending": "#fff2ae",
    "ContainerCreating": "#ffe08a",
    "Terminating": "#fdcc9a",
    "Failed": "#f8b4b4",
    "Succeeded": "#d0e1f2",
    "CrashLoopBackOff": "#f4c2c2",  # a probe killed the container; it waits for its restart
}
OTHER_POD_COLOUR = "#e0e0e0"
NODE_FILL = {"Ready": "#f3f7fb", "NotReady": "#fdeaea", "off": "#e4e4e4"}
LEGEND = (
    ("Running", "Running"),
    ("NotReady", "Running, not ready"),
    ("Pending", "Pending"),
    ("ContainerCreating", "ContainerCreating"),
    ("Terminating", "Terminating"),
    ("Failed", "Failed"),
)
PROJECTION_FIX = "use full, nodes, pods, deployment/NAME or node/NAME"


# --- projections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Which part of each state to draw: ``kind`` is full, nodes, pods, deployment or node;
    ``name`` is the Deployment or node for the last two."""

    kind: str = "full"
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}" if self.name is not None else self.kind

    @property
    def shows_pods(self) -> bool:
        return self.kind != "nodes"

    def apply(self, state: View) -> View:
        """The part of a view() dict this projection keeps, with the same keys."""
        nodes = list(state.get("nodes", []))
        pods = list(state.get("pods", []))
        deployments = list(state.get("deployments", []))
        services = list(state.get("services", []))
        control: dict[str, Any] | None = dict(state.get("controlPlane") or {})
        if self.kind == "nodes":
            pods, deployments, services = [], [], []
        elif self.kind == "pods":
            deployments, services = [], []
        elif self.kind == "deployment":
            pods = [p for p in pods if row_key(p).startswith(f"{self.name}-")]
            deployments = [d for d in deployments if row_key(d) == self.name]
            services = []
        elif self.kind == "node":
            nodes = [n for n in nodes if n["name"] == self.name]
            pods = [p for p in pods if p.get("node") == self.name]
            deployments, services, control = [], [], None
        return {
            "nodes": nodes,
            "pods": pods,
            "deployments": deployments,
            "services": services,
            "controlPlane": control,
        }


def parse_projection(text: str) -> Projection:
    """``full``, ``nodes``, ``pods``, ``deployment/NAME`` or ``node/NAME`` (the ``--view`` option)."""
    cleaned = text.strip()
    if cleaned in ("full", "nodes", "pods"):
        return Projection(cleaned)
    kind, slash, name = cleaned.partition("/")
    if slash and kind in ("deployment", "node") and name and "/" not in name:
        return Projection(kind, name)
    raise KmodelError(f"unknown view {text!r}", where="--view", fix=PROJECTION_FIX)


def check_projection(doc: TraceDoc, projection: Projection) -> None:
    """Refuse ``deployment/NAME`` or ``node/NAME`` when no step of the trace has that object."""
    if projection.kind not in ("deployment", "node"):
        return
    plural = "deployments" if projection.kind == "deployment" else "nodes"
    present = sorted({row_key(item) for step in doc.steps for item in step.state.get(plural, [])})
    if projection.name in present:
        return
    known = ", ".join(f"{projection.kind}/{name}" for name in present) or "none"
    raise KmodelError(
        f"the trace has no {projection.kind} named {projection.name!r}; it has {known}",
        where="--view",
        fix=PROJECTION_FIX,
    )


# --- what changed between two views -------------------------------------------------------------


@dataclass
class KindDiff:
    """How one kind of object (nodes, pods, ...) changed: by name."""

    added: set[str] = field(default_factory=set)
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> the old object
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {key: old value}

    def touched(self, name: str) -> bool:
        return name in self.added or name in self.changed

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class ViewDiff:
    kinds: dict[str, KindDiff]
    control_plane: dict[str, Any]  # key -> old value

    def __bool__(self) -> bool:
        return bool(self.control_plane) or any(self.kinds.values())

    def of(self, plural: str) -> KindDiff:
        return self.kinds[plural]


def _by_name(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row_key(item): item for item in items}


def _kind_diff(old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]) -> KindDiff:
    before, after = _by_name(old), _by_name(new)
    diff = KindDiff()
    for name in sorted(set(before) | set(after)):
        if name not in after:
            diff.removed[name] = before[name]
        elif name not in before:
            diff.added.add(name)
        elif before[name] != after[name]:
            keys = sorted(set(before[name]) | set(after[name]))
            diff.changed[name] = {k: before[name].get(k) for k in keys if before[name].get(k) != after[name].get(k)}
    return diff


def diff_views(old: View | None, new: View) -> ViewDiff:
    """What changed from ``old`` to ``new`` (two view() dicts); nothing when ``old`` is None."""
    if old is None:
        return ViewDiff({plural: KindDiff() for plural, _ in KINDS}, {})
    kinds = {plural: _kind_diff(old.get(plural) or [], new.get(plural) or []) for plural, _ in KINDS}
    cp_old, cp_new = old.get("controlPlane") or {}, new.get("controlPlane") or {}
    control = {k: cp_old.get(k) for k in sorted(set(cp_old) | set(cp_new)) if cp_old.get(k) != cp_new.get(k)}
    return ViewDiff(kinds, control)


def _fields(item: dict[str, Any], sep: str = ", ") -> str:
    """``key=value`` for every field but the name, in key order."""
    return sep.join(f"{key}={show_value(item[key])}" for key in sorted(item) if key != "name")


def _up_down(value: object) -> str:
    return "up" if value else "down"


def view_changes(old: View, new: View) -> list[str]:
    """What a person would notice between two view() dicts, one line per object that changed."""
    diff = diff_views(old, new)
    lines: list[str] = []
    for plural, label in KINDS:
        kd = diff.of(plural)
        after = _by_name(new.get(plural) or [])
        for name in sorted(kd.added | set(kd.removed) | set(kd.changed)):
            if name in kd.removed:
                lines.append(f"- {label}/{name} is gone")
            elif name in kd.added:
                lines.append(f"+ {label}/{name} {_fields(after[name], ' ')}")
            else:
                now = after[name]
                parts = [f"{k} {show_value(v)} -> {show_value(now.get(k))}" for k, v in kd.changed[name].items()]
                lines.append(f"~ {label}/{name} {', '.join(parts)}")
    cp_new = new.get("controlPlane") or {}
    for key, was in diff.control_plane.items():
        lines.append(f"~ control-plane {key} {_up_down(was)} -> {_up_down(cp_new.get(key))}")
    return lines


# --- DOT text helpers ---------------------------------------------------------------------------


def _h(text: object) -> str:
    """Text for an HTML-like label."""
    return html.escape(str(text), quote=True)


def _q(text: str) -> str:
    """A quoted DOT ID or attribute value."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**attrs: object) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, HtmlLabel):
            parts.append(f"{key}=<{value.text}>")
        else:
            parts.append(f"{key}={_q(str(value))}")
    return "[" + ", ".join(parts) + "]"


@dataclass(frozen=True)
class HtmlLabel:
    text: str  # already escaped HTML-like markup


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _lines(rows: Iterable[str], align: str = "LEFT") -> str:
    """Markup rows joined by line breaks, each aligned."""
    return "".join(f'{row}<BR ALIGN="{align}"/>' for row in rows)


def _font(text: str, *, size: int | None = None, colour: str | None = None, bold: bool = False) -> str:
    if bold:
        text = f"<B>{text}</B>"
    attrs = ""
    if size is not None:
        attrs += f' POINT-SIZE="{size}"'
    if colour is not None:
        attrs += f' COLOR="{colour}"'
    return f"<FONT{attrs}>{text}</FONT>" if attrs else text


def _changed_text(text: str, changed: bool) -> str:
    return _font(text, colour=HIGHLIGHT, bold=True) if changed else text


class Dot:
    """Lines of DOT with indentation."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.depth = 0

    def line(self, text: str) -> None:
        self.out.append("  " * self.depth + text)

    def open(self, header: str) -> None:
        self.line(header + " {")
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.line("}")

    def text(self) -> str:
        return "\n".join(self.out) + "\n"


# --- one step -----------------------------------------------------------------------------------


def _pod_key(pod: dict[str, Any]) -> str:
    """Which colour a pod gets."""
    status = str(pod.get("status"))
    if status == "Running" and not pod.get("ready", False):
        return "NotReady"
    return status


def _was(text: str, was: dict[str, Any], key: str, old: str | None = None) -> str:
    """``text``, followed by what it was before when ``key`` changed."""
    if key not in was:
        return _h(text)
    return _h(text) + _changed_text(_h(f" (was {old if old is not None else was[key]})"), True)


def _ready_word(ready: object) -> str:
    return "Ready" if ready else "not Ready"


def _pod_label(pod: dict[str, Any], added: bool, was: dict[str, Any] | None) -> HtmlLabel:
    """Name; then status, ready containers and the Ready condition (what changed says what it was)."""
    was = was or {}
    name = ("+ " if added else "") + str(pod["name"])
    parts = [
        _was(str(pod.get("status")), was, "status"),
        _was(f"{pod.get('readyContainers', '?')} containers", was, "readyContainers"),
        _was(_ready_word(pod.get("ready")), was, "ready", _ready_word(was.get("ready"))),
    ]
    restarts = pod.get("restarts") or 0
    if restarts or "restarts" in was:
        parts.append(_was(f"{restarts} restart(s)", was, "restarts"))
    return HtmlLabel(_lines([_font(_h(name), bold=True), _font(", ".join(parts), size=9)]))


def _short_taint(taint: str) -> str:
    for prefix in ("node.kubernetes.io/", "node-role.kubernetes.io/"):
        if taint.startswith(prefix):
            return taint[len(prefix) :]
    return taint


def _node_fill(node: dict[str, Any] | None) -> str:
    if node is None:
        return "#ffffff"
    if str(node.get("machine", "on")).startswith("off"):
        return NODE_FILL["off"]
    return NODE_FILL["Ready"] if str(node.get("status", "")).startswith("Ready") else NODE_FILL["NotReady"]


def _missing_node_label(name: str, gone: bool) -> HtmlLabel:
    """The heading of a column for a node this step does not have (its pods' ghosts are in it)."""
    note = _font("gone" if gone else "not in this step", colour=GHOST, size=9)
    return HtmlLabel(_lines([_font(_h(name), bold=True), note]))


def _node_label(node: dict[str, Any], added: bool, was: dict[str, Any]) -> HtmlLabel:
    """A node column's heading: name, status, what is wrong with the machine, taints; ``was`` holds
    the old values of the fields that changed."""
    title = _font(_h(("+ " if added else "") + str(node["name"])), bold=True)
    if node.get("roles") == "control-plane":
        title += " " + _font("control-plane", size=9, colour="#555555")
    status = str(node.get("status", "?"))
    rows = [title, _font(_h(status), bold=True, colour="#1a7f37" if status.startswith("Ready") else "#b42318")]
    if "status" in was:
        rows[-1] += _changed_text(_h(f" (was {was['status']})"), True)
    machine = _machine_text(str(node.get("machine", "on")))
    if "machine" in was:
        rows.append(_changed_text(_h(machine or "machine on"), True))
    elif machine:
        rows.append(_font(_h(machine), colour="#b42318"))
    rows.extend(_taint_rows(list(node.get("taints") or []), was.get("taints") if "taints" in was else None))
    still = list(node.get("stillRuns") or [])
    if still:
        text = _h(f"still runs {', '.join(still)} (no API pod here)")
        rows.append(_changed_text(text, True) if "stillRuns" in was else _font(text, size=9, colour="#b42318"))
    return HtmlLabel(_lines(rows))


def _machine_text(machine: str) -> str:
    """What is wrong with the machine ("machine off", "kubelet stopped, partitioned"), or ""."""
    parts = [part.strip() for part in machine.split(",")]
    head = "" if parts[0] == "on" else f"machine {parts[0]}"
    return ", ".join(part for part in (head, *parts[1:]) if part)


def _taint_rows(taints: list[str], before: list[str] | None) -> list[str]:
    """One small line per taint; with ``before`` (the taints had changed), new ones are marked and
    removed ones struck through."""
    rows = []
    for taint in taints:
        new = before is not None and taint not in before
        text = _h(("+ " if new else "") + _short_taint(taint))
        rows.append(_font(_changed_text(text, new), size=9))
    for taint in before or []:
        if taint not in taints:
            rows.append(_font(f"<S>{_h(_short_taint(taint))}</S>", size=9, colour=HIGHLIGHT))
    return rows


def _pods_per_row(columns: int, members: int) -> int:
    """Pods side by side in a column: three when it is the only column; two when it shares the box
    with one other and has more than three; else one under the other (so boxes stay narrow)."""
    if columns <= 1:
        return 3
    return 2 if columns == 2 and members > 3 else 1


@dataclass(frozen=True)
class Members:
    """What goes in one column: its pods, the ghosts of the pods gone in this step, pods per row."""

    pods: list[dict[str, Any]]
    ghosts: list[dict[str, Any]]
    per_row: int


@dataclass
class StepPicture:
    """Draws one step's box; remembers the first and last DOT node for the edges between boxes."""

    index: int
    step: TraceStep
    state: View  # the projected view
    before: View | None  # the projected view of the step before
    projection: Projection
    violates: str | None  # the property, on the violating step
    diff: ViewDiff = field(init=False)
    top: str = field(init=False, default="")
    bottom: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.diff = diff_views(self.before, self.state)

    @property
    def cluster(self) -> str:
        return f"cluster_step{self.index}"

    def _id(self, *parts: str) -> str:
        return _q(":".join((f"s{self.index}", *parts)))

    def draw(self, dot: Dot) -> None:
        if self.violates is not None:
            dot.open("subgraph cluster_violation")
            dot.line(f'graph [label="", color="{HIGHLIGHT}", penwidth=2, style="rounded", margin=6];')
        dot.open(f"subgraph {self.cluster}")
        dot.line("graph " + _attrs(**self._box_attrs()) + ";")
        self.top = self._anchor(dot, "top")
        columns = list(self._columns(dot))
        self.bottom = self._anchor(dot, "bottom")
        if not columns:  # nothing of this step is in view
            empty = self._id("empty")
            dot.line(f"{empty} " + _attrs(label="nothing to show", shape="plaintext", style="", fontcolor=GHOST) + ";")
            columns = [([empty], [empty])]
        # The first column's left edge is the spine that the arrows between boxes follow (so the
        # same node stays in the same place from box to box); the others only hang below the top
        # point and above the bottom one.
        for number, (first_row, last_row) in enumerate(columns):
            weight = 100 if number == 0 else 0
            dot.line(f"{self.top} -> {first_row[0]} [style=invis, weight={weight}];")
            dot.line(f"{last_row[0]} -> {self.bottom} [style=invis, weight={weight}];")
            for last in last_row[1:]:
                dot.line(f"{last} -> {self.bottom} [style=invis, weight=0];")
        # The columns' first pods on one rank, left to right in name order.
        firsts = [first_row[0] for first_row, _ in columns]
        dot.line("{ rank=same; " + "; ".join(firsts) + "; }")
        for left, right in pairwise(firsts):
            dot.line(f"{left} -> {right} [style=invis];")
        dot.close()
        if self.violates is not None:
            dot.close()

    def _anchor(self, dot: Dot, key: str) -> str:
        """An invisible point that the arrows between boxes start or end at."""
        anchor = self._id(key)
        dot.line(f"{anchor} " + _attrs(shape="point", style="invis", width=0.01, height=0.01, label="") + ";")
        return anchor

    def _box_attrs(self) -> dict[str, object]:
        changes = view_changes(self.before, self.state) if self.before is not None else []
        tooltip = "\n".join(changes) if changes else "no visible change"
        if self.violates is not None:
            return {"label": self._title(), "color": HIGHLIGHT, "penwidth": 3, "style": "rounded", "tooltip": tooltip}
        return {"label": self._title(), "color": "#7a7a7a", "penwidth": 1, "style": "rounded", "tooltip": tooltip}

    def _title(self) -> HtmlLabel:
        step = self.step
        head = f"#{self.index}  t={format_duration(step.time)}  [{step.actor}] {step.action}"
        rows = [_h(line) for line in _wrap(head, STEP_TITLE_WIDTH)]
        rows[0] = _font(rows[0], bold=True, size=12)
        rows[1:] = [_font(row, size=11) for row in rows[1:]]
        if self.violates is not None:
            rows.extend(
                _font(_h(line), bold=True, colour=HIGHLIGHT, size=12)
                for line in _wrap(f"VIOLATES {self.violates}", STEP_TITLE_WIDTH)
            )
        return HtmlLabel(_lines([*rows, *self._summary()]))

    # - node columns and the pending lane -

    def _columns(self, dot: Dot) -> Iterator[tuple[list[str], list[str]]]:
        """Draw every column; yield each one's top and bottom row of DOT nodes."""
        nodes = _by_name(self.state["nodes"])
        node_diff = self.diff.of("nodes")
        pods_by_node: dict[str | None, list[dict[str, Any]]] = {}
        for pod in self.state["pods"]:
            pods_by_node.setdefault(pod.get("node"), []).append(pod)
        ghosts_by_node: dict[str | None, list[dict[str, Any]]] = {}
        for pod in self.diff.of("pods").removed.values():
            ghosts_by_node.setdefault(pod.get("node"), []).append(pod)
        names = set(nodes) | set(node_diff.removed) | {n for n in (*pods_by_node, *ghosts_by_node) if n is not None}
        pending = bool(pods_by_node.get(None) or ghosts_by_node.get(None))
        columns = len(names) + pending

        def members(node: str | None) -> Members:
            pods, ghosts = pods_by_node.get(node, []), ghosts_by_node.get(node, [])
            return Members(pods, ghosts, _pods_per_row(columns, len(pods) + len(ghosts)))

        for name in sorted(names):
            yield self._node_column(dot, name, nodes.get(name), members(name))
        if pending:
            yield self._pending_lane(dot, members(None))

    def _node_column(
        self,
        dot: Dot,
        name: str,
        node: dict[str, Any] | None,
        members: Members,
    ) -> tuple[list[str], list[str]]:
        kd = self.diff.of("nodes")
        touched = kd.touched(name) or name in kd.removed
        dot.open(f"subgraph {_q(f'cluster_step{self.index}_node_{name}')}")
        attrs: dict[str, object] = {
            "label": _node_label(node, name in kd.added, kd.changed.get(name, {}))
            if node is not None
            else _missing_node_label(name, name in kd.removed),
            "style": "rounded,filled" + (",dashed" if node is None else ""),
            "fillcolor": _node_fill(node),
            "color": HIGHLIGHT if touched else "#8a8a8a",
            "penwidth": 3 if touched else 1,
            "tooltip": f"node/{name}: {_fields(node or {})}",
        }
        if touched:
            attrs["class"] = "changed"
        dot.line("graph " + _attrs(**attrs) + ";")
        ends = self._stack(dot, members, empty_key=f"node:{name}")
        dot.close()
        return ends

    def _pending_lane(self, dot: Dot, members: Members) -> tuple[list[str], list[str]]:
        dot.open(f"subgraph cluster_step{self.index}_pending")
        label = HtmlLabel(_lines([_font("Pending (unscheduled)", bold=True)]))
        dot.line(
            "graph "
            + _attrs(label=label, style="rounded,dashed,filled", fillcolor="#fffdf0", color="#b8860b", penwidth=1)
            + ";"
        )
        ends = self._stack(dot, members, empty_key="pending")
        dot.close()
        return ends

    def _stack(self, dot: Dot, members: Members, empty_key: str) -> tuple[list[str], list[str]]:
        """A column's pods in rows (then the ghosts of its gone pods); its first and last row of ids."""
        ids = [self._pod(dot, pod) for pod in sorted(members.pods, key=lambda p: str(p["name"]))]
        ids += [self._ghost(dot, pod) for pod in sorted(members.ghosts, key=lambda p: str(p["name"]))]
        if not ids and not self.projection.shows_pods:
            ids = [self._anchor(dot, f"empty:{empty_key}")]
        elif not ids:
            empty = self._id("empty", empty_key)
            attrs = _attrs(label="no pods", shape="plaintext", style="", fontsize=9, fontcolor=GHOST, height=0.2)
            dot.line(f"{empty} {attrs};")
            ids = [empty]
        rows = [ids[i : i + members.per_row] for i in range(0, len(ids), members.per_row)]
        for row in rows:
            if len(row) > 1:
                dot.line("{ rank=same; " + "; ".join(row) + "; }")
            for left, right in pairwise(row):
                dot.line(f"{left} -> {right} [style=invis];")
        for upper, lower in pairwise(rows):
            dot.line(f"{upper[0]} -> {lower[0]} [style=invis];")
        return rows[0], rows[-1]

    def _pod(self, dot: Dot, pod: dict[str, Any]) -> str:
        kd = self.diff.of("pods")
        name = row_key(pod)
        node_id = self._id("pod", name)
        touched = kd.touched(name)
        attrs: dict[str, object] = {
            "label": _pod_label(pod, name in kd.added, kd.changed.get(name)),
            "fillcolor": POD_COLOURS.get(_pod_key(pod), OTHER_POD_COLOUR),
            "color": HIGHLIGHT if touched else "#6a6a6a",
            "penwidth": 3 if touched else 1,
            "class": "changed" if touched else None,
            "tooltip": f"pod/{name}: {_fields(pod)}",
        }
        dot.line(f"{node_id} " + _attrs(**attrs) + ";")
        return node_id

    def _ghost(self, dot: Dot, pod: dict[str, Any]) -> str:
        name = row_key(pod)
        node_id = self._id("gone", name)
        label = HtmlLabel(_lines([_font(_h(f"- {name}"), bold=True), _font("gone", size=9)]))
        attrs = {
            "label": label,
            "style": "rounded,dashed",
            "color": HIGHLIGHT,
            "fontcolor": GHOST,
            "penwidth": 2,
            "class": "changed gone",
            "tooltip": f"pod/{name} is gone",
        }
        dot.line(f"{node_id} " + _attrs(**attrs) + ";")
        return node_id

    # - the line under the columns -

    def _summary(self) -> list[str]:
        """Lines under the title: control-plane processes down, Deployments, Services."""
        rows = [*self._control_plane_rows(), *self._deployment_rows(), *self._service_rows()]
        return [_font(row, size=10) for row in rows]

    def _control_plane_rows(self) -> list[str]:
        """One line naming the control-plane processes that are down, one for those back up."""
        control = self.state.get("controlPlane") or {}
        down, back = [], []
        for key, label in CONTROL_PLANE_NAMES.items():
            changed = key in self.diff.control_plane
            if key in control and not control[key]:
                down.append(_font(_h(label), bold=True, colour=HIGHLIGHT) if changed else _h(label))
            elif key in control and changed:
                back.append(_h(label))
        rows = []
        if down:
            rows.append(_font("control plane down: " + ", ".join(down), colour="#b42318"))
        if back:
            rows.append(_changed_text("control plane back up: " + ", ".join(back), True))
        return rows

    def _deployment_rows(self) -> list[str]:
        kd = self.diff.of("deployments")
        rows = []
        for d in sorted(self.state["deployments"], key=row_key):
            name = row_key(d)
            text = (
                f"{'+ ' if name in kd.added else ''}deploy/{name}: {d.get('ready')} ready, "
                f"{d.get('upToDate')} up-to-date, {d.get('available')} available"
            )
            rows.append(_changed_text(_h(text), kd.touched(name)))
        rows.extend(_changed_text(_h(f"- deploy/{name} gone"), True) for name in sorted(kd.removed))
        return rows

    def _service_rows(self) -> list[str]:
        kd = self.diff.of("services")
        rows = []
        for s in sorted(self.state["services"], key=row_key):
            name = row_key(s)
            endpoints = [str(e) for e in s.get("endpoints") or []]
            what = ", ".join(endpoints) if endpoints else "no endpoints"
            text = f"{'+ ' if name in kd.added else ''}svc/{name} -> {what}"
            lines = _wrap(text, STEP_TITLE_WIDTH)
            rows.append(_changed_text('<BR ALIGN="LEFT"/>'.join(_h(line) for line in lines), kd.touched(name)))
        rows.extend(_changed_text(_h(f"- svc/{name} gone"), True) for name in sorted(kd.removed))
        return rows


# --- folded quiet steps -------------------------------------------------------------------------


@dataclass
class QuietRun:
    """Consecutive steps that change nothing visible, drawn as one small box."""

    indices: list[int]
    steps: list[TraceStep]

    @property
    def node_id(self) -> str:
        return _q(f"quiet{self.indices[0]}")

    def draw(self, dot: Dot) -> None:
        first, last = self.steps[0], self.steps[-1]
        span = format_duration(first.time)
        if last.time != first.time:
            span += f"..{format_duration(last.time)}"
        if len(self.steps) == 1:
            text = f"#{self.indices[0]}  t={span}  [{first.actor}] {first.action}  (no visible change)"
        else:
            actors = sorted({step.actor.split("/")[0] for step in self.steps})
            text = (
                f"#{self.indices[0]}..#{self.indices[-1]}  t={span}  {len(self.steps)} quiet steps "
                f"({', '.join(actors)})"
            )
        label = HtmlLabel(_lines(_h(line) for line in _wrap(text, STEP_TITLE_WIDTH)))
        attrs = {
            "label": label,
            "shape": "box",
            "style": "rounded,dashed",
            "color": GHOST,
            "fontcolor": "#555555",
            "fontsize": 9,
            "tooltip": "\n".join(f"[{s.actor}] {s.action}" for s in self.steps),
        }
        dot.line(f"{self.node_id} " + _attrs(**attrs) + ";")


# --- the whole trace ----------------------------------------------------------------------------


def _is_quiet(step: TraceStep, diff: ViewDiff, last: bool) -> bool:
    return not diff and not last and step.actor not in ALWAYS_SHOWN_ACTORS


def _pieces(doc: TraceDoc, projection: Projection, fold: bool) -> list[StepPicture | QuietRun]:
    """The boxes to draw, in order: a StepPicture per shown step, a QuietRun per folded run."""
    pieces: list[StepPicture | QuietRun] = []
    states = [projection.apply(step.state) for step in doc.steps]
    last = len(doc.steps) - 1
    for index, step in enumerate(doc.steps):
        before = states[index - 1] if index > 0 else None
        if fold and before is not None and _is_quiet(step, diff_views(before, states[index]), index == last):
            if pieces and isinstance(pieces[-1], QuietRun):
                pieces[-1].indices.append(index)
                pieces[-1].steps.append(step)
            else:
                pieces.append(QuietRun([index], [step]))
            continue
        violates = (doc.property or "the property") if index == last else None
        pieces.append(StepPicture(index, step, states[index], before, projection, violates))
    return pieces


def _legend(with_pods: bool) -> str:
    """Colour chips for the pod statuses (when pods are drawn) and what a red border means."""
    cells = "".join(
        f'<TD BGCOLOR="{POD_COLOURS[key]}" BORDER="1" COLOR="#6a6a6a">{_font(_h(text), size=9)}</TD>'
        for key, text in (LEGEND if with_pods else ())
    )
    changed = f'<TD BORDER="3" COLOR="{HIGHLIGHT}">{_font("changed in this step", size=9)}</TD>'
    return f'<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>{cells}{changed}</TR></TABLE>'


def _graph_title(doc: TraceDoc, projection: Projection) -> HtmlLabel:
    prop = doc.property or "a property"
    rows = [_font(_h(line), bold=True, size=15) for line in _wrap(f"Counterexample: {prop} is violated", TITLE_WIDTH)]
    facts = [f"engine {doc.engine or '?'}", f"scenario {doc.scenario or '?'}"]
    if doc.faults:
        facts.append("faults " + ", ".join(f"{kind}={n}" for kind, n in doc.faults))
    facts.append(f"{len(doc.steps) - 1} step(s) from {'t=0' if doc.from_start else 'the settled state'}")
    rows.extend(_font(_h(line), size=11) for line in _wrap("; ".join(facts), TITLE_WIDTH))
    if projection.kind != "full":
        rows.append(_font(_h(f"view: {projection}"), size=11, bold=True))
    if doc.explanation:
        why = _wrap(f"why: {doc.explanation}", TITLE_WIDTH)
        rows.extend(_font(_h(line), size=11, colour=HIGHLIGHT) for line in why)
    return HtmlLabel(_lines(rows))


def _connect(dot: Dot, pieces: Sequence[StepPicture | QuietRun]) -> None:
    """Arrows from each box to the next, so the order reads top to bottom."""
    for upper, lower in pairwise(pieces):
        tail = upper.bottom if isinstance(upper, StepPicture) else upper.node_id
        head = lower.top if isinstance(lower, StepPicture) else lower.node_id
        attrs: dict[str, object] = {"color": "#555555", "penwidth": 1.5, "arrowsize": 0.8, "weight": 100}
        if isinstance(upper, StepPicture):
            attrs["ltail"] = upper.cluster
        if isinstance(lower, StepPicture):
            attrs["lhead"] = lower.cluster
        dot.line(f"{tail} -> {head} " + _attrs(**attrs) + ";")


def trace_dot(doc: TraceDoc, projection: Projection | None = None, fold: bool = True) -> str:
    """The DOT source of the picture of ``doc`` (the same document always gives the same text)."""
    projection = projection or Projection()
    check_projection(doc, projection)
    if not doc.steps:
        raise ValueError("a trace document needs at least one step")
    dot = Dot()
    dot.open("digraph counterexample")
    dot.line(
        "graph "
        + _attrs(
            label=_graph_title(doc, projection),
            labelloc="t",
            labeljust="l",
            fontname=FONT,
            compound="true",
            rankdir="TB",
            nodesep=0.25,
            ranksep=0.3,
            newrank="true",
        )
        + ";"
    )
    dot.line(
        "node "
        + _attrs(fontname=FONT, fontsize=10, shape="box", style="rounded,filled", margin="0.1,0.04", height=0.3)
        + ";"
    )
    dot.line("edge " + _attrs(fontname=FONT, fontsize=9) + ";")
    pieces = _pieces(doc, projection, fold)
    dot.line(f'legend [label=<{_legend(projection.shows_pods)}>, shape="plaintext", style=""];')
    for piece in pieces:
        piece.draw(dot)
    first = pieces[0]
    dot.line(f"legend -> {first.top if isinstance(first, StepPicture) else first.node_id} [style=invis];")
    _connect(dot, pieces)
    dot.close()
    return dot.text()


def write_trace_picture(
    doc: TraceDoc,
    path: str | Path,
    projection: Projection | None = None,
    fold: bool = True,
    *,
    where: str = "--trace-out",
) -> Path:
    """Draw ``doc`` to ``path``: .svg, .png, .pdf, or .dot for the DOT source itself."""
    return render_dot(trace_dot(doc, projection, fold), path, where=where)


__all__ = [
    "Projection",
    "check_projection",
    "diff_views",
    "parse_projection",
    "trace_dot",
    "view_changes",
    "write_trace_picture",
]
