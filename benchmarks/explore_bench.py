"""Explorer speed on generated clusters: states, states/s, peak memory, and reach.

    python -m benchmarks.explore_bench [--workers 1,2,3,4] [--replicas 1,2,3] [--timeout 60]
        [--faults powerOffNode=1] [--no-symmetry] [--node-symmetry] [--por] [--profile]

Each generated cluster is the explorer sweep's (benchmarks/explorer_sweep.py: W workers, a
Deployment of R replicas behind a Service, short timeouts, no timeline) with a NoSchedule-tainted
control-plane node; the checker's fault budget (``--faults``, default one power-off) picks when
and where a fault strikes. For each size the explorer checks a property that always holds, so it visits the whole
space unless the timeout stops it (``--por``: with sleep sets, kmodel.sleepsets; "transitions" counts
the successors computed, "skipped" those sleep sets left out). "done" means exhaustive within the
timeout. Runs one size per child process so that each peak memory (maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.explorer_sweep import generated_yaml
from kmodel.checkmodel import KubeModel
from kmodel.checkrun import parse_faults
from kmodel.engines.base import ALWAYS, HOLDS, Property, Stats
from kmodel.engines.explore import explore
from kmodel.scenario import Scenario, load

CONTROL_PLANE = (
    "apiVersion: v1\nkind: Node\nmetadata:\n  name: control-plane\n"
    '  labels: {node-role.kubernetes.io/control-plane: ""}\n'
    "spec:\n  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]\n"
)


def generated_text(workers: int, replicas: int) -> str:
    """The explorer sweep's cluster (benchmarks/explorer_sweep.py, what ``python -m benchmarks``
    measures) with a NoSchedule-tainted control-plane node in front of the workers."""
    scenario, *rest = generated_yaml(workers, replicas).split("---\n")
    return "---\n".join([scenario, CONTROL_PLANE, *rest])


def generated(workers: int, replicas: int) -> Scenario:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"gen-{workers}w-{replicas}r.yaml"
        path.write_text(generated_text(workers, replicas))
        return load(path)


def model_for(args: argparse.Namespace, workers: int, replicas: int) -> KubeModel:
    kwargs: dict[str, object] = {}
    if args.node_symmetry:
        kwargs["node_symmetry"] = True
    return KubeModel(
        generated(workers, replicas), faults=parse_faults(args.faults), symmetry=not args.no_symmetry, **kwargs
    )


class _OutOfCPU(Exception):
    def __init__(self, stats: Stats) -> None:
        self.stats = stats


def run_one(args: argparse.Namespace, workers: int, replicas: int) -> dict[str, object]:
    """One exhaustive run; with ``--cpu`` the budget is CPU seconds of this process (the
    explorer's own timeout is wall time, which other processes on a shared machine stretch)."""
    trivially_true = Property("true", ALWAYS, "", predicate=lambda s: True)
    m = model_for(args, workers, replicas)
    start = time.monotonic()
    cpu0 = time.process_time()

    def progress(stats: Stats, queued: int) -> None:
        if args.cpu and time.process_time() - cpu0 > args.timeout:
            raise _OutOfCPU(stats)

    timeout = None if args.cpu else args.timeout
    try:
        r = explore(m, trivially_true, timeout=timeout, max_states=args.max_states, progress=progress, por=args.por)
        done, stats = r.verdict == HOLDS, r.stats
    except _OutOfCPU as out:
        done, stats = False, out.stats
    secs = time.monotonic() - start
    cpu = time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "workers": workers,
        "replicas": replicas,
        "done": done,
        "states": stats.states,
        "transitions": stats.transitions,
        "skipped": stats.skipped,
        "depth": stats.depth,
        "seconds": round(secs, 2),
        "cpu": round(cpu, 2),
        "states_per_cpu_s": round(stats.states / max(cpu, 1e-9)),
        "maxrss_mb": round(rss),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="1,2,3,4")
    ap.add_argument("--replicas", default="1,2,3")
    ap.add_argument("--faults", default="powerOffNode=1")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per size (default 60)")
    ap.add_argument("--cpu", action="store_true", help="count --timeout in CPU seconds, not wall seconds")
    ap.add_argument("--stop-early", action="store_true", help="skip larger sizes of a replica count once one stops")
    ap.add_argument("--max-states", type=int, default=50_000_000)
    ap.add_argument("--no-symmetry", action="store_true", help="no pod-name symmetry reduction")
    ap.add_argument("--node-symmetry", action="store_true", help="node symmetry reduction (off by default)")
    ap.add_argument("--por", action="store_true", help="partial-order reduction by sleep sets (off by default)")
    ap.add_argument("--profile", action="store_true", help="cProfile the first size, print the top functions")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # child: one size, JSON out
    args = ap.parse_args()
    sizes = [(int(w), int(r)) for w in args.workers.split(",") for r in args.replicas.split(",")]
    if args.profile:
        import cProfile
        import pstats

        w, r = sizes[0]
        prof = cProfile.Profile()
        prof.enable()
        row = run_one(args, w, r)
        prof.disable()
        print(json.dumps(row))
        pstats.Stats(prof).sort_stats("tottime").print_stats(35)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        return
    if args.one:
        print(json.dumps(run_one(args, *sizes[0])))
        return
    print(
        f"{'workers':>7} {'replicas':>8} {'result':<6} {'states':>10} {'seconds':>7} "
        f"{'states/cpu-s':>12} {'maxrss MB':>9} {'transitions':>11} {'skipped':>9}"
    )
    passthrough = [a for a in sys.argv[1:] if a.startswith("--no-") or a in ("--cpu", "--node-symmetry", "--por")]
    stopped: set[int] = set()
    for w, r in sizes:
        if args.stop_early and r in stopped:
            continue
        cmd = [sys.executable, "-m", "benchmarks.explore_bench", "--one", f"--workers={w}", f"--replicas={r}"]
        cmd += [f"--faults={args.faults}", f"--timeout={args.timeout}", f"--max-states={args.max_states}"]
        # our own interpreter and module, with arguments this process parsed
        out = subprocess.run([*cmd, *passthrough], capture_output=True, text=True, check=True).stdout  # noqa: S603
        row = json.loads(out.strip().splitlines()[-1])
        if not row["done"]:
            stopped.add(r)
        print(
            f"{w:>7} {r:>8} {'done' if row['done'] else 'limit':<6} {row['states']:>10,} {row['seconds']:>7.1f} "
            f"{row['states_per_cpu_s']:>12,} {row['maxrss_mb']:>9,} {row['transitions']:>11,} {row['skipped']:>9,}",
            flush=True,
        )


if __name__ == "__main__":
    main()
