"""Custom invariants: a small, safe expression language over the cluster.

Users write invariants in Python's expression syntax, for example::

    count(p for p in pods if p.labels.app == "hello" and p.ready) >= 1
    all(n.status == "Ready" for n in nodes if n.name != "minikube-m03")

The text is parsed with :func:`ast.parse` (``mode="eval"``) and nothing else of Python's machinery
runs it: the tree is checked against a whitelist of node types (:class:`_Checker`) and evaluated by
the tree-walking interpreter below (:class:`_Evaluator`) over the names of
:func:`kmodel.exprview.environment`. Nothing here compiles to bytecode or looks up Python
attributes on user-chosen names; records expose only their declared fields.

What the language allows: literals (int, float, str, bool, None), tuple/list/set displays, the
environment names and comprehension variables, record fields and labels (``p.labels.app``,
``p.labels["app.kubernetes.io/name"]``), indexing and slicing of tuples, lists and strings,
comparisons (``== != < <= > >= in``, ``not in``, ``is None``, ``is not None``), ``and``/``or``/``not``,
``+ - * / // % **`` and unary minus, ``a if c else b``, generator expressions and list/set
comprehensions, and calls to ``len count all any sum min max abs sorted set``.

Resource limits (each breach is an :class:`ExprError`, never a hang or a crash):

* the text is at most :data:`MAX_TEXT` characters and nests at most :data:`MAX_DEPTH` levels;
* one evaluation visits at most :data:`STEP_BUDGET` expression nodes and loop items, and pays one
  step per :data:`SIZE_COST` items of every string or sequence it builds, and per :data:`SIZE_COST`
  items (nested items included, shared parts counted each time) of every value it compares, hashes
  into a set or sorts, so values of exploding deep size cannot stall a comparison;
* integers stay within ``10**30`` in magnitude (:data:`MAX_INT`), literals included;
* ``**`` is allowed with an exponent of magnitude at most :data:`MAX_EXPONENT` (64); the result
  must then still be a real number within the integer limit (so ``10**1000`` and ``9**9**9`` fail
  on the exponent, ``(10**20)**2`` on the result);
* strings, tuples and lists built with ``+`` or ``*`` hold at most :data:`MAX_LEN` items, and ``%``
  works on numbers only (no string formatting);
* values shown in messages go through a size-bounded repr.

Errors found by the checker or the interpreter name the 1-based column of the offending
sub-expression. ``count(xs)`` is the number of items of ``xs`` (not of true items: filter with
``if``), and ``labels.key`` / ``labels["key"]`` give None for a label the object does not carry.
"""

from __future__ import annotations

import ast
import operator
import re
import reprlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import GeneratorType
from typing import Any, NoReturn, TypeVar

from kmodel.errors import KmodelError
from kmodel.exprview import ENV_NAMES, LabelMap, Record

MAX_TEXT = 4096  # characters in an invariant
MAX_DEPTH = 100  # nesting levels of the syntax tree
STEP_BUDGET = 1_000_000  # node visits and loop items per evaluation
MAX_INT = 10**30  # largest integer magnitude
MAX_LEN = 10_000  # longest string, tuple or list built by + or *
MAX_EXPONENT = 64  # largest exponent magnitude of **
SIZE_COST = 10  # items of a built or compared sequence that cost one step

FUNCTIONS: tuple[str, ...] = ("len", "count", "all", "any", "sum", "min", "max", "abs", "sorted", "set")
_CALLABLE = ", ".join(FUNCTIONS)
_ARITY: dict[str, tuple[int, int | None]] = {
    "len": (1, 1),
    "count": (1, 1),
    "all": (1, 1),
    "any": (1, 1),
    "sum": (1, 2),
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "sorted": (1, 1),
    "set": (0, 1),
}

Scope = dict[str, object]
_T = TypeVar("_T")
Number = int | float


class ExprError(KmodelError):
    """An invariant that cannot be parsed, is not allowed, or fails to evaluate."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        detail: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.column = column  # 1-based, in characters; None when the error has no place
        self.expr_line = line
        text = message + _place(line, column) + (f"; {detail}" if detail else "")
        super().__init__(text, where="invariant", fix=fix)


def _place(line: int | None, column: int | None) -> str:
    if column is None:
        return ""
    if line is not None and line > 1:
        return f" at line {line}, column {column}"
    return f" at column {column}"


# --- source positions ----------------------------------------------------------------------------


class _Source:
    """The invariant's text, for 1-based character columns and source segments of nodes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = re.split(r"\r\n|\r|\n", text)

    def position(self, node: ast.AST) -> tuple[int, int]:
        lineno = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)  # a UTF-8 byte offset
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return lineno, len(line.encode()[:offset].decode(errors="ignore")) + 1

    def error(self, node: ast.AST, message: str, fix: str | None = None, detail: str | None = None) -> ExprError:
        line, column = self.position(node)
        return ExprError(message, line=line, column=column, detail=detail, fix=fix)

    def segment(self, node: ast.AST, limit: int = 80) -> str:
        text = ast.get_source_segment(self.text, node) or ast.unparse(node)
        text = " ".join(text.split())
        if len(text) <= limit:
            return text
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return f"{node.func.id}(...)"
        return text[: limit - 3] + "..."


# --- parsing and the whitelist ---------------------------------------------------------------------

_FORBIDDEN: dict[type[ast.AST], tuple[str, str]] = {
    ast.Lambda: ("lambda is not allowed", "write the condition inline, e.g. all(p.ready for p in pods)"),
    ast.NamedExpr: ("assignment expressions (:=) are not allowed", "repeat the sub-expression instead"),
    ast.JoinedStr: ("f-strings are not allowed", "compare plain strings, e.g. p.name == 'web-1'"),
    ast.FormattedValue: ("f-strings are not allowed", "compare plain strings, e.g. p.name == 'web-1'"),
    ast.Starred: ("unpacking with * is not allowed", "pass the iterable itself, e.g. len(pods)"),
    ast.Dict: ("dict displays are not allowed", "read labels instead, e.g. p.labels.app == 'web'"),
    ast.DictComp: ("dict comprehensions are not allowed", "use a generator expression, e.g. (p.name for p in pods)"),
    ast.Await: ("await is not allowed", "remove it"),
    ast.Yield: ("yield is not allowed", "use a generator expression, e.g. (p.name for p in pods)"),
    ast.YieldFrom: ("yield is not allowed", "use a generator expression, e.g. (p.name for p in pods)"),
}
_GENERIC_FIX = "use comparisons, and/or/not, arithmetic, comprehensions and calls to " + _CALLABLE

_BINOPS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", operator.pow),
}
_OTHER_BINOPS: dict[type[ast.operator], str] = {
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
# the comparison operators and their symbols (kmodel.smt.exprsmt reads them too)
CMPOPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_NEGATED: dict[str, str] = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "in": "not in",
    "not in": "in",
    "is": "is not",
    "is not": "is",
}


def _parse(source: _Source) -> ast.Expression:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source.text, mode="eval")
    except SyntaxError as e:
        raise _syntax_error(source, e) from None
    except (RecursionError, MemoryError):
        raise ExprError(
            f"the expression is nested too deeply (the limit is {MAX_DEPTH} levels)", fix="simplify it"
        ) from None
    except ValueError as e:
        raise ExprError(str(e), fix="remove the offending characters") from None


def _syntax_error(source: _Source, e: SyntaxError) -> ExprError:
    line = e.lineno or 1
    column = e.offset or None
    if column is None and e.lineno is not None and line <= len(source.lines):
        column = len(source.lines[line - 1]) + 1  # the parser stopped at the end of the text
    return ExprError(
        e.msg or "invalid syntax",
        line=line,
        column=column,
        fix="an invariant is one Python-style expression, e.g. len(pods) <= 5",
    )


class _Checker:
    """Rejects, before any evaluation, every construct outside the whitelist."""

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.handlers: dict[type[ast.AST], Callable[[Any, frozenset[str], int], None]] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.Attribute: self._attribute,
            ast.Subscript: self._children,
            ast.Slice: self._children,
            ast.Tuple: self._children,
            ast.List: self._children,
            ast.Set: self._children,
            ast.BoolOp: self._children,
            ast.IfExp: self._children,
            ast.UnaryOp: self._unaryop,
            ast.BinOp: self._binop,
            ast.Compare: self._compare,
            ast.GeneratorExp: self._comprehension,
            ast.ListComp: self._comprehension,
            ast.SetComp: self._comprehension,
            ast.Call: self._call,
        }

    def check(self, node: ast.AST, scope: frozenset[str], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.source.error(
                node, f"the expression is nested too deeply (the limit is {MAX_DEPTH} levels)", "simplify it"
            )
        handler = self.handlers.get(type(node))
        if handler is None:
            what, fix = _FORBIDDEN.get(type(node), (f"{type(node).__name__} expressions are not allowed", _GENERIC_FIX))
            raise self.source.error(node, what, fix)
        handler(node, scope, depth + 1)

    def _children(self, node: ast.AST, scope: frozenset[str], depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.expr_context | ast.boolop):
                self.check(child, scope, depth)

    def _constant(self, node: ast.Constant, scope: frozenset[str], depth: int) -> None:
        value = node.value
        if value is None or isinstance(value, bool | str | float):
            return
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise self.source.error(node, "the number is too large (the limit is 10**30)")
            return
        what = "'...'" if value is Ellipsis else f"{type(value).__name__} literals"
        raise self.source.error(node, f"{what} are not allowed", "use int, float, str, bool or None literals")

    def _name(self, node: ast.Name, scope: frozenset[str], depth: int) -> None:
        if node.id in scope or node.id in ENV_NAMES:
            return
        if node.id in FUNCTIONS:
            raise self.source.error(node, f"'{node.id}' is a function and can only be called", f"e.g. {node.id}(pods)")
        raise self.source.error(
            node,
            f"'{node.id}' is not a known name",
            "use " + ", ".join(ENV_NAMES) + ", a comprehension variable, or a call to " + _CALLABLE,
        )

    def _attribute(self, node: ast.Attribute, scope: frozenset[str], depth: int) -> None:
        if node.attr.startswith("_"):
            raise self.source.error(
                node,
                f"the attribute '{node.attr}' is not allowed (names starting with '_' are private)",
                "read a record field such as p.name, or a label such as p.labels['app']",
            )
        self.check(node.value, scope, depth)

    def _unaryop(self, node: ast.UnaryOp, scope: frozenset[str], depth: int) -> None:
        if not isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
            raise self.source.error(node, "the operator '~' is not allowed", "use not, - or arithmetic")
        self.check(node.operand, scope, depth)

    def _binop(self, node: ast.BinOp, scope: frozenset[str], depth: int) -> None:
        if type(node.op) not in _BINOPS:
            symbol = _OTHER_BINOPS.get(type(node.op), type(node.op).__name__)
            raise self.source.error(node, f"the operator '{symbol}' is not allowed", "use + - * / // % or **")
        self.check(node.left, scope, depth)
        self.check(node.right, scope, depth)

    def _compare(self, node: ast.Compare, scope: frozenset[str], depth: int) -> None:
        for op, right in zip(node.ops, node.comparators, strict=True):
            is_none = isinstance(right, ast.Constant) and right.value is None
            if isinstance(op, ast.Is | ast.IsNot) and not is_none:
                raise self.source.error(
                    node, "'is' is only allowed as 'is None' or 'is not None'", "compare values with == or !="
                )
        self.check(node.left, scope, depth)
        for right in node.comparators:
            self.check(right, scope, depth)

    def _comprehension(
        self, node: ast.GeneratorExp | ast.ListComp | ast.SetComp, scope: frozenset[str], depth: int
    ) -> None:
        inner = scope
        for gen in node.generators:
            if gen.is_async:
                raise self.source.error(node, "'async for' is not allowed", "use a plain 'for'")
            self.check(gen.iter, inner, depth)
            inner = inner | self._targets(gen.target)
            for cond in gen.ifs:
                self.check(cond, inner, depth)
        self.check(node.elt, inner, depth)

    def _targets(self, target: ast.expr) -> frozenset[str]:
        if isinstance(target, ast.Tuple | ast.List):
            names: frozenset[str] = frozenset()
            for elt in target.elts:
                names |= self._targets(elt)
            return names
        if not isinstance(target, ast.Name):
            raise self.source.error(target, "a loop variable must be a plain name", "e.g. for p in pods")
        if target.id in ENV_NAMES or target.id in FUNCTIONS:
            raise self.source.error(
                target, f"'{target.id}' is a built-in name and cannot be a loop variable", "choose another name"
            )
        return frozenset({target.id})

    def _call(self, node: ast.Call, scope: frozenset[str], depth: int) -> None:
        name = self._callee(node)
        self._check_arguments(node, name)
        for arg in node.args:
            self.check(arg, scope, depth)
        for kw in node.keywords:
            self.check(kw.value, scope, depth)

    def _callee(self, node: ast.Call) -> str:
        func = node.func
        if isinstance(func, ast.Attribute):
            raise self.source.error(
                node,
                f"calling methods such as '.{func.attr}()' is not allowed",
                "only these can be called: " + _CALLABLE,
            )
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            what = f"'{func.id}'" if isinstance(func, ast.Name) else "this expression"
            raise self.source.error(node, f"calling {what} is not allowed", "only these can be called: " + _CALLABLE)
        return func.id

    def _check_arguments(self, node: ast.Call, name: str) -> None:
        low, high = _ARITY[name]
        for kw in node.keywords:
            if kw.arg is None:
                raise self.source.error(kw, "unpacking with ** is not allowed", f"call {name}() with plain arguments")
            if kw.arg != "default" or name not in ("min", "max"):
                raise self.source.error(
                    kw, f"{name}() takes no keyword '{kw.arg}'", "only min() and max() take a keyword: default="
                )
            high = 1
        count = len(node.args)
        if count < low or (high is not None and count > high):
            expected = f"{low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}"
            raise self.source.error(
                node, f"{name}() takes {expected} argument(s), got {count}", f"e.g. {name}(p.name for p in pods)"
            )


# --- evaluation ----------------------------------------------------------------------------------


def _type_name(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, Record):
        return value.kind
    if isinstance(value, LabelMap):
        return "labels"
    if isinstance(value, GeneratorType):
        return "generator"
    return type(value).__name__


def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()
    short.maxlevel = 3
    short.maxtuple = short.maxlist = short.maxset = short.maxfrozenset = 6
    short.maxstring = short.maxother = 60
    short.maxlong = 40
    return short


_SHORT = _short_repr()


def _show(value: object, limit: int = 80) -> str:
    """A short repr: bounded in size however large or deeply nested the value is."""
    text = "<generator>" if isinstance(value, GeneratorType) else _SHORT.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _truth(value: object) -> bool:
    return bool(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float)


def _is_sequence(value: object) -> bool:
    return isinstance(value, str | tuple | list)


_CONTAINERS = (tuple, list, set, frozenset)


def _weight(value: object, cap: int) -> int:
    """About how many items comparing or hashing ``value`` touches, counting a shared part each time
    it occurs (as comparisons do); counting stops soon after ``cap``."""
    if isinstance(value, str | LabelMap):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return 1
    memo: dict[int, int] = {}

    def walk(item: object) -> int:
        if not isinstance(item, _CONTAINERS):
            return len(item) if isinstance(item, str | LabelMap) else 1
        if id(item) not in memo:
            total = len(item)
            for child in item:
                total += walk(child)
                if total > cap:
                    break
            memo[id(item)] = total
        return memo[id(item)]

    return walk(value)


class _Evaluator:
    """A tree-walking interpreter over an environment, with a step budget."""

    def __init__(self, source: _Source, env: Mapping[str, object], budget: int) -> None:
        self.source = source
        self.env = env
        self.budget = budget
        self.steps = budget
        self.handlers: dict[type[ast.AST], Callable[[Any, Scope], object]] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.Attribute: self._attribute,
            ast.Subscript: self._subscript,
            ast.Slice: self._slice,
            ast.Tuple: self._tuple,
            ast.List: self._list,
            ast.Set: self._set,
            ast.BoolOp: self._boolop,
            ast.UnaryOp: self._unaryop,
            ast.BinOp: self._binop,
            ast.Compare: self._compare,
            ast.IfExp: self._ifexp,
            ast.GeneratorExp: self._genexp,
            ast.ListComp: self._listcomp,
            ast.SetComp: self._setcomp,
            ast.Call: self._call,
        }
        self.functions: dict[str, Callable[[ast.Call, list[object], dict[str, object]], object]] = {
            "len": self._fn_len,
            "count": self._fn_count,
            "all": self._fn_all,
            "any": self._fn_any,
            "sum": self._fn_sum,
            "min": self._fn_min,
            "max": self._fn_max,
            "abs": self._fn_abs,
            "sorted": self._fn_sorted,
            "set": self._fn_set,
        }

    # -- plumbing -------------------------------------------------------------------------------

    def fail(self, node: ast.AST, message: str, fix: str | None = None, detail: str | None = None) -> NoReturn:
        raise self.source.error(node, message, fix, detail)

    def charge(self, node: ast.AST, steps: int = 1) -> None:
        self.steps -= steps
        if self.steps < 0:
            self.fail(
                node,
                f"the expression is too expensive (it needs more than {self.budget:,} evaluation steps)",
                "loop over fewer items (e.g. avoid nested loops over pods) and build smaller values",
            )

    def visit(self, node: ast.AST, scope: Scope) -> object:
        self.charge(node)
        return self.handlers[type(node)](node, scope)

    # -- names and fields -------------------------------------------------------------------------

    def _constant(self, node: ast.Constant, scope: Scope) -> object:
        return node.value

    def _name(self, node: ast.Name, scope: Scope) -> object:
        if node.id in scope:
            return scope[node.id]
        if node.id in self.env:
            return self.env[node.id]
        self.fail(node, f"'{node.id}' is not defined here")

    def _attribute(self, node: ast.Attribute, scope: Scope) -> object:
        obj = self.visit(node.value, scope)
        if isinstance(obj, Record):
            if not obj.has_field(node.attr):
                fields = ", ".join(obj.field_names())
                self.fail(node, f"{obj.plural} have no field '{node.attr}'", detail=f"fields: {fields}")
            return obj.field(node.attr)
        if isinstance(obj, LabelMap):
            return obj.label(node.attr)
        self.fail(
            node,
            f"{_type_name(obj)} has no field '{node.attr}'",
            "fields exist only on nodes, pods, deployments, replicasets, services and labels",
        )

    def _subscript(self, node: ast.Subscript, scope: Scope) -> object:
        obj = self.visit(node.value, scope)
        key = self.visit(node.slice, scope)
        if isinstance(obj, LabelMap):
            if not isinstance(key, str):
                self.fail(node, f"label keys are strings, got {_type_name(key)}")
            return obj.label(key)
        if not _is_sequence(obj):
            self.fail(node, f"{_type_name(obj)} cannot be indexed", "index a tuple, list, string or labels")
        return self._index(node, obj, key)  # type: ignore[arg-type]

    def _index(self, node: ast.Subscript, seq: str | tuple[object, ...] | list[object], key: object) -> object:
        if isinstance(key, slice):
            try:
                part = seq[key]
            except ValueError as e:
                self.fail(node, f"bad slice: {e}")
            self.charge(node, len(part) // SIZE_COST)
            return part
        if not isinstance(key, int):
            self.fail(node, f"indexes are integers, got {_type_name(key)}")
        if not -len(seq) <= key < len(seq):
            self.fail(node, f"index {key} is out of range for a {_type_name(seq)} of length {len(seq)}")
        return seq[key]

    def _slice(self, node: ast.Slice, scope: Scope) -> slice:
        parts = [None if part is None else self.visit(part, scope) for part in (node.lower, node.upper, node.step)]
        for part in parts:
            if part is not None and not isinstance(part, int):
                self.fail(node, f"slice bounds are integers or None, got {_type_name(part)}")
        return slice(*parts)

    # -- displays -----------------------------------------------------------------------------------

    def _tuple(self, node: ast.Tuple, scope: Scope) -> tuple[object, ...]:
        return tuple(self.visit(elt, scope) for elt in node.elts)

    def _list(self, node: ast.List, scope: Scope) -> list[object]:
        return [self.visit(elt, scope) for elt in node.elts]

    def _set(self, node: ast.Set, scope: Scope) -> set[object]:
        return self._make_set(node, (self.visit(elt, scope) for elt in node.elts))

    def _make_set(self, node: ast.AST, items: Iterable[object]) -> set[object]:
        result: set[object] = set()
        for item in items:
            self.charge_weight(node, item)
            try:
                result.add(item)
            except TypeError:
                self.fail(node, f"a set cannot hold a {_type_name(item)}", "put strings, numbers or records in sets")
        return result

    # -- operators ----------------------------------------------------------------------------------

    def _boolop(self, node: ast.BoolOp, scope: Scope) -> object:
        stop_on = isinstance(node.op, ast.Or)  # `or` stops at the first true value, `and` at the first false
        value: object = None
        for operand in node.values:
            value = self.visit(operand, scope)
            if _truth(value) is stop_on:
                return value
        return value

    def _unaryop(self, node: ast.UnaryOp, scope: Scope) -> object:
        value = self.visit(node.operand, scope)
        if isinstance(node.op, ast.Not):
            return not _truth(value)
        symbol = "-" if isinstance(node.op, ast.USub) else "+"
        if not _is_number(value):
            self.fail(node, f"unary '{symbol}' needs a number, got {_type_name(value)}")
        return -value if symbol == "-" else +value  # type: ignore[operator]

    def _ifexp(self, node: ast.IfExp, scope: Scope) -> object:
        branch = node.body if _truth(self.visit(node.test, scope)) else node.orelse
        return self.visit(branch, scope)

    def _binop(self, node: ast.BinOp, scope: Scope) -> object:
        left = self.visit(node.left, scope)
        right = self.visit(node.right, scope)
        symbol, _ = _BINOPS[type(node.op)]
        if symbol == "*" and (_is_sequence(left) or _is_sequence(right)):
            return self._repeat(node, left, right)
        if symbol == "+" and _is_sequence(left) and _is_sequence(right):
            return self._concat(node, left, right)
        if not (_is_number(left) and _is_number(right)):
            self.fail(node, f"cannot apply '{symbol}' to {_type_name(left)} and {_type_name(right)}")
        return self._arithmetic(node, left, right)  # type: ignore[arg-type]

    def _arithmetic(self, node: ast.BinOp, left: Number, right: Number) -> Number:
        symbol, function = _BINOPS[type(node.op)]
        if symbol == "**" and abs(right) > MAX_EXPONENT:
            self.fail(node, f"the exponent {_show(right)} is too large (the limit for ** is {MAX_EXPONENT})")
        try:
            result = function(left, right)
        except ZeroDivisionError:
            self.fail(node, f"division by zero in '{symbol}'")
        except OverflowError:
            self.fail(node, f"the result of '{symbol}' is too large")
        return self._checked_number(node, result)

    def _checked_number(self, node: ast.AST, value: object) -> Number:
        if not _is_number(value):
            self.fail(node, f"the result is not a real number ({_type_name(value)})")
        if isinstance(value, int) and abs(value) > MAX_INT:
            self.fail(node, "the result is too large (integers are limited to 10**30)")
        return value  # type: ignore[return-value]

    def _repeat(self, node: ast.BinOp, left: object, right: object) -> object:
        seq, times = (left, right) if _is_sequence(left) else (right, left)
        if not isinstance(times, int):
            self.fail(node, f"a {_type_name(seq)} can only be repeated by an int, got {_type_name(times)}")
        length = len(seq) * max(times, 0)  # type: ignore[arg-type]
        self._check_length(node, seq, length)
        return seq * times  # type: ignore[operator]

    def _concat(self, node: ast.BinOp, left: object, right: object) -> object:
        if type(left) is not type(right):
            self.fail(node, f"cannot apply '+' to {_type_name(left)} and {_type_name(right)}")
        self._check_length(node, left, len(left) + len(right))  # type: ignore[arg-type]
        return left + right  # type: ignore[operator]

    def _check_length(self, node: ast.AST, seq: object, length: int) -> None:
        if length > MAX_LEN:
            self.fail(node, f"this would build a {_type_name(seq)} of length {length} (the limit is {MAX_LEN})")
        self.charge(node, length // SIZE_COST)

    # -- comparisons ----------------------------------------------------------------------------------

    def _compare(self, node: ast.Compare, scope: Scope) -> bool:
        left = self.visit(node.left, scope)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right_node, scope)
            if not self.compare(node, CMPOPS[type(op)], left, right):
                return False
            left = right
        return True

    def charge_weight(self, node: ast.AST, *values: object) -> None:
        """Pay for work proportional to the (deep) size of ``values``: comparing, hashing, sorting."""
        cap = (max(self.steps, 0) + 1) * SIZE_COST
        self.charge(node, sum(_weight(value, cap) for value in values) // SIZE_COST)

    def compare(self, node: ast.AST, symbol: str, left: object, right: object) -> bool:
        self.charge_weight(node, left, right)
        try:
            if isinstance(right, GeneratorType) and symbol in ("in", "not in"):
                return self._generator_contains(node, left, right) == (symbol == "in")
            return _apply_comparison(symbol, left, right)
        except TypeError:
            if symbol in ("in", "not in"):
                self.fail(node, f"cannot test {_show(left, 40)} {symbol} a {_type_name(right)}")
            fix = "test for None first, e.g. x is not None and x < 3" if left is None or right is None else None
            self.fail(node, f"cannot compare {_show(left, 40)} {symbol} {_show(right, 40)}", fix)

    def _generator_contains(self, node: ast.AST, item: object, items: Iterator[object]) -> bool:
        for candidate in items:
            if candidate is item or self.compare(node, "==", candidate, item):
                return True
        return False

    # -- comprehensions ----------------------------------------------------------------------------------

    def _genexp(self, node: ast.GeneratorExp, scope: Scope) -> Iterator[object]:
        return (self.visit(node.elt, inner) for inner in self.bindings(node.generators, 0, scope))

    def _listcomp(self, node: ast.ListComp, scope: Scope) -> list[object]:
        return [self.visit(node.elt, inner) for inner in self.bindings(node.generators, 0, scope)]

    def _setcomp(self, node: ast.SetComp, scope: Scope) -> set[object]:
        return self._make_set(node, (self.visit(node.elt, inner) for inner in self.bindings(node.generators, 0, scope)))

    def bindings(self, generators: list[ast.comprehension], index: int, scope: Scope) -> Iterator[Scope]:
        """Every scope the comprehension's ``for`` and ``if`` clauses produce, lazily."""
        if index == len(generators):
            yield scope
            return
        gen = generators[index]
        for item in self.each(gen.iter, self.visit(gen.iter, scope)):
            inner = dict(scope)
            self._bind(gen.target, item, inner)
            if all(_truth(self.visit(cond, inner)) for cond in gen.ifs):
                yield from self.bindings(generators, index + 1, inner)

    def _bind(self, target: ast.expr, item: object, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = item
            return
        assert isinstance(target, ast.Tuple | ast.List)  # the checker allows nothing else
        if not isinstance(item, tuple | list) or len(item) != len(target.elts):
            self.fail(target, f"cannot unpack {_show(item, 40)} into {len(target.elts)} names")
        for sub, value in zip(target.elts, item, strict=True):
            self._bind(sub, value, scope)

    def each(self, node: ast.AST, value: object) -> Iterator[object]:
        """The items of an iterable value, one step each."""
        if not isinstance(value, str | tuple | list | set | frozenset | LabelMap | GeneratorType):
            self.fail(node, f"cannot loop over {_type_name(value)}", "loop over nodes, pods, ... or a sequence")
        for item in value:
            self.charge(node)
            yield item

    # -- calls --------------------------------------------------------------------------------------

    def _call(self, node: ast.Call, scope: Scope) -> object:
        assert isinstance(node.func, ast.Name)  # the checker allows nothing else
        args = [self.visit(arg, scope) for arg in node.args]
        keywords = {kw.arg or "": self.visit(kw.value, scope) for kw in node.keywords}
        return self.functions[node.func.id](node, args, keywords)

    def _fn_len(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> int:
        value = args[0]
        if isinstance(value, GeneratorType):
            self.fail(node, "len() needs a sequence, got a generator", "count the items with count(...)")
        if not isinstance(value, str | tuple | list | set | frozenset | LabelMap):
            self.fail(node, f"len() needs a sequence, got {_type_name(value)}")
        return len(value)

    def _fn_count(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> int:
        return sum(1 for _ in self.each(node, args[0]))

    def _fn_all(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> bool:
        return all(_truth(item) for item in self.each(node, args[0]))

    def _fn_any(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> bool:
        return any(_truth(item) for item in self.each(node, args[0]))

    def _fn_sum(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> Number:
        total = self._number_argument(node, "sum", args[1] if len(args) > 1 else 0)
        for item in self.each(node, args[0]):
            total = self._checked_number(node, total + self._number_argument(node, "sum", item))
        return total

    def _number_argument(self, node: ast.Call, name: str, value: object) -> Number:
        if not _is_number(value):
            self.fail(node, f"{name}() needs numbers, got {_type_name(value)}")
        return value  # type: ignore[return-value]

    def _fn_abs(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> Number:
        return abs(self._number_argument(node, "abs", args[0]))

    def _fn_min(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> object:
        return self._extreme(node, args, keywords, "min", "<")

    def _fn_max(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> object:
        return self._extreme(node, args, keywords, "max", ">")

    def _extreme(
        self, node: ast.Call, args: list[object], keywords: dict[str, object], name: str, better: str
    ) -> object:
        items = self.each(node, args[0]) if len(args) == 1 else iter(args)
        best = next(items, _MISSING)
        if best is _MISSING:
            if "default" in keywords:
                return keywords["default"]
            self.fail(node, f"{name}() of an empty sequence", f"add a default, e.g. {name}((...), default=0)")
        for item in items:
            if self.compare(node, better, item, best):
                best = item
        return best

    def _fn_sorted(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> list[object]:
        items = list(self.each(node, args[0]))
        self.charge_weight(node, items)
        self.charge(node, len(items) * len(items).bit_length())  # about n log n comparisons
        try:
            return sorted(items)  # type: ignore[type-var]
        except TypeError:
            kinds = ", ".join(sorted({_type_name(item) for item in items}))
            self.fail(node, f"sorted() cannot order these items ({kinds})")

    def _fn_set(self, node: ast.Call, args: list[object], keywords: dict[str, object]) -> set[object]:
        return self._make_set(node, self.each(node, args[0]) if args else ())


_MISSING = object()


def _apply_comparison(symbol: str, left: Any, right: Any) -> bool:
    if symbol == "in":
        return left in right
    if symbol == "not in":
        return left not in right
    if symbol == "is":
        return left is right
    if symbol == "is not":
        return left is not right
    return bool(_ORDER[symbol](left, right))


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# --- explanations ----------------------------------------------------------------------------------


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _is_literal(node.operand)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_literal(elt) for elt in node.elts)
    return False


def _is_quantifier(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("all", "any")
        and len(node.args) == 1
        and isinstance(node.args[0], ast.GeneratorExp)
    )


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for elt in target.elts for name in _target_names(elt)]
    return []


class _Explainer:
    """Says why an expression does not have the truth value it should, naming sub-expression values."""

    def __init__(self, evaluator: _Evaluator) -> None:
        self.ev = evaluator
        self.source = evaluator.source

    def why(self, node: ast.expr, scope: Scope, want: bool) -> str:
        """Why ``node`` is not ``want``; its truth value is known to be ``not want``."""
        if isinstance(node, ast.BoolOp):
            return self._boolop(node, scope, want)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.why(node.operand, scope, not want)
        if isinstance(node, ast.Compare):
            return self._compare(node, scope, want)
        if isinstance(node, ast.IfExp):
            return self._ifexp(node, scope, want)
        if _is_quantifier(node):
            return self._quantifier(node, scope, want)  # type: ignore[arg-type]
        value = self.ev.visit(node, scope)
        if isinstance(node, ast.Constant):
            return f"the constant {_show(value)}"
        return f"{self.source.segment(node)} is {_show(value)}"

    def _boolop(self, node: ast.BoolOp, scope: Scope, want: bool) -> str:
        is_and = isinstance(node.op, ast.And)
        if is_and == want:  # a false `and` or a true `or`: the first deciding operand is to blame
            for operand in node.values:
                if _truth(self.ev.visit(operand, scope)) != want:
                    return self.why(operand, scope, want)
        reasons = "; ".join(self.why(operand, scope, want) for operand in node.values)
        return f"none of the alternatives holds: {reasons}" if want else f"all of these hold: {reasons}"

    def _compare(self, node: ast.Compare, scope: Scope, want: bool) -> str:
        operands = [node.left, *node.comparators]
        values = [self.ev.visit(node.left, scope)]
        for i, op in enumerate(node.ops):
            values.append(self.ev.visit(operands[i + 1], scope))
            symbol = CMPOPS[type(op)]
            if not self.ev.compare(node, symbol, values[i], values[i + 1]):
                return self._pair(operands[i : i + 2], values[i : i + 2], symbol)
        if len(node.ops) == 1:
            return self._pair(operands, values, _NEGATED[CMPOPS[type(node.ops[0])]])
        shown = self._values(operands, values)
        holds = f"{self.source.segment(node)} holds"
        return f"{shown}, and {holds}" if shown else holds

    def _pair(self, operands: list[ast.expr], values: list[object], needed: str) -> str:
        """``needed`` is the relation that would have made the comparison come out as wanted."""
        left, right = operands
        if not _is_literal(left) and _is_literal(right):
            return f"{self.source.segment(left)} = {_show(values[0])}, needs {needed} {self.source.segment(right)}"
        need = f"needs {self.source.segment(left)} {needed} {self.source.segment(right)}"
        shown = self._values(operands, values)
        return f"{shown}, {need}" if shown else need

    def _values(self, operands: list[ast.expr], values: list[object]) -> str:
        return ", ".join(
            f"{self.source.segment(node)} = {_show(value)}"
            for node, value in zip(operands, values, strict=True)
            if not _is_literal(node)
        )

    def _ifexp(self, node: ast.IfExp, scope: Scope, want: bool) -> str:
        test = _truth(self.ev.visit(node.test, scope))
        branch = node.body if test else node.orelse
        return f"{self.source.segment(node.test)} is {test}, so {self.why(branch, scope, want)}"

    def _quantifier(self, node: ast.Call, scope: Scope, want: bool) -> str:
        name = node.func.id  # type: ignore[attr-defined]
        gen = node.args[0]
        assert isinstance(gen, ast.GeneratorExp)
        if (name == "all") == want:  # a false all() or a true any(): show the deciding item
            for inner in self.ev.bindings(gen.generators, 0, scope):
                if _truth(self.ev.visit(gen.elt, inner)) != want:
                    verdict = "false" if want else "true"
                    where = self._binding(gen, inner)
                    return f"{name}(...) is {verdict} for {where}: {self.why(gen.elt, inner, want)}"
        count = sum(1 for _ in self.ev.bindings(gen.generators, 0, scope))
        items = "1 item" if count == 1 else f"{count} items"
        if want:
            return f"{name}(...) is false: none of its {items} holds"
        return f"{name}(...) is true: all of its {items} hold"

    def _binding(self, gen: ast.GeneratorExp, scope: Scope) -> str:
        names = [name for comp in gen.generators for name in _target_names(comp.target)]
        return ", ".join(f"{name} = {_show(scope[name], 40)}" for name in names)


# --- the public API ----------------------------------------------------------------------------------


class Invariant:
    """A parsed and checked invariant, ready to evaluate on :func:`kmodel.exprview.environment` values."""

    __slots__ = ("_source", "_tree", "text")

    def __init__(self, text: str, tree: ast.Expression, source: _Source) -> None:
        self.text = text
        self._tree = tree
        self._source = source

    def evaluate(self, env: Mapping[str, object], *, budget: int = STEP_BUDGET) -> bool:
        """Whether the invariant holds in ``env``; ExprError if it cannot be evaluated."""
        evaluator = _Evaluator(self._source, env, budget)
        return _guarded(lambda: _as_bool(evaluator.visit(self._tree.body, {})))

    def explain(self, env: Mapping[str, object], *, budget: int = STEP_BUDGET) -> str:
        """Why the invariant is false in ``env``, naming the values of its parts (or that it holds)."""
        evaluator = _Evaluator(self._source, env, budget)

        def run() -> str:
            if _as_bool(evaluator.visit(self._tree.body, {})):
                return f"{self.text} holds"
            evaluator.steps = budget  # the explanation re-evaluates parts: give it a budget of its own
            return _Explainer(evaluator).why(self._tree.body, {}, want=True)

        return _guarded(run)

    def __repr__(self) -> str:
        return f"Invariant({self.text!r})"


def compile_invariant(text: str, names: Iterable[str] = ()) -> Invariant:
    """Parse and check an invariant; ExprError (naming the column and a fix) if it is not allowed.
    ``names`` are extra names the expression may use besides the environment's (a fault rule's
    subject, :mod:`kmodel.faultrules`); the caller binds them in the environment it evaluates on."""
    if not isinstance(text, str):
        raise ExprError(f"an invariant must be a string, got {_type_name(text)}")
    if len(text) > MAX_TEXT:
        raise ExprError(
            f"the invariant is too long ({len(text)} characters; the limit is {MAX_TEXT})", fix="shorten it"
        )
    stripped = text.strip()
    if not stripped:
        raise ExprError("the invariant is empty", fix="write an expression such as len(pods) >= 1")
    source = _Source(stripped)
    tree = _parse(source)
    _guarded(lambda: _Checker(source).check(tree.body, frozenset(names), 1))
    return Invariant(stripped, tree, source)


def _as_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ExprError(
            f"the invariant must be a comparison or boolean, got {_type_name(value)}",
            fix="compare the value, e.g. len(pods) >= 1",
        )
    return value


def _guarded(run: Callable[[], _T]) -> _T:
    """Run ``run``, turning the interpreter's own limits into ExprError rather than tracebacks."""
    try:
        return run()
    except RecursionError:
        raise ExprError("the expression is nested too deeply to evaluate", fix="simplify it") from None
    except MemoryError:
        raise ExprError("the expression needs too much memory", fix="simplify it") from None
