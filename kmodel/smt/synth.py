"""Timing-parameter synthesis on the node-health slice (``kmodel synth``).

The question: for which values of some timing settings (``nodeMonitorGracePeriod``,
``nodeLeaseDurationSeconds``, ...) does a property of the node-health slice hold on every run
of at most ``max_depth`` actions from the settled scenario? The answer is a region of the
parameter grid, in words when a simple formula describes it exactly, and a violating
assignment just outside it with its run.

How it is computed (:func:`synthesize`):

1. **The grid.** Each parameter takes the values ``lo, lo + tick, ..., hi``. The tick (the
   model's time step) does *not* move with the parameters: it is the scenario's tick, written
   into the settings of every assignment (``tick: 5s``), so the clock advances by the same amount
   whatever the values. Ranges off that grid are refused (between two grid values the model
   could not tell the difference anyway: every time it compares is a multiple of the tick).
   ``nodeLeaseDurationSeconds`` is read through the kubelet's renew interval, a quarter of it,
   which must be a multiple of the tick: its values go in steps of 4 ticks, and formulas speak
   of ``nodeLeaseDurationSeconds / 4``. A setting no action of the slice reads (the kubelet's
   ``nodeStatusUpdateFrequency``: it posts its status when it changes) may be given too: its
   values settle the scenario like the others, and the answer says the region does not depend
   on it.
2. **The starting state of each assignment.** The checkers start from the state the scenario
   settles into, and settling depends on the timings (when the last heartbeat was, the
   controller's probe times, ...). So the scenario is settled once per grid point, with that
   point's settings, and frame 0 of the unrolling is tied to the parameters by a lookup: "when
   the parameters are this grid point, frame 0 is the state it settles into". The variables that
   no action of the slice ever changes from any of those states are folded into constants (the
   argument of :meth:`Slice.invariants`, for a set of starting states).
3. **The violating set.** The slice's transition relation (:meth:`Slice.compact`) is unrolled
   with the chosen settings as free Z3 integers (:meth:`Params.symbolic`). Depth by depth, Z3 is
   asked for a grid point that is not yet known to violate the property and a run that violates
   it at exactly that depth. Each point found is blocked, together with every other point for
   which *the same schedule of actions* violates the property at that depth too (a cheap query
   with the schedule fixed), until the depth has no such point left. After ``max_depth`` the
   blocked points are exactly the grid points with a violating run of at most ``max_depth``
   actions, each with the length of its shortest one; every other point is safe up to that
   depth (and no further claim is made: this is bounded model checking).
4. **The region in words** (:func:`fit_template`). Formulas are tried from the simplest: a bound
   on one parameter; ``a*X >= b*Y + c*Z + d`` with small integer coefficients; ``X >= Y rounded
   down (or up) to a multiple of Z, + d``. The first one that holds on every safe point and on no
   violating point is re-checked by Z3 (the formula, the ranges and a violation at any depth up
   to ``max_depth`` together are unsatisfiable) and reported. When none fits, the safe values of
   the first parameter are listed for every combination of the others.
5. **A violating assignment outside the region**, next to its boundary, with a shortest run,
   replayed on the Python model built with exactly those settings (as the bounded model checker
   replays its counterexamples: each step must be a Python transition of the action Z3 chose that
   reaches the frame Z3 found, or :class:`~kmodel.smt.bmc.EncodingBug` is raised), and the
   property re-checked in Python on the replayed run.

Properties: those of :data:`kmodel.smt.bmc.PROPERTIES`, and ``connected-node-never-unknown``
(defined here, Python definition and slice encoding side by side): the node lifecycle controller
never marks a node Unknown while its kubelet is running and connected -- the "flapping node"
question. In Kubernetes the node lifecycle controller takes a renewed Lease as a sign of life
(``tryUpdateNodeHealth`` in pkg/controller/nodelifecycle/node_lifecycle_controller.go moves its
probe timestamp when the Lease's renewTime is newer than the one it saw) and the kubelet renews
its Lease every ``0.25 x nodeLeaseDurationSeconds`` (pkg/kubelet/kubelet.go,
``renewIntervalFraction``), while it posts its status only when it changes; so the answer is
``nodeMonitorGracePeriod >= nodeLeaseDurationSeconds / 4`` (rounded down to a multiple of
``nodeMonitorPeriod`` when that is free too), whatever ``nodeStatusUpdateFrequency`` is.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import z3
from attrs import define, field, frozen

from kmodel.engines.base import ALWAYS, ALWAYS_TRANSITION, Stats, Trace
from kmodel.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VIOLATED, KmodelError
from kmodel.properties import to_property, transition_invariant
from kmodel.report import trace_json, trace_lines
from kmodel.scenario import Scenario, load
from kmodel.settings import SETTING_KEYS, Settings, SettingsError, format_duration, parse_duration
from kmodel.smt import bmc
from kmodel.smt.bmc import EncodingBug, SliceProperty
from kmodel.smt.nodehealth import (
    AND,
    NOT,
    OR,
    R_UNKNOWN,
    Params,
    Slice,
    SliceModel,
    View,
    _same,
    nk,
)
from kmodel.state import COND_UNKNOWN, Cluster, find

WHERE_PARAM = "--param"
WHERE_PROPERTY = "--property"
WHERE_DEPTH = "--max-depth"

# The settings that may be made free: camelCase name -> (Settings field, Params field: what the
# node-health slice reads, None for a setting it does not read). The others (rates, thresholds,
# the tick itself) cannot be made free here.
SYNTH_PARAMS: dict[str, tuple[str, str | None]] = {
    "nodeMonitorGracePeriod": ("node_monitor_grace_period", "monitor_grace"),
    "nodeLeaseDurationSeconds": ("node_lease_duration_seconds", "lease_renew_interval"),
    # the kubelet posts its status when it changes, not on this period: no action reads it
    "nodeStatusUpdateFrequency": ("node_status_update_frequency", None),
    "nodeMonitorPeriod": ("node_monitor_period", "monitor_period"),
    "defaultNotReadyTolerationSeconds": ("default_not_ready_toleration_seconds", "not_ready_toleration"),
    "defaultUnreachableTolerationSeconds": ("default_unreachable_toleration_seconds", "unreachable_toleration"),
    "leaderElectionRenewDeadline": ("leader_election_renew_deadline", "renew_deadline"),
}
_AT_LEAST_ONE = ("nodeStatusUpdateFrequency", "nodeMonitorPeriod", "nodeLeaseDurationSeconds")  # Settings refuses 0
# the slice reads these settings divided: nodeLeaseDurationSeconds through the kubelet's renew
# interval, a quarter of it (pkg/kubelet/kubelet.go, renewIntervalFraction 0.25)
DIVISORS = {"nodeLeaseDurationSeconds": 4}
MAX_POINTS = 5000

HELP = """\
Find the values of timing settings for which a property of the node-health slice holds.

Each --param NAME=LO..HI (repeatable) makes one setting free within that range: camelCase names
as in `kmodel settings`, durations like 10s or 2m, NAME=VALUE for a single value. Values go in
steps of the scenario's tick, which stays fixed for every assignment (LO and HI must be
multiples of it; nodeLeaseDurationSeconds in steps of 4 ticks, since the kubelet renews its Lease
every quarter of it). Z3 finds every combination of values for which some run of at most
--max-depth actions from the settled scenario violates --property; the report states the safe
region as a formula when a simple one fits it exactly (and Z3 confirms it), else as the safe
values per combination of the other parameters, and shows a violating assignment just outside
the region with its run, replayed on the model with those settings. Runs have no faults unless
--faults gives a budget.

Parameters: nodeMonitorGracePeriod, nodeLeaseDurationSeconds, nodeStatusUpdateFrequency (read by
no action of the slice: the answer says the region does not depend on it), nodeMonitorPeriod,
defaultNotReadyTolerationSeconds, defaultUnreachableTolerationSeconds,
leaderElectionRenewDeadline.

Properties: connected-node-never-unknown (a node whose kubelet runs and reaches the apiserver is
never marked Unknown), eviction-after-timeout, no-pod-terminating, no-eviction-from-ready-node.

Exit codes: 0 the region was found and is not empty, 1 no combination in the ranges is safe,
2 bad input, 3 inconclusive (--timeout stopped it; what was decided is reported).
"""


# --- the flapping-node property -------------------------------------------------------------------


def _lost_while_connected(before: Cluster, after: Cluster) -> list[str]:
    """Nodes the step turned Unknown while their kubelet was running and connected."""
    out = []
    for n in after.nodes:
        old = before.node(n.name)
        if old is not None and old.ready != COND_UNKNOWN and n.ready == COND_UNKNOWN and before.kubelet_connected(old):
            out.append(n.name)
    return out


def _explain_lost(before: Cluster, after: Cluster) -> str:
    names = _lost_while_connected(before, after)
    if not names:
        return "no connected node was marked Unknown"
    s = after.settings
    # (last heartbeat, last Lease renewal, when the controller last saw either change) -> nodes
    seen: dict[tuple[int | None, int | None, int | None], list[str]] = {}
    for name in names:
        node = before.node(name)
        record = find(before.memory.node_health, name)
        beat = node.last_heartbeat if node is not None else None
        lease = node.lease_renew_time if node is not None else None
        seen.setdefault((beat, lease, record.probe_time if record is not None else None), []).append(name)
    parts = []
    for (beat, lease, probe), who in seen.items():
        whose = f"{', '.join(who)}: " if len(seen) > 1 else ""
        text = "never posted" if beat is None else f"last heartbeat t={format_duration(beat)}"
        text += ", no Lease" if lease is None else f", Lease renewed at t={format_duration(lease)}"
        if probe is not None:
            text += (
                f", a change last seen by the node controller at t={format_duration(probe)}, "
                f"{format_duration(after.now - probe)} before"
            )
        parts.append(whose + text)
    kubelets = "its kubelet runs and reaches" if len(names) == 1 else "their kubelets run and reach"
    return (
        f"{', '.join(names)} marked Ready=Unknown at t={format_duration(after.now)} though {kubelets} the apiserver "
        f"({'; '.join(parts)}); nodeMonitorGracePeriod {format_duration(s.node_monitor_grace_period)}, "
        f"Lease renewed every {format_duration(s.lease_renew_interval)} (nodeLeaseDurationSeconds "
        f"{s.node_lease_duration_seconds} / 4), nodeMonitorPeriod {format_duration(s.node_monitor_period)}"
    )


@transition_invariant("connected-node-never-unknown", explain=_explain_lost)
def connected_node_never_unknown(before: Cluster, after: Cluster) -> bool:
    """The node lifecycle controller never sets Ready=Unknown on a node whose kubelet was running
    on a powered, unpartitioned machine with the apiserver reachable just before the step: a
    healthy node is never taken for lost (tainted unreachable, its pods marked not ready) only
    because its signs of life (Lease renewals, status posts) arrive late relative to the
    controller's passes. Meant for runs
    without node faults: a node cut off for longer than the grace period may rightly be marked
    Unknown in the tick it comes back, before its kubelet posts again."""
    return not _lost_while_connected(before, after)


def _holds_connected_never_unknown(sl: Slice, before: View | None, after: View) -> Any:
    assert before is not None
    bad = []
    for node in sl.nodes:
        n = node.name
        connected = AND(
            before[nk(n, "powered")],
            before[nk(n, "kubelet")],
            NOT(before[nk(n, "partitioned")]),
            sl.apiserver_available(before),
        )
        bad.append(AND(before[nk(n, "ready")] != R_UNKNOWN, after[nk(n, "ready")] == R_UNKNOWN, connected))
    return NOT(OR(*bad))


CONNECTED_NODE_NEVER_UNKNOWN = SliceProperty(
    "connected-node-never-unknown", ALWAYS_TRANSITION, connected_node_never_unknown, _holds_connected_never_unknown
)

# Every property synthesis knows: the one above and the bounded model checker's that live on the
# node-health slice (the timing parameters are symbolic there; the workload slice's are not yet)
PROPERTIES: dict[str, SliceProperty] = {
    CONNECTED_NODE_NEVER_UNKNOWN.name: CONNECTED_NODE_NEVER_UNKNOWN,
    **{name: p for name, p in bmc.PROPERTIES.items() if not p.workload},
}


# --- parameters -------------------------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_-]+)\s*=\s*(\S+?)\s*(?:\.\.\s*(\S+))?\s*$")


def _param_name(name: str) -> str:
    """The canonical camelCase name of a parameter (case and ``_``/``-`` forgiven)."""
    if name in SYNTH_PARAMS:
        return name
    squashed = name.replace("_", "").replace("-", "").lower()
    for k in SYNTH_PARAMS:
        if k.lower() == squashed:
            return k
    supported = ", ".join(SYNTH_PARAMS)
    if squashed in {k.lower() for k in SETTING_KEYS}:
        why = (
            "the tick stays fixed during synthesis (every value is on its grid)"
            if squashed == "tick"
            else "the node-health slice does not read it as a span of time"
        )
        raise KmodelError(f"{name} cannot be synthesized: {why}", where=WHERE_PARAM, fix=f"use one of: {supported}")
    raise KmodelError(f"unknown parameter {name!r}", where=WHERE_PARAM, fix=f"use one of: {supported}")


def _seconds(name: str, text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise KmodelError(f"{name}: {text!r}: {err}", where=WHERE_PARAM, fix=f"write e.g. {name}=10s..60s") from None


def _check_range(name: str, lo: int, hi: int) -> None:
    if lo > hi:
        raise KmodelError(
            f"{name}: empty range {format_duration(lo)}..{format_duration(hi)}",
            where=WHERE_PARAM,
            fix=f"give the smaller value first: {name}={format_duration(hi)}..{format_duration(lo)}",
        )
    if name in _AT_LEAST_ONE and lo < 1:
        raise KmodelError(f"{name} must be at least 1s", where=WHERE_PARAM, fix=f"start {name} at the tick or above")


def parse_param(text: str) -> tuple[str, int, int]:
    """``"nodeMonitorGracePeriod=10s..2m"`` -> ``("nodeMonitorGracePeriod", 10, 120)``.

    ``NAME=VALUE`` fixes the setting (lo = hi). Names are the camelCase settings of ``kmodel
    settings`` (case forgiven); durations as in scenario files (``50s``, ``2m``, ``1m30s``, or
    plain seconds). Raises :class:`KmodelError` with ``where="--param"`` and a fix. Whether the
    values are on the tick's grid is checked by :func:`synthesize`, which knows the scenario."""
    m = _ASSIGNMENT.match(text or "")
    if m is None:
        raise KmodelError(
            f"{text!r} is not NAME=LO..HI", where=WHERE_PARAM, fix="write e.g. nodeMonitorGracePeriod=10s..120s"
        )
    name = _param_name(m.group(1))
    lo = _seconds(name, m.group(2))
    hi = _seconds(name, m.group(3)) if m.group(3) is not None else lo
    _check_range(name, lo, hi)
    return name, lo, hi


@frozen
class ParamRange:
    """One free setting: its camelCase name and its values ``lo, lo + step, ..., hi``.
    ``divisor``: the slice reads the setting divided by it (4 for nodeLeaseDurationSeconds, read
    as the Lease renew interval); formulas speak of that quotient."""

    name: str
    lo: int
    hi: int
    step: int
    divisor: int = 1

    @property
    def field(self) -> str:
        return SYNTH_PARAMS[self.name][0]

    @property
    def param(self) -> str | None:
        """The :class:`Params` field the slice reads (None: no action reads the setting)."""
        return SYNTH_PARAMS[self.name][1]

    @property
    def term_name(self) -> str:
        """The parameter as formulas speak of it."""
        return self.name if self.divisor == 1 else f"{self.name} / {self.divisor}"

    def values(self) -> list[int]:
        return list(range(self.lo, self.hi + 1, self.step))

    def show(self) -> str:
        if self.lo == self.hi:
            return f"{self.name}={format_duration(self.lo)}"
        return f"{self.name}={format_duration(self.lo)}..{format_duration(self.hi)}"


def _ranges(params: dict[str, tuple[int, int]], tick: int) -> list[ParamRange]:
    if not params:
        raise KmodelError(
            "no parameter to synthesize", where=WHERE_PARAM, fix="give e.g. --param nodeMonitorGracePeriod=10s..120s"
        )
    out: list[ParamRange] = []
    for raw, (lo, hi) in params.items():
        name = _param_name(raw)
        _check_range(name, lo, hi)
        divisor = DIVISORS.get(name, 1)
        step = tick * divisor
        for v in (lo, hi):
            if v % step:
                down, up = v - v % step, v - v % step + step
                what = (
                    f"the tick ({format_duration(tick)}), which stays fixed during synthesis"
                    if divisor == 1
                    else f"{divisor} x the tick ({format_duration(step)}): the kubelet renews its Lease every "
                    f"{name} / {divisor}, which must be a multiple of the tick ({format_duration(tick)}), fixed "
                    "during synthesis"
                )
                raise KmodelError(
                    f"{name}: {format_duration(v)} is not a multiple of {what}",
                    where=WHERE_PARAM,
                    fix=f"use {format_duration(down) if down else format_duration(up)}"
                    + (f" or {format_duration(up)}" if down else ""),
                )
        if any(r.name == name for r in out):
            raise KmodelError(f"{name} is given twice", where=WHERE_PARAM, fix="give each parameter once")
        out.append(ParamRange(name, lo, hi, step, divisor))
    return out


Point = tuple[int, ...]  # one value per ParamRange, in their order


# --- formulas for the region ---------------------------------------------------------------------------


@frozen
class Term:
    """``coef * X``, or with ``by``: ``coef * (X rounded down / up to a multiple of Y)``."""

    coef: int
    index: int  # X
    by: int | None = None  # Y
    up: bool = False

    def value(self, p: Point) -> int:
        x = p[self.index]
        if self.by is None:
            return self.coef * x
        y = p[self.by]
        return self.coef * y * (-(-x // y) if self.up else x // y)


@frozen
class Template:
    """The formula ``sum(terms) >= bound`` over the parameters, and its text. Points are the
    settings' values; ``divisors`` says by what each is divided where the formula reads it."""

    terms: tuple[Term, ...]
    bound: int
    text: str
    family: str  # "bound", "linear" or "rounded"
    divisors: tuple[int, ...] = ()

    def holds(self, p: Point) -> bool:
        return self.lhs(p) >= self.bound

    def lhs(self, p: Point) -> int:
        q = _units(p, self.divisors)
        return sum(t.value(q) for t in self.terms)

    def formula(self, xs: Sequence[Any], grids: Sequence[Sequence[int]]) -> Any:
        """The formula over the Z3 parameters ``xs`` (in the units the formula reads: a setting
        divided by its divisor) with ``grids`` their values in those units. Rounding to a
        multiple of a parameter is spelled out over that parameter's grid values, so every
        division is by a constant."""
        rounded = {t.by for t in self.terms if t.by is not None}
        if not rounded:
            return z3.Sum(*[t.coef * xs[t.index] for t in self.terms]) >= self.bound
        (j,) = rounded
        cases = []
        for y in grids[j]:
            total = []
            for t in self.terms:
                x = xs[t.index]
                if t.by is None:
                    total.append(t.coef * x)
                else:
                    total.append(t.coef * y * (((x + (y - 1)) if t.up else x) / y))
            cases.append(z3.And(xs[j] == y, z3.Sum(*total) >= self.bound))
        return z3.Or(*cases)


def _units(p: Point, divisors: Sequence[int]) -> Point:
    """A point's values as the slice reads them (each setting divided by its divisor)."""
    if not divisors:
        return p
    return tuple(v // d for v, d in zip(p, divisors, strict=True))


def _words(terms: Sequence[Term], bound: int, names: Sequence[str]) -> str:
    """``sum(terms) >= bound`` in words: positive terms on the left, the others moved right."""

    def what(t: Term) -> str:
        if t.by is None:
            return names[t.index]
        return f"({names[t.index]} rounded {'up' if t.up else 'down'} to a multiple of {names[t.by]})"

    def side(parts: list[tuple[int, str]], const: int) -> str:
        words = [w if c == 1 else f"{c} * {w}" for c, w in parts]
        if not words:
            return ("-" if const < 0 else "") + format_duration(abs(const))
        text = " + ".join(words)
        if const:
            text += f" {'+' if const > 0 else '-'} {format_duration(abs(const))}"
        return text

    left = [(t.coef, what(t)) for t in terms if t.coef > 0]
    right = [(-t.coef, what(t)) for t in terms if t.coef < 0]
    if not left:  # -a*X >= d  reads  a*X <= -d
        return f"{side(right, 0)} <= {side([], -bound)}"
    return f"{side(left, 0)} >= {side(right, bound)}"


def _threshold(low: int, high: int, tick: int) -> int:
    """The simplest bound ``d`` with ``low < d <= high`` (``low < high``, both multiples of the
    tick): 0 when it qualifies, else the qualifying multiple of the tick nearest to 0."""
    if low < 0 <= high:
        return 0
    if low >= 0:
        return low + tick
    return high


def _left_sides(dims: list[int]) -> Iterable[tuple[str, tuple[Term, ...]]]:
    """Left-hand sides to try, simplest first (``dims``: the parameters with several values)."""
    for i in dims:
        for c in (1, -1):
            yield "bound", (Term(c, i),)
    for size in (1, 2, 3):  # the largest coefficient
        for k in (2, 3):  # how many parameters
            for idx in itertools.combinations(dims, k):
                for coefs in itertools.product(range(-size, size + 1), repeat=k):
                    if 0 in coefs or max(abs(c) for c in coefs) != size or math.gcd(*coefs) != 1:
                        continue
                    yield "linear", tuple(Term(c, i) for c, i in zip(coefs, idx, strict=True))
    if len(dims) >= 3:
        for x, y, z in itertools.permutations(dims, 3):
            for up in (False, True):
                for sign in (1, -1):
                    yield "rounded", (Term(sign, x), Term(-sign, y, by=z, up=up))


def fit_template(
    safe: Iterable[Point], violating: Iterable[Point], ranges: Sequence[ParamRange], tick: int
) -> Template | None:
    """The simplest formula (see :func:`_left_sides`) true at every safe point and false at
    every violating one, or None. Both sets must be non-empty."""
    divisors = tuple(r.divisor for r in ranges)
    safe = [_units(p, divisors) for p in safe]
    violating = [_units(p, divisors) for p in violating]
    names = [r.term_name for r in ranges]
    dims = [i for i, r in enumerate(ranges) if r.lo != r.hi]
    for family, terms in _left_sides(dims):
        worst_bad = max(sum(t.value(p) for t in terms) for p in violating)
        least_safe = min(sum(t.value(p) for t in terms) for p in safe)
        if worst_bad < least_safe:
            bound = _threshold(worst_bad, least_safe, tick)
            return Template(terms, bound, _words(terms, bound, names), family, divisors)
    return None


# --- results ------------------------------------------------------------------------------------------


@frozen
class Example:
    """A violating assignment with a shortest violating run, replayed on the Python model."""

    assignment: dict[str, int]
    depth: int
    trace: Trace
    why: str


@define
class SynthResult:
    """What :func:`synthesize` found. ``safe_points`` / ``violating_points`` are assignments
    (camelCase name -> seconds); ``depths`` gives, per violating point (values in the order of
    ``ranges``), the length of its shortest violating run."""

    scenario: str
    property: str
    ranges: list[ParamRange]
    tick: int
    max_depth: int
    faults: tuple[tuple[str, int], ...]
    complete: bool  # False: the timeout stopped the search
    depth_done: int  # deepest depth searched completely (-1: none)
    safe_points: list[dict[str, int]]
    violating_points: list[dict[str, int]]
    depths: dict[Point, int]
    template: Template | None
    region_text: str
    example: Example | None
    stats: Stats
    verified: bool = False  # Z3 confirmed the template
    message: str = ""
    exit_code: int = EXIT_OK
    timings: dict[str, float] = field(factory=dict)
    # the parameters with several values that do not move the boundary (e.g.
    # nodeStatusUpdateFrequency, which no action of the slice reads)
    independent: list[str] = field(factory=list)

    def to_json(self) -> dict[str, Any]:
        ex = self.example
        return {
            "scenario": self.scenario,
            "property": self.property,
            "parameters": [{"name": r.name, "lo": r.lo, "hi": r.hi} for r in self.ranges],
            "tick": self.tick,
            "maxDepth": self.max_depth,
            "complete": self.complete,
            "depthDone": self.depth_done,
            "region": self.region_text,
            "formula": self.template.text if self.template is not None else None,
            "verified": self.verified,
            "independentOf": self.independent,
            "safe": self.safe_points,
            "violating": [
                {**dict(zip([r.name for r in self.ranges], p, strict=True)), "depth": d} for p, d in self.depths.items()
            ],
            "example": None
            if ex is None
            else {"assignment": ex.assignment, "depth": ex.depth, "why": ex.why, "trace": trace_json(ex.trace)},
            "seconds": round(self.stats.seconds, 3),
        }


Progress = Callable[[str], None]  # one line saying where the search is


# --- the search --------------------------------------------------------------------------------------


class _Timeout(Exception):
    pass


def _common_invariants(sl: Slice, starts: Sequence[dict[str, int | bool]]) -> dict[str, int | bool]:
    """Variables that keep one value in every state reachable from any of ``starts``: begin with
    those on which all starting states agree, and drop every variable some action (with a guard
    that does not fold to false) may write, until nothing is dropped. Then no step from a state
    that has those values can change them, and by induction no run can. (:meth:`Slice.invariants`
    is this for the one settled state; it takes no other starting states.)"""
    first = starts[0]
    fixed = {v: x for v, x in first.items() if all(s[v] == x for s in starts[1:])}
    while True:
        c = sl.frame("inv", fixed).vars
        written: set[str] = set()
        for guard, nx in sl.steps(c).values():
            if guard is not False:
                written |= {v for v in fixed if not _same(nx[v], c[v])}
        if not written:
            return fixed
        fixed = {v: x for v, x in fixed.items() if v not in written}


class _Search(bmc.Unrolling):
    """The symbolic slice, the grid with the settled state of each point, and the unrolling of
    the slice (one incremental solver holding frames 0..k) with frame 0 tied to the grid."""

    def __init__(
        self,
        scenario: Scenario,
        prop: SliceProperty,
        ranges: list[ParamRange],
        tick: int,
        faults: tuple[tuple[str, int], ...],
        deadline: float | None,
        progress: Progress | None,
    ) -> None:
        self.scenario = scenario
        self.prop = prop
        self.ranges = ranges
        self.tick = tick
        self.faults = faults
        self.base = attrs.evolve(scenario.settings, tick=tick)
        params = Params.from_settings(self.base).symbolic(*[r.param for r in ranges if r.param is not None])
        self.slice = Slice(self._model(self.base), params=params)
        # each parameter as the slice reads it (a setting no action reads gets a variable of
        # its own, tied to the grid by the starting-state lookup only)
        self.xs = [getattr(params, r.param) if r.param is not None else z3.Int(f"param.{r.name}") for r in ranges]
        self.grids = [r.values() for r in ranges]
        self.unit_grids = [[v // r.divisor for v in r.values()] for r in ranges]
        self.points: list[Point] = list(itertools.product(*self.grids))
        self.starts: dict[Point, dict[str, int | bool]] = {}
        for i, p in enumerate(self.points):
            if deadline is not None and time.monotonic() > deadline:
                raise _Timeout
            self.starts[p] = self._start(p)
            if progress is not None and (i + 1) % 50 == 0:
                progress(f"settling the scenario for each assignment: {i + 1:,}/{len(self.points):,}")
        super().__init__(self.slice, _common_invariants(self.slice, list(self.starts.values())), init=False)
        self.literals: dict[int, z3.BoolRef] = {}
        self.enumerating = z3.Bool("synth.enumerating")  # switches the blocking clauses on
        self._start_lookup()
        self.bad: list[Any] = [self.violation(prop, 0)]  # per depth: the property fails there

    # -- grid points ----------------------------------------------------------------------------------

    def _model(self, settings: Settings) -> SliceModel:
        return SliceModel(attrs.evolve(self.scenario, settings=settings), faults=self.faults)

    def settings_at(self, p: Point) -> Settings:
        try:
            return attrs.evolve(self.base, **{r.field: v for r, v in zip(self.ranges, p, strict=True)})
        except SettingsError as err:
            raise KmodelError(str(err), where=WHERE_PARAM, fix="narrow the range") from None

    def concrete(self, p: Point) -> Slice:
        """The concrete slice of the scenario with ``p``'s settings."""
        return Slice(self._model(self.settings_at(p)))

    def _start(self, p: Point) -> dict[str, int | bool]:
        sl = self.concrete(p)
        if sl.schema != self.slice.schema:
            raise KmodelError(
                f"with {self.text(p)} the scenario settles with other nodes or pods than with its own settings",
                where=WHERE_PARAM,
                fix="narrow the ranges",
            )
        return sl.project(sl.init_state)

    def is_point(self, p: Point) -> Any:
        return z3.And(*[x == v // r.divisor for x, v, r in zip(self.xs, p, self.ranges, strict=True)])

    def assignment(self, p: Point) -> dict[str, int]:
        return {r.name: v for r, v in zip(self.ranges, p, strict=True)}

    def text(self, p: Point) -> str:
        return ", ".join(f"{r.name}={format_duration(v)}" for r, v in zip(self.ranges, p, strict=True))

    def _start_lookup(self) -> None:
        """Frame 0 is the settled state of whichever grid point the parameters are (which also
        confines the parameters to the grid)."""
        s0 = self.frames[0]
        free = [v for v in self.slice.schema if v not in self.fixed]
        groups: dict[tuple[Any, ...], list[Point]] = {}
        for p, start in self.starts.items():
            groups.setdefault(tuple(start[v] for v in free), []).append(p)
        choices = []
        for i, (values, pts) in enumerate(groups.items()):
            b = z3.Bool(f"synth.start[{i}]")
            choices.append(b)
            self.solver.add(b == z3.Or(*[self.is_point(p) for p in pts]))
            self.solver.add(z3.Implies(b, z3.And(*[s0[v] == x for v, x in zip(free, values, strict=True)])))
        self.solver.add(z3.Or(*choices))
        self.start_groups = len(groups)

    # -- unrolling ------------------------------------------------------------------------------------------

    def extend(self) -> None:
        super().extend()
        self.bad.append(self.violation(self.prop, len(self.frames) - 1))

    def violation_at(self, k: int) -> z3.BoolRef | None:
        """A literal that, assumed, asks for a violation at depth ``k`` (None: impossible)."""
        bad = self.bad[k]
        if bad is False:
            return None
        if k not in self.literals:
            self.literals[k] = z3.Bool(f"synth.violation[{k}]")
            self.solver.add(z3.Implies(self.literals[k], bad))
        return self.literals[k]

    def check(self, *assumptions: Any, deadline: float | None) -> z3.CheckSatResult:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return z3.unknown
            self.solver.set("timeout", max(1, int(left * 1000)))
        return self.solver.check(*assumptions)

    def point_of(self, m: z3.ModelRef) -> Point:
        return tuple(
            m.eval(x, model_completion=True).as_long() * r.divisor for x, r in zip(self.xs, self.ranges, strict=True)
        )

    def schedule(self, m: z3.ModelRef, depth: int) -> list[z3.BoolRef]:
        """The actions the model takes in its first ``depth`` steps, as selector literals."""
        return [
            sel
            for k in range(depth)
            for sel in self.selectors[k].values()
            if z3.is_true(m.eval(sel, model_completion=True))
        ]

    def block(self, p: Point) -> None:
        self.solver.add(z3.Implies(self.enumerating, z3.Not(self.is_point(p))))

    def violations_at(self, k: int, deadline: float | None) -> tuple[list[Point], int, bool]:
        """Every grid point not blocked yet with a violation at depth ``k``, each blocked once
        found: (points, schedules used, finished without hitting the deadline)."""
        lit = self.violation_at(k)
        if lit is None:
            return [], 0, True
        found: list[Point] = []
        schedules = 0
        while True:
            r = self.check(self.enumerating, lit, deadline=deadline)
            if r != z3.sat:
                return found, schedules, r == z3.unsat
            m = self.solver.model()
            batch = [self.point_of(m)]
            schedules += 1
            # the other points that this very schedule takes to a violation at depth k
            self.solver.push()
            self.solver.add(*self.schedule(m, k))
            self.solver.add(z3.Not(self.is_point(batch[0])))
            while True:
                r = self.check(self.enumerating, lit, deadline=deadline)
                if r != z3.sat:
                    break
                q = self.point_of(self.solver.model())
                batch.append(q)
                self.solver.add(z3.Not(self.is_point(q)))
            self.solver.pop()
            for q in batch:
                self.block(q)
            found += batch
            if r == z3.unknown:
                return found, schedules, False

    def run_at(self, p: Point, depth: int, deadline: float | None) -> z3.ModelRef | None:
        """A model of a run of grid point ``p`` violating the property at ``depth``."""
        lit = self.violation_at(depth)
        assert lit is not None
        self.solver.push()
        self.solver.add(self.is_point(p))
        try:
            r = self.check(lit, deadline=deadline)
            return self.solver.model() if r == z3.sat else None
        finally:
            self.solver.pop()

    def confirm(self, template: Template, depth: int, deadline: float | None) -> bool:
        """Z3: no grid point satisfying ``template`` violates the property at any depth up to
        ``depth``. The blocking clauses do not count here (their switch is not assumed)."""
        bads = [b for b in self.bad[: depth + 1] if b is not False]
        if not bads:
            return True
        self.solver.push()
        self.solver.add(template.formula(self.xs, self.unit_grids), z3.Or(*bads))
        try:
            r = self.check(deadline=deadline)
        finally:
            self.solver.pop()
        if r == z3.sat:
            raise EncodingBug(f"synthesis bug: {template.text} admits a violation that the search missed")
        return r == z3.unsat

    # -- replay ------------------------------------------------------------------------------------------------

    def replay(self, p: Point, m: z3.ModelRef, depth: int) -> tuple[Trace, str]:
        """Z3's run for ``p`` as steps of the Python model with ``p``'s settings, and why the
        property fails at its end; :class:`EncodingBug` when the two disagree."""
        trace = bmc.replay(self.concrete(p), self, m, depth, where=self.text(p))
        python = to_property(self.prop.python, self.settings_at(p))
        bmc.confirm(python, self.prop, trace, where=self.text(p))
        last = trace.steps[-1].state
        args = (last,) if self.prop.kind == ALWAYS else (trace.steps[-2].state, last)
        try:
            why = python.explain(*args) if python.explain is not None else ""
        except Exception as err:  # an explanation must never hide the result
            why = f"(could not explain: {err})"
        return trace, str(why)


# --- the entry point -------------------------------------------------------------------------------------


def synthesize(
    scenario_path: str | Path | Scenario,
    property: str,
    params: dict[str, tuple[int, int]],
    *,
    max_depth: int,
    faults: tuple[tuple[str, int], ...] = (),
    timeout: float | None = None,
    progress: Progress | None = None,
    tick: int | None = None,
    max_points: int = MAX_POINTS,
) -> SynthResult:
    """The region of ``params`` (camelCase setting -> (lo, hi) in seconds) in which ``property``
    (a key of :data:`PROPERTIES`) holds on every run of at most ``max_depth`` actions of the
    node-health slice of the scenario, from its settled state, under the fault budget
    ``faults`` (default: none).

    ``tick``: the fixed time step (default: the scenario's); every range must be on its grid.
    ``timeout`` (seconds, wall clock) makes the result inconclusive (exit code 3) when reached.
    ``progress`` receives one line of status now and then. Raises :class:`KmodelError` on bad
    input (``where`` is ``"--param"``, ``"--property"`` or ``"--max-depth"``) and
    :class:`~kmodel.smt.bmc.EncodingBug` when Z3 and the Python model disagree."""
    start = time.monotonic()
    deadline = start + timeout if timeout is not None else None
    prop = PROPERTIES.get(property)
    if prop is None:
        raise KmodelError(
            f"property {property!r} is not encoded in the node-health slice",
            where=WHERE_PROPERTY,
            fix=f"use one of: {', '.join(PROPERTIES)}",
        )
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0:
        raise KmodelError(f"max depth {max_depth!r} is not a number of actions", where=WHERE_DEPTH, fix="give e.g. 20")
    scenario = scenario_path if isinstance(scenario_path, Scenario) else load(scenario_path)
    tick = tick if tick is not None else scenario.settings.step
    ranges = _ranges(params, tick)
    size = math.prod(len(r.values()) for r in ranges)
    if size > max_points:
        raise KmodelError(
            f"{size:,} combinations of values are more than {max_points:,}",
            where=WHERE_PARAM,
            fix="narrow the ranges or fix some parameters to one value",
        )
    timings: dict[str, float] = {}
    try:
        search = _Search(scenario, prop, ranges, tick, faults, deadline, progress)
    except _Timeout:
        return _unfinished(scenario, prop, ranges, tick, max_depth, faults, time.monotonic() - start)
    timings["settle"] = time.monotonic() - start
    stats = Stats()
    depths: dict[Point, int] = {}
    complete = True
    done = -1
    for k in range(max_depth + 1):
        if k > 0:
            search.extend()
        found, schedules, finished = search.violations_at(k, deadline)
        for p in found:
            depths[p] = k
        stats.examples += schedules
        stats.states = len(depths)
        if not finished:
            complete = False
            stats.limit = f"timeout {timeout:g}s" if timeout is not None else search.solver.reason_unknown()
            break
        done = stats.depth = k
        if progress is not None:
            progress(
                f"depth {k}/{max_depth}: {len(depths):,} violating combination(s) of {size:,}, "
                f"{time.monotonic() - start:.1f}s"
            )
    timings["search"] = time.monotonic() - start - timings["settle"]
    stats.transitions = done  # unrolled and searched completely
    result = _conclude(search, depths, complete, done, max_depth, stats, timings, deadline)
    result.stats.seconds = time.monotonic() - start
    result.message = _message(result, len(search.points))
    return result


def _unfinished(
    scenario: Scenario,
    prop: SliceProperty,
    ranges: list[ParamRange],
    tick: int,
    max_depth: int,
    faults: tuple[tuple[str, int], ...],
    seconds: float,
) -> SynthResult:
    """The timeout struck while the scenario was being settled: nothing is decided."""
    stats = Stats(seconds=seconds, limit="timeout")
    r = SynthResult(
        _scenario_name(scenario), prop.name, ranges, tick, max_depth, faults, False, -1, [], [], {}, None,
        "nothing decided", None, stats, exit_code=EXIT_INCONCLUSIVE,
    )  # fmt: skip
    r.message = _message(r, math.prod(len(x.values()) for x in ranges))
    return r


def _scenario_name(scenario: Scenario) -> str:
    return Path(scenario.path).name if scenario.path else scenario.name


def _pick_example(search: _Search, violating: dict[Point, int], safe: set[Point], template: Template | None) -> Point:
    """A violating point right next to the region: the one closest to the formula's boundary,
    or else one next to a safe point; then the longest of those shortest runs (it shows the most
    of the timing), then the smallest values."""
    pts = sorted(violating)
    if template is not None:
        return max(pts, key=lambda p: (template.lhs(p), violating[p], tuple(-v for v in p)))

    def next_to_safe(p: Point) -> bool:
        for i, r in enumerate(search.ranges):
            for d in (-r.step, r.step):
                q = list(p)
                q[i] += d
                if tuple(q) in safe:
                    return True
        return False

    return max(pts, key=lambda p: (next_to_safe(p), violating[p], tuple(-v for v in p)))


def _spans(values: list[int], step: int) -> str:
    """``[10, 15, 20, 40]`` on a 5 s grid -> ``10s..20s, 40s``."""
    if not values:
        return "none"
    parts = []
    lo = prev = values[0]
    for v in values[1:]:
        if v != prev + step:
            parts.append((lo, prev))
            lo = v
        prev = v
    parts.append((lo, prev))
    return ", ".join(format_duration(a) if a == b else f"{format_duration(a)}..{format_duration(b)}" for a, b in parts)


def _per_combination(search: _Search, safe: set[Point]) -> list[str]:
    """The safe values of the first parameter with several values, for each combination of
    values of the others."""
    ranges = search.ranges
    axis = next((i for i, r in enumerate(ranges) if r.lo != r.hi), 0)
    others = [i for i in range(len(ranges)) if i != axis]
    lines = []
    for combo in itertools.product(*[search.grids[i] for i in others]):
        vals = []
        for v in search.grids[axis]:
            p = list(combo)
            p.insert(axis, v)
            if tuple(p) in safe:
                vals.append(v)
        label = ", ".join(f"{ranges[i].name}={format_duration(c)}" for i, c in zip(others, combo, strict=True))
        lines.append(f"{label + ': ' if label else ''}{ranges[axis].name} in {_spans(vals, ranges[axis].step)}")
    return lines


def _independent(ranges: Sequence[ParamRange], points: Sequence[Point], safe: set[Point]) -> list[str]:
    """The parameters with several values on which the region does not depend: changing the
    value of one alone never moves a point across the boundary."""
    out = []
    for i, r in enumerate(ranges):
        if r.lo == r.hi:
            continue
        rows: dict[Point, set[bool]] = {}
        for p in points:
            rows.setdefault(p[:i] + p[i + 1 :], set()).add(p in safe)
        if all(len(v) == 1 for v in rows.values()):
            out.append(r.name)
    return out


def _conclude(
    search: _Search,
    depths: dict[Point, int],
    complete: bool,
    done: int,
    max_depth: int,
    stats: Stats,
    timings: dict[str, float],
    deadline: float | None,
) -> SynthResult:
    bound = max_depth if complete else done
    violating = {p: d for p, d in depths.items() if d <= bound}
    safe = {p for p in search.points if p not in violating}
    template = fit_template(sorted(safe), sorted(violating), search.ranges, search.tick) if violating and safe else None
    independent = _independent(search.ranges, search.points, safe) if done >= 0 else []
    t0 = time.monotonic()
    verified = template is not None and complete and search.confirm(template, max_depth, deadline)
    timings["confirm"] = time.monotonic() - t0
    t0 = time.monotonic()
    example = None
    if violating:
        p = _pick_example(search, violating, safe, template)
        m = search.run_at(p, violating[p], deadline)
        if m is not None:
            trace, why = search.replay(p, m, violating[p])
            example = Example(search.assignment(p), violating[p], trace, why)
    timings["example"] = time.monotonic() - t0
    if done < 0:
        region = "nothing decided"
    elif not violating:
        region = "every combination in the ranges"
    elif not safe:
        region = "no combination in the ranges"
    elif template is not None:
        region = template.text
    else:
        region = "no simple formula fits; the safe values per combination of the others:\n" + "\n".join(
            "  " + line for line in _per_combination(search, safe)
        )
    if not complete:
        exit_code = EXIT_INCONCLUSIVE
    else:
        exit_code = EXIT_OK if safe else EXIT_VIOLATED
    return SynthResult(
        scenario=_scenario_name(search.scenario),
        property=search.prop.name,
        ranges=search.ranges,
        tick=search.tick,
        max_depth=max_depth,
        faults=search.faults,
        complete=complete,
        depth_done=done,
        safe_points=[search.assignment(p) for p in sorted(safe)] if done >= 0 else [],
        violating_points=[search.assignment(p) for p in sorted(violating)],
        depths=dict(sorted(violating.items())),
        template=template,
        region_text=region,
        example=example,
        stats=stats,
        verified=verified,
        exit_code=exit_code,
        timings=timings,
        independent=independent,
    )


def _message(r: SynthResult, size: int) -> str:
    faults = ", ".join(f"{k} x{c}" for k, c in r.faults if c > 0) or "none"
    lines = [
        f"kmodel synth {r.scenario}: {r.property}, runs of at most {r.max_depth} action(s) from the settled state",
        f"parameters: {', '.join(x.show() for x in r.ranges)} ({size:,} combination(s))",
        f"tick fixed at {format_duration(r.tick)} for every combination (values are multiples of it); faults: {faults}",
    ]
    for x in r.ranges:
        if x.divisor != 1:
            lines.append(
                f"{x.name} in steps of {x.divisor} ticks: the kubelet renews its Lease every {x.term_name}, "
                "a multiple of the tick"
            )
    lines += [
        "",
    ]
    bound = r.max_depth if r.complete else r.depth_done
    if not r.complete:
        if r.depth_done < 0:
            lines.append(f"inconclusive: stopped ({r.stats.limit}) before any depth was searched")
        else:
            lines.append(
                f"inconclusive: stopped at depth {r.depth_done + 1} ({r.stats.limit}); what follows holds up to "
                f"depth {bound} only"
            )
    n_safe, n_bad = len(r.safe_points), len(r.violating_points)
    if r.depth_done >= 0:
        if not n_bad:
            lines.append(f"holds up to depth {bound} (bounded) for {r.region_text}")
        elif not n_safe:
            lines.append(f"violated within depth {bound} for every combination in the ranges: none is safe")
        elif r.template is None:
            lines.append(
                f"holds up to depth {bound} (bounded) for {n_safe:,} of {size:,} combination(s); {r.region_text}"
            )
        else:
            lines.append(f"holds up to depth {bound} (bounded) exactly where {r.region_text}")
            lines.append(f"  {n_safe:,} safe and {n_bad:,} violating combination(s)")
            if r.template is not None and r.verified:
                lines.append(
                    "  the formula matches every combination; Z3 confirms that no combination satisfying it has a "
                    f"violating run of at most {r.max_depth} action(s)"
                )
            elif r.template is not None:
                lines.append("  the formula matches every combination (not confirmed by Z3: the search was stopped)")
    if r.independent and n_safe and n_bad:
        unread = [x.name for x in r.ranges if x.name in r.independent and x.param is None]
        lines.append(
            f"  the region does not depend on {', '.join(r.independent)}"
            + (f" ({', '.join(unread)}: read by no action of the slice)" if unread else "")
        )
    if r.example is not None:
        ex = r.example
        assign = ", ".join(f"{k}={format_duration(v)}" for k, v in ex.assignment.items())
        lines.append("")
        lines.append(
            f"violating {'assignment outside the region' if n_safe else 'assignment'}: {assign}: a run of "
            f"{ex.depth} action(s), replayed on the model with these settings"
        )
        if ex.why:
            lines.append(f"  why: {ex.why}")
        lines.extend(trace_lines(ex.trace, quiet=False))
    t = r.timings
    lines.append("")
    lines.append(
        f"{r.stats.seconds:.1f}s: settling {size:,} combination(s) {t.get('settle', 0):.1f}s, Z3 search "
        f"{t.get('search', 0):.1f}s ({r.stats.examples} violating schedule(s)), confirming the formula "
        f"{t.get('confirm', 0):.1f}s, example {t.get('example', 0):.1f}s"
    )
    return "\n".join(lines) + "\n"
