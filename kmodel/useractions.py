"""What a user does with kubectl: apply, scale, delete, cordon, taint, label, annotate.

Every one of these is an apiserver write: when the apiserver is not available the action is
refused (an event with kubectl's "connection refused" message) and never takes effect later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from kmodel import namespaces
from kmodel.components import apiserver
from kmodel.manifests import Manifest
from kmodel.state import (
    COND_NONE,
    Cluster,
    DaemonSet,
    Deployment,
    HorizontalPodAutoscaler,
    Job,
    Node,
    Pod,
    PriorityClass,
    ReplicaSet,
    Service,
    StatefulSet,
    Taint,
    remove,
)
from kmodel.transition import Event, Outcome
from kmodel.versions import minor_of

SOURCE = "kubectl"


def refused(cluster: Cluster, label: str, obj: str) -> Outcome:
    event = Event(cluster.now, SOURCE, "Refused", obj, apiserver.REFUSED_MESSAGE, "Warning")
    return Outcome("user", f"{label} (refused: apiserver unavailable)", cluster, (event,))


def _done(cluster: Cluster, label: str, obj: str, message: str, reason: str = "Applied") -> Outcome:
    event = Event(cluster.now, SOURCE, reason, obj, message)
    return Outcome("user", label, cluster, (event,))


def not_found_message(kind: str, name: str) -> str:
    """kubectl's NotFound error: the resource with its API group (``deployments.apps``)."""
    group = _API_GROUP.get(_KINDS.get(kind, ""), "")
    resource = f"{kind}s" + (group[group.index(".") :] if "." in group else "")
    return f'Error from server (NotFound): {resource} "{namespaces.local_name(name)}" not found'


_KINDS = {
    "deployment": "Deployment",
    "replicaset": "ReplicaSet",
    "daemonset": "DaemonSet",
    "statefulset": "StatefulSet",
    "job": "Job",
    "horizontalpodautoscaler": "HorizontalPodAutoscaler",
}


def _not_found(cluster: Cluster, label: str, kind: str, name: str) -> Outcome:
    msg = not_found_message(kind, name)
    event = Event(cluster.now, SOURCE, "NotFound", f"{kind}/{name}", msg, "Warning")
    return Outcome("user", f"{label} (not found)", cluster, (event,))


def register_running_node(cluster: Cluster, node: Node) -> Cluster:
    """A node that is already part of the cluster when the scenario starts: Ready, fresh
    heartbeat."""
    now = cluster.now
    return cluster.with_node(attrs.evolve(node, created=now, last_heartbeat=now, lease_renew_time=now))


def register_new_node(cluster: Cluster, node: Node) -> Cluster:
    """A new machine joins: registered by its kubelet, with no Ready condition and no Lease until
    the kubelet posts status and renews it; the NodeTaint admission plugin adds the
    not-ready:NoSchedule taint unless ``nodeTaintAdmission`` is off (kmodel.partitions)."""
    new = attrs.evolve(
        node, created=cluster.now, ready=COND_NONE, ready_reason="", last_heartbeat=None, lease_renew_time=None
    )
    if cluster.settings.node_taint_admission:
        new = apiserver.admit_node(new, cluster.now)
    return cluster.with_node(new)


def forbidden(cluster: Cluster, m: Manifest) -> str | None:
    """The apiserver's error when admission refuses to create ``m`` now (a pod naming a missing
    PriorityClass, a second globalDefault PriorityClass), else None."""
    obj = namespaces.place(m).obj
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


ApplyHook = Callable[[Cluster, Manifest], tuple[Cluster, str]]
# kind-specific apply: the model class of a manifest's object -> a function that creates or
# updates it (see register_apply)
APPLY_HOOKS: dict[type, ApplyHook] = {}


def register_apply(cls: type, hook: ApplyHook, api_group: str | None = None) -> None:
    """Teach ``apply`` (the scenario's objects and the timeline's ``apply FILE``) a new kind:
    ``hook(cluster, manifest)`` returns the new state and kubectl's word (``created``,
    ``configured``, ``unchanged``); ``api_group`` is how kubectl names it in its output (e.g.
    ``statefulset.apps``). The rest (the apiserver being down, refusals, events) is generic."""
    APPLY_HOOKS[cls] = hook
    if api_group is not None:
        _API_GROUP[cls.__name__] = api_group


def apply_object(cluster: Cluster, m: Manifest) -> tuple[Cluster, str]:
    """Create or update one object; returns the new state and kubectl's word for what happened
    (``forbidden`` when admission refuses it: see :func:`forbidden`)."""
    m = namespaces.place(m)  # keyed by its namespace (kmodel.namespaces)
    obj = m.obj
    if forbidden(cluster, m) is not None:
        return cluster, "forbidden"
    hook = APPLY_HOOKS.get(type(obj))
    if hook is not None:
        return hook(cluster, m)
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
            return register_new_node(cluster, obj), "created"
        upd = attrs.evolve(
            old,
            labels=obj.labels,
            unschedulable=obj.unschedulable,
            capacity=obj.capacity,
            taints=_merge_spec_taints(old, obj),
        )
        return cluster.with_node(upd), "configured" if upd != old else "unchanged"
    if isinstance(obj, Pod):
        old_pod = cluster.pod(obj.name)
        if old_pod is not None:
            # a pod's spec is immutable (the fields kmodel reads); its labels may change
            upd_pod = attrs.evolve(old_pod, labels=obj.labels)
            return cluster.with_pod(upd_pod), "configured" if upd_pod != old_pod else "unchanged"
        return apiserver.create_pod(cluster, obj), "created"
    if isinstance(obj, Deployment):
        return apply_deployment(cluster, obj)
    spec = _SPEC_UPDATES.get(type(obj))
    if spec is not None:
        find, put, fields = spec
        return update_spec(cluster, obj, getattr(cluster, find), getattr(cluster, put), fields)
    raise AssertionError(f"apply of an unmodelled kind {type(obj).__name__}")


def update_spec(
    cluster: Cluster,
    obj: Any,
    find: Callable[[str], Any],
    put: Callable[[Any], Cluster],
    fields: tuple[str, ...],
) -> tuple[Cluster, str]:
    """kubectl apply of an object whose kind keeps its status apart from its spec: created when
    ``find(obj.name)`` has none, else the stored one takes ``fields`` from ``obj`` (the fields an
    update may change; the others, and the status, stay) and kubectl's word says whether that
    changed anything."""
    old = find(obj.name)
    if old is None:
        return put(obj), "created"
    new = attrs.evolve(old, **{f: getattr(obj, f) for f in fields})
    return put(new), "configured" if new != old else "unchanged"


def apply_deployment(cluster: Cluster, obj: Deployment) -> tuple[Cluster, str]:
    """kubectl apply of a Deployment, with client-side apply's three-way merge of spec.replicas
    (kubectl keeps the applied manifest in the kubectl.kubernetes.io/last-applied-configuration
    annotation and patches the live object by the difference):

    - the new manifest has replicas: it is set (whatever the HPA or ``kubectl scale`` set since);
    - the new manifest has none, the last applied one had: the field is removed by the patch and
      the apiserver's defaulting sets it to 1 (what undercuts an HPA until its next sync);
    - neither has: the patch does not touch it, the live value (e.g. the HPA's) stays.

    A Deployment created without replicas gets the default 1. ``applied_replicas`` records
    whether the last applied manifest had the field."""
    old = cluster.deployment(obj.name)
    if old is None:
        return cluster.with_deployment(obj), "created"
    if obj.applied_replicas or old.applied_replicas:
        replicas = obj.replicas  # set, or removed and defaulted to 1 (obj.replicas is 1 then)
    else:
        replicas = old.replicas
    return update_spec(
        cluster,
        attrs.evolve(obj, replicas=replicas),
        cluster.deployment,
        cluster.with_deployment,
        (*_SPEC_UPDATES[Deployment][2], "applied_replicas"),
    )


# kind -> (Cluster lookup, Cluster update, the spec fields an apply may change) for update_spec
_SPEC_UPDATES: dict[type, tuple[str, str, tuple[str, ...]]] = {
    Deployment: (
        "deployment",
        "with_deployment",
        (
            "replicas",
            "template",
            "max_surge",
            "max_unavailable",
            "min_ready_seconds",
            "strategy",
            "revision_history_limit",
            "progress_deadline_seconds",
            "paused",
        ),
    ),
    ReplicaSet: ("replicaset", "with_replicaset", ("replicas", "template", "min_ready_seconds")),
    # selector, serviceName, podManagementPolicy and volumeClaimTemplates are immutable (the
    # apiserver refuses other changes; kmodel keeps the old ones)
    StatefulSet: (
        "statefulset",
        "with_statefulset",
        (
            "replicas",
            "template",
            "update_strategy",
            "partition",
            "max_unavailable",
            "min_ready_seconds",
            "start_ordinal",
        ),
    ),
    # a Job's pod template is immutable; what may change: parallelism, suspend,
    # activeDeadlineSeconds (and the scenario's behaviour of its containers)
    Job: ("job", "with_job", ("parallelism", "suspend", "active_deadline_seconds", "behaviour")),
    DaemonSet: (
        "daemonset",
        "with_daemonset",
        ("selector", "template", "labels", "strategy", "max_unavailable", "max_surge", "min_ready_seconds"),
    ),
    Service: ("service", "with_service", ("selector", "publish_not_ready_addresses")),
    HorizontalPodAutoscaler: (
        "hpa",
        "with_hpa",
        ("target_kind", "target_name", "min_replicas", "max_replicas", "metrics", "behavior"),
    ),
}


def _merge_spec_taints(old: Node, new: Node) -> tuple[Taint, ...]:
    """Taints the controllers manage stay; the user's taints are replaced by the manifest's."""
    managed = tuple(t for t in old.taints if t.key.startswith("node.kubernetes.io/"))
    return managed + tuple(t for t in new.taints if not any(t.same(m) for m in managed))


_API_GROUP = {
    "Deployment": "deployment.apps",
    "ReplicaSet": "replicaset.apps",
    "DaemonSet": "daemonset.apps",
    "PriorityClass": "priorityclass.scheduling.k8s.io",
    "StatefulSet": "statefulset.apps",
    "Job": "job.batch",
    "HorizontalPodAutoscaler": "horizontalpodautoscaler.autoscaling",
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
            refusals.append((f"{m.kind.lower()}/{_keyed(m)}", f"Error from server ({kind_}): {error}"))
            continue
        out, word = apply_object(out, m)
        kind = _API_GROUP.get(m.kind, m.kind.lower())
        events.append(Event(cluster.now, SOURCE, "Applied", f"{m.kind.lower()}/{_keyed(m)}", f"{kind}/{m.name} {word}"))
    invalid = tuple(refusals)
    for obj, message in invalid:
        events.append(Event(cluster.now, SOURCE, "Refused", obj, message, "Warning"))
    if invalid:
        label += f" ({len(invalid)} object{'s' if len(invalid) > 1 else ''} refused)"
    return Outcome("user", label, out, tuple(events))


def _keyed(m: Manifest) -> str:
    """The object's name with its namespace (kmodel.namespaces.key), for an event's object."""
    return m.name if m.kind in namespaces.CLUSTER_SCOPED else namespaces.key(m.namespace, m.name)


def scale(cluster: Cluster, kind: str, name: str, replicas: int) -> Outcome:
    label = f"kubectl scale {kind}/{name} --replicas={replicas}"
    if not cluster.apiserver_available:
        return refused(cluster, label, f"{kind}/{name}")
    if kind == "deployment":
        d = cluster.deployment(name)
        if d is None:
            return _not_found(cluster, label, kind, name)
        out = cluster.with_deployment(attrs.evolve(d, replicas=replicas))
    elif kind == "statefulset":
        ss = cluster.statefulset(name)
        if ss is None:
            return _not_found(cluster, label, kind, name)
        out = cluster.with_statefulset(attrs.evolve(ss, replicas=replicas))
        return _done(out, label, f"{kind}/{name}", f"statefulset.apps/{name} scaled", "Scaled")
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
        elif kind == "statefulset":
            out = attrs.evolve(out, statefulsets=remove(out.statefulsets, name))
        elif kind == "job":
            # background cascading deletion: the garbage collector deletes its pods
            out = attrs.evolve(out, jobs=remove(out.jobs, name))
        elif kind == "daemonset":
            out = attrs.evolve(out, daemonsets=remove(out.daemonsets, name))
        elif kind == "horizontalpodautoscaler":
            # the target keeps the count the HPA last set; the controller forgets its memory
            out = attrs.evolve(out, hpas=remove(out.hpas, name))
        elif kind == "poddisruptionbudget":
            out = attrs.evolve(out, pdbs=remove(out.pdbs, name))
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


# --- taint (kubectl's whole syntax), label, annotate ---------------------------------------------

POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
# annotations whose effect kmodel models when `annotate` sets them (every other annotation
# changes nothing kmodel models, or is refused when parsed: kmodel.fieldpolicy.BEHAVIOUR_ANNOTATIONS)
MODELLED_ANNOTATIONS = (POD_DELETION_COST,)
PodDeletionCostSince = 22  # the PodDeletionCost feature gate is on by default from 1.22 (beta)


def _error(cluster: Cluster, label: str, obj: str, message: str) -> Outcome:
    """kubectl printed an error and changed nothing."""
    event = Event(cluster.now, SOURCE, "Refused", obj, f"error: {message}", "Warning")
    return Outcome("user", f"{label} (error)", cluster, (event,))


def taint_all(
    cluster: Cluster, name: str, changes: tuple[tuple[Taint | str, bool], ...], overwrite: bool = False
) -> Outcome:
    """``kubectl taint node NAME key[=value]:Effect ... key:Effect- key- [--overwrite]``: every
    change or none (kubectl's reorganizeTaints). Adding a taint whose key and effect the node
    already has needs ``--overwrite``; removing one the node does not have is an error; ``key-``
    removes every taint with that key."""
    words = [(c if isinstance(c, str) else c.show()) + ("-" if remove_it else "") for c, remove_it in changes]
    label = f"kubectl taint node {name} {' '.join(words)}" + (" --overwrite" if overwrite else "")
    if not cluster.apiserver_available:
        return refused(cluster, label, f"node/{name}")
    node = cluster.node(name)
    if node is None:
        return _not_found(cluster, label, "node", name)
    taints = list(node.taints)
    for change, remove_it in changes:
        if remove_it:
            if isinstance(change, str):
                kept = [t for t in taints if t.key != change]
                shown_ = change
            else:
                kept = [t for t in taints if not t.same(change)]
                shown_ = f"{change.key}:{change.effect}"
            if len(kept) == len(taints):
                return _error(cluster, label, f"node/{name}", f'taint "{shown_}" not found')
            taints = kept
            continue
        assert isinstance(change, Taint)
        if any(t.same(change) for t in taints) and not overwrite:
            return _error(
                cluster,
                label,
                f"node/{name}",
                f"node {name} already has {change.key} taint(s) with same effect(s) and --overwrite is false",
            )
        added = change if change.effect != "NoExecute" else attrs.evolve(change, time_added=cluster.now)
        taints = [t for t in taints if not t.same(change)] + [added]
    out = cluster.with_node(attrs.evolve(node, taints=tuple(taints)))
    word = "untainted" if all(remove_it for _, remove_it in changes) else "tainted"
    return _done(out, label, f"node/{name}", f"node/{name} {word}")


def relabel(
    cluster: Cluster,
    verb: str,
    kind: str,
    names: list[str],
    pattern: str,
    changes: tuple[tuple[str, str | None], ...],
    overwrite: bool = False,
) -> Outcome:
    """``kubectl label`` (nodes, pods) and ``kubectl annotate`` (nodes, pods, Deployments,
    ReplicaSets, Services): ``key=value`` sets, ``key-`` removes; changing a key's value needs
    ``--overwrite`` (kubectl's "'KEY' already has a value (VALUE), and --overwrite is false").

    Labels are modelled: selectors, Services, ReplicaSet adoption, node affinity and zones read
    them. kmodel keeps no annotations, because none changes what it models except
    ``controller.kubernetes.io/pod-deletion-cost`` on a pod (the ReplicaSet controller deletes
    lower costs first, from Kubernetes 1.22 on): an annotation only records the event, and a
    missing key to remove is not an error (kubectl ignores it too)."""
    words = [k + ("-" if v is None else f"={v}") for k, v in changes]
    label = f"kubectl {verb} {kind}/{pattern} {' '.join(words)}" + (" --overwrite" if overwrite else "")
    if not cluster.apiserver_available:
        return refused(cluster, label, f"{kind}/{pattern}")
    if not names:
        return _not_found(cluster, label, kind, pattern)
    out = cluster
    events = []
    done = "labeled" if verb == "label" else "annotated"
    for name in names:
        obj = f"{kind}/{name}"
        if verb == "label":
            target = out.node(name) if kind == "node" else out.pod(name)
            assert target is not None
            labels = dict(target.labels)
            for key, value in changes:
                if value is not None and key in labels and labels[key] != value and not overwrite:
                    return _error(
                        cluster, label, obj, f"'{key}' already has a value ({labels[key]}), and --overwrite is false"
                    )
                if value is None:
                    labels.pop(key, None)
                else:
                    labels[key] = value
            new_labels = tuple(sorted(labels.items()))
            if isinstance(target, Node):
                out = out.with_node(attrs.evolve(target, labels=new_labels))
            else:
                out = out.with_pod(attrs.evolve(target, labels=new_labels))
            word = done if new_labels != target.labels else "not labeled"
        else:
            word = done
            pod = out.pod(name) if kind == "pod" else None
            for key, value in changes:
                if key != POD_DELETION_COST or pod is None:
                    continue
                if value is not None and pod.deletion_cost and str(pod.deletion_cost) != value and not overwrite:
                    return _error(
                        cluster,
                        label,
                        obj,
                        f"'{key}' already has a value ({pod.deletion_cost}), and --overwrite is false",
                    )
                cost = int(value) if value is not None else 0
                if minor_of(cluster.settings.kubernetes_version) < PodDeletionCostSince:
                    cost = 0  # the feature gate is off: the controller ignores the annotation
                pod = attrs.evolve(pod, deletion_cost=cost)
                out = out.with_pod(pod)
        events.append(Event(cluster.now, SOURCE, done.capitalize(), obj, f"{obj} {word}"))
    return Outcome("user", label, out, tuple(events))


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


def _rollout_error(cluster: Cluster, label: str, name: str, message: str) -> Outcome:
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
        return _rollout_error(
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
        return _rollout_error(
            cluster, label, name, f'deployments.apps "{name}" is {"already" if pause else "not"} paused'
        )
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
        return _rollout_error(
            cluster,
            label,
            name,
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
        )
    history = {rs.revision: rs for rs in cluster.replicasets if rs.owner == name}
    if to_revision == 0:
        if len(history) < 2:
            return _rollout_error(cluster, label, name, f'no rollout history found for deployment "{name}"')
        target = history[sorted(history)[-2]]
    elif to_revision in history:
        target = history[to_revision]
    else:
        return _rollout_error(cluster, label, name, f"unable to find specified revision {to_revision} in history")
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
        return _rollout_error(cluster, label, name, f'unable to find container named "{container}"')
    images = tuple(image if container in ("*", n) else old for n, old in zip(names, t.images, strict=False))
    if images == t.images:
        return _done(cluster, f"{label} (unchanged)", f"deployment/{name}", f"deployment.apps/{name} unchanged")
    out = cluster.with_deployment(_retemplate(d, images=images))
    return _done(out, label, f"deployment/{name}", f"deployment.apps/{name} image updated", "ImageUpdated")


# --- PodDisruptionBudgets (kmodel.components.disruption) --------------------------------------

from kmodel.components import disruption as _disruption  # noqa: E402
from kmodel.state import PodDisruptionBudget as _PodDisruptionBudget  # noqa: E402

register_apply(_PodDisruptionBudget, _disruption.apply_pdb, "poddisruptionbudget.policy")
