"""The load model: how much CPU and memory each workload's pods use (the Scenario's ``load:``).

Nothing in the API says how busy a container is; the metrics server measures it. kmodel takes
that measurement from the scenario instead, per workload (``deployment/NAME``)::

    load:
      deployment/web: {cpu: 300m, memory: 200Mi}       # every running pod, all the time
      deployment/api:                                   # a timeline: from each time on
        - {at: 0s, cpu: 200m}
        - {at: 5m, cpu: 800m}
      deployment/shop:
        total: {cpu: 2000m}          # spread over the ready pods: 2000m / (ready pods) each
        startup: {cpu: 900m, for: 60s}   # a pod's first 60 s after it started use 900m
      deployment/bursty:
        cpu: {oneOf: [200m, 900m]}   # the checker may switch between these at any tick

Rules (what :func:`pod_usage` reports for one pod, what the metrics server would):

- only a Running pod that has started (status.startTime) and is not being deleted has a
  sample; a Pending pod has none;
- within ``startup.for`` seconds of its start a pod uses the ``startup`` value of a resource
  that the startup entry names;
- otherwise it uses the value in force now: the constant, or the timeline's latest point at or
  before now (times count from the scenario's start; before the first point there is no
  sample). With ``total``, the value is divided (rounded down) among the workload's Running,
  ready pods, and a pod that is not ready gets no share (it receives no traffic): it uses 0;
- a resource the entry does not give, or a workload without an entry, has no samples: the
  HPA controller then sees missing metrics exactly as with a metrics server that has none
  (``did not receive metrics for any ready pods`` when none has a sample).

Samples are taken when the HPA controller asks (every sync), fresh, with the metrics server's
default 15 s window (:data:`METRIC_WINDOW`), which is what the controller's CPU
initialization check compares with the pod's readiness time.

``oneOf`` is the only nondeterminism: with it, ``kmodel check`` may switch the value at the
start of any tick (an action of the environment, like a fault, but free); ``kmodel simulate``
keeps the first value. Keep the lists short: each value multiplies the states.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from kmodel import namespaces
from kmodel.errors import shown

if TYPE_CHECKING:
    from kmodel.manifests import Ctx, Manifest
    from kmodel.state import Cluster, Pod

RESOURCES = ("cpu", "memory")
METRIC_WINDOW = 15  # seconds: metrics-server's default --metric-resolution, the sample window
ENTRY_KEYS = ("cpu", "memory", "total", "startup", "timeline")


@frozen
class Usage:
    """CPU in millicores and memory in bytes; None: no sample of that resource."""

    cpu: int | None = None
    memory: int | None = None

    def get(self, resource: str) -> int | None:
        return self.cpu if resource == "cpu" else self.memory


@frozen
class WorkloadLoad:
    """The load of one workload (``kind``: "deployment"). ``points``: (from time, usage), sorted;
    ``total``: the values are the whole workload's, spread over its ready pods; ``choices``:
    the ``oneOf`` values (``points`` is then empty) and ``choice`` the one in force."""

    kind: str
    name: str
    points: tuple[tuple[int, Usage], ...] = ()
    total: bool = False
    startup: Usage | None = None
    startup_for: int = 0
    choices: tuple[Usage, ...] = ()
    choice: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"

    def value_at(self, now: int) -> Usage | None:
        if self.choices:
            return self.choices[self.choice]
        current = None
        for at, usage in self.points:
            if at <= now:
                current = usage
        return current

    def phase(self, now: int) -> tuple[int, int | None]:
        """What of ``now`` the future depends on: (the index of the point in force, seconds to
        the next point or None after the last). The checker's fingerprint uses it instead of
        the absolute time."""
        index = -1
        for i, (at, _) in enumerate(self.points):
            if at <= now:
                index = i
        nxt = self.points[index + 1][0] - now if index + 1 < len(self.points) else None
        return index, nxt

    @property
    def longest_time(self) -> int:
        """The largest age the load compares a pod's start with (the start-up spike)."""
        return self.startup_for


def workload_of(cluster: Cluster, pod: Pod) -> tuple[str, str] | None:
    """The workload that owns ``pod``: ("deployment", NAME) through its ReplicaSet, or the
    pod's own controller kind and name."""
    if pod.owner is None:
        return None
    if pod.owner_kind == "ReplicaSet":
        rs = cluster.replicaset(pod.owner)
        if rs is not None and rs.owner is not None:
            return "deployment", rs.owner
        return "replicaset", pod.owner
    return pod.owner_kind.lower(), pod.owner


def load_of(cluster: Cluster, kind: str, name: str) -> WorkloadLoad | None:
    for w in cluster.loads:
        if w.kind == kind and w.name == name:
            return w
    return None


def has_sample(pod: Pod) -> bool:
    """The metrics server has a sample of the pod: it runs, has started, is not being deleted."""
    from kmodel.state import RUNNING

    return pod.phase == RUNNING and pod.start_time is not None and pod.deletion_timestamp is None


def pod_usage(cluster: Cluster, pod: Pod, resource: str) -> int | None:
    """What the metrics server reports for ``pod``'s ``resource`` now (None: no sample)."""
    if not has_sample(pod):
        return None
    owner = workload_of(cluster, pod)
    if owner is None:
        return None
    w = load_of(cluster, *owner)
    if w is None:
        return None
    now = cluster.now
    assert pod.start_time is not None
    if w.startup is not None and now - pod.start_time < w.startup_for:
        spike = w.startup.get(resource)
        if spike is not None:
            return spike
    value = w.value_at(now)
    if value is None:
        return None
    amount = value.get(resource)
    if amount is None:
        return None
    if not w.total:
        return amount
    if not pod.ready:
        return 0
    ready = sum(1 for p in cluster.pods if p.ready and has_sample(p) and workload_of(cluster, p) == owner)
    return amount // max(ready, 1)


def switch_choice(cluster: Cluster, key: str, choice: int) -> Cluster:
    """The cluster with the ``oneOf`` value ``choice`` in force for workload ``key``."""
    loads = tuple(attrs.evolve(w, choice=choice) if w.key == key else w for w in cluster.loads)
    return attrs.evolve(cluster, loads=loads)


# --- the Scenario's load: section -------------------------------------------------------------


def parse_load(ctx: Ctx, raw: object, manifests: tuple[Manifest, ...]) -> tuple[WorkloadLoad, ...]:
    """The ``load:`` section (see the module docstring); ``manifests``: every object the
    scenario has or applies, to check that each named workload exists."""
    from kmodel.manifests import mapping

    m = mapping(ctx, raw)
    # a Deployment outside default is named NAMESPACE/NAME (kmodel.namespaces): deployment/team-a/web
    deployments = sorted({namespaces.key(x.namespace, x.name) for x in manifests if x.kind == "Deployment"})
    out = []
    for key, value in m.items():
        kctx = ctx.at(m, key)
        kind, _, name = str(key).partition("/")
        if kind != "deployment" or not name:
            raise kctx.error(
                f"unknown workload {shown(key)}", "name a Deployment as deployment/NAME (deployment/NAMESPACE/NAME)"
            )
        if name not in deployments:
            known = ", ".join(deployments) or "none"
            raise kctx.error(f"no Deployment named {shown(name)} in the scenario", f"use one of ({known})")
        out.append(_entry(kctx, kind, name, value))
    return tuple(sorted(out, key=lambda w: (w.kind, w.name)))


def _entry(ctx: Ctx, kind: str, name: str, raw: object) -> WorkloadLoad:
    from kmodel.manifests import mapping

    if isinstance(raw, list):
        return WorkloadLoad(kind, name, points=_timeline(ctx, raw))
    spec = mapping(ctx, raw, required=True)
    for field in spec:
        if field not in ENTRY_KEYS:
            raise ctx.at(spec, field).error(f"unknown field {shown(field)}", f"use {', '.join(ENTRY_KEYS)}")
    startup, startup_for = None, 0
    if "startup" in spec:
        sctx = ctx.at(spec, "startup")
        sm = mapping(sctx, spec["startup"], required=True)
        if "for" not in sm:
            raise sctx.error("for is missing", "say how long the spike lasts, e.g. for: 60s")
        startup_for = _duration(sctx.at(sm, "for"), sm["for"])
        startup = _usage(sctx, sm, extra=("for",))
    given = [k for k in ("cpu", "memory", "total", "timeline") if k in spec]
    if "total" in spec and ("cpu" in spec or "memory" in spec):
        raise ctx.at(spec, "total").error(
            "give either per-pod values (cpu, memory) or a total, not both", "keep one of them"
        )
    if "timeline" in spec and len(given) > 1:
        raise ctx.at(spec, "timeline").error("a timeline replaces cpu, memory and total", "keep one of them")
    total = False
    choices: tuple[Usage, ...] = ()
    points: tuple[tuple[int, Usage], ...] = ()
    if "timeline" in spec:
        points = _timeline(ctx.at(spec, "timeline"), spec["timeline"])
    elif given:
        holder, hctx = spec, ctx
        if "total" in spec:
            total = True
            hctx = ctx.at(spec, "total")
            holder = mapping(hctx, spec["total"], required=True)
        choices = _choices(hctx, holder)
        if not choices:
            points = ((0, _usage(hctx, holder)),)
    elif startup is None:
        raise ctx.error("says nothing", "give cpu and/or memory, a total, a timeline or a startup spike")
    return WorkloadLoad(kind, name, points, total, startup, startup_for, choices)


def _choices(ctx: Ctx, holder: dict[str, Any]) -> tuple[Usage, ...]:
    """The ``{oneOf: [...]}`` of at most one resource, combined with the other's constant."""
    from kmodel.manifests import cpu_millis, mapping, memory_bytes, sequence

    varying = [r for r in RESOURCES if isinstance(holder.get(r), dict)]
    if not varying:
        return ()
    if len(varying) > 1:
        raise ctx.at(holder, varying[1]).error("only one resource may use oneOf", "give the other a constant")
    res = varying[0]
    rctx = ctx.at(holder, res)
    spec = mapping(rctx, holder[res])
    if set(spec) != {"oneOf"}:
        raise rctx.error("must be a quantity or {oneOf: [...]}", "write e.g. {oneOf: [200m, 900m]}")
    values = sequence(rctx.at(spec, "oneOf"), spec["oneOf"])
    if not 1 <= len(values) <= 4:
        raise rctx.at(spec, "oneOf").error(
            f"lists {len(values)} values; give 1 to 4", "keep the list short: each value multiplies the states"
        )
    parse = cpu_millis if res == "cpu" else memory_bytes
    other = {k: v for k, v in holder.items() if k != res}
    base = _usage(ctx, other)
    return tuple(
        attrs.evolve(base, **{res: parse(rctx.at(spec, "oneOf").item(values, i), v)}) for i, v in enumerate(values)
    )


def _usage(ctx: Ctx, m: dict[str, Any], extra: tuple[str, ...] = ()) -> Usage:
    from kmodel.manifests import cpu_millis, memory_bytes

    for field in m:
        if field not in (*RESOURCES, *extra):
            raise ctx.at(m, field).error(f"unknown field {shown(field)}", f"use {', '.join((*RESOURCES, *extra))}")
    cpu = cpu_millis(ctx.at(m, "cpu"), m["cpu"]) if "cpu" in m else None
    memory = memory_bytes(ctx.at(m, "memory"), m["memory"]) if "memory" in m else None
    return Usage(cpu, memory)


def _duration(ctx: Ctx, raw: object) -> int:
    from kmodel.settings import model_duration

    try:
        return model_duration(raw)
    except ValueError as err:
        raise ctx.error(f"{err} (got {shown(raw)})", "write a duration like 30s or 5m") from None


def _timeline(ctx: Ctx, raw: list[Any]) -> tuple[tuple[int, Usage], ...]:
    from kmodel.manifests import mapping

    if not raw:
        raise ctx.error("is an empty timeline", "list points like - {at: 0s, cpu: 200m}")
    points = []
    for i, item in enumerate(raw):
        ictx = ctx.item(raw, i)
        p = mapping(ictx, item, required=True)
        if "at" not in p:
            raise ictx.error("at is missing", "say from when the value holds, e.g. at: 5m")
        at = _duration(ictx.at(p, "at"), p["at"])
        if points and at <= points[-1][0]:
            raise ictx.at(p, "at").error("times must increase down the list", "sort the points by at")
        points.append((at, _usage(ictx, {k: v for k, v in p.items() if k != "at"})))
    return tuple(points)
