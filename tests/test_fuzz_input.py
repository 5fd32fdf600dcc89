"""Hostile and odd input (issue 18): the checked-in corpus and Hypothesis-generated scenario
files, invariants, traces and flags, each run through the command line in-process within a time
and memory bound (:mod:`tests.fuzz.harness`).

Every input must end with one of kmodel's exit codes (0, 1, 2, 3; 4 for a replay that
diverges), never an internal error or a hang, within :data:`~tests.fuzz.harness.SECONDS` and
:data:`~tests.fuzz.harness.MEMORY`, and with an error message that is one short line. The
default run tries a few generated inputs of each class (a few seconds); ``-m thorough`` tries
many more. ``python -m tests.fuzz.measure`` runs them all and prints the counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz import strategies
from tests.fuzz.corpus import CASES, Case, argv, generated
from tests.fuzz.harness import EXIT_CODES, REPLAY_EXIT_CODES, problems, run, run_subprocess


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile")
    generated(path)
    return path


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_known_hostile_input(case: Case, gen: Path) -> None:
    args = argv(case, gen)
    out = run_subprocess(args) if case.process else run(args, cwd=strategies.ROOT)
    assert not problems(out, codes=REPLAY_EXIT_CODES), (problems(out), out.stderr[:500])
    assert out.code == case.code, (out.code, out.stdout[-500:], out.stderr[:500])
    text = out.stderr if out.code == 2 else out.stdout
    assert case.needle in text, text[:800]


# --- generated inputs -------------------------------------------------------------------------------

FAST = settings(
    max_examples=6,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.nested_given],
)
THOROUGH = settings(FAST, max_examples=300, derandomize=False)


def judge(inp: strategies.Input, gen: Path) -> None:
    inp.write(gen)
    out = run(inp.argv(gen), cwd=inp.cwd(gen))
    found = problems(out, codes=REPLAY_EXIT_CODES if "replay" in inp.args else EXIT_CODES)
    assert not found, (found, inp.argv(gen)[:12], out.stderr[:600], out.stdout[-300:])


@pytest.mark.parametrize("kind", sorted(strategies.CLASSES))
def test_generated_input(kind: str, gen: Path) -> None:
    @FAST
    @given(inp=strategies.CLASSES[kind]())
    def one(inp: strategies.Input) -> None:
        judge(inp, gen)

    one()


@pytest.mark.thorough
@pytest.mark.parametrize("kind", sorted(strategies.CLASSES))
def test_generated_input_thorough(kind: str, gen: Path) -> None:
    @THOROUGH
    @given(inp=strategies.CLASSES[kind]())
    def one(inp: strategies.Input) -> None:
        judge(inp, gen)

    one()
