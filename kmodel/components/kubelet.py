"""The kubelet on one node (pkg/kubelet): node status heartbeats and pod sync.

One step is one sync of the node, which needs the kubelet process running on a powered machine
that can reach the apiserver (otherwise the kubelet only retries, and whatever containers run on
the machine keep running: the seeds' "the app still serves traffic"):

- heartbeat: post Ready=True when ``nodeStatusUpdateFrequency`` has passed since the last post, or
  at once when the node is not shown Ready (kubelet start, reconnection);
- for each pod bound to the node in the apiserver:
  * with a deletionTimestamp: stop its containers, and on the next sync (the containers have
    exited: the model assumes they do so promptly on SIGTERM) remove the pod object, finishing
    the graceful delete. So a deleted pod shows Terminating for at least one tick;
  * Pending and not running here: create the sandbox, start the containers, report Running and
    ready (``ContainerCreating`` is visible between binding and this sync);
  * Running in the apiserver but not running here (container or sandbox killed, machine
    rebooted): kill what is left and start again, restart count + 1;
  * running here but shown not ready (the node controller marked it so): report ready again;
- containers of pods that no longer exist in the apiserver (or are bound elsewhere) are killed.

The kubelet never creates pods: replacements come from controllers. Left out: probes (a started
container is ready at once), image pulls, CrashLoopBackOff delays, static pods, node leases as
separate objects (the heartbeat stands for both the status update and the lease renewal).
"""

from __future__ import annotations

import attrs

from kmodel.state import COND_TRUE, RUNNING, Cluster
from kmodel.transition import Event, Outcome

SOURCE = "kubelet"


def actor(node_name: str) -> str:
    return f"kubelet/{node_name}"


def step(cluster: Cluster, node_name: str) -> list[Outcome]:
    node = cluster.node(node_name)
    if node is None or not cluster.kubelet_connected(node):
        return []
    s = cluster.settings
    now = cluster.now
    bound = cluster.pods_on(node_name)
    heartbeat_due = (
        node.ready != COND_TRUE
        or node.last_heartbeat is None
        or now - node.last_heartbeat >= s.node_status_update_frequency
    )
    if not heartbeat_due and len(bound) == len(node.running):
        # fast path: nothing to report and every bound pod runs, ready, and nothing else runs
        if all(p.name in node.running and p.ready and not p.terminating for p in bound):
            return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    running = set(node.running)

    if heartbeat_due:
        if node.ready != COND_TRUE:
            events.append(
                Event(now, SOURCE, "NodeReady", f"node/{node.name}", f"Node {node.name} status is now: NodeReady")
            )
            notes.append(f"{node.name} Ready {node.ready} -> True")
        node = attrs.evolve(node, ready=COND_TRUE, ready_reason="KubeletReady", last_heartbeat=now)

    for pod in bound:
        if pod.terminating:
            if pod.name in running:
                # first sync: stop the containers; the object goes on the next sync
                running.discard(pod.name)
                events.append(Event(now, SOURCE, "Killing", f"pod/{pod.name}", "Stopping container app"))
                notes.append(f"{pod.name} containers stopped")
            else:
                out = out.without_pod(pod.name)
                notes.append(f"{pod.name} removed")
        elif pod.name not in running:
            running.add(pod.name)
            if pod.phase == RUNNING:
                out = out.with_pod(
                    attrs.evolve(pod, restarts=pod.restarts + 1, ready=True, containers_ready=True, ready_since=now)
                )
                events.append(
                    Event(
                        now,
                        SOURCE,
                        "SandboxChanged",
                        f"pod/{pod.name}",
                        "Pod sandbox changed, it will be killed and re-created.",
                    )
                )
                notes.append(f"{pod.name} restarted (restarts {pod.restarts + 1})")
            else:
                out = out.with_pod(attrs.evolve(pod, phase=RUNNING, ready=True, containers_ready=True, ready_since=now))
                events.append(Event(now, SOURCE, "Started", f"pod/{pod.name}", "Started container app"))
                notes.append(f"{pod.name} Running")
        elif not pod.ready:
            out = out.with_pod(attrs.evolve(pod, ready=True, containers_ready=True, ready_since=now))
            notes.append(f"{pod.name} ready again")

    for name in sorted(running):
        pod = out.pod(name)
        if pod is None or pod.node_name != node_name:
            running.discard(name)
            notes.append(f"killed leftover containers of {name}")

    node = attrs.evolve(node, running=frozenset(running))
    out = out.with_node(node)
    if out == cluster:
        return []
    label_ = "; ".join(notes) if notes else f"heartbeat {node_name}"
    return [Outcome(actor(node_name), label_, out, tuple(events))]
