"""The model: which components exist, when they may act, and how time advances.

Time is discrete. Within one tick every component that is *due* takes at most one step (the
scheduler one step per pending pod), in any order; the clock then advances by ``settings.step``
seconds. A component is due when its process runs, it can reach the apiserver, its period divides
the current time (node lifecycle every ``nodeMonitorPeriod``, pod GC every ``podGCPeriod``, the
HorizontalPodAutoscaler every ``horizontalPodAutoscalerSyncPeriod``, everything else every tick)
and its step would change something. So no component can fall more than a tick behind, which
is what lets bounded-time properties ("evicted no later than ...") hold.

``kmodel simulate`` runs the components in the fixed order of :data:`COMPONENTS` (kubelets first,
the endpoints controller last) and takes the first successor of each step; the checkers
(``kmodel check``) explore every order and every successor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from attrs import frozen

from kmodel import ha, informer, watchcache
from kmodel.components import (
    daemonset,
    deployment,
    descheduler,
    disruption,
    drain,
    endpoints,
    garbagecollector,
    horizontalpodautoscaler,
    job,
    kubelet,
    nodelifecycle,
    podgc,
    replicaset,
    scheduler,
    statefulset,
    tainteviction,
)
from kmodel.frozen import evolve
from kmodel.state import Cluster, ControllerMemory
from kmodel.transition import Outcome

StepFn = Callable[[Cluster], list[Outcome]]


def _always(_: Cluster) -> bool:
    return True


@frozen
class Component:
    name: str
    host: str  # "kubelet", "kube-controller-manager", "kube-scheduler"
    step: StepFn
    due: Callable[[Cluster], bool] = _always
    repeat: bool = False  # acts once per work item per tick (the scheduler), not once per tick


CONTROLLERS: tuple[Component, ...] = (
    Component("nodelifecycle", "kube-controller-manager", nodelifecycle.step, nodelifecycle.is_due),
    Component("tainteviction", "kube-controller-manager", tainteviction.step),
    Component("podgc", "kube-controller-manager", podgc.step, podgc.is_due),
    Component("garbagecollector", "kube-controller-manager", garbagecollector.step),
    Component("deployment", "kube-controller-manager", deployment.step),
    Component("replicaset", "kube-controller-manager", replicaset.step),
    Component("statefulset", "kube-controller-manager", statefulset.step),
    Component("job", "kube-controller-manager", job.step),
    Component("daemonset", "kube-controller-manager", daemonset.step),
    Component(
        "horizontalpodautoscaler",
        "kube-controller-manager",
        horizontalpodautoscaler.step,
        horizontalpodautoscaler.is_due,
    ),
    Component("disruption", "kube-controller-manager", disruption.step),
    Component("scheduler", "kube-scheduler", scheduler.step, repeat=True),
    Component("endpoints", "kube-controller-manager", endpoints.step),
    # optional: acts only in scenarios with a DeschedulerPolicy (kubernetes-sigs/descheduler)
    Component("descheduler", "descheduler", descheduler.step, descheduler.is_due),
    # kubectl drain, while one runs (a client beside the control plane, not a controller)
    Component("drain", "kubectl", drain.step),
)


def kubelet_component(node_name: str) -> Component:
    def step(cluster: Cluster) -> list[Outcome]:
        return kubelet.step(cluster, node_name)

    return Component(kubelet.actor(node_name), "kubelet", step)


def components(cluster: Cluster, replace: dict[str, StepFn] | None = None) -> list[Component]:
    """All components in the fixed simulation order; ``replace`` swaps in other step functions
    (used by tests to plug in deliberately broken components)."""
    comps = [kubelet_component(n.name) for n in cluster.nodes] + list(CONTROLLERS)
    if replace:
        comps = [
            evolve(c, step=replace.get(c.name, replace.get(c.host, c.step)))  # type: ignore[arg-type]
            if c.name in replace or c.host in replace
            else c
            for c in comps
        ]
    return comps


def component_steps(cluster: Cluster, comp: Component) -> list[Outcome]:
    """Successors of one step of ``comp``; empty when it is not due or has nothing to do."""
    if comp.name in cluster.ran or not comp.due(cluster):
        return []
    node = comp.name.partition("/")[2] if comp.host == "kubelet" else ""
    if node and watchcache.pinned(cluster, node):
        # a kubelet that listed its pods from a lagging apiserver's watch cache (kmodel.watchcache)
        outs = watchcache.step_on_view(cluster, node, comp.step)
    else:
        outs = informer.step_on_view(cluster, comp.name, comp.step)
    if comp.repeat:
        return outs
    return [evolve(o, state=evolve(o.state, ran=o.state.ran | {comp.name})) for o in outs]


def tick(cluster: Cluster) -> Cluster:
    """Advance the clock by one step (see :func:`_tick`); with several control-plane machines,
    then renew, give up and take over the leader Leases (:func:`kmodel.ha.on_tick`)."""
    out = _tick(cluster)
    return out if out.ha is None else ha.on_tick(cluster, out)


def _tick(cluster: Cluster) -> Cluster:
    """Advance the clock by one step; every component may act again.

    Leader election (``--leader-elect``, on by default): a kube-controller-manager that cannot
    renew its lease through the apiserver for ``leaderElectionRenewDeadline`` gives up
    leadership and exits, and is restarted with empty memory (client-go's leaderelection;
    the process ends with "leaderelection lost"). So after an apiserver outage longer than the
    deadline every node gets a fresh grace period, and nodes are not marked Unknown just
    because their heartbeats could not get through.
    """
    now = cluster.now + cluster.settings.step
    out = evolve(cluster, now=now, ran=frozenset(), sched_attempted=frozenset())
    cp = out.control_plane
    if out.apiserver_available:
        if cp.apiserver_down_since is not None:
            out = evolve(out, control_plane=evolve(cp, apiserver_down_since=None))
        return out
    since = cp.apiserver_down_since
    if since is None:
        # it went down during the tick that just ended
        since = cluster.now
        out = evolve(out, control_plane=evolve(cp, apiserver_down_since=since))
    if now - since >= cluster.settings.leader_election_renew_deadline and out.memory != ControllerMemory():
        out = evolve(out, memory=ControllerMemory())
    if now - since >= cluster.settings.leader_election_renew_deadline:
        # the restarted process starts with no expectations and freshly listed informers
        out = informer.forget(out, "controller-manager")
    return out


def _first_steps(cluster: Cluster, comp: Component) -> list[Outcome]:
    """:func:`component_steps` for a caller that takes the first successor: the scheduler then
    builds that one alone (kmodel.components.scheduler.first_successor_only)."""
    scheduler.first_successor_only = True
    try:
        return component_steps(cluster, comp)
    finally:
        scheduler.first_successor_only = False


def fixed_schedule(cluster: Cluster, replace: dict[str, StepFn] | None = None) -> Iterator[Outcome]:
    """One tick of the fixed fair order ``simulate`` uses: every due component in the order of
    :func:`components` (the scheduler until its queue is empty), each taking the first
    successor, each step applied on top of the previous one. Yields the outcomes in order; the
    last one's state is the state at the end of the tick (before the clock advances)."""
    yield from fixed_schedule_steps(cluster, components(cluster, replace))


REPEAT = 10_000  # steps a repeating component (the scheduler) takes at most in one tick of simulate


def fixed_schedule_steps(cluster: Cluster, comps: list[Component]) -> Iterator[Outcome]:
    """:func:`fixed_schedule` over the components ``comps`` (in that order)."""
    state = cluster
    for comp in comps:
        for _ in range(REPEAT if comp.repeat else 1):
            outs = _first_steps(state, comp)
            if not outs:
                break
            # no lag here: every change reaches every informer at once
            state = informer.flush(informer.observe(state, outs[0].state))
            yield outs[0] if state is outs[0].state else evolve(outs[0], state=state)
