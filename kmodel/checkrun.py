"""``kmodel check`` without the command line: choose properties, build the model, run engines.

The command line, the pytest plugin and the tests all go through :func:`run_check`, so they
agree on defaults: every built-in property when none is named, the scenario's fault budget (or
the checker's default for a file that declares none), and the explorer as the engine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from attrs import define, field

from kmodel import limits
from kmodel import properties as props_mod
from kmodel.checkmodel import DEFAULT_FAULTS, KubeModel, cluster_of
from kmodel.engines.base import ALWAYS, EVENTUALLY, HOLDS, INCONCLUSIVE, VIOLATED, Property, Result, Stats
from kmodel.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VIOLATED, KmodelError, shown
from kmodel.expr import ExprError, compile_invariant
from kmodel.exprview import environment
from kmodel.inputfile import read_bytes
from kmodel.scenario import FAULT_KINDS, Scenario, load

ENGINES = ("explore", "hypothesis", "smt", "all")
SMT_DEFAULT_DEPTH = 20  # BMC unrolling when --max-depth is not given
DEFAULT_MAX_STATES = 500_000
EXPLORER_FAMILIES = ["kubelet", "scheduler", "replicaset", "deployment", "nodelifecycle", "tainteviction", "clock"]

Progress = Callable[[str, str, Stats, int], None]  # (engine, property, stats, queue length)


@define
class CheckOptions:
    engine: str = "explore"
    faults: tuple[tuple[str, int], ...] | None = None  # None: the scenario's budget or the default
    max_states: int = DEFAULT_MAX_STATES
    max_depth: int | None = None
    timeout: float | None = None
    seed: int | None = None
    profile: str = "ci"
    database: str | None = None
    symmetry: bool = True
    settle: bool = True  # start from the state the scenario settles into, not from t=0
    pod_slots: int | None = None  # smt, workload slice: new pods per ReplicaSet (None: the default)
    smt_slice: str = "auto"  # smt: auto, workload or node-health (kmodel.smt.bmc.python_model)
    allow_unmodelled: bool = False  # leave out unmodelled fields (recorded as warnings) instead of refusing
    # when the whole run must end (time.monotonic()); None: ``timeout`` seconds from the start of execute
    deadline: float | None = None
    workers: int = 1  # explore: processes sharing the search; hypothesis: a swarm of searches
    cluster: str | None = None  # explore on a Dask cluster: "local" or a scheduler address
    node_symmetry: bool = False  # explorer: merge states differing by a permutation of interchangeable nodes
    node_orders: bool | None = None  # explorer: every order of the node lifecycle walk (default: with node_symmetry)
    por: bool = False  # explorer: sleep sets (kmodel.sleepsets; state invariants only, same answers)


@define
class CheckRun:
    scenario: Scenario
    model: KubeModel
    properties: list[Property]
    results: list[Result] = field(factory=list)
    # --engine smt with --invariant: the slice the invariants were translated for, and their
    # encodings (kmodel.smt.bmc.SliceProperty) by property name
    smt_slice: Any = None
    smt_encodings: dict[str, Any] = field(factory=dict)
    # --engine smt choosing every built-in: those it has no encoding of (named in each verdict)
    smt_skipped: list[str] = field(factory=list)

    @property
    def exit_code(self) -> int:
        verdicts = {r.verdict for r in self.results}
        if VIOLATED in verdicts:
            return EXIT_VIOLATED
        if INCONCLUSIVE in verdicts:
            return EXIT_INCONCLUSIVE
        return EXIT_OK

    def explanations(self) -> dict[int, str]:
        """Why each counterexample breaks its property, by the index of its result."""
        return {i: e for i, r in enumerate(self.results) if (e := self.explanation(r)) is not None}

    def explanation(self, result: Result) -> str | None:
        """Why the last state (or step) of a counterexample breaks the property, in words."""
        if result.trace is None:
            return None
        prop = next((p for p in self.properties if p.name == result.property), None)
        if prop is None or prop.explain is None:
            return None
        steps = result.trace.steps
        try:
            if prop.transition is not None and len(steps) >= 2:
                return str(prop.explain(steps[-2].state, steps[-1].state))
            return str(prop.explain(steps[-1].state))
        except Exception as err:  # an explanation must never hide the verdict
            return f"(could not explain: {err})"


def parse_faults(text: str) -> tuple[tuple[str, int], ...]:
    """``powerOffNode=1,stopComponent=1`` (or ``none``) -> a fault budget."""
    if text.strip().lower() in ("none", "0", ""):
        return ()
    out: dict[str, int] = {}
    for part in text.split(","):
        kind, sep, count = part.strip().partition("=")
        if kind not in FAULT_KINDS:
            raise KmodelError(
                f"unknown fault kind {shown(kind)}", where="--faults", fix=f"use {', '.join(FAULT_KINDS)}, or none"
            )
        if not sep:
            count = "1"
        count = count.strip()
        if not re.fullmatch(r"[0-9]{1,18}", count):  # ASCII digits: "²".isdigit() is true
            raise KmodelError(f"{kind}: {shown(count)} is not a count", where="--faults", fix=f"write {kind}=1")
        if int(count) > limits.current().max_faults:
            too_many = limits.exceeded("max_faults", kind, int(count))
            raise KmodelError(too_many, where="--faults", fix=limits.fix("max_faults"))
        out[kind] = int(count)
    return tuple(sorted(out.items()))


def describe_faults(budget: tuple[tuple[str, int], ...]) -> str:
    shown = [f"{kind} x{n}" for kind, n in budget if n > 0]
    return ", ".join(shown) if shown else "none (only the scenario's own timeline)"


def invariant_property(text: str, where: str = "--invariant") -> Property:
    """A custom invariant as an ``always`` property, evaluated by the restricted evaluator."""
    try:
        inv = compile_invariant(text)
    except ExprError as err:
        raise KmodelError(err.message, where=where, fix=err.fix) from None

    def predicate(state: Any) -> bool:
        try:
            return inv.evaluate(environment(cluster_of(state)))
        except ExprError as err:
            raise KmodelError(
                f"{err.message} while evaluating {shown(text, 80)} at t={cluster_of(state).now}s",
                where=where,
                fix=err.fix or "guard the expression (e.g. `x is not None and ...`)",
            ) from None

    def explain(state: Any) -> str:
        return inv.explain(environment(cluster_of(state)))

    return Property(f"invariant: {text}", ALWAYS, f"custom invariant {text}", predicate=predicate, explain=explain)


def choose_properties(
    scenario: Scenario,
    names: list[str] | tuple[str, ...] = (),
    invariants: list[str] | tuple[str, ...] = (),
    property_files: list[str] | tuple[str, ...] = (),
) -> list[Property]:
    """The properties to check: those named (built-in or from the files), the invariants, and
    every built-in when nothing is named at all."""
    defs: dict[str, props_mod.PropertyDef] = dict(props_mod.BUILTINS)
    from_files: list[props_mod.PropertyDef] = []
    for path in property_files:
        # a regular file within maxFileSize (not /dev/zero, a FIFO or gigabytes), before Python reads it
        read_bytes(path, what="property", fix="give the path of a .py file that uses kmodel.properties decorators")
        loaded = props_mod.load_property_file(path)
        from_files.extend(loaded)
        for d in loaded:
            defs[d.name] = d
    chosen: list[props_mod.PropertyDef] = []
    for name in names:
        if name not in defs:
            raise KmodelError(
                f"unknown property {shown(name)}",
                where="--property",
                fix=f"use one of: {', '.join(defs)} (see `kmodel properties`)",
            )
        chosen.append(defs[name])
    if not names and not invariants:
        chosen = from_files or [d for d in props_mod.BUILTINS.values() if _by_default(d, scenario)]
    out = [props_mod.to_property(d, scenario.settings) for d in chosen]
    out += [invariant_property(text, _invariant_where(i)) for i, text in enumerate(invariants)]
    return out


def _by_default(defn: props_mod.PropertyDef, scenario: Scenario) -> bool:
    """Every built-in is checked when none is named, except where it holds trivially and its
    search would cost as much as any other: a built-in about one kind (Jobs, StatefulSets,
    DaemonSets: ``ABOUT_KIND``) on a scenario without objects of that kind (in its files or
    applied by its timeline), the rollout ones on a scenario that never starts a rollout
    (:func:`kmodel.properties.can_roll_out`), and the budget and drain ones on a scenario with
    neither (:func:`kmodel.properties.has_pdb_or_drain`)."""
    if defn.name in props_mod.ROLLOUT_PROPERTIES:
        return props_mod.can_roll_out(scenario)
    if defn.name in props_mod.DESCHEDULER_PROPERTIES:
        return scenario.descheduler is not None
    if defn.name in props_mod.PDB_PROPERTIES:
        return props_mod.has_pdb_or_drain(scenario)
    if defn.name in props_mod.HA_PROPERTIES:
        return scenario.control_plane is not None
    kind = props_mod.ABOUT_KIND.get(defn.name)
    if kind is None:
        return True
    applied = (m for ev in scenario.timeline for m in ev.manifests)
    return any(m.kind == kind for m in (*scenario.manifests, *applied))


def smt_properties(
    scenario: Scenario,
    names: list[str] | tuple[str, ...],
    invariants: list[str] | tuple[str, ...],
    property_files: list[str] | tuple[str, ...],
) -> list[Property]:
    """The properties the Z3 engine can check: those encoded for the node-health slice, and
    custom invariants (their Python side here; :func:`smt_encodings` translates them)."""
    from kmodel.smt.bmc import PROPERTIES

    known = ", ".join(PROPERTIES)
    if property_files:
        raise KmodelError(
            "the smt engine cannot translate properties written in Python",
            where="--property-file",
            fix=f"check them with --engine explore or hypothesis; smt checks {known} and --invariant expressions",
        )
    for name in names:
        if name not in PROPERTIES:
            raise KmodelError(
                f"the smt engine has no encoding of {shown(name)} yet",
                where="--property",
                fix=f"use one of {known}, or --engine explore",
            )
    # by default every built-in the encoding has (all of them; replica-convergence in the
    # bounded form of kmodel.smt.liveness)
    chosen = list(names) or (
        []
        if invariants
        else [n for n in PROPERTIES if n in props_mod.BUILTINS and _by_default(props_mod.BUILTINS[n], scenario)]
    )
    out = [props_mod.to_property(PROPERTIES[name].python, scenario.settings) for name in chosen]
    return out + [invariant_property(text, _invariant_where(i)) for i, text in enumerate(invariants)]


def _invariant_where(index: int) -> str:
    return f"--invariant {index + 1}"


def smt_encodings(sl: Any, invariants: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The Z3 translations of custom invariants for the slice ``sl``, by property name; a
    SliceError (one line, with the column) for what the translation does not cover."""
    from kmodel.smt.exprsmt import invariant_slice_property

    encoded = [invariant_slice_property(text, sl, _invariant_where(i)) for i, text in enumerate(invariants)]
    return {e.name: e for e in encoded}


def prepare(
    scenario_path: str | Path,
    names: list[str] | tuple[str, ...] = (),
    invariants: list[str] | tuple[str, ...] = (),
    property_files: list[str] | tuple[str, ...] = (),
    options: CheckOptions | None = None,
    replace: dict[str, Any] | None = None,
) -> CheckRun:
    options = options or CheckOptions()
    if options.engine not in ENGINES:
        raise KmodelError(f"unknown engine {shown(options.engine)}", where="--engine", fix=f"use {', '.join(ENGINES)}")
    if options.smt_slice != "auto" and options.engine != "smt":
        raise KmodelError(
            "--smt-slice chooses the Z3 engine's slice", where="--smt-slice", fix="use it with --engine smt, or drop it"
        )
    if options.pod_slots is not None and options.engine != "smt":
        raise KmodelError(
            "--pod-slots bounds the Z3 workload slice", where="--pod-slots", fix="use it with --engine smt, or drop it"
        )
    _check_workers(options)
    if options.engine == "smt" and options.max_depth is not None:
        limits.check("max_smt_depth", options.max_depth, "the depth to unroll", where="--max-depth")
    scenario = load(scenario_path, allow_unmodelled=options.allow_unmodelled)
    if options.engine == "smt":
        chosen = smt_properties(scenario, names, invariants, property_files)
    else:
        chosen = choose_properties(scenario, names, invariants, property_files)
    model: KubeModel
    smt_slice: Any = None
    encodings: dict[str, Any] = {}
    if options.engine == "smt":
        from kmodel.smt.bmc import python_model, slice_of

        # the Python side of the Z3 encoding: only the node-health components act (and the
        # scheduler and ReplicaSet controller for the properties of the workload slice)
        model = python_model(scenario, names, faults=options.faults, replace=replace, slice=options.smt_slice)
        slots = {"pod_slots": options.pod_slots} if options.pod_slots is not None else {}
        smt_slice = slice_of(model, **slots)
        if invariants:
            # translated before anything runs, so that a refusal is the usual one-line error
            encodings = smt_encodings(smt_slice, invariants)
    else:
        model = KubeModel(
            scenario,
            faults=options.faults,
            replace=replace,
            symmetry=options.symmetry,
            settle=options.settle,
            # a property file's Python may name nodes: no node symmetry; a custom invariant's
            # text pins the nodes it names
            node_symmetry=options.node_symmetry and not property_files,
            node_orders=options.node_orders,
            mentions=tuple(invariants),
        )
    skipped: list[str] = []
    if options.engine == "smt" and not names and not invariants and not property_files:
        from kmodel.smt.bmc import NOT_ENCODED

        skipped = [n for n, d in props_mod.BUILTINS.items() if n in NOT_ENCODED and _by_default(d, scenario)]
    return CheckRun(scenario, model, chosen, smt_slice=smt_slice, smt_encodings=encodings, smt_skipped=skipped)


def execute(run: CheckRun, options: CheckOptions | None = None, progress: Progress | None = None) -> CheckRun:
    """Run the chosen engines on every property; results in (property, engine) order."""
    from kmodel.engines.explore import explore_many

    options = options or CheckOptions()
    engines = ["explore", "hypothesis"] if options.engine == "all" else [options.engine]
    by_engine: dict[str, list[Result]] = {}
    deadline = options.deadline
    if deadline is None and options.timeout is not None:
        deadline = time.monotonic() + options.timeout
    clock = _Clock(deadline, options.timeout)
    if "smt" in engines:
        depth = options.max_depth if options.max_depth is not None else SMT_DEFAULT_DEPTH
        by_engine["smt"] = _smt_results(run, depth, clock, progress)
        if run.smt_skipped:
            for r in by_engine["smt"]:
                r.warnings.append(
                    f"not checked by the smt engine (no Z3 encoding): {', '.join(run.smt_skipped)}; "
                    "check them with --engine explore"
                )
        order = getattr(run.model, "order_note", None)
        if order:
            for r in by_engine["smt"]:
                r.warnings.append(order)
        note = getattr(run.model, "slice_note", None)
        if note:
            for r in by_engine["smt"]:
                r.warnings.append(
                    f"answered on the node-health slice (the scheduler, ReplicaSet, Deployment and endpoints "
                    f"controllers off), since the workload slice does not cover this scenario: {note}"
                )
    if "explore" in engines:
        search: Callable[..., list[Result]] = partial(explore_many, por=options.por)
        if options.workers > 1 or options.cluster is not None:
            from kmodel.engines.parallel import explore_on_workers

            search = partial(explore_on_workers, workers=options.workers, cluster=options.cluster)
        by_engine["explore"] = search(
            run.model,
            run.properties,
            max_states=options.max_states,
            max_depth=options.max_depth,
            deadline=deadline,
            progress=(lambda s, q: progress("explore", "", s, q)) if progress else None,
            families=EXPLORER_FAMILIES,
        )
    if "hypothesis" in engines and options.workers <= 1 and deadline is None:
        from kmodel.engines.hypothesis_many import check_many

        try:
            by_engine["hypothesis"] = check_many(
                run.model,
                list(run.properties),
                seed=options.seed,
                profile=options.profile,
                database=options.database,
                max_states=options.max_states,
                max_depth=options.max_depth,
                progress=(lambda name, s, q: progress("hypothesis", name, s, q)) if progress else None,
                families=EXPLORER_FAMILIES,
            )
        except ValueError as err:
            raise KmodelError(str(err), where="--profile", fix="use ci, dev or thorough") from None
    elif "hypothesis" in engines:
        try:
            by_engine["hypothesis"] = [
                clock.run(
                    "hypothesis",
                    prop.name,
                    lambda left, prop=prop: _hypothesis_check(options)(
                        run.model,
                        prop,
                        seed=options.seed,
                        profile=options.profile,
                        database=options.database,
                        timeout=left,
                        max_states=options.max_states,
                        max_depth=options.max_depth,
                        progress=(lambda s, q, name=prop.name: progress("hypothesis", name, s, q))
                        if progress
                        else None,
                        families=EXPLORER_FAMILIES,
                    ),
                )
                for prop in run.properties
            ]
        except ValueError as err:
            raise KmodelError(str(err), where="--profile", fix="use ci, dev or thorough") from None
    note = _list_order_note(run.model, options)
    if note:
        for engine in ("explore", "hypothesis"):
            for r in by_engine.get(engine, []):
                r.warnings.append(note)
    run.results = [by_engine[e][i] for i in range(len(run.properties)) for e in engines]
    return run


def _list_order_note(model: Any, options: CheckOptions) -> str | None:
    """The explorer's and Hypothesis' restriction of the node lifecycle walk, when this run met it
    (a parallel run's workers keep their own record: there, whenever a zone has two nodes)."""
    from kmodel.checkmodel import LIST_ORDER_NOTE
    from kmodel.components import nodelifecycle

    watch = getattr(model, "order_watch", None)
    if watch is None:
        return None
    met = watch.restricted
    if (options.workers > 1 or options.cluster is not None) and options.engine in ("explore", "all"):
        met = met or any(k > 1 for k in nodelifecycle.zone_sizes(model.scenario.initial_state()).values())
    if not met:
        return None
    how = (
        f"the every-order walk covers interchangeable nodes in zones of at most {nodelifecycle.ORDER_LIMIT}"
        if watch.every_order
        else "--node-symmetry tries every order where nodes are interchangeable"
    )
    return LIST_ORDER_NOTE.format(how=how)


MAX_WORKERS = 256


def _check_workers(options: CheckOptions) -> None:
    """--workers and --cluster: for the engines that use them, within reason."""
    if options.workers < 1 or options.workers > MAX_WORKERS:
        raise KmodelError(
            f"--workers {options.workers} is not between 1 and {MAX_WORKERS}", where="--workers", fix="use e.g. 2"
        )
    if options.engine == "smt" and (options.workers > 1 or options.cluster is not None):
        raise KmodelError(
            "the smt engine runs on one process",
            where="--cluster" if options.cluster is not None else "--workers",
            fix="drop it, or use --engine explore or hypothesis",
        )
    if options.por and (options.workers > 1 or options.cluster is not None):
        raise KmodelError(
            "--por (sleep sets) is for the explorer on one process",
            where="--cluster" if options.cluster is not None else "--workers",
            fix="drop --por, or --workers and --cluster",
        )
    if options.engine == "hypothesis" and options.cluster is not None:
        raise KmodelError(
            "--cluster runs the explorer's search on a Dask cluster; Hypothesis swarms run on this machine",
            where="--cluster",
            fix="use --workers N with --engine hypothesis, or --engine explore with --cluster",
        )


def _hypothesis_check(options: CheckOptions) -> Callable[..., Result]:
    """Hypothesis alone, or a swarm of ``options.workers`` searches with different seeds."""
    from kmodel.engines import hypothesis_engine

    if options.workers <= 1:
        return hypothesis_engine.check
    from kmodel.engines.parallel import swarm

    return partial(swarm, workers=options.workers)


def _smt_results(run: CheckRun, depth: int, clock: _Clock, progress: Progress | None) -> list[Result]:
    """The smt engine's answers, in the run's property order: the state and transition
    invariants on one shared unrolling (kmodel.smt.bmc.check_many), each ``eventually`` property
    on its own check."""
    from kmodel.smt import bmc

    encodings = [run.smt_encodings.get(p.name, p.name) for p in run.properties]

    def live(enc: Any) -> bool:
        sp = enc if isinstance(enc, bmc.SliceProperty) else bmc.PROPERTIES.get(enc)
        return sp is not None and sp.kind == EVENTUALLY

    shared = [i for i, enc in enumerate(encodings) if not live(enc)]
    found: dict[int, Result] = {}
    if shared:
        left = None if clock.deadline is None else clock.deadline - time.monotonic()
        if left is not None and left <= 0:
            found = {i: not_started("smt", run.properties[i].name, clock.timeout) for i in shared}
        else:
            answers = bmc.check_many(
                run.smt_slice,
                [encodings[i] for i in shared],
                max_depth=depth,
                timeout=left,
                progress=(lambda name, s, q: progress("smt", name, s, q)) if progress else None,
            )
            found = dict(zip(shared, answers, strict=True))
    return [
        found[i]
        if i in found
        else clock.run(
            "smt",
            prop.name,
            lambda left, i=i, prop=prop: bmc.check(
                run.smt_slice,
                encodings[i],
                max_depth=depth,
                timeout=left,
                progress=(lambda s, q, name=prop.name: progress("smt", name, s, q)) if progress else None,
            ),
        )
        for i, prop in enumerate(run.properties)
    ]


class _Clock:
    """The run's deadline, shared by every property and engine: each engine call gets the time
    left, and a property whose turn comes after the deadline is not started (inconclusive)."""

    def __init__(self, deadline: float | None, timeout: float | None) -> None:
        self.deadline = deadline
        self.timeout = timeout

    def run(self, engine: str, prop: str, call: Callable[[float | None], Result]) -> Result:
        if self.deadline is None:
            return call(None)
        left = self.deadline - time.monotonic()
        if left <= 0:
            return not_started(engine, prop, self.timeout)
        return call(left)


def not_started(engine: str, prop: str, timeout: float | None) -> Result:
    """The result of a property the run's --timeout left no time for."""
    shown_timeout = f"{timeout:g}s" if timeout is not None else "the deadline"
    stats = Stats(limit=f"timeout {shown_timeout}")
    return Result(
        INCONCLUSIVE, engine, prop, stats, None, f"not started: the run's --timeout ({shown_timeout}) ran out"
    )


def run_check(
    scenario_path: str | Path,
    names: list[str] | tuple[str, ...] = (),
    invariants: list[str] | tuple[str, ...] = (),
    property_files: list[str] | tuple[str, ...] = (),
    options: CheckOptions | None = None,
    replace: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> CheckRun:
    run = prepare(scenario_path, names, invariants, property_files, options, replace)
    return execute(run, options, progress)


__all__ = [
    "DEFAULT_FAULTS",
    "ENGINES",
    "HOLDS",
    "CheckOptions",
    "CheckRun",
    "choose_properties",
    "describe_faults",
    "parse_faults",
    "run_check",
]
