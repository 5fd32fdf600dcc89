"""The Hypothesis engine against every deliberately broken component of tests/broken.py: the time
to the first counterexample and the examples run per second, median of several seeds.

    python -m benchmarks.hypothesis_bench --case scheduler-ignoring-taints [--seeds 0,1,2,3,4] [--cap 60]

prints one case as JSON; without ``--case``, every case. For each seed the engine checks the case's
property on the broken model (the ``ci`` profile's run length, up to :data:`MAX_EXAMPLES` runs,
``--cap`` seconds); the time to the first counterexample is when the first failing run ended,
before any shrinking (with the run it took: 1 is the first run); examples/s is the runs of the
whole check (Hypothesis's shrinking runs included) per second of it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks.common import command
from kmodel import properties as props
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import VIOLATED
from tests import broken

SEEDS = (0, 1, 2, 3, 4)
MAX_EXAMPLES = 1000  # runs per check at most; the cap usually ends a check that finds nothing first
PROFILE = "ci"


@contextlib.contextmanager
def first_failure_clock() -> Iterator[dict[str, float]]:
    """Record the time (``time.monotonic()``) and the examples at which the engine's runs first
    fail, from the engine's private ``_Run.failed`` hook (the engine reports only the check's
    total time). Empty when the engine has no such hook any more: callers then fall back to the
    whole check's time."""
    seen: dict[str, float] = {}
    run_class: Any = getattr(hypothesis_engine, "_Run", None)
    original: Callable[..., None] | None = getattr(run_class, "failed", None)
    if original is None:
        yield seen
        return

    def failed(self: Any, failure: Any) -> None:
        if self.best is None and "at" not in seen:
            seen["at"] = time.monotonic()
            seen["examples"] = self.stats.examples
        original(self, failure)

    run_class.failed = failed
    try:
        yield seen
    finally:
        run_class.failed = original


def case_by_slug(slug: str) -> broken.BrokenCase:
    for case in broken.CASES:
        if case.slug == slug:
            return case
    raise SystemExit(f"no broken case {slug!r}: use one of {', '.join(c.slug for c in broken.CASES)}")


def one_seed(case: broken.BrokenCase, seed: int, cap: float, max_examples: int) -> dict[str, Any]:
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    model = case.model(scen)
    with first_failure_clock() as seen:
        start = time.monotonic()
        r = hypothesis_engine.check(model, prop, seed=seed, profile=PROFILE, max_examples=max_examples, timeout=cap)
        total = time.monotonic() - start
    found = r.verdict == VIOLATED
    # from the call, so the engine's set-up (its walk discovering the action families) counts
    first = seen["at"] - start if "at" in seen else (total if found else None)
    examples = seen.get("examples", r.stats.examples)
    return {
        "seed": seed,
        "verdict": r.verdict,
        "first_counterexample_seconds": round(first, 3) if first is not None else None,
        "examples_to_first": int(examples) if found else None,
        "examples_per_second": round(r.stats.examples / total, 1) if total > 0 else None,
        "check_seconds": round(total, 3),
        "examples": r.stats.examples,
        "trace_steps": len(r.trace.steps) - 1 if r.trace is not None else None,
    }


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 3) if known else None


def run_case(case: broken.BrokenCase, seeds: tuple[int, ...], cap: float, max_examples: int) -> dict[str, Any]:
    per_seed = [one_seed(case, s, cap, max_examples) for s in seeds]
    args = ["-m", "benchmarks.hypothesis_bench", "--case", case.slug, "--seeds", ",".join(map(str, seeds))]
    args += ["--cap", f"{cap:g}"] + (["--max-examples", str(max_examples)] if max_examples != MAX_EXAMPLES else [])
    return {
        "case": case.slug,
        "property": case.property,
        "seeds": list(seeds),
        "found": sum(1 for r in per_seed if r["verdict"] == VIOLATED),
        "first_counterexample_seconds": _median([r["first_counterexample_seconds"] for r in per_seed]),
        "examples_to_first": _median([r["examples_to_first"] for r in per_seed]),
        "examples_per_second": _median([r["examples_per_second"] for r in per_seed]),
        "check_seconds": _median([r["check_seconds"] for r in per_seed]),
        "per_seed": per_seed,
        "command": command(*args),
    }


def run(cap: float, smoke: bool = False) -> list[dict[str, Any]]:
    """Every broken case, median of :data:`SEEDS` (``smoke``: the first case, one seed, few runs)."""
    if smoke:
        return [run_case(broken.CASES[0], (0,), cap, 20)]
    return [run_case(case, SEEDS, cap, MAX_EXAMPLES) for case in broken.CASES]


HEADER = ("broken component", "property", "found", "first counterexample s", "in run", "examples/s", "check s")


def table_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["case"],
            r["property"],
            f"{r['found']}/{len(r['seeds'])}",
            r["first_counterexample_seconds"],
            r.get("examples_to_first"),
            r["examples_per_second"],
            r["check_seconds"],
        ]
        for r in rows
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="", help="a BrokenCase slug (default: all)")
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    ap.add_argument("--cap", type=float, default=60.0, help="seconds per check (default 60)")
    ap.add_argument("--max-examples", type=int, default=MAX_EXAMPLES)
    args = ap.parse_args()
    seeds = tuple(int(s) for s in args.seeds.split(",") if s)
    cases = [case_by_slug(args.case)] if args.case else list(broken.CASES)
    for case in cases:
        print(json.dumps(run_case(case, seeds, args.cap, args.max_examples)), flush=True)


if __name__ == "__main__":
    main()
