"""What ``kubectl get nodes,pods,deployments -o wide`` would show for a state, as plain data."""

from __future__ import annotations

from typing import Any

from kmodel import podindex
from kmodel.namespaces import DEFAULT, local_name, namespace_of, namespaces_in
from kmodel.podseq import ChunkedSeq
from kmodel.state import (
    COND_NONE,
    COND_TRUE,
    FAILED,
    JOB_COMPLETE,
    JOB_FAILED,
    JOB_FAILURE_TARGET,
    JOB_SUCCESS_CRITERIA_MET,
    JOB_SUSPENDED,
    PENDING,
    SUCCEEDED,
    Cluster,
    Deployment,
    HorizontalPodAutoscaler,
    Job,
    Node,
    Pod,
    pods_by_node,
)


def node_status(node: Node) -> str:
    """kubectl's STATUS column for a node."""
    # printNode: "Ready" / "NotReady" from the Ready condition, "Unknown" when there is none
    status = "Ready" if node.ready == COND_TRUE else "Unknown" if node.ready == COND_NONE else "NotReady"
    if node.unschedulable:
        status += ",SchedulingDisabled"
    return status


def pod_status(pod: Pod) -> str:
    """kubectl's STATUS column for a pod (the cases the model can produce)."""
    if pod.deletion_timestamp is not None:
        return "Terminating"
    if pod.node_name is None:
        return PENDING
    if pod.phase == PENDING:
        return "ContainerCreating"
    if pod.status_reason:
        return pod.status_reason  # a rejected pod shows its reason (OutOfcpu, NodeAffinity...)
    if pod.behaviour is not None and pod.finished_at is not None:
        # a container that exited: its terminated reason, or the wait before its restart
        if pod.phase == SUCCEEDED:
            return "Completed"
        return "Error" if pod.phase == FAILED else "CrashLoopBackOff"
    if pod.probe is not None and pod.probe.exited is not None:
        return "CrashLoopBackOff"  # a probe killed the container; it waits for its restart
    return pod.phase


def job_status(job: Job) -> str:
    """kubectl's STATUS column for a Job (1.30 on): the terminal condition, else the interim
    one, Suspended, or Running."""
    for kind, shown in (
        (JOB_COMPLETE, "Complete"),
        (JOB_FAILED, "Failed"),
        (JOB_FAILURE_TARGET, "FailureTarget"),
        (JOB_SUCCESS_CRITERIA_MET, "SuccessCriteriaMet"),
        (JOB_SUSPENDED, "Suspended"),
    ):
        if job.condition(kind) is not None:
            return shown
    return "Running"


def view(cluster: Cluster, memo: PodRows | None = None) -> dict[str, Any]:
    """The observable state (no clock): used to decide when something changed. Objects are
    named as kubectl names them; with objects in more than one namespace each row carries its
    ``namespace`` too (``kubectl get -A``'s NAMESPACE column). ``memo``: see :class:`PodRows`."""
    several = _several_namespaces(cluster)
    out = _view(cluster, several, memo)
    for kind in ("deployments", "services", "horizontalpodautoscalers", "statefulsets", "jobs"):
        for row in out.get(kind, ()):
            name = row["name"]
            if several:
                row["namespace"] = namespace_of(name)
            if "/" in name:
                row["name"] = local_name(name)
                if kind == "services":
                    row["endpoints"] = [local_name(e) for e in row["endpoints"]]
    return out


def row_key(item: dict[str, Any]) -> str:
    """A view row's identity: its name, with its namespace (``team-a/web``) when the view shows
    namespaces (two rows may share a name then)."""
    ns = item.get("namespace")
    return f"{ns}/{item['name']}" if ns else str(item["name"])


def _several_namespaces(cluster: Cluster) -> bool:
    names = (
        *(d.name for d in cluster.deployments),
        *(s.name for s in cluster.services),
        *(s.name for s in cluster.statefulsets),
        *(j.name for j in cluster.jobs),
        *(h.name for h in cluster.hpas),
    )
    spaces = namespaces_in(names)
    if cluster.pods:
        # (the pods index counts the pods named in a namespace: with none, every pod is in the
        # default namespace, and their names need not be read)
        if podindex.index(cluster.pods).count(_NAMESPACED):
            spaces |= namespaces_in(p.name for p in cluster.pods)
        else:
            spaces.add(DEFAULT)
    return len(spaces) > 1


_NAMESPACED = podindex.counter("view.namespaced", lambda p: "/" in p.name)


def _orphans(cluster: Cluster, n: Node) -> list[str]:
    if not n.powered or not n.running:
        return []
    # the pods bound to n (from the pods index): a name running here and not among them is
    # either gone or bound elsewhere (kept by node while its running set and its group of
    # pods are the very same objects)
    group = pods_by_node(cluster.pods).get(n.name, ())
    found = _orphans_of.get(n.name)
    if found is not None and found[0] is n.running and found[1] is group:
        return list(found[2])
    here = {p.name for p in group}
    out = sorted(name for name in n.running if name not in here)
    if len(_orphans_of) > 100_000:
        _orphans_of.clear()
    _orphans_of[n.name] = (n.running, group, tuple(out))
    return out


_orphans_of: dict[str, tuple[frozenset[str], object, tuple[str, ...]]] = {}


class PodRows:
    """The pod rows of the last view taken with it, by pod object: a pod that did not change
    shows the very same row object again (``kmodel simulate``, whose snapshots then share it;
    its rows must not be changed). Simulate's pods are a ChunkedSeq (kmodel.podseq): the rows
    of a chunk that is the very same object as in the last view are taken as a whole."""

    def __init__(self) -> None:
        self.parts: dict[int, tuple[tuple[Pod, ...], bool, list[dict[str, Any]]]] = {}
        self.rows: dict[int, tuple[Pod, bool, dict[str, Any]]] = {}


def _pod_rows(cluster: Cluster, several: bool, memo: PodRows | None) -> list[dict[str, Any]]:
    pods = cluster.pods
    if memo is None:
        return [_pod_row(p, several) for p in pods]
    parts = pods.chunks() if type(pods) is ChunkedSeq else (pods,)
    last_parts, last_rows = memo.parts, memo.rows
    parts_kept: dict[int, tuple[tuple[Pod, ...], bool, list[dict[str, Any]]]] = {}
    rows_kept: dict[int, tuple[Pod, bool, dict[str, Any]]] = {}  # (the pods of the parts built)
    rows: list[dict[str, Any]] = []
    for part in parts:
        found = last_parts.get(id(part))
        if found is not None and found[0] is part and found[1] == several:
            made = found[2]
        else:
            made = []
            for p in part:
                seen = last_rows.get(id(p))
                row = seen[2] if seen is not None and seen[0] is p and seen[1] == several else _pod_row(p, several)
                rows_kept[id(p)] = (p, several, row)
                made.append(row)
        parts_kept[id(part)] = (part, several, made)
        rows.extend(made)
    memo.parts, memo.rows = parts_kept, rows_kept
    return rows


def _pod_row(p: Pod, several: bool) -> dict[str, Any]:
    row = {
        "name": p.name,
        "node": p.node_name,
        "status": pod_status(p),
        "ready": p.ready,
        "readyContainers": f"{int(p.containers_ready)}/1",
        "restarts": p.restarts,
        # status.nominatedNodeName, only when preemption set it (views stay as they were)
        **({"nominatedNode": p.nominated_node_name} if p.nominated_node_name else {}),
    }
    name = p.name
    if several:
        row["namespace"] = namespace_of(name)
    if "/" in name:
        row["name"] = local_name(name)
    return row


def _view(cluster: Cluster, several: bool, memo: PodRows | None) -> dict[str, Any]:
    return {
        "nodes": [
            {
                "name": n.name,
                "status": node_status(n),
                "condition": n.ready,
                "roles": "control-plane" if n.control_plane else "<none>",
                "taints": [t.show() for t in n.taints],
                "machine": ("on" if n.powered else "off")
                + ("" if n.kubelet_running else ", kubelet stopped")
                + ("" if n.runtime_ready else ", runtime down")
                + (", partitioned" if n.partitioned else ""),
                # containers the machine runs with no API pod bound to it (a pod force-deleted or
                # bound elsewhere while this machine was cut off): no kubectl column shows them
                **({"stillRuns": orphans} if (orphans := _orphans(cluster, n)) else {}),
            }
            for n in cluster.nodes
        ],
        "pods": _pod_rows(cluster, several, memo),
        "deployments": [
            {
                "name": d.name,
                "ready": f"{d.status_ready}/{d.replicas}",
                "upToDate": d.status_updated,
                "available": d.status_available,
                # status.conditions (type=status reason), when the controller has set any
                **({"conditions": _deployment_conditions(d)} if d.available or d.progressing else {}),
            }
            for d in cluster.deployments
        ],
        "services": [{"name": s.name, "endpoints": list(s.endpoints)} for s in cluster.services],
        # kubectl get hpa, only when there are any
        **({"horizontalpodautoscalers": [_hpa_row(h) for h in cluster.hpas]} if cluster.hpas else {}),
        # kubectl get statefulsets, only when there are any (views of other scenarios stay as they were)
        **(
            {
                "statefulsets": [
                    {"name": s.name, "ready": f"{s.status_ready}/{s.replicas}"} for s in cluster.statefulsets
                ]
            }
            if cluster.statefulsets
            else {}
        ),
        # only when there are Jobs (the views of other scenarios stay as they were)
        **(
            {
                "jobs": [
                    {
                        "name": j.name,
                        "status": job_status(j),
                        "completions": f"{j.status_succeeded}/{j.completions if j.completions is not None else 1}",
                        "active": j.status_active,
                        "failed": j.status_failed,
                    }
                    for j in cluster.jobs
                ]
            }
            if cluster.jobs
            else {}
        ),
        # kubectl get poddisruptionbudgets, only when there are any
        **(
            {
                "poddisruptionbudgets": [
                    {
                        "name": b.name,
                        "minAvailable": b.min_available if b.min_available is not None else "N/A",
                        "maxUnavailable": b.max_unavailable if b.max_unavailable is not None else "N/A",
                        "allowedDisruptions": b.disruptions_allowed,
                    }
                    for b in cluster.pdbs
                ]
            }
            if cluster.pdbs
            else {}
        ),
        # kubectl drain runs, only when there are any
        **(
            {
                "drains": [
                    {
                        "name": d.node,
                        "status": "running" if d.running else ("drained" if d.outcome == "drained" else "failed"),
                        "evicting": list(d.pending),
                        "waitingFor": list(d.waiting),
                    }
                    for d in cluster.drains
                ]
            }
            if cluster.drains
            else {}
        ),
        "controlPlane": _control_plane(cluster),
    }


def _control_plane(cluster: Cluster) -> dict[str, bool]:
    """Up or down, per control-plane role; with several control-plane machines (kmodel.ha):
    whether some apiserver answers, etcd has quorum, a scheduler and a controller-manager
    leader act."""
    ha = cluster.ha
    if ha is not None:
        return {
            "apiserver": cluster.apiserver_available,
            "etcd": ha.quorum(cluster),
            "scheduler": cluster.scheduler_active,
            "controllerManager": cluster.controller_manager_active,
            "hostUp": cluster.control_plane_host_up,
        }
    return {
        "apiserver": cluster.control_plane.apiserver,
        "etcd": cluster.control_plane.etcd,
        "scheduler": cluster.control_plane.scheduler,
        "controllerManager": cluster.control_plane.controller_manager,
        "hostUp": cluster.control_plane_host_up,
    }


def show_value(value: object) -> str:
    """A view field as the change lines print it: lists in brackets, ``None`` as ``none``."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value is None:
        return "none"
    return str(value)


def _deployment_conditions(d: Deployment) -> str:
    """``kubectl describe deployment``'s Conditions, one line: Available then Progressing."""
    reason = "MinimumReplicasAvailable" if d.available == "True" else "MinimumReplicasUnavailable"
    parts = [f"Available={d.available} {reason}"] if d.available else []
    if d.progressing:
        parts.append(f"Progressing={d.progressing} {d.progressing_reason}")
    return ", ".join(parts)


def _hpa_row(h: HorizontalPodAutoscaler) -> dict[str, Any]:
    """A row of ``kubectl get hpa``: the TARGETS column is ``cpu: 80%/60%`` per metric
    (``<unknown>`` before the controller has a value), REPLICAS status.currentReplicas."""
    current = dict(h.current_metrics)
    targets = []
    for m in h.metrics:
        want = f"{m.value}%" if m.kind == "Utilization" else _quantity(m.resource, m.value)
        have = current.get(m.resource)
        if have is None:
            shown = "<unknown>"
        else:
            shown = f"{have}%" if m.kind == "Utilization" else _quantity(m.resource, have)
        targets.append(f"{m.resource}: {shown}/{want}")
    return {
        "name": h.name,
        "reference": f"{h.target_kind}/{local_name(h.target_name)}",
        "targets": ", ".join(targets),
        "minPods": h.min_replicas,
        "maxPods": h.max_replicas,
        "replicas": h.current_replicas,
    }


def _quantity(resource: str, value: int) -> str:
    if resource == "cpu":
        return f"{value}m"
    return f"{value // 1024**2}Mi" if value % 1024**2 == 0 else str(value)
