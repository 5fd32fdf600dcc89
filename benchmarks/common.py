"""What the sections of ``python -m benchmarks`` share: the machine and versions a run is recorded
with, the command line that reproduces a figure, child processes whose peak memory is measured,
and the tables printed."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("kmodel", "attrs", "click", "hypothesis", "z3-solver", "pyyaml", "rich")
GRACE = 10.0  # seconds a child gets past its cap (start-up, writing its answer) before it is killed


def command(*args: str | int | float) -> str:
    """The shell command that runs ``python ARGS`` from the repository root."""
    return shlex.join(["python", *(str(a) for a in args)])


def machine() -> dict[str, Any]:
    """The machine a run is measured on: processor, cores, memory, load, operating system."""
    cpu = ""
    mem_kib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "processor": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1) if mem_kib else None,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict[str, str | None]:
    """Python's version and those of the libraries the engines run on."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            out[lib] = None
    return out


def git() -> dict[str, Any]:
    """The commit measured, and whether the work tree had changes."""
    exe = shutil.which("git")
    if exe is None:
        return {"commit": None, "dirty": None}
    try:  # fixed arguments, no shell
        head = subprocess.run(  # noqa: S603
            [exe, "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [exe, "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": head, "dirty": bool(dirty)}


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@frozen
class Child:
    """A finished child process: its exit status (None when it was killed at the limit), what it
    printed, its wall seconds and its peak resident memory (MiB)."""

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float

    @property
    def killed(self) -> bool:
        return self.returncode is None

    def error(self) -> str:
        """The last line the child wrote to stderr (its error, when it failed)."""
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit status {self.returncode}"

    def answer(self) -> dict[str, Any]:
        """The JSON object the child printed on its last line."""
        lines = self.stdout.strip().splitlines()
        if self.returncode != 0 or not lines:
            raise RuntimeError(f"benchmark child failed ({self.returncode}): {self.stderr.strip()[-2000:]}")
        return dict(json.loads(lines[-1]))


def peak_mib(pid: int | str = "self") -> float | None:
    """The peak resident memory (VmHWM) of a live process, in MiB; None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def run_child(args: Sequence[str], limit: float) -> Child:
    """Run ``python ARGS`` from the repository root, killing it after ``limit`` seconds.

    Its peak resident memory is the larger of its VmHWM as last read here (the file is polled
    while it runs) and the ``peak_mib`` it prints itself on exit. Not ``ru_maxrss`` from
    ``wait4``: a child started by vfork and exec keeps the parent's high-water mark there."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.monotonic()
        proc = subprocess.Popen(  # noqa: S603 (this Python, the benchmark's own arguments, no shell)
            [sys.executable, *args], cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        killed = False
        seen = 0.0
        while proc.poll() is None:
            seen = max(seen, peak_mib(proc.pid) or 0.0)
            if time.monotonic() - start > limit:
                proc.kill()
                proc.wait()
                killed = True
                break
            time.sleep(0.02)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        child = Child(None if killed else proc.returncode, out.read(), err.read(), round(seconds, 3), seen)
    if not killed:
        try:
            reported = float(child.answer().get("peak_mib") or 0.0)
        except (RuntimeError, ValueError):
            reported = 0.0
        child = attrs.evolve(child, peak_mib=max(seen, reported))
    return child


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table under a title line, the way the README shows it."""

    def cell(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"
        if isinstance(v, int) and not isinstance(v, bool):
            return f"{v:,}"
        return str(v)

    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
