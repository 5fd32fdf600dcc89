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
from hypothesis import strategies as st

from tests.fuzz import strategies
from tests.fuzz.corpus import CASES, Case, argv, generated
from tests.fuzz.harness import REPLAY_EXIT_CODES, problems, run, run_subprocess


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
