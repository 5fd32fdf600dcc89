"""RemovePodsViolatingNodeTaints (pkg/framework/plugins/removepodsviolatingnodetaints).

Node by node, it evicts the pods the DefaultEvictor admits (Filter and PreEvictionFilter) that do
not tolerate one of their node's NoSchedule taints (also PreferNoSchedule ones with
``includePreferNoSchedule``), counting only the taints ``includedTaints`` names (all when it is
not set; an entry is a key or ``key=value``) and not those ``excludedTaints`` names. NoExecute
taints are the taint eviction controller's business. A node's eviction limit moves on to the
next node; the total limit ends the plugin.
"""

from __future__ import annotations

from kmodel.components.descheduler_plugins.framework import NODE_LIMIT, TOTAL_LIMIT, Handle, pods_on
from kmodel.deschedulertypes import PluginArgs
from kmodel.namespaces import namespace_of
from kmodel.state import NO_SCHEDULE, PREFER_NO_SCHEDULE, Taint

NAME = "RemovePodsViolatingNodeTaints"


def _named(names: tuple[str, ...], taint: Taint) -> bool:
    return taint.key in names or (taint.value != "" and f"{taint.key}={taint.value}" in names)


def counts(args: PluginArgs, taint: Taint) -> bool:
    """The plugin's taint filter."""
    effects = (NO_SCHEDULE, PREFER_NO_SCHEDULE) if args.include_prefer_no_schedule else (NO_SCHEDULE,)
    included = args.included_taints is None or _named(args.included_taints, taint)
    return taint.effect in effects and not _named(args.excluded_taints, taint) and included


def run(handle: Handle, args: PluginArgs) -> None:
    for node in handle.nodes:
        pods = [
            p
            for p in pods_on(handle.cluster, node.name)
            if args.namespaces.admits(namespace_of(p.name)) and handle.filter(p) and handle.pre_eviction_filter(p)
        ]
        taints = [t for t in node.taints if counts(args, t)]
        for pod in pods:
            if all(any(tol.tolerates(t) for tol in pod.tolerations) for t in taints):
                continue
            error = handle.evict(pod, NAME)
            if error == NODE_LIMIT:
                break
            if error == TOTAL_LIMIT:
                return
