"""The kubelet on one node (pkg/kubelet): node heartbeats and pod sync.

One step is one sync of the node, which needs the kubelet process running on a powered machine
that can reach the apiserver (otherwise the kubelet only retries, and whatever containers run on
the machine keep running: the seeds' "the app still serves traffic"):

- Lease (pkg/kubelet/nodelease, on by default since 1.17 and the only heartbeat the node
  lifecycle controller needs): renew the node's Lease every ``nodeLeaseDurationSeconds / 4``
  (10 s), whatever the node status does;
- node status (kubelet_node_status.go): the Ready condition the kubelet computes is True, or
  False with reason KubeletNotReady while the container runtime is down. It is posted when it
  differs from what the apiserver shows (kubelet start, reconnection, runtime down or back, or
  the node controller's Unknown). The real kubelet notices a change at its next status check
  (every ``nodeStatusUpdateFrequency``); the model posts it at its next sync.
  Left out: the re-post of an *unchanged* status every ``nodeStatusReportFrequency`` (5m). The
  kubelet's status and Lease loops each run with jitter, so such a re-post lands at no fixed
  moment relative to the Lease renewals; taken at a renewal, it changes nothing the controllers
  act on (the node lifecycle controller's record, rebuilt for the new heartbeat, is refreshed by
  the renewal in the same pass), and kmodel takes it so. What it would change is the
  lastHeartbeatTime ``kubectl describe node`` shows: here the time of the last status change.
  Keeping a 5-minute phase per node for that alone would multiply the explored states;
- while the container runtime is down the kubelet skips pod sync altogether (the PLEG is
  unhealthy), so the rest happens only with the runtime up. For each pod bound to the node in
  the apiserver:
  * with a deletionTimestamp: stop its containers, and on the next sync (the containers have
    exited: the model assumes they do so promptly on SIGTERM) remove the pod object, finishing
    the graceful delete. So a deleted pod shows Terminating for at least one tick;
  * Pending and not running here: admit it (:mod:`kmodel.components.kubeletadmission`; new pods
    oldest first, each against the pods running here and those admitted before it), then create
    the sandbox, start the containers, report Running and ready (``ContainerCreating`` is visible
    between binding and this sync); a pod that fails admission is set Failed with the
    rejection's reason and never started;
  * Succeeded or Failed: nothing to do;
  * running here, with containers that finish (a Job's pods: the Scenario's ``workloads``
    section gives each container run a length and an exit code, :class:`kmodel.state.
    ContainerBehaviour`) and the run over: a run that exits 0 makes the pod Succeeded; one that
    exits non-zero makes it Failed under restartPolicy Never, and under OnFailure leaves it
    Running, not ready, waiting in CrashLoopBackOff: the container is started again
    (restart count + 1) once the back-off has passed, 10 s after the first failed run, doubling
    with each restart up to 300 s (``backOffPeriod`` and ``MaxContainerBackOff``,
    pkg/kubelet/kubelet.go). Pods without a behaviour (every Deployment's) run forever, as before;
    a restartPolicy Never pod whose sandbox was killed is Failed, not restarted;
  * Running in the apiserver but not running here (container or sandbox killed, machine
    rebooted): kill what is left and start again, restart count + 1;
  * running here but shown not ready (the node controller marked it so): report ready again;
- containers of pods that no longer exist in the apiserver (or are bound elsewhere) are killed.

- a pod with probes is probed at every sync (:mod:`kmodel.components.prober`: readiness,
  liveness and startup probes, and the CrashLoopBackOff of a container they kill); without
  probes a started container is ready at once.

The kubelet never creates pods: replacements come from controllers. Left out: image pulls,
the back-off's reset after a Job container has run well for 10 minutes, static pods, the
pressure conditions.
"""

from __future__ import annotations

from kmodel import podindex
from kmodel.components import kubeletadmission, prober
from kmodel.frozen import evolve
from kmodel.state import (
    COND_FALSE,
    COND_TRUE,
    FAILED,
    PENDING,
    RUNNING,
    SUCCEEDED,
    Cluster,
    Node,
    Pod,
    Resources,
    pods_by_node,
)
from kmodel.transition import Event, Outcome

SOURCE = "kubelet"


def crash_backoff(restarts: int) -> int:
    """Seconds a container that failed after ``restarts`` restarts waits before the next one (the
    CrashLoopBackOff delays of pkg/kubelet/kubelet.go, kept in :mod:`kmodel.components.prober`)."""
    return min(prober.INITIAL_BACKOFF * 2 ** min(restarts, 16), prober.MAX_BACKOFF)


def _run_fails(cluster: Cluster, pod: Pod) -> tuple[bool, Cluster]:
    """Whether the container run of ``pod`` that just ended exits non-zero, and the cluster with
    the run counted on its Job (the physical world: the first ``failures`` runs fail)."""
    b = pod.behaviour
    assert b is not None
    if b.exit_code == 0:
        return False, cluster
    if b.failures is None:
        return True, cluster
    job = cluster.job(pod.owner) if pod.owner_kind == "Job" and pod.owner else None
    if job is None or job.runs_failed >= b.failures:
        return False, cluster
    return True, cluster.with_job(evolve(job, runs_failed=job.runs_failed + 1))


def _run_over(pod: Pod, now: int) -> bool:
    b = pod.behaviour
    return b is not None and pod.run_started is not None and now - pod.run_started >= b.run_seconds


def actor(node_name: str) -> str:
    return f"kubelet/{node_name}"


def ready_condition(node: Node) -> tuple[str, str]:
    """The Ready condition the kubelet computes for its node: (status, reason)."""
    if node.runtime_ready:
        return COND_TRUE, "KubeletReady"
    return COND_FALSE, "KubeletNotReady"


def _admission(
    cluster: Cluster, node: Node, bound: list[Pod], running: set[str]
) -> dict[str, kubeletadmission.Rejection]:
    """The pods this sync would start that the kubelet rejects: the new ones (Pending, never
    started), oldest first, each checked against the pods already running here and the new ones
    admitted before it."""
    new = sorted(
        (p for p in bound if p.phase == PENDING and not p.terminating and p.name not in running),
        key=lambda p: (p.created, p.name),
    )
    if not new:
        return {}
    # (what the admitted pods use: the pods index keeps it for the node's pods, updated write by
    # write; then added to pod by pod)
    used, held = podindex.index(cluster.pods).per_node(
        "kubelet.admitted", node.name, _admitted_use, _admitted_update, _admitted_reads
    )
    ports = set(held)
    version = cluster.settings.kubernetes_version
    rejected = {}
    for pod in new:
        verdict = kubeletadmission.admit_on(pod, node, used, ports, version)
        if verdict is None:
            used = kubeletadmission.with_pod(used, ports, pod)
        else:
            rejected[pod.name] = verdict
    return rejected


def _admitted_use(group: tuple[Pod, ...]) -> tuple[Resources, frozenset[object]]:
    """What the pods running on a node use, as the kubelet's admission adds them up (each pod's
    requests and one pod), and their host ports. (The pods the kubelet admitted are those bound
    to the node and Running: a Pending pod has not been admitted yet.)"""
    used, ports = Resources(), set()  # type: ignore[var-annotated]
    for p in group:
        if p.phase == RUNNING:
            used = kubeletadmission.with_pod(used, ports, p)
    return used, frozenset(ports)


def _admitted_update(
    value: tuple[Resources, frozenset[object]], old: Pod | None, new: Pod | None
) -> tuple[Resources, frozenset[object]] | None:
    was = old is not None and old.phase == RUNNING
    now = new is not None and new.phase == RUNNING
    if not was and not now:
        return value
    if was or new is None:
        return None  # (a running pod changed or left: added up again)
    ports = set(value[1])
    used = kubeletadmission.with_pod(value[0], ports, new)  # (a sum: the order does not matter)
    return used, frozenset(ports)


def _admitted_reads(p: Pod) -> tuple[object, ...]:
    return p.phase == RUNNING, p.requests, p.scheduling.host_ports


_PRIORITISED = podindex.counter("kubelet.prioritised", lambda p: p.priority != 0)


def _start_time(cluster: Cluster, now: int) -> int | None:
    """status.startTime for a pod starting now. Its only reader in kmodel is the scheduler's
    preemption (among victims of equal priority the longer-running stay), which needs pods of
    different priorities: without PriorityClasses and with every pod at priority 0 it is left
    unset, so that states differing only in it stay one state for the checkers. The load model
    and the HPA controller read it too: a scenario with a ``load:`` section records it."""
    if cluster.priority_classes or podindex.index(cluster.pods).count(_PRIORITISED):
        return now
    if cluster.loads:
        # the load model's start-up spike and the HPA's CPU initialization period read it
        return now
    return None


def step(cluster: Cluster, node_name: str) -> list[Outcome]:
    node = cluster.node(node_name)
    if node is None or not cluster.kubelet_connected(node):
        return []
    s = cluster.settings
    now = cluster.now
    bound = [p for p in cluster.pods_on(node_name) if p.phase not in (SUCCEEDED, FAILED)] if node.runtime_ready else []
    want, reason = ready_condition(node)
    status_due = node.ready != want or node.last_heartbeat is None
    lease_due = node.lease_renew_time is None or now - node.lease_renew_time >= s.lease_renew_interval
    finishing = any(p.behaviour is not None for p in bound)
    if (
        not status_due
        and not lease_due
        and not finishing
        and (not node.runtime_ready or len(bound) == len(node.running))
    ):
        # fast path: nothing to post and every bound pod runs, ready, and nothing else runs (or
        # the runtime is down and the kubelet syncs no pod)
        if all(p.name in node.running and p.ready and not p.terminating and p.probes is None for p in bound):
            return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    running = set(node.running)

    if lease_due:
        node = evolve(node, lease_renew_time=now)
    if status_due:
        if node.ready != want:
            word = "NodeReady" if want == COND_TRUE else "NodeNotReady"
            events.append(Event(now, SOURCE, word, f"node/{node.name}", f"Node {node.name} status is now: {word}"))
            notes.append(f"{node.name} Ready {node.ready or 'none'} -> {want}")
        node = evolve(node, ready=want, ready_reason=reason, last_heartbeat=now)

    rejected = _admission(cluster, node, bound, running)
    for pod in bound:
        if pod.ready and pod.behaviour is None and pod.probes is None and not pod.terminating and pod.name in running:
            continue  # (running here, ready, nothing to probe or finish: none of the cases below)
        if pod.name in rejected:
            rejection = rejected[pod.name]
            out = out.with_pod(
                evolve(
                    pod,
                    phase=FAILED,
                    status_reason=rejection.reason,
                    status_message=f"Pod was rejected: {rejection.message}",
                )
            )
            events.append(Event(now, SOURCE, rejection.reason, f"pod/{pod.name}", rejection.message, "Warning"))
            notes.append(f"{pod.name} rejected ({rejection.reason})")
            continue
        if pod.terminating:
            if pod.name in running:
                # first sync: stop the containers; the object goes on the next sync
                running.discard(pod.name)
                events.append(Event(now, SOURCE, "Killing", f"pod/{pod.name}", "Stopping container app"))
                notes.append(f"{pod.name} containers stopped")
            else:
                out = out.without_pod(pod.name)
                notes.append(f"{pod.name} removed")
        elif (
            pod.name not in running
            and pod.phase == RUNNING
            and pod.behaviour is not None
            and pod.finished_at is not None
        ):
            # OnFailure, in CrashLoopBackOff since its last run failed
            if now < pod.finished_at + crash_backoff(pod.restarts):
                continue
            running.add(pod.name)
            out = out.with_pod(
                evolve(
                    pod,
                    restarts=pod.restarts + 1,
                    ready=True,
                    containers_ready=True,
                    ready_since=now,
                    run_started=now,
                    finished_at=None,
                )
            )
            events.append(Event(now, SOURCE, "Started", f"pod/{pod.name}", "Started container app"))
            notes.append(f"{pod.name} container restarted (restarts {pod.restarts + 1})")
        elif pod.name not in running and pod.phase == RUNNING and pod.restart_policy == "Never":
            # the sandbox was killed: a Never pod's containers are not started again
            out = out.with_pod(evolve(pod, phase=FAILED, ready=False, containers_ready=False, finished_at=now))
            notes.append(f"{pod.name} Failed (its containers were killed; restartPolicy Never)")
        elif pod.name not in running:
            running.add(pod.name)
            run_started = now if pod.behaviour is not None else None
            if pod.phase == RUNNING:
                if prober.crash_looping(pod):
                    # a new sandbox; the container still waits out its back-off (prober.sync)
                    notes.append(f"{pod.name} sandbox re-created (container in back-off)")
                elif prober.has_probes(pod):
                    fresh = evolve(pod, restarts=pod.restarts + 1, containers_ready=False, run_started=run_started)
                    synced, probe_events, probe_notes = prober.sync(prober.start(fresh, now), now)
                    out = out.with_pod(synced)
                    events.extend(probe_events)
                    notes.extend(probe_notes)
                else:
                    out = out.with_pod(
                        evolve(
                            pod,
                            restarts=pod.restarts + 1,
                            ready=True,
                            containers_ready=True,
                            ready_since=now,
                            run_started=run_started,
                        )
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
                if not prober.crash_looping(pod):
                    notes.append(f"{pod.name} restarted (restarts {pod.restarts + 1})")
            else:
                started = pod.start_time if pod.start_time is not None else _start_time(cluster, now)
                if prober.has_probes(pod):
                    fresh = evolve(pod, phase=RUNNING, start_time=started, run_started=run_started)
                    synced, probe_events, probe_notes = prober.sync(prober.start(fresh, now), now)
                    out = out.with_pod(synced)
                    events.append(Event(now, SOURCE, "Started", f"pod/{pod.name}", "Started container app"))
                    events.extend(probe_events)
                    notes.append(f"{pod.name} Running")
                    notes.extend(probe_notes)
                    continue
                out = out.with_pod(
                    evolve(
                        pod,
                        phase=RUNNING,
                        ready=True,
                        containers_ready=True,
                        ready_since=now,
                        start_time=started,
                        run_started=run_started,
                    )
                )
                events.append(Event(now, SOURCE, "Started", f"pod/{pod.name}", "Started container app"))
                notes.append(f"{pod.name} Running")
        elif _run_over(pod, now):
            running.discard(pod.name)
            fails, out = _run_fails(out, pod)
            done = dict(ready=False, containers_ready=False, finished_at=now)
            if not fails:
                out = out.with_pod(evolve(pod, phase=SUCCEEDED, **done))
                notes.append(f"{pod.name} Succeeded")
            elif pod.restart_policy == "Never":
                out = out.with_pod(evolve(pod, phase=FAILED, **done))
                notes.append(f"{pod.name} Failed (exit code {pod.behaviour.exit_code if pod.behaviour else 1})")
            else:
                out = out.with_pod(evolve(pod, **done))
                events.append(
                    Event(
                        now,
                        SOURCE,
                        "BackOff",
                        f"pod/{pod.name}",
                        f"Back-off restarting failed container app in pod {pod.name}",
                        "Warning",
                    )
                )
                wait = crash_backoff(pod.restarts)
                notes.append(f"{pod.name} container exited non-zero; CrashLoopBackOff {wait}s")
        elif prober.has_probes(pod):
            synced, probe_events, probe_notes = prober.sync(pod, now)
            if synced != pod:
                out = out.with_pod(synced)
                events.extend(probe_events)
                notes.extend(probe_notes)
        elif not pod.ready:
            out = out.with_pod(evolve(pod, ready=True, containers_ready=True, ready_since=now))
            notes.append(f"{pod.name} ready again")

    # (the pods bound here, from the pods index: one lookup per running container was a search
    # of every pod)
    here = {p.name for p in pods_by_node(out.pods).get(node_name, ())} if node.runtime_ready and running else set()
    for name in sorted(running) if node.runtime_ready else ():
        if name not in here:
            running.discard(name)
            notes.append(f"killed leftover containers of {name}")

    node = evolve(node, running=frozenset(running))
    out = out.with_node(node)
    if out == cluster:
        return []
    label_ = "; ".join(notes) if notes else f"{'heartbeat' if status_due else 'renew Lease of'} {node_name}"
    return [Outcome(actor(node_name), label_, out, tuple(events))]
