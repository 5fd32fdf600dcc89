"""Custom invariants (:mod:`kmodel.expr`) as Z3 formulas over one frame of the node-health slice.

``kmodel check --engine smt --invariant EXPR`` needs the invariant as a formula over the slice's
variables (:mod:`kmodel.smt.nodehealth`). :func:`invariant_slice_property` parses and checks the
text exactly as ``--engine explore`` does (:func:`kmodel.expr.compile_invariant`) and then
translates the syntax tree, frame by frame, by a symbolic version of the restricted interpreter.
Nothing here calls ``eval``: the tree is walked node by node.

How values are represented during the translation: every sub-expression becomes a *guarded
choice*, a list of ``(guard, value)`` pairs whose guards are mutually exclusive conditions on the
frame. A value is a Python constant (evaluated at translation time), a Z3 Boolean or arithmetic
term, a pod or node of the slice's universe, or a sequence of guarded items. So ``p.phase`` is
``[(phase == 0, "Pending"), (phase == 1, "Running"), ...]`` and ``p.phase == "Running"``
becomes ``phase == 1``; ``pods`` is the slice's pods, each guarded by its ``present`` variable;
``count``, ``all``, ``any``, ``sum``, ``min`` and ``max`` expand over those items.

What translates:

* ``pods`` (the pods of the slice, guarded by their ``present`` variable), ``nodes`` and ``now``;
* pod fields ``name``, ``node`` (a node name or None, from the pod's node variable), ``phase``,
  ``status``, ``ready``, ``restarts``, ``terminating``, ``labels`` and ``owner``;
* node fields ``name``, ``status``, ``condition``, ``ready``, ``taints``, ``zone``,
  ``unschedulable``, ``powered``, ``kubelet_running``, ``partitioned``, ``control_plane``,
  ``runtime_ready``, ``heartbeat_age`` and ``lease_age`` (every node of the slice has posted
  status and has a Lease, so neither age is None);
* literals, ``and``/``or``/``not``, comparisons (``in`` on literal collections, labels, taints and
  comprehensions), ``+ - *`` and unary minus, ``//`` and ``%`` by a constant, ``x if c else y``,
  comprehensions with ``if`` filters, ``len count all any sum min max abs``; labels by key
  (``p.labels.app``, ``p.labels["app"]``) and indexing or slicing of constants.

What is refused, with a :class:`~kmodel.smt.nodehealth.SliceError` naming the construct and its
column: ``deployments``, ``replicasets`` and ``services`` (the slice has none), the fields the
slice has no variable for (``p.deployment``, ``p.age``, ``n.labels``), ``sorted`` and ``set``,
``**`` and ``/``, building strings or sequences with ``+``/``*``, comparing sequences of pods or
nodes, unpacking loop targets over state-dependent values, and a symbolic index or divisor.

The interpreter raises :class:`~kmodel.expr.ExprError` in some states (``None < "a"``,
``min()`` of an empty sequence, a non-boolean result, ...). The translation records the
condition under which each such failure happens and :func:`invariant_slice_property` asks Z3
whether one of them is satisfiable at all (over a frame whose variables are all free): if so the
invariant is refused (guard it, e.g. ``p.node is not None and p.node < "b"`` or
``min((...), default=0)``), so in what is accepted the formula and the interpreter agree on
every state of the slice. Numbers in formulas are exact (Z3 integers and reals).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import z3
from attrs import frozen

from kmodel.checkrun import invariant_property
from kmodel.engines.base import ALWAYS
from kmodel.expr import CMPOPS, MAX_INT, STEP_BUDGET, ExprError, compile_invariant
from kmodel.exprview import ENV_NAMES, LabelMap, NodeRecord, PodRecord
from kmodel.properties import PropertyDef
from kmodel.smt.bmc import SliceProperty
from kmodel.smt.nodehealth import (
    AND,
    IF,
    NOT,
    OR,
    OWN_TAINTS,
    PHASE,
    R_TRUE,
    READY,
    SUM,
    NodeInfo,
    PodInfo,
    Slice,
    SliceError,
    View,
    nk,
    pk,
)
from kmodel.state import PENDING

Guard = Any  # a Python bool or a Z3 Boolean term
Sym = tuple[tuple[Guard, object], ...]  # a guarded choice of values; the guards exclude each other

EXPLORE_FIX = "check this invariant with --engine explore"

POD_FIELDS = ("name", "node", "phase", "status", "ready", "restarts", "terminating", "labels", "owner")
NODE_FIELDS = (
    "name",
    "status",
    "condition",
    "ready",
    "taints",
    "zone",
    "unschedulable",
    "powered",
    "kubelet_running",
    "partitioned",
    "control_plane",
    "runtime_ready",
    "heartbeat_age",
    "lease_age",
)
SUPPORTED = (
    "smt translates pods, nodes, now and their fields, literals, comparisons, and/or/not, + - * "
    "(// and % by a constant), x if c else y, comprehensions and len count all any sum min max abs"
)
REFUSE_FIX = f"{EXPLORE_FIX} ({SUPPORTED})"

_PHASE_NAMES = {code: name for name, code in PHASE.items()}
_READY_NAMES = {code: name for name, code in READY.items()}
_TAINT_TEXT = {var: f"{key}:{effect}" for (key, effect), var in OWN_TAINTS.items()}
_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITH: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}


# --- values ------------------------------------------------------------------------------------


@frozen(eq=False)
class PodRef:
    """A pod of the slice's universe (whether it exists is the guard of the item it came in)."""

    info: PodInfo


@frozen(eq=False)
class NodeRef:
    info: NodeInfo


@frozen(eq=False)
class Seq:
    """A sequence whose items may depend on the frame: ``(guard, value)`` per possible item, in
    order. ``kind`` is ``tuple``, ``list``, ``set`` or ``generator`` (as in the interpreter: a
    generator has no len() and is always true)."""

    items: tuple[tuple[Guard, Sym], ...]
    kind: str


def _one(value: object) -> Sym:
    return ((True, value),)


def _is_bool(x: object) -> bool:
    return isinstance(x, bool) or (isinstance(x, z3.ExprRef) and z3.is_bool(x))


def _is_num(x: object) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int | float) or (isinstance(x, z3.ExprRef) and z3.is_arith(x))


def _is_numeric(x: object) -> bool:
    """A number in arithmetic: the interpreter counts True and False as 1 and 0 there."""
    return _is_bool(x) or _is_num(x)


def _is_const(x: object) -> bool:
    """A plain Python value, known at translation time."""
    return not isinstance(x, z3.ExprRef | PodRef | NodeRef | Seq)


def _as_number(x: Any) -> Any:
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, z3.ExprRef) and z3.is_bool(x):
        return z3.If(x, 1, 0)
    return x


def _type_name(x: object) -> str:
    if x is None:
        return "None"
    if _is_bool(x):
        return "bool"
    if isinstance(x, z3.ExprRef):
        return "int" if z3.is_int(x) else "number"
    if isinstance(x, PodRef):
        return "pod"
    if isinstance(x, NodeRef):
        return "node"
    if isinstance(x, Seq):
        return x.kind
    if isinstance(x, LabelMap):
        return "labels"
    return type(x).__name__


def _join(cases: list[tuple[Guard, object]]) -> Sym:
    """Normalise a guarded choice: drop impossible cases, merge cases that hold the same constant,
    the same pod or node, or (into one term) Booleans and numbers."""
    bools: list[tuple[Guard, Any]] = []
    nums: list[tuple[Guard, Any]] = []
    keyed: dict[tuple[str, object], list[Guard]] = {}
    firsts: dict[tuple[str, object], object] = {}
    others: list[tuple[Guard, object]] = []
    order: list[object] = []
    for guard, value in cases:
        if guard is False:
            continue
        if _is_bool(value):
            if not bools:
                order.append("bool")
            bools.append((guard, value))
        elif _is_num(value):
            if not nums:
                order.append("num")
            nums.append((guard, value))
        else:
            key = _key(value)
            if key is None:
                order.append(len(others))
                others.append((guard, value))
                continue
            if key not in keyed:
                order.append(key)
                keyed[key] = []
                firsts[key] = value
            keyed[key].append(guard)
    out: list[tuple[Guard, object]] = []
    for slot in order:
        if slot == "bool":
            out.append((OR(*[g for g, _ in bools]), OR(*[AND(g, v) for g, v in bools])))
        elif slot == "num":
            out.append(_merge_numbers(nums))
        elif isinstance(slot, int):
            out.append(others[slot])
        else:
            assert isinstance(slot, tuple)
            out.append((OR(*keyed[slot]), firsts[slot]))
    return tuple(out)


def _key(value: object) -> tuple[str, object] | None:
    """What identifies equal values of a merge (None: never merged)."""
    if isinstance(value, PodRef):
        return ("pod", value.info.name)
    if isinstance(value, NodeRef):
        return ("node", value.info.name)
    if value is None or isinstance(value, str):
        return (type(value).__name__, value)
    return None


def _merge_numbers(nums: list[tuple[Guard, Any]]) -> tuple[Guard, Any]:
    guard = OR(*[g for g, _ in nums])
    first = nums[0][1]
    if all(_is_const(v) and type(v) is type(first) and v == first for _, v in nums):
        return guard, first
    value = nums[-1][1]
    for g, v in reversed(nums[:-1]):
        value = IF(g, v, value)
    return guard, value


def _truth_of(value: object) -> Guard:
    """When a value is true in Python's sense."""
    if isinstance(value, z3.ExprRef):
        return value if z3.is_bool(value) else value != 0
    if isinstance(value, PodRef | NodeRef):
        return True
    if isinstance(value, Seq):
        if value.kind == "generator":
            return True
        return OR(*[g for g, _ in value.items])
    return bool(value)


def _falsy_value(value: object) -> object:
    """The value itself when it is false (a false Boolean term is False, a zero number 0)."""
    if isinstance(value, z3.ExprRef):
        return False if z3.is_bool(value) else 0
    return value


def _truthy_value(value: object) -> object:
    if isinstance(value, z3.ExprRef) and z3.is_bool(value):
        return True
    return value


def _truth(sym: Sym) -> Guard:
    return OR(*[AND(g, _truth_of(v)) for g, v in sym])


# --- positions ---------------------------------------------------------------------------------------


def _position(text: str, node: ast.AST) -> tuple[int, int]:
    """1-based line and character column of a node (``col_offset`` counts UTF-8 bytes)."""
    lineno = getattr(node, "lineno", 1)
    offset = getattr(node, "col_offset", 0)
    lines = text.splitlines() or [""]
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    return lineno, len(line.encode()[:offset].decode(errors="ignore")) + 1


def _place(text: str, node: ast.AST) -> str:
    line, column = _position(text, node)
    return f"at line {line}, column {column}" if line > 1 else f"at column {column}"


def _segment(text: str, node: ast.AST, limit: int = 60) -> str:
    part = " ".join((ast.get_source_segment(text, node) or ast.unparse(node)).split())
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(part) > limit:
        return f"{node.func.id}(...)"
    return part if len(part) <= limit else part[: limit - 3] + "..."


# --- the translator ----------------------------------------------------------------------------------


@frozen
class Failure:
    """The interpreter would raise ``message`` at ``node`` in the frames where ``guard`` holds."""

    guard: Guard
    node: ast.AST
    message: str


class _Translator:
    """One walk of an invariant's tree over one frame (``view``) of a slice."""

    def __init__(self, text: str, sl: Slice, view: View, where: str) -> None:
        self.text = text
        self.slice = sl
        self.view = view
        self.where = where
        self.path: Guard = True  # the condition under which the current sub-expression is evaluated
        self.scope: dict[str, Sym] = {}
        self.failures: list[Failure] = []
        self.steps = 0  # sub-expressions translated (nested loops multiply them)
        self.handlers: dict[type[ast.AST], Callable[[Any], Sym]] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.Attribute: self._attribute,
            ast.Subscript: self._subscript,
            ast.Slice: self._slice,
            ast.Tuple: self._display,
            ast.List: self._display,
            ast.Set: self._display,
            ast.BoolOp: self._boolop,
            ast.UnaryOp: self._unaryop,
            ast.BinOp: self._binop,
            ast.Compare: self._compare,
            ast.IfExp: self._ifexp,
            ast.GeneratorExp: self._comprehension,
            ast.ListComp: self._comprehension,
            ast.SetComp: self._comprehension,
            ast.Call: self._call,
        }
        self.functions: dict[str, Callable[[ast.Call, list[Sym], dict[str, Sym]], Sym]] = {
            "len": self._fn_len,
            "count": self._fn_count,
            "all": self._fn_all,
            "any": self._fn_any,
            "sum": self._fn_sum,
            "min": self._fn_min,
            "max": self._fn_max,
            "abs": self._fn_abs,
        }

    # -- plumbing ---------------------------------------------------------------------------------

    def refuse(self, node: ast.AST, why: str, fix: str = REFUSE_FIX) -> NoReturn:
        raise SliceError(
            f"the smt engine cannot translate {_segment(self.text, node)} {_place(self.text, node)}: {why}",
            where=self.where,
            fix=fix,
        )

    def fail(self, node: ast.AST, guard: Guard, message: str) -> None:
        """Record that the interpreter raises ``message`` here when ``guard`` holds."""
        guard = AND(self.path, guard)
        if guard is not False:
            self.failures.append(Failure(guard, node, message))

    def visit(self, node: ast.AST) -> Sym:
        self.steps += 1
        if self.steps > STEP_BUDGET:
            self.refuse(
                node,
                f"the formula would need more than {STEP_BUDGET:,} steps to build",
                "loop over fewer items, or " + EXPLORE_FIX,
            )
        handler = self.handlers.get(type(node))
        if handler is None:  # compile_invariant has refused everything else already
            self.refuse(node, f"{type(node).__name__} is not translated")
        return handler(node)

    def under(self, guard: Guard, node: ast.AST) -> Sym:
        """Translate ``node`` as evaluated only when ``guard`` holds."""
        saved = self.path
        self.path = AND(saved, guard)
        try:
            return self.visit(node) if self.path is not False else ()
        finally:
            self.path = saved

    def formula(self, tree: ast.Expression) -> Guard:
        """The invariant over the frame; failures (including a non-Boolean result) are recorded."""
        out = []
        try:
            result = self.visit(tree.body)
        except RecursionError:
            self.refuse(tree.body, "the expression is nested too deeply to translate", "simplify it, or " + EXPLORE_FIX)
        for guard, value in result:
            if _is_bool(value):
                out.append(AND(guard, value))
            else:
                self.fail(tree.body, guard, f"the invariant must be a comparison or boolean, got {_type_name(value)}")
        return OR(*out)

    # -- names and fields ---------------------------------------------------------------------------

    def _constant(self, node: ast.Constant) -> Sym:
        return _one(node.value)

    def _name(self, node: ast.Name) -> Sym:
        if node.id in self.scope:
            return self.scope[node.id]
        sl, v = self.slice, self.view
        if node.id == "pods":
            items = tuple((v[pk(p.name, "present")], _one(PodRef(p))) for p in sl.pods)
            return _one(Seq(items, "tuple"))
        if node.id == "nodes":
            return _one(Seq(tuple((True, _one(NodeRef(n))) for n in sl.nodes), "tuple"))
        if node.id == "now":
            return _one(v["now"])
        if node.id in ENV_NAMES:
            self.refuse(node, f"the node-health slice has no {node.id} (only nodes, pods and now)")
        self.refuse(node, f"'{node.id}' is not a known name")

    def _attribute(self, node: ast.Attribute) -> Sym:
        out: list[tuple[Guard, object]] = []
        for guard, obj in self.visit(node.value):
            if isinstance(obj, PodRef):
                out += [(AND(guard, g), x) for g, x in self._pod_field(node, obj.info)]
            elif isinstance(obj, NodeRef):
                out += [(AND(guard, g), x) for g, x in self._node_field(node, obj.info)]
            elif isinstance(obj, LabelMap):
                out.append((guard, obj.label(node.attr)))
            else:
                self.fail(node, guard, f"{_type_name(obj)} has no field '{node.attr}'")
        return _join(out)

    def _pod_field(self, node: ast.Attribute, info: PodInfo) -> Sym:
        v, name, attr = self.view, info.name, node.attr
        if attr == "name":
            return _one(name)
        if attr == "labels":
            return _one(LabelMap(info.pod.labels))
        if attr == "owner":
            return _one(info.pod.owner)
        if attr == "node":
            return self._node_name(v[pk(name, "node")])
        if attr == "phase":
            return self._enum(v[pk(name, "phase")], _PHASE_NAMES)
        if attr == "ready":
            return _one(v[pk(name, "ready")])
        if attr == "restarts":
            return _one(v[pk(name, "restarts")])
        if attr == "terminating":
            return _one(v[pk(name, "deleting.set")])
        if attr == "status":
            return self._pod_status(info)
        return self._unknown_field(node, "pod", PodRecord.field_names(), POD_FIELDS)

    def _node_field(self, node: ast.Attribute, info: NodeInfo) -> Sym:
        v, name, attr = self.view, info.name, node.attr
        constants: dict[str, object] = {
            "name": name,
            "zone": info.zone,
            "unschedulable": info.unschedulable,
            "control_plane": info.control_plane,
        }
        if attr in constants:
            return _one(constants[attr])
        variables = {
            "powered": "powered",
            "kubelet_running": "kubelet",
            "partitioned": "partitioned",
            "runtime_ready": "runtime",
        }
        if attr in variables:
            return _one(v[nk(name, variables[attr])])
        ready = v[nk(name, "ready")]
        if attr == "ready":
            return _one(ready == R_TRUE)
        if attr == "condition":
            return self._enum(ready, _READY_NAMES)
        if attr == "status":
            suffix = ",SchedulingDisabled" if info.unschedulable else ""
            return _join([(ready == R_TRUE, "Ready" + suffix), (NOT(ready == R_TRUE), "NotReady" + suffix)])
        if attr == "heartbeat_age":
            return _one(v["now"] - v[nk(name, "heartbeat")])
        if attr == "lease_age":
            return _one(v["now"] - v[nk(name, "lease")])
        if attr == "taints":
            own = tuple((v[nk(name, var)], _one(text)) for var, text in _TAINT_TEXT.items())
            foreign = tuple((True, _one(t.show())) for t in info.foreign_taints)
            return _one(Seq(own + foreign, "tuple"))
        return self._unknown_field(node, "node", NodeRecord.field_names(), NODE_FIELDS)

    def _unknown_field(self, node: ast.Attribute, kind: str, fields: tuple[str, ...], done: tuple[str, ...]) -> Sym:
        if node.attr in fields:
            self.refuse(
                node,
                f"the node-health slice has no variable for the {kind} field '{node.attr}'",
                f"use the {kind} fields {', '.join(done)}, or {EXPLORE_FIX}",
            )
        self.fail(node, True, f"{kind}s have no field '{node.attr}'")
        return ()

    def _node_name(self, index: Any) -> Sym:
        nodes = self.slice.nodes
        if _is_const(index):
            return _one(nodes[index].name if 0 <= index < len(nodes) else None)
        bound = [(index == n.index, n.name) for n in nodes]
        return _join([*bound, (NOT(OR(*[g for g, _ in bound])), None)])

    def _enum(self, code: Any, names: dict[int, str]) -> Sym:
        """An enum variable as its strings (a value outside the enum reads as the last one)."""
        codes = sorted(names)
        if _is_const(code):
            return _one(names.get(code, names[codes[-1]]))
        cases = [(code == c, names[c]) for c in codes[:-1]]
        return _join([*cases, (NOT(OR(*[g for g, _ in cases])), names[codes[-1]])])

    def _pod_status(self, info: PodInfo) -> Sym:
        """kubectl's STATUS column (kmodel.render.view.pod_status) over the pod's variables."""
        v = self.view
        deleting = v[pk(info.name, "deleting.set")]
        unbound = _truth(tuple((g, x is None) for g, x in self._node_name(v[pk(info.name, "node")])))
        running = AND(NOT(deleting), NOT(unbound))
        cases: list[tuple[Guard, object]] = [(deleting, "Terminating"), (AND(NOT(deleting), unbound), PENDING)]
        for g, phase in self._enum(v[pk(info.name, "phase")], _PHASE_NAMES):
            cases.append((AND(running, g), "ContainerCreating" if phase == PENDING else phase))
        return _join(cases)

    def _subscript(self, node: ast.Subscript) -> Sym:
        objs = self.visit(node.value)
        keys = self.visit(node.slice)
        out: list[tuple[Guard, object]] = []
        for g1, obj in objs:
            for g2, key in keys:
                guard = AND(g1, g2)
                if isinstance(obj, Seq):
                    self.refuse(node, "indexing a sequence that depends on the state is not translated")
                if not _is_const(key):
                    if isinstance(obj, LabelMap):
                        self.fail(node, guard, f"label keys are strings, got {_type_name(key)}")
                        continue
                    if isinstance(obj, str | tuple | list):
                        self.refuse(node, "an index that depends on the state is not translated")
                    self.fail(node, guard, f"{_type_name(obj)} cannot be indexed")
                    continue
                if isinstance(obj, LabelMap):
                    if isinstance(key, str):
                        out.append((guard, obj.label(key)))
                    else:
                        self.fail(node, guard, f"label keys are strings, got {_type_name(key)}")
                elif isinstance(obj, str | tuple | list):
                    if isinstance(key, slice) or (isinstance(key, int) and -len(obj) <= key < len(obj)):
                        out.append((guard, obj[key]))
                    else:
                        self.fail(node, guard, f"bad index {key!r} for a {_type_name(obj)} of length {len(obj)}")
                else:
                    self.fail(node, guard, f"{_type_name(obj)} cannot be indexed")
        return _join(out)

    def _slice(self, node: ast.Slice) -> Sym:
        parts: list[int | None] = []
        for part in (node.lower, node.upper, node.step):
            if part is None:
                parts.append(None)
                continue
            sym = self.visit(part)
            if len(sym) != 1 or sym[0][0] is not True or not _is_const(sym[0][1]):
                self.refuse(node, "slice bounds that depend on the state are not translated")
            value = sym[0][1]
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                self.fail(node, True, f"slice bounds are integers or None, got {_type_name(value)}")
                return ()
            parts.append(value)  # type: ignore[arg-type]
        if parts[2] == 0:
            self.fail(node, True, "bad slice: slice step cannot be zero")
            return ()
        return _one(slice(*parts))

    def _display(self, node: ast.Tuple | ast.List | ast.Set) -> Sym:
        elts = [self.visit(e) for e in node.elts]
        kind = {ast.Tuple: "tuple", ast.List: "list", ast.Set: "set"}[type(node)]
        if all(len(s) == 1 and s[0][0] is True and _is_const(s[0][1]) for s in elts):
            values = [s[0][1] for s in elts]
            if kind == "tuple":
                return _one(tuple(values))
            if kind == "list":
                return _one(values)
            try:
                return _one(set(values))
            except TypeError:
                self.fail(node, True, "a set cannot hold these values")
                return ()
        return _one(Seq(tuple((True, s) for s in elts), kind))

    # -- operators ------------------------------------------------------------------------------------

    def _boolop(self, node: ast.BoolOp) -> Sym:
        """``and`` gives the first false operand (or the last), ``or`` the first true one; an
        operand is evaluated only when the ones before it did not decide."""
        is_and = isinstance(node.op, ast.And)
        reach: Guard = True  # the operands so far did not decide
        out: list[tuple[Guard, object]] = []
        last = len(node.values) - 1
        for i, operand in enumerate(node.values):
            sym = self.under(reach, operand)
            if i == last:
                out += [(AND(reach, g), x) for g, x in sym]
                break
            for g, x in sym:
                t = _truth_of(x)
                if is_and:
                    out.append((AND(reach, g, NOT(t)), _falsy_value(x)))
                else:
                    out.append((AND(reach, g, t), _truthy_value(x)))
            t = _truth(sym)
            reach = AND(reach, t if is_and else NOT(t))
        return _join(out)

    def _unaryop(self, node: ast.UnaryOp) -> Sym:
        sym = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return _one(NOT(_truth(sym)))
        if isinstance(node.op, ast.Invert):
            self.refuse(node, "'~' is not translated")
        out: list[tuple[Guard, object]] = []
        for g, x in sym:
            if not _is_numeric(x):
                self.fail(node, g, f"unary '{'-' if isinstance(node.op, ast.USub) else '+'}' needs a number")
                continue
            n = _as_number(x)
            out.append((g, -n if isinstance(node.op, ast.USub) else n))
        return _join(out)

    def _ifexp(self, node: ast.IfExp) -> Sym:
        t = _truth(self.visit(node.test))
        body = self.under(t, node.body)
        orelse = self.under(NOT(t), node.orelse)
        return _join([(AND(t, g), x) for g, x in body] + [(AND(NOT(t), g), x) for g, x in orelse])

    def _binop(self, node: ast.BinOp) -> Sym:
        symbol = _ARITH.get(type(node.op))
        if symbol is None or symbol == "**":
            self.refuse(node, f"the operator '{symbol or type(node.op).__name__}' is not translated")
        lefts = self.visit(node.left)
        rights = self.visit(node.right)
        out: list[tuple[Guard, object]] = []
        for g1, a in lefts:
            for g2, b in rights:
                guard = AND(g1, g2)
                value = self._arith(node, symbol, a, b, guard)
                if value is not _FAILED:
                    out.append((guard, value))
        return _join(out)

    def _arith(self, node: ast.BinOp, symbol: str, a: Any, b: Any, guard: Guard) -> object:
        sequences = str | tuple | list | Seq
        if symbol in ("+", "*") and (isinstance(a, sequences) or isinstance(b, sequences)):
            self.refuse(node, "building strings or sequences is not translated")
        if not (_is_numeric(a) and _is_numeric(b)):
            self.fail(node, guard, f"cannot apply '{symbol}' to {_type_name(a)} and {_type_name(b)}")
            return _FAILED
        x, y = _as_number(a), _as_number(b)
        if _is_const(x) and _is_const(y):
            return self._fold(node, symbol, x, y, guard)
        if symbol == "+":
            return x + y
        if symbol == "-":
            return x - y
        if symbol == "*":
            return x * y
        if symbol == "/":
            self.refuse(
                node,
                "'/' of a value that depends on the state is not translated",
                "use // or multiply out, or " + EXPLORE_FIX,
            )
        if not _is_const(y) or isinstance(y, float) or not z3.is_int(x):
            self.refuse(node, f"'{symbol}' is translated only for an integer divided by an integer constant")
        if y == 0:
            self.fail(node, guard, f"division by zero in '{symbol}'")
            return _FAILED
        # Python rounds // down; Z3's integer division (Euclidean) agrees when the divisor is positive
        quotient = x / y if y > 0 else (-x) / (-y)
        return quotient if symbol == "//" else x - y * quotient

    def _fold(self, node: ast.BinOp, symbol: str, x: Any, y: Any, guard: Guard) -> object:
        functions: dict[str, Callable[[Any, Any], Any]] = {
            "+": operator.add,
            "-": operator.sub,
            "*": operator.mul,
            "/": operator.truediv,
            "//": operator.floordiv,
            "%": operator.mod,
        }
        try:
            value = functions[symbol](x, y)
        except ZeroDivisionError:
            self.fail(node, guard, f"division by zero in '{symbol}'")
            return _FAILED
        if isinstance(value, int) and abs(value) > MAX_INT:
            self.fail(node, guard, "the result is too large (integers are limited to 10**30)")
            return _FAILED
        return value

    # -- comparisons ------------------------------------------------------------------------------------

    def _compare(self, node: ast.Compare) -> Sym:
        left = self.visit(node.left)
        reach: Guard = True  # the comparisons so far hold
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            saved = self.path
            self.path = AND(saved, reach)
            try:
                right = self.visit(right_node)
                holds = self._relation(node, CMPOPS[type(op)], left, right)
            finally:
                self.path = saved
            reach = AND(reach, holds)
            left = right
        return _one(reach)

    def _relation(self, node: ast.AST, symbol: str, lefts: Sym, rights: Sym) -> Guard:
        out = []
        for g1, a in lefts:
            for g2, b in rights:
                guard = AND(g1, g2)
                if guard is not False:
                    out.append(AND(guard, self._compare_values(node, symbol, a, b, guard)))
        return OR(*out)

    def _compare_values(self, node: ast.AST, symbol: str, a: Any, b: Any, guard: Guard) -> Guard:
        if symbol in ("is", "is not"):
            return (a is None) == (symbol == "is")
        if symbol in ("==", "!="):
            eq = self._equal(node, a, b)
            return eq if symbol == "==" else NOT(eq)
        if symbol in ("in", "not in"):
            found = self._contains(node, b, a, guard)
            return found if symbol == "in" else NOT(found)
        return self._order(node, symbol, a, b, guard)

    def _equal(self, node: ast.AST, a: Any, b: Any) -> Guard:
        if isinstance(a, Seq) or isinstance(b, Seq):
            self.refuse(node, "comparing sequences that depend on the state is not translated")
        if _is_const(a) and _is_const(b):
            return bool(a == b)
        if isinstance(a, PodRef | NodeRef) or isinstance(b, PodRef | NodeRef):
            return a is b or (type(a) is type(b) and a.info is b.info)
        if _is_bool(a) and _is_bool(b):
            if isinstance(a, bool):
                return b if a else NOT(b)
            if isinstance(b, bool):
                return a if b else NOT(a)
            return a == b
        if _is_numeric(a) and _is_numeric(b):
            return _as_number(a) == _as_number(b)
        return False  # a term and a string, None, labels, ...

    def _order(self, node: ast.AST, symbol: str, a: Any, b: Any, guard: Guard) -> Guard:
        if isinstance(a, Seq) or isinstance(b, Seq):
            self.refuse(node, "ordering sequences that depend on the state is not translated")
        if _is_const(a) and _is_const(b):
            try:
                return bool(_ORDER[symbol](a, b))
            except TypeError:
                pass
        elif _is_numeric(a) and _is_numeric(b):
            return _ORDER[symbol](_as_number(a), _as_number(b))
        self.fail(node, guard, f"cannot compare {_type_name(a)} {symbol} {_type_name(b)}")
        return False

    def _contains(self, node: ast.AST, container: Any, item: Any, guard: Guard) -> Guard:
        if isinstance(container, Seq):
            return OR(*[AND(g, self._relation(node, "==", _one(item), sym)) for g, sym in container.items])
        if isinstance(container, str | tuple | list | set | frozenset | LabelMap):
            if _is_const(item):
                try:
                    return item in container
                except TypeError:
                    pass
            elif isinstance(container, LabelMap):
                return False  # label keys are strings
            elif not isinstance(container, str):
                return OR(*[self._equal(node, item, element) for element in container])
        self.fail(node, guard, f"cannot test {_type_name(item)} in a {_type_name(container)}")
        return False

    # -- comprehensions -----------------------------------------------------------------------------------

    def _comprehension(self, node: ast.GeneratorExp | ast.ListComp | ast.SetComp) -> Sym:
        kind = {ast.GeneratorExp: "generator", ast.ListComp: "list", ast.SetComp: "set"}[type(node)]
        items: list[tuple[Guard, Sym]] = []
        saved = self.scope
        try:
            self._bindings(node, 0, True, items)
        finally:
            self.scope = saved
        return _one(Seq(tuple(items), kind))

    def _bindings(
        self,
        node: ast.GeneratorExp | ast.ListComp | ast.SetComp,
        index: int,
        guard: Guard,
        items: list[tuple[Guard, Sym]],
    ) -> None:
        if index == len(node.generators):
            items.append((guard, self.under(guard, node.elt)))
            return
        gen = node.generators[index]
        outer = self.scope
        for g, iterable in self.under(guard, gen.iter):
            for item_guard, value in self._elements(gen.iter, iterable, AND(guard, g)):
                self.scope = dict(outer)
                self._bind(gen.target, value)
                cond = AND(guard, g, item_guard)
                for test in gen.ifs:
                    cond = AND(cond, _truth(self.under(cond, test)))
                if cond is not False:
                    self._bindings(node, index + 1, cond, items)
        self.scope = outer

    def _elements(self, node: ast.AST, iterable: object, guard: Guard) -> Iterator[tuple[Guard, Sym]]:
        if isinstance(iterable, Seq):
            yield from iterable.items
        elif isinstance(iterable, str | tuple | list | set | frozenset | LabelMap):
            for x in iterable:
                yield True, _one(x)
        else:
            self.fail(node, guard, f"cannot loop over {_type_name(iterable)}")

    def _bind(self, target: ast.expr, value: Sym) -> None:
        if isinstance(target, ast.Name):
            self.scope[target.id] = value
            return
        assert isinstance(target, ast.Tuple | ast.List)  # the checker allows nothing else
        if len(value) != 1 or value[0][0] is not True or not isinstance(value[0][1], tuple | list):
            self.refuse(target, "unpacking into several names is translated only for constant tuples")
        parts = value[0][1]
        assert isinstance(parts, tuple | list)
        if len(parts) != len(target.elts):
            self.fail(target, True, f"cannot unpack {len(parts)} values into {len(target.elts)} names")
            return
        for sub, part in zip(target.elts, parts, strict=True):
            self._bind(sub, _one(part))

    # -- calls ------------------------------------------------------------------------------------------

    def _call(self, node: ast.Call) -> Sym:
        assert isinstance(node.func, ast.Name)  # the checker allows nothing else
        name = node.func.id
        if name not in self.functions:
            self.refuse(node, f"{name}() is not translated")
        args = [self.visit(a) for a in node.args]
        keywords = {kw.arg or "": self.visit(kw.value) for kw in node.keywords}
        return self.functions[name](node, args, keywords)

    def _items(self, node: ast.Call, sym: Sym, *, sized: bool = False) -> list[tuple[Guard, Sym]]:
        """The possible items of an argument (each guard includes the argument's own case).
        ``sized``: the call counts items, which a set built from state values cannot say."""
        out: list[tuple[Guard, Sym]] = []
        for g, value in sym:
            if sized and isinstance(value, Seq) and value.kind == "set":
                self.refuse(node, "counting the items of a set built from the state is not translated")
            out += [(AND(g, ig), item) for ig, item in self._elements(node, value, g)]
        return out

    def _fn_len(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym]) -> Sym:
        sized: list[tuple[Guard, object]] = []
        for g, value in args[0]:
            if isinstance(value, Seq) and value.kind == "generator":
                self.fail(node, g, "len() needs a sequence, got a generator")
            elif isinstance(value, Seq | str | tuple | list | set | frozenset | LabelMap):
                sized.append((g, value))
            else:
                self.fail(node, g, f"len() needs a sequence, got {_type_name(value)}")
        return self._fn_count(node, [tuple(sized)], keywords)

    def _fn_count(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym]) -> Sym:
        return _one(SUM([IF(g, 1, 0) for g, _ in self._items(node, args[0], sized=True)]))

    def _fn_all(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym]) -> Sym:
        return _one(AND(*[OR(NOT(g), _truth(item)) for g, item in self._items(node, args[0])]))

    def _fn_any(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym]) -> Sym:
        return _one(OR(*[AND(g, _truth(item)) for g, item in self._items(node, args[0])]))

    def _numbers(self, node: ast.Call, name: str, items: list[tuple[Guard, Sym]]) -> list[tuple[Guard, Any]]:
        out = []
        for g, item in items:
            for g2, value in item:
                if _is_numeric(value):
                    out.append((AND(g, g2), _as_number(value)))
                else:
                    self.fail(node, AND(g, g2), f"{name}() needs numbers, got {_type_name(value)}")
        return out

    def _fn_sum(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym]) -> Sym:
        start = self._numbers(node, "sum", [(True, args[1])]) if len(args) > 1 else [(True, 0)]
        terms = self._numbers(node, "sum", self._items(node, args[0], sized=True))
        base = _merge_numbers(start)[1] if start else 0
        return _one(SUM([base, *[IF(g, v, 0) for g, v in terms]]))

    def _fn_abs(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym]) -> Sym:
        out: list[tuple[Guard, object]] = []
        for g, x in self._numbers(node, "abs", [(True, args[0])]):
            out.append((g, abs(x) if _is_const(x) else IF(x >= 0, x, -x)))
        return _join(out)

    def _fn_min(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym]) -> Sym:
        return self._extreme(node, args, keywords, "min")

    def _fn_max(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym]) -> Sym:
        return self._extreme(node, args, keywords, "max")

    def _extreme(self, node: ast.Call, args: list[Sym], keywords: dict[str, Sym], name: str) -> Sym:
        """min()/max(): over numbers (Booleans apart) as one term, over constants by cases."""
        items = self._items(node, args[0]) if len(args) == 1 else [(True, a) for a in args]
        occurrences = [(i, AND(g, g2), value) for i, (g, item) in enumerate(items) for g2, value in item]
        occurrences = [o for o in occurrences if o[1] is not False]
        better = _ORDER["<" if name == "min" else ">"]
        # the interpreter compares each item with the best so far: values of kinds that do not
        # order together (or None, a pod, ...) fail once two of them occur
        for a, (i, ga, x) in enumerate(occurrences):
            for j, gb, y in occurrences[a + 1 :]:
                if i != j and not _orderable(x, y):
                    self.fail(node, AND(ga, gb), f"{name}() cannot order {_type_name(x)} and {_type_name(y)}")
        some = OR(*[g for _, g, _ in occurrences])
        out: list[tuple[Guard, object]] = []
        if "default" in keywords:
            out += [(AND(NOT(some), g), x) for g, x in keywords["default"]]
        else:
            self.fail(node, NOT(some), f"{name}() of an empty sequence")
        values = [x for _, _, x in occurrences]
        if values and all(_is_bool(x) for x in values):
            if name == "min":  # False as soon as one present item is False
                out.append((some, AND(*[OR(NOT(g), x) for _, g, x in occurrences])))
            else:
                out.append((some, OR(*[AND(g, x) for _, g, x in occurrences])))
        elif values and all(_is_num(x) for x in values):
            best: Any = 0
            found: Guard = False
            for _, g, x in occurrences:
                best = IF(AND(g, OR(NOT(found), better(x, best))), x, best)
                found = OR(found, g)
            out.append((some, best))
        elif all(_is_const(x) for x in values):
            for k, (_, g, x) in enumerate(occurrences):
                # beaten by a better value, or by an equal one that comes first (which Python keeps)
                beaten = [
                    g2
                    for m, (_, g2, y) in enumerate(occurrences)
                    if _orderable(x, y) and (better(y, x) or (m < k and y == x))
                ]
                out.append((AND(g, NOT(OR(*beaten))), x))
        else:
            self.refuse(node, f"{name}() over a mix of Booleans, numbers and other values is not translated")
        return _join(out)


_FAILED = object()


def _orderable(x: object, y: object) -> bool:
    if _is_numeric(x) and _is_numeric(y):
        return True
    return isinstance(x, str) and isinstance(y, str)


# --- the public API ----------------------------------------------------------------------------------


def _parse(text: str, where: str) -> tuple[str, ast.Expression]:
    """The checked text (stripped, as the columns count it) and its tree."""
    try:
        inv = compile_invariant(text)  # the same checks and messages as --engine explore
    except ExprError as err:
        raise SliceError(err.message, where=where, fix=err.fix) from None
    return inv.text, ast.parse(inv.text, mode="eval")


def invariant_formula(text: str, sl: Slice, view: View, where: str = "--invariant") -> Guard:
    """The invariant as a Z3 formula (or a Python bool) over one frame ``view`` of ``sl``.

    It agrees with the interpreter on every frame where the interpreter does not fail, and
    raises :class:`SliceError` for a construct it does not translate; :func:`failures` says
    whether the interpreter can fail."""
    source, tree = _parse(text, where)
    return _Translator(source, sl, view, where).formula(tree)


def _possible_failures(source: str, tree: ast.Expression, sl: Slice, where: str) -> list[Failure]:
    translator = _Translator(source, sl, sl.frame("expr").vars, where)
    translator.formula(tree)
    out = []
    solver = z3.Solver()
    for f in translator.failures:
        if f.guard is not True:
            solver.push()
            solver.add(f.guard)
            possible = solver.check() != z3.unsat
            solver.pop()
            if not possible:
                continue
        out.append(f)
    return out


def failures(text: str, sl: Slice, where: str = "--invariant") -> list[Failure]:
    """The places where the interpreter can fail on some frame of ``sl`` (every variable free,
    so this over-approximates the reachable states), in the order of the text."""
    source, tree = _parse(text, where)
    return _possible_failures(source, tree, sl, where)


def invariant_slice_property(text: str, sl: Slice, where: str = "--invariant") -> SliceProperty:
    """A custom invariant as a :class:`~kmodel.smt.bmc.SliceProperty` of kind ``always``, named
    as ``kmodel check --invariant`` names it: ``python`` runs the interpreter (for the explorer,
    and for the BMC engine's check of its replayed traces), ``holds`` is the translation.

    Raises :class:`SliceError` (one line, naming the construct and its column) when a construct
    is not translated, or when the interpreter could fail on some frame of the slice."""
    source, tree = _parse(text, where)
    bad = _possible_failures(source, tree, sl, where)
    if bad:
        first = bad[0]
        raise SliceError(
            f"the smt engine cannot translate {_segment(source, first.node)} {_place(source, first.node)}: "
            f"evaluating it can fail in some state of the node-health slice ({first.message})",
            where=where,
            fix="write it so that it cannot fail (e.g. `p.node is not None and ...`, min(..., default=0)), or "
            + EXPLORE_FIX,
        )
    prop = invariant_property(text, where)
    assert prop.predicate is not None
    python = PropertyDef(prop.name, ALWAYS, prop.doc, prop.predicate, explain=prop.explain)

    def holds(sl: Slice, _before: View | None, after: View) -> Guard:
        return _Translator(source, sl, after, where).formula(tree)

    return SliceProperty(prop.name, ALWAYS, python, holds)


__all__ = ["EXPLORE_FIX", "SUPPORTED", "Failure", "failures", "invariant_formula", "invariant_slice_property"]
