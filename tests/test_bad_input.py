"""Bad input through the CLI: one line on stderr naming the file, the line and the fix; exit code 2.

Each case is a scenario file written to tmp_path and run with ``kmodel simulate FILE``. The line
the error must name is the one carrying the marker comment ``# <-`` (cases without a marker are
problems of the whole file, where only the file name is expected).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.conftest import DEPLOYMENT, Cli

MARK = "# <-"


SCENARIO_HEAD = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata:
  name: bad
"""


def yaml_text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def scenario(body: str) -> str:
    """A Scenario document with ``body`` (starting at line 5), then a Deployment (default kind cluster)."""
    return SCENARIO_HEAD + yaml_text(body) + "---\n" + DEPLOYMENT


def pod(spec_extra: str) -> str:
    """A Pod whose spec has one container plus ``spec_extra`` (indented under spec, from line 6)."""
    return yaml_text(
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
        """
    ) + textwrap.indent(yaml_text(spec_extra), "  ")


class Case(NamedTuple):
    id: str
    text: str
    needle: str  # a piece of the message that shows it is about the right problem


CASES = [
    # --- YAML syntax ---------------------------------------------------------------------------
    Case(
        "yaml-bad-indentation",
        yaml_text(
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
               labels: {}  # <-
            """
        ),
        "YAML syntax error",
    ),
    Case(
        "yaml-unclosed-quote",
        yaml_text(
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: "p  # <-
            spec: {}
            """
        ),
        "YAML syntax error",
    ),
    Case(
        "yaml-tab",
        "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: p  # <-\n",
        "YAML syntax error",
    ),
    Case(
        "yaml-duplicate-key",
        DEPLOYMENT.replace("  replicas: 2\n", "  replicas: 2\n  replicas: 3  # <-\n"),
        "replicas",
    ),
    Case(
        "document-is-a-list",
        "- a  # <-\n- b\n",
        "not a mapping",
    ),
    Case(
        "second-document-is-a-list",
        DEPLOYMENT + "---\n- a  # <-\n- b\n",
        "document 2 is not a mapping",
    ),
    Case("empty-file", "", "no Kubernetes objects"),
    Case("comments-only", "# nothing here\n", "no Kubernetes objects"),
    # --- kinds, apiVersion, metadata -------------------------------------------------------------
    Case(
        "unknown-kind",
        "apiVersion: example.com/v1\nkind: Widget  # <-\nmetadata:\n  name: s\n",
        "does not model kind 'Widget'",
    ),
    Case(
        "unmodelled-kind",
        "apiVersion: batch/v1\nkind: CronJob  # <-\nmetadata:\n  name: s\n",
        "needs the CronJob controller",
    ),
    Case(
        "ignored-kind-in-the-wrong-group",
        "apiVersion: v1  # <-\nkind: Role\nmetadata:\n  name: r\n",
        "Role is in the API group rbac.authorization.k8s.io",
    ),
    Case(
        "wrong-api-version",
        DEPLOYMENT.replace("apiVersion: apps/v1\n", "apiVersion: v1  # <-\n"),
        "apps/v1",
    ),
    Case(
        "missing-name",
        "apiVersion: v1\nkind: Node\nmetadata:  # <-\n  labels: {a: b}\n",
        "metadata.name",
    ),
    Case(
        "upper-case-name",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: Worker1  # <-\n",
        'metadata.name: Invalid value: "Worker1": a lowercase RFC 1123 subdomain',
    ),
    Case(
        "duplicate-object",
        DEPLOYMENT + "---\n" + DEPLOYMENT.replace("apiVersion: apps/v1\n", "apiVersion: apps/v1  # <-\n"),
        "defined twice",
    ),
    # --- object fields --------------------------------------------------------------------------
    Case(
        "pod-on-missing-node",
        pod(
            """
            nodeName: ghost  # <-
            containers:
              - name: app
                image: nginx
            """
        ),
        "ghost",
    ),
    Case(
        "selector-does-not-match-template",
        DEPLOYMENT.replace(
            "  selector:\n    matchLabels:\n      app: web\n", "  selector:\n    matchLabels:\n      app: api\n"
        ).replace("    metadata:\n      labels:\n", "    metadata:\n      labels:  # <-\n"),
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match',
    ),
    Case(
        "negative-replicas",
        DEPLOYMENT.replace("replicas: 2\n", "replicas: -1  # <-\n"),
        "spec.replicas",
    ),
    Case(
        "string-replicas",
        DEPLOYMENT.replace("replicas: 2\n", 'replicas: "three"  # <-\n'),
        "spec.replicas",
    ),
    Case(
        "bad-cpu-quantity",
        pod(
            """
            containers:
              - name: app
                image: nginx
                resources:
                  requests:
                    cpu: lots  # <-
            """
        ),
        "quantities must match the regular expression",
    ),
    Case(
        "bad-memory-quantity",
        pod(
            """
            containers:
              - name: app
                image: nginx
                resources:
                  limits:
                    memory: 12XB  # <-
            """
        ),
        "quantities must match the regular expression",
    ),
    Case(
        "toleration-seconds-with-noschedule",
        pod(
            """
            containers:
              - name: app
                image: nginx
            tolerations:
              - key: dedicated
                operator: Exists
                effect: NoSchedule  # <-
                tolerationSeconds: 30
            """
        ),
        "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute'",
    ),
    Case(
        "node-taint-unknown-effect",
        yaml_text(
            """
            apiVersion: v1
            kind: Node
            metadata:
              name: n1
            spec:
              taints:
                - key: dedicated
                  effect: NoRun  # <-
            """
        ),
        'spec.taints[0].effect: Unsupported value: "NoRun"',
    ),
    # --- the Scenario document ------------------------------------------------------------------
    Case("scenario-unknown-field", scenario("replicas: 3  # <-\n"), "unknown field 'replicas'"),
    Case(
        "two-scenario-documents",
        scenario("until: 5m\n")
        + "---\n"
        + SCENARIO_HEAD.replace("kmodel.dev/v1alpha1\n", "kmodel.dev/v1alpha1  # <-\n"),
        "more than one Scenario",
    ),
    Case("scenario-bad-until", scenario("until: soon  # <-\n"), "until"),
    Case("unknown-faults-key", scenario("faults:\n  meteorStrike: 1  # <-\n"), "unknown fault kind 'meteorStrike'"),
    Case("negative-fault-count", scenario("faults:\n  powerOffNode: -1  # <-\n"), "powerOffNode"),
    # --- settings -------------------------------------------------------------------------------
    Case(
        "unknown-setting-near-miss",
        scenario("settings:\n  nodemonitorgraceperiod: 20s  # <-\n"),
        "did you mean nodeMonitorGracePeriod?",
    ),
    Case(
        "unknown-setting",
        scenario("settings:\n  podEvictionDelay: 20s  # <-\n"),
        "unknown setting 'podEvictionDelay'",
    ),
    Case(
        "negative-duration-setting",
        scenario("settings:\n  nodeMonitorGracePeriod: -10s  # <-\n"),
        "negative",
    ),
    Case(
        "non-duration-setting",
        scenario("settings:\n  nodeMonitorGracePeriod: fast  # <-\n"),
        "nodeMonitorGracePeriod",
    ),
    Case(
        "fractional-duration-setting",
        scenario("settings:\n  nodeMonitorGracePeriod: 1.5s  # <-\n"),
        "whole seconds",
    ),
    Case(
        "unhealthy-zone-threshold-above-one",
        scenario("settings:\n  nodeMonitorPeriod: 5s\n  unhealthyZoneThreshold: 1.5  # <-\n"),
        "unhealthyZoneThreshold",
    ),
    Case(
        "unknown-eviction-mode",
        scenario("settings:\n  nodeMonitorPeriod: 5s\n  evictionMode: aggressive  # <-\n"),
        "evictionMode",
    ),
    Case(
        "negative-rate-setting",
        scenario("settings:\n  nodeMonitorPeriod: 5s\n  nodeEvictionRate: -0.1  # <-\n"),
        "nodeEvictionRate",
    ),
    Case(
        "zero-monitor-period",
        scenario("settings:\n  nodeEvictionRate: 0.1\n  nodeMonitorPeriod: 0s  # <-\n"),
        "nodeMonitorPeriod",
    ),
    Case(
        "non-whole-size-threshold",
        scenario("settings:\n  largeClusterSizeThreshold: 2.5  # <-\n"),
        "whole number",
    ),
    # --- timeline events ------------------------------------------------------------------------
    Case(
        "unknown-event-verb",
        scenario("timeline:\n  - 60s explode node/kind-worker  # <-\n"),
        "unknown event verb 'explode'",
    ),
    Case(
        "negative-event-time",
        scenario("timeline:\n  - -5s stop node/kind-worker  # <-\n"),
        "bad time '-5s'",
    ),
    Case(
        "bad-event-time",
        scenario("timeline:\n  - soon stop scheduler  # <-\n"),
        "bad time 'soon'",
    ),
    Case(
        "event-names-missing-node",
        scenario("timeline:\n  - 10s stop scheduler\n  - 60s stop node/worker-9  # <-\n"),
        "worker-9",
    ),
    Case(
        "scale-with-non-number",
        scenario("timeline:\n  - 60s scale deployment/web many  # <-\n"),
        "'many'",
    ),
    Case(
        "bad-taint-syntax",
        scenario("timeline:\n  - 60s taint node/kind-worker dedicated  # <-\n"),
        "bad taint 'dedicated'",
    ),
    Case(
        "event-without-target",
        scenario("timeline:\n  - 60s stop  # <-\n"),
        "needs a target",
    ),
    Case(
        "event-wrong-target-kind",
        scenario("timeline:\n  - 60s kill node/kind-worker  # <-\n"),
        "kill cannot take",
    ),
    Case(
        "apply-missing-file",
        scenario("timeline:\n  - 60s apply missing.yaml  # <-\n"),
        "missing.yaml",
    ),
]


def expected_line(text: str) -> int | None:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if MARK in line]
    assert len(lines) <= 1, "at most one marked line per case"
    return lines[0] if lines else None


def assert_one_line_error(result: Any, file: str, line: int | None, needle: str) -> str:
    """The rule: exit 2, one stderr line 'kmodel: error: FILE[:LINE]: ... (fix: ...)', no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("kmodel: error: "), message
    assert file in message, message
    if line is not None:
        assert f"{file}:{line}:" in message, f"expected line {line}: {message}"
    assert "fix:" in message, message
    assert needle in message, message
    return message


def test_markers_are_where_the_cases_say() -> None:
    """Guard the table itself: every marked case marks a line that exists."""
    for case in CASES:
        line = expected_line(case.text)
        if line is not None:
            assert MARK in case.text.splitlines()[line - 1]


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id) for c in CASES],
)
def test_bad_scenario_file(cli: Cli, tmp_path: Path, case: Case) -> None:
    path = tmp_path / f"{case.id}.yaml"
    path.write_text(case.text)
    result = cli("simulate", str(path))
    assert_one_line_error(result, str(path), expected_line(case.text), case.needle)


def test_applied_file_errors_name_the_applied_file_and_its_line(cli: Cli, tmp_path: Path) -> None:
    applied = tmp_path / "extra.yaml"
    applied.write_text("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: s\n")
    path = tmp_path / "main.yaml"
    path.write_text(scenario("timeline:\n  - 60s apply extra.yaml\n"))
    result = cli("simulate", str(path))
    assert_one_line_error(result, str(applied), 2, "needs the CronJob controller")


def test_missing_scenario_path(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "nope" / "missing.yaml"
    result = cli("simulate", str(path))
    message = assert_one_line_error(result, str(path), None, "not found")
    assert message.startswith(f"kmodel: error: {path}: ")


def test_a_valid_file_is_accepted(cli: Cli, tmp_path: Path) -> None:
    """The building blocks of the table are valid on their own, so each case fails for its own reason."""
    for i, text in enumerate([DEPLOYMENT, scenario("until: 2m\n"), pod("containers:\n  - name: a\n    image: b\n")]):
        path = tmp_path / f"ok-{i}.yaml"
        path.write_text(text)
        result = cli("simulate", str(path), "--until", "1m")
        assert result.exit_code == 0, result.output
        assert result.stderr == ""


# --- command-line errors -------------------------------------------------------------------------


@pytest.fixture
def ok_file(tmp_path: Path) -> Path:
    path = tmp_path / "ok.yaml"
    path.write_text(DEPLOYMENT)
    return path


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        ("60s explode node/kind-worker", "unknown event verb 'explode'"),
        ("soon stop scheduler", "bad time 'soon'"),
        ("-5s stop node/kind-worker", "bad time '-5s'"),
        ("60s", "incomplete event"),
        ("60s scale deployment/web lots", "'lots'"),
        ("60s stop node/ghost", "ghost"),
    ],
)
def test_bad_command_line_event(cli: Cli, ok_file: Path, event: str, needle: str) -> None:
    result = cli("simulate", str(ok_file), "--event", "10s stop scheduler", "--event", event)
    message = assert_one_line_error(result, "--event", None, needle)
    assert message.startswith("kmodel: error: --event: event 2: "), message


@pytest.mark.parametrize("until", ["forever", "-5m", "1.5s", "10x"])
def test_bad_until_is_a_usage_error(cli: Cli, ok_file: Path, until: str) -> None:
    result = cli("simulate", str(ok_file), "--until", until)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert "Invalid value for '--until'" in result.stderr
    assert repr(until) in result.stderr
