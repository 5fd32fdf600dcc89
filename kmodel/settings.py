"""Timing and sizing parameters of the control plane, with the real defaults.

Each field mirrors a kubelet / kube-controller-manager / kube-scheduler flag or admission default;
the scenario file names them by the flag's camelCase form (``nodeMonitorGracePeriod``). Durations
are whole seconds. Sources are listed in ../shared/k8s-semantics.md and in each field's comment.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import reduce

import attrs
from attrs import Factory, field, frozen

from kmodel import versions
from kmodel.errors import shown
from kmodel.frozen import identity_eq


class SettingsError(ValueError):
    """A setting has an impossible value; the message names the key and the fix."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key  # the camelCase setting at fault, when there is one


def _nonneg(_inst: object, attribute: attrs.Attribute, value: float) -> None:  # type: ignore[type-arg]
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingsError(f"{camel(attribute.name)} must be a finite number (got {value})", camel(attribute.name))
    if value < 0:
        raise SettingsError(f"{camel(attribute.name)} must not be negative (got {value})", camel(attribute.name))


def _versioned(default: Callable[[str], int]) -> Factory:  # type: ignore[type-arg]
    """A default that depends on ``kubernetesVersion`` (a bad version falls back to the newest
    release here; the version's own validator then reports it)."""

    def pick(self: Settings) -> int:
        try:
            return default(self.kubernetes_version)
        except versions.VersionError:
            return default(versions.DEFAULT_VERSION)

    return Factory(pick, takes_self=True)


def _version(_inst: object, _attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
    try:
        versions.parse(value)
    except versions.VersionError as err:
        raise SettingsError(f"kubernetesVersion: {err}", "kubernetesVersion") from None


MIN_RATE = 1 / (7 * 86400)  # the smallest eviction rate taken: one node a week


@identity_eq
@frozen(cache_hash=True)
class Settings:
    # the Kubernetes release whose defaults, messages and behaviours the model follows
    # (kmodel.versions); declared first because other defaults depend on it
    kubernetes_version: str = field(default=versions.DEFAULT_VERSION, validator=_version)
    # kubelet (pkg/kubelet/apis/config/v1beta1/defaults.go): it computes its node status every
    # nodeStatusUpdateFrequency and posts it when it changed (kmodel.components.kubelet says
    # why its unchanged re-post every nodeStatusReportFrequency is left out); it renews its Lease
    # every nodeLeaseDurationSeconds / 4 (pkg/kubelet/kubelet.go, renew interval fraction)
    node_status_update_frequency: int = field(default=10, validator=_nonneg)
    node_lease_duration_seconds: int = field(default=40, validator=_nonneg)
    # kube-controller-manager, node lifecycle (pkg/controller/nodelifecycle/config/v1alpha1)
    node_monitor_period: int = field(default=5, validator=_nonneg)
    # 50 s since v1.32, 40 s before
    node_monitor_grace_period: int = field(
        default=_versioned(versions.default_node_monitor_grace_period),
        validator=_nonneg,
    )
    node_startup_grace_period: int = field(default=60, validator=_nonneg)
    node_eviction_rate: float = field(default=0.1, validator=_nonneg)  # nodes per second per zone
    secondary_node_eviction_rate: float = field(default=0.01, validator=_nonneg)
    unhealthy_zone_threshold: float = field(default=0.55, validator=_nonneg)
    large_cluster_size_threshold: int = field(default=50, validator=_nonneg)
    # DefaultTolerationSeconds admission plugin
    default_not_ready_toleration_seconds: int = field(default=300, validator=_nonneg)
    default_unreachable_toleration_seconds: int = field(default=300, validator=_nonneg)
    # eviction mode: "taint" (since 1.27 the only one) or "legacy" (--pod-eviction-timeout)
    eviction_mode: str = field(default="taint")
    pod_eviction_timeout: int = field(default=300, validator=_nonneg)  # legacy mode only
    # kube-controller-manager --leader-elect-renew-deadline
    leader_election_renew_deadline: int = field(default=10, validator=_nonneg)
    # pod garbage collector (pkg/controller/podgc/gc_controller.go)
    pod_gc_period: int = field(default=20, validator=_nonneg)
    pod_gc_quarantine: int = field(default=40, validator=_nonneg)
    # --terminated-pod-gc-threshold: pod GC deletes the oldest finished (Succeeded / Failed)
    # pods above this many (0: never)
    terminated_pod_gc_threshold: int = field(default=12500, validator=_nonneg)
    # the model's time step; 0 = gcd of the periods above
    tick: int = field(default=0, validator=_nonneg)
    # kube-controller-manager, horizontal pod autoscaler (pkg/controller/podautoscaler/config/
    # v1alpha1/defaults.go): --horizontal-pod-autoscaler-sync-period, -downscale-stabilization
    # (the scale-down stabilization window of an HPA without spec.behavior), -tolerance,
    # -cpu-initialization-period, -initial-readiness-delay
    horizontal_pod_autoscaler_sync_period: int = field(default=15, validator=_nonneg)
    horizontal_pod_autoscaler_downscale_stabilization: int = field(default=300, validator=_nonneg)
    horizontal_pod_autoscaler_tolerance: float = field(default=0.1, validator=_nonneg)
    horizontal_pod_autoscaler_cpu_initialization_period: int = field(default=300, validator=_nonneg)
    horizontal_pod_autoscaler_initial_readiness_delay: int = field(default=30, validator=_nonneg)
    # kmodel's own: how long the HPA's record of its target's replica changes reaches back (what
    # the no-oscillation property reads; kmodel.components.horizontalpodautoscaler)
    replica_history_window: int = field(default=600, validator=_nonneg)
    # informer caches (kmodel.informer): how many pod changes a watching component's view may not
    # yet have been told about (0: every view is the store itself, as before); and the two
    # safeguards against acting on such a view, each on by default as in Kubernetes
    informer_lag: int = field(default=0, validator=_nonneg)
    rs_expectations: bool = True
    scheduler_assumed_pods: bool = True
    # with informer_lag: the scheduler's Node informer lags too (its view of taints, cordons,
    # labels, capacity and of nodes coming and going); off by default
    informer_lag_nodes: bool = False
    # with informer_lag: the Deployment controller's ReplicaSet informer lags too; off by default
    informer_lag_replica_sets: bool = False
    # historical safeguards (kmodel.partitions): the node lifecycle controller's all-zones-down
    # rule (off: what Kubernetes did before 1.5, kubernetes#28832), and the NodeTaint admission
    # plugin's not-ready:NoSchedule taint on a new Node (off: before TaintNodesByCondition)
    zone_disruption_safeguard: bool = True
    node_taint_admission: bool = True
    # an apiserver watch cache that lags etcd (kmodel.watchcache): how many binding revisions it
    # may be behind (0: none, as before); and the safeguard, a kubelet's first list being a
    # consistent read (off: the Reflector's historical resourceVersion=0 list, kubernetes#59848)
    watch_cache_lag: int = field(default=0, validator=_nonneg)
    consistent_initial_list: bool = True

    def __attrs_post_init__(self) -> None:
        for key, on in (
            ("informerLagNodes", self.informer_lag_nodes),
            ("informerLagReplicaSets", self.informer_lag_replica_sets),
        ):
            if on and self.informer_lag == 0:
                raise SettingsError(f"{key} needs informerLag of at least 1 (how many changes a view may miss)", key)
        if self.eviction_mode not in ("taint", "legacy"):
            raise SettingsError(
                f"evictionMode must be 'taint' or 'legacy' (got {shown(self.eviction_mode)})", "evictionMode"
            )
        if self.eviction_mode == "legacy" and not versions.legacy_eviction_available(self.kubernetes_version):
            raise SettingsError(
                f"evictionMode legacy (--pod-eviction-timeout) was removed in Kubernetes 1.27; "
                f"kubernetesVersion is {self.kubernetes_version}",
                "evictionMode",
            )
        if self.node_monitor_period == 0:
            raise SettingsError("nodeMonitorPeriod must be at least 1s", "nodeMonitorPeriod")
        if self.node_lease_duration_seconds == 0 or self.node_lease_duration_seconds % 4:
            raise SettingsError(
                f"nodeLeaseDurationSeconds must be a positive multiple of 4 (got {self.node_lease_duration_seconds}): "
                "the kubelet renews its Lease every quarter of it, and kmodel counts whole seconds",
                "nodeLeaseDurationSeconds",
            )
        if self.node_status_update_frequency == 0:
            raise SettingsError("nodeStatusUpdateFrequency must be at least 1s", "nodeStatusUpdateFrequency")
        if self.pod_gc_period == 0:
            raise SettingsError("podGCPeriod must be at least 1s", "podGCPeriod")
        if self.horizontal_pod_autoscaler_sync_period == 0:
            raise SettingsError(
                "horizontalPodAutoscalerSyncPeriod must be at least 1s", "horizontalPodAutoscalerSyncPeriod"
            )
        for name in ("node_eviction_rate", "secondary_node_eviction_rate"):
            rate = getattr(self, name)
            if 0 < rate < MIN_RATE:
                raise SettingsError(
                    f"{camel(name)} {rate:g} is below {MIN_RATE:g} per second (one node a week); use 0 for no eviction",
                    camel(name),
                )
        if self.unhealthy_zone_threshold > 1:
            raise SettingsError(
                f"unhealthyZoneThreshold is a fraction of nodes and must be at most 1 "
                f"(got {self.unhealthy_zone_threshold})",
                "unhealthyZoneThreshold",
            )

    @property
    def step(self) -> int:
        """Seconds per tick: the configured tick, else the gcd of the periodic actions."""
        if self.tick:
            return self.tick
        periods = [
            self.node_monitor_period,
            self.node_status_update_frequency,
            self.lease_renew_interval,
            self.pod_gc_period,
        ]
        return reduce(math.gcd, periods)

    @property
    def lease_renew_interval(self) -> int:
        """Seconds between two Lease renewals by a kubelet (a quarter of the Lease duration)."""
        return self.node_lease_duration_seconds // 4

    @property
    def eviction_interval(self) -> int | None:
        """Seconds between two NoExecute taintings in a healthy zone (token bucket, burst 1)."""
        if self.node_eviction_rate <= 0:
            return None
        return max(1, math.ceil(1 / self.node_eviction_rate))

    @property
    def secondary_eviction_interval(self) -> int | None:
        if self.secondary_node_eviction_rate <= 0:
            return None
        return max(1, math.ceil(1 / self.secondary_node_eviction_rate))


DURATION_FIELDS = {
    f.name
    for f in attrs.fields(Settings)
    if f.type in ("int", int)
    and f.name
    not in (
        "large_cluster_size_threshold",
        "node_lease_duration_seconds",
        "terminated_pod_gc_threshold",
        "informer_lag",
        "watch_cache_lag",
    )
}


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    words = [w.upper() if w == "gc" else w.capitalize() for w in rest]
    return head + "".join(words)


SETTING_KEYS: dict[str, str] = {camel(f.name): f.name for f in attrs.fields(Settings)}

# ASCII digits only ([0-9], not \d, which takes any script's digits), and at most 12 of them
_DURATION = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,9}))?\s*(ms|s|m|h)?")
_PART = re.compile(r"([0-9]{1,12})(h|m|s)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
MAX_SECONDS = 10**12  # beyond any limit (the limit maxDuration is what callers check)


class LimitError(ValueError):
    """A value over one of kmodel's input limits; ``fix`` says how to raise it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


def parse_duration(text: object) -> int:
    """Parse ``50s``, ``5m``, ``1h30m`` or a bare number of seconds into whole seconds.

    Raises ValueError with a short explanation on anything else (negative values, NaN and
    infinities, digits of other scripts, more than 12 digits included).
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration like 50s or 5m")
    if isinstance(text, int | float):
        if isinstance(text, float) and not math.isfinite(text):
            raise ValueError("a duration must be a finite number")
        if text < 0:
            raise ValueError("a duration cannot be negative")
        if text > MAX_SECONDS:
            raise ValueError("the duration is too long")
        if text != int(text):
            raise ValueError("durations are whole seconds")
        return int(text)
    if not isinstance(text, str):
        raise ValueError("expected a duration like 50s or 5m")
    s = text.strip()
    if s.startswith("-"):
        raise ValueError("a duration cannot be negative")
    m = _DURATION.fullmatch(s)
    if m:
        whole, fraction, unit = m.group(1), m.group(2) or "", m.group(3) or "s"
        # exact arithmetic in milliseconds x 10**len(fraction): no float rounding
        millis = (int(whole) * 10 ** len(fraction) + int(fraction or "0")) * _UNIT_MS[unit]
        seconds, rest = divmod(millis, 1000 * 10 ** len(fraction))
        if rest:
            raise ValueError("durations are whole seconds")
        return seconds
    parts = _PART.findall(s)
    if parts and "".join(n + u for n, u in parts) == s:
        return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)
    raise ValueError("expected a duration like 50s, 5m or 1h30m")


def model_duration(text: object) -> int:
    """:func:`parse_duration`, then at most the limit ``maxDuration`` (model time: ``until``,
    timeline times, timing settings, --until, --at). Raises ValueError (a LimitError over it)."""
    from kmodel import limits

    seconds = parse_duration(text)
    if seconds > limits.current().max_duration:
        raise LimitError(
            limits.exceeded("max_duration", "the duration", format_duration(seconds)), limits.fix("max_duration")
        )
    return seconds


def format_duration(seconds: int) -> str:
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60}s"
    return f"{seconds}s"


def settings_from(raw: dict[str, object]) -> Settings:
    """Build Settings from camelCase keys. Raises SettingsError naming the key and the fix."""
    kwargs: dict[str, object] = {}
    for key, value in raw.items():
        name = SETTING_KEYS.get(key)
        if name is None:
            close = [k for k in SETTING_KEYS if k.lower() == str(key).lower()]
            hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(sorted(SETTING_KEYS))}"
            raise SettingsError(f"unknown setting {shown(key)}; {hint}", str(key))
        ftype = attrs.fields_dict(Settings)[name].type
        try:
            if name in DURATION_FIELDS:
                kwargs[name] = model_duration(value)
            elif ftype in ("float", float):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError("expected a number")
                if not math.isfinite(value):
                    raise ValueError("expected a finite number")
                kwargs[name] = float(value)
            elif ftype in ("int", int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError("expected a whole number")
                kwargs[name] = value
            elif ftype in ("bool", bool):
                if not isinstance(value, bool):
                    raise ValueError("expected true or false")
                kwargs[name] = value
            elif name == "kubernetes_version" and isinstance(value, float):
                raise ValueError(
                    'write the release in quotes, like "1.20": YAML reads an unquoted 1.20 as the number 1.2'
                )
            else:
                kwargs[name] = str(value)
        except ValueError as err:
            raise SettingsError(f"{key}: {err} (got {shown(value)})", str(key)) from None
    return Settings(**kwargs)  # type: ignore[arg-type]
