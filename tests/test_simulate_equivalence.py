"""``kmodel simulate`` gives exactly what it gave before the simulator-at-scale work (issue 17).

tests/data/simulate_golden.json holds, for every shipped scenario (scenarios/*.yaml) and four
generated bench clusters (benchmarks/simulate_bench.py: node failures, pods that do not fit, the
plain workload), a digest of the events, steps, snapshots, final state and every state shown to
``on_tick`` (tests/simulate_golden.py), written by the simulator before the next-event time
advance and the scheduler's indexes. Each run here must give the same digests.
Regenerate only for an intended change of simulate's semantics: ``python -m tests.simulate_golden``.
"""

from __future__ import annotations

import json

import pytest

from tests.simulate_golden import GOLDEN, load_named, run

GOLDENS: dict[str, dict[str, object]] = json.loads(GOLDEN.read_text())


def test_every_shipped_scenario_has_a_golden() -> None:
    from tests.simulate_golden import shipped

    assert set(shipped()) <= set(GOLDENS)


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_simulate_gives_the_golden_output(name: str) -> None:
    got = run(load_named(name))
    want = GOLDENS[name]
    for part in ("events", "steps", "snapshots", "final", "ticks"):
        assert got[part] == want[part], f"{name}: {part} differ"
