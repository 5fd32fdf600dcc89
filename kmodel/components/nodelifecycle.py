"""NodeLifecycleController (pkg/controller/nodelifecycle/node_lifecycle_controller.go).

One step is one ``monitorNodeHealth`` pass (every ``nodeMonitorPeriod``), plus the work of the
NoSchedule tainting worker and of the per-zone rate-limited NoExecute tainter:

0. A node the controller has no record of (a new node, or every node after the
   controller-manager restarted) is registered: event RegisteredNode, and ``markNodeAsReachable``
   removes its not-ready / unreachable NoExecute taints (so after a restart the NoExecute taints
   come back one by one through the rate limiter; it also dequeues the node, which here cannot be
   queued: the queue is controller memory like the record).
1. ``tryUpdateNodeHealth`` for each node: the controller keeps its own probe timestamp per node.
   It moves to ``now`` when the Ready condition's heartbeat changed, when the node's Lease was
   renewed since the last one the controller saw, and when the record is new ("Missing
   timestamp for Node. Assuming now as a timestamp."). A node with no Ready condition (its
   kubelet never posted status) gets the startup grace period counted from its creation
   (``nodeStartupGracePeriod``), and the pass observes a fake Unknown condition for it. When
   ``now > probe + grace`` the controller writes Ready=Unknown ("Kubelet stopped posting node
   status.", or NodeStatusNeverUpdated for a node that never posted).
2. Ready moving away from True (as the pass observed it): event NodeNotReady and every pod on
   the node marked not ready.
3. ``processTaintBaseEviction`` with the Ready status observed at the start of the pass, for
   nodes that have a Ready condition now: False -> ``not-ready:NoExecute``, Unknown ->
   ``unreachable:NoExecute`` (swapped directly when the other one is present, else queued),
   True -> both removed and the node dequeued.
4. ``handleDisruption``: zone states from the current conditions (nodes labelled
   ``node.kubernetes.io/exclude-disruption`` left out; a node's zone is ``GetZoneKey``, see
   ``Node.zone``); when every zone is fully disrupted all NoExecute taints go and eviction
   stops; leaving that state resets every probe timestamp. ``zoneDisruptionSafeguard: false``
   switches that rule off (what Kubernetes did before 1.5: a control plane cut off from every
   node evicted every pod, kubernetes#28832).
5. The zone queues: a zone releases one node per ``1/rate`` seconds (token bucket, burst 1); the
   rate depends on the zone state.
6. ``doNoScheduleTaintingPass``: NoSchedule taints mirror the Ready condition and
   ``spec.unschedulable`` (a node with no Ready condition has no condition taint). (The real
   worker runs on node updates; here it runs with the pass.)

In legacy mode (``evictionMode: legacy``, the removed ``--pod-eviction-timeout``) step 3 is replaced
by deleting the pods of a node that has not been Ready for ``podEvictionTimeout``.
Left out: the pressure conditions and their taints; the pod worker (``processPod``) that marks a
ready pod newly bound to a NotReady node not ready (no kmodel kubelet makes a pod ready on a
node that is not Ready); a node queued for tainting with no Ready condition (impossible here).
"""

from __future__ import annotations

import itertools
from collections import Counter

from kmodel.components import apiserver
from kmodel.frozen import evolve
from kmodel.settings import Settings
from kmodel.state import (
    COND_FALSE,
    COND_NONE,
    COND_TRUE,
    COND_UNKNOWN,
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    Node,
    NodeHealth,
    Taint,
    label,
    pairs_get,
    pairs_set,
)
from kmodel.transition import Event, Outcome

SOURCE = "node-controller"

# nodes with this label are left out of the zone states (isNodeExcludedFromDisruptionChecks)
LABEL_EXCLUDE_DISRUPTION = "node.kubernetes.io/exclude-disruption"

NORMAL = "Normal"
PARTIAL = "PartialDisruption"
FULL = "FullDisruption"

# Condition -> the NoSchedule taint it implies (``nodeConditionToTaintKeyStatusMap``).
_NO_SCHEDULE_FOR = {COND_FALSE: TAINT_NOT_READY, COND_UNKNOWN: TAINT_UNREACHABLE}
_NO_EXECUTE_FOR = {COND_FALSE: TAINT_NOT_READY, COND_UNKNOWN: TAINT_UNREACHABLE}


def is_due(cluster: Cluster) -> bool:
    return cluster.now % cluster.settings.node_monitor_period == 0


def zone_state(conditions: list[str], threshold: float) -> str:
    """``ComputeZoneState``."""
    not_ready = sum(1 for c in conditions if c != COND_TRUE)
    ready = len(conditions) - not_ready
    if ready == 0 and not_ready > 0:
        return FULL
    if not_ready > 2 and not_ready / len(conditions) >= threshold:
        return PARTIAL
    return NORMAL


def _zone_interval(cluster: Cluster, state: str, zone_size: int) -> int | None:
    s = cluster.settings
    if state == PARTIAL:
        return s.secondary_eviction_interval if zone_size > s.large_cluster_size_threshold else None
    return s.eviction_interval  # Normal and FullDisruption both use the primary rate


def _without_taint(node: Node, key: str, effect: str) -> Node:
    if not node.has_taint(key, effect):
        return node
    return evolve(node, taints=tuple(t for t in node.taints if not (t.key == key and t.effect == effect)))


def _with_taint(node: Node, key: str, effect: str, now: int) -> Node:
    if node.has_taint(key, effect):
        return node
    added = now if effect == NO_EXECUTE else None
    return evolve(node, taints=(*node.taints, Taint(key=key, effect=effect, time_added=added)))


def _update_health(s: Settings, now: int, node: Node, record: NodeHealth | None) -> tuple[str, NodeHealth, Node]:
    """``tryUpdateNodeHealth``: (the Ready status the pass observed, the controller's new record,
    the node after the controller's own status update).

    The probe time moves to ``now`` when the Ready condition's heartbeat changed since the
    record was made, when the record is new, and when the Lease was renewed since the one the
    record holds. A node without a Ready condition gets the startup grace period counted from
    its creation (the pass observes a fake Unknown condition for it); past the grace the
    controller writes Ready=Unknown: reason NodeStatusNeverUpdated with the creation time as
    the heartbeat, or NodeStatusUnknown. As in the real controller, a record rebuilt for a
    changed heartbeat forgets the Lease it held, so the next pass counts the same Lease as
    renewed once more.
    """
    if (
        record is not None
        and node.ready == COND_TRUE
        and record.seen_ready == COND_TRUE
        and record.seen_heartbeat is not None
        and record.seen_heartbeat == node.last_heartbeat
    ):
        # the common case, without the general path's copies: a Ready node whose record stands
        # (the general path below gives the same answer)
        lease = node.lease_renew_time
        kept = record
        if lease is not None and (record.seen_lease is None or record.seen_lease < lease):
            kept = NodeHealth(record.name, now, record.seen_heartbeat, COND_TRUE, lease)
        if now <= kept.probe_time + s.node_monitor_grace_period:
            return COND_TRUE, kept, node
    never_posted = node.ready == COND_NONE
    saved_lease = record.seen_lease if record is not None else None
    if never_posted:
        observed = COND_UNKNOWN
        grace = s.node_startup_grace_period
        if record is None:
            record = NodeHealth(node.name, node.created, None, COND_NONE)
    else:
        observed = node.ready
        grace = s.node_monitor_grace_period
        if record is None or record.seen_heartbeat is None or record.seen_heartbeat != node.last_heartbeat:
            record = NodeHealth(node.name, now, node.last_heartbeat, node.ready)
    lease = node.lease_renew_time
    if lease is not None and (saved_lease is None or saved_lease < lease):
        record = evolve(record, probe_time=now, seen_lease=lease)
    current = node
    if now > record.probe_time + grace and node.ready != COND_UNKNOWN:
        if never_posted:
            current = evolve(
                node, ready=COND_UNKNOWN, ready_reason="NodeStatusNeverUpdated", last_heartbeat=node.created
            )
        else:
            current = evolve(node, ready=COND_UNKNOWN, ready_reason="NodeStatusUnknown")
        record = NodeHealth(node.name, record.probe_time, current.last_heartbeat, COND_UNKNOWN, lease)
    return observed, evolve(record, seen_ready=current.ready), current


ORDER_LIMIT = 4  # the largest zone whose nodes queued in one pass are queued in every order


def step(cluster: Cluster) -> list[Outcome]:
    """One pass, walking the nodes in the order of the cluster's node list."""
    return _pass(cluster, None)[0]


def step_every_order(cluster: Cluster) -> list[Outcome]:
    """One pass, with every order in which it may queue nodes. Nodes newly queued for NoExecute
    tainting in the same pass enter their zone's queue in the order the pass walks them, which
    the rate limiter then keeps. Kubernetes walks the node lister's list, whose order is that of
    a Go map (no order at all, and not that of the names), so when several nodes of one zone are
    queued in one pass every order is a successor; the first is the node list's (:func:`step`).
    Only in zones of at most :data:`ORDER_LIMIT` nodes (24 orders at most): a bigger zone keeps
    the list's order. The checker uses this step where node symmetry applies
    (:mod:`kmodel.nodesymmetry`), for which the walk order must not depend on node names."""
    return every_order_noting(cluster)[0]


def every_order_noting(cluster: Cluster) -> tuple[list[Outcome], bool]:
    """:func:`step_every_order`, and whether a zone bigger than :data:`ORDER_LIMIT` had several
    nodes queued in the pass (in the list's order only)."""
    outs, fresh = _pass(cluster, None)
    zones: dict[str, list[str]] = {}
    for zone, name in fresh:
        zones.setdefault(zone, []).append(name)
    sizes = zone_sizes(cluster)
    several = [names for zone, names in zones.items() if 1 < len(names) and sizes.get(zone, 0) <= ORDER_LIMIT]
    kept = bool(outs) and any(1 < len(names) and sizes.get(zone, 0) > ORDER_LIMIT for zone, names in zones.items())
    if not outs or not several:
        return outs, kept
    first = tuple(name for names in several for name in names)
    for orders in itertools.product(*(itertools.permutations(names) for names in several)):
        order = tuple(name for names in orders for name in names)
        if order == first:
            continue
        for o in _pass(cluster, order)[0]:
            outs.append(evolve(o, label=f"{o.label}; queued for NoExecute in the order {', '.join(order)}"))
    return outs, kept


def step_in_list_order(cluster: Cluster) -> tuple[list[Outcome], bool]:
    """:func:`step`, and whether the pass queued two or more nodes of one zone, whose other orders
    (which Kubernetes may take, see :func:`step_every_order`) this step leaves out."""
    outs, fresh = _pass(cluster, None)
    return outs, bool(outs) and max(Counter(zone for zone, _ in fresh).values(), default=0) > 1


def zone_sizes(cluster: Cluster) -> dict[str, int]:
    """How many nodes each zone has."""
    return dict(Counter(n.zone for n in cluster.nodes))


# (excluded from disruption checks, zone) by the node's labels object, which a node keeps from
# one version to the next: the pass reads them of every node, every nodeMonitorPeriod
_zones_of: dict[int, tuple[object, tuple[bool, str]]] = {}


def _zone_facts(node: Node) -> tuple[bool, str]:
    found = _zones_of.get(id(node.labels))
    if found is not None and found[0] is node.labels:
        return found[1]
    facts = (label(node.labels, LABEL_EXCLUDE_DISRUPTION) is not None, node.zone)
    if len(_zones_of) > 100_000:
        _zones_of.clear()
    _zones_of[id(node.labels)] = (node.labels, facts)
    return facts


def _pass(cluster: Cluster, order: tuple[str, ...] | None) -> tuple[list[Outcome], list[tuple[str, str]]]:
    """One pass, queueing the nodes newly queued in it in ``order`` (None: the node list's);
    also returns (zone, node) for each node newly queued."""
    fresh: list[tuple[str, str]] = []
    if not cluster.controller_manager_active:
        return [], fresh
    s = cluster.settings
    now = cluster.now
    mem = cluster.memory
    events: list[Event] = []
    notes: list[str] = []
    health: list[NodeHealth] = []
    observed: dict[str, str] = {}  # the Ready condition each pass reads (a fake Unknown if none)
    ready_now: dict[str, str] = {}  # and after the pass's own update (COND_NONE: still none)
    out = cluster

    # 1-2: node health
    # (by name, the first of a name as a search finds it: one search per node was most of a pass)
    records = {h.name: h for h in reversed(mem.node_health)}
    for node in cluster.nodes:
        record = records.get(node.name)
        if record is None:
            # a node the controller has not seen yet (new, or every node after a restart):
            # "Registered Node ... in Controller", and markNodeAsReachable drops its NoExecute
            # condition taints (and any queued tainting) before its health is looked at
            events.append(
                Event(
                    now,
                    SOURCE,
                    "RegisteredNode",
                    f"node/{node.name}",
                    f"Node {node.name} event: Registered Node {node.name} in Controller",
                )
            )
            reachable = _without_taint(_without_taint(node, TAINT_UNREACHABLE, NO_EXECUTE), TAINT_NOT_READY, NO_EXECUTE)
            if reachable is not node:
                notes.append(f"{node.name} NoExecute taints removed (new to the controller)")
                out = out.with_node(reachable)
                node = reachable
        observed[node.name], record, current = _update_health(s, now, node, record)
        health.append(record)
        ready_now[node.name] = current.ready
        if current.ready != node.ready:
            notes.append(f"{node.name} Ready {node.ready or 'none'} -> {current.ready}")
        if current.ready not in (COND_TRUE, COND_NONE) and observed[node.name] == COND_TRUE:
            events.append(
                Event(now, SOURCE, "NodeNotReady", f"node/{node.name}", f"Node {node.name} status is now: NodeNotReady")
            )
            for pod in out.pods_on(node.name):
                if pod.ready:
                    out = out.with_pod(evolve(pod, ready=False, ready_since=None))
                    events.append(Event(now, SOURCE, "NodeNotReady", f"pod/{pod.name}", "Node is not ready", "Warning"))
            notes.append(f"pods on {node.name} marked not ready")
        if current is not node:
            out = out.with_node(current)

    # 4: zone states (from the conditions as they are now)
    zones: dict[str, list[str]] = {}
    for node in out.nodes:
        excluded, zone = _zone_facts(node)
        if not excluded:
            zones.setdefault(zone, []).append(node.ready)
    states = {z: zone_state(c, s.unhealthy_zone_threshold) for z, c in zones.items()}
    # with the safeguard off (``zoneDisruptionSafeguard: false``, Kubernetes before 1.5) no state
    # counts as total disruption: every fully disrupted zone evicts at the primary rate
    guard = s.zone_disruption_safeguard
    all_full = guard and bool(states) and all(v == FULL for v in states.values())
    old_states = dict(mem.zone_states)
    was_all_full = guard and bool(old_states) and all(v == FULL for v in old_states.values())
    for z, st in sorted(states.items()):
        if old_states.get(z, NORMAL) != st:
            notes.append(f"zone {z or '<none>'} is {st}")
    if was_all_full and not all_full:
        # Leaving total disruption: every node starts a fresh grace period.
        health = [evolve(h, probe_time=now) for h in health]

    queue = list(mem.taint_queue)
    tokens = mem.zone_next_token
    evictions = mem.not_ready_since

    if s.eviction_mode == "taint":
        # 3: processTaintBaseEviction with the observed condition
        for node in list(out.nodes):
            cond = observed[node.name]
            current = node
            if ready_now[node.name] == COND_NONE:
                pass  # no Ready condition yet: nothing to decide
            elif all_full:
                pass  # handled below: everything is reachable again
            elif cond in _NO_EXECUTE_FOR:
                want = _NO_EXECUTE_FOR[cond]
                other = TAINT_UNREACHABLE if want == TAINT_NOT_READY else TAINT_NOT_READY
                if node.has_taint(other, NO_EXECUTE):
                    current = _with_taint(_without_taint(node, other, NO_EXECUTE), want, NO_EXECUTE, now)
                    notes.append(f"{node.name} taint {other} -> {want}:NoExecute")
                elif not node.has_taint(want, NO_EXECUTE) and not any(q[1] == node.name for q in queue):
                    queue.append((node.zone, node.name, now))
                    fresh.append((node.zone, node.name))
            elif cond == COND_TRUE and not node.taints and not queue:
                pass  # (no taint to remove, no queue to leave)
            elif cond == COND_TRUE:
                for key in (TAINT_NOT_READY, TAINT_UNREACHABLE):
                    if current.has_taint(key, NO_EXECUTE):
                        current = _without_taint(current, key, NO_EXECUTE)
                        notes.append(f"{node.name} taint {key}:NoExecute removed")
                        events.append(
                            Event(now, SOURCE, "TaintRemoved", f"node/{node.name}", f"Removed taint {key}:NoExecute")
                        )
                queue = [q for q in queue if q[1] != node.name]
            if current is not node:
                out = out.with_node(current)
        if order is not None:
            # the nodes queued in this pass are at the end of the queue: put them in ``order``
            new = {name for _, name in fresh}
            queue = [q for q in queue if q[1] not in new] + sorted(
                (q for q in queue if q[1] in new), key=lambda q: order.index(q[1])
            )
        if all_full:
            # markNodeAsReachable for every node; nothing is evicted while all zones are down.
            for node in list(out.nodes):
                current = node
                for key in (TAINT_NOT_READY, TAINT_UNREACHABLE):
                    current = _without_taint(current, key, NO_EXECUTE)
                if current != node:
                    out = out.with_node(current)
                    notes.append(f"{node.name} NoExecute taints removed (all zones disrupted)")
            queue = []
        # 5: the zone queues release nodes at the zone's rate
        released: list[tuple[str, str, int]] = []
        # (a zone whose nodes are all excluded from disruption checks has no state: its queue
        # keeps the rate it was created with)
        for zone_name in sorted(set(states) | {q[0] for q in queue}):
            interval = _zone_interval(out, states.get(zone_name, NORMAL), len(zones.get(zone_name, [])))
            if interval is None:
                continue
            for entry in [q for q in queue if q[0] == zone_name]:
                next_token = pairs_get(tokens, zone_name)
                if next_token is not None and now < next_token:
                    break
                # RateLimitedTimedQueue.Try takes the token before looking at the node.
                tokens = pairs_set(tokens, zone_name, now + interval)
                released.append(entry)
                node = out.node(entry[1])
                if node is None or node.ready not in _NO_EXECUTE_FOR:
                    continue
                key = _NO_EXECUTE_FOR[node.ready]
                out = out.with_node(_with_taint(node, key, NO_EXECUTE, now))
                events.append(Event(now, SOURCE, "TaintAdded", f"node/{node.name}", f"Added taint {key}:NoExecute"))
                notes.append(f"{node.name} tainted {key}:NoExecute")
        queue = [q for q in queue if q not in released]
    else:
        # Legacy --pod-eviction-timeout: delete the pods of nodes not Ready for that long.
        for node in out.nodes:
            if node.ready == COND_TRUE:
                evictions = pairs_set(evictions, node.name, None)
                continue
            if node.ready == COND_NONE:
                continue
            since = pairs_get(evictions, node.name)
            if since is None:
                evictions = pairs_set(evictions, node.name, now)
                continue
            if all_full or now - since <= s.pod_eviction_timeout:
                continue
            interval = _zone_interval(out, states.get(node.zone, NORMAL), len(zones.get(node.zone, [])))
            next_token = pairs_get(tokens, node.zone)
            if interval is None or (next_token is not None and now < next_token):
                continue
            victims = [p for p in out.pods_on(node.name) if not p.terminating]
            if not victims:
                continue
            for pod in victims:
                out = apiserver.delete_pod(out, pod.name)
                events.append(
                    Event(
                        now,
                        SOURCE,
                        "NodeControllerEviction",
                        f"pod/{pod.name}",
                        f"Marking for deletion Pod {pod.name} from Node {node.name}",
                    )
                )
            tokens = pairs_set(tokens, node.zone, now + interval)
            notes.append(f"pods of {node.name} deleted (pod-eviction-timeout)")

    # 6: NoSchedule taints follow the conditions and spec.unschedulable
    for node in list(out.nodes):
        if not node.taints and not node.unschedulable and node.ready not in _NO_SCHEDULE_FOR:
            continue  # no NoSchedule taint to add, none to remove
        current = node
        for cond, key in _NO_SCHEDULE_FOR.items():
            if node.ready == cond:
                current = _with_taint(current, key, NO_SCHEDULE, now)
            else:
                current = _without_taint(current, key, NO_SCHEDULE)
        if node.unschedulable:
            current = _with_taint(current, TAINT_UNSCHEDULABLE, NO_SCHEDULE, now)
        else:
            current = _without_taint(current, TAINT_UNSCHEDULABLE, NO_SCHEDULE)
        if current is not node:  # (the taint helpers return the node itself when nothing changes)
            before = {t.show() for t in node.taints}
            after = {t.show() for t in current.taints}
            for t in sorted(after - before):
                events.append(Event(now, SOURCE, "TaintAdded", f"node/{node.name}", f"Added taint {t}"))
                notes.append(f"{node.name} tainted {t}")
            for t in sorted(before - after):
                events.append(Event(now, SOURCE, "TaintRemoved", f"node/{node.name}", f"Removed taint {t}"))
                notes.append(f"{node.name} taint {t} removed")
            out = out.with_node(current)

    out = out.with_memory(
        node_health=tuple(sorted(health, key=lambda h: h.name)),
        zone_states=tuple(sorted(states.items())),
        taint_queue=tuple(queue),
        zone_next_token=tokens,
        not_ready_since=evictions,
    )
    if out == cluster:
        return [], fresh
    label_ = "; ".join(notes) if notes else "monitor node health"
    return [Outcome("nodelifecycle", label_, out, tuple(events))], fresh
