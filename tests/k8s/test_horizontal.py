"""HorizontalPodAutoscaler, translated from pkg/controller/podautoscaler: replica_calculator_test.go
(the replica calculator) and horizontal_test.go (the normalisation of the desired count: the
scale-up limit, the behaviour policies, the stabilization of recommendations).

Conventions of the translation (replica_calculator_test.go's harness):

- each pod has ``numContainersPerPod`` = 2 containers, each requesting the test's request and
  using the test's level, so a pod requests and uses twice those (millicores);
- ``podReadiness`` False is a pod that has never been ready; ``coolCpuCreationTime`` is a start
  long past the CPU initialization period, ``hotCpuCreationTime`` one just now (ready since its
  start, so its sample is not a full window younger than its readiness);
- the tests' tolerance is 0.1, the CPU initialization period 2 minutes and the initial readiness
  delay 10 s (defaultTestingTolerance and friends);
- pods beyond the list of levels have no sample (missing metrics); levels beyond the list of
  pods are samples of pods that do not exist.

Expectations are the Go tests'. The recommendation log's length (TestNormalizeDesiredReplicas'
expectedLogLength) is not compared: kmodel drops recommendations older than the window where the
controller overwrites one of them per sync, which changes no count.
"""

from __future__ import annotations

import math

import attrs
import pytest

from kmodel import loadmodel
from kmodel.components import horizontalpodautoscaler as hpa
from kmodel.components.horizontalpodautoscaler import (
    DEFAULT_SCALE_DOWN,
    DEFAULT_SCALE_UP,
    Calculation,
    MetricsError,
    ScalingPolicy,
    ScalingRules,
)
from kmodel.settings import Settings
from kmodel.state import (
    FAILED,
    PENDING,
    RUNNING,
    Cluster,
    Deployment,
    HorizontalPodAutoscaler,
    HPAMemory,
    MetricTarget,
    Pod,
    PodTemplate,
    ReplicaSet,
    Resources,
)
from kmodel.transition import Event

NOW = 10_000
CONTAINERS = 2  # numContainersPerPod
COOL = NOW - 3 * 60  # coolCpuCreationTime
HOT = NOW  # hotCpuCreationTime
TOLERANCE = 0.1
CPU_INIT = 2 * 60
READINESS_DELAY = 10


def mkpods(
    n: int,
    requests: list[int] | None = None,
    readiness: list[bool] | None = None,
    start: list[int] | None = None,
    phase: list[str] | None = None,
    deleting: list[bool] | None = None,
) -> list[Pod]:
    pods = []
    for i in range(n):
        ready = readiness[i] if readiness else True
        t = start[i] if start else COOL
        req = requests[i] if requests is not None and i < len(requests) else 0
        pods.append(
            Pod(
                name=f"test-pod-{i}",
                phase=phase[i] if phase else RUNNING,
                ready=ready,
                ready_since=t if ready else None,
                start_time=t,
                deletion_timestamp=NOW - 1 if deleting and deleting[i] else None,
                requests=Resources(cpu=CONTAINERS * req),
            )
        )
    return pods


def calc(current: int, pods: list[Pod], levels: list[int], target: int) -> Calculation:
    """GetResourceReplicas for cpu with a Utilization target (``levels`` per container)."""
    metrics = {f"test-pod-{i}": CONTAINERS * level for i, level in enumerate(levels)}
    requests = {}
    for p in pods:
        if p.requests.cpu == 0:
            raise MetricsError(f"missing request for cpu in pod {p.name}")
        requests[p.name] = p.requests.cpu
    return hpa.calculate(current, pods, metrics, requests, target, "cpu", NOW, TOLERANCE, CPU_INIT, READINESS_DELAY)


ONE = 1000  # resource.MustParse("1.0") in millicores


# --- replica_calculator_test.go ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "current", "n", "kw", "levels", "target", "replicas", "utilization"),
    [
        ("TestReplicaCalcScaleUp", 3, 3, {}, [300, 500, 700], 30, 5, 50),
        (
            "TestReplicaCalcScaleUpUnreadyLessScale",
            3,
            3,
            {"readiness": [False, True, True]},
            [300, 500, 700],
            30,
            4,
            60,
        ),
        ("TestReplicaCalcScaleUpHotCpuLessScale", 3, 3, {"start": [HOT, COOL, COOL]}, [300, 500, 700], 30, 4, 60),
        (
            "TestReplicaCalcScaleUpUnreadyNoScale",
            3,
            3,
            {"readiness": [True, False, False]},
            [400, 500, 700],
            30,
            3,
            40,
        ),
        (
            "TestReplicaCalcScaleHotCpuNoScale",
            3,
            3,
            {"readiness": [True, False, False], "start": [COOL, HOT, HOT]},
            [400, 500, 700],
            30,
            3,
            40,
        ),
        (
            "TestReplicaCalcScaleUpIgnoresFailedPods",
            2,
            4,
            {"readiness": [True, True, False, False], "phase": [RUNNING, RUNNING, FAILED, FAILED]},
            [500, 700],
            30,
            4,
            60,
        ),
        (
            "TestReplicaCalcScaleUpIgnoresDeletionPods",
            2,
            4,
            {"readiness": [True, True, False, False], "deleting": [False, False, True, True]},
            [500, 700],
            30,
            4,
            60,
        ),
        ("TestReplicaCalcScaleDown", 5, 5, {}, [100, 300, 500, 250, 250], 50, 3, 28),
        (
            "TestReplicaCalcScaleDownIncludeUnreadyPods",
            5,
            5,
            {"readiness": [True, True, True, False, False]},
            [100, 300, 500, 250, 250],
            50,
            2,
            30,
        ),
        (
            "TestReplicaCalcScaleDownExcludeUnscheduledPods",
            5,
            5,
            {
                "readiness": [True, False, False, False, False],
                "phase": [RUNNING, PENDING, PENDING, PENDING, PENDING],
            },
            [100],
            50,
            1,
            10,
        ),
        (
            "TestReplicaCalcScaleDownIgnoreHotCpuPods",
            5,
            5,
            {"start": [COOL, COOL, COOL, HOT, HOT]},
            [100, 300, 500, 250, 250],
            50,
            2,
            30,
        ),
        (
            "TestReplicaCalcScaleDownIgnoresFailedPods",
            5,
            7,
            {"readiness": [True] * 5 + [False] * 2, "phase": [RUNNING] * 5 + [FAILED] * 2},
            [100, 300, 500, 250, 250],
            50,
            3,
            28,
        ),
        (
            "TestReplicaCalcScaleDownIgnoresDeletionPods",
            5,
            7,
            {"readiness": [True] * 5 + [False] * 2, "deleting": [False] * 5 + [True] * 2},
            [100, 300, 500, 250, 250],
            50,
            3,
            28,
        ),
        ("TestReplicaCalcSuperfluousMetrics", 4, 4, {}, [4000, 9500, 3000, 7000, 3200, 2000], 100, 24, 587),
        ("TestReplicaCalcMissingMetrics", 4, 4, {}, [400, 95], 100, 3, 24),
        ("TestReplicaCalcMissingMetricsNoChangeEq", 2, 2, {}, [1000], 100, 2, 100),
        ("TestReplicaCalcMissingMetricsNoChangeGt", 2, 2, {}, [1900], 100, 2, 190),
        ("TestReplicaCalcMissingMetricsNoChangeLt", 2, 2, {}, [600], 100, 2, 60),
        (
            "TestReplicaCalcMissingMetricsUnreadyChange",
            3,
            3,
            {"readiness": [False, True, True]},
            [100, 450],
            50,
            3,
            45,
        ),
        ("TestReplicaCalcMissingMetricsHotCpuNoChange", 3, 3, {"start": [HOT, COOL, COOL]}, [100, 450], 50, 3, 45),
        (
            "TestReplicaCalcMissingMetricsUnreadyScaleUp",
            3,
            3,
            {"readiness": [False, True, True]},
            [100, 2000],
            50,
            4,
            200,
        ),
        (
            "TestReplicaCalcMissingMetricsHotCpuScaleUp",
            3,
            3,
            {"readiness": [False, True, True], "start": [HOT, COOL, COOL]},
            [100, 2000],
            50,
            4,
            200,
        ),
        (
            "TestReplicaCalcMissingMetricsUnreadyScaleDown",
            4,
            4,
            {"readiness": [False, True, True, True]},
            [100, 100, 100],
            50,
            3,
            10,
        ),
    ],
)
def test_replica_calc(
    name: str,
    current: int,
    n: int,
    kw: dict[str, list],  # type: ignore[type-arg]
    levels: list[int],
    target: int,
    replicas: int,
    utilization: int,
) -> None:
    """replica_calculator_test.go: ``name`` (requests 1.0 per container throughout)."""
    pods = mkpods(n, requests=[ONE] * n, **kw)
    got = calc(current, pods, levels, target)
    assert (got.replicas, got.current) == (replicas, utilization)


def test_replica_calc_tolerance() -> None:
    """replica_calculator_test.go: TestReplicaCalcTolerance (requests 0.9, 1.0, 1.1)."""
    pods = mkpods(3, requests=[900, 1000, 1100])
    got = calc(3, pods, [1010, 1030, 1020], 100)
    assert (got.replicas, got.current) == (3, 102)


def test_replica_calc_empty_metrics() -> None:
    """replica_calculator_test.go: TestReplicaCalcEmptyMetrics."""
    with pytest.raises(MetricsError, match="unable to get metrics for resource cpu: no metrics returned"):
        calc(4, mkpods(3, requests=[ONE] * 3), [], 100)


def test_replica_calc_empty_cpu_request() -> None:
    """replica_calculator_test.go: TestReplicaCalcEmptyCPURequest."""
    with pytest.raises(MetricsError, match="missing request for"):
        calc(1, mkpods(1, requests=[]), [200], 100)


def test_replica_calc_computed_tolerance() -> None:
    """replica_calculator_test.go: TestReplicaCalcComputedToleranceAlgImplementation: 10 pods
    using 150m (per container) and requesting about twice that; a target just past the
    tolerance scales down to ceil(ratio x 10), one just inside it does not."""
    used = 10 * 150
    requested = 2 * used
    per_pod = requested // 10
    offsets = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0]
    pods = mkpods(10, requests=[per_pod + o for o in offsets])
    levels = [used // 10] * 10
    requested_to_used = requested // used
    target = abs(1 / (requested_to_used * (1 - TOLERANCE))) + 0.01
    ratio = used / (requested * target)
    got = calc(10, pods, levels, int(target * 100))
    assert got.replicas == math.ceil(ratio * 10)
    assert got.current == used * 100 // requested
    target = abs(1 / (requested_to_used * (1 - TOLERANCE))) + 0.004
    assert calc(10, pods, levels, int(target * 100)).replicas == 10


# --- horizontal_test.go: normalisation -------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "current", "desired", "minimum", "maximum", "want", "condition"),
    [
        ("prenormalized desired replicas within range", 5, 7, 3, 8, 7, "DesiredWithinRange"),
        ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, "TooFewReplicas"),
        ("prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, "DesiredWithinRange"),
        ("maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10, "TooManyReplicas"),
        ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas", 3, 1000, 1, 2000, 6, "ScaleUpLimit"),
    ],
)
def test_convert_desired_replicas_with_rules(
    annotation: str, current: int, desired: int, minimum: int, maximum: int, want: int, condition: str
) -> None:
    """horizontal_test.go: TestConvertDesiredReplicasWithRules, ``annotation``
    (calculateScaleUpLimit(3) = max(2 x 3, 4) = 6)."""
    assert hpa.convert_desired_replicas_with_rules(current, desired, minimum, maximum) == (want, condition)


def test_calculate_scale_up_limit_with_scaling_rules() -> None:
    """horizontal_test.go: TestCalculateScaleUpLimitWithScalingRules (Min of 2 pods and 50% per
    60 s, from 1 replica)."""
    rules = ScalingRules(300, "Min", (ScalingPolicy("Pods", 2, 60), ScalingPolicy("Percent", 50, 60)))
    assert hpa.scale_up_limit_with_rules(1, (), (), rules, NOW) == 2


def test_calculate_scale_down_limit_with_behaviors() -> None:
    """horizontal_test.go: TestCalculateScaleDownLimitWithBehaviors (Min of 2 pods and 50% per
    60 s, from 5 replicas)."""
    rules = ScalingRules(300, "Min", (ScalingPolicy("Pods", 2, 60), ScalingPolicy("Percent", 50, 60)))
    assert hpa.scale_down_limit_with_rules(5, (), (), rules, NOW) == 3


@pytest.mark.parametrize(
    ("name", "recs", "desired", "want"),
    [
        ("empty log", (), 5, 5),
        ("stabilize", ((NOW - 120, 4), (NOW - 60, 5)), 3, 5),
        ("no stabilize", ((NOW - 120, 1), (NOW - 60, 2)), 3, 3),
        ("no stabilize - old recommendations", ((NOW - 600, 10), (NOW - 540, 9)), 3, 3),
        ("stabilize - old recommendations", ((NOW - 600, 10), (NOW - 60, 4), (NOW - 120, 5), (NOW - 540, 9)), 3, 5),
    ],
)
def test_normalize_desired_replicas(name: str, recs: tuple[tuple[int, int], ...], desired: int, want: int) -> None:
    """horizontal_test.go: TestNormalizeDesiredReplicas, ``name`` (downscale stabilization 5m)."""
    got, log = hpa.stabilize(recs, desired, 300, NOW)
    assert got == want
    assert log[-1] == (NOW, desired)


def rules(pods: int, pods_period: int, percent: int, percent_period: int, window: int) -> ScalingRules:
    """horizontal_test.go's generateScalingRules (selectPolicy Max)."""
    policies = []
    if pods:
        policies.append(ScalingPolicy("Pods", pods, pods_period))
    if percent:
        policies.append(ScalingPolicy("Percent", percent, percent_period))
    return ScalingRules(window, "Max", tuple(policies))


@pytest.mark.parametrize(
    ("name", "current", "desired", "minimum", "maximum", "up", "down", "want", "condition"),
    [
        ("prenormalized desired replicas within range", 5, 7, 3, 8, None, None, 7, "DesiredWithinRange"),
        ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, None, None, 2, "TooFewReplicas"),
        (
            "prenormalized desired replicas within range when minReplicas is 0",
            1,
            0,
            0,
            10,
            None,
            None,
            0,
            "DesiredWithinRange",
        ),
        (
            "maxReplicas is the limit because maxReplicas < scaleUpLimit",
            20,
            1000,
            1,
            10,
            None,
            None,
            10,
            "TooManyReplicas",
        ),
        (
            "desired replica count is more than the maximum replica count",
            100,
            1000,
            100,
            150,
            None,
            None,
            150,
            "TooManyReplicas",
        ),
        (
            "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies",
            3,
            1000,
            1,
            2000,
            rules(0, 0, 1, 60, 0),
            None,
            4,
            "ScaleUpLimit",
        ),
        (
            "scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies",
            1000,
            3,
            3,
            2000,
            None,
            rules(20, 60, 0, 0, 0),
            980,
            "ScaleDownLimit",
        ),
        ("scaleUp with default behavior", 10, 50, 1, 1000, None, None, 20, "ScaleUpLimit"),
        (
            "scaleUp with pods policy larger than percent policy",
            10,
            500,
            1,
            1000,
            rules(100, 60, 100, 60, 0),
            None,
            110,
            "ScaleUpLimit",
        ),
        (
            "scaleUp with percent policy larger than pods policy",
            10,
            500,
            1,
            1000,
            rules(2, 60, 100, 60, 0),
            None,
            20,
            "ScaleUpLimit",
        ),
        (
            "scaleUp with spec MaxReplicas limitation with large pod policy",
            10,
            50,
            1,
            1000,
            rules(100, 60, 0, 0, 0),
            None,
            50,
            "DesiredWithinRange",
        ),
        (
            "scaleUp with spec MaxReplicas limitation with large percent policy",
            10,
            50,
            1,
            1000,
            rules(10000, 60, 0, 0, 0),
            None,
            50,
            "DesiredWithinRange",
        ),
        ("scaleUp with pod policy limitation", 10, 50, 1, 1000, rules(30, 60, 0, 0, 0), None, 40, "ScaleUpLimit"),
        (
            "scaleUp with percent policy limitation",
            10,
            50,
            1,
            1000,
            rules(0, 0, 200, 60, 0),
            None,
            30,
            "ScaleUpLimit",
        ),
        (
            "scaleDown with percent policy larger than pod policy",
            100,
            2,
            1,
            1000,
            None,
            rules(20, 60, 1, 60, 300),
            80,
            "ScaleDownLimit",
        ),
        (
            "scaleDown with pod policy larger than percent policy",
            100,
            2,
            1,
            1000,
            None,
            rules(2, 60, 1, 60, 300),
            98,
            "ScaleDownLimit",
        ),
        (
            "scaleDown with spec MinReplicas=nil limitation with large pod policy",
            10,
            0,
            1,
            1000,
            None,
            rules(100, 60, 0, 0, 300),
            1,
            "TooFewReplicas",
        ),
        (
            "scaleDown with spec MinReplicas limitation with large percent policy",
            10,
            2,
            5,
            1000,
            None,
            rules(0, 0, 100, 60, 300),
            5,
            "TooFewReplicas",
        ),
        ("scaleDown with pod policy limitation", 10, 2, 1, 1000, None, rules(5, 60, 0, 0, 300), 5, "ScaleDownLimit"),
        (
            "scaleDown with percent policy limitation",
            10,
            5,
            1,
            1000,
            None,
            rules(0, 0, 50, 60, 300),
            5,
            "DesiredWithinRange",
        ),
    ],
)
def test_scaling_with_rules(
    name: str,
    current: int,
    desired: int,
    minimum: int,
    maximum: int,
    up: ScalingRules | None,
    down: ScalingRules | None,
    want: int,
    condition: str,
) -> None:
    """horizontal_test.go: TestScalingWithRules, ``name`` (no recorded scale events; rules not
    given are the apiserver's defaults, GenerateHPAScaleUpRules / GenerateHPAScaleDownRules)."""
    got = hpa.convert_desired_replicas_with_behavior_rate(
        current,
        desired,
        minimum,
        maximum,
        up or DEFAULT_SCALE_UP,
        down or DEFAULT_SCALE_DOWN,
        HPAMemory("key"),
        NOW,
    )
    assert got == (want, condition)


# --- horizontal_test.go: one sync of the controller ----------------------------------------------


def sync_once(
    monkeypatch: pytest.MonkeyPatch,
    replicas: int,
    levels: list[int],
    target: int,
    minimum: int = 2,
    maximum: int = 6,
    kind: str = "Deployment",
    **kw: list,  # type: ignore[type-arg]
) -> tuple[Cluster, HorizontalPodAutoscaler, list[Event]]:
    """horizontal_test.go's testCase harness: a target of ``kind`` with spec.replicas
    ``replicas``, its pods (one container each, requesting 1.0 cpu), the fake metrics client
    reporting ``levels`` (millicores per pod), an HPA on cpu Utilization ``target``; one sync."""
    n = len(kw["readiness"]) if "readiness" in kw else (len(kw["phase"]) if "phase" in kw else replicas)
    pods = [
        attrs.evolve(p, labels=(("app", "web"),), requests=Resources(cpu=ONE))
        for p in mkpods(n, requests=[ONE] * n, **kw)
    ]
    usage = {p.name: level for p, level in zip(pods, levels, strict=False)}
    monkeypatch.setattr(loadmodel, "pod_usage", lambda _c, pod, _r: usage.get(pod.name))
    template = PodTemplate(labels=(("app", "web"),))
    c = Cluster(settings=Settings(), now=NOW, pods=tuple(pods))
    if kind == "Deployment":
        c = c.with_deployment(Deployment("web", replicas, (("app", "web"),), template))
    else:
        c = c.with_replicaset(ReplicaSet("web", replicas, (("app", "web"),), template))
    h = HorizontalPodAutoscaler(
        "test-hpa", kind, "web", maximum, minimum, (MetricTarget("cpu", "Utilization", target),)
    )
    c = c.with_hpa(h)
    events: list[Event] = []
    out = hpa.sync(c, h, events, [])
    new = out.hpa("test-hpa")
    assert new is not None
    return out, new, events


def scale_of(c: Cluster, kind: str = "Deployment") -> int:
    obj = c.deployment("web") if kind == "Deployment" else c.replicaset("web")
    assert obj is not None
    return obj.replicas


def test_scale_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """horizontal_test.go: TestScaleUp (and TestScaleUpDeployment)."""
    c, h, events = sync_once(monkeypatch, 3, [300, 500, 700], 30)
    assert scale_of(c) == 5 and h.desired_replicas == 5
    assert h.current_metrics == (("cpu", 50),)
    assert h.condition("AbleToScale") == ("True", "SucceededRescale")
    assert h.condition("ScalingActive") == ("True", "ValidMetricFound")
    assert h.condition("ScalingLimited") == ("False", "DesiredWithinRange")
    (e,) = events
    assert (e.reason, e.message) == (
        "SuccessfulRescale",
        "New size: 5; reason: cpu resource utilization (percentage of request) above target",
    )


def test_scale_up_replica_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """horizontal_test.go: TestScaleUpReplicaSet."""
    c, _, _ = sync_once(monkeypatch, 3, [300, 500, 700], 30, kind="ReplicaSet")
    assert scale_of(c, "ReplicaSet") == 5


@pytest.mark.parametrize(
    ("name", "kw", "levels", "want", "current"),
    [
        ("TestScaleUpUnreadyLessScale", {"readiness": [False, True, True]}, [300, 500, 700], 4, 60),
        ("TestScaleUpHotCpuLessScale", {"start": [HOT, COOL, COOL]}, [300, 500, 700], 4, 60),
        ("TestScaleUpUnreadyNoScale", {"readiness": [True, False, False]}, [400, 500, 700], 3, 40),
        (
            "TestScaleUpHotCpuNoScale",
            {"readiness": [True, False, False], "start": [COOL, HOT, HOT]},
            [400, 500, 700],
            3,
            40,
        ),
    ],
)
def test_scale_up_with_unready_or_hot_pods(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    kw: dict[str, list],  # type: ignore[type-arg]
    levels: list[int],
    want: int,
    current: int,
) -> None:
    """horizontal_test.go: ``name`` (CPUCurrent is the utilization of the pods counted)."""
    c, h, _ = sync_once(monkeypatch, 3, levels, 30, **kw)
    assert scale_of(c) == want
    assert h.current_metrics == (("cpu", current),)
    if want == 3:  # statusOkWithOverrides(AbleToScale True ReadyForNewScale)
        assert h.condition("AbleToScale") == ("True", "ReadyForNewScale")


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("TestScaleUpIgnoresFailedPods", {"phase": [RUNNING, RUNNING, FAILED, FAILED]}),
        ("TestScaleUpIgnoresDeletionPods", {"deleting": [False, False, True, True]}),
    ],
)
def test_scale_up_ignores_failed_and_deleted_pods(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    kw: dict[str, list],  # type: ignore[type-arg]
) -> None:
    """horizontal_test.go: ``name`` (spec.replicas 2, two more pods that do not count)."""
    c, h, _ = sync_once(monkeypatch, 2, [500, 700], 30, readiness=[True, True, False, False], **kw)
    assert scale_of(c) == 4
    assert h.current_metrics == (("cpu", 60),)


def uniform_events(changes: list[int], period: int) -> tuple[tuple[int, int], ...]:
    """horizontal_test.go's generateEventsUniformDistribution: the events spread over the last
    ``period`` seconds, each in the middle of its segment (oldest first)."""
    segment = period / len(changes)
    return tuple((NOW - int(period - segment * (i + 1) + segment / 2), c) for i, c in enumerate(changes))


UP_EVENTS = uniform_events([1, 5, 9], 120)
OUTDATED = uniform_events([8, 12, 9, 11], 120)


@pytest.mark.parametrize(
    ("name", "up_events", "down_events", "current", "desired", "minimum", "maximum", "up", "down", "want", "cond"),
    [
        (
            "scaleUp with spec MaxReplicas limitation with large pod policy and events",
            UP_EVENTS, (), 100, 500, 1, 200, rules(300, 60, 0, 0, 0), None, 200, "TooManyReplicas",
        ),
        (
            "scaleUp with spec MaxReplicas limitation with large percent policy and events",
            UP_EVENTS, (), 100, 500, 1, 200, rules(0, 0, 10000, 60, 0), None, 200, "TooManyReplicas",
        ),
        (
            "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events",
            UP_EVENTS, (), 100, 500, 1, 1000, rules(5, 120, 0, 0, 0), None, 100, "ScaleUpLimit",
        ),
        (
            "scaleUp with pod policy and previous scale up events",
            UP_EVENTS, (), 100, 500, 1, 1000, rules(150, 120, 0, 0, 0), None, 235, "ScaleUpLimit",
        ),
        (
            "scaleUp with percent policy and previous scale up events",
            UP_EVENTS, (), 100, 500, 1, 1000, rules(0, 0, 200, 120, 0), None, 255, "ScaleUpLimit",
        ),
        (
            "scaleDown with default policy and previous events",
            (), UP_EVENTS, 10, 5, 1, 1000, None, None, 5, "DesiredWithinRange",
        ),
        (
            "scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events",
            (), UP_EVENTS, 100, 0, 1, 1000, None, rules(115, 120, 0, 0, 300), 1, "TooFewReplicas",
        ),
        (
            "scaleDown with spec MinReplicas limitation with large pod policy and previous events",
            (), UP_EVENTS, 100, 0, 5, 1000, None, rules(130, 120, 0, 0, 300), 5, "TooFewReplicas",
        ),
        (
            "scaleDown with spec MinReplicas limitation with large percent policy and previous events",
            (), UP_EVENTS, 100, 2, 5, 1000, None, rules(0, 0, 100, 120, 300), 5, "TooFewReplicas",
        ),
        (
            "scaleDown with pod policy limitation and previous events",
            (), UP_EVENTS, 100, 2, 1, 1000, None, rules(5, 120, 0, 0, 300), 100, "ScaleDownLimit",
        ),
        (
            "scaleDown with percent policy limitation and previous events",
            (), uniform_events([2, 4, 6], 120), 100, 0, 1, 1000, None, rules(0, 0, 50, 120, 300), 56,
            "ScaleDownLimit",
        ),
        (
            "scaleDown with previous events preventing further scale down",
            (), uniform_events([10, 10, 10], 120), 100, 0, 1, 1000, None, rules(0, 0, 10, 120, 300), 100,
            "ScaleDownLimit",
        ),
        (
            "scaleDown with with previous events still allowing more scale down",
            (), uniform_events([10, 10, 10], 120), 10, 5, 1, 1000, None, rules(0, 0, 1000, 120, 300), 5,
            "DesiredWithinRange",
        ),
        (
            "check 'outdated' flag for events for one behavior for up",
            OUTDATED, (), 100, 200, 1, 1000, rules(1000, 60, 0, 0, 0), None, 200, "DesiredWithinRange",
        ),
        (
            "check that events were not marked 'outdated' for two different policies in the behavior for up",
            OUTDATED, (), 100, 200, 1, 1000, rules(1000, 120, 100, 60, 0), None, 200, "DesiredWithinRange",
        ),
        (
            "check that events were marked 'outdated' for two different policies in the behavior for up",
            OUTDATED, (), 100, 200, 1, 1000, rules(1000, 30, 100, 60, 0), None, 200, "DesiredWithinRange",
        ),
        (
            "check 'outdated' flag for events for one behavior for down",
            (), OUTDATED, 100, 5, 1, 1000, None, rules(1000, 60, 0, 0, 300), 5, "DesiredWithinRange",
        ),
        (
            "check that events were not marked 'outdated' for two different policies in the behavior for down",
            (), OUTDATED, 100, 5, 1, 1000, None, rules(1000, 120, 100, 60, 300), 5, "DesiredWithinRange",
        ),
        (
            "check that events were marked 'outdated' for two different policies in the behavior for down",
            (), OUTDATED, 100, 5, 1, 1000, None, rules(1000, 30, 100, 60, 300), 5, "DesiredWithinRange",
        ),
    ],
)  # fmt: skip
def test_scaling_with_rules_and_recorded_events(
    name: str,
    up_events: tuple[tuple[int, int], ...],
    down_events: tuple[tuple[int, int], ...],
    current: int,
    desired: int,
    minimum: int,
    maximum: int,
    up: ScalingRules | None,
    down: ScalingRules | None,
    want: int,
    cond: str,
) -> None:
    """horizontal_test.go: TestScalingWithRules, ``name`` (the cases with scale events recorded
    over the last 120 s; each case records one direction only)."""
    mem = HPAMemory("key", scale_up_events=up_events, scale_down_events=down_events)
    got = hpa.convert_desired_replicas_with_behavior_rate(
        current, desired, minimum, maximum, up or DEFAULT_SCALE_UP, down or DEFAULT_SCALE_DOWN, mem, NOW
    )
    assert got == (want, cond)


@pytest.mark.parametrize(
    ("name", "recs", "current", "desired", "up_window", "down_window", "want"),
    [
        ("empty recommendations for scaling down", (), 100, 5, 0, 0, 5),
        ("simple scale down stabilization", ((NOW - 120, 4), (NOW - 60, 5)), 100, 3, 0, 180, 5),
        ("simple scale up stabilization", ((NOW - 120, 4), (NOW - 60, 5)), 1, 7, 300, 0, 4),
        ("no scale down stabilization", ((NOW - 120, 1), (NOW - 60, 2)), 100, 3, 300, 0, 3),
        ("no scale up stabilization", ((NOW - 120, 4), (NOW - 60, 5)), 1, 3, 0, 300, 3),
        (
            "no scale down stabilization, reuse recommendation element",
            ((NOW - 600, 10), (NOW - 540, 9)), 100, 3, 0, 0, 3,
        ),
        (
            "no scale up stabilization, reuse recommendation element",
            ((NOW - 600, 10), (NOW - 540, 9)), 1, 100, 0, 0, 100,
        ),
        (
            "scale down stabilization, reuse one of obsolete recommendation element",
            ((NOW - 600, 10), (NOW - 60, 4), (NOW - 120, 5), (NOW - 540, 9)), 100, 3, 0, 180, 5,
        ),
        (
            "scale up stabilization, reuse one of obsolete recommendation element",
            ((NOW - 6000, 10), (NOW - 60, 6), (NOW - 120, 5), (NOW - 180, 9)), 1, 100, 300, 0, 5,
        ),
    ],
)  # fmt: skip
def test_normalize_desired_replicas_with_behavior(
    name: str,
    recs: tuple[tuple[int, int], ...],
    current: int,
    desired: int,
    up_window: int,
    down_window: int,
    want: int,
) -> None:
    """horizontal_test.go: TestNormalizeDesiredReplicasWithBehavior, ``name``
    (stabilizeRecommendationWithBehaviors; the stored log is compared only in that it records
    the new recommendation)."""
    got, _, log = hpa.stabilize_with_behaviors(recs, current, desired, up_window, down_window, NOW)
    assert got == want
    assert log[-1] == (NOW, desired)
