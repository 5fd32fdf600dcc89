"""The ``kmodel`` command line.

Exit codes: 0 ok (or property holds), 1 property violated, 2 bad input, 3 inconclusive.
Bad input never shows a traceback: one line naming the file, the place and the fix.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import attrs
import click

from kmodel import __version__, limits, namespaces
from kmodel.errors import KmodelError, cut, shown
from kmodel.settings import SETTING_KEYS, Settings, format_duration, model_duration, parse_duration

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KmodelError as err:
            click.echo(f"kmodel: error: {err}", err=True)
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("kmodel: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def allow_unmodelled_option(fn: F) -> F:
    """``--allow-unmodelled``: for every command that loads a scenario."""
    return click.option(
        "--allow-unmodelled",
        is_flag=True,
        help="Leave out the manifest fields kmodel does not model (affinity, probes, hostPort, ...) instead of "
        "refusing the file; every report and verdict names what was left out.",
    )(fn)


def _echo_warnings(warnings: tuple[str, ...]) -> None:
    from kmodel.report import warning_lines

    for line in warning_lines(warnings):
        click.echo(line)


class Duration(click.ParamType):
    """A duration (``50s``, ``5m``, ``1h30m``); of model time (at most the limit maxDuration)
    unless ``model`` is false (a wall-clock time limit)."""

    name = "duration"

    def __init__(self, model: bool = True) -> None:
        self.model = model

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return model_duration(value) if self.model else parse_duration(value)
        except ValueError as err:
            self.fail(f"{shown(value)}: {err}", param, ctx)


class FilePath(click.Path):
    """click's Path, with a name it cannot look up (a NUL character) refused rather than crashing."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\x00" in value:
            self.fail("a file name cannot hold a NUL character", param, ctx)
        try:
            return super().convert(value, param, ctx)
        except ValueError as err:
            self.fail(f"{shown(str(value), 80)}: {err}", param, ctx)


class Count(click.ParamType):
    """A whole number of ASCII digits from ``minimum``, at most the limit named ``limit``."""

    name = "integer"

    def __init__(self, minimum: int = 0, limit: str | None = None) -> None:
        self.minimum = minimum
        self.limit = limit

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"[0-9]{1,18}", text):
            self.fail(f"{shown(value)} is not a whole number of at most 18 digits", param, ctx)
        number = int(text)
        if number < self.minimum:
            self.fail(f"{number} is less than {self.minimum}", param, ctx)
        if self.limit is not None and number > getattr(limits.current(), self.limit):
            self.fail(f"{limits.exceeded(self.limit, str(number))}; {limits.fix(self.limit)}", param, ctx)
        return number


def _set_limits(ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> None:
    """``--limit NAME=VALUE`` (repeatable), over the environment's KMODEL_LIMITS."""
    if not values:
        return
    try:
        chosen = limits.parse(",".join(values), base=limits.current())
    except KmodelError as err:
        raise click.BadParameter(err.message + (f" ({err.fix})" if err.fix else "")) from None
    limits.use(chosen)
    ctx.call_on_close(lambda: limits.use(None))


class _ShortUsageErrors:
    """click's usage errors quote what was given (an extra argument, a value not among the
    choices) whole; a 5 MB argument must not come back as a 5 MB line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc]
        except click.UsageError as err:
            err.message = " ".join(cut(err.message, 400).splitlines())
            raise

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)  # type: ignore[misc]
        except click.UsageError as err:
            err.message = " ".join(cut(err.message, 400).splitlines())
            raise


class Command(_ShortUsageErrors, click.Command):
    pass


class Group(_ShortUsageErrors, click.Group):
    command_class = Command


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kmodel")
@click.option(
    "--limit",
    "limit_values",
    multiple=True,
    metavar="NAME=VALUE",
    callback=_set_limits,
    expose_value=False,
    is_eager=True,
    help="Raise (or lower) an input limit, e.g. --limit maxReplicas=2000 (repeatable; `kmodel limits` lists "
    "them; also KMODEL_LIMITS=NAME=VALUE,...).",
)
def main() -> None:
    """kmodel: a checked model of the Kubernetes control plane.

    Simulate what a cluster does when nodes die, components stop or things race.
    """


@main.command()
@click.argument("scenario", type=FilePath(dir_okay=False))
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar='"<time> <verb> <target> [args]"',
    help='Extra timeline event, e.g. --event "60s stop node/worker-1". Repeatable.',
)
@click.option(
    "--until",
    type=Duration(),
    default=None,
    help="How long to simulate, e.g. 15m (default: the scenario's `until`, else 15m).",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice(["table", "json", "events"]),
    default="table",
    show_default=True,
    help="table: kubectl-like view at each change; json: one document; events: the event list only.",
)
@allow_unmodelled_option
@friendly_errors
def simulate(
    scenario: str, events: tuple[str, ...], until: int | None, output: str, allow_unmodelled: bool = False
) -> None:
    """Run SCENARIO deterministically and show what kubectl would show at each change.

    \b
    Event syntax (timeline and --event):
      stop|start node/NAME | kubelet/NAME | apiserver | etcd | scheduler
                 | controller-manager | control-plane
                 (with a controlPlane section: PROCESS@MACHINE, e.g. scheduler@cp-2)
      partition|heal node/NAME        kill pod/NAME
      partition|heal zone/ZONE        join node/NAME [key=value ...]
      delete pod/NAME|node/NAME|deployment/NAME|replicaset/NAME|service/NAME
             |statefulset/NAME|daemonset/NAME|job/NAME|poddisruptionbudget/NAME
           (pods: --force, or --grace-period=0 --force)
      scale deployment/NAME N | statefulset/NAME N
      apply FILE
      cordon|uncordon node/NAME       taint node/NAME key[=value]:Effect[-]
      drain node/NAME [--timeout=DUR] [--ignore-daemonsets] [--force]
            [--delete-emptydir-data] [--disable-eviction]
    Pod names may be glob patterns (pod/hello-world-*).
    """
    from kmodel.engines.simulate import simulate as run
    from kmodel.render.table import event_lines, simulation_text
    from kmodel.report import warning_lines
    from kmodel.scenario import load

    scen = load(scenario, list(events), allow_unmodelled=allow_unmodelled)
    sim = run(scen, until)
    if output == "json":
        click.echo(json.dumps({"warnings": list(scen.warnings), **sim.as_json()}, indent=2))
        return
    horizon = scen.until if until is None else until
    header = "\n".join(
        [
            f"{scen.summary()}; simulated {format_duration(horizon)} in steps of "
            f"{scen.settings.step}s; {len(scen.timeline)} timeline event(s)",
            *warning_lines(scen.warnings),
        ]
    )
    if output == "events":
        click.echo(header)
        click.echo("\n".join(event_lines(sim.events)))
        return
    click.echo(simulation_text(header, sim.snapshots, sim.events), nl=False)


@main.command()
@click.argument("scenario", type=FilePath(dir_okay=False))
@click.option(
    "--property", "-p", "names", multiple=True, metavar="NAME", help="Built-in (or file) property. Repeatable."
)
@click.option(
    "--invariant",
    "-i",
    "invariants",
    multiple=True,
    metavar="EXPR",
    help="Custom invariant, e.g. 'count(p for p in pods if p.ready) >= 1'. Repeatable.",
)
@click.option(
    "--property-file",
    "property_files",
    multiple=True,
    type=FilePath(dir_okay=False),
    metavar="FILE.py",
    help="Python file of properties written with kmodel.properties decorators. Repeatable.",
)
@click.option(
    "--engine",
    "-e",
    type=click.Choice(["explore", "hypothesis", "smt", "all"]),
    default="explore",
    show_default=True,
    help="explore: every reachable state (exhaustive); hypothesis: random runs, shrunk; smt: Z3 bounded "
    "model checking of the node-health or workload slice (up to --max-depth, default 20); all: explore and "
    "hypothesis.",
)
@click.option(
    "--pod-slots",
    type=Count(0, "max_pod_slots"),
    default=None,
    metavar="N",
    help="smt, workload slice: new pods each ReplicaSet may create in a run (default 4).",
)
@click.option(
    "--smt-slice",
    type=click.Choice(["auto", "workload", "node-health"]),
    default="auto",
    show_default=True,
    help="smt: the workload slice (the whole model, for the scenarios it covers) or the node-health slice "
    "(faster; scheduler and workload controllers off). auto: workload when it covers the scenario.",
)
@click.option(
    "--faults",
    "faults_text",
    metavar="KIND=N,...",
    help="Fault budget, overriding the scenario's, e.g. powerOffNode=1,stopComponent=1, or none.",
)
@click.option(
    "--max-states",
    type=Count(1),
    default=500_000,
    show_default=True,
    help="explore: states to visit; hypothesis: distinct states its runs may reach (smt has no state count).",
)
@click.option(
    "--max-depth",
    type=Count(0),
    default=None,
    help="explore: actions from the start; hypothesis: actions of one run; smt: steps unrolled (default 20).",
)
@click.option(
    "--timeout",
    type=Duration(model=False),
    default=None,
    help="Time limit of the whole run, every property and engine together, e.g. 2m (default: none); the "
    "properties not finished by then are inconclusive (exit 3).",
)
@click.option("--seed", type=Count(0), default=None, help="Hypothesis seed, for a reproducible run.")
@click.option(
    "--profile",
    type=click.Choice(["ci", "dev", "thorough"]),
    default="dev",
    show_default=True,
    help="Hypothesis effort: runs and steps per run.",
)
@click.option(
    "--database",
    default=".hypothesis/kmodel",
    show_default=True,
    metavar="DIR",
    help="Hypothesis example database: a failure found once is replayed first next time. 'none' to disable.",
)
@click.option(
    "--trace-out",
    "trace_outs",
    multiple=True,
    type=FilePath(dir_okay=False),
    metavar="FILE",
    help="Write the first counterexample: .json (ITF trace, for render/replay), .svg/.png/.pdf (picture) "
    "or .dot. Repeatable.",
)
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-symmetry", is_flag=True, help="Explorer: do not merge states that differ only in pod names.")
@click.option(
    "--node-symmetry/--no-node-symmetry",
    default=False,
    show_default=True,
    help="Explorer: merge states that differ only by a permutation of interchangeable nodes (and let the "
    "node lifecycle controller queue nodes found NotReady together in every order, which that needs).",
)
@click.option(
    "--por/--no-por",
    default=False,
    show_default=True,
    help="Explorer: partial-order reduction by sleep sets: skip kubelet steps of different nodes that only "
    "close a diamond (same states, verdicts and shortest traces; only when every property checked is a "
    "state invariant; measured, it skips a tenth to a seventh of the transitions at 2-3 workers, for at most "
    "a tenth less CPU time, and costs a little at 1 worker).",
)
@click.option(
    "--from-start",
    is_flag=True,
    help="Check from t=0, start-up included (default: from the state the scenario settles into).",
)
@click.option(
    "--workers",
    type=Count(1),
    default=1,
    show_default=True,
    help="explore: processes sharing the breadth-first search (same verdicts, states and shortest traces); "
    "hypothesis: a swarm of that many searches (different seeds and transition orders), the first counterexample wins.",
)
@click.option(
    "--cluster",
    default=None,
    metavar="local|tcp://HOST:PORT",
    help="explore: run the search's levels as tasks on a Dask cluster (pip install 'kmodel[distributed]'): "
    "local starts one of --workers processes here, or give a scheduler's address.",
)
@allow_unmodelled_option
@friendly_errors
def check(
    scenario: str,
    names: tuple[str, ...],
    invariants: tuple[str, ...],
    property_files: tuple[str, ...],
    engine: str,
    faults_text: str | None,
    max_states: int,
    max_depth: int | None,
    timeout: int | None,
    seed: int | None,
    profile: str,
    database: str,
    trace_outs: tuple[str, ...],
    output: str,
    no_symmetry: bool,
    node_symmetry: bool,
    por: bool,
    from_start: bool,
    pod_slots: int | None = None,
    smt_slice: str = "auto",
    allow_unmodelled: bool = False,
    workers: int = 1,
    cluster: str | None = None,
) -> None:
    """Check properties of SCENARIO over every interleaving the engines reach.

    With no --property and no --invariant, every built-in property is checked (see
    `kmodel properties`). Exit codes: 0 holds, 1 violated, 2 bad input, 3 inconclusive (a limit
    was hit before the search finished).
    """
    import time

    from kmodel.checkrun import CheckOptions, describe_faults, execute, parse_faults, prepare
    from kmodel.engines.parallel import worker_lines
    from kmodel.report import result_json, text_report, warning_lines

    started = time.monotonic()
    for path in trace_outs:
        _trace_format(path, "--trace-out")
    if engine in ("hypothesis", "all") and database.lower() != "none":
        _database_directory(database)
    options = CheckOptions(
        engine=engine,
        faults=parse_faults(faults_text) if faults_text is not None else None,
        max_states=max_states,
        max_depth=max_depth,
        timeout=timeout,
        seed=seed,
        profile=profile,
        database=None if database.lower() == "none" else database,
        symmetry=not no_symmetry,
        node_symmetry=node_symmetry,
        por=por,
        settle=not from_start,
        pod_slots=pod_slots,
        smt_slice=smt_slice,
        allow_unmodelled=allow_unmodelled,
        deadline=None if timeout is None else started + timeout,
        workers=workers,
        cluster=cluster,
    )
    run = prepare(scenario, names, invariants, property_files, options)
    default_budget = options.faults is None and run.scenario.faults is None
    header = [
        f"kmodel check {run.scenario.summary()}",
        f"faults the checker may inject (and undo): {describe_faults(run.model.budget)}"
        f"{' (the default: the file declares no budget)' if default_budget else ''}; "
        f"timeline: {len(run.scenario.timeline)} event(s)",
        *(f"fault rule {rule.describe()}" for rule in run.scenario.fault_rules),
        f"engine: {engine}; {len(run.properties)} propert{'y' if len(run.properties) == 1 else 'ies'}",
        *liveness_bounds(run.properties, run.scenario.settings),
        *limit_notes(engine),
        *worker_lines(engine, workers, cluster),
        *warning_lines(run.scenario.warnings),
    ]
    with _progress(output == "text") as progress:
        execute(run, options, progress)
    explanations = run.explanations()
    if output == "json":
        warnings = run.scenario.warnings
        doc = {
            "scenario": run.scenario.path,
            "faults": dict(run.model.budget),
            "warnings": list(warnings),
            "results": [result_json(r, explanations.get(i), warnings) for i, r in enumerate(run.results)],
        }
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(text_report(header, run.results, explanations, run.scenario.ignoring()), nl=False)
    violated = [r for r in run.results if r.trace is not None]
    if trace_outs and violated:
        from kmodel.tracedoc import from_result

        r = violated[0]
        doc = from_result(
            r,
            explanation=run.explanation(r),
            scenario=run.scenario.path,
            faults=run.model.budget,
            from_start=from_start,
        )
        if r.engine == "smt":
            from kmodel.smt.workload import WorkloadModel

            # replay must rebuild the same slice's model
            kind = "workload" if isinstance(run.model, WorkloadModel) else "node-health"
            doc = attrs.evolve(doc, extra={**doc.extra, "slice": kind})
        for path in trace_outs:
            _write_trace(doc, path, "--trace-out")
            if output == "text":
                click.echo(f"counterexample for {r.property} ({r.engine}) written to {path}")
    sys.exit(run.exit_code)


def _database_directory(path: str) -> None:
    """The Hypothesis example database's directory exists (it is made if need be) and can be
    written to, checked before the run rather than failing inside Hypothesis."""
    import os
    from pathlib import Path

    fix = "give a directory you may write to, or --database none"
    if "\x00" in path:
        raise KmodelError("a directory name cannot hold a NUL character", where="--database", fix=fix)
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        usable = os.access(path, os.W_OK | os.X_OK) and Path(path).is_dir()
    except (OSError, ValueError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else err.__class__.__name__
        raise KmodelError(f"cannot use {shown(path, 80)} for examples: {why}", where="--database", fix=fix) from None
    if not usable:
        raise KmodelError(f"cannot write examples into {shown(path, 80)}", where="--database", fix=fix)


def _trace_format(path: str, where: str) -> str:
    """``json`` or a picture format for a trace file name; bad names, and names in a directory
    that does not exist, fail before any work."""
    from pathlib import Path

    if "\x00" in path:
        raise KmodelError("a file name cannot hold a NUL character", where=where, fix="give another file name")
    try:
        parent_ok = Path(path).parent.is_dir()
    except (OSError, ValueError):
        parent_ok = False
    if not parent_ok:
        raise KmodelError(
            f"directory {shown(str(Path(path).parent), 80)} does not exist", where=where, fix="create it first"
        )
    if path.lower().endswith(".json"):
        return "json"
    from kmodel.render.dotfile import picture_format

    try:
        return picture_format(path, where)
    except KmodelError as err:
        fix = "end the file name in .json, .svg, .png, .pdf or .dot"
        raise KmodelError(err.message, where=where, fix=fix) from None


def _write_trace(doc: Any, path: str, where: str, projection: Any = None, fold: bool = True) -> None:
    if _trace_format(path, where) == "json":
        from kmodel.render.itf import write_itf

        write_itf(doc, path)
        return
    from kmodel.render.graphviz import write_trace_picture

    write_trace_picture(doc, path, projection, fold, where=where)


class _progress:
    """Live progress on a terminal (stderr), nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.status: Any = None

    def __enter__(self) -> Callable[..., None] | None:
        if not self.enabled:
            return None
        self.status = self.console.status("starting")
        self.status.__enter__()
        return self.update

    def update(self, engine: str, prop: str, stats: Any, queue: int) -> None:
        rate = stats.states / stats.seconds if stats.seconds else 0.0
        what = f" {prop}" if prop else ""
        if engine == "smt":
            text = f"smt{what}: unrolled to depth {stats.depth}, {stats.seconds:.0f}s"
        elif engine == "hypothesis":
            text = f"hypothesis{what}: {stats.examples:,} runs, {stats.transitions:,} steps, {stats.seconds:.0f}s"
        else:
            text = (
                f"explore{what}: {stats.states:,} states ({rate:,.0f}/s), queue {queue:,}, "
                f"depth {stats.depth}, {stats.seconds:.0f}s"
            )
        self.status.update(text)

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(None, None, None)


@main.command()
@click.argument("trace", type=FilePath(dir_okay=False))
@click.option(
    "--out",
    "-o",
    "outs",
    multiple=True,
    required=True,
    type=FilePath(dir_okay=False),
    metavar="FILE",
    help="Where to draw it: .svg, .png, .pdf, .dot, or .json (the trace as kmodel's ITF). Repeatable.",
)
@click.option(
    "--view",
    "view_text",
    default="full",
    show_default=True,
    metavar="VIEW",
    help="What to show: full, nodes, pods, deployment/NAME or node/NAME.",
)
@click.option("--no-fold", is_flag=True, help="Draw every step, also those that change nothing visible.")
@friendly_errors
def render(trace: str, outs: tuple[str, ...], view_text: str, no_fold: bool) -> None:
    """Draw the counterexample TRACE (an ITF .json written by `check --trace-out`).

    One box per step: the nodes with their condition and taints, the pods inside their node,
    what changed since the step before highlighted, and the violating step marked.
    """
    from kmodel.render.graphviz import parse_projection
    from kmodel.render.itf import read_itf

    for path in outs:
        _trace_format(path, "--out")
    projection = parse_projection(view_text)
    doc = read_itf(trace)
    for path in outs:
        _write_trace(doc, path, "--out", projection, not no_fold)
        click.echo(f"{trace}: {len(doc.steps) - 1} step(s) drawn to {path}")


@main.command()
@click.argument("trace", type=FilePath(dir_okay=False))
@click.argument("scenario", type=FilePath(dir_okay=False), required=False)
@click.option(
    "--property-file",
    "property_files",
    multiple=True,
    type=FilePath(dir_okay=False),
    metavar="FILE.py",
    help="The file defining the trace's property, when it is not a built-in. Repeatable.",
)
@click.option(
    "--faults",
    "faults_text",
    metavar="KIND=N,...",
    help="Fault budget to replay with (default: the one recorded in the trace).",
)
@allow_unmodelled_option
@friendly_errors
def replay(
    trace: str,
    scenario: str | None,
    property_files: tuple[str, ...],
    faults_text: str | None,
    allow_unmodelled: bool = False,
) -> None:
    """Re-run the counterexample TRACE against the model of SCENARIO (default: the scenario
    recorded in the trace).

    Every step must be an action the model offers at that point and lead to the recorded state;
    then the trace's property is evaluated again. Exit codes: 1 the trace replays and still
    violates the property, 0 it replays and the property now holds on it, 3 it replays but the
    verdict cannot be confirmed, 4 the trace diverges from the model (the report names the step),
    2 bad input.
    """
    from kmodel.checkrun import parse_faults
    from kmodel.render.itf import read_itf
    from kmodel.replay import replay as run_replay

    doc = read_itf(trace)
    faults = parse_faults(faults_text) if faults_text is not None else None
    target: Any = scenario
    if allow_unmodelled and (scenario or doc.scenario):
        from kmodel.scenario import load

        target = load(scenario or str(doc.scenario), allow_unmodelled=True)
        _echo_warnings(target.warnings)
    report = run_replay(doc, target, property_files=property_files, faults=faults)
    click.echo(report.message.rstrip("\n"))
    sys.exit(report.exit_code)


@main.command()
@click.argument("scenario", type=FilePath(dir_okay=False))
@click.option(
    "--view",
    "view_name",
    type=click.Choice(["pod", "node", "deployment", "full"]),
    default="pod",
    show_default=True,
    help="pod / node / deployment life cycles, or whole states.",
)
@click.option(
    "--out",
    "-o",
    type=FilePath(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Picture to write (.svg, .png, .pdf or .dot); default: diagram-<scenario>-<view>.svg.",
)
@click.option(
    "--faults",
    "faults_text",
    metavar="KIND=N,...",
    help="Fault budget, overriding the scenario's, e.g. powerOffNode=1, or none.",
)
@click.option(
    "--max-states",
    type=Count(1),
    default=20_000,
    show_default=True,
    help="How many model states to explore.",
)
@click.option(
    "--max-nodes",
    type=Count(2),
    default=40,
    show_default=True,
    help="How many abstract states to draw (the most visited are kept; the caption says what was cut).",
)
@allow_unmodelled_option
@friendly_errors
def diagram(
    scenario: str,
    view_name: str,
    out: str | None,
    faults_text: str | None,
    max_states: int,
    max_nodes: int,
    allow_unmodelled: bool = False,
) -> None:
    """Draw the state diagram of SCENARIO: explore its reachable states, project each onto a
    view (a pod's status, ready and node condition; a node's condition, taints and machine; a
    Deployment's counts; or the whole state), merge equal projections and label the edges with
    the kinds of action that cause them, with counts."""
    from pathlib import Path

    from kmodel.checkrun import parse_faults
    from kmodel.render.dotfile import picture_format, render_dot
    from kmodel.render.statediagram_dot import diagram_dot
    from kmodel.scenario import load
    from kmodel.statediagram import diagram_for

    path = out or f"diagram-{Path(scenario).stem}-{view_name}.svg"
    picture_format(path, "--out")
    faults = parse_faults(faults_text) if faults_text is not None else None
    scen = load(scenario, allow_unmodelled=allow_unmodelled)
    result = diagram_for(scen, view_name, faults=faults, max_states=max_states, max_nodes=max_nodes)
    title = f"{Path(scenario).name}: {view_name} view"
    if scen.ignored:
        title += f" {scen.ignoring()}"
    _echo_warnings(scen.warnings)
    render_dot(diagram_dot(result, title), path, "--out")
    click.echo(f"{scenario}: {view_name} diagram written to {path}")


@main.command()
@click.argument("scenario", type=FilePath(dir_okay=False))
@click.argument("pod", metavar="pod/NAME")
@click.option(
    "--at",
    type=Duration(),
    default=None,
    help="When to look, e.g. 5m (default: the scenario's `until`, else 15m).",
)
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar='"<time> <verb> <target> [args]"',
    help="Extra timeline event, as for simulate. Repeatable.",
)
@click.option(
    "-n",
    "--namespace",
    default=None,
    metavar="NAMESPACE",
    help="The pod's namespace, as for kubectl (default: default).",
)
@allow_unmodelled_option
@friendly_errors
def explain(
    scenario: str,
    pod: str,
    at: int | None,
    events: tuple[str, ...],
    namespace: str | None = None,
    allow_unmodelled: bool = False,
) -> None:
    """Explain why a pod is Pending at a moment of SCENARIO's simulation.

    Z3 checks whether any placement of the pending pods on the nodes, bound in some order,
    passes every scheduler filter (taints, node affinity, host ports, requests, pod affinity,
    topology spread), and whether the scheduler's queue order gets there. Verdicts: fits-now
    (the scheduler will bind it), room-exists (the order is in the way; a placement that works
    is shown), room-if-preempting (lower-priority pods would be evicted for it), no-room (a
    reason per node, the rule to blame; it says when only moving bound pods would make room).
    """
    from kmodel.scenario import load
    from kmodel.smt.feasibility import explain_pod, explanation_text, state_at

    scen = load(scenario, list(events), allow_unmodelled=allow_unmodelled)
    cluster = state_at(scen, at)
    if namespace is not None:
        pod = "pod/" + namespaces.key(namespace, pod.removeprefix("pod/"))
    explanation = explanation_text(explain_pod(cluster, pod)).rstrip("\n")
    _echo_warnings(scen.warnings)
    click.echo(explanation)


def _synth_help() -> str:
    from kmodel.smt.synth import HELP

    return HELP


@main.command(help=_synth_help())
@click.argument("scenario", type=FilePath(dir_okay=False))
@click.option("--property", "-p", "prop", required=True, metavar="NAME", help="The property to keep.")
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    metavar="NAME=LO..HI",
    help="A timing setting made free, e.g. nodeMonitorGracePeriod=10s..2m. Repeatable.",
)
@click.option(
    "--max-depth",
    type=Count(1, "max_smt_depth"),
    default=12,
    show_default=True,
    help="Longest run (actions from the settled scenario) considered.",
)
@click.option(
    "--faults", "faults_text", metavar="KIND=N,...", default="none", show_default=True, help="Fault budget of the runs."
)
@click.option("--timeout", type=Duration(model=False), default=None, help="Stop after this long, e.g. 5m.")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@allow_unmodelled_option
@friendly_errors
def synth(
    scenario: str,
    prop: str,
    params: tuple[str, ...],
    max_depth: int,
    faults_text: str,
    timeout: int | None,
    output: str,
    allow_unmodelled: bool = False,
) -> None:
    from kmodel.checkrun import parse_faults
    from kmodel.scenario import load
    from kmodel.smt.synth import parse_param, synthesize

    ranges: dict[str, tuple[int, int]] = {}
    for text in params:
        name, lo, hi = parse_param(text)
        if name in ranges:
            raise KmodelError(f"{name} is given twice", where="--param", fix="give each parameter once")
        ranges[name] = (lo, hi)
    faults = parse_faults(faults_text)
    scen = load(scenario, allow_unmodelled=allow_unmodelled)
    result = synthesize(scen, prop, ranges, max_depth=max_depth, faults=faults, timeout=timeout)
    if output == "json":
        click.echo(json.dumps({"warnings": list(scen.warnings), **result.to_json()}, indent=2))
    else:
        _echo_warnings(scen.warnings)
        click.echo(result.message.rstrip("\n"))
    sys.exit(result.exit_code)


@main.command()
@click.argument("scenario", type=FilePath(dir_okay=False), required=False)
@click.option("--property", "-p", "prop", required=True, metavar="NAME", help="What to prove.")
@click.option(
    "--lemma",
    "lemmas",
    multiple=True,
    metavar="LEMMA",
    help="An extra invariant proven alongside: unready-nodes-are-tainted, or all(... for n in nodes) / "
    "all(... for p in pods) in the --invariant language. Repeatable.",
)
@click.option("--k", "k", type=Count(1, "max_smt_depth"), default=1, show_default=True, help="Induction depth.")
@click.option(
    "--any-size/--bounded",
    "any_size",
    default=None,
    help="Any number of nodes and pods (default when the property does not count), or the scenario's "
    "nodes and --pods slots.",
)
@click.option("--pods", type=Count(1, "max_pod_slots"), default=None, help="Pod slots of a bounded proof.")
@click.option(
    "--timeout", type=Duration(model=False), default=None, help="Give up after this long; the verdict is then unknown."
)
@allow_unmodelled_option
@friendly_errors
def prove(
    scenario: str | None,
    prop: str,
    lemmas: tuple[str, ...],
    k: int,
    any_size: bool | None,
    pods: int | None,
    timeout: int | None,
    allow_unmodelled: bool = False,
) -> None:
    """Prove a property of the scheduling slice with Z3 by k-induction.

    The initial states satisfy it, and any K steps from states that satisfy it (and the lemmas)
    keep it. Where the argument does not count pods the proof holds for clusters of any size;
    otherwise for the scenario's nodes and up to --pods pods. When the induction step fails, a
    counterexample to induction is printed: a state, not necessarily reachable, and a step that
    breaks the property; add a lemma that rules it out, or raise --k. Without SCENARIO: every
    cluster.

    \b
    Properties: no-schedule-to-unready-node (needs --lemma unready-nodes-are-tainted),
    bound-pods-stay-put, unready-nodes-are-tainted, pods-within-capacity (bounded),
    no-over-replication (the scenario's workload slice; --pods = new pods per ReplicaSet).
    Exit codes: 0 proven, 1 violated (confirm with kmodel check), 2 bad input,
    3 not inductive or unknown.
    """
    from kmodel.scenario import load
    from kmodel.smt.induction import prove as run_prove

    scen = load(scenario, allow_unmodelled=allow_unmodelled) if scenario is not None else None
    result = run_prove(scen, prop, k=k, lemmas=lemmas, any_size=any_size, timeout=timeout, pods=pods)
    _echo_warnings(scen.warnings if scen is not None else ())
    click.echo(result.message.rstrip("\n"))
    sys.exit(result.exit_code)


def limit_notes(engine: str) -> list[str]:
    """Why a limit the user gave does not bound the engine chosen."""
    ctx = click.get_current_context()
    given = ctx.get_parameter_source("max_states") == click.core.ParameterSource.COMMANDLINE
    if engine == "smt" and given:
        return ["note: --max-states does not bound the smt engine (BMC keeps no states; --max-depth and --timeout do)"]
    return []


def liveness_bounds(props: list[Any], settings: Any) -> list[str]:
    """One header line per ``eventually`` property: the bound it is checked with, and where a
    built-in's default bound comes from."""
    from kmodel.engines.base import EVENTUALLY
    from kmodel.properties import convergence_bound, daemonset_bound

    out = []
    for p in props:
        if p.kind != EVENTUALLY:
            continue
        line = f"bounded liveness: {p.name} must hold within {p.bound}s once faults stop, and again within {p.bound}s"
        line += " whenever lost"
        ticks, rest = divmod(p.bound - settings.node_monitor_period, settings.step)
        derived = daemonset_bound(settings) if p.name == "daemonset-on-every-eligible-node" else None
        if p.bound in (convergence_bound(settings), derived) and not rest:
            line += (
                f" ({p.bound}s = nodeMonitorPeriod {settings.node_monitor_period}s + {ticks} ticks of {settings.step}s)"
            )
        out.append(line)
    return out


@main.command("properties")
def properties_cmd() -> None:
    """List the built-in properties and what each checks."""
    from kmodel.properties import BUILTINS

    for d in BUILTINS.values():
        doc = " ".join((d.doc or "").split())
        click.echo(f"{d.name} ({d.kind})")
        for line in textwrap.wrap(doc, 96):
            click.echo(f"    {line}")


@main.command("limits")
def limits_cmd() -> None:
    """List the input limits, their defaults and what each bounds (raise one with --limit)."""
    from kmodel.render.table import columns

    rows = [["LIMIT", "DEFAULT", "BOUNDS"], *([name, value, what] for name, value, what in limits.table())]
    click.echo("\n".join(columns(rows)))


@main.command("kinds")
def kinds_cmd() -> None:
    """List the kinds kmodel models, ignores (they change nothing it models) and refuses."""
    from kmodel.kinds import KINDS

    for status in ("modelled", "ignored", "refused"):
        click.echo(f"{status}:")
        for rule in sorted(KINDS.values(), key=lambda r: r.kind):
            if rule.status == status:
                api = f"{rule.group}/v1" if rule.group else "v1"
                if rule.status == "modelled":
                    from kmodel.manifests import KIND_API

                    api = KIND_API.get(rule.kind, api)  # the version kmodel reads (autoscaling/v2)
                note = f": {rule.note}" if rule.note else ""
                click.echo(f"  {rule.kind} ({api}){note}")


@main.command("settings")
def settings_cmd() -> None:
    """List the scenario settings (camelCase flag names) with their defaults."""
    defaults = Settings()
    from kmodel.render.table import columns
    from kmodel.settings import DURATION_FIELDS

    rows = [["KEY", "DEFAULT"]]
    for key, name in SETTING_KEYS.items():
        value = getattr(defaults, name)
        if name in DURATION_FIELDS:
            shown = format_duration(value) if value else "0 (auto)" if name == "tick" else "0s"
        elif isinstance(value, bool):
            shown = "true" if value else "false"  # as YAML writes it
        else:
            shown = str(value)
        rows.append([key, shown])
    click.echo("\n".join(columns(rows)))


def run() -> None:
    """Console-script entry point: bad input never shows a traceback."""
    for stream in (sys.stdout, sys.stderr):
        # a file name that is not UTF-8 (Python holds its bytes as lone surrogates) is printed
        # with escapes rather than crashing the report
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        main(standalone_mode=True)
    except Exception as err:  # pragma: no cover - a bug, not bad input
        if os.environ.get("KMODEL_DEBUG"):
            raise
        click.echo(
            f"kmodel: internal error: {err.__class__.__name__}: {err} "
            "(set KMODEL_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        sys.exit(70)
