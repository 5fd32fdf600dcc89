"""StatefulSet controller, translated from pkg/controller/statefulset/stateful_set_control_test.go
and stateful_set_utils_test.go, and the StatefulSet e2e scenarios of test/e2e/apps/statefulset.go
as kmodel runs.

The Go control tests drive ``UpdateStatefulSet`` with a fake object manager that stands in for
the kubelet: ``scaleUpStatefulSetControl`` sets the highest pod Running, then Ready, syncing in
between; ``scaleDownStatefulSetControl`` and ``updateStatefulSetControl`` remove the pods the
controller deleted. :func:`drive` does the same around ``statefulset.step``: between two syncs the
stand-in kubelet binds and starts one pod (or all, ``all_at_once``) and removes deleted pods, and
the Go test's invariant function (``assertMonotonicInvariants`` / ``assertBurstInvariants``) is
checked after every sync. ``newStatefulSet(n)`` is the set ``foo`` with selector foo=bar; an image
change is a change of the template's ``spec_hash`` (a new revision).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from kmodel.components import statefulset
from kmodel.components.statefulset import (
    POD_INDEX_LABEL,
    POD_NAME_LABEL,
    REVISION_LABEL,
    identity_matches,
    is_member,
    ordinal_of,
    parent_and_ordinal,
    running_and_ready,
)
from kmodel.settings import Settings
from kmodel.state import FAILED, RUNNING, SUCCEEDED, Cluster, Pod, PodTemplate, StatefulSet, labels_of
from tests.k8s.conftest import apply, mkcluster, mknode

FOO_BAR = labels_of({"foo": "bar"})
IMAGE = "nginx"


def new_stateful_set(replicas: int, *, parallel: bool = False, **kw: object) -> StatefulSet:
    """``newStatefulSet(replicas)`` (``burst(...)``: Parallel)."""
    return StatefulSet(
        name="foo",
        replicas=replicas,
        selector=FOO_BAR,
        template=PodTemplate(labels=FOO_BAR, spec_hash=IMAGE),
        service_name="governingsvc",
        pod_management_policy="Parallel" if parallel else "OrderedReady",
        **kw,  # type: ignore[arg-type]
    )


def cluster_of(sts: StatefulSet, version: str = "1.37") -> Cluster:
    return mkcluster(mknode("node1"), statefulsets=(sts,), settings=Settings(kubernetes_version=version))


def the_set(c: Cluster) -> StatefulSet:
    s = c.statefulset("foo")
    assert s is not None
    return s


def pods_of(c: Cluster) -> list[Pod]:
    return sorted((p for p in c.pods if p.owned_by("StatefulSet", "foo")), key=ordinal_of)


def sync(c: Cluster) -> Cluster:
    return apply(statefulset.step, c)[0]


def monotonic_invariants(c: Cluster) -> None:
    """``assertMonotonicInvariants``: pods in ordinal order, and no pod Running and Ready while
    its predecessor is not."""
    s = the_set(c)
    pods = pods_of(c)
    start = s.start_ordinal
    for i, p in enumerate(pods):
        if i > 0 and running_and_ready(p) and not running_and_ready(pods[i - 1]):
            raise AssertionError(f"successor {p.name} is Running and Ready while {pods[i - 1].name} is not")
        if ordinal_of(p) != start + i and ordinal_of(p) < start + s.replicas:
            raise AssertionError(f"pods {p.name} deployed in the wrong order")
        assert identity_matches(s, p), p.name


def burst_invariants(c: Cluster) -> None:
    """``assertBurstInvariants``: every pod has its identity."""
    s = the_set(c)
    for p in pods_of(c):
        assert identity_matches(s, p), p.name


def _kubelet(c: Cluster, all_at_once: bool) -> Cluster:
    """The fake object manager: deleted pods go; then the highest pod that is not yet Running is
    set Running, or if all run, the highest not Ready is set Ready (every pod with all_at_once)."""
    for p in pods_of(c):
        if p.terminating:
            c = c.without_pod(p.name)
    pods = pods_of(c)
    todo = [p for p in pods if not running_and_ready(p) and p.phase not in (FAILED, SUCCEEDED)]
    if not all_at_once:
        todo = todo[-1:]
    for p in todo:
        if p.phase != RUNNING:
            c = c.with_pod(attrs.evolve(p, node_name="node1", phase=RUNNING))
            if not all_at_once:
                continue
            p = c.pod(p.name) or p
        c = c.with_pod(attrs.evolve(p, ready=True, containers_ready=True, ready_since=c.now))
    return c


def drive(
    c: Cluster,
    invariants: Callable[[Cluster], None],
    done: Callable[[Cluster], bool],
    all_at_once: bool = False,
    limit: int = 100,
) -> Cluster:
    """Sync, check the invariants, let the stand-in kubelet act, until ``done``."""
    for _ in range(limit):
        c = sync(c)
        invariants(c)
        if done(c):
            return c
        c = _kubelet(c, all_at_once)
    raise AssertionError(f"not done after {limit} syncs: {[(p.name, p.phase, p.ready) for p in pods_of(c)]}")


def scaled_up(c: Cluster) -> bool:
    s = the_set(c)
    return s.status_ready == s.replicas and s.status_replicas == s.replicas


def scaled_down(c: Cluster) -> bool:
    s = the_set(c)
    return s.status_replicas == s.replicas and len(pods_of(c)) == s.replicas


def rolled(c: Cluster) -> bool:
    s = the_set(c)
    return scaled_up(c) and s.current_revision == s.update_revision and not any(p.terminating for p in pods_of(c))


MODES = [pytest.param(False, id="Monotonic"), pytest.param(True, id="Burst")]


def _invariants(parallel: bool) -> Callable[[Cluster], None]:
    return burst_invariants if parallel else monotonic_invariants


# --- TestStatefulSetControl ---------------------------------------------------------------------------


@pytest.mark.parametrize("parallel", MODES)
@pytest.mark.parametrize(("version", "index_label"), [("1.37", True), ("1.27", False)], ids=["With", "Without"])
def test_creates_pods(parallel: bool, version: str, index_label: bool) -> None:
    """stateful_set_control_test.go TestStatefulSetControl, CreatesPodsWithPodIndexLabelFeature /
    CreatesPodsWithoutPodIndexLabelFeature: turned up, the set reports 3 replicas, 3 ready, 3
    updated, and each pod carries apps.kubernetes.io/pod-index equal to its ordinal when the
    PodIndexLabel gate is on (kmodel: from 1.28), none when it is off."""
    c = drive(cluster_of(new_stateful_set(3, parallel=parallel), version), _invariants(parallel), scaled_up)
    s = the_set(c)
    assert (s.status_replicas, s.status_ready, s.status_updated) == (3, 3, 3)
    pods = pods_of(c)
    assert [p.name for p in pods] == ["foo-0", "foo-1", "foo-2"]
    for p in pods:
        labels = dict(p.labels)
        assert labels[POD_NAME_LABEL] == p.name
        assert (labels.get(POD_INDEX_LABEL) == str(ordinal_of(p))) if index_label else (POD_INDEX_LABEL not in labels)


@pytest.mark.parametrize("parallel", MODES)
def test_scales_up(parallel: bool) -> None:
    """TestStatefulSetControl ScalesUp: 3 replicas turned up, then 4: status 4 / 4 ready / 4
    updated."""
    c = drive(cluster_of(new_stateful_set(3, parallel=parallel)), _invariants(parallel), scaled_up)
    c = c.with_statefulset(attrs.evolve(the_set(c), replicas=4))
    c = drive(c, _invariants(parallel), scaled_up)
    s = the_set(c)
    assert (s.status_replicas, s.status_ready, s.status_updated) == (4, 4, 4)


@pytest.mark.parametrize("parallel", MODES)
def test_scales_down(parallel: bool) -> None:
    """TestStatefulSetControl ScalesDown: 3 replicas turned up, then 0: status 0 / 0 / 0. In
    monotonic mode the pods go one at a time, highest ordinal first (processCondemned)."""
    c = drive(cluster_of(new_stateful_set(3, parallel=parallel)), _invariants(parallel), scaled_up)
    c = c.with_statefulset(attrs.evolve(the_set(c), replicas=0))
    order: list[list[str]] = []

    def record(c: Cluster) -> None:
        _invariants(parallel)(c)
        gone = [p.name for p in pods_of(c) if p.terminating]
        if gone:
            order.append(gone)

    c = drive(c, record, scaled_down)
    s = the_set(c)
    assert (s.status_replicas, s.status_ready, s.status_updated) == (0, 0, 0)
    if parallel:
        assert order[0] == ["foo-0", "foo-1", "foo-2"]
    else:
        assert order == [["foo-2"], ["foo-1"], ["foo-0"]]


@pytest.mark.parametrize("parallel", MODES)
def test_replaces_pods(parallel: bool) -> None:
    """TestStatefulSetControl ReplacesPods: 5 replicas turned up; pods 0, 2 and 4 vanish from the
    store; syncing (with each recreated pod set Running, then Ready) brings the set back to 5."""
    c = drive(cluster_of(new_stateful_set(5, parallel=parallel)), _invariants(parallel), scaled_up)
    assert the_set(c).status_replicas == 5
    for name in ("foo-0", "foo-2", "foo-4"):
        c = c.without_pod(name)
    c = sync(c)
    recreated = {p.name for p in pods_of(c) if p.phase == "Pending"}
    # monotonic: only the lowest missing ordinal first; burst: all three at once
    assert recreated == ({"foo-0", "foo-2", "foo-4"} if parallel else {"foo-0"})
    # the Go test checks no ordering invariant here (ss.UpdateStatefulSet is called directly)
    c = drive(c, burst_invariants, scaled_up)
    assert the_set(c).status_replicas == 5


@pytest.mark.parametrize("parallel", MODES)
@pytest.mark.parametrize("phase", [FAILED, SUCCEEDED], ids=["RecreatesFailedPod", "RecreatesSucceededPod"])
def test_recreates_terminal_pod(parallel: bool, phase: str) -> None:
    """TestStatefulSetControl RecreatesFailedPod / RecreatesSucceededPod (recreatesPod): after a
    first sync, the first pod is set Failed (Succeeded) and the others Pending; the next sync
    deletes it (1 delete request), the one after recreates it (not yet created: Pending here, an
    empty phase in Go) with no further delete; creates in all: 2 (monotonic) or replicas + 1
    (burst)."""
    c = sync(cluster_of(new_stateful_set(3, parallel=parallel)))
    pods = pods_of(c)
    assert len(pods) == (3 if parallel else 1)
    c = c.with_pod(attrs.evolve(pods[0], phase=phase))
    deletes = creates = 0
    c2, events = apply(statefulset.step, c)
    deletes += sum(e.reason == "SuccessfulDelete" for e in events)
    assert deletes == 1 and c2.pod("foo-0") is None  # unbound finished pod: gone at once
    c3, events = apply(statefulset.step, c2)
    deletes += sum(e.reason == "SuccessfulDelete" for e in events)
    creates += sum(e.reason == "SuccessfulCreate" for e in events)
    assert deletes == 1
    recreated = c3.pod("foo-0")
    assert recreated is not None and recreated.phase == "Pending"
    assert creates + len(pods) == (3 + 1 if parallel else 2)


@pytest.mark.parametrize("parallel", MODES)
def test_new_revision_deletes_pod(parallel: bool) -> None:
    """TestStatefulSetControl NewRevisionDeletePodFailure, its successful half: turned up, the
    image changes: the sync creates a new revision (currentRevision != updateRevision) and deletes
    one pod for the update, so status.currentReplicas drops from 3 to 2."""
    c = drive(cluster_of(new_stateful_set(3, parallel=parallel)), _invariants(parallel), scaled_up)
    assert the_set(c).status_current == 3
    s = the_set(c)
    c = c.with_statefulset(attrs.evolve(s, template=attrs.evolve(s.template, spec_hash="nginx-new")))
    c = sync(c)
    s = the_set(c)
    assert s.current_revision != s.update_revision
    assert s.status_current == 2
    assert [p.name for p in pods_of(c) if p.terminating] == ["foo-2"]


def test_creates_pods_with_start_ordinal() -> None:
    """TestStatefulSetControlWithStartOrdinal CreatesPodsWithStartOrdinal: ordinals.start 2 and 3
    replicas: status 3 / 3 / 3 and pods with ordinals 2, 3, 4."""
    c = drive(cluster_of(new_stateful_set(3, start_ordinal=2)), monotonic_invariants, scaled_up)
    s = the_set(c)
    assert (s.status_replicas, s.status_ready, s.status_updated) == (3, 3, 3)
    assert [ordinal_of(p) for p in pods_of(c)] == [2, 3, 4]


def test_scale_down_delete_error_then_success() -> None:
    """TestStatefulSetControlScaleDownDeleteError: after the failed deletes (kmodel's apiserver
    never fails a delete, so only the second half applies) the set scales 3 -> 0 with status
    0 / 0 / 0, monotonic invariants holding throughout."""
    c = drive(cluster_of(new_stateful_set(3)), monotonic_invariants, scaled_up)
    c = c.with_statefulset(attrs.evolve(the_set(c), replicas=0))
    c = drive(c, monotonic_invariants, scaled_down)
    s = the_set(c)
    assert (s.status_replicas, s.status_ready, s.status_updated) == (0, 0, 0)


# --- TestStatefulSetControlRollingUpdateWithPartition ------------------------------------------------


@pytest.mark.parametrize("parallel", MODES)
@pytest.mark.parametrize("scale_to", [3, 5], ids=["image update", "image update and scale up"])
def test_rolling_update_with_partition(parallel: bool, scale_to: int) -> None:
    """TestStatefulSetControlRollingUpdateWithPartition, "monotonic image update", "monotonic
    image update and scale up", "burst image update", "burst image update and scale up":
    partition 2; after the update, pods 0 and 1 keep the original image (revision), pods from 2
    on run the new one."""
    c = drive(cluster_of(new_stateful_set(3, parallel=parallel, partition=2)), _invariants(parallel), scaled_up)
    original = the_set(c).current_revision
    s = the_set(c)
    c = c.with_statefulset(attrs.evolve(s, replicas=scale_to, template=attrs.evolve(s.template, spec_hash="foo")))

    def updated(c: Cluster) -> bool:
        s = the_set(c)
        return scaled_up(c) and s.status_updated == scale_to - 2 and not any(p.terminating for p in pods_of(c))

    c = drive(c, burst_invariants, updated, all_at_once=True)
    new = the_set(c).update_revision
    assert new != original
    for p in pods_of(c):
        want = original if ordinal_of(p) < 2 else new
        assert dict(p.labels)[REVISION_LABEL] == want, p.name


@pytest.mark.parametrize("parallel", MODES)
def test_rolling_update_and_rollback(parallel: bool) -> None:
    """TestStatefulSetControlRollback "monotonic image update" / "burst image update": every pod
    takes the new image, then, with the first revision applied back, the original one; the
    current revision follows (completeRollingUpdate)."""
    c = drive(cluster_of(new_stateful_set(3, parallel=parallel)), _invariants(parallel), scaled_up)
    s = the_set(c)
    original, template = s.current_revision, s.template
    c = c.with_statefulset(attrs.evolve(s, template=attrs.evolve(s.template, spec_hash="foo")))
    c = drive(c, burst_invariants, rolled, all_at_once=True)
    new = the_set(c).current_revision
    assert new != original and all(dict(p.labels)[REVISION_LABEL] == new for p in pods_of(c))
    c = c.with_statefulset(attrs.evolve(the_set(c), template=template))
    c = drive(c, burst_invariants, rolled, all_at_once=True)
    assert the_set(c).current_revision == original
    assert all(dict(p.labels)[REVISION_LABEL] == original for p in pods_of(c))


def test_recreated_pod_below_partition_keeps_the_current_revision() -> None:
    """newVersionedStatefulSetPod (stateful_set_utils.go), as the partition tests rely on: with
    partition 2 a pod of ordinal 0 deleted mid-update comes back at the current revision."""
    c = drive(cluster_of(new_stateful_set(3, partition=2)), monotonic_invariants, scaled_up)
    s = the_set(c)
    original = s.current_revision
    c = c.with_statefulset(attrs.evolve(s, template=attrs.evolve(s.template, spec_hash="foo")))
    c = sync(c).without_pod("foo-0")
    c = sync(c)
    assert dict(c.pod("foo-0").labels)[REVISION_LABEL] == original  # type: ignore[union-attr]


@pytest.mark.parametrize(("version", "at_once"), [("1.37", 2), ("1.34", 1)])
def test_max_unavailable(version: str, at_once: int) -> None:
    """updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet, beta and on from
    1.35; the TestStatefulSetControlRollingUpdateWithMaxUnavailable cases): with maxUnavailable 2
    a healthy set deletes two pods for the update at once, highest ordinals first; with the gate
    off (1.34: the apiserver drops the field) one."""
    c = drive(cluster_of(new_stateful_set(4, max_unavailable="2"), version), monotonic_invariants, scaled_up)
    s = the_set(c)
    c = sync(c.with_statefulset(attrs.evolve(s, template=attrs.evolve(s.template, spec_hash="foo"))))
    gone = [p.name for p in pods_of(c) if p.terminating]
    assert gone == (["foo-2", "foo-3"] if at_once == 2 else ["foo-3"])


def test_on_delete_leaves_pods_alone() -> None:
    """updateStatefulSet: "for the OnDelete strategy we short circuit": a template change deletes
    nothing; a pod deleted by hand comes back at the update revision."""
    c = drive(cluster_of(new_stateful_set(3, update_strategy="OnDelete")), monotonic_invariants, scaled_up)
    s = the_set(c)
    c = sync(c.with_statefulset(attrs.evolve(s, template=attrs.evolve(s.template, spec_hash="foo"))))
    assert not any(p.terminating for p in pods_of(c))
    c = sync(c.without_pod("foo-1"))
    assert dict(c.pod("foo-1").labels)[REVISION_LABEL] == the_set(c).update_revision  # type: ignore[union-attr]


# --- stateful_set_utils_test.go -----------------------------------------------------------------------


def test_get_parent_name_and_ordinal() -> None:
    """stateful_set_utils_test.go TestGetParentNameAndOrdinal: foo-1 -> (foo, 1); 1-bar -> ("", -1)."""
    assert parent_and_ordinal("foo-1") == ("foo", 1)
    assert parent_and_ordinal("1-bar") == ("", -1)


def test_is_member_of() -> None:
    """TestIsMemberOf: foo-1 is a member of foo, not of foo2."""
    s = new_stateful_set(3)
    pod = statefulset.new_pod(s, s.template, "r", 1, "1.37")
    assert is_member(s, pod)
    assert not is_member(attrs.evolve(s, name="foo2"), pod)


def test_identity_matches() -> None:
    """TestIdentityMatches: a new pod has its identity; renamed to foo, it does not (the
    namespace, hostname and subdomain cases are not modelled: kmodel has one namespace and no
    hostname fields)."""
    s = new_stateful_set(3)
    pod = statefulset.new_pod(s, s.template, "r", 1, "1.37")
    assert identity_matches(s, pod)
    assert not identity_matches(s, attrs.evolve(pod, name="foo"))


def test_is_running_and_ready() -> None:
    """TestIsRunningAndReady: not while Pending; Running without the Ready condition: no; with
    it: yes."""
    s = new_stateful_set(3)
    pod = statefulset.new_pod(s, s.template, "r", 1, "1.37")
    assert not running_and_ready(pod)
    pod = attrs.evolve(pod, phase=RUNNING)
    assert not running_and_ready(pod)
    assert running_and_ready(attrs.evolve(pod, ready=True))


def test_ascending_ordinal() -> None:
    """TestAscendingOrdinal: pods sort by ordinal (numerically: foo-10 after foo-9)."""
    s = new_stateful_set(11)
    pods = [statefulset.new_pod(s, s.template, "r", i, "1.37") for i in (10, 3, 9, 0)]
    assert [p.name for p in sorted(pods, key=ordinal_of)] == ["foo-0", "foo-3", "foo-9", "foo-10"]


def test_new_pod_controller_ref() -> None:
    """TestNewPodControllerRef: the new pod's controllerRef is the StatefulSet foo."""
    s = new_stateful_set(1)
    pod = statefulset.new_pod(s, s.template, "r", 0, "1.37")
    assert (pod.owner_kind, pod.owner) == ("StatefulSet", "foo")
    assert pod.replicaset_owner is None


# --- test/e2e/apps/statefulset.go -----------------------------------------------------------------------

E2E = """apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata:
  name: ss
until: {until}
timeline:
{timeline}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ss2
spec:
  replicas: 3
  podManagementPolicy: {policy}
  serviceName: test
  selector:
    matchLabels:
      baz: blah
  template:
    metadata:
      labels:
        baz: blah
    spec:
      containers:
        - name: webserver
          image: {image}
{extra}---
apiVersion: v1
kind: Service
metadata:
  name: test
spec:
  clusterIP: None
  selector:
    baz: blah
"""


def _e2e(tmp_path: Path, until: str, timeline: list[str], policy: str = "OrderedReady", extra: str = "") -> Path:
    lines = "\n".join(f"  - {t}" for t in timeline) if timeline else "  []"
    text = E2E.format(until=until, timeline=lines, policy=policy, image="httpd:2.4", extra=extra)
    p = tmp_path / "ss.yaml"
    p.write_text(text)
    return p


def _run(path: Path) -> tuple[list[tuple[int, Cluster]], list]:
    from kmodel.engines.simulate import simulate
    from kmodel.scenario import load

    states: list[tuple[int, Cluster]] = []
    sim = simulate(load(path), on_tick=lambda c: states.append((c.now, c)))
    return states, sim.events


def test_e2e_scaling_in_predictable_order_and_halting(tmp_path: Path) -> None:
    """statefulset.go "Scaling should happen in predictable order and halt if any stateful pod is
    unhealthy": scaled up, pods are created in order ss2-0, ss2-1, ss2-2, each only once the
    previous is Running and Ready; scaled down (to 0 at 60s), they go in reverse order, one at a
    time. The halting half is the next test."""
    path = _e2e(tmp_path, "4m", ["60s scale statefulset/ss2 0"])
    _, events = _run(path)
    creates = [e for e in events if e.reason == "SuccessfulCreate"]
    assert [e.message.split()[2] for e in creates] == ["ss2-0", "ss2-1", "ss2-2"]
    assert creates[0].t < creates[1].t < creates[2].t
    deletes = [e for e in events if e.reason == "SuccessfulDelete"]
    assert [e.message.split()[2] for e in deletes] == ["ss2-2", "ss2-1", "ss2-0"]
    assert deletes[0].t < deletes[1].t < deletes[2].t


def test_e2e_scaling_halts_on_an_unhealthy_pod(tmp_path: Path) -> None:
    """The same e2e, its halting half: the e2e breaks ss2-0's readiness probe; kmodel has no
    probes, so the pod's Ready condition is set False by hand. A scale-up to 3 then creates
    nothing past it until it is Ready again (OrderedReady waits for Running and Ready
    predecessors)."""
    from kmodel.scenario import load

    path = _e2e(tmp_path, "1m", ["30s scale statefulset/ss2 1"])
    scen = load(path)
    from kmodel.engines.simulate import simulate

    c = simulate(scen).final
    pod = c.pod("ss2-0")
    assert pod is not None and pod.ready
    c = c.with_pod(attrs.evolve(pod, ready=False))  # the readiness probe fails
    c = c.with_statefulset(attrs.evolve(c.statefulset("ss2"), replicas=3))  # type: ignore[arg-type]
    for _ in range(3):
        c = sync_named(c)
        assert c.pod("ss2-1") is None
    c = sync_named(c.with_pod(attrs.evolve(c.pod("ss2-0"), ready=True)))  # type: ignore[arg-type]
    assert c.pod("ss2-1") is not None


def sync_named(c: Cluster) -> Cluster:
    return apply(statefulset.step, c)[0]


def test_e2e_burst_scaling_runs_to_completion_with_unhealthy_pods(tmp_path: Path) -> None:
    """statefulset.go "Burst scaling should run to completion even with unhealthy pods":
    podManagementPolicy Parallel: all three pods are created in the same sync, and a scale-down
    deletes them all at once, whatever their health."""
    path = _e2e(tmp_path, "2m", ["60s scale statefulset/ss2 0"], policy="Parallel")
    _, events = _run(path)
    creates = [e for e in events if e.reason == "SuccessfulCreate"]
    assert len(creates) == 3 and len({e.t for e in creates}) == 1
    deletes = [e for e in events if e.reason == "SuccessfulDelete"]
    assert len(deletes) == 3 and len({e.t for e in deletes}) == 1


def test_e2e_canary_and_phased_rolling_update(tmp_path: Path) -> None:
    """statefulset.go "should perform canary updates and phased rolling updates": with partition
    3 (= replicas) an image change updates no pod; partition 2: only ss2-2 (the canary) is
    updated; then partition 0: ss2-1 and ss2-0 follow, highest first, and the current revision
    becomes the update revision."""
    extra = "  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      partition: 3\n"
    path = _e2e(tmp_path, "1m", [], extra=extra)
    from kmodel.engines.simulate import simulate
    from kmodel.scenario import load

    c = simulate(load(path)).final
    s = c.statefulset("ss2")
    assert s is not None and s.status_ready == 3
    original = s.current_revision
    c = c.with_statefulset(attrs.evolve(s, template=attrs.evolve(s.template, spec_hash="httpd:2.4.39")))

    def settle(c: Cluster, ticks: int = 20) -> Cluster:
        from kmodel import model

        for _ in range(ticks):
            for outcome in model.fixed_schedule(c):
                c = outcome.state
            c = model.tick(c)
        return c

    def revisions(c: Cluster) -> dict[str, str]:
        return {p.name: dict(p.labels)[REVISION_LABEL] for p in c.pods}

    c = settle(c)
    assert set(revisions(c).values()) == {original}  # partition 3: nothing updated
    c = settle(c.with_statefulset(attrs.evolve(c.statefulset("ss2"), partition=2)))  # type: ignore[arg-type]
    new = c.statefulset("ss2").update_revision  # type: ignore[union-attr]
    assert revisions(c) == {"ss2-0": original, "ss2-1": original, "ss2-2": new}
    c = settle(c.with_statefulset(attrs.evolve(c.statefulset("ss2"), partition=0)))  # type: ignore[arg-type]
    assert set(revisions(c).values()) == {new}
    s = c.statefulset("ss2")
    assert s is not None and s.current_revision == new and s.status_current == 3
