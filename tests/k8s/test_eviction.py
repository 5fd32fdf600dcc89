"""The eviction API, translated from pkg/registry/core/pod/storage/eviction_test.go (TestEviction,
TestEvictionIngorePDB, TestEvictionPDBStatus).

The Go fixtures: a pod labelled a=true bound to node "foo"; a budget "foo" selecting a=true whose
status the case sets (observedGeneration equal to the generation, so not stale: ``observed``).
The Go cases pass ``DeleteOptions{GracePeriodSeconds: 0}``, which removes the pod at once;
kmodel's eviction deletes with the pod's own grace period (as kubectl drain asks), so "deleted"
here is "being deleted": Terminating, or gone. The conflict-retry cases (a mock store that
answers Conflict) have no counterpart: the model's steps are atomic.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import disruption, eviction
from kmodel.labels import LabelSelector
from kmodel.state import FAILED, PENDING, RUNNING, SUCCEEDED, Cluster, PodDisruptionBudget
from tests.k8s.conftest import mkcluster, mknode, mkpod

A_TRUE = (("a", "true"),)


def budget(
    allowed: int, healthy: int = 0, desired: int = 0, selector: tuple[tuple[str, str], ...] = A_TRUE
) -> PodDisruptionBudget:
    return PodDisruptionBudget(
        "foo",
        LabelSelector(selector),
        observed=True,
        disruptions_allowed=allowed,
        current_healthy=healthy,
        desired_healthy=desired,
    )


def cluster(name: str, pdb: PodDisruptionBudget, phase: str = RUNNING, ready: bool = True, **kw: object) -> Cluster:
    pod = mkpod(name, "foo", labels=A_TRUE, phase=phase, ready=ready, **kw)  # type: ignore[arg-type]
    return mkcluster(mknode("foo"), pods=[pod], now=100).with_pdb(pdb)


def being_deleted(c: Cluster, name: str) -> bool:
    pod = c.pod(name)
    return pod is None or pod.terminating


@pytest.mark.parametrize(
    ("name", "allowed", "phase", "selector", "refused"),
    [
        pytest.param(
            "t1", 0, RUNNING, A_TRUE, True, id="TestEviction/matching pdbs with no disruptions allowed, pod running"
        ),
        pytest.param(
            "t2", 0, PENDING, A_TRUE, False, id="TestEviction/matching pdbs with no disruptions allowed, pod pending"
        ),
        pytest.param(
            "t3",
            0,
            SUCCEEDED,
            A_TRUE,
            False,
            id="TestEviction/matching pdbs with no disruptions allowed, pod succeeded",
        ),
        pytest.param(
            "t4", 0, FAILED, A_TRUE, False, id="TestEviction/matching pdbs with no disruptions allowed, pod failed"
        ),
        pytest.param("t5", 1, RUNNING, A_TRUE, False, id="TestEviction/matching pdbs with disruptions allowed"),
        pytest.param("t6", 0, RUNNING, (("b", "true"),), False, id="TestEviction/non-matching pdbs"),
    ],
)
def test_eviction(name: str, allowed: int, phase: str, selector: tuple[tuple[str, str], ...], refused: bool) -> None:
    """TestEviction: a running pod under a budget with no disruption left is refused (429); a
    Pending, Succeeded or Failed one is deleted without asking the budget; a budget that allows a
    disruption, or does not match, lets the pod go."""
    c = cluster(name, budget(allowed, selector=selector), phase=phase, ready=phase == RUNNING)
    out = eviction.evict(c, name)
    if refused:
        assert isinstance(out, eviction.Refusal)
        assert (out.code, out.message) == (429, eviction.TOO_MANY_REQUESTS)
        assert out.cause == "The disruption budget foo needs 0 healthy pods and has 0 currently"
    else:
        assert isinstance(out, Cluster)
        assert being_deleted(out, name)


def test_eviction_pod_not_found() -> None:
    """TestEviction/"matching pdbs with disruptions allowed but bad name in Url": the request
    names no pod of that name (kmodel has no separate URL and body: the eviction of a pod that
    does not exist, a 404, is what is left of the case)."""
    c = cluster("t7", budget(1))
    out = eviction.evict(c, "t7bad-name")
    assert isinstance(out, eviction.Refusal) and out.code == 404


@pytest.mark.parametrize(
    ("name", "terminating", "ready", "refused"),
    [
        pytest.param(
            "t6",
            True,
            True,
            False,
            id="TestEvictionIngorePDB/matching pdbs with no disruptions allowed, pod terminating",
        ),
        pytest.param(
            "t7",
            False,
            True,
            True,
            id="TestEvictionIngorePDB/matching pdbs with no disruptions allowed, pod running, pod healthy, unhealthy "
            "pod not ours",
        ),
        pytest.param(
            "t8",
            False,
            False,
            False,
            id="TestEvictionIngorePDB/matching pdbs with no disruptions allowed, pod running, pod unhealthy, unhealthy "
            "pod ours",
        ),
    ],
)
def test_eviction_ignore_pdb(name: str, terminating: bool, ready: bool, refused: bool) -> None:
    """TestEvictionIngorePDB: budget with 0 allowed, currentHealthy 2 = desiredHealthy 2. A pod
    already being deleted is deleted again without asking the budget; a Ready pod is refused; a
    pod that is not Ready is not one of the healthy pods the budget counts, so it may go (without
    spending the budget)."""
    pdb = budget(0, healthy=2, desired=2)
    c = cluster(name, pdb, ready=ready, deletion_timestamp=50 if terminating else None)
    out = eviction.evict(c, name)
    if refused:
        assert isinstance(out, eviction.Refusal) and out.code == 429
        return
    assert isinstance(out, Cluster)
    assert being_deleted(out, name)
    assert out.pdb("foo") == pdb  # the budget is not spent


@pytest.mark.parametrize(
    ("allowed", "after", "reason"),
    [
        pytest.param(
            1, 0, disruption.INSUFFICIENT_PODS, id="TestEvictionPDBStatus/pdb status is updated after eviction"
        ),
        pytest.param(
            3,
            2,
            disruption.SUFFICIENT_PODS,
            id="TestEvictionPDBStatus/condition reason is only updated if AllowedDisruptions becomes 0",
        ),
    ],
)
def test_eviction_pdb_status(allowed: int, after: int, reason: str) -> None:
    """TestEvictionPDBStatus: pods foo-1 and foo-2 Running (not Ready: the Go fixture has no Ready
    condition, and desiredHealthy 0 sends it to the budget check); evicting foo-1 spends one
    disruption, and the condition turns InsufficientPods only when none is left."""
    pdb = attrs.evolve(budget(allowed), allowed="True", allowed_reason=disruption.SUFFICIENT_PODS)
    pods = [mkpod(n, "foo", labels=A_TRUE, ready=False) for n in ("foo-1", "foo-2")]
    c = mkcluster(mknode("foo"), pods=pods, now=100).with_pdb(pdb)
    out = eviction.evict(c, "foo-1")
    assert isinstance(out, Cluster)
    got = out.pdb("foo")
    assert got is not None
    assert (got.disruptions_allowed, got.allowed_reason) == (after, reason)
    assert got.disrupted_pods == (("foo-1", 100),)  # checkAndDecrement records the pod


def test_eviction_more_than_one_budget() -> None:
    """eviction.go: a pod two budgets select is an error 500 (the "more than one
    PodDisruptionBudget" status), not a 429."""
    c = cluster("p", budget(1)).with_pdb(attrs.evolve(budget(1), name="bar"))
    out = eviction.evict(c, "p")
    assert isinstance(out, eviction.Refusal)
    assert (out.code, out.message) == (500, eviction.MULTIPLE_BUDGETS)


def test_eviction_stale_budget_status() -> None:
    """checkAndDecrement: a budget whose status is older than its spec (observedGeneration <
    generation) answers 429, "still being processed"."""
    c = cluster("p", attrs.evolve(budget(1), observed=False))
    out = eviction.evict(c, "p")
    assert isinstance(out, eviction.Refusal) and out.code == 429
    assert out.cause == "The disruption budget foo is still being processed by the server."


def test_two_evictions_in_one_sync_window() -> None:
    """checkAndDecrement decrements disruptionsAllowed: with one disruption allowed, the second
    of two evictions before the controller's next sync is refused."""
    pods = [mkpod(n, "foo", labels=A_TRUE) for n in ("p1", "p2")]
    c = mkcluster(mknode("foo"), pods=pods, now=100).with_pdb(budget(1, healthy=2, desired=1))
    first = eviction.evict(c, "p1")
    assert isinstance(first, Cluster)
    second = eviction.evict(first, "p2")
    assert isinstance(second, eviction.Refusal) and second.code == 429


def test_unhealthy_pod_eviction_policy_always_allow() -> None:
    """eviction.go with unhealthyPodEvictionPolicy AlwaysAllow: a pod that is not Ready goes even
    when the budget is not met (currentHealthy < desiredHealthy)."""
    pdb = attrs.evolve(budget(0, healthy=1, desired=2), unhealthy_pod_eviction_policy="AlwaysAllow")
    out = eviction.evict(cluster("p", pdb, ready=False), "p")
    assert isinstance(out, Cluster) and being_deleted(out, "p")
    # IfHealthyBudget (the default): refused, as the budget is not met
    out = eviction.evict(cluster("p", budget(0, healthy=1, desired=2), ready=False), "p")
    assert isinstance(out, eviction.Refusal) and out.code == 429


def test_unhealthy_pod_eviction_policy_before_1_27() -> None:
    """PDBUnhealthyPodEvictionPolicy is off by default in 1.26 (alpha): the apiserver drops the
    field, so AlwaysAllow behaves as IfHealthyBudget."""
    pdb = attrs.evolve(budget(0, healthy=1, desired=2), unhealthy_pod_eviction_policy="AlwaysAllow")
    c = cluster("p", pdb, ready=False)
    c = attrs.evolve(c, settings=attrs.evolve(c.settings, kubernetes_version="1.26"))
    out = eviction.evict(c, "p")
    assert isinstance(out, eviction.Refusal) and out.code == 429


def test_unhealthy_pod_eviction_policy_from_1_27() -> None:
    """From 1.27 (PDBUnhealthyPodEvictionPolicy beta, on) AlwaysAllow is honoured."""
    pdb = attrs.evolve(budget(0, healthy=1, desired=2), unhealthy_pod_eviction_policy="AlwaysAllow")
    c = cluster("p", pdb, ready=False)
    c = attrs.evolve(c, settings=attrs.evolve(c.settings, kubernetes_version="1.27"))
    out = eviction.evict(c, "p")
    assert isinstance(out, Cluster) and being_deleted(out, "p")


def test_unready_pod_with_no_desired_healthy_spends_the_budget() -> None:
    """eviction.go: the not-ready shortcut needs desiredHealthy > 0; with 0 desired (and 0
    healthy) the budget check runs, and with no disruption left it refuses."""
    out = eviction.evict(cluster("p", budget(0, healthy=0, desired=0), ready=False), "p")
    assert isinstance(out, eviction.Refusal) and out.code == 429


def test_apiserver_down() -> None:
    """No apiserver, no eviction: kubectl gets its connection error (503 here)."""
    c = cluster("p", budget(1))
    c = attrs.evolve(c, control_plane=attrs.evolve(c.control_plane, apiserver=False))
    out = eviction.evict(c, "p")
    assert isinstance(out, eviction.Refusal) and out.code == 503


def test_evicted_names_the_pods_an_eviction_took() -> None:
    """``evicted(before, after)``: the pods that newly carry the eviction's DisruptionTarget
    reason and are being deleted; not a pod deleted otherwise, not one evicted earlier."""
    c = mkcluster(mknode("foo"), pods=[mkpod(n, "foo", labels=A_TRUE) for n in ("p1", "p2")], now=100)
    one = eviction.evict(c, "p1")
    assert isinstance(one, Cluster)
    assert eviction.evicted(c, one) == ["p1"]
    assert eviction.evicted(one, one) == []
    two = eviction.evict(one, "p2")
    assert isinstance(two, Cluster)
    assert eviction.evicted(one, two) == ["p2"]
    # a plain delete is no eviction
    deleted = attrs.evolve(c, pods=tuple(attrs.evolve(p, deletion_timestamp=100) for p in c.pods))
    assert eviction.evicted(c, deleted) == []
    # marked but not (yet) being deleted: not an eviction either
    marked = c.with_pod(attrs.evolve(c.pods[0], disruption_reason=eviction.REASON))
    assert eviction.evicted(c, marked) == []
    # an evicted pod that was already being deleted without the mark
    pre = c.with_pod(attrs.evolve(c.pods[0], deletion_timestamp=90))
    assert eviction.evicted(pre, one) == ["p1"]


def test_unready_pod_with_the_budget_met() -> None:
    """eviction.go: a pod that is not Ready, while currentHealthy >= desiredHealthy (1 >= 1),
    is deleted without spending the budget (0 allowed)."""
    out = eviction.evict(cluster("p", budget(0, healthy=1, desired=1), ready=False), "p")
    assert isinstance(out, Cluster) and being_deleted(out, "p")
