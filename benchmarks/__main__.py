"""Measure every engine: print a table per section and write benchmarks/results.json.

    python -m benchmarks [--smoke] [--only explorer,hypothesis,z3,simulate,mutants] [--cap 60]
                         [--output benchmarks/results.json]
    python -m benchmarks --show [--output benchmarks/results.json]   (the README's tables)

Sections (each in its own module, each figure recorded with the command that reproduces it):

- explorer (benchmarks/explorer_sweep.py): generated clusters, workers 1..6 x replicas 1..6 x
  powerOffNode budgets 0..2, each point in a child process (its peak memory: VmHWM),
  a point skipped once a smaller one hit the cap;
- hypothesis (benchmarks/hypothesis_bench.py): every broken component of tests/broken.py, time
  to the first counterexample and examples/s, median of 5 seeds;
- z3 (benchmarks/z3_bench.py): BMC depth within the cap on the seed scenarios, seconds per
  ``kmodel prove`` proof;
- simulate (benchmarks/simulate_scale.py): 100, 1,000 and 5,000 nodes, wall time and peak memory;
- mutants (benchmarks/mutants.py, when present): each mutant component x engine, killed or not.

``--cap`` bounds each run (one explorer point, one Hypothesis check, one BMC run or proof, one
simulation, one mutant x engine), not the whole command. ``--smoke`` runs tiny sizes in seconds
(what CI runs, to keep the command working, never to time it) and writes a file only with
``--output``. With ``--only``, the sections not run are kept from an existing output file measured
with the same versions on the same processor.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import common

SECTIONS = ("explorer", "hypothesis", "z3", "simulate", "mutants")
DEFAULT_OUTPUT = common.ROOT / "benchmarks" / "results.json"
SCHEMA = 1


def _explorer(cap: float, smoke: bool) -> tuple[list[dict[str, Any]], str]:
    from benchmarks import explorer_sweep

    def report(row: dict[str, Any]) -> None:
        print(
            f"  explorer: workers {row['workers']} replicas {row['replicas']} powerOffNode {row['faults']}: "
            f"{row['verdict']} {row.get('states', '')} states in {row.get('seconds', 0):.1f}s",
            file=sys.stderr,
            flush=True,
        )

    return explorer_sweep.sweep(cap, smoke, report), ""


def _hypothesis(cap: float, smoke: bool) -> tuple[list[dict[str, Any]], str]:
    from benchmarks import hypothesis_bench

    return hypothesis_bench.run(cap, smoke), ""


def _z3(cap: float, smoke: bool) -> tuple[list[dict[str, Any]], str]:
    from benchmarks import z3_bench

    return z3_bench.run(cap, smoke), ""


def _simulate(cap: float, smoke: bool) -> tuple[list[dict[str, Any]], str]:
    from benchmarks import simulate_scale

    return simulate_scale.run(cap, smoke), ""


def _mutants(cap: float, smoke: bool) -> tuple[list[dict[str, Any]], str]:
    if importlib.util.find_spec("benchmarks.mutants") is None:
        return [], "benchmarks/mutants.py is not there yet: no mutation suite to run"
    mutants = importlib.import_module("benchmarks.mutants")
    rows = [dict(r) for r in mutants.run(cap=cap, smoke=smoke)]
    for r in rows:
        if "command" not in r:
            args = ["-m", "benchmarks.mutants", "--only", r["mutant"], "--cap", f"{cap:g}", "--no-write"]
            args += ["--smoke"] if smoke else []
            r["command"] = common.command(*args) + ("  # row of engine " + str(r["engine"]) if "engine" in r else "")
    return rows, ""


RUNNERS: dict[str, Callable[[float, bool], tuple[list[dict[str, Any]], str]]] = {
    "explorer": _explorer,
    "hypothesis": _hypothesis,
    "z3": _z3,
    "simulate": _simulate,
    "mutants": _mutants,
}


def _explorer_grid(rows: list[dict[str, Any]]) -> list[str]:
    """The sweep as one small grid per fault budget: states explored (cap: stopped by the cap;
    blank: not run, a smaller point already hit it)."""
    from benchmarks.explorer_sweep import BUDGETS, REPLICAS, WORKERS

    out = []
    budgets = sorted({r["faults"] for r in rows}) or list(BUDGETS)
    for f in budgets:
        grid = {(r["workers"], r["replicas"]): r for r in rows if r["faults"] == f}
        workers = sorted({w for w, _ in grid}) or list(WORKERS)
        replicas = sorted({r for _, r in grid}) or list(REPLICAS)
        cells = []
        for w in workers:
            line = []
            for r in replicas:
                row = grid.get((w, r))
                if row is None or row["verdict"] == "not run":
                    line.append("")
                elif row["verdict"] == "done":
                    line.append(f"{row['states']:,}")
                elif row["verdict"] == "error":
                    line.append("error")
                else:
                    line.append(f"cap ({row['states']:,}+)" if "states" in row else "cap")
            cells.append([f"{w} workers", *line])
        out.append(
            common.table(
                f"explorer: states of the whole space, powerOffNode={f}",
                ["", *(f"{r} replicas" for r in replicas)],
                cells,
            )
        )
    return out


def _explorer_summary(rows: list[dict[str, Any]], cap: float) -> str:
    """Per fault budget, the largest space visited whole within the cap, and the points that
    were stopped by it."""
    out = []
    for f in sorted({r["faults"] for r in rows}):
        done = [r for r in rows if r["faults"] == f and r["verdict"] == "done"]
        stopped = [r for r in rows if r["faults"] == f and r["verdict"] not in ("done", "not run")]
        best = max(done, key=lambda r: (r["states"], r["workers"] * r["replicas"]), default=None)
        over = ", ".join(
            f"{r['workers']}x{r['replicas']}" + (f" ({r['states']:,} states by then)" if "states" in r else "")
            for r in stopped
        )
        if best is None:
            out.append([f, "none", None, None, None, None, over or "-"])
            continue
        out.append(
            [
                f,
                f"{best['workers']} workers x {best['replicas']} replicas",
                best["states"],
                best["transitions"],
                best["states_per_second"],
                best["peak_mib"],
                over or "-",
            ]
        )
    return common.table(
        f"explorer: the largest generated cluster explored whole in {cap:g}s, per powerOffNode budget",
        ("powerOffNode", "largest done", "states", "transitions", "states/s", "peak MiB", "stopped by the cap"),
        out,
    )


def tables(sections: dict[str, Any], short: bool = False) -> str:
    """Every section's Markdown tables (``short``: the README's, with the explorer sweep summed
    up and no per-run details)."""
    from benchmarks import explorer_sweep, hypothesis_bench, simulate_scale, z3_bench

    parts = []
    cap = {name: s.get("cap_seconds") for name, s in sections.items()}
    if "explorer" in sections:
        rows = sections["explorer"]["rows"]
        parts.append(_explorer_summary(rows, cap["explorer"]))
        if not short:
            parts += _explorer_grid(rows)
            parts.append(
                common.table(
                    f"explorer: each point run (cap {cap['explorer']:g}s)",
                    explorer_sweep.HEADER,
                    explorer_sweep.table_rows(rows),
                )
            )
    if "hypothesis" in sections:
        rows = sections["hypothesis"]["rows"]
        seeds = len(rows[0]["seeds"]) if rows else 0
        parts.append(
            common.table(
                f"Hypothesis on the broken components (median of {seeds} seeds)",
                hypothesis_bench.HEADER,
                hypothesis_bench.table_rows(rows),
            )
        )
    if "z3" in sections:
        rows = sections["z3"]["rows"]
        parts.append(
            common.table(f"Z3 BMC: depth reached in {cap['z3']:g}s", z3_bench.BMC_HEADER, z3_bench.bmc_table_rows(rows))
        )
        proofs = z3_bench.proof_table_rows(rows)
        if short:  # the node names listed in brackets make the README's table too wide
            proofs = [[*r[:3], re.sub(r" \([^)]*\)", "", r[3]), *r[4:]] for r in proofs]
        parts.append(common.table("Z3: kmodel prove", z3_bench.PROOF_HEADER, proofs))
    if "simulate" in sections:
        rows = sections["simulate"]["rows"]
        parts.append(
            common.table(
                f"simulate: generated clusters (cap {cap['simulate']:g}s)",
                simulate_scale.HEADER,
                simulate_scale.table_rows(rows),
            )
        )
    if "mutants" in sections:
        rows = sections["mutants"]["rows"]
        if rows and short:
            engines = list(dict.fromkeys(r["engine"] for r in rows))
            parts.append(
                common.table(
                    "mutation suite: mutants killed per engine",
                    ("engine", "killed", "mutants"),
                    [
                        [
                            e,
                            sum(1 for r in rows if r["engine"] == e and r["killed"]),
                            sum(1 for r in rows if r["engine"] == e),
                        ]
                        for e in engines
                    ],
                )
            )
        elif rows:
            parts.append(
                common.table(
                    "mutation suite: mutant components x engines",
                    ("mutant", "engine", "killed", "property", "seconds"),
                    [[r["mutant"], r["engine"], r["killed"], r["property"], r["seconds"]] for r in rows],
                )
            )
        else:
            parts.append(f"**mutation suite**: {sections['mutants'].get('note', '')}")
    return "\n\n".join(parts)


def _previous(output: Path, versions: dict[str, Any], machine: dict[str, Any]) -> dict[str, Any]:
    """The sections of an earlier run in ``output``, if it was measured with the same versions
    on the same processor (else nothing: figures from elsewhere are not mixed in)."""
    try:
        old = json.loads(output.read_text())
    except (OSError, ValueError):
        return {}
    same = (
        old.get("versions") == versions
        and old.get("machine", {}).get("processor") == machine["processor"]
        and not old.get("smoke")
    )
    return dict(old.get("sections", {})) if same else {}


def show(path: Path) -> int:
    """Print the README's tables from a results file, with where and how they were measured."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        print(f"{path}: cannot read it ({err}); make it with python -m benchmarks --output {path}", file=sys.stderr)
        return 2
    m, v = data["machine"], data["versions"]
    sections = data["sections"].values()
    commands = list(dict.fromkeys(f"`{sec.get('command', data['command'])}`" for sec in sections))
    # a section copied from another run's file may have no load recorded at its start (None)
    found = [sec.get("load_average_at_start", m["load_average_at_start"]) for sec in sections]
    loads = sorted(x[0] for x in found if x) or [m["load_average_at_start"][0]]
    load = f"{loads[0]:g}" if loads[0] == loads[-1] else f"{loads[0]:g} to {loads[-1]:g}"
    print(
        f"Measured {data['date'][:10]} with {', '.join(commands)} on {m['processor']} ({m['cores']} cores, "
        f"load average {load} as each section started), Python {v['python']}, "
        f"Hypothesis {v.get('hypothesis')}, z3-solver {v.get('z3-solver')}.\n"
    )
    print(tables(data["sections"], short=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds: keeps the command working (CI)")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {','.join(SECTIONS)}")
    ap.add_argument("--cap", type=float, default=None, help="seconds per run (default 60; 5 with --smoke)")
    ap.add_argument(
        "--output", type=Path, default=None, help=f"JSON file (default {DEFAULT_OUTPUT.name}; with --smoke none)"
    )
    ap.add_argument("--show", action="store_true", help="run nothing: print the README's tables from the --output file")
    args = ap.parse_args(argv)
    if args.show:
        return show(args.output or DEFAULT_OUTPUT)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section {', '.join(unknown)}: use {','.join(SECTIONS)}")
    cap = args.cap if args.cap is not None else (5.0 if args.smoke else 60.0)
    if cap <= 0:
        ap.error("--cap must be positive, e.g. --cap 60")
    output = args.output if args.output is not None else (None if args.smoke else DEFAULT_OUTPUT)

    invoked = ["-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)]
    machine, versions = common.machine(), common.versions()
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "command": common.command(*invoked),
        "date": common.now(),
        "machine": machine,
        "versions": versions,
        "git": common.git(),
        "smoke": args.smoke,
        "cap_seconds": cap,
        "sections": {},
    }
    kept = _previous(output, versions, machine) if output is not None and len(only) < len(SECTIONS) else {}
    print(
        f"kmodel benchmarks {result['date']}: {machine['processor']}, {machine['cores']} cores, "
        f"load {machine['load_average_at_start']}; Python {versions['python']}; cap {cap:g}s per run"
        + (" (smoke: sizes too small to mean anything)" if args.smoke else ""),
        flush=True,
    )
    for name in SECTIONS:
        if name not in only:
            if name in kept:
                result["sections"][name] = kept[name]
            continue
        start = time.monotonic()
        load = common.machine()["load_average_at_start"]
        rows, note = RUNNERS[name](cap, args.smoke)
        section: dict[str, Any] = {
            "command": result["command"],
            "date": common.now(),
            "load_average_at_start": load,
            "cap_seconds": cap,
            "seconds": round(time.monotonic() - start, 1),
            "rows": rows,
        }
        if note:
            section["note"] = note
        result["sections"][name] = section
        print("\n" + tables({name: section}), flush=True)
        if output is not None:  # after each section: a long run stopped halfway keeps what it measured
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(result, indent=1) + "\n")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=1) + "\n")
        print(f"\nwrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
