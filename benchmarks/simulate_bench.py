"""Print how fast `kmodel simulate` runs: the seed scenarios, then generated clusters.

    python benchmarks/simulate_bench.py [--nodes 50,500] [--minutes 10]
    python -m benchmarks.simulate_bench --scale --nodes 100,500,1000,2000,5000

For each generated cluster: N workers in 3 zones, a Deployment of 2N replicas, one worker in
a hundred powered off at 60s. Prints wall time, simulated ticks per second and the process's
maximum resident memory so far.

``--scale`` (the "simulator at scale" workload, issue 17): N workers in 3 zones running
``--pods-per-node`` pods each (30; ten Deployments of 3N replicas, 50m cpu per pod), for
``--minutes`` (60) simulated minutes, one worker powered off every ``--fail-every`` (10)
simulated minutes; the seed scenarios are skipped. ``--fit`` then prints the growth exponent
(the slope of log CPU time against log nodes, least squares).
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from pathlib import Path

from kmodel import limits
from kmodel.engines.simulate import simulate
from kmodel.limits import Limits
from kmodel.scenario import Scenario, load

ROOT = Path(__file__).resolve().parent.parent


def generated(tmp: Path, nodes: int, minutes: int) -> Path:
    docs = []
    off = [f"node-{i:05d}" for i in range(0, nodes, 100)]
    timeline = ", ".join(f'"60s stop node/{n}"' for n in off)
    docs.append(
        f"apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: gen-{nodes}}}\n"
        f"until: {minutes}m\ntimeline: [{timeline}]\n"
    )
    for i in range(nodes):
        docs.append(
            f"apiVersion: v1\nkind: Node\nmetadata:\n  name: node-{i:05d}\n"
            f"  labels: {{topology.kubernetes.io/zone: zone-{i % 3}}}\n"
        )
    docs.append(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        f"  replicas: {2 * nodes}\n  selector: {{matchLabels: {{app: web}}}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: app, image: nginx, resources: {requests: {cpu: 100m}}}]}\n"
    )
    path = tmp / f"gen-{nodes}.yaml"
    path.write_text("---\n".join(docs))
    return path


def generated_scale(tmp: Path, nodes: int, minutes: int, pods_per_node: int, fail_every: int) -> Path:
    """N workers in 3 zones, ``pods_per_node`` pods per worker in ten Deployments, one worker
    powered off every ``fail_every`` minutes (spread over the cluster, never the same twice)."""
    failures = [m for m in range(fail_every, minutes + 1, fail_every)] if fail_every else []
    stride = max(1, nodes // (len(failures) + 1))
    off = [(m, f"node-{(k + 1) * stride % nodes:05d}") for k, m in enumerate(failures)]
    timeline = ", ".join(f'"{m}m stop node/{n}"' for m, n in off)
    docs = [
        f"apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: scale-{nodes}}}\n"
        f"until: {minutes}m\ntimeline: [{timeline}]\n"
    ]
    for i in range(nodes):
        docs.append(
            f"apiVersion: v1\nkind: Node\nmetadata:\n  name: node-{i:05d}\n"
            f"  labels: {{topology.kubernetes.io/zone: zone-{i % 3}}}\n"
        )
    deployments = 10
    total = nodes * pods_per_node
    for d in range(deployments):
        replicas = total // deployments + (1 if d < total % deployments else 0)
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{d}}}\nspec:\n"
            f"  replicas: {replicas}\n  selector: {{matchLabels: {{app: app-{d}}}}}\n"
            f"  template:\n    metadata: {{labels: {{app: app-{d}}}}}\n"
            "    spec: {containers: [{name: app, image: nginx, resources: {requests: {cpu: 50m}}}]}\n"
        )
    path = tmp / f"scale-{nodes}.yaml"
    path.write_text("---\n".join(docs))
    return path


def growth_exponent(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(seconds) against log(nodes)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


# the at-scale clusters are beyond the default input limits (kmodel.limits)
SCALE_LIMITS = Limits(max_nodes=100_000, max_replicas=1_000_000, max_pods=1_000_000, max_file_size=64 * 2**20)


def load_scale(path: Path) -> Scenario:
    with limits.using(SCALE_LIMITS):
        return load(path)


def measure(path: Path) -> float:
    scen = load_scale(path)
    start, cpu = time.perf_counter(), time.process_time()
    sim = simulate(scen)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ticks = scen.until // scen.settings.step + 1
    final = sim.final
    assert final is not None
    print(
        f"{path.name:34} nodes {len(final.nodes):5}  pods {len(final.pods):6}  "
        f"{seconds:8.2f} s (cpu {cpu:8.2f} s)  {ticks / seconds:9.1f} ticks/s  events {len(sim.events):6}  "
        f"max RSS so far {peak / 2**20:7.1f} MiB",
        flush=True,
    )
    return cpu  # the fit uses CPU time: wall time on a shared machine is noise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="50,500", help="comma-separated cluster sizes to generate")
    parser.add_argument(
        "--minutes", type=int, default=None, help="simulated minutes for generated clusters (10; 60 with --scale)"
    )
    parser.add_argument("--scale", action="store_true", help="the at-scale workload (see above)")
    parser.add_argument("--pods-per-node", type=int, default=30, help="with --scale: pods per worker")
    parser.add_argument("--fail-every", type=int, default=10, help="with --scale: minutes between node failures")
    parser.add_argument("--fit", action="store_true", help="print the growth exponent of time vs nodes")
    args = parser.parse_args()
    if args.minutes is None:
        args.minutes = 60 if args.scale else 10
    if not args.scale:
        for path in sorted((ROOT / "scenarios").glob("*.yaml")):
            measure(path)
    import tempfile

    points: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.nodes.split(",") if x):
            if args.scale:
                path = generated_scale(Path(tmp), n, args.minutes, args.pods_per_node, args.fail_every)
            else:
                path = generated(Path(tmp), n, args.minutes)
            points.append((n, measure(path)))
    if args.fit and len(points) > 1:
        print(f"growth exponent (log time vs log nodes): {growth_exponent(points):.2f}")


if __name__ == "__main__":
    main()
