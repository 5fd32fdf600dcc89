"""`kmodel check` and `kmodel properties` from the command line: verdicts, reports, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DATA, SCENARIOS, Cli

WEB = str(DATA / "check-web.yaml")
READY = "count(p for p in pods if p.labels.app == 'web' and p.ready) >= 1"


def test_custom_invariant_holds(cli: Cli) -> None:
    r = cli("check", WEB, "--faults", "stopComponent=1", "--invariant", "len(nodes) == 3")
    assert r.exit_code == 0, r.output
    assert "holds" in r.output and "invariant: len(nodes) == 3" in r.output
    assert "stopComponent x1" in r.output


def test_custom_invariant_violated_with_a_readable_trace(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "cex.json"
    inv = "all(p.restarts == 0 for p in pods)"
    r = cli("check", WEB, "--faults", "killPod=1", "--invariant", inv, "--trace-out", str(out))
    assert r.exit_code == 1, r.output
    assert "VIOLATED" in r.output
    # the shortest counterexample: kill a pod's containers, and its kubelet restarts them
    assert "counterexample of 2 action(s)" in r.output
    assert "[fault] kill containers of web-" in r.output
    assert "[kubelet/kind-worker" in r.output and "restarts 0 -> 1" in r.output
    assert "why:" in r.output
    doc = json.loads(out.read_text())  # an ITF trace (see tests/test_itf.py)
    assert doc["#meta"]["kmodel"]["property"] == f"invariant: {inv}"
    assert doc["states"][0]["actor"] == "init" and len(doc["states"]) == 3
    assert any(p["restarts"] == 1 for p in doc["states"][-1]["pods"])


def test_json_output(cli: Cli) -> None:
    r = cli("check", WEB, "--faults", "none", "--invariant", READY, "--output", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (res,) = doc["results"]
    assert res["result"] == "holds" and res["engine"] == "explore" and res["trace"] is None
    assert res["stats"]["states"] > 1 and doc["faults"] == {}


def test_limits_give_inconclusive_exit_3(cli: Cli) -> None:
    r = cli("check", WEB, "--faults", "killPod=1", "--invariant", "len(nodes) == 3", "--max-states", "50")
    assert r.exit_code == 3, r.output
    assert "inconclusive" in r.output and "50 states" in r.output


def test_unknown_property_is_bad_input(cli: Cli) -> None:
    r = cli("check", WEB, "--property", "no-such-thing")
    assert r.exit_code == 2
    assert "unknown property 'no-such-thing'" in r.stderr and "replica-convergence" in r.stderr
    assert "Traceback" not in r.output


def test_bad_fault_budget_is_bad_input(cli: Cli) -> None:
    r = cli("check", WEB, "--faults", "meteorStrike=1")
    assert r.exit_code == 2 and "--faults" in r.stderr and "powerOffNode" in r.stderr


def test_trace_out_needs_a_known_extension_before_any_work(cli: Cli, tmp_path: Path) -> None:
    r = cli("check", WEB, "--invariant", "True", "--trace-out", str(tmp_path / "x.txt"))
    assert r.exit_code == 2 and "--trace-out" in r.stderr and ".json, .svg, .png, .pdf or .dot" in r.stderr
    assert "states" not in r.output  # refused before exploring


HOSTILE = [
    "__import__('os').system('true')",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "(x := 1)",
    "f'{open(\"/etc/passwd\").read()}'",
    "9**9**9**9",
    "pods[0].__dict__",
    "getattr(pods, 'x')",
    "[p for p in pods].append(1)",
    "import os",
]


def test_hostile_invariants_exit_2_without_traceback(cli: Cli) -> None:
    for text in HOSTILE:
        r = cli("check", WEB, "--faults", "none", "--invariant", text)
        assert r.exit_code == 2, (text, r.output)
        assert r.stderr.startswith("kmodel: error: ") and "--invariant 1" in r.stderr, (text, r.stderr)
        assert "Traceback" not in r.output and len(r.stderr.strip().splitlines()) == 1


def test_invariant_failing_at_runtime_is_bad_input(cli: Cli) -> None:
    r = cli("check", WEB, "--faults", "none", "--invariant", "pods[99].ready")
    assert r.exit_code == 2, r.output
    assert "--invariant 1" in r.stderr and "Traceback" not in r.output


def test_properties_lists_the_builtins(cli: Cli) -> None:
    r = cli("properties")
    assert r.exit_code == 0
    for name in (
        "replica-convergence",
        "no-schedule-to-unready-node",
        "eviction-after-timeout",
        "no-over-replication",
        "bound-pods-stay-put",
        "service-has-endpoint",
    ):
        assert name in r.output


@pytest.mark.thorough  # properties/ checks the same seed with both engines in the default run
def test_seed_with_its_timeline_holds_every_builtin(cli: Cli) -> None:
    seed = str(SCENARIOS / "seed-scaling.yaml")
    args = ["--faults", "none", "--engine", "all", "--seed", "1", "--profile", "ci", "--database", "none"]
    r = cli("check", seed, *args)
    assert r.exit_code == 0, r.output
    assert r.output.count("holds") == 14  # seven built-ins, two engines


def test_from_start_checks_the_start_up_too(cli: Cli) -> None:
    # from the settled state every pod already exists; from t=0 there were none at first
    inv = "len(pods) == 2"
    assert cli("check", WEB, "--faults", "none", "--invariant", inv).exit_code == 0
    r = cli("check", WEB, "--faults", "none", "--invariant", inv, "--from-start")
    assert r.exit_code == 1 and "the initial state violates it" in r.output


def test_a_bare_manifest_gets_the_default_budget(cli: Cli) -> None:
    r = cli("check", WEB, "--invariant", "True", "--max-states", "200")
    assert r.exit_code == 3, r.output
    assert "powerOffNode x1, stopComponent x1 (the default: the file declares no budget)" in r.output


def test_the_header_states_the_liveness_bound(cli: Cli) -> None:
    r = cli("check", str(SCENARIOS / "flapping-node.yaml"), "-p", "replica-convergence")
    assert r.exit_code == 0, r.output
    want = (
        "bounded liveness: replica-convergence must hold within 60s once faults stop, and again within 60s "
        "whenever lost (60s = nodeMonitorPeriod 5s + 11 ticks of 5s)"
    )
    assert want in r.output.splitlines()
    r = cli("check", str(SCENARIOS / "flapping-node.yaml"), "-p", "service-has-endpoint")
    assert "bounded liveness" not in r.output
