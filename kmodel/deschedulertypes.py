"""The descheduler's policy and memory as data (kubernetes-sigs/descheduler v0.36.0
``pkg/api/v1alpha2``, ``defaultevictor`` and the plugins' ``types.go``): frozen classes that ride
in the cluster state (``Cluster.descheduler``). A leaf module (no kmodel imports), so that
:mod:`kmodel.state` can name :class:`DeschedulerState`; :mod:`kmodel.deschedulerpolicy` parses
the YAML into them."""

from __future__ import annotations

from attrs import frozen

# --- the parsed policy ----------------------------------------------------------------------------


@frozen
class DefaultEvictorArgs:
    """``defaultevictor.DefaultEvictorArgs`` (the legacy booleans; the defaults as
    ``setDefaultEvictor`` fills them in). ``priority_threshold_value`` / ``_name``: the
    ``priorityThreshold`` (None and "": SystemCriticalPriority, 2000000000)."""

    node_fit: bool = False
    evict_local_storage_pods: bool = False
    evict_daemonset_pods: bool = False
    evict_system_critical_pods: bool = False
    evict_failed_bare_pods: bool = False
    ignore_pvc_pods: bool = False
    priority_threshold_value: int | None = None
    priority_threshold_name: str = ""


@frozen
class Namespaces:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def admits(self, namespace: str) -> bool:
        """``podutil.WithNamespaces`` / ``WithoutNamespaces``."""
        if self.include and namespace not in self.include:
            return False
        return namespace not in self.exclude


@frozen
class PluginArgs:
    """The arguments of one strategy plugin (only the fields of its own kind are read)."""

    namespaces: Namespaces = Namespaces()
    # RemoveDuplicates
    exclude_owner_kinds: tuple[str, ...] = ()
    # LowNodeUtilization: resource -> percentage
    thresholds: tuple[tuple[str, float], ...] = ()
    target_thresholds: tuple[tuple[str, float], ...] = ()
    number_of_nodes: int = 0
    use_deviation_thresholds: bool = False
    node_eviction_limit: int | None = None  # evictionLimits.node
    # RemovePodsViolatingNodeAffinity
    node_affinity_type: tuple[str, ...] = ()
    # RemovePodsViolatingNodeTaints
    include_prefer_no_schedule: bool = False
    excluded_taints: tuple[str, ...] = ()
    included_taints: tuple[str, ...] | None = None
    # RemovePodsViolatingTopologySpreadConstraint
    constraints: tuple[str, ...] = ("DoNotSchedule",)
    topology_balance_node_fit: bool = True


@frozen(cache_hash=True)
class Profile:
    name: str
    evictor: DefaultEvictorArgs
    deschedule: tuple[str, ...]  # enabled deschedule plugins, in order
    balance: tuple[str, ...]  # enabled balance plugins, in order
    args: tuple[tuple[str, PluginArgs], ...]  # plugin name -> its arguments

    def args_of(self, plugin: str) -> PluginArgs:
        for name, a in self.args:
            if name == plugin:
                return a
        return PluginArgs()


@frozen(cache_hash=True)
class DeschedulerPolicy:
    profiles: tuple[Profile, ...]
    max_per_node: int | None = None
    max_per_namespace: int | None = None
    max_total: int | None = None


@frozen(cache_hash=True)
class DeschedulerState:
    """The descheduler in the cluster state: its policy, its interval, when it runs next, and
    the bookkeeping the ``no-eviction-cycle`` property reads.

    ``pending``: evictions whose replacement has not been placed yet: (workload, node the pod
    was evicted from, the workload's pods at the time of the eviction, the evicted pod's name;
    a StatefulSet's replacement has that same name and is told apart by not being Terminating);
    ``returns``: per workload, how many times a replacement was bound to the node its
    predecessor was evicted from. Workloads are written ``kind/name`` of the pod's controller
    (``replicaset/web-...``)."""

    policy: DeschedulerPolicy
    interval: int = 0  # seconds; 0: run once
    next_run: int | None = 0  # None: ran once and exited
    pending: tuple[tuple[str, str, frozenset[str], str], ...] = ()
    returns: tuple[tuple[str, int], ...] = ()
