"""Deliberately broken components, to show that each built-in property catches the bug it is for.

Each one is a step function in the shape :func:`kmodel.model.components` swaps in
(``KubeModel(scenario, replace={"scheduler": scheduler_ignoring_taints})``), built from the real
component with one small change, and documented with the real bug or misconfiguration it
imitates. Kubelets need one entry per node (their step takes the node name): use
:func:`per_kubelet`.

| broken component                        | replaces        | caught by                        |
|-----------------------------------------|-----------------|----------------------------------|
| scheduler_ignoring_taints               | scheduler       | no-schedule-to-unready-node      |
| scheduler_rebinding_from_unready_nodes  | scheduler       | bound-pods-stay-put              |
| scheduler_ignoring_pod_affinity         | scheduler       | anti-affinity-respected          |
| scheduler_preempting_equal_priority     | scheduler       | no-preemption-of-higher-priority |
| replicaset_counting_terminating         | replicaset      | replica-convergence              |
| replicaset_one_too_many                 | replicaset      | no-over-replication              |
| tainteviction_ignoring_toleration       | tainteviction   | eviction-after-timeout (a)       |
| tainteviction_never_evicting            | tainteviction   | eviction-after-timeout (b)       |
| kubelet_never_finishing_deletions       | kubelet/<node>  | replica-convergence              |
| daemonset_without_daemon_tolerations    | daemonset       | daemonset-on-every-eligible-node |
| statefulset_replacing_unconfirmed       | statefulset     | at-most-one-pod-per-ordinal (c)  |
| job_ignoring_backoff_limit (JOB_CASE)   | job             | job-completes-or-fails,          |
|                                         |                 | job-retries-bounded (c)          |
| deployment_ignoring_max_unavailable     | deployment      | rollout-respects-max-unavailable |
|                                         |                 | (c)                              |
| deployment_never_scaling_old_down       | deployment      | rollout-completes (c)            |
| deployment_ignoring_max_surge           | deployment      | no-over-replication (c)          |
| hpa_without_downscale_stabilization     | horizontal-     | no-oscillation (c)               |
|                                         | podautoscaler   |                                  |
| drain_through_eviction_ignoring_budgets | drain (kubectl) | pdb-respected (c)                |
| (PDB_CASE)                              |                 |                                  |
| eviction_not_decrementing               | drain (kubectl) | pdb-respected (c)                |
| (PDB_DECREMENT_CASE)                    |                 |                                  |

(c) not in :data:`CASES`, whose members each have a counterexample picture committed in
diagrams/: tests/test_statefulset.py runs the StatefulSet one with both engines,
properties/test_job_completes_or_fails.py the Job one (its counterexample is a run of twenty
minutes), tests/test_rollout_properties.py the first two Deployment ones, and
tests/test_smt_rollout.py the third with the explorer and the Z3 workload slice;
tests/test_hpa.py the HPA one with the explorer and Hypothesis.
tests/test_smt_rollout.py the third with the explorer and the Z3 workload slice, and
tests/test_pdb.py the eviction API one with the explorer and Hypothesis.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
from attrs import frozen

from kmodel import model
from kmodel.checkmodel import KubeModel
from kmodel.components import (
    daemonset,
    deployment,
    drain,
    eviction,
    job,
    kubelet,
    replicaset,
    scheduler,
    statefulset,
    tainteviction,
)
from kmodel.scenario import Scenario, load
from kmodel.state import COND_TRUE, FAILED, SUCCEEDED, Cluster, ReplicaSet, Toleration
from kmodel.transition import Event, Outcome


def per_kubelet(cluster: Cluster, step: Callable[[Cluster, str], list[Outcome]]) -> dict[str, model.StepFn]:
    """``replace`` entries putting ``step`` in place of the kubelet of every node."""

    def on(node_name: str) -> model.StepFn:
        return lambda c: step(c, node_name)

    return {kubelet.actor(n.name): on(n.name) for n in cluster.nodes}


# --- kube-scheduler ----------------------------------------------------------------------------------


def scheduler_preempting_equal_priority(cluster: Cluster) -> list[Outcome]:
    """A scheduler whose preemption compares priorities with ``<=``: it may preempt a pod of the
    same priority as the one it makes room for (``isPreemptionAllowed`` off by one).

    It sees every bound pod one priority lower than it is, and the pods keep their real
    priorities in the states it produces. With every pod at the default priority 0, a pending
    replica then preempts its running siblings, the preemption storm the strict comparison
    prevents.
    """
    seen = tuple(
        attrs.evolve(p, scheduling=attrs.evolve(p.scheduling, priority=p.priority - 1)) if p.node_name else p
        for p in cluster.pods
    )

    def real(state: Cluster) -> Cluster:
        pods = tuple(
            attrs.evolve(p, scheduling=orig.scheduling) if (orig := cluster.pod(p.name)) is not None else p
            for p in state.pods
        )
        return attrs.evolve(state, pods=pods)

    return [attrs.evolve(o, state=real(o.state)) for o in scheduler.step(attrs.evolve(cluster, pods=seen))]


def scheduler_ignoring_taints(cluster: Cluster) -> list[Outcome]:
    """A scheduler without the TaintToleration filter: it sees every node untainted.

    Since TaintNodesByCondition the scheduler does not look at the Ready condition at all; the
    not-ready / unreachable NoSchedule taints are how it avoids lost nodes. So this one also
    binds pods to NotReady nodes (and to control-plane nodes), the way pods landed on not-yet-
    ready nodes in kubernetes#72129 before the NodeTaint admission plugin (PR 73097) tainted new
    nodes at creation.
    """
    blind = attrs.evolve(cluster, nodes=tuple(attrs.evolve(n, taints=()) for n in cluster.nodes))
    return [attrs.evolve(o, state=attrs.evolve(o.state, nodes=cluster.nodes)) for o in scheduler.step(blind)]


def scheduler_ignoring_pod_affinity(cluster: Cluster) -> list[Outcome]:
    """A scheduler without the InterPodAffinity plugin: it sees no pod's affinity or
    anti-affinity (as a profile that disables the plugin, or a scheduler older than the pods'
    terms, would), so replicas meant to be kept apart share a node.
    """
    blind = attrs.evolve(
        cluster,
        pods=tuple(
            attrs.evolve(p, scheduling=attrs.evolve(p.scheduling, pod_affinity=None, pod_anti_affinity=None))
            for p in cluster.pods
        ),
    )
    spec = {p.name: p.scheduling for p in cluster.pods}
    out = []
    for o in scheduler.step(blind):
        pods = tuple(attrs.evolve(p, scheduling=spec.get(p.name, p.scheduling)) for p in o.state.pods)
        out.append(attrs.evolve(o, state=attrs.evolve(o.state, pods=pods)))
    return out


def scheduler_rebinding_from_unready_nodes(cluster: Cluster) -> list[Outcome]:
    """A scheduler that treats pods on nodes that are not Ready as unscheduled and binds them
    again, to another node.

    Imitates a scheduler working from a stale cache that lost a pod's binding (and an apiserver
    that would accept a second binding; the real one answers 409 Conflict "pod ... is already
    assigned to node ...", as in the "binding rejected" reports of kubernetes#1139 and the guard
    of PR 108667), and also the common belief that Kubernetes moves pods off a failed node: seed
    000 shows it does not; it deletes them (after the toleration) and creates new ones.
    """
    unready = {n.name for n in cluster.nodes if n.ready != COND_TRUE}
    stale = tuple(
        attrs.evolve(p, node_name=None) if p.node_name in unready and not p.terminating else p for p in cluster.pods
    )
    view = attrs.evolve(cluster, pods=stale)
    outcomes = []
    for o in scheduler.step(view):
        state = attrs.evolve(cluster, sched_attempted=o.state.sched_attempted)
        for p in o.state.pods:
            seen = view.pod(p.name)
            if seen is not None and seen.node_name is None and p.node_name is not None:
                original = cluster.pod(p.name)
                assert original is not None
                state = state.with_pod(attrs.evolve(original, node_name=p.node_name))
        outcomes.append(attrs.evolve(o, state=state))
    return outcomes


# --- Job controller ----------------------------------------------------------------------------------


def job_ignoring_backoff_limit(cluster: Cluster) -> list[Outcome]:
    """A Job controller that never fails a Job for its failed pods: the real sync run against a
    backoffLimit no count reaches, so pods that keep failing are replaced for ever (with the
    back-off between them). The spec is left as it was. Imitates a controller that lost the
    check of ``failed > backoffLimit``."""
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for j in cluster.jobs:
        out = job.sync(out, attrs.evolve(j, backoff_limit=2**31 - 1), events, notes)
        synced = out.job(j.name)
        assert synced is not None
        out = out.with_job(attrs.evolve(synced, backoff_limit=j.backoff_limit))
    if out == cluster:
        return []
    return [Outcome("job", "; ".join(notes) or "update job status", out, tuple(events))]


# --- ReplicaSet controller -----------------------------------------------------------------------------


def _sync_as_if(cluster: Cluster, rs_name: str, replicas: int, events: list[Event], notes: list[str]) -> Cluster:
    """The real ReplicaSet sync run against ``replicas`` instead of spec.replicas; the spec is
    left as it was."""
    rs = cluster.replicaset(rs_name)
    assert rs is not None
    out = replicaset.sync(cluster, attrs.evolve(rs, replicas=replicas), events, notes)
    synced = out.replicaset(rs_name)
    assert synced is not None
    return out.with_replicaset(attrs.evolve(synced, replicas=rs.replicas))


def _replicaset_step(cluster: Cluster, target: Callable[[Cluster, str], int]) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for rs in cluster.replicasets:
        out = _sync_as_if(out, rs.name, target(out, rs.name), events, notes)
    if out == cluster:
        return []
    return [Outcome("replicaset", "; ".join(notes) or "update replicaset status", out, tuple(events))]


def replicaset_counting_terminating(cluster: Cluster) -> list[Outcome]:
    """A ReplicaSet controller that counts Terminating pods as if they were still active, so it
    creates a replacement only once the old pod is gone.

    The real controller (``controller.FilterActivePods``) leaves pods with a deletionTimestamp
    out and replaces them at once (seed 000: old pod Terminating, new one Running). Waiting for
    termination is what KEP-3973 ("Consider Terminating Pods in Deployments") offers as an
    opt-in policy; applied to a pod evicted from a dead node it means no replacement at all, since
    that pod stays Terminating until the node comes back.
    """

    def target(c: Cluster, name: str) -> int:
        rs = c.replicaset(name)
        assert rs is not None
        pods = replicaset.owned_pods(c, rs)
        active = sum(1 for p in pods if p.active)
        terminating = sum(1 for p in pods if p.terminating and p.phase not in (SUCCEEDED, FAILED))
        if active > rs.replicas:
            return rs.replicas  # scale-down as usual
        if active + terminating < rs.replicas:
            return rs.replicas - terminating  # create only what the Terminating pods do not "cover"
        return active  # nothing to do

    return _replicaset_step(cluster, target)


def replicaset_one_too_many(cluster: Cluster) -> list[Outcome]:
    """A ReplicaSet controller that keeps spec.replicas + 1 pods.

    Imitates the double creation that the controller's expectations exist to prevent: a sync
    that acts on an informer cache which has not yet seen its own creations creates the missing
    pods again (kubernetes#129795: expectations that expire while the informer lags let the
    controller create extra pods).
    """

    def target(c: Cluster, name: str) -> int:
        rs = c.replicaset(name)
        assert rs is not None
        return rs.replicas + 1

    return _replicaset_step(cluster, target)


# --- taint eviction controller ---------------------------------------------------------------------------


def _with_toleration_seconds(cluster: Cluster, seconds: int | None) -> list[Outcome]:
    """The real taint eviction step, run on a view where every toleration that has
    tolerationSeconds has ``seconds`` instead; the pods keep their own tolerations."""

    def changed(t: Toleration) -> Toleration:
        return attrs.evolve(t, toleration_seconds=seconds) if t.toleration_seconds is not None else t

    view = attrs.evolve(
        cluster,
        pods=tuple(attrs.evolve(p, tolerations=tuple(changed(t) for t in p.tolerations)) for p in cluster.pods),
    )
    outcomes = []
    for o in tainteviction.step(view):
        pods = []
        for p in o.state.pods:
            original = cluster.pod(p.name)
            pods.append(attrs.evolve(p, tolerations=original.tolerations) if original is not None else p)
        state = attrs.evolve(o.state, pods=tuple(pods))
        if state != cluster:
            outcomes.append(attrs.evolve(o, state=state))
    return outcomes


def tainteviction_ignoring_toleration(cluster: Cluster) -> list[Outcome]:
    """A taint eviction controller that does not wait for tolerationSeconds: it deletes a pod as
    soon as its node gets a NoExecute taint the pod tolerates only for a while.

    Imitates a cluster whose pods lack the default 300 s not-ready / unreachable tolerations (the
    DefaultTolerationSeconds admission plugin disabled): the first NoExecute taint after a missed
    heartbeat grace period then deletes every pod on the node at once, so a short outage empties
    the node.
    """
    return _with_toleration_seconds(cluster, 0)


def tainteviction_never_evicting(cluster: Cluster) -> list[Outcome]:
    """A taint eviction controller that takes every toleration as lasting forever, so it never
    deletes a pod that tolerates the taint at all.

    Imitates the taint eviction controller switched off (since v1.29 it is a controller of its
    own, KEP-3902, and ``--controllers=-taint-eviction-controller`` disables it) or pods whose
    unreachable toleration has no tolerationSeconds: pods on a dead node stay bound and count as
    active forever, so their ReplicaSet never replaces them.
    """
    return _with_toleration_seconds(cluster, None)


# --- kubelet -----------------------------------------------------------------------------------------------


def kubelet_never_finishing_deletions(cluster: Cluster, node_name: str) -> list[Outcome]:
    """A kubelet that stops a deleted pod's containers but never removes the pod object: the pod
    shows Terminating forever and keeps its room on the node.

    Imitates the many "pods stuck in Terminating" reports, e.g. kubernetes#51835, where the
    kubelet cannot finish the pod's cleanup (a volume that will not unmount) and so never
    confirms the deletion.
    """
    outcomes = []
    for o in kubelet.step(cluster, node_name):
        state = o.state
        stuck = [p for p in cluster.pods_on(node_name) if p.terminating and state.pod(p.name) is None]
        for p in stuck:
            state = state.with_pod(p)
        if state == cluster:
            continue
        label = (
            "; ".join(part for part in o.label.split("; ") if not any(part == f"{p.name} removed" for p in stuck))
            or f"heartbeat {node_name}"
        )
        outcomes.append(attrs.evolve(o, state=state, label=label))
    return outcomes


# --- the cases: each broken component, where it shows, and the property that catches it ---------------

# --- DaemonSet controller ----------------------------------------------------------------------------


def daemonset_without_daemon_tolerations(cluster: Cluster) -> list[Outcome]:
    """A DaemonSet controller that forgets ``AddOrUpdateDaemonPodTolerations``: it judges nodes
    and creates pods with the template's tolerations only (as DaemonSet pods were before
    TaintNodesByCondition, or a hand-rolled "one pod per node" operator).

    A cordoned node carries node.kubernetes.io/unschedulable:NoSchedule, which it no longer
    tolerates: the node never gets its daemon pod (and a memory-pressure or disk-pressure node
    loses its pod to nothing, while the real one keeps it). The real function is swapped out for
    the duration of the step only.
    """
    real = daemonset.daemon_tolerations
    daemonset.daemon_tolerations = lambda tolerations, host_network=False: tolerations  # type: ignore[assignment]
    try:
        return daemonset.step(cluster)
    finally:
        daemonset.daemon_tolerations = real  # type: ignore[assignment]


ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SCENARIOS = ROOT / "scenarios"
Replace = Callable[[Scenario], dict[str, model.StepFn]]


def _fixed(name: str, fn: model.StepFn) -> Replace:
    return lambda _scen: {name: fn}


def _kubelets(scen: Scenario) -> dict[str, model.StepFn]:
    return per_kubelet(scen.initial_state(), kubelet_never_finishing_deletions)


@frozen
class BrokenCase:
    """A broken component on the scenario and fault budget where a built-in property catches it."""

    slug: str  # file-name friendly id
    title: str
    scenario: Path
    property: str
    faults: tuple[tuple[str, int], ...]
    replace: Replace
    events: tuple[str, ...] = ()  # extra timeline events
    drop_timeline: bool = False
    settle: bool = True  # False: check from t=0 (when the bug already shows while settling)

    def load(self) -> Scenario:
        scen = load(self.scenario, list(self.events)) if self.events else load(self.scenario)
        return attrs.evolve(scen, timeline=()) if self.drop_timeline else scen

    def model(self, scen: Scenario | None = None, *, broken: bool = True) -> KubeModel:
        scen = scen or self.load()
        replace = self.replace(scen) if broken else None
        return KubeModel(scen, faults=self.faults, replace=replace, settle=self.settle)


POWER_OFF_ONE = (("powerOffNode", 1),)
CASES = (
    BrokenCase(
        "scheduler-ignoring-taints",
        "scheduler ignoring taints",
        DATA / "props-two-workers.yaml",
        "no-schedule-to-unready-node",
        POWER_OFF_ONE,
        _fixed("scheduler", scheduler_ignoring_taints),
    ),
    BrokenCase(
        "scheduler-rebinding",
        "scheduler rebinding",
        DATA / "props-two-workers.yaml",
        "bound-pods-stay-put",
        POWER_OFF_ONE,
        _fixed("scheduler", scheduler_rebinding_from_unready_nodes),
    ),
    BrokenCase(
        "replicaset-one-too-many",
        "replicaset one too many",
        SCENARIOS / "seed-scaling.yaml",
        "no-over-replication",
        (),
        _fixed("replicaset", replicaset_one_too_many),
        drop_timeline=True,
        settle=False,
    ),
    BrokenCase(
        "tainteviction-ignoring-toleration",
        "taint eviction ignoring tolerationSeconds",
        DATA / "props-two-workers.yaml",
        "eviction-after-timeout",
        POWER_OFF_ONE,
        _fixed("tainteviction", tainteviction_ignoring_toleration),
    ),
    BrokenCase(
        "tainteviction-never-evicting",
        "taint eviction never evicting",
        DATA / "props-two-workers.yaml",
        "eviction-after-timeout",
        POWER_OFF_ONE,
        _fixed("tainteviction", tainteviction_never_evicting),
    ),
    BrokenCase(
        "replicaset-counting-terminating",
        "replicaset counting Terminating pods",
        DATA / "props-two-workers.yaml",
        "replica-convergence",
        (),
        _fixed("replicaset", replicaset_counting_terminating),
        events=("20s stop node/worker-2",),
    ),
    BrokenCase(
        "kubelet-never-finishing-deletions",
        "kubelet never finishing deletions",
        DATA / "props-one-worker.yaml",
        "replica-convergence",
        (("deletePod", 1),),
        _kubelets,
    ),
    BrokenCase(
        "daemonset-without-daemon-tolerations",
        "daemonset without its tolerations",
        DATA / "ds-cordoned.yaml",
        "daemonset-on-every-eligible-node",
        (),
        _fixed("daemonset", daemonset_without_daemon_tolerations),
    ),
)


# --- StatefulSet controller ----------------------------------------------------------------------------


def statefulset_replacing_unconfirmed(cluster: Cluster) -> list[Outcome]:
    """A StatefulSet controller that takes a Terminating member for gone: it removes the pod
    object at once (a delete with grace period 0, as if the kubelet had confirmed) and so
    recreates the member at its next sync, while the old containers may still run.

    The real controller waits in ``processReplica`` for a Terminating pod to disappear
    ("StatefulSet is waiting for Pod to Terminate"); an operator script that force-deletes
    Terminating pods does what this one does. Caught by at-most-one-pod-per-ordinal.
    """
    out = cluster
    notes = []
    if cluster.controller_manager_active:
        for s in cluster.statefulsets:
            for p in cluster.pods:
                if p.owned_by(statefulset.KIND, s.name) and p.terminating:
                    out = out.without_pod(p.name)
                    notes.append(f"{s.name}: forget {p.name} (deletion not confirmed)")
    outs = statefulset.step(out)
    if out == cluster:
        return outs
    if not outs:
        return [Outcome("statefulset", "; ".join(notes), out)]
    first = outs[0]
    return [Outcome("statefulset", "; ".join([*notes, first.label]), first.state, first.events)]


JOB_CASE = BrokenCase(
    "job-ignoring-backoff-limit",
    "job controller ignoring backoffLimit",
    DATA / "job-always-fails.yaml",
    "job-completes-or-fails",
    (),
    _fixed("job", job_ignoring_backoff_limit),
    settle=False,
)


# --- Deployment controller --------------------------------------------------------------------------


def deployment_ignoring_max_unavailable(cluster: Cluster) -> list[Outcome]:
    """A Deployment controller that reads maxUnavailable as 100% (as a controller that computed
    the floor from the wrong field would): old ReplicaSets go to 0 at the first sync of a
    rollout, before any new pod is available. Caught by rollout-respects-max-unavailable."""
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for d in cluster.deployments:
        out = deployment.sync(out, attrs.evolve(d, max_unavailable="100%"), events, notes)
        synced = out.deployment(d.name)
        assert synced is not None
        out = out.with_deployment(attrs.evolve(synced, max_unavailable=d.max_unavailable))
    if out == cluster:
        return []
    return [Outcome("deployment", "; ".join(notes) or "update deployment status", out, tuple(events))]


class _NeverScalingDown(deployment._Sync):
    def reconcile_old(self, all_rs: list[ReplicaSet], olds: list[ReplicaSet], new: ReplicaSet) -> bool:
        return False


def deployment_never_scaling_old_down(cluster: Cluster) -> list[Outcome]:
    """A Deployment controller whose reconcileOldReplicaSets never scales anything down (as one
    that always found maxScaledDown <= 0): the new ReplicaSet grows to replicas and the old one
    keeps its pods for ever. Caught by rollout-completes."""
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for d in cluster.deployments:
        out = _NeverScalingDown(out, d, events, notes).run()
    if out == cluster:
        return []
    return [Outcome("deployment", "; ".join(notes) or "update deployment status", out, tuple(events))]


IGNORED_SURGE = 1_000_000  # kmodel.smt.deploymentsync.IGNORED_SURGE: the encoding's same constant


def deployment_ignoring_max_surge(cluster: Cluster) -> list[Outcome]:
    """A Deployment controller that scales a rollout's new ReplicaSet straight to spec.replicas
    (as if maxSurge had no bound), while the old ReplicaSet still has its replicas.

    Imitates a controller that reads maxSurge wrongly (a percentage resolved against the wrong
    number, or a validation gap letting an absurd value through): during a rolling update the
    old and new ReplicaSets together then ask for up to twice spec.replicas. The real step runs
    on a view where every Deployment's maxSurge is huge; the Deployments keep their own value.
    """
    surge = {d.name: d.max_surge for d in cluster.deployments}
    view = attrs.evolve(
        cluster, deployments=tuple(attrs.evolve(d, max_surge=str(IGNORED_SURGE)) for d in cluster.deployments)
    )
    out = []
    for o in deployment.step(view):
        restored = tuple(attrs.evolve(d, max_surge=surge.get(d.name, d.max_surge)) for d in o.state.deployments)
        out.append(attrs.evolve(o, state=attrs.evolve(o.state, deployments=restored)))
    return out


# --- the descheduler (kmodel.components.descheduler) -----------------------------------------------


def descheduler_ignoring_node_fit(cluster: Cluster) -> list[Outcome]:
    """A descheduler whose DefaultEvictor ignores ``nodeFit: true`` (its PreEvictionFilter lets
    every pod through), caught by no-eviction-cycle on scenarios/descheduler-cycle-fixed.yaml.

    Imitates descheduler v0.24, whose LowNodeUtilization did not apply nodeFit
    (kubernetes-sigs/descheduler issue #886, "LowNodeUtilization doesn't check
    nodeSelector/nodeAffinity when choosing pods to evict"): pods that fit no other node are
    evicted, and the scheduler puts them straight back (issue #994)."""
    from kmodel.components import descheduler

    return descheduler.step(cluster, ignore_node_fit=True)


def descheduler_ignoring_limits(cluster: Cluster) -> list[Outcome]:
    """A descheduler that ignores maxNoOfPodsToEvictPerNode / PerNamespace / Total (imitates a
    policy whose limits are written under a profile, where the real decoder drops them)."""
    from kmodel.components import descheduler

    return descheduler.step(cluster, enforce_limits=False)


def hpa_without_downscale_stabilization(cluster: Cluster) -> list[Outcome]:
    """The HPA controller with its scale-down stabilization window at 0, whatever the flag or
    the HPA says: it scales down as soon as one sync's metrics say so (what
    --horizontal-pod-autoscaler-downscale-stabilization=0s, or the pre-1.12 controller without
    the window, does). With start-up load spikes the count goes up, down and up again."""
    from kmodel.components import horizontalpodautoscaler

    settings = cluster.settings
    fast = attrs.evolve(cluster, settings=attrs.evolve(settings, horizontal_pod_autoscaler_downscale_stabilization=0))
    outs = horizontalpodautoscaler.step(fast)
    return [attrs.evolve(o, state=attrs.evolve(o.state, settings=settings)) for o in outs]


# --- the eviction API -------------------------------------------------------------------------------


def eviction_ignoring_budgets(cluster: Cluster, pod_name: str) -> Cluster | eviction.Refusal:
    """An eviction API that never looks at a PodDisruptionBudget: every eviction deletes the pod
    (marked EvictionByEvictionAPI), as if the handler skipped ``checkAndDecrement`` - what a
    cluster gets from an admission webhook or a proxy that turns evictions into plain deletes.
    Caught by pdb-respected."""
    out = eviction.evict(attrs.evolve(cluster, pdbs=()), pod_name)
    return out if isinstance(out, eviction.Refusal) else attrs.evolve(out, pdbs=cluster.pdbs)


def drain_through_eviction_ignoring_budgets(cluster: Cluster) -> list[Outcome]:
    """kubectl drain, its evictions answered by :func:`eviction_ignoring_budgets`."""
    return drain.step(cluster, eviction_ignoring_budgets)


PDB_CASE = BrokenCase(
    "eviction-ignoring-budgets",
    "eviction API ignoring PodDisruptionBudgets",
    SCENARIOS / "drain-blocked-by-pdb.yaml",
    "pdb-respected",
    (),
    _fixed("drain", drain_through_eviction_ignoring_budgets),
)


def eviction_not_decrementing(cluster: Cluster, pod_name: str) -> Cluster | eviction.Refusal:
    """An eviction API that checks disruptionsAllowed but does not spend it (skips the decrement
    and the disruptedPods record of ``checkAndDecrement``): every eviction before the disruption
    controller's next sync sees the same allowance, so one drain step can take several pods for
    one disruption. Caught by pdb-respected (tests/data/drain-three-on-one.yaml)."""
    out = eviction.evict(cluster, pod_name)
    return out if isinstance(out, eviction.Refusal) else attrs.evolve(out, pdbs=cluster.pdbs)


PDB_DECREMENT_CASE = BrokenCase(
    "eviction-not-decrementing",
    "eviction API not spending the budget",
    DATA / "drain-three-on-one.yaml",
    "pdb-respected",
    (),
    _fixed("drain", lambda c: drain.step(c, eviction_not_decrementing)),
)
# --- node lifecycle controller (kmodel.partitions, kubernetes#28832) ---------------------------


def nodelifecycle_without_safeguard(cluster: Cluster) -> list[Outcome]:
    """The node lifecycle controller without its all-zones-down rule, whatever the setting says
    (the controller before Kubernetes 1.5): a control plane cut off from every node taints them
    all NoExecute and taint eviction then evicts every pod."""
    from kmodel.components import nodelifecycle

    settings = cluster.settings
    off = attrs.evolve(cluster, settings=attrs.evolve(settings, zone_disruption_safeguard=False))
    outs = nodelifecycle.step(off)
    return [attrs.evolve(o, state=attrs.evolve(o.state, settings=settings)) for o in outs]
