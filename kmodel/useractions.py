"""What a user does with kubectl: apply, scale, delete, cordon, taint.

Every one of these is an apiserver write: when the apiserver is not available the action is
refused (an event with kubectl's "connection refused" message) and never takes effect later.
"""

from __future__ import annotations

import attrs

from kmodel.components import apiserver
from kmodel.manifests import Manifest
from kmodel.state import (
    COND_NONE,
    Cluster,
    Deployment,
    Node,
    Pod,
    PriorityClass,
    ReplicaSet,
    Service,
    Taint,
    remove,
)
from kmodel.transition import Event, Outcome

SOURCE = "kubectl"


def refused(cluster: Cluster, label: str, obj: str) -> Outcome:
    event = Event(cluster.now, SOURCE, "Refused", obj, apiserver.REFUSED_MESSAGE, "Warning")
    return Outcome("user", f"{label} (refused: apiserver unavailable)", cluster, (event,))


def _done(cluster: Cluster, label: str, obj: str, message: str, reason: str = "Applied") -> Outcome:
    event = Event(cluster.now, SOURCE, reason, obj, message)
    return Outcome("user", label, cluster, (event,))


def _not_found(cluster: Cluster, label: str, kind: str, name: str) -> Outcome:
    msg = f'Error from server (NotFound): {kind}s "{name}" not found'
    event = Event(cluster.now, SOURCE, "NotFound", f"{kind}/{name}", msg, "Warning")
    return Outcome("user", f"{label} (not found)", cluster, (event,))


def register_running_node(cluster: Cluster, node: Node) -> Cluster:
    """A node that is already part of the cluster when the scenario starts: Ready, fresh
    heartbeat."""
    now = cluster.now
    return cluster.with_node(attrs.evolve(node, created=now, last_heartbeat=now, lease_renew_time=now))


def forbidden(cluster: Cluster, m: Manifest) -> str | None:
    """The apiserver's error when admission refuses to create ``m`` now (a pod naming a missing
    PriorityClass, a second globalDefault PriorityClass), else None."""
    obj = m.obj
    if isinstance(obj, Pod) and cluster.pod(obj.name) is None:
        admitted = apiserver.admit_priority(obj, cluster)
        return apiserver.forbidden("pods", obj.name, admitted) if isinstance(admitted, str) else None
    if isinstance(obj, PriorityClass):
        old = cluster.priority_class(obj.name)
        if old is not None and old.value != obj.value:
            return f'The PriorityClass "{obj.name}" is invalid: value: Forbidden: may not be changed in an update.'
        if old is not None and old.preemption_policy != obj.preemption_policy:
            return (
                f'The PriorityClass "{obj.name}" is invalid: preemptionPolicy: Invalid value: '
                f'"{obj.preemption_policy}": field is immutable'
            )
        reason = apiserver.admit_priority_class(cluster, obj)
        return apiserver.forbidden("priorityclasses.scheduling.k8s.io", obj.name, reason) if reason else None
    return None


def apply_object(cluster: Cluster, m: Manifest) -> tuple[Cluster, str]:
    """Create or update one object; returns the new state and kubectl's word for what happened
    (``forbidden`` when admission refuses it: see :func:`forbidden`)."""
    obj = m.obj
    if forbidden(cluster, m) is not None:
        return cluster, "forbidden"
    if isinstance(obj, PriorityClass):
        old_pc = apiserver.priority_class(cluster, obj.name)
        if old_pc is None:
            return cluster.with_priority_class(obj), "created"
        if obj == old_pc or old_pc in apiserver.SYSTEM_PRIORITY_CLASSES:
            return cluster, "unchanged"
        # value and preemptionPolicy are immutable (forbidden() refuses a change); globalDefault
        # and description may change
        upd_pc = attrs.evolve(old_pc, global_default=obj.global_default, description=obj.description)
        return cluster.with_priority_class(upd_pc), "configured" if upd_pc != old_pc else "unchanged"
    if isinstance(obj, Node):
        old = cluster.node(obj.name)
        if old is None:
            # A new machine joins: registered by its kubelet, with no Ready condition and no Lease
            # until the kubelet posts status and renews it.
            new = apiserver.admit_node(
                attrs.evolve(
                    obj,
                    created=cluster.now,
                    ready=COND_NONE,
                    ready_reason="",
                    last_heartbeat=None,
                    lease_renew_time=None,
                ),
                cluster.now,
            )
            return cluster.with_node(new), "created"
        upd = attrs.evolve(
            old,
            labels=obj.labels,
            unschedulable=obj.unschedulable,
            capacity=obj.capacity,
            taints=_merge_spec_taints(old, obj),
        )
        return cluster.with_node(upd), "configured" if upd != old else "unchanged"
    if isinstance(obj, Pod):
        if cluster.pod(obj.name) is not None:
            return cluster, "unchanged"
        return apiserver.create_pod(cluster, obj), "created"
    if isinstance(obj, Deployment):
        old_d = cluster.deployment(obj.name)
        if old_d is None:
            return cluster.with_deployment(obj), "created"
        upd_d = attrs.evolve(
            old_d,
            replicas=obj.replicas,
            template=obj.template,
            max_surge=obj.max_surge,
            max_unavailable=obj.max_unavailable,
            min_ready_seconds=obj.min_ready_seconds,
            strategy=obj.strategy,
            revision_history_limit=obj.revision_history_limit,
            progress_deadline_seconds=obj.progress_deadline_seconds,
            paused=obj.paused,
        )
        return cluster.with_deployment(upd_d), "configured" if upd_d != old_d else "unchanged"
    if isinstance(obj, ReplicaSet):
        old_rs = cluster.replicaset(obj.name)
        if old_rs is None:
            return cluster.with_replicaset(obj), "created"
        upd_rs = attrs.evolve(
            old_rs, replicas=obj.replicas, template=obj.template, min_ready_seconds=obj.min_ready_seconds
        )
        return cluster.with_replicaset(upd_rs), "configured" if upd_rs != old_rs else "unchanged"
    assert isinstance(obj, Service)
    old_s = cluster.service(obj.name)
    if old_s is None:
        return cluster.with_service(obj), "created"
    upd_s = attrs.evolve(old_s, selector=obj.selector)
    return cluster.with_service(upd_s), "configured" if upd_s != old_s else "unchanged"


def _merge_spec_taints(old: Node, new: Node) -> tuple[Taint, ...]:
    """Taints the controllers manage stay; the user's taints are replaced by the manifest's."""
    managed = tuple(t for t in old.taints if t.key.startswith("node.kubernetes.io/"))
    return managed + tuple(t for t in new.taints if not any(t.same(m) for m in managed))


_API_GROUP = {
    "Deployment": "deployment.apps",
    "ReplicaSet": "replicaset.apps",
    "PriorityClass": "priorityclass.scheduling.k8s.io",
}


def apply(
    cluster: Cluster, manifests: tuple[Manifest, ...], source: str, invalid: tuple[tuple[str, str], ...] = ()
) -> Outcome:
    """``kubectl apply -f``: the valid objects are applied, and each object the apiserver
    refuses (``invalid``: (object, the apiserver's message)) is reported after them, as kubectl
    does."""
    label = f"kubectl apply -f {source}"
    if not cluster.apiserver_available:
        return refused(cluster, label, f"file/{source}")
    out = cluster
    events = []
    refusals = list(invalid)
    for m in manifests:
        error = forbidden(out, m)
        if error is not None:
            kind_ = "Invalid" if error.startswith("The ") else "Forbidden"
            refusals.append((f"{m.kind.lower()}/{m.name}", f"Error from server ({kind_}): {error}"))
            continue
        out, word = apply_object(out, m)
        kind = _API_GROUP.get(m.kind, m.kind.lower())
        events.append(Event(cluster.now, SOURCE, "Applied", f"{m.kind.lower()}/{m.name}", f"{kind}/{m.name} {word}"))
    invalid = tuple(refusals)
    for obj, message in invalid:
        events.append(Event(cluster.now, SOURCE, "Refused", obj, message, "Warning"))
    if invalid:
        label += f" ({len(invalid)} object{'s' if len(invalid) > 1 else ''} refused)"
    return Outcome("user", label, out, tuple(events))


def scale(cluster: Cluster, kind: str, name: str, replicas: int) -> Outcome:
    label = f"kubectl scale {kind}/{name} --replicas={replicas}"
    if not cluster.apiserver_available:
        return refused(cluster, label, f"{kind}/{name}")
    if kind == "deployment":
        d = cluster.deployment(name)
        if d is None:
            return _not_found(cluster, label, kind, name)
        out = cluster.with_deployment(attrs.evolve(d, replicas=replicas))
    else:
        rs = cluster.replicaset(name)
        if rs is None:
            return _not_found(cluster, label, kind, name)
        out = cluster.with_replicaset(attrs.evolve(rs, replicas=replicas))
    return _done(out, label, f"{kind}/{name}", f"{_API_GROUP.get(kind.capitalize(), kind)}/{name} scaled", "Scaled")


def delete(cluster: Cluster, kind: str, names: list[str], pattern: str, force: bool = False) -> Outcome:
    label = f"kubectl delete {kind}/{pattern}" + (" --force" if force else "")
    if not cluster.apiserver_available:
        return refused(cluster, label, f"{kind}/{pattern}")
    if not names:
        return _not_found(cluster, label, kind, pattern)
    out = cluster
    events = []
    for name in names:
        if kind == "pod":
            out = apiserver.delete_pod(out, name, force=force)
        elif kind == "node":
            out = attrs.evolve(out, nodes=remove(out.nodes, name))
        elif kind == "deployment":
            out = attrs.evolve(out, deployments=remove(out.deployments, name))
        elif kind == "replicaset":
            out = attrs.evolve(out, replicasets=remove(out.replicasets, name))
        elif kind == "service":
            out = attrs.evolve(out, services=remove(out.services, name))
        events.append(Event(cluster.now, SOURCE, "Deleted", f"{kind}/{name}", f'{kind} "{name}" deleted'))
    return Outcome("user", label, out, tuple(events))


def cordon(cluster: Cluster, name: str, unschedulable: bool) -> Outcome:
    verb = "cordon" if unschedulable else "uncordon"
    label = f"kubectl {verb} {name}"
    if not cluster.apiserver_available:
        return refused(cluster, label, f"node/{name}")
    node = cluster.node(name)
    if node is None:
        return _not_found(cluster, label, "node", name)
    out = cluster.with_node(attrs.evolve(node, unschedulable=unschedulable))
    return _done(out, label, f"node/{name}", f"node/{name} {verb}ed")


def taint(cluster: Cluster, name: str, t: Taint, remove_it: bool) -> Outcome:
    label = f"kubectl taint node {name} {t.show()}{'-' if remove_it else ''}"
    if not cluster.apiserver_available:
        return refused(cluster, label, f"node/{name}")
    node = cluster.node(name)
    if node is None:
        return _not_found(cluster, label, "node", name)
    kept = tuple(x for x in node.taints if not x.same(t))
    added = t if t.effect != "NoExecute" else attrs.evolve(t, time_added=cluster.now)
    taints = kept if remove_it else (*kept, added)
    out = cluster.with_node(attrs.evolve(node, taints=taints))
    word = "untainted" if remove_it else "tainted"
    return _done(out, label, f"node/{name}", f"node/{name} {word}")


# --- kubectl rollout and set image ----------------------------------------------------------------
# kubectl's own logic (staging/src/k8s.io/kubectl/pkg/polymorphichelpers: objectrestarter.go,
# objectpauser.go, objectresumer.go, rollback.go; cmd/set/set_image.go): each reads the Deployment,
# changes its spec and writes it back; the Deployment controller does the rest.


def _deployment_action(cluster: Cluster, label: str, name: str) -> tuple[Deployment | None, Outcome | None]:
    if not cluster.apiserver_available:
        return None, refused(cluster, label, f"deployment/{name}")
    d = cluster.deployment(name)
    if d is None:
        return None, _not_found(cluster, label, "deployment", name)
    return d, None


def _error(cluster: Cluster, label: str, name: str, message: str) -> Outcome:
    event = Event(cluster.now, SOURCE, "Error", f"deployment/{name}", f"error: {message}", "Warning")
    return Outcome("user", f"{label} (error)", cluster, (event,))


def _retemplate(d: Deployment, **changes: object) -> Deployment:
    from kmodel.manifests import edited_hash

    t = attrs.evolve(d.template, **changes)
    return attrs.evolve(d, template=attrs.evolve(t, spec_hash=edited_hash(t)))


def rollout_restart(cluster: Cluster, name: str) -> Outcome:
    """``kubectl rollout restart``: sets the template annotation kubectl.kubernetes.io/restartedAt
    to now, a new pod template (a new pod-template-hash); refused for a paused Deployment."""
    label = f"kubectl rollout restart deployment/{name}"
    d, early = _deployment_action(cluster, label, name)
    if d is None:
        assert early is not None
        return early
    if d.paused:
        return _error(
            cluster,
            label,
            name,
            f'deployments.apps "{name}" can\'t restart paused deployment (run rollout resume first)',
        )
    out = cluster.with_deployment(_retemplate(d, restarted_at=f"t={cluster.now}s"))
    return _done(out, label, f"deployment/{name}", f"deployment.apps/{name} restarted", "Restarted")


def rollout_pause(cluster: Cluster, name: str, pause: bool) -> Outcome:
    """``kubectl rollout pause|resume``: sets spec.paused; an error when it already has that value."""
    word = "pause" if pause else "resume"
    label = f"kubectl rollout {word} deployment/{name}"
    d, early = _deployment_action(cluster, label, name)
    if d is None:
        assert early is not None
        return early
    if d.paused == pause:
        return _error(cluster, label, name, f'deployments.apps "{name}" is {"already" if pause else "not"} paused')
    out = cluster.with_deployment(attrs.evolve(d, paused=pause))
    return _done(out, label, f"deployment/{name}", f"deployment.apps/{name} {word}d", "Paused" if pause else "Resumed")


def rollout_undo(cluster: Cluster, name: str, to_revision: int = 0) -> Outcome:
    """``kubectl rollout undo [--to-revision=N]``: copies the pod template of the ReplicaSet with
    that revision (0: the one before the current, i.e. the second-highest revision) back into
    the Deployment (without the pod-template-hash label), as pkg/controller/deployment/
    rollback.go's rollbackToTemplate does for the old rollbackTo field."""
    from kmodel.components.deployment import HASH_LABEL, template_key

    label = f"kubectl rollout undo deployment/{name}" + (f" --to-revision={to_revision}" if to_revision else "")
    d, early = _deployment_action(cluster, label, name)
    if d is None:
        assert early is not None
        return early
    if d.paused:
        return _error(
            cluster,
            label,
            name,
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
        )
    history = {rs.revision: rs for rs in cluster.replicasets if rs.owner == name}
    if to_revision == 0:
        if len(history) < 2:
            return _error(cluster, label, name, f'no rollout history found for deployment "{name}"')
        target = history[sorted(history)[-2]]
    elif to_revision in history:
        target = history[to_revision]
    else:
        return _error(cluster, label, name, f"unable to find specified revision {to_revision} in history")
    template = attrs.evolve(target.template, labels=tuple((k, v) for k, v in target.template.labels if k != HASH_LABEL))
    if template_key(template) == template_key(d.template):
        msg = f"deployment.apps/{name} skipped rollback (current template already matches revision {target.revision})"
        return _done(cluster, f"{label} (skipped)", f"deployment/{name}", msg, "Skipped")
    out = cluster.with_deployment(attrs.evolve(d, template=template))
    return _done(out, label, f"deployment/{name}", f"deployment.apps/{name} rolled back", "RolledBack")


def set_image(cluster: Cluster, name: str, container: str, image: str) -> Outcome:
    """``kubectl set image deployment/NAME CONTAINER=IMAGE`` (``*`` for every container)."""
    label = f"kubectl set image deployment/{name} {container}={image}"
    d, early = _deployment_action(cluster, label, name)
    if d is None:
        assert early is not None
        return early
    t = d.template
    names = t.containers or ("",) * len(t.images)
    if container != "*" and container not in names:
        return _error(cluster, label, name, f'unable to find container named "{container}"')
    images = tuple(image if container in ("*", n) else old for n, old in zip(names, t.images, strict=False))
    if images == t.images:
        return _done(cluster, f"{label} (unchanged)", f"deployment/{name}", f"deployment.apps/{name} unchanged")
    out = cluster.with_deployment(_retemplate(d, images=images))
    return _done(out, label, f"deployment/{name}", f"deployment.apps/{name} image updated", "ImageUpdated")
