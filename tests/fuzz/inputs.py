"""What a generated input is (:class:`Input`: files and a command line), the files the
generators start from, and :func:`mutated`, which damages a text a little."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from tests.fuzz.harness import ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "tests" / "data").glob("*.yaml"))
TRACES = [ROOT / "diagrams" / "cex-replicaset-one-too-many.json", ROOT / "diagrams" / "cex-scheduler-rebinding.json"]
SMALL = ROOT / "tests" / "data" / "props-two-workers.yaml"


@dataclass
class Input:
    """What to run: files to write into the run's directory, and the command line."""

    kind: str  # scenario, invariant, trace, flags
    args: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    in_root: bool = False  # run in the repository (a trace names its scenario relative to it), else in {gen}

    def cwd(self, gen: Path) -> Path:
        return ROOT if self.in_root else gen

    def argv(self, gen: Path) -> list[str]:
        return [a.replace("{gen}", str(gen)) for a in self.args]

    def write(self, gen: Path) -> None:
        for name, data in self.files.items():
            (gen / name).write_bytes(data)


INSERTS = (
    b"\x00",
    b"\xff",
    b"\t",
    b"\r",
    b": ",
    b"- ",
    b"&a ",
    b"*a",
    b"[",
    b"{",
    b"}",
    b"]",
    b"'",
    b'"',
    b"#",
    b"---\n",
    b"\n  ",
    b"\xc2\xb2",
    b"!!",
    b"%YAML 1.1\n",
    b"? ",
    b"|",
    b">",
)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes cut, doubled, replaced or inserted."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        how = draw(st.integers(0, 3))
        span = draw(st.integers(1, 40))
        if how == 0:
            del out[at : at + span]
        elif how == 1:
            out[at:at] = out[at : at + span]
        elif how == 2:
            out[at : at + 1] = draw(st.sampled_from(INSERTS))
        else:
            out[at:at] = draw(st.sampled_from(INSERTS))
    return bytes(out)
