"""``python -m tests.fuzz.measure [--per-class N] [--seed S]``: run the hostile corpus and N
generated inputs of each class, and print the counts issue 18 asks for: inputs tried per class,
exit codes, internal errors, hangs, the slowest input and the peak memory.

Peak memory is what Python allocated at the peak of one input (``tracemalloc``; for the corpus
cases run in a subprocess, that process's peak resident set), and the largest resident set this
process reached over the whole run.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

from tests.fuzz import strategies
from tests.fuzz.corpus import CASES, argv, generated
from tests.fuzz.harness import EXIT_CODES, REPLAY_EXIT_CODES, Outcome, problems, run, run_subprocess


@dataclass
class Tally:
    tried: int = 0
    codes: Counter[int | None] = field(default_factory=Counter)
    internal: int = 0
    hangs: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    peak: int = 0

    def add(self, out: Outcome, codes: frozenset[int]) -> None:
        self.tried += 1
        self.codes[out.code] += 1
        self.internal += out.internal_error
        self.hangs += out.hung
        self.slowest = max(self.slowest, out.seconds)
        self.peak = max(self.peak, out.peak)
        found = problems(out, codes=codes)
        if found:
            self.failures.append(f"{found}: {' '.join(out.args)[:300]} -> {out.stderr[:300]!r}")


def _corpus(gen: Path) -> Tally:
    tally = Tally()
    for case in CASES:
        args = argv(case, gen)
        out = run_subprocess(args) if case.process else run(args, cwd=strategies.ROOT)
        tally.add(out, REPLAY_EXIT_CODES)
        if out.code != case.code:
            tally.failures.append(f"{case.id}: exit {out.code}, expected {case.code}")
    return tally


def _generated(kind: str, n: int, gen: Path, at: int | None) -> Tally:
    tally = Tally()

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(inp=strategies.CLASSES[kind]())
    def one(inp: strategies.Input) -> None:
        inp.write(gen)
        out = run(inp.argv(gen), cwd=inp.cwd(gen))
        tally.add(out, REPLAY_EXIT_CODES if "replay" in inp.args else EXIT_CODES)

    (seed(at)(one) if at is not None else one)()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=200, help="generated inputs per class")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed")
    args = parser.parse_args()
    gen = Path(tempfile.mkdtemp(prefix="kmodel-hostile-"))
    try:
        generated(gen)
        for path in (strategies.ROOT / "tests" / "data").glob("*.yaml"):  # what mutated scenarios apply
            shutil.copy(path, gen)
        tallies = {"corpus": _corpus(gen)}
        for kind in strategies.CLASSES:
            tallies[kind] = _generated(kind, args.per_class, gen, args.seed)
    finally:
        shutil.rmtree(gen, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{'class':10} {'tried':>6} {'exit 0/1/2/3/4':>16} {'internal':>8} {'hangs':>6} {'slowest':>8} {'peak':>9}")
    for name, t in tallies.items():
        codes = "/".join(str(t.codes.get(c, 0)) for c in (0, 1, 2, 3, 4))
        print(f"{name:10} {t.tried:6} {codes:>16} {t.internal:8} {t.hangs:6} {t.slowest:7.1f}s {t.peak / 2**20:7.1f}Mi")
    total = sum(t.tried for t in tallies.values())
    print(f"total {total} inputs; largest resident set of this process {rss / 2**20:.0f} MiB")
    failures = [f for t in tallies.values() for f in t.failures]
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
