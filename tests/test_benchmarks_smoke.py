"""`python -m benchmarks --smoke` keeps working: it runs every section at tiny sizes and writes a
results file of the documented shape. Only the structure is checked, never a timing (the CI
machine's speed says nothing about kmodel's).

The subprocess runs the four sections this repository's own code measures; the mutation suite
(benchmarks/mutants.py, whose smoke run alone takes longer than this whole test should) is
reached through a stand-in module here, and tested where it is written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("explorer", "hypothesis", "z3", "simulate", "mutants")
OWN = SECTIONS[:4]


def _run(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--only", ",".join(OWN), "--cap", "5", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(out.read_text())


def test_smoke_run_writes_every_section_with_its_commands(tmp_path: Path) -> None:
    proc, data = _run(tmp_path)
    assert data["schema"] == 1 and data["smoke"] is True and data["cap_seconds"] == 5
    assert data["command"].startswith("python -m benchmarks --smoke")
    assert {"python", "hypothesis", "z3-solver", "kmodel"} <= set(data["versions"])
    assert {"processor", "cores", "memory_gib", "platform"} <= set(data["machine"])
    assert data["date"].endswith("Z") and "commit" in data["git"]
    assert tuple(data["sections"]) == OWN
    for name, section in data["sections"].items():
        assert {"command", "date", "load_average_at_start", "cap_seconds", "seconds", "rows"} <= set(section), name
        for row in section["rows"]:
            assert row["command"].startswith("python -m "), (name, row)

    explorer = data["sections"]["explorer"]["rows"]
    assert [(r["workers"], r["replicas"], r["faults"]) for r in explorer] == [
        (1, 1, 0),
        (1, 2, 0),
        (1, 1, 1),
        (1, 2, 1),
    ]
    for r in explorer:
        assert r["verdict"] == "done"  # these spaces are tiny: the whole of each is visited
        assert r["states"] >= 1 and r["transitions"] >= 1 and r["peak_mib"] > 0
        assert r["command"] == (
            f"python -m benchmarks.explorer_sweep --workers {r['workers']} --replicas {r['replicas']} "
            f"--faults {r['faults']} --cap 5"
        )
    # a fault budget only adds runs
    assert explorer[2]["states"] > explorer[0]["states"]

    (hyp,) = data["sections"]["hypothesis"]["rows"]
    assert hyp["found"] == 1 and hyp["per_seed"][0]["verdict"] == "violated"
    assert hyp["first_counterexample_seconds"] is not None and hyp["examples_per_second"] is not None

    z3 = data["sections"]["z3"]["rows"]
    assert [r["kind"] for r in z3] == ["bmc", "proof"]
    assert 0 <= z3[0]["depth"] <= 2 and z3[1]["verdict"] == "proven"  # --smoke's BMC stops at depth 2
    assert z3[1]["command"] == "python -m kmodel prove -p bound-pods-stay-put --timeout 5s"

    (sim,) = data["sections"]["simulate"]["rows"]
    assert sim["verdict"] == "done" and sim["nodes"] == 10 and sim["pods"] >= 20 and sim["peak_mib"] > 0

    # the printed tables name every section
    for title in ("explorer: states", "Hypothesis on the broken components", "Z3 BMC", "simulate:"):
        assert title in proc.stdout


def test_the_mutation_suite_rows_get_a_command_each(monkeypatch: Any) -> None:
    import importlib.machinery
    import types

    import benchmarks.__main__ as bench

    asked: list[tuple[float, bool]] = []

    def run(cap: float, smoke: bool) -> list[dict[str, Any]]:
        asked.append((cap, smoke))
        return [
            {"mutant": "m1", "engine": "explore", "killed": True, "property": "p", "seconds": 0.5},
            {"mutant": "m1", "engine": "smt", "killed": False, "property": "", "seconds": None},
        ]

    fake = types.ModuleType("benchmarks.mutants")
    fake.__spec__ = importlib.machinery.ModuleSpec("benchmarks.mutants", None)
    fake.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "benchmarks.mutants", fake)
    rows, note = bench.RUNNERS["mutants"](7.0, True)
    assert asked == [(7.0, True)] and note == ""
    assert [r["command"] for r in rows] == [
        "python -m benchmarks.mutants --only m1 --cap 7 --no-write --smoke  # row of engine explore",
        "python -m benchmarks.mutants --only m1 --cap 7 --no-write --smoke  # row of engine smt",
    ]
    text = bench.tables({"mutants": {"rows": rows}}, short=True)
    assert "| explore | 1 | 1 |" in text and "| smt | 0 | 1 |" in text
    monkeypatch.delitem(sys.modules, "benchmarks.mutants")
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: None)
    assert bench.RUNNERS["mutants"](7.0, True) == (
        [],
        "benchmarks/mutants.py is not there yet: no mutation suite to run",
    )


def test_the_sweep_skips_every_point_larger_than_one_that_hit_the_cap(monkeypatch: Any) -> None:
    from benchmarks import explorer_sweep

    ran: list[tuple[int, int, int]] = []

    def fake(w: int, r: int, f: int, cap: float) -> dict[str, Any]:
        ran.append((w, r, f))
        hit = (w >= 3 and r >= 2) or (f >= 1 and w >= 2) or f == 2
        return {"workers": w, "replicas": r, "faults": f, "verdict": "limit" if hit else "done", "command": "x"}

    monkeypatch.setattr(explorer_sweep, "measure_point", fake)
    rows = explorer_sweep.sweep(20.0)
    assert len(rows) == 6 * 6 * 3  # every point has a row, run or not
    # budget 0: the first point over the cap is (3, 2); nothing with at least 3 workers and 2 replicas runs after it
    assert (3, 2, 0) in ran and not any(w >= 3 and r >= 2 and (w, r) != (3, 2) for w, r, f in ran if f == 0)
    # budget 1: one worker is fine, two workers hit the cap at once, so only (2, 1) runs of the rest
    assert [(w, r) for w, r, f in ran if f == 1] == [(1, r) for r in range(1, 7)] + [(2, 1)]
    # budget 2: the first point hits the cap, and so does every point from budget 1 that did
    assert [(w, r) for w, r, f in ran if f == 2] == [(1, 1)]
    skipped = [r for r in rows if r["verdict"] == "not run"]
    assert skipped and all(
        "did not finish within the cap" in r["because"] and r["command"].startswith("python -m") for r in skipped
    )


def test_only_reruns_its_sections_and_keeps_the_others(tmp_path: Path, monkeypatch: Any) -> None:
    import benchmarks.__main__ as bench

    out = tmp_path / "results.json"
    calls: list[str] = []

    def fake(name: str) -> Any:
        def run(cap: float, smoke: bool) -> tuple[list[dict[str, Any]], str]:
            calls.append(name)
            return [{"value": len(calls), "command": f"python -m {name}"}], ""

        return run

    monkeypatch.setattr(bench, "RUNNERS", {name: fake(name) for name in SECTIONS})
    monkeypatch.setattr(bench, "tables", lambda sections, short=False: "")
    assert bench.main(["--cap", "1", "--output", str(out)]) == 0
    first = json.loads(out.read_text())["sections"]
    assert bench.main(["--only", "z3", "--cap", "1", "--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert calls == [*SECTIONS, "z3"]
    assert tuple(data["sections"]) == SECTIONS  # the sections after the rerun one are kept too
    assert data["sections"]["z3"]["rows"] == [{"value": 6, "command": "python -m z3"}]
    assert data["sections"]["z3"]["command"] == "python -m benchmarks --only z3 --cap 1 --output " + str(out)
    for name in SECTIONS:
        if name != "z3":
            assert data["sections"][name] == first[name]
