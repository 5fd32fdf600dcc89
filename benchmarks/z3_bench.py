"""Z3: the depth bounded model checking reaches within the cap on the seed scenarios, and the time
of each ``kmodel prove`` proof.

    python -m benchmarks.z3_bench --title "seed-scaling (timeline)" --property no-over-replication [--cap 60]

prints one BMC run as JSON (the runs are those of benchmarks/smt_bench.py on scenarios/seed-*);
``python -m kmodel prove ...`` reproduces a proof's figure.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

from benchmarks.common import ROOT, command
from benchmarks.smt_bench import RUNS, Run, bmc_run
from kmodel.smt.induction import prove

SEED_RUNS: list[Run] = [r for r in RUNS if r[1].startswith("scenarios/seed-")]
SMOKE_RUN = next(r for r in SEED_RUNS if r[4] == "no-over-replication")

# (scenario or None for every cluster, property, lemmas): what `kmodel prove` proves (README,
# "Proofs for any cluster size", and tests/test_smt_prove.py)
PROOFS: list[tuple[str | None, str, tuple[str, ...]]] = [
    (None, "bound-pods-stay-put", ()),
    (None, "unready-nodes-are-tainted", ()),
    ("scenarios/seed-node-failure.yaml", "no-schedule-to-unready-node", ("unready-nodes-are-tainted",)),
    ("scenarios/seed-node-failure.yaml", "pods-within-capacity", ()),
    ("scenarios/seed-node-failure.yaml", "no-over-replication", ()),
    ("scenarios/seed-scaling.yaml", "no-over-replication", ()),
    ("scenarios/seed-control-plane-down.yaml", "no-over-replication", ()),
    ("scenarios/seed-no-workers.yaml", "no-over-replication", ()),
]
SMOKE_PROOF = PROOFS[0]
SMOKE_DEPTH = 2  # --smoke's BMC stops here, whatever the cap


def bmc_row(run: Run, cap: float, max_depth: int | None = None) -> dict[str, Any]:
    title, _path, _faults, _drop, prop = run
    row = bmc_run(run, cap) if max_depth is None else bmc_run(run, cap, max_depth)
    args = ["-m", "benchmarks.z3_bench", "--title", title, "--property", prop, "--cap", f"{cap:g}"]
    row["command"] = command(*args, *(["--max-depth", str(max_depth)] if max_depth is not None else []))
    return row


def proof_row(scenario: str | None, prop: str, lemmas: tuple[str, ...], cap: float) -> dict[str, Any]:
    start = time.monotonic()
    r = prove(ROOT / scenario if scenario else None, prop, lemmas=lemmas, timeout=math.ceil(cap))
    wall = time.monotonic() - start
    args: list[str] = ["-m", "kmodel", "prove", *([scenario] if scenario else []), "-p", prop]
    for lemma in lemmas:
        args += ["--lemma", lemma]
    args += ["--timeout", f"{math.ceil(cap)}s"]
    return {
        "scenario": scenario,
        "property": prop,
        "lemmas": list(lemmas),
        "verdict": r.verdict,
        "sizes": r.sizes,
        "seconds": round(wall, 3),
        "queries": r.queries,
        "command": command(*args),
    }


def run(cap: float, smoke: bool = False) -> list[dict[str, Any]]:
    """The BMC runs, then the proofs (``smoke``: one of each)."""
    runs = [SMOKE_RUN] if smoke else SEED_RUNS
    proofs = [SMOKE_PROOF] if smoke else PROOFS
    rows = [{"kind": "bmc", **bmc_row(r, cap, SMOKE_DEPTH if smoke else None)} for r in runs]
    return rows + [{"kind": "proof", **proof_row(s, p, lemmas, cap)} for s, p, lemmas in proofs]


BMC_HEADER = ("scenario", "slice", "property", "verdict", "depth", "seconds")
PROOF_HEADER = ("scenario", "property", "verdict", "for", "seconds")


def bmc_table_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [r["title"], r["slice"], r["property"], r["verdict"], r["depth"], r["seconds"]]
        for r in rows
        if r["kind"] == "bmc"
    ]


def proof_table_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [r["scenario"] or "any cluster", r["property"], r["verdict"], r["sizes"], r["seconds"]]
        for r in rows
        if r["kind"] == "proof"
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--title", required=True, help="a title of benchmarks/smt_bench.py's RUNS")
    ap.add_argument("--property", required=True)
    ap.add_argument("--cap", type=float, default=60.0, help="seconds (default 60)")
    ap.add_argument("--max-depth", type=int, default=None, help="stop at this depth (default: only the cap)")
    args = ap.parse_args()
    found = [r for r in RUNS if r[0] == args.title and r[4] == args.property]
    if not found:
        raise SystemExit(f"no BMC run {args.title!r} / {args.property!r} in benchmarks/smt_bench.py")
    print(json.dumps(bmc_row(found[0], args.cap, args.max_depth)))


if __name__ == "__main__":
    main()
