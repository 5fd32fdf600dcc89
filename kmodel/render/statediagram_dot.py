"""A :class:`~kmodel.statediagram.StateDiagram` as Graphviz DOT source.

Only the shown part of the diagram is drawn: the abstract states the cap kept, the
``(created)`` / ``(deleted)`` ends when an edge reaches them, and the edges between them. Edges
with the same two ends are drawn as one arrow whose label lists every kind of action with its
count (``scheduler ×21``). States present in an initial state have a double border. The caption
says what the view shows, how much was explored, what the cap cut and that self-loops are left
out.

The output depends only on the diagram: everything is emitted in a fixed, sorted order, so the
same diagram always gives the same bytes (and so do the pictures ``dot`` draws from it).
"""

from __future__ import annotations

import math
from html import escape

from kmodel.statediagram import CREATED, DELETED, VIEW_DOCS, VIEW_UNITS, DiagramEdge, DiagramNode, StateDiagram

FONT = "Helvetica"
# tone -> (fill, border)
TONES = {
    "good": ("#dcf0dc", "#2e7d32"),
    "warn": ("#fff2c2", "#a67c00"),
    "busy": ("#dbe8f8", "#1f5fa8"),
    "gone": ("#ececec", "#616161"),
    "bad": ("#f8d7d5", "#b3261e"),
    "": ("#f5f5f5", "#616161"),
}
# what acted (by the start of the kind) -> colour of the arrow and its label
KIND_COLOURS = (
    ("fault:", "#c62828"),
    ("repair:", "#2e7d32"),
    ("timeline:", "#1565c0"),
    ("adversary:", "#6a1b9a"),
)
COMPONENT_COLOUR = "#424242"
# a pod's life reads left to right; the other views branch more and read top down
RANKDIR = {"pod": "LR"}


def _n(count: int) -> str:
    return f"{count:,}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kind_colour(kind: str) -> str:
    for prefix, colour in KIND_COLOURS:
        if kind.startswith(prefix):
            return colour
    return COMPONENT_COLOUR


def caption(diagram: StateDiagram, title: str) -> list[str]:
    """The lines under the title: what is drawn, what was explored, what was left out."""
    d = diagram
    lines = [f"{d.view} view: {VIEW_DOCS[d.view]}"]
    faults = ", ".join(f"{kind} ×{n}" for kind, n in d.faults if n > 0) or "none (only the scenario's timeline)"
    explored = f"explored {_n(d.explored_states)} model states, {_n(d.explored_transitions)} transitions"
    if d.truncated:
        explored += (
            f"; stopped at the limit of {_n(d.max_states)} states"
            f" ({_n(d.dropped_transitions)} transitions lead beyond it): the picture is partial"
        )
    else:
        explored += " (all reachable states)"
    lines.append(explored)
    lines.append(f"faults the checker may inject: {faults}")
    what = "abstract states"
    if d.shown_states < d.abstract_states:
        cut = d.cut_edges
        lines.append(
            f"showing {_n(d.shown_states)} of {_n(d.abstract_states)} {what} (the most often seen, and the initial "
            "ones); "
            f"{_n(len(cut))} edges ({_n(sum(e.count for e in cut))} transitions) to the others cut"
        )
    else:
        lines.append(f"all {_n(d.abstract_states)} {what} shown")
    unit = "model states" if d.view == "full" else f"{VIEW_UNITS[d.view]} pairs"
    lines.append(f"small number in a state: how many {unit} of the exploration look like it")
    arrows = "arrows: what acted × how many transitions"
    if d.unchanged_transitions:
        arrows += f"; not drawn: self-loops, {_n(d.unchanged_transitions)} transitions that change nothing in this view"
    lines.append(arrows)
    lines.append("double border: present in the initial state")
    return lines


def _node_label(node: DiagramNode, diagram: StateDiagram) -> str:
    if node.pseudo:
        return f"<<i>{escape(node.label)}</i>>"
    first, *rest = node.label.split("\n")
    if diagram.view == "full":
        body = "".join(f"{escape(line)}<br align='left'/>" for line in node.label.split("\n"))
        return f"<{body}<font point-size='8' color='#555555'>{_n(node.count)}</font>>"
    parts = [f"<b>{escape(first)}</b>"] + [escape(line) for line in rest]
    parts.append(f"<font point-size='8' color='#555555'>{_n(node.count)}</font>")
    return "<" + "<br/>".join(parts) + ">"


def _node_line(name: str, node: DiagramNode, diagram: StateDiagram) -> str:
    label = _node_label(node, diagram)
    if node.pseudo:
        return f'  {name} [label={label}, shape=oval, style=dashed, color="#757575", fontcolor="#424242", fontsize=10];'
    fill, border = TONES.get(node.tone, TONES[""])
    extra = ", peripheries=2, penwidth=1.6" if node.initial else ""
    return f'  {name} [label={label}, fillcolor="{fill}", color="{border}"{extra}];'


def _edge_line(src: str, dst: str, kinds: list[DiagramEdge]) -> str:
    kinds = sorted(kinds, key=lambda e: (-e.count, e.kind))
    total = sum(e.count for e in kinds)
    colour = kind_colour(kinds[0].kind)
    rows = "".join(
        f"<tr><td align='left'><font color='{kind_colour(e.kind)}'>{escape(e.kind)} ×{_n(e.count)}</font></td></tr>"
        for e in kinds
    )
    label = f"<<table border='0' cellborder='0' cellspacing='0' cellpadding='1'>{rows}</table>>"
    width = min(1.0 + 0.5 * math.log10(total), 3.5)
    return f'  {src} -> {dst} [label={label}, color="{colour}", penwidth={width:.1f}];'


def diagram_dot(diagram: StateDiagram, title: str) -> str:
    """The DOT source of ``diagram`` (its shown part), with ``title`` and a caption on top."""
    d = diagram
    shown = sorted((n for n in d.nodes if n.shown), key=lambda n: (n.first_seen, n.key))
    names = {n.key: f"n{i}" for i, n in enumerate(shown)}
    cap_rows = "".join(f"<tr><td align='left'>{escape(line)}</td></tr>" for line in caption(d, title))
    graph_label = (
        "<<table border='0' cellborder='0' cellspacing='0' cellpadding='1'>"
        f"<tr><td align='left'><font point-size='14'><b>{escape(title)}</b></font></td></tr>"
        f"{cap_rows}</table>>"
    )
    out = [
        "digraph statediagram {",
        f'  graph [label={graph_label}, labelloc=t, labeljust=l, fontname="{FONT}", fontsize=10, '
        f"rankdir={RANKDIR.get(d.view, 'TB')}, newrank=true, nodesep=0.35, ranksep=0.45, pad=0.5];",
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=10, margin="0.12,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7];',
    ]
    groups: dict[str, list[DiagramNode]] = {}
    for n in shown:
        groups.setdefault("" if n.pseudo else n.group, []).append(n)
    group_order = sorted(groups, key=lambda g: (min(n.first_seen for n in groups[g]), g))
    for i, g in enumerate(group_order):
        members = groups[g]
        if not g:
            out += [_node_line(names[n.key], n, d) for n in members if not n.pseudo]
            continue
        out.append(f"  subgraph cluster_{i} {{")
        out.append(
            f'    label={_quote(g)}; labeljust=l; style="rounded,dashed"; color="#9e9e9e"; '
            f'fontcolor="#616161"; fontsize=10;'
        )
        out += ["  " + _node_line(names[n.key], n, d) for n in members]
        out.append("  }")
    for end, rank in ((CREATED, "min"), (DELETED, "max")):
        node = next((n for n in shown if n.key == end), None)
        if node is not None:
            out.append(_node_line(names[end], node, d))
            out.append(f"  {{ rank={rank}; {names[end]}; }}")
    pairs: dict[tuple[str, str], list[DiagramEdge]] = {}
    for e in d.edges:
        if e.shown and e.source in names and e.target in names:
            pairs.setdefault((e.source, e.target), []).append(e)
    order = {n.key: i for i, n in enumerate(shown)}
    for src, dst in sorted(pairs, key=lambda p: (order[p[0]], order[p[1]])):
        out.append(_edge_line(names[src], names[dst], pairs[(src, dst)]))
    out.append("}")
    return "\n".join(out) + "\n"


__all__ = ["caption", "diagram_dot", "kind_colour"]
