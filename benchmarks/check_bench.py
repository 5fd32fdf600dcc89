"""Print how far the explorer gets: states, transitions, depth, states/s and memory per run.

    python benchmarks/check_bench.py [--timeout 60] [--budgets none,killPod=1,powerOffNode=1]

For every shipped scenario and every fault budget, explores the full state space (checking a
property that always holds, so nothing stops the search early) until it is done or the timeout
hits, then prints one row. "done" means the whole space was visited; "limit" that the timeout
stopped it first.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from kmodel.checkmodel import KubeModel
from kmodel.checkrun import parse_faults
from kmodel.engines.base import ALWAYS, HOLDS, Property
from kmodel.engines.explore import explore
from kmodel.scenario import load

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    ap.add_argument("--budgets", default="none,killPod=1,deletePod=1,stopComponent=1,powerOffNode=1")
    ap.add_argument("--scenarios", default=",".join(sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))))
    args = ap.parse_args()
    trivially_true = Property("true", ALWAYS, "", predicate=lambda s: True)
    print(
        f"{'scenario':<32} {'budget':<18} {'result':<6} {'states':>9} {'transitions':>11} "
        f"{'depth':>5} {'seconds':>7} {'states/s':>8} {'maxrss MB':>9}"
    )
    for name in args.scenarios.split(","):
        scenario = load(ROOT / "scenarios" / name)
        for budget in args.budgets.split(";") if ";" in args.budgets else args.budgets.split(","):
            start = time.monotonic()
            r = explore(KubeModel(scenario, faults=parse_faults(budget)), trivially_true, timeout=args.timeout)
            secs = time.monotonic() - start
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            done = "done" if r.verdict == HOLDS else "limit"
            print(
                f"{name:<32} {budget:<18} {done:<6} {r.stats.states:>9,} {r.stats.transitions:>11,} "
                f"{r.stats.depth:>5} {secs:>7.1f} {r.stats.states / secs:>8.0f} {rss:>9.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
