"""The HorizontalPodAutoscaler controller (kube-controller-manager).

Mirrors ``pkg/controller/podautoscaler``: ``horizontal.go`` (reconcileAutoscaler, the two
normalisations of the desired count: ``normalizeDesiredReplicas`` for an HPA without
``spec.behavior`` and ``normalizeDesiredReplicasWithBehaviors`` with it, the stabilization of
recommendations and the scale-rate policies over recorded scale events) and
``replica_calculator.go`` (GetResourceReplicas / GetRawResourceReplicas with groupPods: the
tolerance, missing metrics, not-yet-ready pods and the CPU initialization period), as of the
releases that count scale-up and scale-down events together in both rate limits (1.23 on).

Every ``horizontalPodAutoscalerSyncPeriod`` (15 s) the controller syncs each HPA: it reads its
target's scale (spec.replicas and the selector of a Deployment, ReplicaSet or StatefulSet),
asks the metrics server (:mod:`kmodel.loadmodel`: the Scenario's load model) for the usage of
the pods the selector matches, computes the desired count, and writes the target's
spec.replicas through the scale subresource (the Deployment controller then scales). It
records ``SuccessfulRescale`` events with Kubernetes' reason text, the status (current and
desired replicas, lastScaleTime, current metrics) and the conditions AbleToScale,
ScalingActive and ScalingLimited (type, status, reason).

The recommendations and scale events live in the controller's memory
(:class:`kmodel.state.HPAMemory`): lost when the controller-manager restarts, as in the real
process. Entries that can no longer change a decision are dropped (the real controller
overwrites them one at a time; which slot it reuses changes no result).

Left out: object, pods, external and containerResource metrics (refused by
:mod:`kmodel.fieldpolicy`); the metrics server's scrape lag (a sample is fresh at the sync, with
a 15 s window); the first sync 15 s after creation (syncs happen at multiples of the period);
the event recorder's aggregation of repeats (a Warning is recorded when the condition it
explains appears, not at every sync); the Ready condition's exact transition time of a pod that
was ready and is no longer (such a pod counts as "has been ready", as the code's comment puts
it: its metrics are used once the CPU initialization period is over).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs

from kmodel import loadmodel
from kmodel.labels import LabelSelector
from kmodel.namespaces import same_namespace
from kmodel.state import (
    FAILED,
    PENDING,
    Cluster,
    HorizontalPodAutoscaler,
    HPAMemory,
    Labels,
    Pod,
    ScalingPolicy,
    ScalingRules,
    find,
    remove,
    selector_matches,
    upsert,
)
from kmodel.transition import Event, Outcome

SOURCE = "horizontal-pod-autoscaler"
ACTOR = "horizontalpodautoscaler"
SCALE_UP_LIMIT_FACTOR = 2
SCALE_UP_LIMIT_MINIMUM = 4
MAX_INT32 = 2**31 - 1

# conditions
ABLE_TO_SCALE = "AbleToScale"
SCALING_ACTIVE = "ScalingActive"
SCALING_LIMITED = "ScalingLimited"


# --- the apiserver's defaults of spec.behavior (pkg/apis/autoscaling/v2/defaults.go) ---------

DEFAULT_SCALE_UP = ScalingRules(0, "Max", (ScalingPolicy("Pods", 4, 15), ScalingPolicy("Percent", 100, 15)))
DEFAULT_SCALE_DOWN = ScalingRules(None, "Max", (ScalingPolicy("Percent", 100, 15),))


# --- the replica calculator (replica_calculator.go) -------------------------------------------


class MetricsError(Exception):
    """The calculator could not compute a count (the Go code's err)."""


@attrs.frozen
class Calculation:
    replicas: int
    # utilization in percent (Utilization targets) or the average in milli-units (AverageValue)
    current: int


def group_pods(
    pods: list[Pod],
    metrics: dict[str, int],
    resource: str,
    now: int,
    cpu_initialization_period: int,
    initial_readiness_delay: int,
) -> tuple[int, set[str], set[str], set[str]]:
    """``groupPods``: (ready pod count, unready pods, missing pods, ignored pods). Deleted and
    failed pods are ignored; Pending pods are unready; a pod without a sample is missing; for
    CPU, a pod in its initialization period is unready while not Ready or until a full sample
    window has passed since it became Ready, and after the period only a pod that is not Ready
    and has never been ready is."""
    ready = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    for pod in pods:
        if pod.deletion_timestamp is not None or pod.phase == FAILED:
            ignored.add(pod.name)
            continue
        if pod.phase == PENDING:
            unready.add(pod.name)
            continue
        if pod.name not in metrics:
            missing.add(pod.name)
            continue
        if resource == "cpu":
            if pod.start_time is None:
                is_unready = True
            elif pod.start_time + cpu_initialization_period > now:
                # the sample must be a full window younger than the Ready transition
                is_unready = not pod.ready or (
                    pod.ready_since is not None and now < pod.ready_since + loadmodel.METRIC_WINDOW
                )
            else:
                # unready and never been ready (its Ready condition turned False within the
                # initial readiness delay of its start)
                is_unready = not pod.ready and pod.ready_since is None and initial_readiness_delay > 0
            if is_unready:
                unready.add(pod.name)
                continue
        ready += 1
    return ready, unready, missing, ignored


def utilization_ratio(metrics: dict[str, int], requests: dict[str, int], target: int) -> tuple[float, int]:
    """``GetResourceUtilizationRatio``: (usage ratio, utilization in whole percent)."""
    total = 0
    requested = 0
    for name, value in metrics.items():
        if name in requests:
            total += value
            requested += requests[name]
    if requested == 0:
        raise MetricsError("no metrics returned matched known pods")
    utilization = (total * 100) // requested
    return utilization / target, utilization


def usage_ratio(metrics: dict[str, int], target: int) -> tuple[float, int]:
    """``GetMetricUsageRatio``: (usage ratio, the average in milli-units)."""
    average = sum(metrics.values()) // len(metrics)
    return average / target, average


def calculate(
    current_replicas: int,
    pods: list[Pod],
    metrics: dict[str, int],
    requests: dict[str, int] | None,
    target: int,
    resource: str,
    now: int,
    tolerance: float,
    cpu_initialization_period: int,
    initial_readiness_delay: int,
) -> Calculation:
    """``GetResourceReplicas`` (``requests`` given: a Utilization target in percent) or
    ``GetRawResourceReplicas`` (``requests`` None: an AverageValue target in milli-units)."""
    if not metrics:
        raise MetricsError(
            f"unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
        )
    if not pods:
        raise MetricsError("no pods returned by selector while calculating replica count")
    metrics = dict(metrics)
    ready, unready, missing, ignored = group_pods(
        pods, metrics, resource, now, cpu_initialization_period, initial_readiness_delay
    )
    for name in unready | ignored:
        metrics.pop(name, None)
    if not metrics:
        raise MetricsError("did not receive metrics for any ready pods")

    def ratio() -> tuple[float, int]:
        if requests is not None:
            return utilization_ratio(metrics, requests, target)
        return usage_ratio(metrics, target)

    usage, current = ratio()
    rebalance_unready = bool(unready) and usage > 1.0
    if not rebalance_unready and not missing:
        if abs(1.0 - usage) <= tolerance:
            return Calculation(current_replicas, current)
        return Calculation(math.ceil(usage * ready), current)
    if missing:
        if usage < 1.0:
            # on a scale-down, a missing pod counts as using its whole request (the target)
            for name in missing:
                metrics[name] = requests[name] if requests is not None else target
        elif usage > 1.0 or requests is None:
            # on a scale-up, as using nothing (GetResourceReplicas leaves them out at exactly
            # 1.0; the raw-value calculation counts them as 0 there too)
            for name in missing:
                metrics[name] = 0
    if rebalance_unready:
        for name in unready:
            metrics[name] = 0
    new_usage, _ = ratio()
    if abs(1.0 - new_usage) <= tolerance or (usage < 1.0 and new_usage > 1.0) or (usage > 1.0 and new_usage < 1.0):
        return Calculation(current_replicas, current)
    new_replicas = math.ceil(new_usage * len(metrics))
    if (new_usage < 1.0 and new_replicas > current_replicas) or (new_usage > 1.0 and new_replicas < current_replicas):
        return Calculation(current_replicas, current)
    return Calculation(new_replicas, current)


# --- normalisation (horizontal.go) ------------------------------------------------------------


def scale_up_limit(current: int) -> int:
    """``calculateScaleUpLimit``: max(2 x current, 4)."""
    return max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM)


def convert_desired_replicas_with_rules(current: int, desired: int, minimum: int, maximum: int) -> tuple[int, str]:
    """``convertDesiredReplicasWithRules``: (count, ScalingLimited reason)."""
    limit = scale_up_limit(current)
    if maximum > limit:
        allowed_max, reason = limit, "ScaleUpLimit"
    else:
        allowed_max, reason = maximum, "TooManyReplicas"
    if desired < minimum:
        return minimum, "TooFewReplicas"
    if desired > allowed_max:
        return allowed_max, reason
    return desired, "DesiredWithinRange"


def changes_in_period(period: int, events: tuple[tuple[int, int], ...], now: int) -> int:
    """``getReplicasChangePerPeriod``: the changes recorded strictly after now - period."""
    return sum(change for t, change in events if t > now - period)


def scale_up_limit_with_rules(
    current: int, up: tuple[tuple[int, int], ...], down: tuple[tuple[int, int], ...], rules: ScalingRules, now: int
) -> int:
    """``calculateScaleUpLimitWithScalingRules``."""
    if rules.select_policy == "Disabled":
        return current
    pick: Callable[[int, int], int] = min if rules.select_policy == "Min" else max
    result = MAX_INT32 if rules.select_policy == "Min" else -MAX_INT32 - 1
    for p in rules.policies:
        start = current - changes_in_period(p.period, up, now) + changes_in_period(p.period, down, now)
        if p.kind == "Pods":
            proposed = start + p.value
        else:
            proposed = math.ceil(start * (1 + p.value / 100))
        result = pick(result, proposed)
    return result


def scale_down_limit_with_rules(
    current: int, up: tuple[tuple[int, int], ...], down: tuple[tuple[int, int], ...], rules: ScalingRules, now: int
) -> int:
    """``calculateScaleDownLimitWithBehaviors``."""
    if rules.select_policy == "Disabled":
        return current
    pick: Callable[[int, int], int] = max if rules.select_policy == "Min" else min
    result = -MAX_INT32 - 1 if rules.select_policy == "Min" else MAX_INT32
    for p in rules.policies:
        start = current - changes_in_period(p.period, up, now) + changes_in_period(p.period, down, now)
        if p.kind == "Pods":
            proposed = start - p.value
        else:
            proposed = int(start * (1 - p.value / 100))
        result = pick(result, proposed)
    return result


def convert_desired_replicas_with_behavior_rate(
    current: int,
    desired: int,
    minimum: int,
    maximum: int,
    scale_up: ScalingRules,
    scale_down: ScalingRules,
    mem: HPAMemory,
    now: int,
) -> tuple[int, str]:
    """``convertDesiredReplicasWithBehaviorRate``: (count, ScalingLimited reason)."""
    up, down = mem.scale_up_events, mem.scale_down_events
    if desired > current:
        limit = max(scale_up_limit_with_rules(current, up, down, scale_up, now), current)
        if maximum > limit:
            allowed, reason = limit, "ScaleUpLimit"
        else:
            allowed, reason = maximum, "TooManyReplicas"
        if desired > allowed:
            return allowed, reason
    elif desired < current:
        limit = min(scale_down_limit_with_rules(current, up, down, scale_down, now), current)
        if minimum < limit:
            allowed, reason = limit, "ScaleDownLimit"
        else:
            allowed, reason = minimum, "TooFewReplicas"
        if desired < allowed:
            return allowed, reason
    return desired, "DesiredWithinRange"


def stabilize(recs: tuple[tuple[int, int], ...], desired: int, window: int, now: int) -> tuple[int, tuple]:
    """``stabilizeRecommendation`` (no behavior): the highest of ``desired`` and the
    recommendations not older than the window; records ``desired``. Returns (count, new
    recommendations)."""
    if window == 0:
        # nothing recorded before this instant counts (the controller's clock has moved on
        # since it recorded the initial recommendation in the same sync)
        return desired, ((now, desired),)
    cutoff = now - window
    best = desired
    for t, r in recs:
        if t >= cutoff and r > best:
            best = r
    kept = tuple((t, r) for t, r in recs if t >= cutoff)
    return best, (*kept, (now, desired))


def stabilize_with_behaviors(
    recs: tuple[tuple[int, int], ...], current: int, desired: int, up_window: int, down_window: int, now: int
) -> tuple[int, str, tuple]:
    """``stabilizeRecommendationWithBehaviors``: the count is held between the lowest
    recommendation of the scale-up window and the highest of the scale-down window (both
    counting only recommendations strictly younger than the window, and ``desired`` itself).
    Returns (count, AbleToScale reason when it differs from ``desired``, new recommendations)."""
    up_cutoff, down_cutoff = now - up_window, now - down_window
    up_rec = desired
    down_rec = desired
    for t, r in recs:
        if t > up_cutoff:
            up_rec = min(r, up_rec)
        if t > down_cutoff:
            down_rec = max(r, down_rec)
    recommendation = max(current, up_rec)
    recommendation = min(recommendation, down_rec)
    reason = "ScaleUpStabilized" if desired >= current else "ScaleDownStabilized"
    # an entry older than both windows is overwritten (dropped here): it counts for nothing
    kept = tuple((t, r) for t, r in recs if not (t < up_cutoff and t < down_cutoff))
    return recommendation, reason, (*kept, (now, desired))


def store_scale_event(mem: HPAMemory, hpa: HorizontalPodAutoscaler, prev: int, new: int, now: int) -> HPAMemory:
    """``storeScaleEvent``: only with a behavior; events older than the longest policy period
    of their direction are replaced (dropped here)."""
    if hpa.behavior is None:
        return mem
    scale_up, scale_down = hpa.behavior
    if new > prev:
        longest = max((p.period for p in scale_up.policies), default=0)
        kept = tuple((t, c) for t, c in mem.scale_up_events if t >= now - longest)
        return attrs.evolve(mem, scale_up_events=(*kept, (now, new - prev)))
    longest = max((p.period for p in scale_down.policies), default=0)
    kept = tuple((t, c) for t, c in mem.scale_down_events if t >= now - longest)
    return attrs.evolve(mem, scale_down_events=(*kept, (now, prev - new)))


# --- the target's scale subresource --------------------------------------------------------------


@attrs.frozen
class Scale:
    replicas: int
    selector: Labels | LabelSelector


def get_scale(cluster: Cluster, hpa: HorizontalPodAutoscaler) -> Scale | None:
    kind, name = hpa.target_kind, hpa.target_name
    obj = None
    if kind == "Deployment":
        obj = cluster.deployment(name)
    elif kind == "ReplicaSet":
        obj = cluster.replicaset(name)
    elif kind == "StatefulSet":
        obj = cluster.statefulset(name)
    if obj is None:
        return None
    return Scale(obj.replicas, obj.selector)


def set_scale(cluster: Cluster, hpa: HorizontalPodAutoscaler, replicas: int) -> Cluster:
    kind, name = hpa.target_kind, hpa.target_name
    if kind == "Deployment":
        d = cluster.deployment(name)
        assert d is not None
        return cluster.with_deployment(attrs.evolve(d, replicas=replicas))
    if kind == "ReplicaSet":
        rs = cluster.replicaset(name)
        assert rs is not None
        return cluster.with_replicaset(attrs.evolve(rs, replicas=replicas))
    ss = cluster.statefulset(name)
    assert ss is not None
    return cluster.with_statefulset(attrs.evolve(ss, replicas=replicas))


def resource_name(kind: str) -> str:
    return {"Deployment": "deployments.apps", "ReplicaSet": "replicasets.apps", "StatefulSet": "statefulsets.apps"}[
        kind
    ]


# --- one sync (reconcileAutoscaler) --------------------------------------------------------------


def _set_condition(
    conditions: tuple[tuple[str, str, str], ...], kind: str, status: str, reason: str
) -> tuple[tuple[str, str, str], ...]:
    for i, (k, _, _) in enumerate(conditions):
        if k == kind:
            return (*conditions[:i], (kind, status, reason), *conditions[i + 1 :])
    return (*conditions, (kind, status, reason))


def _metric_name(resource: str, kind: str) -> str:
    if kind == "Utilization":
        return f"{resource} resource utilization (percentage of request)"
    return f"{resource} resource"


def compute_replicas_for_metrics(
    cluster: Cluster, hpa: HorizontalPodAutoscaler, scale: Scale
) -> tuple[int, str, tuple[tuple[str, int], ...]] | MetricsError:
    """``computeReplicasForMetrics``: the largest proposal over the metrics, the metric that
    made it, and the current values; a MetricsError when every metric failed (its message is
    the first failure's)."""
    s = cluster.settings
    pods = [p for p in cluster.pods if same_namespace(p.name, hpa.name) and selector_matches(scale.selector, p.labels)]
    best = 0
    best_name = ""
    current: list[tuple[str, int]] = []
    first_error: MetricsError | None = None
    for m in hpa.metrics:
        samples = {}
        for p in pods:
            v = loadmodel.pod_usage(cluster, p, m.resource)
            if v is not None:
                # milli-units, as the metrics client's MilliValue
                samples[p.name] = v if m.resource == "cpu" else v * 1000
        try:
            requests = None
            target = m.value if m.resource == "cpu" or m.kind == "Utilization" else m.value * 1000
            if m.kind == "Utilization":
                requests = {}
                for p in pods:
                    req = p.requests.cpu if m.resource == "cpu" else p.requests.memory * 1000
                    if req == 0:
                        raise MetricsError(f"missing request for {m.resource} in pod {p.name}")
                    requests[p.name] = req
            calc = calculate(
                scale.replicas,
                pods,
                samples,
                requests,
                target,
                m.resource,
                cluster.now,
                s.horizontal_pod_autoscaler_tolerance,
                s.horizontal_pod_autoscaler_cpu_initialization_period,
                s.horizontal_pod_autoscaler_initial_readiness_delay,
            )
        except MetricsError as err:
            what = "utilization" if m.kind == "Utilization" else "usage"
            wrapped = MetricsError(f"failed to get {m.resource} {what}: {err}")
            if first_error is None:
                first_error = wrapped
            continue
        value = calc.current if m.kind == "Utilization" or m.resource == "cpu" else calc.current // 1000
        current.append((m.resource, value))
        if best == 0 or calc.replicas > best:
            best = calc.replicas
            best_name = _metric_name(m.resource, m.kind)
    if not current:
        assert first_error is not None
        return first_error
    return best, best_name, tuple(current)


def _memory(cluster: Cluster, name: str) -> HPAMemory:
    return find(cluster.memory.hpa, name) or HPAMemory(name)


def _record(history: tuple[tuple[int, int], ...], now: int, replicas: int, window: int) -> tuple[tuple[int, int], ...]:
    """The history with ``replicas`` at ``now`` when it differs from the newest entry, and
    entries older than the window dropped (the newest always kept)."""
    if not history or history[-1][1] != replicas:
        history = (*history, (now, replicas))
    kept = tuple(e for e in history[:-1] if e[0] >= now - window)
    return (*kept, history[-1])


def sync(cluster: Cluster, hpa: HorizontalPodAutoscaler, events: list[Event], notes: list[str]) -> Cluster:
    s = cluster.settings
    now = cluster.now
    obj = f"horizontalpodautoscaler/{hpa.name}"
    conditions = hpa.conditions
    scale = get_scale(cluster, hpa)
    if scale is None:
        was = hpa.condition(ABLE_TO_SCALE)
        conditions = _set_condition(conditions, ABLE_TO_SCALE, "False", "FailedGetScale")
        if was != ("False", "FailedGetScale"):
            msg = f'{resource_name(hpa.target_kind)} "{hpa.target_name}" not found'
            events.append(Event(now, SOURCE, "FailedGetScale", obj, msg, "Warning"))
        return cluster.with_hpa(attrs.evolve(hpa, conditions=conditions))
    conditions = _set_condition(conditions, ABLE_TO_SCALE, "True", "SucceededGetScale")
    current = scale.replicas
    mem = _memory(cluster, hpa.name)
    if not mem.recommendations:
        mem = attrs.evolve(mem, recommendations=((now, current),))
    minimum = hpa.min_replicas
    rescale_reason = ""
    metrics = hpa.current_metrics
    rescale = True
    if current == 0 and minimum != 0:
        desired = 0
        rescale = False
        conditions = _set_condition(conditions, SCALING_ACTIVE, "False", "ScalingDisabled")
    elif current > hpa.max_replicas:
        rescale_reason = "Current number of replicas above Spec.MaxReplicas"
        desired = hpa.max_replicas
    elif current < minimum:
        rescale_reason = "Current number of replicas below Spec.MinReplicas"
        desired = minimum
    else:
        result = compute_replicas_for_metrics(cluster, hpa, scale)
        if isinstance(result, MetricsError):
            was = hpa.condition(SCALING_ACTIVE)
            conditions = _set_condition(conditions, SCALING_ACTIVE, "False", "FailedGetResourceMetric")
            if was != ("False", "FailedGetResourceMetric"):
                events.append(Event(now, SOURCE, "FailedGetResourceMetric", obj, str(result), "Warning"))
                n = len(hpa.metrics)
                msg = f"invalid metrics ({n} invalid out of {n}), first error is: {result}"
                events.append(Event(now, SOURCE, "FailedComputeMetricsReplicas", obj, msg, "Warning"))
            history = _record(hpa.history, now, current, s.replica_history_window)
            new = attrs.evolve(hpa, conditions=conditions, current_replicas=current, history=history)
            return _with_memory(cluster.with_hpa(new), mem)
        proposal, metric_name, metrics = result
        conditions = _set_condition(conditions, SCALING_ACTIVE, "True", "ValidMetricFound")
        desired = proposal
        if desired > current:
            rescale_reason = f"{metric_name} above target"
        if desired < current:
            rescale_reason = "All metrics below target"
        if hpa.behavior is None:
            stabilized, recs = stabilize(
                mem.recommendations, desired, s.horizontal_pod_autoscaler_downscale_stabilization, now
            )
            mem = attrs.evolve(mem, recommendations=recs)
            able = "ScaleDownStabilized" if stabilized != desired else "ReadyForNewScale"
            conditions = _set_condition(conditions, ABLE_TO_SCALE, "True", able)
            final, limited = convert_desired_replicas_with_rules(current, stabilized, minimum, hpa.max_replicas)
        else:
            up, down = hpa.behavior
            down_window = (
                down.stabilization_window
                if down.stabilization_window is not None
                else s.horizontal_pod_autoscaler_downscale_stabilization
            )
            up_window = up.stabilization_window or 0
            stabilized, reason, recs = stabilize_with_behaviors(
                mem.recommendations, current, desired, up_window, down_window, now
            )
            mem = attrs.evolve(mem, recommendations=recs)
            conditions = _set_condition(
                conditions, ABLE_TO_SCALE, "True", reason if stabilized != desired else "ReadyForNewScale"
            )
            up_kept = max((p.period for p in up.policies), default=0)
            down_kept = max((p.period for p in down.policies), default=0)
            mem = attrs.evolve(
                mem,
                scale_up_events=tuple(e for e in mem.scale_up_events if e[0] > now - up_kept),
                scale_down_events=tuple(e for e in mem.scale_down_events if e[0] > now - down_kept),
            )
            final, limited = convert_desired_replicas_with_behavior_rate(
                current, stabilized, minimum, hpa.max_replicas, up, down, mem, now
            )
        conditions = _set_condition(conditions, SCALING_LIMITED, "True" if final != stabilized else "False", limited)
        desired = final
        rescale = desired != current
    history = _record(hpa.history, now, current, s.replica_history_window)
    out = cluster
    last_scale = hpa.last_scale_time
    if rescale:
        out = set_scale(out, hpa, desired)
        conditions = _set_condition(conditions, ABLE_TO_SCALE, "True", "SucceededRescale")
        msg = f"New size: {desired}; reason: {rescale_reason}"
        events.append(Event(now, SOURCE, "SuccessfulRescale", obj, msg))
        target = f"{hpa.target_kind.lower()}/{hpa.target_name}"
        notes.append(f"{hpa.name}: {target} {current} -> {desired} ({rescale_reason})")
        mem = store_scale_event(mem, hpa, current, desired, now)
        last_scale = now
        history = _record(history, now, desired, s.replica_history_window)
    else:
        desired = current
    new = attrs.evolve(
        hpa,
        conditions=conditions,
        current_replicas=current,
        desired_replicas=desired,
        last_scale_time=last_scale,
        current_metrics=metrics,
        history=history,
    )
    return _with_memory(out.with_hpa(new), mem)


def _with_memory(cluster: Cluster, mem: HPAMemory) -> Cluster:
    return cluster.with_memory(hpa=upsert(cluster.memory.hpa, mem))


def is_due(cluster: Cluster) -> bool:
    """At the first tick at or after each multiple of the sync period."""
    s = cluster.settings
    busy = bool(cluster.hpas) or bool(cluster.memory.hpa)  # a deleted HPA's memory is dropped at a sync
    return busy and cluster.now % s.horizontal_pod_autoscaler_sync_period < s.step


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    # forget the memory of HPAs that are gone (reconcileKey on a deleted HPA)
    gone = [m.name for m in out.memory.hpa if out.hpa(m.name) is None]
    for name in gone:
        out = out.with_memory(hpa=remove(out.memory.hpa, name))
    events: list[Event] = []
    notes: list[str] = []
    for hpa in cluster.hpas:
        out = sync(out, hpa, events, notes)
    if out == cluster:
        return []
    return [Outcome(ACTOR, "; ".join(notes) or "sync horizontal pod autoscalers", out, tuple(events))]


# --- the checker's view -----------------------------------------------------------------------


def age_cap(cluster: Cluster) -> int:
    """The largest age any HPA decision or the load model compares with (the checker caps
    pod start times at it)."""
    s = cluster.settings
    longest = max(
        s.horizontal_pod_autoscaler_cpu_initialization_period + loadmodel.METRIC_WINDOW,
        s.horizontal_pod_autoscaler_initial_readiness_delay,
        *(w.startup_for for w in cluster.loads),
        0,
    )
    return longest + 2 * s.step


def relative(cluster: Cluster) -> tuple[object, ...]:
    """The HPAs, the controller's memory of them and the loads, with times as ages: what
    the checker's fingerprint adds for them (kmodel.checkmodel.relative)."""
    if not cluster.hpas and not cluster.loads and not cluster.memory.hpa:
        return ()
    now = cluster.now
    s = cluster.settings
    hist_cap = s.replica_history_window + 1
    hpas = tuple(
        (
            attrs.evolve(h, last_scale_time=None, history=()),
            h.last_scale_time is not None,
            tuple((min(now - t, hist_cap), r) for t, r in h.history),
        )
        for h in cluster.hpas
    )
    mem = tuple(
        (
            m.name,
            tuple(sorted((now - t, r) for t, r in m.recommendations)),
            tuple(sorted((now - t, c) for t, c in m.scale_up_events)),
            tuple(sorted((now - t, c) for t, c in m.scale_down_events)),
        )
        for m in cluster.memory.hpa
    )
    loads = tuple((w.key, w.choice, w.phase(now)) for w in cluster.loads)
    return hpas, mem, loads
