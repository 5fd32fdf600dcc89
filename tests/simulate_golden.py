"""Golden outputs of ``kmodel simulate``: a deterministic digest of what a simulation gives.

    python -m tests.simulate_golden            # rewrite tests/data/simulate_golden.json

The digest of a run is, for each of its events, steps, snapshots, final state and the states
``on_tick`` is shown (their times and contents), a count and a SHA-256 of a canonical JSON form
(attrs objects as their fields, sets sorted, no dependence on hash seeds). The goldens were
written by the simulator as it was before the tick-skipping and scheduler-index work of issue
17 (part 4); tests/test_simulate_equivalence.py checks that the simulator still gives them.
Since then one deliberate change: a bind's label names at most 8 tied nodes (the rest counted),
which changed the steps' digest of the three generated clusters with more ties, and nothing else.
"""

from __future__ import annotations

import enum
import hashlib
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from benchmarks.simulate_bench import generated, generated_scale, load_scale
from kmodel.engines.simulate import Simulation, simulate
from kmodel.scenario import Scenario, load
from kmodel.state import Cluster

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "simulate_golden.json"


def canonical(obj: Any) -> Any:
    """A JSON-able form of ``obj`` that does not depend on set order or hash seeds."""
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, enum.Enum):
        return canonical(obj.value)
    if attrs.has(type(obj)):
        return [type(obj).__name__] + [
            [f.name, canonical(getattr(obj, f.name))] for f in attrs.fields(type(obj)) if f.eq
        ]
    if isinstance(obj, dict):
        items = [[canonical(k), canonical(v)] for k, v in obj.items()]
        return {"dict": sorted(items, key=lambda kv: json.dumps(kv, sort_keys=True))}
    if isinstance(obj, frozenset | set):
        return {"set": sorted((canonical(x) for x in obj), key=lambda x: json.dumps(x, sort_keys=True))}
    if isinstance(obj, Iterable):
        return [canonical(x) for x in obj]
    raise TypeError(f"no canonical form for {type(obj).__name__}")


def digest(items: Any) -> str:
    return hashlib.sha256(json.dumps(canonical(items), sort_keys=True).encode()).hexdigest()


def run(scen: Scenario) -> dict[str, Any]:
    """The digest of one simulation of ``scen`` (watching every tick with ``on_tick``)."""
    ticks: list[Cluster] = []
    sim: Simulation = simulate(scen, on_tick=ticks.append)
    return summary(sim, ticks)


def summary(sim: Simulation, ticks: list[Cluster]) -> dict[str, Any]:
    return {
        "events": [len(sim.events), digest([e.as_dict() for e in sim.events])],
        "steps": [len(sim.steps), digest(sim.steps)],
        "snapshots": [len(sim.snapshots), digest(sim.snapshots)],
        "final": digest(sim.final),
        "ticks": [len(ticks), digest([c.now for c in ticks]), digest(ticks)],
    }


# shipped scenarios ``kmodel simulate`` runs as they are (all of scenarios/*.yaml load)
def shipped() -> list[str]:
    return sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))


# generated bench clusters: (kind, nodes, minutes, pods per node, minutes between failures)
GENERATED: tuple[tuple[str, int, int, int, int], ...] = (
    ("scale", 12, 12, 6, 4),  # node failures, pods evicted and placed again
    ("scale", 6, 6, 45, 3),  # pods that do not fit, retried every tick
    ("scale", 24, 21, 8, 7),
    ("plain", 40, 4, 0, 0),  # the bench's default workload (a node off at 60s)
)


def generated_name(g: tuple[str, int, int, int, int]) -> str:
    return "gen:" + ",".join(str(x) for x in g)


def load_generated(g: tuple[str, int, int, int, int]) -> Scenario:
    kind, nodes, minutes, per_node, fail_every = g
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "scale":
            return load_scale(generated_scale(Path(tmp), nodes, minutes, per_node, fail_every))
        return load_scale(generated(Path(tmp), nodes, minutes))


def load_named(name: str) -> Scenario:
    if name.startswith("gen:"):
        kind, *rest = name[4:].split(",")
        return load_generated((kind, *(int(x) for x in rest)))  # type: ignore[arg-type]
    return load(ROOT / "scenarios" / name)


def main() -> None:
    import time

    out: dict[str, Any] = {}
    for name in shipped() + [generated_name(g) for g in GENERATED]:
        start = time.perf_counter()
        out[name] = run(load_named(name))
        print(f"{name:45} {time.perf_counter() - start:6.2f} s", flush=True)
    GOLDEN.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
