"""The descheduler's policy file (kubernetes-sigs/descheduler v0.36.0, ``pkg/api/v1alpha2``).

A scenario enables the descheduler with a ``DeschedulerPolicy`` document (``apiVersion:
descheduler/v1alpha2``), in the scenario file itself or in a file the Scenario document names,
and says how often it runs in the Scenario document::

    descheduler:
      policy: policy.yaml          # optional: a file with the DeschedulerPolicy (default: this file)
      deschedulingInterval: 2m     # --descheduling-interval; 0 (the default): one run, then exit
      startAt: 1m                  # when the descheduler's process starts (default 0s)

What is read (anything else is refused by name, with the fix):

- ``maxNoOfPodsToEvictPerNode``, ``maxNoOfPodsToEvictPerNamespace``, ``maxNoOfPodsToEvictTotal``;
- ``profiles[]``: ``name``, ``pluginConfig[]`` (``name``, ``args``) and ``plugins.<extension
  point>.enabled`` / ``.disabled`` for ``balance``, ``deschedule``, ``filter`` and
  ``preevictionfilter`` (only ``DefaultEvictor`` may be named in the last two);
- the plugins kmodel models and their arguments, by the names of the real ones: DefaultEvictor,
  RemoveDuplicates, LowNodeUtilization, RemovePodsViolatingNodeAffinity,
  RemovePodsViolatingNodeTaints, RemovePodsViolatingInterPodAntiAffinity,
  RemovePodsViolatingTopologySpreadConstraint. The real validation (``validation.go`` of each
  plugin: thresholds within 0..100, ``thresholds`` not above ``targetThresholds``, the same
  resources in both, ``nodeAffinityType`` set, include and exclude namespaces not both) is
  applied with the real messages.

Left out (refused when written): the other plugins (PodLifeTime, RemoveFailedPods,
RemovePodsHavingTooManyRestarts, HighNodeUtilization, ...), metrics-based utilization, the
global ``nodeSelector``, label selectors in plugin arguments, the DefaultEvictor's
``podProtections``, ``ignorePodsWithoutPDB``, ``minReplicas``, ``minPodAge``,
``namespaceLabelSelector``, ``noEvictionPolicy``, and ``gracePeriodSeconds``.

The parsed policy and the descheduler's own memory ride in the cluster state
(:class:`DeschedulerState`, ``Cluster.descheduler``); this module imports nothing from the state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attrs import frozen

from kmodel.deschedulertypes import (
    DefaultEvictorArgs,
    DeschedulerPolicy,
    DeschedulerState,
    Namespaces,
    PluginArgs,
    Profile,
)
from kmodel.errors import KmodelError, shown
from kmodel.manifests import Ctx, MarkedDict, load_documents, mapping, sequence, string

API_VERSION = "descheduler/v1alpha2"
KIND = "DeschedulerPolicy"

DEFAULT_EVICTOR = "DefaultEvictor"
REMOVE_DUPLICATES = "RemoveDuplicates"
LOW_NODE_UTILIZATION = "LowNodeUtilization"
NODE_AFFINITY = "RemovePodsViolatingNodeAffinity"
NODE_TAINTS = "RemovePodsViolatingNodeTaints"
INTER_POD_ANTI_AFFINITY = "RemovePodsViolatingInterPodAntiAffinity"
TOPOLOGY_SPREAD = "RemovePodsViolatingTopologySpreadConstraint"

# extension point of each modelled plugin (pkg/framework/pluginregistry registrations)
BALANCE = "balance"
DESCHEDULE = "deschedule"
EXTENSION_POINT = {
    REMOVE_DUPLICATES: BALANCE,
    LOW_NODE_UTILIZATION: BALANCE,
    TOPOLOGY_SPREAD: BALANCE,
    NODE_AFFINITY: DESCHEDULE,
    NODE_TAINTS: DESCHEDULE,
    INTER_POD_ANTI_AFFINITY: DESCHEDULE,
}
# registered in the real descheduler but not modelled by kmodel
NOT_MODELLED = (
    "HighNodeUtilization",
    "PodLifeTime",
    "RemoveFailedPods",
    "RemovePodsHavingTooManyRestarts",
)
POLICY_KEYS = (
    "apiVersion",
    "kind",
    "profiles",
    "maxNoOfPodsToEvictPerNode",
    "maxNoOfPodsToEvictPerNamespace",
    "maxNoOfPodsToEvictTotal",
)
PROFILE_KEYS = ("name", "pluginConfig", "plugins")
EXTENSION_POINTS = ("balance", "deschedule", "filter", "preevictionfilter", "presort", "sort")
SCENARIO_KEYS = ("policy", "deschedulingInterval", "startAt")
RESOURCES = ("cpu", "memory", "pods")


@frozen
class DeschedulerSetup:
    """What a scenario says about the descheduler (Scenario.descheduler)."""

    policy: DeschedulerPolicy
    interval: int
    start_at: int
    file: str

    def initial(self) -> DeschedulerState:
        return DeschedulerState(self.policy, self.interval, self.start_at)

    def summary(self) -> str:
        """``descheduler (LowNodeUtilization) every 2m from 1m`` for a report's first line."""
        plugins = [p for prof in self.policy.profiles for p in (*prof.deschedule, *prof.balance)]
        names = f" ({', '.join(dict.fromkeys(plugins))})" if plugins else " (no plugins)"
        when = f"every {_duration(self.interval)}" if self.interval else "once"
        return f"descheduler{names} {when} from {_duration(self.start_at)}"


def _duration(seconds: int) -> str:
    m, s = divmod(seconds, 60)
    return f"{m}m{s}s" if m and s else f"{m}m" if m else f"{s}s"


# --- parsing --------------------------------------------------------------------------------------


def _bool(ctx: Ctx, value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ctx.error(f"must be true or false, got {shown(value)}", "write true or false")
    return value


def _count(ctx: Ctx, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ctx.error(f"must be a whole number >= 0, got {shown(value)}", "write a whole number such as 1")
    return value


def _strings(ctx: Ctx, value: object) -> tuple[str, ...]:
    items = sequence(ctx, value)
    return tuple(string(ctx.item(items, i), v, required=True) for i, v in enumerate(items))


def _keys(ctx: Ctx, m: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    for key in m:
        if key not in allowed:
            raise ctx.at(m, key).error(
                f"{what} has no field {shown(key)} that kmodel models",
                f"use {', '.join(allowed) if allowed else 'no fields'} (or remove it)",
            )


def _namespaces(ctx: Ctx, raw: object) -> Namespaces:
    m = mapping(ctx, raw)
    _keys(ctx, m, ("include", "exclude"), "namespaces")
    ns = Namespaces(_strings(ctx.at(m, "include"), m.get("include")), _strings(ctx.at(m, "exclude"), m.get("exclude")))
    return ns


def _percentages(ctx: Ctx, raw: object, what: str) -> tuple[tuple[str, float], ...]:
    m = mapping(ctx, raw)
    out = []
    for key, value in m.items():
        kctx = ctx.at(m, key)
        if key not in RESOURCES:
            raise kctx.error(
                f"kmodel models thresholds on cpu, memory and pods, not {shown(key)}", "use cpu, memory or pods"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise kctx.error(f"must be a percentage, got {shown(value)}", "write a number such as 20")
        if not 0 <= value <= 100:  # validateThresholds (NaN fails too)
            raise kctx.error(
                f"{what} config is not valid: {key} threshold not in [0, 100] range", "write a percentage from 0 to 100"
            )
        out.append((str(key), float(value)))
    return tuple(sorted(out))


EVICTOR_KEYS = (
    "nodeFit",
    "evictLocalStoragePods",
    "evictDaemonSetPods",
    "evictSystemCriticalPods",
    "evictFailedBarePods",
    "ignorePvcPods",
    "priorityThreshold",
)
ARG_KEYS = {
    REMOVE_DUPLICATES: ("namespaces", "excludeOwnerKinds"),
    LOW_NODE_UTILIZATION: (
        "thresholds",
        "targetThresholds",
        "numberOfNodes",
        "useDeviationThresholds",
        "evictionLimits",
        "evictableNamespaces",
    ),
    NODE_AFFINITY: ("namespaces", "nodeAffinityType"),
    NODE_TAINTS: ("namespaces", "includePreferNoSchedule", "excludedTaints", "includedTaints"),
    INTER_POD_ANTI_AFFINITY: ("namespaces",),
    TOPOLOGY_SPREAD: ("namespaces", "constraints", "topologyBalanceNodeFit"),
}


def _evictor_args(ctx: Ctx, raw: object) -> DefaultEvictorArgs:
    m = mapping(ctx, raw)
    _keys(ctx, m, EVICTOR_KEYS, "DefaultEvictor args")
    value, name = None, ""
    if "priorityThreshold" in m:
        pctx = ctx.at(m, "priorityThreshold")
        pt = mapping(pctx, m["priorityThreshold"])
        _keys(pctx, pt, ("value", "name"), "priorityThreshold")
        if "value" in pt and "name" in pt:
            raise pctx.error("only one of priorityThreshold fields can be set", "write either value or name")
        if "value" in pt:
            v = pt["value"]
            if isinstance(v, bool) or not isinstance(v, int):
                raise pctx.at(pt, "value").error(f"must be a whole number, got {shown(v)}", "write e.g. 10000")
            if v > 2_000_000_000:
                raise pctx.at(pt, "value").error(
                    "priority threshold can't be greater than 2000000000", "write a value <= 2000000000"
                )
            value = v
        name = string(pctx.at(pt, "name"), pt.get("name"))
    return DefaultEvictorArgs(
        node_fit=_bool(ctx.at(m, "nodeFit"), m.get("nodeFit")),
        evict_local_storage_pods=_bool(ctx.at(m, "evictLocalStoragePods"), m.get("evictLocalStoragePods")),
        evict_daemonset_pods=_bool(ctx.at(m, "evictDaemonSetPods"), m.get("evictDaemonSetPods")),
        evict_system_critical_pods=_bool(ctx.at(m, "evictSystemCriticalPods"), m.get("evictSystemCriticalPods")),
        evict_failed_bare_pods=_bool(ctx.at(m, "evictFailedBarePods"), m.get("evictFailedBarePods")),
        ignore_pvc_pods=_bool(ctx.at(m, "ignorePvcPods"), m.get("ignorePvcPods")),
        priority_threshold_value=value,
        priority_threshold_name=name,
    )


def _plugin_args(ctx: Ctx, plugin: str, raw: object) -> PluginArgs:
    m = mapping(ctx, raw)
    _keys(ctx, m, ARG_KEYS[plugin], f"{plugin} args")
    ns = _namespaces(ctx.at(m, "namespaces"), m.get("namespaces"))
    if ns.include and ns.exclude:
        raise ctx.at(m, "namespaces").error(
            "only one of Include/Exclude namespaces can be set", "keep either include or exclude"
        )
    if plugin == REMOVE_DUPLICATES:
        kinds = _strings(ctx.at(m, "excludeOwnerKinds"), m.get("excludeOwnerKinds"))
        return PluginArgs(namespaces=ns, exclude_owner_kinds=kinds)
    if plugin == LOW_NODE_UTILIZATION:
        return _low_node_utilization(ctx, m)
    if plugin == NODE_AFFINITY:
        types = _strings(ctx.at(m, "nodeAffinityType"), m.get("nodeAffinityType"))
        if not types:
            raise ctx.error("nodeAffinityType needs to be set", "add nodeAffinityType: [requiredDuringScheduling...]")
        for i, t in enumerate(types):
            if t not in (
                "requiredDuringSchedulingIgnoredDuringExecution",
                "preferredDuringSchedulingIgnoredDuringExecution",
            ):
                raise (
                    ctx.at(m, "nodeAffinityType")
                    .item(m["nodeAffinityType"], i)
                    .error(
                        f"unknown node affinity type {shown(t)}",
                        "use requiredDuringSchedulingIgnoredDuringExecution or "
                        "preferredDuringSchedulingIgnoredDuringExecution",
                    )
                )
        return PluginArgs(namespaces=ns, node_affinity_type=types)
    if plugin == NODE_TAINTS:
        excluded = _strings(ctx.at(m, "excludedTaints"), m.get("excludedTaints"))
        included = _strings(ctx.at(m, "includedTaints"), m.get("includedTaints")) if "includedTaints" in m else None
        if excluded and included:
            raise ctx.error(
                "either includedTaints or excludedTaints can be set, but not both", "keep one of the two lists"
            )
        return PluginArgs(
            namespaces=ns,
            include_prefer_no_schedule=_bool(ctx.at(m, "includePreferNoSchedule"), m.get("includePreferNoSchedule")),
            excluded_taints=excluded,
            included_taints=included,
        )
    if plugin == TOPOLOGY_SPREAD:
        constraints = ("DoNotSchedule",)
        if "constraints" in m:
            constraints = _strings(ctx.at(m, "constraints"), m.get("constraints"))
            for i, c in enumerate(constraints):
                if c not in ("DoNotSchedule", "ScheduleAnyway"):
                    raise (
                        ctx.at(m, "constraints")
                        .item(m["constraints"], i)
                        .error(f"constraints {shown(c)} is not one of DoNotSchedule, ScheduleAnyway", "use one of them")
                    )
        fit = True
        if "topologyBalanceNodeFit" in m:
            fit = _bool(ctx.at(m, "topologyBalanceNodeFit"), m.get("topologyBalanceNodeFit"))
        return PluginArgs(namespaces=ns, constraints=constraints, topology_balance_node_fit=fit)
    return PluginArgs(namespaces=ns)


def _low_node_utilization(ctx: Ctx, m: dict[str, Any]) -> PluginArgs:
    ens = _namespaces(ctx.at(m, "evictableNamespaces"), m.get("evictableNamespaces"))
    if ens.include:
        raise ctx.at(m, "evictableNamespaces").error(
            "only Exclude namespaces can be set, inclusion is not supported", "use evictableNamespaces.exclude"
        )
    low = _percentages(ctx.at(m, "thresholds"), m.get("thresholds"), "thresholds")
    high = _percentages(ctx.at(m, "targetThresholds"), m.get("targetThresholds"), "targetThresholds")
    deviation = _bool(ctx.at(m, "useDeviationThresholds"), m.get("useDeviationThresholds"))
    # validateLowNodeUtilizationThresholds, with its messages
    for key, values in (("thresholds", low), ("targetThresholds", high)):
        if not values:
            raise ctx.at(m, key).error(
                f"{key} config is not valid: no resource threshold is configured", f"add e.g. {key}: {{cpu: 20}}"
            )
    if dict(low).keys() != dict(high).keys():
        raise ctx.error(
            "thresholds and targetThresholds configured different resources", "name the same resources in both"
        )
    for name, pct in low:
        if pct > dict(high)[name] and not deviation:
            raise ctx.at(m, "thresholds").error(
                f"thresholds' {name} percentage is greater than targetThresholds'",
                "make each threshold at most its targetThreshold",
            )
    limit = None
    if "evictionLimits" in m:
        lctx = ctx.at(m, "evictionLimits")
        lm = mapping(lctx, m["evictionLimits"])
        _keys(lctx, lm, ("node",), "evictionLimits")
        limit = _count(lctx.at(lm, "node"), lm.get("node"))
    nodes = _count(ctx.at(m, "numberOfNodes"), m.get("numberOfNodes")) or 0
    return PluginArgs(
        namespaces=Namespaces(exclude=ens.exclude),
        thresholds=low,
        target_thresholds=high,
        number_of_nodes=nodes,
        use_deviation_thresholds=deviation,
        node_eviction_limit=limit,
    )


def _plugin_set(ctx: Ctx, raw: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    m = mapping(ctx, raw)
    _keys(ctx, m, ("enabled", "disabled"), "a plugin set")
    return _strings(ctx.at(m, "enabled"), m.get("enabled")), _strings(ctx.at(m, "disabled"), m.get("disabled"))


def _check_name(ctx: Ctx, name: str, profile: str) -> None:
    if name in NOT_MODELLED:
        raise ctx.error(
            f"in profile {profile}: plugin {name} is not modelled by kmodel",
            f"remove it; kmodel models {', '.join([DEFAULT_EVICTOR, *EXTENSION_POINT])}",
        )
    if name != DEFAULT_EVICTOR and name not in EXTENSION_POINT:
        raise ctx.error(
            f"in profile {profile}: plugin {name} in pluginConfig not registered",
            f"use one of {', '.join([DEFAULT_EVICTOR, *EXTENSION_POINT])}",
        )


def _profile(ctx: Ctx, raw: object) -> Profile:
    m = mapping(ctx, raw, required=True)
    _keys(ctx, m, PROFILE_KEYS, "a profile")
    name = string(ctx.at(m, "name"), m.get("name"), required=True)
    cctx = ctx.at(m, "pluginConfig")
    configs = sequence(cctx, m.get("pluginConfig"))
    evictor = DefaultEvictorArgs()
    args: dict[str, PluginArgs] = {}
    for i, item in enumerate(configs):
        ictx = cctx.item(configs, i)
        entry = mapping(ictx, item, required=True)
        _keys(ictx, entry, ("name", "args"), "a pluginConfig entry")
        plugin = string(ictx.at(entry, "name"), entry.get("name"), required=True)
        nctx = ictx.at(entry, "name")
        _check_name(nctx, plugin, name)
        if plugin == DEFAULT_EVICTOR:
            evictor = _evictor_args(ictx.at(entry, "args"), entry.get("args"))
        else:
            try:
                args[plugin] = _plugin_args(ictx.at(entry, "args"), plugin, entry.get("args"))
            except KmodelError as err:
                # validateDeschedulerConfiguration: a plugin's validation error, "in profile NAME: ..."
                raise KmodelError(
                    f"in profile {name}: {err.message}", file=err.file, line=err.line, where=err.where, fix=err.fix
                ) from None
    pctx = ctx.at(m, "plugins")
    plugins = mapping(pctx, m.get("plugins"))
    _keys(pctx, plugins, EXTENSION_POINTS, "plugins")
    enabled: dict[str, tuple[str, ...]] = {}
    for point in EXTENSION_POINTS:
        sctx = pctx.at(plugins, point)
        on, off = _plugin_set(sctx, plugins.get(point))
        for i, plugin in enumerate((*on, *off)):
            ectx = sctx.item(on, i) if i < len(on) else sctx
            _check_name(ectx, plugin, name)
            if point in ("filter", "preevictionfilter"):
                if plugin != DEFAULT_EVICTOR:
                    raise ectx.error(f"{plugin} is not a {point} plugin", f"name only {DEFAULT_EVICTOR} under {point}")
            elif point in ("presort", "sort"):
                raise ectx.error(f"the {point} extension point is not modelled by kmodel", f"remove plugins.{point}")
            elif EXTENSION_POINT.get(plugin) != point:
                raise ectx.error(
                    f"{plugin} is a {EXTENSION_POINT.get(plugin, 'filter')} plugin, not a {point} one",
                    f"list it under plugins.{EXTENSION_POINT.get(plugin, 'filter')}.enabled",
                )
        enabled[point] = tuple(p for p in on if p not in off)
        if point in (BALANCE, DESCHEDULE):
            for i, plugin in enumerate(enabled[point]):
                if plugin in (NODE_AFFINITY,) and plugin not in args:
                    raise sctx.item(on, i).error(
                        f"in profile {name}: {plugin}: nodeAffinityType needs to be set",
                        f"add a pluginConfig entry for {plugin} with args.nodeAffinityType",
                    )
                if plugin == LOW_NODE_UTILIZATION and plugin not in args:
                    raise sctx.item(on, i).error(
                        f"in profile {name}: {plugin}: thresholds config is not valid: no resource threshold is "
                        "configured",
                        f"add a pluginConfig entry for {plugin} with args.thresholds and args.targetThresholds",
                    )
    return Profile(
        name=name,
        evictor=evictor,
        deschedule=enabled[DESCHEDULE],
        balance=enabled[BALANCE],
        args=tuple(sorted(args.items())),
    )


def parse_policy(doc: dict[str, Any], file: str) -> DeschedulerPolicy:
    """A DeschedulerPolicy document, checked; raises KmodelError naming file, place and fix."""
    ctx = Ctx(file, KIND, line=getattr(doc, "line", None))
    if doc.get("apiVersion") != API_VERSION:
        raise ctx.at(doc, "apiVersion").error(
            f"kmodel reads the {API_VERSION} DeschedulerPolicy, got {shown(doc.get('apiVersion'))}",
            f"write apiVersion: {API_VERSION} (v1alpha1 policies: convert them as the descheduler's docs say)",
        )
    _keys(ctx, doc, POLICY_KEYS, KIND)
    pctx = ctx.at(doc, "profiles")
    profiles = sequence(pctx, doc.get("profiles"))
    parsed = tuple(_profile(pctx.item(profiles, i), p) for i, p in enumerate(profiles))
    return DeschedulerPolicy(
        profiles=parsed,
        max_per_node=_count(ctx.at(doc, "maxNoOfPodsToEvictPerNode"), doc.get("maxNoOfPodsToEvictPerNode")),
        max_per_namespace=_count(
            ctx.at(doc, "maxNoOfPodsToEvictPerNamespace"), doc.get("maxNoOfPodsToEvictPerNamespace")
        ),
        max_total=_count(ctx.at(doc, "maxNoOfPodsToEvictTotal"), doc.get("maxNoOfPodsToEvictTotal")),
    )


def is_policy(doc: object) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == KIND


def setup(
    file: str, base_dir: Path, policy_docs: list[dict[str, Any]], raw: object, sctx: Ctx
) -> DeschedulerSetup | None:
    """The descheduler a scenario asks for: its DeschedulerPolicy document (in the scenario file,
    or in the file ``descheduler.policy`` names) and the ``descheduler`` section of the Scenario
    document (``raw``; None when absent). None when neither is there."""
    from kmodel.settings import model_duration

    if raw is None and not policy_docs:
        return None
    m = mapping(sctx, raw) if raw is not None else MarkedDict()
    _keys(sctx, m, SCENARIO_KEYS, "the Scenario's descheduler section")
    docs, where = policy_docs, file
    if "policy" in m:
        ref = string(sctx.at(m, "policy"), m.get("policy"), required=True)
        try:
            path = base_dir / ref
            found = path.is_file()
        except (OSError, ValueError):
            found = False
        if not found:
            raise sctx.at(m, "policy").error(f"no file {shown(ref)}", "name a file next to the scenario")
        docs, where = [d for d in load_documents(path, "descheduler policy") if is_policy(d)], str(path)
    if len(docs) != 1:
        raise KmodelError(
            f"{'no' if not docs else 'more than one'} DeschedulerPolicy document for the descheduler",
            file=where,
            line=docs[1].line if len(docs) > 1 else getattr(sctx, "line", None),
            where="descheduler",
            fix=f"give exactly one document with kind: {KIND}, apiVersion: {API_VERSION}",
        )
    policy = parse_policy(docs[0], where)
    durations = {}
    for key in ("deschedulingInterval", "startAt"):
        durations[key] = 0
        if key in m:
            try:
                durations[key] = model_duration(m[key])
            except ValueError as err:
                raise sctx.at(m, key).error(f"{err} (got {shown(m[key])})", "write a duration like 2m") from None
    return DeschedulerSetup(policy, durations["deschedulingInterval"], durations["startAt"], where)
