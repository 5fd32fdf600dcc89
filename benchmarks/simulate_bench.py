"""Print how fast `kmodel simulate` runs: the seed scenarios, then generated clusters.

    python benchmarks/simulate_bench.py [--nodes 50,500] [--minutes 10]

For each generated cluster: N workers in 3 zones, a Deployment of 2N replicas, one worker in
a hundred powered off at 60s. Prints wall time, simulated ticks per second and the process's
maximum resident memory so far.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from kmodel.engines.simulate import simulate
from kmodel.scenario import load

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


def measure(path: Path) -> None:
    scen = load(path)
    start = time.perf_counter()
    sim = simulate(scen)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ticks = scen.until // scen.settings.step + 1
    final = sim.final
    assert final is not None
    print(
        f"{path.name:34} nodes {len(final.nodes):5}  pods {len(final.pods):6}  "
        f"{seconds:8.2f} s  {ticks / seconds:9.1f} ticks/s  events {len(sim.events):6}  "
        f"max RSS so far {peak / 2**20:7.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="50,500", help="comma-separated cluster sizes to generate")
    parser.add_argument("--minutes", type=int, default=10, help="simulated minutes for generated clusters")
    args = parser.parse_args()
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        measure(path)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.nodes.split(",") if x):
            measure(generated(Path(tmp), n, args.minutes))


if __name__ == "__main__":
    main()
