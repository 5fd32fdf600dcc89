"""Plain-text output shaped like kubectl's: aligned columns, one block per change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kmodel.settings import format_duration
from kmodel.transition import Event


def columns(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Align columns with three spaces between them, as kubectl's tabwriter does."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r, widths, strict=True)]
        out.append(indent + "   ".join(cells).rstrip())
    return out


def t(seconds: int) -> str:
    return format_duration(seconds) if seconds else "0s"


def snapshot_lines(snap: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    node_rows = [["NAME", "STATUS", "ROLES", "MACHINE", "TAINTS"]]
    for n in snap["nodes"]:
        node_rows.append(
            [f"node/{n['name']}", n["status"], n["roles"], n["machine"], ",".join(n["taints"]) or "<none>"]
        )
    lines += columns(node_rows)
    lines.append("")
    if snap["pods"]:
        # kubectl get pods -o wide's NOMINATED NODE column, shown while some pod has one
        nominated = any(p.get("nominatedNode") for p in snap["pods"])
        pod_rows = [["NAME", "READY", "STATUS", "RESTARTS", "NODE"] + (["NOMINATED NODE"] if nominated else [])]
        for p in snap["pods"]:
            pod_rows.append(
                [
                    f"pod/{p['name']}",
                    p["readyContainers"],
                    p["status"],
                    str(p["restarts"]),
                    p["node"] or "<none>",
                ]
                + ([p.get("nominatedNode") or "<none>"] if nominated else [])
            )
        lines += columns(_namespaced(pod_rows, snap["pods"]))
    else:
        lines.append("No pods.")
    if snap["deployments"]:
        lines.append("")
        dep_rows = [["NAME", "READY", "UP-TO-DATE", "AVAILABLE"]]
        conditions = any(d.get("conditions") for d in snap["deployments"])
        if conditions:
            dep_rows[0].append("CONDITIONS")
        for d in snap["deployments"]:
            dep_rows.append([f"deployment.apps/{d['name']}", d["ready"], str(d["upToDate"]), str(d["available"])])
            if conditions:
                dep_rows[-1].append(d.get("conditions") or "<none>")
        lines += columns(_namespaced(dep_rows, snap["deployments"]))
    if snap.get("horizontalpodautoscalers"):
        lines.append("")
        hpa_rows = [["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS"]]
        for h in snap["horizontalpodautoscalers"]:
            hpa_rows.append(
                [
                    f"horizontalpodautoscaler.autoscaling/{h['name']}",
                    h["reference"],
                    h["targets"],
                    str(h["minPods"]),
                    str(h["maxPods"]),
                    str(h["replicas"]),
                ]
            )
        lines += columns(_namespaced(hpa_rows, snap["horizontalpodautoscalers"]))
    if snap.get("statefulsets"):
        lines.append("")
        sts_rows = [["NAME", "READY"]]
        for s in snap["statefulsets"]:
            sts_rows.append([f"statefulset.apps/{s['name']}", s["ready"]])
        lines += columns(_namespaced(sts_rows, snap["statefulsets"]))
    if snap.get("jobs"):
        lines.append("")
        job_rows = [["NAME", "STATUS", "COMPLETIONS", "ACTIVE", "FAILED"]]
        for j in snap["jobs"]:
            job_rows.append(
                [f"job.batch/{j['name']}", j["status"], j["completions"], str(j["active"]), str(j["failed"])]
            )
        lines += columns(_namespaced(job_rows, snap["jobs"]))
    if snap.get("poddisruptionbudgets"):
        lines.append("")
        pdb_rows = [["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS"]]
        for b in snap["poddisruptionbudgets"]:
            pdb_rows.append(
                [
                    f"poddisruptionbudget.policy/{b['name']}",
                    b["minAvailable"],
                    b["maxUnavailable"],
                    str(b["allowedDisruptions"]),
                ]
            )
        lines += columns(pdb_rows)
    if snap.get("drains"):
        lines.append("")
        drain_rows = [["KUBECTL DRAIN", "STATUS", "EVICTING", "WAITING FOR"]]
        for d in snap["drains"]:
            drain_rows.append(
                [f"node/{d['name']}", d["status"], ",".join(d["evicting"]) or "-", ",".join(d["waitingFor"]) or "-"]
            )
        lines += columns(drain_rows)
    if snap["services"]:
        lines.append("")
        svc_rows = [["NAME", "ENDPOINTS"]]
        for s in snap["services"]:
            svc_rows.append([f"service/{s['name']}", ",".join(s["endpoints"]) or "<none>"])
        lines += columns(_namespaced(svc_rows, snap["services"]))
    cp = snap["controlPlane"]
    down = [
        name
        for name, key in (
            ("apiserver", "apiserver"),
            ("etcd", "etcd"),
            ("scheduler", "scheduler"),
            ("controller-manager", "controllerManager"),
        )
        if not cp[key]
    ]
    if not cp["hostUp"]:
        lines.append("")
        lines.append("control plane: its host is powered off (apiserver, etcd, scheduler, controller-manager down)")
    elif down:
        lines.append("")
        lines.append(f"control plane: stopped: {', '.join(down)}")
    return lines


def event_lines(events: Sequence[Event], indent: str = "") -> list[str]:
    # kubectl get events -A: a NAMESPACE column when an event's object is outside default (an
    # object kmodel keys by its namespace: kind/NAMESPACE/NAME; see kmodel.namespaces)
    spaced = any(e.object.count("/") > 1 for e in events)
    rows = [["T", "TYPE", "SOURCE", "REASON", *(["NAMESPACE"] if spaced else []), "OBJECT", "MESSAGE"]]
    for e in events:
        obj, ns = e.object, []
        if spaced:
            kind, _, name = e.object.partition("/")
            cluster_scoped = kind in ("node", "component", "file", "priorityclass") or not name
            ns = ["" if cluster_scoped else name.split("/", 1)[0] if "/" in name else "default"]
            obj = f"{kind}/{name.split('/', 1)[-1]}" if name else kind
        rows.append([t(e.t), e.type, e.source, e.reason, *ns, obj, e.message])
    return columns(rows, indent)


def _namespaced(rows: list[list[str]], items: Sequence[dict[str, Any]]) -> list[list[str]]:
    """``kubectl get -A``: a NAMESPACE column first when the rows carry their namespace."""
    if not items or "namespace" not in items[0]:
        return rows
    return [["NAMESPACE", *rows[0]], *([item["namespace"], *row] for item, row in zip(items, rows[1:], strict=True))]


def simulation_text(header: str, snapshots: list[dict[str, Any]], events: list[Event]) -> str:
    lines = [header]
    i = 0
    for snap in snapshots:
        batch = []
        while i < len(events) and events[i].t <= snap["t"]:
            batch.append(events[i])
            i += 1
        lines.append("")
        lines.append(f"=== t={t(snap['t'])} " + "=" * 60)
        if batch:
            lines += event_lines(batch, "  ")
            lines.append("")
        lines += snapshot_lines(snap)
    if i < len(events):
        lines.append("")
        lines.append("=== later events (no visible change) ===")
        lines += event_lines(events[i:], "  ")
    return "\n".join(lines) + "\n"
