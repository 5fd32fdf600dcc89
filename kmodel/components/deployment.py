"""Deployment controller (pkg/controller/deployment), RollingUpdate strategy.

One step syncs every Deployment:
- ``ClaimReplicaSets`` (pkg/controller/controller_ref_manager.go): adopt orphan ReplicaSets whose
  labels match its selector, release owned ones whose labels no longer do;
- the *new* ReplicaSet is the one whose pod template equals the Deployment's; if there is none it
  is created (named ``<deployment>-<pod-template-hash>``) with 0 replicas;
- ``reconcileNewReplicaSet``: scale the new ReplicaSet up towards ``spec.replicas`` while the sum of
  all ReplicaSets' replicas stays within ``replicas + maxSurge`` (or down to ``spec.replicas``);
- ``reconcileOldReplicaSets``: scale old ReplicaSets down while the available pods stay at or
  above ``replicas - maxUnavailable`` (``ResolveFenceposts``: surge rounds up, unavailable rounds
  down, both 0 -> unavailable 1). Available is the ReplicaSets' ``status.availableReplicas``:
  pods ready for ``minReadySeconds`` (copied from the Deployment to its new ReplicaSet), so a
  rollout waits that long after each batch becomes ready;
- status: updated / ready / available replicas (sums over the ReplicaSets' statuses).
When no rollout is in progress a change of ``spec.replicas`` simply scales the one ReplicaSet.
Left out: Recreate strategy, pause, proportional scaling during a rollout, revision history
cleanup, progress deadlines.
"""

from __future__ import annotations

import math

import attrs

from kmodel.components import apiserver
from kmodel.labels import LabelSelector
from kmodel.state import Cluster, Deployment, Labels, PodTemplate, ReplicaSet, selector_matches
from kmodel.transition import Event, Outcome

SOURCE = "deployment-controller"
HASH_LABEL = "pod-template-hash"


def resolve(value: str, replicas: int, round_up: bool) -> int:
    if value.endswith("%"):
        exact = int(value[:-1]) * replicas / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def fenceposts(d: Deployment) -> tuple[int, int]:
    """``ResolveFenceposts``: (maxSurge, maxUnavailable)."""
    surge = resolve(d.max_surge, d.replicas, round_up=True)
    unavailable = resolve(d.max_unavailable, d.replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def template_key(t: PodTemplate) -> str:
    """The pod template as text, without the hash label: equal templates, equal keys. A template
    read from a manifest carries the hash of everything written in it (images, env, probes...),
    so that any change starts a rollout, as in Kubernetes."""
    labels = ",".join(f"{k}={v}" for k, v in t.labels if k != HASH_LABEL)
    tolerations = ",".join(f"{x.key}/{x.operator}/{x.value}/{x.effect}/{x.toleration_seconds}" for x in t.tolerations)
    selector = ",".join(f"{k}={v}" for k, v in t.node_selector)
    r = t.requests
    key = f"labels={labels};tol={tolerations};sel={selector};req={r.cpu},{r.memory};grace={t.termination_grace_seconds}"
    return f"{key};spec={t.spec_hash}" if t.spec_hash else key


def new_replicaset_for(d: Deployment, revision: int) -> ReplicaSet:
    h = apiserver.template_hash(f"{d.name}/{template_key(d.template)}")
    labels = tuple(sorted((*d.template.labels, (HASH_LABEL, h))))
    selector: Labels | LabelSelector
    if isinstance(d.selector, LabelSelector):
        selector = d.selector.also(((HASH_LABEL, h),))
    else:
        selector = tuple(sorted((*d.selector, (HASH_LABEL, h))))
    return ReplicaSet(
        name=f"{d.name}-{h}",
        labels=labels,
        replicas=0,
        selector=selector,
        template=attrs.evolve(d.template, labels=labels),
        owner=d.name,
        revision=revision,
        min_ready_seconds=d.min_ready_seconds,
    )


def _scale(out: Cluster, rs: ReplicaSet, to: int, d: Deployment, events: list[Event], notes: list[str]) -> Cluster:
    if rs.replicas == to:
        return out
    verb = "up" if to > rs.replicas else "down"
    events.append(
        Event(
            out.now,
            SOURCE,
            "ScalingReplicaSet",
            f"deployment/{d.name}",
            f"Scaled {verb} replica set {rs.name} from {rs.replicas} to {to}",
        )
    )
    notes.append(f"scale {rs.name} {rs.replicas} -> {to}")
    return out.with_replicaset(attrs.evolve(rs, replicas=to))


def claim_replicasets(cluster: Cluster, d: Deployment, notes: list[str]) -> Cluster:
    out = cluster
    for rs in cluster.replicasets:
        matches = selector_matches(d.selector, rs.labels)
        if rs.owner == d.name and not matches:
            out = out.with_replicaset(attrs.evolve(rs, owner=None))
            notes.append(f"release replicaset {rs.name}")
        elif rs.owner is None and matches:
            out = out.with_replicaset(attrs.evolve(rs, owner=d.name))
            notes.append(f"adopt replicaset {rs.name}")
    return out


def sync(cluster: Cluster, d: Deployment, events: list[Event], notes: list[str]) -> Cluster:
    out = claim_replicasets(cluster, d, notes)
    owned = [rs for rs in out.replicasets if rs.owner == d.name]
    key = template_key(d.template)
    new = next((rs for rs in owned if template_key(rs.template) == key), None)
    if new is None:
        revision = max((rs.revision for rs in owned), default=0) + 1
        new = new_replicaset_for(d, revision)
        out = out.with_replicaset(new)
        owned.append(new)
        notes.append(f"create replicaset {new.name}")
    elif new.min_ready_seconds != d.min_ready_seconds:
        # getNewReplicaSet: the existing new ReplicaSet follows the Deployment's minReadySeconds
        new = attrs.evolve(new, min_ready_seconds=d.min_ready_seconds)
        out = out.with_replicaset(new)
        owned = [new if rs.name == new.name else rs for rs in owned]
        notes.append(f"set minReadySeconds of {new.name} to {d.min_ready_seconds}")
    olds = sorted((rs for rs in owned if rs.name != new.name), key=lambda r: r.revision)
    surge, unavailable = fenceposts(d)
    if not any(rs.replicas for rs in olds):
        out = _scale(out, new, d.replicas, d, events, notes)
    else:
        # reconcileNewReplicaSet
        total = sum(rs.replicas for rs in owned)
        if new.replicas > d.replicas:
            out = _scale(out, new, d.replicas, d, events, notes)
        elif total < d.replicas + surge:
            grow = min(d.replicas + surge - total, d.replicas - new.replicas)
            out = _scale(out, new, new.replicas + grow, d, events, notes)
        # reconcileOldReplicaSets
        new = out.replicaset(new.name) or new
        all_rs = [out.replicaset(rs.name) or rs for rs in owned]
        min_available = d.replicas - unavailable
        available = sum(rs.status_available for rs in all_rs)
        new_unavailable = max(0, new.replicas - new.status_available)
        max_scaled_down = sum(rs.replicas for rs in all_rs) - min_available - new_unavailable
        if max_scaled_down > 0:
            # cleanupUnhealthyReplicas: first drop old replicas that are not available anyway
            # (so a rollout can replace a Deployment whose pods never start)
            cleaned = 0
            failed = False
            for old in olds:
                old = out.replicaset(old.name) or old
                if cleaned >= max_scaled_down:
                    break
                unhealthy = old.replicas - old.status_available
                if old.replicas == 0 or unhealthy == 0:
                    continue
                if unhealthy < 0:
                    # more available than spec.replicas (a scale-down the ReplicaSet controller
                    # has not carried out yet): "got invalid request to scale down", and
                    # reconcileOldReplicaSets gives up on this sync
                    failed = True
                    break
                cut = min(max_scaled_down - cleaned, unhealthy)
                out = _scale(out, old, old.replicas - cut, d, events, notes)
                cleaned += cut
            # scaleDownOldReplicaSetsForRollingUpdate: then keep availability >= minAvailable
            budget = 0 if failed else available - min_available
            for old in olds:
                if budget <= 0:
                    break
                old = out.replicaset(old.name) or old
                cut = min(old.replicas, budget)
                if cut > 0:
                    out = _scale(out, old, old.replicas - cut, d, events, notes)
                    budget -= cut
    owned = [rs for rs in out.replicasets if rs.owner == d.name]
    new = out.replicaset(new.name) or new
    status = attrs.evolve(
        d,
        status_updated=new.status_replicas,
        status_ready=sum(rs.status_ready for rs in owned),
        status_available=sum(rs.status_available for rs in owned),
        status_replicas=sum(rs.status_replicas for rs in owned),
    )
    return out.with_deployment(status)


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for d in cluster.deployments:
        out = sync(out, d, events, notes)
    if out == cluster:
        return []
    return [Outcome("deployment", "; ".join(notes) or "update deployment status", out, tuple(events))]
