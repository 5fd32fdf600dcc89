"""The Z3 slices refuse what they do not encode: container probes, the failProbe fault, and the
fail-probe / pass-probe, label and annotate timeline verbs, each with a one-line error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA, SCENARIOS, Cli


def _with_timeline(tmp_path: Path, source: Path, events: list[str]) -> Path:
    text = source.read_text()
    start = text.index("until:")
    timeline = "timeline:\n" + "".join(f"  - {e}\n" for e in events)
    path = tmp_path / source.name
    path.write_text(text[:start] + timeline + text[start:])
    return path


def test_probes_are_refused(cli: Cli, tmp_path: Path) -> None:
    text = (SCENARIOS / "readiness-probe-failure.yaml").read_text()
    start, end = text.index("timeline:\n"), text.index("# kmodel check")
    path = tmp_path / "probes.yaml"
    path.write_text(text[:start] + "timeline: []\n" + text[end:])
    out = cli("check", str(path), "--engine", "smt", "-p", "service-has-endpoint", "--faults", "none")
    assert out.exit_code == 2
    assert "readiness, liveness probe(s) (container probes), which the Z3 encoding does not cover" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("event", "verb"),
    [
        ("30s fail-probe readiness pod/x", "fail-probe"),
        ("30s pass-probe liveness deployment/web", "pass-probe"),
        ("30s label node/worker-1 disk=ssd", "label"),
        ("30s annotate node/worker-1 note=x", "annotate"),
    ],
)
def test_new_timeline_verbs_are_refused(cli: Cli, tmp_path: Path, event: str, verb: str) -> None:
    path = _with_timeline(tmp_path, DATA / "props-two-workers.yaml", [event])
    out = cli("check", str(path), "--engine", "smt", "-p", "no-over-replication", "--faults", "none")
    assert out.exit_code == 2, out.output
    assert f"({verb}) is not encoded" in out.stderr


def test_fail_probe_fault_is_refused(cli: Cli) -> None:
    out = cli(
        "check",
        str(DATA / "props-two-workers.yaml"),
        "--engine",
        "smt",
        "-p",
        "no-over-replication",
        "--faults",
        "failProbe=1",
    )
    assert out.exit_code == 2
    assert "fault kind failProbe is not encoded" in out.stderr
