"""`check --trace-out`, `kmodel render`, `kmodel replay` and `kmodel diagram` from the command line,
as a user runs them: write a counterexample, draw it, replay it, tamper with it, draw diagrams."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS, Cli

SEED = str(SCENARIOS / "seed-node-failure.yaml")
ALL_READY = "all(n.status == 'Ready' for n in nodes)"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One `check` run writing the counterexample as ITF JSON, SVG and DOT at once."""
    from click.testing import CliRunner

    from kmodel.cli import main

    out = tmp_path_factory.mktemp("cex")
    files = {ext: out / f"cex.{ext}" for ext in ("json", "svg", "dot")}
    args = ["check", SEED, "--faults", "none", "-i", ALL_READY]
    for path in files.values():
        args += ["--trace-out", str(path)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1, r.output
    for path in files.values():
        assert f"written to {path}" in r.output
    return files


def test_check_writes_every_requested_trace_file(written: dict[str, Path]) -> None:
    doc = json.loads(written["json"].read_text())
    assert doc["#meta"]["format"] == "ITF" and doc["#meta"]["kmodel"]["property"] == f"invariant: {ALL_READY}"
    last = doc["states"][-1]
    assert last["actor"] == "nodelifecycle" and any(n["status"] == "NotReady" for n in last["nodes"])
    svg = html.unescape(written["svg"].read_text())  # dot writes "-" as &#45;
    assert svg.startswith("<?xml") and "minikube-m03" in svg and "VIOLATES" in svg
    assert "NotReady" in svg and "(was Ready)" in svg
    assert written["dot"].read_text().startswith("digraph")


def test_render_draws_a_written_trace_with_a_projection(cli: Cli, written: dict[str, Path], tmp_path: Path) -> None:
    png, svg = tmp_path / "t.png", tmp_path / "nodes.svg"
    r = cli("render", str(written["json"]), "-o", str(png))
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = cli("render", str(written["json"]), "-o", str(svg), "--view", "nodes")
    assert r.exit_code == 0, r.output
    text = html.unescape(svg.read_text())
    assert "minikube-m02" in text and "hello-world-" not in text  # nodes only: no pods


def test_render_refuses_bad_input_in_one_line(cli: Cli, written: dict[str, Path], tmp_path: Path) -> None:
    r = cli("render", str(written["json"]), "-o", str(tmp_path / "t.bmp"))
    assert r.exit_code == 2 and "--out" in r.stderr and ".svg" in r.stderr
    r = cli("render", str(written["json"]), "-o", str(tmp_path / "t.svg"), "--view", "everything")
    assert r.exit_code == 2 and "--view" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = cli("render", str(bad), "-o", str(tmp_path / "t.svg"))
    assert r.exit_code == 2 and "bad.json" in r.stderr and "Traceback" not in r.output


def test_replay_confirms_the_violation(cli: Cli, written: dict[str, Path]) -> None:
    r = cli("replay", str(written["json"]), SEED)
    assert r.exit_code == 1, r.output
    assert "still violated" in r.output.lower() or "violates" in r.output.lower()
    # the scenario defaults to the one recorded in the trace
    assert cli("replay", str(written["json"])).exit_code == 1


def test_replay_names_the_step_where_a_tampered_trace_diverges(
    cli: Cli, written: dict[str, Path], tmp_path: Path
) -> None:
    doc = json.loads(written["json"].read_text())
    i = next(k for k, s in enumerate(doc["states"]) if s["actor"] == "timeline")
    doc["states"][i]["action"] = "60s stop node/minikube-m02"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc))
    r = cli("replay", str(tampered), SEED)
    assert r.exit_code == 4, r.output
    assert f"step {i}" in r.output and "60s stop node/minikube-m02" in r.output


def test_diagram_draws_the_node_life_cycle(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "nodes.svg"
    r = cli("diagram", SEED, "--view", "node", "--faults", "powerOffNode=1", "--max-states", "3000", "-o", str(out))
    assert r.exit_code == 0, r.output
    svg = html.unescape(out.read_text())
    assert "Ready" in svg and "NotReady" in svg and "unreachable" in svg


def test_diagram_refuses_a_bad_file_name_before_exploring(cli: Cli, tmp_path: Path) -> None:
    r = cli("diagram", SEED, "-o", str(tmp_path / "d.txt"))
    assert r.exit_code == 2 and "--out" in r.stderr
