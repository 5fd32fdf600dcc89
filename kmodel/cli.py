"""The ``kmodel`` command line.

Exit codes: 0 ok (or property holds), 1 property violated, 2 bad input, 3 inconclusive.
Bad input never shows a traceback: one line naming the file, the place and the fix.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from kmodel import __version__
from kmodel.errors import KmodelError
from kmodel.settings import SETTING_KEYS, Settings, format_duration, parse_duration

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


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(value)
        except ValueError as err:
            self.fail(f"{value!r}: {err}", param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kmodel")
def main() -> None:
    """kmodel: a checked model of the Kubernetes control plane.

    Simulate what a cluster does when nodes die, components stop or things race.
    """


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
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
@friendly_errors
def simulate(scenario: str, events: tuple[str, ...], until: int | None, output: str) -> None:
    """Run SCENARIO deterministically and show what kubectl would show at each change.

    \b
    Event syntax (timeline and --event):
      stop|start node/NAME | kubelet/NAME | apiserver | etcd | scheduler
                 | controller-manager | control-plane
      partition|heal node/NAME        kill pod/NAME
      delete pod/NAME|node/NAME|deployment/NAME|replicaset/NAME|service/NAME
      scale deployment/NAME N         apply FILE
      cordon|uncordon node/NAME       taint node/NAME key[=value]:Effect[-]
    Pod names may be glob patterns (pod/hello-world-*).
    """
    from kmodel.engines.simulate import simulate as run
    from kmodel.render.table import event_lines, simulation_text
    from kmodel.scenario import load

    scen = load(scenario, list(events))
    sim = run(scen, until)
    if output == "json":
        click.echo(json.dumps(sim.as_json(), indent=2))
        return
    horizon = scen.until if until is None else until
    header = (
        f"{scen.summary()}; simulated {format_duration(horizon)} in steps of "
        f"{scen.settings.step}s; {len(scen.timeline)} timeline event(s)"
    )
    if output == "events":
        click.echo(header)
        click.echo("\n".join(event_lines(sim.events)))
        return
    click.echo(simulation_text(header, sim.snapshots, sim.events), nl=False)


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
        else:
            shown = str(value)
        rows.append([key, shown])
    click.echo("\n".join(columns(rows)))


def run() -> None:
    """Console-script entry point: bad input never shows a traceback."""
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
