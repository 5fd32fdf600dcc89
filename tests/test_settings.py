"""Settings: durations, camelCase keys, defaults (../shared/k8s-semantics.md), the time step, the CLI."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel.settings import (
    DURATION_FIELDS,
    SETTING_KEYS,
    Settings,
    SettingsError,
    camel,
    format_duration,
    parse_duration,
    settings_from,
)
from tests.conftest import DEPLOYMENT, Cli
from tests.simhelpers import events, first_time, node_rows

# --- parse_duration / format_duration ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("50s", 50),
        ("5m", 300),
        ("1h", 3600),
        ("1h30m", 5400),
        ("2m30s", 150),
        ("1h0m5s", 3605),
        (90, 90),
        ("90", 90),
        (" 90s ", 90),
        (0, 0),
        ("0s", 0),
        ("1.5m", 90),  # a fraction is fine when it comes out whole
        ("2000ms", 2),
        (90.0, 90),
    ],
)
def test_parse_duration_accepts(text: object, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1.5s", "whole seconds"),
        (1.5, "whole seconds"),
        ("1500ms", "whole seconds"),
        (-1, "negative"),
        ("-1", "negative"),
        ("-10s", "negative"),
        ("abc", "expected a duration"),
        ("", "expected a duration"),
        ("5 minutes", "expected a duration"),
        ("1h30", "expected a duration"),
        ("10x", "expected a duration"),
        (True, "expected a duration"),
        (None, "expected a duration"),
        ([5], "expected a duration"),
    ],
)
def test_parse_duration_rejects(text: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (5, "5s"), (59, "59s"), (60, "1m"), (90, "1m30s"), (300, "5m"), (3600, "1h"), (7200, "2h")],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_then_parse_round_trips() -> None:
    for seconds in [*range(0, 4000), 5400, 7200, 86400, 90061]:
        assert parse_duration(format_duration(seconds)) == seconds


# --- camelCase keys ------------------------------------------------------------------------------

# every flag of k8s-semantics.md's defaults table that the model supports, by its camelCase name
KEYS = {
    "kubernetesVersion": "kubernetes_version",
    "nodeStatusUpdateFrequency": "node_status_update_frequency",
    "nodeLeaseDurationSeconds": "node_lease_duration_seconds",
    "nodeMonitorPeriod": "node_monitor_period",
    "nodeMonitorGracePeriod": "node_monitor_grace_period",
    "nodeStartupGracePeriod": "node_startup_grace_period",
    "nodeEvictionRate": "node_eviction_rate",
    "secondaryNodeEvictionRate": "secondary_node_eviction_rate",
    "unhealthyZoneThreshold": "unhealthy_zone_threshold",
    "largeClusterSizeThreshold": "large_cluster_size_threshold",
    "defaultNotReadyTolerationSeconds": "default_not_ready_toleration_seconds",
    "defaultUnreachableTolerationSeconds": "default_unreachable_toleration_seconds",
    "evictionMode": "eviction_mode",
    "podEvictionTimeout": "pod_eviction_timeout",
    "leaderElectionRenewDeadline": "leader_election_renew_deadline",
    "podGCPeriod": "pod_gc_period",
    "podGCQuarantine": "pod_gc_quarantine",
    "terminatedPodGCThreshold": "terminated_pod_gc_threshold",
    "tick": "tick",
    "horizontalPodAutoscalerSyncPeriod": "horizontal_pod_autoscaler_sync_period",
    "horizontalPodAutoscalerDownscaleStabilization": "horizontal_pod_autoscaler_downscale_stabilization",
    "horizontalPodAutoscalerTolerance": "horizontal_pod_autoscaler_tolerance",
    "horizontalPodAutoscalerCpuInitializationPeriod": "horizontal_pod_autoscaler_cpu_initialization_period",
    "horizontalPodAutoscalerInitialReadinessDelay": "horizontal_pod_autoscaler_initial_readiness_delay",
    "replicaHistoryWindow": "replica_history_window",
    "informerLag": "informer_lag",
    "rsExpectations": "rs_expectations",
    "schedulerAssumedPods": "scheduler_assumed_pods",
    "informerLagNodes": "informer_lag_nodes",
    "informerLagReplicaSets": "informer_lag_replica_sets",
    "zoneDisruptionSafeguard": "zone_disruption_safeguard",
    "nodeTaintAdmission": "node_taint_admission",
    "watchCacheLag": "watch_cache_lag",
    "consistentInitialList": "consistent_initial_list",
}


def test_setting_keys_are_the_camel_case_flag_names() -> None:
    assert SETTING_KEYS == KEYS


@pytest.mark.parametrize(("key", "name"), sorted(KEYS.items()))
def test_camel(key: str, name: str) -> None:
    assert camel(name) == key


# a non-default value for each key, and what the field holds afterwards
NON_DEFAULTS: dict[str, tuple[object, object]] = {
    "kubernetesVersion": ("v1.36", "v1.36"),
    "nodeStatusUpdateFrequency": ("4s", 4),
    "nodeLeaseDurationSeconds": (20, 20),
    "nodeMonitorPeriod": ("2s", 2),
    "nodeMonitorGracePeriod": ("20s", 20),
    "nodeStartupGracePeriod": ("2m", 120),
    "nodeEvictionRate": (0.5, 0.5),
    "secondaryNodeEvictionRate": (0, 0.0),
    "unhealthyZoneThreshold": (0.3, 0.3),
    "largeClusterSizeThreshold": (10, 10),
    "defaultNotReadyTolerationSeconds": (60, 60),
    "defaultUnreachableTolerationSeconds": ("1m30s", 90),
    "evictionMode": ("legacy", "legacy"),
    "podEvictionTimeout": ("2m", 120),
    "leaderElectionRenewDeadline": ("15s", 15),
    "podGCPeriod": ("40s", 40),
    "podGCQuarantine": ("1m", 60),
    "terminatedPodGCThreshold": (3, 3),
    "tick": ("1s", 1),
    "horizontalPodAutoscalerSyncPeriod": ("30s", 30),
    "horizontalPodAutoscalerDownscaleStabilization": ("1m", 60),
    "horizontalPodAutoscalerTolerance": (0.2, 0.2),
    "horizontalPodAutoscalerCpuInitializationPeriod": ("2m", 120),
    "horizontalPodAutoscalerInitialReadinessDelay": ("10s", 10),
    "replicaHistoryWindow": ("20m", 1200),
    "informerLag": (2, 2),
    "rsExpectations": (False, False),
    "schedulerAssumedPods": (False, False),
    "informerLagNodes": (True, True),
    "informerLagReplicaSets": (True, True),
    "zoneDisruptionSafeguard": (False, False),
    "nodeTaintAdmission": (False, False),
    "watchCacheLag": (2, 2),
    "consistentInitialList": (False, False),
}


# keys whose non-default value needs an older release (evictionMode: legacy ended in 1.27)
ON_RELEASE = {"evictionMode": "1.26"}
# keys whose non-default value needs another setting (informerLagNodes: a lag to lag nodes by)
NEEDS: dict[str, dict[str, object]] = {
    "informerLagNodes": {"informerLag": 1},
    "informerLagReplicaSets": {"informerLag": 1},
}


@pytest.mark.parametrize("key", sorted(KEYS))
def test_each_key_sets_its_field_and_only_that(key: str) -> None:
    raw, value = NON_DEFAULTS[key]
    base: dict[str, object] = {"kubernetesVersion": ON_RELEASE[key]} if key in ON_RELEASE else {}
    base.update(NEEDS.get(key, {}))
    s = settings_from({**base, key: raw})
    reference = settings_from(base)
    name = KEYS[key]
    assert getattr(s, name) == value
    assert getattr(s, name) != getattr(reference, name), "pick a value that differs from the default"
    assert attrs.evolve(s, **{name: getattr(reference, name)}) == reference


def test_empty_settings_are_the_defaults() -> None:
    assert settings_from({}) == Settings()


def test_unknown_key_suggests_the_camel_case_spelling() -> None:
    with pytest.raises(
        SettingsError, match=r"unknown setting 'nodemonitorgraceperiod'; did you mean nodeMonitorGracePeriod\?"
    ):
        settings_from({"nodemonitorgraceperiod": "20s"})
    with pytest.raises(SettingsError, match=r"known keys: .*nodeMonitorGracePeriod"):
        settings_from({"node-monitor-grace-period": "20s"})


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"nodeMonitorGracePeriod": "-10s"}, "nodeMonitorGracePeriod: a duration cannot be negative"),
        ({"nodeMonitorGracePeriod": "fast"}, "nodeMonitorGracePeriod: expected a duration"),
        ({"nodeEvictionRate": "fast"}, "nodeEvictionRate: expected a number"),
        ({"nodeEvictionRate": True}, "nodeEvictionRate: expected a number"),
        ({"nodeEvictionRate": -0.1}, "nodeEvictionRate must not be negative"),
        ({"largeClusterSizeThreshold": 2.5}, "largeClusterSizeThreshold: expected a whole number"),
        ({"unhealthyZoneThreshold": 1.5}, "unhealthyZoneThreshold .* at most 1"),
        ({"evictionMode": "aggressive"}, "evictionMode must be 'taint' or 'legacy'"),
        ({"kubernetesVersion": "1.2"}, "kubernetesVersion: kmodel follows Kubernetes 1.16 to 1.37"),
        ({"kubernetesVersion": 1.2}, "kubernetesVersion: write the release in quotes"),
        ({"kubernetesVersion": "latest"}, "kubernetesVersion: expected a release like"),
        ({"evictionMode": "legacy"}, "evictionMode legacy .* was removed in Kubernetes 1.27"),
        ({"nodeMonitorPeriod": 0}, "nodeMonitorPeriod must be at least 1s"),
        ({"nodeStatusUpdateFrequency": "0s"}, "nodeStatusUpdateFrequency must be at least 1s"),
        ({"nodeLeaseDurationSeconds": 30}, "nodeLeaseDurationSeconds must be a positive multiple of 4"),
        ({"nodeLeaseDurationSeconds": 0}, "nodeLeaseDurationSeconds must be a positive multiple of 4"),
        ({"nodeLeaseDurationSeconds": "40s"}, "nodeLeaseDurationSeconds: expected a whole number"),
        ({"podGCPeriod": 0}, "podGCPeriod must be at least 1s"),
    ],
)
def test_impossible_values_are_rejected(raw: dict[str, object], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        settings_from(raw)


def test_unhealthy_zone_threshold_of_exactly_one_is_allowed() -> None:
    assert settings_from({"unhealthyZoneThreshold": 1}).unhealthy_zone_threshold == 1.0


# --- defaults: the numbers of ../shared/k8s-semantics.md -----------------------------------------


def test_defaults_match_k8s_semantics() -> None:
    s = Settings()
    assert s.node_monitor_grace_period == 50  # 50 s since v1.32
    assert s.node_monitor_period == 5
    assert s.node_status_update_frequency == 10
    assert s.node_startup_grace_period == 60
    assert s.default_not_ready_toleration_seconds == 300
    assert s.default_unreachable_toleration_seconds == 300
    assert s.node_eviction_rate == 0.1
    assert s.secondary_node_eviction_rate == 0.01
    assert s.unhealthy_zone_threshold == 0.55
    assert s.large_cluster_size_threshold == 50
    assert s.pod_gc_period == 20
    assert s.pod_gc_quarantine == 40
    assert s.eviction_mode == "taint"  # since v1.27 the only mode
    assert s.pod_eviction_timeout == 300  # legacy --pod-eviction-timeout
    assert s.tick == 0


def test_eviction_intervals_follow_the_rates() -> None:
    s = Settings()
    assert s.eviction_interval == 10  # 0.1 nodes/s
    assert s.secondary_eviction_interval == 100  # 0.01 nodes/s
    assert settings_from({"nodeEvictionRate": 0}).eviction_interval is None
    assert settings_from({"secondaryNodeEvictionRate": 0.3}).secondary_eviction_interval == 4


def test_duration_fields() -> None:
    durations = {n for k, n in KEYS.items() if "Period" in k or "Frequency" in k or "Seconds" in k or "Timeout" in k}
    # nodeLeaseDurationSeconds is a plain number of seconds in the kubelet's config (int32), not a duration
    durations -= {"node_lease_duration_seconds"}
    durations |= {
        "horizontal_pod_autoscaler_downscale_stabilization",
        "horizontal_pod_autoscaler_initial_readiness_delay",
        "replica_history_window",
    }
    assert durations | {"pod_gc_quarantine", "leader_election_renew_deadline", "tick"} == DURATION_FIELDS


# --- the time step -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "step"),
    [
        ({}, 5),  # gcd(5, 10, 10, 20): monitor period, status update, Lease renewal (40 / 4), pod GC
        ({"nodeMonitorPeriod": "10s", "podGCPeriod": "20s"}, 10),  # gcd(10, 10, 10, 20)
        ({"nodeMonitorPeriod": "10s"}, 10),
        ({"nodeMonitorPeriod": "6s"}, 2),  # gcd(6, 10, 10, 20)
        ({"nodeMonitorPeriod": "7s"}, 1),
        (
            {
                "nodeMonitorPeriod": "30s",
                "nodeStatusUpdateFrequency": "1m",
                "podGCPeriod": "45s",
                "nodeLeaseDurationSeconds": 60,
            },
            15,
        ),
        ({"nodeMonitorPeriod": "20s", "nodeStatusUpdateFrequency": "20s", "podGCPeriod": "20s"}, 10),  # the Lease
        ({"tick": "1s"}, 1),  # an explicit tick wins
        ({"tick": "3s", "nodeMonitorPeriod": "10s"}, 3),
    ],
)
def test_step_is_the_gcd_of_the_periods(raw: dict[str, object], step: int) -> None:
    assert settings_from(raw).step == step


def test_default_step_is_5() -> None:
    assert Settings().step == 5


# --- the CLI -------------------------------------------------------------------------------------

SHOWN_DEFAULTS = {
    "kubernetesVersion": "1.37",
    "nodeStatusUpdateFrequency": "10s",
    "nodeLeaseDurationSeconds": "40",
    "nodeMonitorPeriod": "5s",
    "nodeMonitorGracePeriod": "50s",
    "nodeStartupGracePeriod": "1m",
    "nodeEvictionRate": "0.1",
    "secondaryNodeEvictionRate": "0.01",
    "unhealthyZoneThreshold": "0.55",
    "largeClusterSizeThreshold": "50",
    "defaultNotReadyTolerationSeconds": "5m",
    "defaultUnreachableTolerationSeconds": "5m",
    "evictionMode": "taint",
    "podEvictionTimeout": "5m",
    "leaderElectionRenewDeadline": "10s",
    "podGCPeriod": "20s",
    "podGCQuarantine": "40s",
    "terminatedPodGCThreshold": "12500",
    "tick": "0 (auto)",
    "horizontalPodAutoscalerSyncPeriod": "15s",
    "horizontalPodAutoscalerDownscaleStabilization": "5m",
    "horizontalPodAutoscalerTolerance": "0.1",
    "horizontalPodAutoscalerCpuInitializationPeriod": "5m",
    "horizontalPodAutoscalerInitialReadinessDelay": "30s",
    "replicaHistoryWindow": "10m",
    "informerLag": "0",
    "rsExpectations": "true",
    "schedulerAssumedPods": "true",
    "informerLagNodes": "false",
    "informerLagReplicaSets": "false",
    "zoneDisruptionSafeguard": "true",
    "nodeTaintAdmission": "true",
    "watchCacheLag": "0",
    "consistentInitialList": "true",
}


def settings_table(cli: Cli) -> dict[str, str]:
    result = cli("settings")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["KEY", "DEFAULT"]
    table: dict[str, str] = {}
    for row in rows:
        key, shown = row.split(None, 1)
        assert key not in table, f"{key} listed twice"
        table[key] = shown.strip()
    return table


def test_settings_command_lists_every_key_with_its_default(cli: Cli) -> None:
    assert settings_table(cli) == SHOWN_DEFAULTS


def test_settings_command_defaults_read_back_as_the_defaults(cli: Cli) -> None:
    """What `kmodel settings` prints is valid scenario input and gives the defaults back."""
    raw: dict[str, object] = {}
    for key, shown in settings_table(cli).items():
        if key == "tick":
            raw[key] = "0s"
        elif key in (
            "nodeEvictionRate",
            "secondaryNodeEvictionRate",
            "unhealthyZoneThreshold",
            "horizontalPodAutoscalerTolerance",
        ):
            raw[key] = float(shown)
        elif key in (
            "largeClusterSizeThreshold",
            "nodeLeaseDurationSeconds",
            "terminatedPodGCThreshold",
            "informerLag",
            "watchCacheLag",
        ):
            raw[key] = int(shown)
        elif shown in ("true", "false"):
            raw[key] = shown == "true"
        else:
            raw[key] = shown
    assert settings_from(raw) == Settings()


# --- scenario settings reach the simulation --------------------------------------------------------


STOP = 30
HEARTBEAT = Settings().node_status_update_frequency
MONITOR = Settings().node_monitor_period
TICK = Settings().step


def not_ready_at(cli: Cli, path: Path) -> int:
    doc = cli.simulate_json(path, f"{STOP}s stop node/kind-worker", until="3m")
    rows = node_rows(doc, "kind-worker")
    assert rows, "the default kind cluster has kind-worker"
    assert first_time(rows, status="NotReady") == first_time(rows, condition="Unknown")
    t = first_time(rows, status="NotReady")
    assert t is not None, "a powered-off node turns NotReady within 3m"
    for other in ("kind-control-plane", "kind-worker2"):
        assert first_time(node_rows(doc, other), status="NotReady") is None
    return t


def grace_window(grace: int) -> tuple[int, int]:
    """NotReady comes after grace since the last heartbeat, within one monitor period and a tick."""
    return STOP - HEARTBEAT + grace, STOP + grace + MONITOR + TICK


def test_scenario_grace_period_reaches_the_simulation(cli: Cli, tmp_path: Path) -> None:
    default = tmp_path / "default.yaml"
    default.write_text(DEPLOYMENT)
    short = tmp_path / "short-grace.yaml"
    short.write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nsettings:\n  nodeMonitorGracePeriod: 20s\n---\n" + DEPLOYMENT
    )

    t_default = not_ready_at(cli, default)
    t_short = not_ready_at(cli, short)

    lo, hi = grace_window(Settings().node_monitor_grace_period)
    assert lo < t_default <= hi, (t_default, lo, hi)
    lo, hi = grace_window(20)
    assert lo < t_short <= hi, (t_short, lo, hi)
    assert t_short < t_default


def test_scenario_step_reaches_the_simulation(cli: Cli, tmp_path: Path) -> None:
    """With a 10s step an event due at 35s happens at 40s; with the default 5s step, at 35s."""
    default = tmp_path / "default.yaml"
    default.write_text(DEPLOYMENT)
    coarse = tmp_path / "coarse.yaml"
    coarse.write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nsettings:\n"
        "  nodeMonitorPeriod: 10s\n  podGCPeriod: 20s\n---\n" + DEPLOYMENT
    )
    result = cli("simulate", str(coarse), "--output", "events", "--until", "2m")
    assert result.exit_code == 0, result.output
    assert "in steps of 10s" in result.stdout.splitlines()[0]

    def fault_time(path: Path) -> tuple[int, list[int]]:
        doc = cli.simulate_json(path, "35s stop node/kind-worker", until="2m")
        (fault,) = events(doc, reason="Fault", object="node/kind-worker")
        return fault["t"], [s["t"] for s in doc["snapshots"]]

    t, times = fault_time(default)
    assert t == 35
    t, times = fault_time(coarse)
    assert t == 40
    assert all(t % 10 == 0 for t in times), times
