"""The Z3 engine from the command line: `check --engine smt`, its traces replayed, and `kmodel synth`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import DATA, SCENARIOS, Cli

TWO = str(DATA / "props-two-workers.yaml")


def test_check_smt_finds_a_replayable_counterexample(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "cex.json"
    r = cli(
        "check",
        TWO,
        "--engine",
        "smt",
        "-p",
        "no-pod-terminating",
        "--faults",
        "powerOffNode=1",
        "--max-depth",
        "25",
        "--smt-slice",
        "node-health",
        "--trace-out",
        str(out),
    )
    assert r.exit_code == 1, r.output
    assert "counterexample at depth 19" in r.output and "trace replayed on the Python model" in r.output
    doc = json.loads(out.read_text())
    assert doc["#meta"]["kmodel"]["engine"] == "smt"
    assert doc["#meta"]["kmodel"]["extra"] == {"slice": "node-health"}
    # replayed on the node-health slice, which the trace says it came from
    r = cli("replay", str(out))
    assert r.exit_code == 1, r.output
    assert "replayed all 19 action(s)" in r.output and "still VIOLATED: no-pod-terminating" in r.output


def test_check_smt_answers_on_the_workload_slice_by_default(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "cex.json"
    r = cli(
        "check",
        TWO,
        "--engine",
        "smt",
        "-p",
        "service-has-endpoint",
        "--faults",
        "powerOffNode=2",
        "--max-depth",
        "10",
        "--trace-out",
        str(out),
    )
    assert r.exit_code == 1, r.output
    assert "counterexample at depth 7" in r.output
    assert json.loads(out.read_text())["#meta"]["kmodel"]["extra"] == {"slice": "workload"}
    r = cli("replay", str(out))
    assert r.exit_code == 1, r.output
    assert "replayed all 7 action(s)" in r.output and "still VIOLATED: service-has-endpoint" in r.output


def test_smt_slice_choices_are_checked(cli: Cli) -> None:
    r = cli("check", TWO, "--engine", "smt", "-p", "no-over-replication", "--smt-slice", "node-health")
    assert r.exit_code == 2 and "no-over-replication needs the workload slice" in r.stderr
    r = cli("check", TWO, "--smt-slice", "workload")
    assert r.exit_code == 2 and "use it with --engine smt" in r.stderr
    r = cli("check", TWO, "--pod-slots", "3")
    assert r.exit_code == 2 and "use it with --engine smt" in r.stderr


def test_check_smt_holds_only_up_to_the_depth(cli: Cli) -> None:
    r = cli("check", TWO, "--engine", "smt", "--faults", "powerOffNode=1", "--max-depth", "6")
    assert r.exit_code == 0, r.output
    assert "eviction-after-timeout" in r.output and "no violation in runs of up to 6 actions (bounded)" in r.output


def test_check_smt_refuses_what_it_cannot_translate(cli: Cli) -> None:
    r = cli("check", TWO, "--engine", "smt", "-i", "len(deployments) == 1")
    assert r.exit_code == 2 and "--invariant" in r.stderr and "cannot translate deployments at column 5" in r.stderr
    r = cli("check", TWO, "--engine", "smt", "--property-file", __file__)
    assert r.exit_code == 2 and "cannot translate properties written in Python" in r.stderr


def test_check_smt_checks_replica_convergence_in_its_bounded_form(cli: Cli) -> None:
    r = cli("check", TWO, "--engine", "smt", "-p", "replica-convergence", "--max-depth", "6")
    assert r.exit_code == 0, r.output
    assert "replica-convergence" in r.output and "no violation in runs of up to 6 actions (bounded)" in r.output


def test_synth_reports_the_region_in_words(cli: Cli) -> None:
    r = cli(
        "synth",
        TWO,
        "-p",
        "connected-node-never-unknown",
        "--param",
        "nodeMonitorGracePeriod=20s..40s",
        "--param",
        "nodeLeaseDurationSeconds=80..160",
    )
    assert r.exit_code == 0, r.output
    assert "exactly where nodeMonitorGracePeriod >= nodeLeaseDurationSeconds / 4" in r.output
    assert "violating assignment outside the region" in r.output and "replayed on the model" in r.output
    # the kubelet posts its status when it changes: its update frequency decides nothing
    r = cli(
        "synth",
        TWO,
        "-p",
        "connected-node-never-unknown",
        "--param",
        "nodeMonitorGracePeriod=20s",
        "--param",
        "nodeStatusUpdateFrequency=5s..1m",
    )
    assert r.exit_code == 0, r.output
    assert "holds up to depth 12 (bounded) for every combination in the ranges" in r.output


def test_synth_bad_parameter_is_one_line(cli: Cli) -> None:
    r = cli("synth", TWO, "-p", "connected-node-never-unknown", "--param", "nodeMonitorGracePeriod=7s..40s")
    assert r.exit_code == 2 and "--param" in r.stderr and "Traceback" not in r.output
    r = cli("synth", TWO, "-p", "connected-node-never-unknown", "--param", "flux=1s..2s")
    assert r.exit_code == 2 and "--param" in r.stderr


def test_prove_needs_the_lemma_then_proves_for_any_size(cli: Cli) -> None:
    seed = str(DATA.parent.parent / "scenarios" / "seed-node-failure.yaml")
    r = cli("prove", seed, "-p", "no-schedule-to-unready-node")
    assert r.exit_code == 3, r.output
    assert "counterexample to induction" in r.output and "--lemma unready-nodes-are-tainted" in r.output
    r = cli("prove", seed, "-p", "no-schedule-to-unready-node", "--lemma", "unready-nodes-are-tainted")
    assert r.exit_code == 0, r.output
    assert "PROVEN  no-schedule-to-unready-node  for every number of nodes and pods" in r.output
    r = cli("prove", seed, "-p", "replica-convergence")
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_outside_the_workload_slice_smt_falls_back_and_says_why(cli: Cli, tmp_path: Path) -> None:
    text = (DATA / "props-two-workers.yaml").read_text()
    path = tmp_path / "zone.yaml"
    zone = "  name: worker-1\n  labels: {topology.kubernetes.io/zone: a}\n"
    path.write_text(text.replace("  name: worker-1\n", zone))
    zones = "PodTopologySpread's zone scoring is not encoded"
    r = cli("check", str(path), "--engine", "smt", "-p", "eviction-after-timeout", "--max-depth", "6")
    assert r.exit_code == 0, r.output
    assert "warning: answered on the node-health slice" in r.output and zones in r.output
    # a property that needs the workload slice gets its refusal instead
    r = cli("check", str(path), "--engine", "smt", "-p", "no-over-replication", "--max-depth", "6")
    assert r.exit_code == 2 and zones in r.stderr
    # neither slice covers a mid-run cordon: the workload slice's reason, with every verb it knows
    cordon = tmp_path / "cordon.yaml"
    cordon.write_text(text.replace("until: 5m\n", "until: 5m\ntimeline:\n  - 30s cordon node/worker-1\n"))
    r = cli("check", str(cordon), "--engine", "smt")
    assert r.exit_code == 2 and "workload slice" in r.stderr and "(cordon) is not encoded" in r.stderr
    assert "scale, delete pod, kill pod, apply of Deployments" in r.stderr


def test_smt_refuses_what_the_model_has_and_the_slices_do_not(cli: Cli, tmp_path: Path) -> None:
    """publishNotReadyAddresses and a timeline verb in a namespace with no object are modelled in
    Python but not encoded: the workload slice names them instead of answering."""
    text = (DATA / "props-two-workers.yaml").read_text()
    published = tmp_path / "published.yaml"
    published.write_text(
        text + "---\napiVersion: v1\nkind: Service\nmetadata: {name: all}\n"
        "spec: {selector: {app: web}, publishNotReadyAddresses: true}\n"
    )
    r = cli("check", str(published), "--engine", "smt", "-p", "no-over-replication", "--max-depth", "4")
    assert r.exit_code == 2 and "publishNotReadyAddresses is not encoded" in r.stderr, r.output
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(text.replace("until: 5m\n", "until: 5m\ntimeline:\n  - 30s delete pod/x -n other\n"))
    r = cli("check", str(elsewhere), "--engine", "smt", "-p", "no-over-replication", "--max-depth", "4")
    assert r.exit_code == 2 and "acts in a namespace where the scenario has no object" in r.stderr, r.output


def test_smt_answers_name_the_node_order_they_keep_where_a_zone_has_two_nodes(cli: Cli) -> None:
    """Two workers in one zone: the slices queue the nodes found NotReady in one pass in name
    order, and every smt answer says so; a one-node cluster has no order to choose."""
    two = cli("check", TWO, "--engine", "smt", "--faults", "powerOffNode=1", "--max-depth", "3", "-o", "json")
    assert two.exit_code == 0, two.output
    results = json.loads(two.output)["results"]
    assert results and all(any("in name order" in w for w in r["warnings"]) for r in results)
    single = str(SCENARIOS / "seed-scaling.yaml")
    one = cli("check", single, "--engine", "smt", "-p", "no-over-replication", "--max-depth", "3", "-o", "json")
    assert one.exit_code == 0, one.output
    assert not any("in name order" in w for r in json.loads(one.output)["results"] for w in r["warnings"])
