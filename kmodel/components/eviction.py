"""The eviction API: ``POST /api/v1/namespaces/NS/pods/NAME/eviction``
(pkg/registry/core/pod/storage/eviction.go), the voluntary way to delete a pod that honours its
PodDisruptionBudget. kubectl drain (:mod:`kmodel.components.drain`) and the descheduler call it.

:func:`evict` follows ``EvictionREST.Create``:

1. the pod must exist (else 404 ``pods "NAME" not found``);
2. ``canIgnorePDB``: a pod that is Succeeded, Failed or Pending, or already being deleted, is
   deleted without looking at any budget (it already is a disruption, or not yet serving);
3. ``getPodDisruptionBudgets``: the budgets whose selector (non-empty) matches the pod; more than
   one is an error 500 ``This pod has more than one PodDisruptionBudget, which the eviction
   subresource does not support.``; none: the pod is deleted;
4. a pod that is not Ready is deleted without spending the budget when the budget's
   unhealthyPodEvictionPolicy is AlwaysAllow (from 1.27, where the field is on by default), or
   (IfHealthyBudget, the default) when
   status.currentHealthy >= status.desiredHealthy > 0;
5. ``checkAndDecrement``: 429 ``Cannot evict pod as it would violate the pod's disruption
   budget.`` when the budget's status is older than its spec (observedGeneration behind: the
   cause says the budget "is still being processed by the server") or disruptionsAllowed is 0
   (cause: ``The disruption budget NAME needs D healthy pods and has C currently``); else
   disruptionsAllowed goes down by one (the DisruptionAllowed condition turns False at 0) and
   the pod is recorded in status.disruptedPods, so that a second eviction before the disruption
   controller's next sync cannot spend the same disruption;
6. the delete (``addConditionAndDeletePod``): the pod gets the condition DisruptionTarget=True,
   reason ``EvictionByEvictionAPI``, and is deleted gracefully like any DELETE (Terminating until
   its kubelet stops it; a pod on no node goes at once). The condition came with
   PodDisruptionConditions (beta, on by default, in 1.26); kmodel records it for every version,
   which is how the ``pdb-respected`` property tells evictions from other deletions.

The model's step is atomic, so the conflict retries, resourceVersion preconditions and dry runs
of the real handler have nothing to do here. With the apiserver down the request is refused
(kubectl's "connection refused").
"""

from __future__ import annotations

import attrs
from attrs import frozen

from kmodel import versions
from kmodel.components import apiserver
from kmodel.components.disruption import budgets_of, with_condition
from kmodel.state import FAILED, PENDING, SUCCEEDED, Cluster

REASON = "EvictionByEvictionAPI"  # the DisruptionTarget condition's reason on an evicted pod
TOO_MANY_REQUESTS = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_BUDGETS = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
ALWAYS_ALLOW = "AlwaysAllow"


@frozen
class Refusal:
    """The eviction API's error: the HTTP code (404, 429, 500, or 503 when the apiserver does
    not answer), its message, and the cause the status details carry ("" when none)."""

    code: int
    message: str
    cause: str = ""

    def __str__(self) -> str:
        return self.message


def evict(cluster: Cluster, pod_name: str) -> Cluster | Refusal:
    """Evict ``pod_name`` now: the cluster after the eviction (the pod marked and deleted
    gracefully, the budget's status spent), or the :class:`Refusal` the apiserver answers with.

    Pure: the caller decides what to do with a refusal (kubectl drain retries a 429 every 5 s;
    the descheduler counts it and moves on)."""
    if not cluster.apiserver_available:
        return Refusal(503, apiserver.REFUSED_MESSAGE)
    pod = cluster.pod(pod_name)
    if pod is None:
        return Refusal(404, f'pods "{pod_name}" not found')
    if pod.phase in (SUCCEEDED, FAILED, PENDING) or pod.terminating:
        return _delete(cluster, pod_name)
    budgets = budgets_of(cluster, pod)
    if len(budgets) > 1:
        return Refusal(500, MULTIPLE_BUDGETS)
    if not budgets:
        return _delete(cluster, pod_name)
    pdb = budgets[0]
    if not pod.ready:
        if pdb.unhealthy_pod_eviction_policy == ALWAYS_ALLOW and unhealthy_policy_honoured(cluster):
            return _delete(cluster, pod_name)
        if pdb.current_healthy >= pdb.desired_healthy > 0:
            return _delete(cluster, pod_name)
    if not pdb.observed:
        return Refusal(
            429, TOO_MANY_REQUESTS, f"The disruption budget {pdb.name} is still being processed by the server."
        )
    if pdb.disruptions_allowed == 0:
        cause = (
            f"The disruption budget {pdb.name} needs {pdb.desired_healthy} healthy pods and has "
            f"{pdb.current_healthy} currently"
        )
        return Refusal(429, TOO_MANY_REQUESTS, cause)
    spent = attrs.evolve(
        pdb,
        disruptions_allowed=pdb.disruptions_allowed - 1,
        disrupted_pods=tuple(sorted({**dict(pdb.disrupted_pods), pod_name: cluster.now}.items())),
    )
    if spent.disruptions_allowed == 0:
        spent = with_condition(spent)
    return _delete(cluster.with_pdb(spent), pod_name)


def unhealthy_policy_honoured(cluster: Cluster) -> bool:
    """Whether the apiserver keeps spec.unhealthyPodEvictionPolicy: the PDBUnhealthyPodEvictionPolicy
    gate, alpha (off) in 1.26, on by default from 1.27 (before, the field is dropped and every
    budget behaves as IfHealthyBudget)."""
    return versions.minor_of(cluster.settings.kubernetes_version) >= 27


def _delete(cluster: Cluster, pod_name: str) -> Cluster:
    pod = cluster.pod(pod_name)
    assert pod is not None
    # the DisruptionTarget=True condition with reason EvictionByEvictionAPI, then the graceful delete
    marked = cluster.with_pod(attrs.evolve(pod, disruption_target=True, disruption_reason=REASON))
    return apiserver.delete_pod(marked, pod_name)


def evicted(before: Cluster, after: Cluster) -> list[str]:
    """The pods an eviction went through for between two states: in ``after`` they carry the
    eviction's DisruptionTarget reason and are being deleted, and in ``before`` they did not."""
    out = []
    for p in after.pods:
        if p.disruption_reason == REASON and p.terminating:
            was = before.pod(p.name)
            if was is None or was.disruption_reason != REASON or not was.terminating:
                out.append(p.name)
    return out
