"""NodeLifecycleController (pkg/controller/nodelifecycle/node_lifecycle_controller.go).

One step is one ``monitorNodeHealth`` pass (every ``nodeMonitorPeriod``), plus the work of the
NoSchedule tainting worker and of the per-zone rate-limited NoExecute tainter:

1. ``tryUpdateNodeHealth`` for each node: the controller keeps its own probe timestamp per node,
   refreshed when the kubelet's heartbeat changes. A node it has no record of (a new node, or any
   node after the controller-manager restarted) gets ``now`` as its probe time. When
   ``now > probe + grace`` (``nodeMonitorGracePeriod``; ``nodeStartupGracePeriod`` for a node that
   never posted status) it sets Ready to Unknown ("Kubelet stopped posting node status.").
2. Ready moving away from True: event NodeNotReady and every pod on the node marked not ready.
3. ``processTaintBaseEviction`` with the Ready status *observed at the start of the pass*:
   False -> ``not-ready:NoExecute``, Unknown -> ``unreachable:NoExecute`` (swapped directly when
   the other one is present, else queued), True -> both removed and the node dequeued.
4. ``handleDisruption``: zone states from the current conditions; when every zone is fully
   disrupted all NoExecute taints go and eviction stops; leaving that state resets every probe
   timestamp.
5. The zone queues: a zone releases one node per ``1/rate`` seconds (token bucket, burst 1); the
   rate depends on the zone state.
6. ``doNoScheduleTaintingPass``: NoSchedule taints mirror the Ready condition and
   ``spec.unschedulable``. (The real worker runs on node updates; here it runs with the pass.)

In legacy mode (``evictionMode: legacy``, the removed ``--pod-eviction-timeout``) step 3 is replaced
by deleting the pods of a node that has not been Ready for ``podEvictionTimeout``.
Left out: the pressure conditions and their taints, node leases as separate objects.
"""

from __future__ import annotations

import attrs

from kmodel.components import apiserver
from kmodel.state import (
    COND_FALSE,
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
    find,
    pairs_get,
    pairs_set,
)
from kmodel.transition import Event, Outcome

SOURCE = "node-controller"

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
    return attrs.evolve(node, taints=tuple(t for t in node.taints if not (t.key == key and t.effect == effect)))


def _with_taint(node: Node, key: str, effect: str, now: int) -> Node:
    if node.has_taint(key, effect):
        return node
    added = now if effect == NO_EXECUTE else None
    return attrs.evolve(node, taints=(*node.taints, Taint(key=key, effect=effect, time_added=added)))


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    s = cluster.settings
    now = cluster.now
    mem = cluster.memory
    events: list[Event] = []
    notes: list[str] = []
    health: list[NodeHealth] = []
    observed: dict[str, str] = {}
    out = cluster

    # 1-2: node health
    for node in cluster.nodes:
        record = find(mem.node_health, node.name)
        never_posted = node.last_heartbeat is None
        grace = s.node_startup_grace_period if never_posted else s.node_monitor_grace_period
        observed[node.name] = node.ready
        if record is None:
            record = NodeHealth(node.name, now, node.last_heartbeat, node.ready)
        elif record.seen_heartbeat != node.last_heartbeat:
            record = NodeHealth(node.name, now, node.last_heartbeat, node.ready)
        current = node
        if now > record.probe_time + grace and node.ready != COND_UNKNOWN:
            reason = "NodeStatusNeverUpdated" if never_posted else "NodeStatusUnknown"
            current = attrs.evolve(node, ready=COND_UNKNOWN, ready_reason=reason)
            notes.append(f"{node.name} Ready {node.ready} -> Unknown")
        health.append(attrs.evolve(record, seen_ready=current.ready))
        if current.ready != COND_TRUE and node.ready == COND_TRUE:
            events.append(
                Event(now, SOURCE, "NodeNotReady", f"node/{node.name}", f"Node {node.name} status is now: NodeNotReady")
            )
            for pod in out.pods_on(node.name):
                if pod.ready:
                    out = out.with_pod(attrs.evolve(pod, ready=False, ready_since=None))
                    events.append(Event(now, SOURCE, "NodeNotReady", f"pod/{pod.name}", "Node is not ready", "Warning"))
            notes.append(f"pods on {node.name} marked not ready")
        if current is not node:
            out = out.with_node(current)

    # 4: zone states (from the conditions as they are now)
    zones: dict[str, list[str]] = {}
    for node in out.nodes:
        zones.setdefault(node.zone, []).append(node.ready)
    states = {z: zone_state(c, s.unhealthy_zone_threshold) for z, c in zones.items()}
    all_full = bool(states) and all(v == FULL for v in states.values())
    old_states = dict(mem.zone_states)
    was_all_full = bool(old_states) and all(v == FULL for v in old_states.values())
    for z, st in sorted(states.items()):
        if old_states.get(z, NORMAL) != st:
            notes.append(f"zone {z or '<none>'} is {st}")
    if was_all_full and not all_full:
        # Leaving total disruption: every node starts a fresh grace period.
        health = [attrs.evolve(h, probe_time=now) for h in health]

    queue = list(mem.taint_queue)
    tokens = mem.zone_next_token
    evictions = mem.not_ready_since

    if s.eviction_mode == "taint":
        # 3: processTaintBaseEviction with the observed condition
        for node in list(out.nodes):
            cond = observed[node.name]
            current = node
            if all_full:
                pass  # handled below: everything is reachable again
            elif cond in _NO_EXECUTE_FOR:
                want = _NO_EXECUTE_FOR[cond]
                other = TAINT_UNREACHABLE if want == TAINT_NOT_READY else TAINT_NOT_READY
                if node.has_taint(other, NO_EXECUTE):
                    current = _with_taint(_without_taint(node, other, NO_EXECUTE), want, NO_EXECUTE, now)
                    notes.append(f"{node.name} taint {other} -> {want}:NoExecute")
                elif not node.has_taint(want, NO_EXECUTE) and not any(q[1] == node.name for q in queue):
                    queue.append((node.zone, node.name, now))
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
        for zone_name in sorted(states):
            interval = _zone_interval(out, states[zone_name], len(zones[zone_name]))
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
        if current != node:
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
        return []
    label_ = "; ".join(notes) if notes else "monitor node health"
    return [Outcome("nodelifecycle", label_, out, tuple(events))]
