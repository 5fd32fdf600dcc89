"""StatefulSet controller (pkg/controller/statefulset: stateful_set_control.go,
stateful_set_utils.go, stateful_pod_control.go).

One step syncs every StatefulSet, as ``updateStatefulSet`` does:

- claim its pods (``getPodsForStatefulSet``: ``ClaimPods`` restricted to pods whose name says
  they are members, ``<set>-<ordinal>``): adopt matching orphans, release owned pods whose labels
  no longer match;
- split them into *replicas* (ordinals ``start .. start + replicas - 1``) and *condemned* (the
  others, highest ordinal first);
- ``processReplica`` for each ordinal, lowest first: a Failed or Succeeded pod is deleted (it is
  recreated at the next sync, once it is gone); a missing one is created (event
  ``SuccessfulCreate``: ``create Pod web-0 in StatefulSet web successful``). With
  ``podManagementPolicy: OrderedReady`` (*monotonic*) the pass stops at the first creation, at a
  Terminating pod, and at a pod that is not Running and Ready or not available for
  ``minReadySeconds``; with ``Parallel`` it goes through every ordinal;
- ``processCondemned``: delete the condemned pods, highest ordinal first (``SuccessfulDelete``),
  in monotonic mode one at a time, each only once every replica is healthy and the previous one is
  gone (a Terminating one blocks);
- with ``updateStrategy: RollingUpdate``: delete the pod of the highest ordinal >= ``partition``
  whose ``controller-revision-hash`` is not the update revision, and wait for it to come back
  Running and available before the next one. From 1.35 on (the MaxUnavailableStatefulSet gate,
  beta and on by default) ``maxUnavailable`` pods may be down at once (the same algorithm, one by
  default); before 1.35 the apiserver drops ``maxUnavailable`` (alpha gate off) and the older
  loop runs. ``OnDelete``: nothing, pods take the new template when deleted by hand;
- status: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas,
  currentRevision / updateRevision; a rolling update is complete (``completeRollingUpdate``)
  when every pod is updated and ready, and the current revision becomes the update revision.

A pod the controller creates gets the template's labels plus ``statefulset.kubernetes.io/pod-name``,
``apps.kubernetes.io/pod-index`` (1.28 on, the PodIndexLabel gate) and ``controller-revision-hash``;
below ``partition`` a recreated pod gets the *current* revision's template
(``newVersionedStatefulSetPod``).

The identity rule that users trip over follows from the above: a member stays as long as its pod
object does. A pod on a lost node is marked for deletion by taint eviction, but only its kubelet
(or a force delete, ``kubectl delete pod --force``, or pod GC once the Node is gone or carries
the out-of-service taint) removes the object; until then the controller waits and never creates
a second pod of that name.

Left out: ControllerRevision objects (the revisions are the template hashes; ``revisionHistoryLimit``
therefore changes nothing), volumeClaimTemplates and the PVC retention policy (claims are refused),
the hostname/subdomain identity fields (descriptive), the stale-cache expectations, and the
status counts of pods created in the same sync (the real status leaves them out too: they have
no phase yet).
"""

from __future__ import annotations

import math
import re

import attrs

from kmodel import versions
from kmodel.components import apiserver
from kmodel.components.deployment import template_key
from kmodel.namespaces import local_name, same_namespace
from kmodel.state import FAILED, RUNNING, SUCCEEDED, Cluster, Pod, PodTemplate, StatefulSet, selector_matches
from kmodel.state import pod_available as _pod_available
from kmodel.transition import Event, Outcome

SOURCE = "statefulset-controller"
KIND = "StatefulSet"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"
ORDERED_READY = "OrderedReady"
PARALLEL = "Parallel"
ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"

_MEMBER = re.compile(r"^(.*)-([0-9]+)$")


# --- stateful_set_utils.go ------------------------------------------------------------------------


def parent_and_ordinal(name: str) -> tuple[str, int]:
    """``getParentNameAndOrdinal``: ``web-2`` -> ("web", 2); a name without a numeric suffix (or
    one that does not fit an int32) -> ("", -1)."""
    m = _MEMBER.match(name)
    if m is None:
        return "", -1
    ordinal = int(m.group(2))
    if ordinal > 2**31 - 1:
        return m.group(1), -1
    return m.group(1), ordinal


def ordinal_of(pod: Pod) -> int:
    return parent_and_ordinal(pod.name)[1]


def pod_name(sts: StatefulSet, ordinal: int) -> str:
    """``getPodName``."""
    return f"{sts.name}-{ordinal}"


def is_member(sts: StatefulSet, pod: Pod) -> bool:
    """``isMemberOf``: the pod's name says it belongs to the set."""
    return parent_and_ordinal(pod.name)[0] == sts.name


def identity_matches(sts: StatefulSet, pod: Pod) -> bool:
    """``identityMatches``, for the identity kmodel keeps: the name and the pod-name label (the
    namespace is in the name, kmodel.namespaces; hostname and subdomain are not modelled)."""
    parent, ordinal = parent_and_ordinal(pod.name)
    return (
        ordinal >= 0
        and parent == sts.name
        and pod.name == pod_name(sts, ordinal)
        and dict(pod.labels).get(POD_NAME_LABEL) == pod.name
    )


def running_and_ready(pod: Pod) -> bool:
    """``isRunningAndReady``."""
    return pod.phase == RUNNING and pod.ready


def running_and_available(pod: Pod, min_ready_seconds: int, now: int) -> bool:
    """``isRunningAndAvailable``: ``IsPodAvailable`` (Ready for minReadySeconds)."""
    return pod.phase == RUNNING and _pod_available(pod, min_ready_seconds, now)


def unavailable(pod: Pod | None, min_ready_seconds: int, now: int) -> bool:
    """``isUnavailable``: not (yet) available, or being deleted. ``None`` is a pod not created."""
    return pod is None or pod.terminating or not running_and_available(pod, min_ready_seconds, now)


def revision_of(pod: Pod) -> str:
    """``getPodRevision``: the controller-revision-hash label."""
    return dict(pod.labels).get(REVISION_LABEL, "")


def revision_name(sts: StatefulSet, template: PodTemplate) -> str:
    """The ControllerRevision's name, ``<set>-<hash of the template>``."""
    return f"{sts.name}-{apiserver.template_hash(f'{local_name(sts.name)}/{template_key(template)}')}"


def allows_burst(sts: StatefulSet) -> bool:
    """``allowsBurst``: Parallel pod management."""
    return sts.pod_management_policy == PARALLEL


def start_ordinal(sts: StatefulSet, version: str) -> int:
    """``getStartOrdinal``: spec.ordinals.start (StatefulSetStartOrdinal, beta and on from 1.27;
    before that the apiserver drops the field)."""
    return sts.start_ordinal if versions.minor_of(version) >= 27 else 0


def min_ready_seconds(sts: StatefulSet, version: str) -> int:
    """spec.minReadySeconds (StatefulSetMinReadySeconds: beta and on from 1.23, GA 1.25; before
    that the apiserver drops the field)."""
    return sts.min_ready_seconds if versions.minor_of(version) >= 23 else 0


def max_unavailable_gate(version: str) -> bool:
    """MaxUnavailableStatefulSet: alpha (off) from 1.24, beta and on by default from 1.35."""
    return versions.minor_of(version) >= 35


def resolve_max_unavailable(sts: StatefulSet) -> int:
    """``getStatefulSetMaxUnavailable``: a percentage of spec.replicas rounded down, at least 1."""
    value = sts.max_unavailable
    n = math.floor(int(value[:-1]) * sts.replicas / 100) if value.endswith("%") else int(value)
    return max(n, 1)


def new_pod(sts: StatefulSet, template: PodTemplate, revision: str, ordinal: int, version: str) -> Pod:
    """``newStatefulSetPod`` + ``setPodRevision``: the template's pod with the set's identity."""
    name = pod_name(sts, ordinal)
    labels = dict(template.labels)
    labels[POD_NAME_LABEL] = name
    if versions.minor_of(version) >= 28:  # PodIndexLabel: beta (on) 1.28, GA 1.32
        labels[POD_INDEX_LABEL] = str(ordinal)
    labels[REVISION_LABEL] = revision
    return template.new_pod(name, sts.name, KIND, labels=tuple(sorted(labels.items())))


def versioned_pod(sts: StatefulSet, ordinal: int, start: int, version: str) -> Pod:
    """``newVersionedStatefulSetPod``: below the partition a RollingUpdate set recreates a pod at
    the current revision, elsewhere at the update revision."""
    if sts.update_strategy == ROLLING_UPDATE and ordinal < start + sts.partition and sts.current_template is not None:
        return new_pod(sts, sts.current_template, sts.current_revision, ordinal, version)
    return new_pod(sts, sts.template, sts.update_revision, ordinal, version)


def owned_pods(cluster: Cluster, sts: StatefulSet) -> list[Pod]:
    return [p for p in cluster.pods if p.owned_by(KIND, sts.name) and selector_matches(sts.selector, p.labels)]


def claim_pods(cluster: Cluster, sts: StatefulSet, notes: list[str]) -> Cluster:
    """``ClaimPods`` with the ``isMemberOf`` filter: adopt orphans that match and are members
    (not being deleted), release owned pods whose labels no longer match."""
    out = cluster
    for p in cluster.pods:
        matches = same_namespace(p.name, sts.name) and selector_matches(sts.selector, p.labels)
        if p.owned_by(KIND, sts.name) and not matches:
            out = out.with_pod(attrs.evolve(p, owner=None))
            notes.append(f"{sts.name}: release {p.name}")
        elif p.owner is None and matches and is_member(sts, p) and not p.terminating:
            out = out.with_pod(attrs.evolve(p, owner=sts.name, owner_kind=KIND))
            notes.append(f"{sts.name}: adopt {p.name}")
    return out


# --- stateful_set_control.go -------------------------------------------------------------------


def _event(now: int, verb: str, pod: str, sts: str, reason: str) -> Event:
    """``recordPodEvent`` of stateful_pod_control.go."""
    return Event(now, SOURCE, reason, f"statefulset/{sts}", f"{verb} Pod {pod} in StatefulSet {sts} successful")


def _delete(out: Cluster, sts: StatefulSet, pod: Pod, events: list[Event], notes: list[str], why: str) -> Cluster:
    events.append(_event(out.now, "delete", pod.name, sts.name, "SuccessfulDelete"))
    notes.append(f"{sts.name}: delete {pod.name} ({why})")
    return apiserver.delete_pod(out, pod.name)


def _status(pods: list[Pod], mrs: int, now: int, current: str, update: str) -> tuple[int, int, int, int, int]:
    """``computeReplicaStatus`` over the pods as the sync read them."""
    replicas = ready = available = cur = upd = 0
    for p in pods:
        replicas += 1
        if running_and_ready(p):
            ready += 1
            if running_and_available(p, mrs, now):
                available += 1
        if not p.terminating:
            rev = revision_of(p)
            cur += rev == current
            upd += rev == update
    return replicas, ready, available, cur, upd


def sync(cluster: Cluster, sts: StatefulSet, events: list[Event], notes: list[str]) -> Cluster:
    """One ``updateStatefulSet`` + ``updateStatefulSetStatus``."""
    now = cluster.now
    version = cluster.settings.kubernetes_version
    update = revision_name(sts, sts.template)
    if sts.update_revision != update or not sts.current_revision:
        # getStatefulSetRevisions: the update revision is the set's template; the current one is
        # the revision status.currentRevision names, or the update revision at first
        if not sts.current_revision:
            sts = attrs.evolve(sts, current_revision=update, current_template=sts.template)
        sts = attrs.evolve(sts, update_revision=update)
    current = sts.current_revision
    out = claim_pods(cluster, sts, notes)
    start = start_ordinal(sts, version)
    end = start + sts.replicas - 1
    replicas: dict[int, Pod] = {}
    condemned: list[Pod] = []
    for p in owned_pods(out, sts):
        ordinal = ordinal_of(p)
        if start <= ordinal <= end:
            replicas[ordinal] = p
        elif ordinal >= 0:
            condemned.append(p)
    condemned.sort(key=ordinal_of, reverse=True)
    seen = list(replicas.values()) + condemned
    ordinals = range(start, end + 1)
    mrs = min_ready_seconds(sts, version)
    first_unhealthy: str | None = None
    for o in ordinals:
        if unavailable(replicas.get(o), mrs, now):
            first_unhealthy = pod_name(sts, o)
            break
    if first_unhealthy is None:
        for p in reversed(condemned):
            if unavailable(p, mrs, now):
                first_unhealthy = p.name
                break
    monotonic = not allows_burst(sts)
    deleted_for_update = 0
    fresh: dict[int, Pod] = {}  # pods created in this sync (no phase yet in the real controller)

    def process_replicas() -> bool:
        """processReplica over the ordinals; True: stop the sync here (monotonic)."""
        nonlocal out
        for o in ordinals:
            pod = replicas.get(o)
            if pod is not None and pod.phase in (FAILED, SUCCEEDED):
                if not pod.terminating:
                    out = _delete(out, sts, pod, events, notes, f"{pod.phase.lower()}")
                if monotonic:
                    return True
                continue
            if pod is None:
                name = pod_name(sts, o)
                if out.pod(name) is not None:
                    # the name is taken by a pod the set does not own: the create fails with
                    # AlreadyExists, an error that ends the sync in either mode
                    notes.append(f"{sts.name}: {name} exists and is not its own")
                    return True
                new = versioned_pod(sts, o, start, version)
                out, error = apiserver.try_create_pod(out, new)
                if error is not None:
                    events.append(
                        Event(
                            now,
                            SOURCE,
                            "FailedCreate",
                            f"statefulset/{sts.name}",
                            f"create Pod {name} in StatefulSet {sts.name} failed error: {error}",
                            "Warning",
                        )
                    )
                    notes.append(f"{sts.name}: create {name} refused")
                    return True
                fresh[o] = new
                events.append(_event(now, "create", name, sts.name, "SuccessfulCreate"))
                notes.append(f"{sts.name}: create {name}")
                if monotonic:
                    return True
                continue
            if monotonic and (
                pod.terminating or not running_and_ready(pod) or not running_and_available(pod, mrs, now)
            ):
                return True
        return False

    def process_condemned() -> bool:
        nonlocal out
        for pod in condemned:
            if pod.terminating:
                if monotonic:
                    return True
                continue
            if monotonic and pod.name != first_unhealthy and not running_and_available(pod, mrs, now):
                return True
            out = _delete(out, sts, pod, events, notes, "scale down")
            if monotonic:
                return True
        return False

    stopped = process_replicas() or process_condemned()
    replicas.update(fresh)
    if not stopped and sts.update_strategy == ROLLING_UPDATE:
        if max_unavailable_gate(version):
            # updateStatefulSetAfterInvariantEstablished
            budget = resolve_max_unavailable(sts)
            down = sum(1 for o in ordinals if unavailable(replicas.get(o), mrs, now))
            if down <= budget:
                for o in reversed(ordinals):
                    if o - start < sts.partition or deleted_for_update >= budget - down:
                        break
                    pod = replicas[o]
                    if revision_of(pod) != update and not pod.terminating:
                        out = _delete(out, sts, pod, events, notes, "update")
                        deleted_for_update += 1
        else:
            for o in reversed(ordinals):
                if o - start < sts.partition:
                    break
                pod = replicas[o]
                if revision_of(pod) != update and not pod.terminating:
                    out = _delete(out, sts, pod, events, notes, "update")
                    deleted_for_update += 1
                    break
                if unavailable(pod, mrs, now):
                    break
    n, ready, available, cur, upd = _status(seen, mrs, now, current, update)
    cur -= deleted_for_update
    if sts.update_strategy == ROLLING_UPDATE and upd == n and ready == n:
        # completeRollingUpdate
        cur = upd
        sts = attrs.evolve(sts, current_revision=update, current_template=sts.template)
    sts = attrs.evolve(
        sts, status_replicas=n, status_ready=ready, status_available=available, status_current=cur, status_updated=upd
    )
    return out.with_statefulset(sts)


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active or not cluster.statefulsets:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for sts in cluster.statefulsets:
        out = sync(out, sts, events, notes)
    if out == cluster and not events:
        return []
    return [Outcome("statefulset", "; ".join(notes) or "update statefulset status", out, tuple(events))]
