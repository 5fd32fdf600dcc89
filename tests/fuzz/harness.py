"""Run one ``kmodel`` command in-process, bounded in time and measured in memory, and judge it.

:func:`run` invokes the click command group as the console script would (but without its
last-resort handler, so an exception that escapes is seen as the internal error it would be),
with an interval timer that interrupts a run past its time (a hang) and ``tracemalloc``
recording the peak of the memory Python allocated. :func:`problems` lists what is wrong with an
outcome by the rules of issue 18: an exit code outside the documented ones, an internal error,
a hang, too much memory, an error message that is not one short line, or one that leaks Python's
internals.

Inputs that could still blow up the test process if a defence regressed (``/dev/zero``) are run
in a subprocess instead (:func:`run_subprocess`), under an address-space limit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner

from kmodel import limits
from kmodel.cli import main
from tests.fuzz.child import MARK

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 30.0  # wall-clock time one input may take before it counts as a hang
MEMORY = 512 * 2**20  # bytes Python may allocate at peak for one input
LINE = 1200  # characters of one line of an error message, at most
EXIT_CODES = frozenset({0, 1, 2, 3})  # kmodel's documented exit codes
REPLAY_EXIT_CODES = EXIT_CODES | {4}  # replay: 4, the trace diverges from the model
LEAKS = ("Traceback", "internal error", "MarkedDict", "MarkedList", "object at 0x", "<class ")


class Hang(BaseException):
    """The run took longer than its time (a BaseException, so that no ``except Exception`` in
    kmodel can swallow it)."""


@dataclass
class Outcome:
    args: list[str]
    code: int | None  # None: it did not exit (a hang or an escaped exception)
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    peak: int = 0  # bytes allocated at peak (tracemalloc; RSS growth for a subprocess)
    error: str = ""  # the exception that escaped, as "Type: message"
    hung: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def internal_error(self) -> bool:
        return bool(self.error) or "internal error" in self.stderr


def _alarm(_signum: int, _frame: object) -> None:
    raise Hang


def run(args: Sequence[str], *, seconds: float = SECONDS, memory: bool = True, cwd: Path | None = None) -> Outcome:
    """Run ``kmodel ARGS`` in this process (its main thread) within ``seconds``."""
    assert threading.current_thread() is threading.main_thread(), "the interval timer needs the main thread"
    runner = CliRunner()
    out = Outcome(list(args), None)
    tracing = memory and not tracemalloc.is_tracing()
    if tracing:
        tracemalloc.start()
    elif memory:
        tracemalloc.reset_peak()
    before = signal.signal(signal.SIGALRM, _alarm)
    here = Path.cwd()
    start = time.monotonic()
    try:
        if cwd is not None:
            os.chdir(cwd)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            result = runner.invoke(main, list(args), catch_exceptions=True, prog_name="kmodel")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        out.stdout, out.stderr = result.stdout, result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            exc = result.exception
            out.error = f"{exc.__class__.__name__}: {str(exc)[:300]}"
        else:
            out.code = result.exit_code
    except Hang:
        out.hung = True
    finally:
        out.seconds = time.monotonic() - start
        signal.signal(signal.SIGALRM, before)
        os.chdir(here)
        limits.use(None)
        if memory:
            out.peak = tracemalloc.get_traced_memory()[1]
        if tracing:
            tracemalloc.stop()
    return out


def run_subprocess(
    args: Sequence[str], *, seconds: float = SECONDS, memory: int = 2 * 2**30, cwd: Path | None = None
) -> Outcome:
    """Run ``kmodel ARGS`` as a process of its own (:mod:`tests.fuzz.child`) under an
    address-space limit of ``memory`` bytes, killed after ``seconds``; ``peak`` is the child's
    peak resident set."""
    out = Outcome(list(args), None)
    start = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KMODEL_DEBUG", None)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.fuzz.child", str(memory), *args],
            capture_output=True,
            text=True,
            timeout=seconds,
            cwd=cwd or ROOT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        out.hung = True
    else:
        out.code = proc.returncode
        out.stdout = proc.stdout
        lines = proc.stderr.splitlines(keepends=True)
        if lines and lines[-1].startswith(MARK):
            out.peak = int(lines[-1].split()[1])
            lines = lines[:-1]
        out.stderr = "".join(lines)
        if proc.returncode == 70:
            out.error = "exit code 70 (internal error)"
        elif proc.returncode not in REPLAY_EXIT_CODES:
            out.error = f"exit code {proc.returncode} (killed?)"
    out.seconds = time.monotonic() - start
    return out


def problems(
    out: Outcome, *, codes: frozenset[int] = EXIT_CODES, seconds: float = SECONDS, memory: int = MEMORY
) -> list[str]:
    """What is wrong with ``out`` by the rules of issue 18 (empty: nothing)."""
    found = []
    if out.hung:
        found.append(f"hang: still running after {out.seconds:.1f}s")
    if out.error:
        found.append(f"internal error: {out.error}")
    if out.code is not None and out.code not in codes:
        found.append(f"exit code {out.code}, not one of {sorted(codes)}")
    if out.seconds > seconds:
        found.append(f"took {out.seconds:.1f}s (at most {seconds:g}s)")
    if out.peak > memory:
        found.append(f"peak memory {out.peak / 2**20:.0f} MiB (at most {memory / 2**20:.0f} MiB)")
    text = out.stdout + out.stderr
    found += [f"output shows {leak!r}" for leak in LEAKS if leak in text]
    if out.code == 2:
        found += _error_problems(out.stderr)
    return found


def _error_problems(stderr: str) -> list[str]:
    """Exit 2 (bad input): kmodel's own errors are one line; click's usage errors end in one
    ``Error:`` line; no line is long."""
    lines = stderr.splitlines()
    if not lines:
        return ["exit 2 without a message"]
    found = [f"a line of {len(line)} characters" for line in lines if len(line) > LINE]
    ours = [line for line in lines if line.startswith("kmodel: error:")]
    if ours and len(lines) != 1:
        found.append(f"kmodel's error is {len(lines)} lines, not one")
    if not ours and not any(line.startswith("Error:") for line in lines):
        found.append(f"exit 2 with neither a kmodel error nor a usage error: {stderr[:200]!r}")
    return found
