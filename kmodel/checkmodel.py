"""The Kubernetes model as the checkers see it: every interleaving, every fault in the budget.

A checker state is the cluster plus the fault budget still unspent, the faults the checker has
injected and not yet undone, and the position in the scenario's timeline.

Enabled transitions of a state:

- a timeline event that is due: it happens, and nothing else may happen first (the scenario's
  script is not up to the adversary);
- every step of every component that is due and has work, in any order (each component steps
  at most once per tick; the scheduler once per pending pod), with every successor of a
  nondeterministic step (the scheduler's ties);
- at the start of a tick, before any component has acted in it, faults while the budget
  allows (a fault strikes between two ticks, never inside one): power off a worker, stop a
  kubelet, stop a node's container runtime, stop a control-plane process, partition a worker,
  partition a zone from the rest (``partitionZone``), cut a control-plane machine off from the
  others (``partitionControlPlane``, kmodel.hapartition),
  delete a pod, kill a pod's containers, make a pod's readiness probe fail (``failProbe``),
  drain a worker (``drainNode``: ``kubectl drain NODE --ignore-daemonsets --delete-emptydir-data``,
  undone by ``kubectl uncordon NODE``);
  and the undoing of any fault the checker injected (power on, start, heal, the probe passing
  again), which costs nothing;
- the clock tick, once no component has work left in this tick;
- the scenario's fault rules (:mod:`kmodel.faultrules`): a recovery a rule scheduled, when due, as
  urgently as a timeline event; once no component has work left, each enabled firing of a rule,
  and while a rule without ``may: true`` is enabled the clock does not tick;
- with ``informerLag`` set (:mod:`kmodel.informer`): each lagging informer's next delivery of a
  pod (or, with ``informerLagNodes``, node) change (every other transition's changes are queued
  on the informers first), and the
  clock waits for the changes that were already pending at the previous tick.
- with ``watchCacheLag`` set (:mod:`kmodel.watchcache`): the lagging watch cache's next
  catch-up, a kubelet that starts listing its pods from that cache as well as from an up-to-date
  apiserver, and the clock waits for revisions already behind at the previous tick.

The fingerprint used to recognise visited states measures every time as an age relative to the
clock, capped just above the largest threshold that any component compares it with, so the
explored state space is finite: exploration with no horizon covers unbounded time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterator
from functools import partial
from typing import Any

import attrs
from attrs import frozen

from kmodel import faultrules, ha, hapartition, informer, loadmodel, model, nodesymmetry, partitions, watchcache
from kmodel import faults as fault_fns
from kmodel.components import apiserver, descheduler, disruption, drain, kubelet, nodelifecycle, prober
from kmodel.components import horizontalpodautoscaler as hpa_component
from kmodel.components import job as job_component
from kmodel.engines.base import Transition
from kmodel.frozen import evolve
from kmodel.probespec import READINESS
from kmodel.scenario import Scenario
from kmodel.sleepsets import independence as sleep_independence
from kmodel.state import Cluster, Deployment, Job, Node, Pod, Service
from kmodel.timeline import perform

DEFAULT_FAULTS = (("powerOffNode", 1), ("stopComponent", 1))
DRAIN_FAULT_OPTIONS = drain.DrainOptions(ignore_daemonsets=True, delete_emptydir_data=True)
CONTROL_PLANE_PROCESSES = ("apiserver", "etcd", "scheduler", "controller-manager")


def _drain_node(c: Cluster, node: str) -> Cluster | None:
    """The checker's drainNode action: ``kubectl drain NODE --ignore-daemonsets
    --delete-emptydir-data`` (no timeout); None when it changes nothing."""
    out = drain.start(c, node, DRAIN_FAULT_OPTIONS).state
    return out if out != c else None


def _uncordon(c: Cluster, node: str) -> Cluster | None:
    n = c.node(node)
    if n is None or not n.unschedulable or not c.apiserver_available:
        return None
    return c.with_node(evolve(n, unschedulable=False))


def _pass_probe(c: Cluster, what: str) -> Cluster | None:
    kind, _, pod = what.partition(" ")
    return fault_fns.set_probe(c, pod, kind, False)


# how to undo each kind of injected fault (by the prefix of its tag): the label, and the fault
# function that puts things back (None when there is nothing to undo)
UNDO: dict[str, tuple[str, Callable[[Cluster, str], Cluster | None]]] = {
    "off": ("power on {}", fault_fns.power_on),
    "partition": ("heal {}", lambda c, n: fault_fns.set_partitioned(c, n, False)),
    "zone": ("heal zone/{}", lambda c, z: partitions.partition_zone(c, z, False)),
    "kubelet": ("start kubelet on {}", lambda c, n: fault_fns.set_kubelet(c, n, True)),
    "runtime": ("start container runtime on {}", lambda c, n: fault_fns.set_runtime(c, n, True)),
    "component": ("start {}", lambda c, n: fault_fns.set_component(c, n, True)),
    # "probe:KIND POD": the pod's KIND probe passes again
    "probe": ("pass-probe {}", _pass_probe),
    # "drain:NODE": the maintenance is over, kubectl uncordon NODE
    "drain": ("kubectl uncordon {}", lambda c, n: _uncordon(c, n)),
    # several control-plane machines: "ha:scheduler@cp-2", "etcdoff:etcd-1" (kmodel.ha)
    **ha.UNDO,
    # "cpcut:cp-1": a control-plane machine cut off from the others (kmodel.hapartition)
    **hapartition.UNDO,
}
SETTLE_LIMIT = 600  # seconds of model time to let a scenario come up before checking


@frozen(cache_hash=True)
class CheckState:
    cluster: Cluster
    budget: tuple[tuple[str, int], ...]  # fault kind -> how many more may be injected
    # faults to undo: "off:node", "kubelet:node", "runtime:node", "component:x", "partition:node"
    injected: frozenset[str] = frozenset()
    next_event: int = 0  # index of the next timeline event

    @property
    def now(self) -> int:
        return self.cluster.now


def _with_cluster(state: CheckState, cluster: Cluster) -> CheckState:
    """``evolve(state, cluster=cluster)``, without evolve's per-call introspection."""
    return CheckState(cluster, state.budget, state.injected, state.next_event)


def cluster_of(state: CheckState | Cluster) -> Cluster:
    """The cluster inside an engine state (a checker state), or the cluster itself."""
    return state if isinstance(state, Cluster) else state.cluster


class KubeModel:
    """Implements :class:`kmodel.engines.base.Model` for a scenario."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        faults: tuple[tuple[str, int], ...] | None = None,
        horizon: int | None = None,
        replace: dict[str, model.StepFn] | None = None,
        settle: bool = True,
        symmetry: bool = True,
        node_symmetry: bool = False,
        node_orders: bool | None = None,
        mentions: tuple[str, ...] = (),
    ) -> None:
        self.symmetry = symmetry
        self.scenario = scenario
        if faults is None:
            faults = scenario.faults if scenario.faults is not None else DEFAULT_FAULTS
        self.budget = tuple((kind, n) for kind, n in faults if n > 0)
        self.horizon = horizon
        self.replace = replace
        self.settle = settle
        self.timeline = scenario.timeline
        s = scenario.settings
        tolerations = [s.default_not_ready_toleration_seconds, s.default_unreachable_toleration_seconds]
        for m in scenario.manifests:
            template = getattr(m.obj, "template", None)
            for t in getattr(template, "tolerations", ()) or getattr(m.obj, "tolerations", ()):
                if t.toleration_seconds is not None:
                    tolerations.append(t.toleration_seconds)
        # the longest minReadySeconds of a workload the scenario has or applies: a pod's ready age
        # is compared with it (IsPodAvailable), so it stays exact up to there
        applied = [m for ev in self.timeline for m in getattr(ev, "manifests", ())]
        self.min_ready = max(
            (getattr(m.obj, "min_ready_seconds", 0) for m in (*scenario.manifests, *applied)), default=0
        )
        # the longest a probed pod may take to become ready (initial delay, then successThreshold
        # probes): settling waits for it, as nothing visibly changes before the first probe
        self.probe_wait = max(
            (
                p.initial_delay + p.success_threshold * p.period
                for m in (*scenario.manifests, *applied)
                for spec in (getattr(m.obj, "probes", None), getattr(getattr(m.obj, "template", None), "probes", None))
                if spec is not None
                for p in (spec.readiness, spec.startup)
                if p is not None
            ),
            default=0,
        )
        # ages beyond this compare the same against every threshold in the model
        self.cap = (
            max(
                self.min_ready,
                s.node_monitor_grace_period + max(tolerations),
                s.node_startup_grace_period,
                s.pod_eviction_timeout + s.node_monitor_grace_period,
                s.pod_gc_quarantine + s.pod_gc_period,
                s.node_status_update_frequency,
                s.lease_renew_interval,
            )
            + 2 * s.step
        )
        jobs = [m.obj for m in (*scenario.manifests, *applied) if isinstance(m.obj, Job)]
        if jobs:
            # a Job's times are compared with its activeDeadlineSeconds, its containers' run
            # length, the kubelet's CrashLoopBackOff and the Job controller's pod failure back-off
            self.cap = max(
                self.cap,
                job_component.MAX_BACKOFF + 2 * s.step,
                prober.MAX_BACKOFF + 2 * s.step,
                *((j.active_deadline_seconds or 0) + 2 * s.step for j in jobs),
                *((j.behaviour.run_seconds if j.behaviour else 0) + 2 * s.step for j in jobs),
            )
        self.phase = math.lcm(s.node_monitor_period, s.pod_gc_period, s.step)
        if self._has_hpa(scenario):
            # the HPA syncs every horizontalPodAutoscalerSyncPeriod; pod start times are compared
            # with the CPU initialization period and the load model's start-up spike
            self.phase = math.lcm(self.phase, s.horizontal_pod_autoscaler_sync_period)
            self.cap = max(self.cap, hpa_component.age_cap(scenario.initial_state()))
        # node symmetry (kmodel.nodesymmetry): ``mentions`` are texts (custom invariants) whose
        # node names pin those nodes
        self.node_symmetry = node_symmetry
        # the clusters healed_twin handed on, by id, with their relative forms once asked for
        # (by more_failures); see _relative
        self._twice: dict[int, tuple[Cluster, dict[bool, Hashable]]] = {}
        self.renamer: nodesymmetry.Renamer | None = None
        # ``node_orders`` (by default: with node symmetry): where nodes are interchangeable the
        # node lifecycle controller queues the nodes it finds NotReady in one pass in every order
        # (as Kubernetes may), which node symmetry needs to be sound; without it, in the node
        # list's order, as simulate and the Z3 slices do (kmodel.smt.nodehealth.SliceModel).
        # Node symmetry is off by default: its renaming costs about 1.7 times per state and the
        # orders add states, which only pays where many states are mirror images (README,
        # "Explorer speed")
        orders = node_symmetry if node_orders is None else node_orders
        found = nodesymmetry.groups(scenario, scenario.initial_state(), replace, mentions) if orders else ()
        # the walk the checker takes notes whether it ever left an order out (kmodel.checkrun
        # names it in the verdicts: LIST_ORDER_NOTE)
        self.order_watch = OrderWatch(every_order=bool(found))
        if not {"nodelifecycle", "kube-controller-manager"} & set(replace or {}):
            self.replace = {**(replace or {}), "nodelifecycle": self.order_watch}
        if found and node_symmetry:
            self.renamer = nodesymmetry.Renamer(found)

    # -- Model interface -----------------------------------------------------------------------

    def init_states(self) -> Iterator[CheckState]:
        state = CheckState(self.scenario.initial_state(), tuple(sorted(self.budget)))
        if self.settle:
            state = self._settle(state)
        yield state

    def clock(self, state: CheckState) -> int:
        return state.cluster.now

    def transitions(self, state: CheckState, skip: frozenset[str] = frozenset()) -> Iterator[Transition]:
        """The enabled transitions of ``state``; ``skip``: components whose steps the explorer's
        sleep sets leave out (:func:`independence` allowed them; they are enabled and stay busy).
        With informer or watch-cache lag no step is independent; were ``skip`` given there, it
        would be ignored (nothing left out is safe)."""
        if skip and not informer.enabled(state.cluster) and not watchcache.enabled(state.cluster):
            yield from self._transitions(state, skip)
            return
        if watchcache.enabled(state.cluster):
            # an apiserver's watch cache lags etcd (kmodel.watchcache)
            c = state.cluster
            due = state.next_event < len(self.timeline) and self.timeline[state.next_event].at <= c.now
            scripted = due or bool(faultrules.due_recoveries(c))

            def make(actor: str, label: str, after: Cluster) -> Transition:
                return Transition(actor, label, evolve(state, cluster=after))

            yield from watchcache.transitions(c, self._informer_transitions(state), scripted, make)
            return
        yield from self._informer_transitions(state)

    def _informer_transitions(self, state: CheckState) -> Iterator[Transition]:
        if not informer.enabled(state.cluster):
            yield from self._transitions(state)
            return
        yield from self._lagging_transitions(state)

    def _lagging_transitions(self, state: CheckState) -> Iterator[Transition]:
        """With informer lag (:mod:`kmodel.informer`): every transition's pod changes queue on the
        informers, each informer's next delivery is a transition of its own, and the clock waits
        for the changes that already waited a tick."""
        c = state.cluster
        for tr in self._transitions(state):
            if tr.actor == "clock":
                if informer.must_deliver_first(c):
                    continue
                after = informer.after_tick(tr.state.cluster)
            else:
                after = informer.observe(c, tr.state.cluster)
            yield evolve(tr, state=evolve(tr.state, cluster=after))
        due = state.next_event < len(self.timeline) and self.timeline[state.next_event].at <= c.now
        scripted = due or bool(faultrules.due_recoveries(c))
        if not scripted:
            for actor, label, after in informer.deliveries(c):
                yield Transition(actor, label, evolve(state, cluster=after))

    def independence(self, state: CheckState) -> Callable[[str, str], bool] | None:
        """Which component steps commute in ``state``, for the explorer's sleep sets
        (:mod:`kmodel.sleepsets`); None where it cannot say any do."""
        return sleep_independence(self, state)

    def _transitions(self, state: CheckState, skip: frozenset[str] = frozenset()) -> Iterator[Transition]:
        c = state.cluster
        if state.next_event < len(self.timeline) and self.timeline[state.next_event].at <= c.now:
            ev = self.timeline[state.next_event]
            out = perform(c, ev)
            yield Transition("timeline", ev.text, evolve(state, cluster=out.state, next_event=state.next_event + 1))
            return
        recoveries = faultrules.due_recoveries(c)
        if recoveries:
            o = recoveries[0]
            yield Transition(o.actor, o.label, _with_cluster(state, o.state))
            return
        busy = False
        for comp in model.components(c, self.replace):
            if comp.name in skip:
                busy = True  # asleep, not idle: it has work (kmodel.sleepsets)
                continue
            for o in model.component_steps(c, comp):
                busy = True
                yield Transition(o.actor, o.label, _with_cluster(state, o.state))
        if not c.ran and not c.sched_attempted:
            yield from self._faults(state)
            yield from self._load_switches(state)
        urgent = False
        if not busy and self.scenario.fault_rules:
            for rule, o in faultrules.firings(c, self.scenario.fault_rules):
                urgent = urgent or not rule.may
                yield Transition(o.actor, o.label, _with_cluster(state, o.state), fault=rule.may)
        if not busy and not urgent and (self.horizon is None or c.now + c.settings.step <= self.horizon):
            yield Transition("clock", f"tick to t={c.now + c.settings.step}s", evolve(state, cluster=model.tick(c)))

    fair = True  # every due component acts once per tick before the clock may advance

    def stop_faults(self, state: CheckState) -> CheckState | None:
        """Undo every fault the checker injected (power on, start, heal) and spend the rest of
        the budget; ``None`` while the scenario's timeline still has events to come."""
        if state.next_event < len(self.timeline):
            return None
        c = state.cluster
        for tag in sorted(state.injected):
            kind, _, name = tag.partition(":")
            c = UNDO[kind][1](c, name) or c
        return CheckState(c, tuple((kind, 0) for kind, _ in state.budget), frozenset(), state.next_event)

    def healed_twin(
        self, state: CheckState, healed: CheckState, transitions: list[Transition]
    ) -> list[Transition] | None:
        """The transitions of ``healed`` (``stop_faults(state)``), from those of ``state`` where
        no fault was injected: the cluster is the same, only the budget is spent, and the budget
        is read by the fault transitions alone (which a calm search drops). None otherwise."""
        if state.injected or healed.cluster is not state.cluster or healed.next_event != state.next_event:
            return None
        out = []
        for tr in transitions:
            if tr.fault:
                continue
            after = tr.state
            if after.budget != state.budget or after.injected:
                return None  # (a step that spends or injects is a fault; never expected here)
            twin = CheckState(after.cluster, healed.budget, frozenset(), after.next_event)
            out.append(Transition(tr.actor, tr.label, twin))
        for tr in out:
            if len(self._twice) >= _RELATIVES:
                del self._twice[next(iter(self._twice))]  # the oldest
            self._twice[id(tr.state.cluster)] = (tr.state.cluster, {})
        return out

    def fingerprint(self, state: CheckState) -> Hashable:
        more_failures = dict(state.budget).get("failProbe", 0) > 0 or any(
            ev.verb == "fail-probe" for ev in self.timeline[state.next_event :]
        )
        node_map = self._node_map(state) if self.renamer is not None else None
        fp = (
            self._relative(state.cluster, more_failures, node_map),
            state.budget,
            state.injected,
            state.next_event,
            self._until_next_event(state),
        )
        if node_map:
            assert self.renamer is not None
            fp = self.renamer.rename(fp, node_map)
            fp = (_sorted_by_node(fp[0]), *fp[1:])
        return fp

    def _relative(self, c: Cluster, more_failures: bool, node_map: dict[str, str] | None) -> Hashable:
        """:func:`relative`, remembered for the clusters :meth:`healed_twin` handed to a state's
        twin: an ``eventually`` search fingerprints each of them twice, once before faults stop
        and once after. Any other cluster is not remembered (keeping clusters alive costs the
        other searches more than it saves)."""
        entry = self._twice.get(id(c)) if node_map is None else None
        if entry is None or entry[0] is not c:
            return relative(c, self.cap, self.phase, self.symmetry, more_failures, node_map)
        known = entry[1]
        rel = known.get(more_failures)
        if rel is not None:
            del self._twice[id(c)]  # asked for the second time: done with it
            return rel
        rel = known[more_failures] = relative(c, self.cap, self.phase, self.symmetry, more_failures, None)
        return rel

    def _node_map(self, state: CheckState) -> dict[str, str]:
        """The renaming of interchangeable nodes into their canonical order in ``state``."""
        assert self.renamer is not None
        c = state.cluster
        on: dict[str | None, list[int]] = {}
        for p in c.pods:
            on.setdefault(p.node_name, []).append(_pod_signature(c, p, self.cap))
        health = {h.name: h for h in c.memory.node_health}
        queue = [n for _, n, _ in c.memory.taint_queue]
        quarantine = dict(c.memory.gc_quarantine)
        not_ready = dict(c.memory.not_ready_since)

        def age(t: int | None) -> int | None:
            return _age(c.now, t, self.cap)

        def signature(name: str) -> int:
            # name-free, and (like the fingerprint) in ages rather than times
            n = c.node(name)
            if n is None:
                return 0
            h = health.get(name)
            return hash(
                (
                    _node_rest(c, n, self.cap)[1:],
                    _body(n, _NODE_BODY)[2:],
                    tuple(sorted(on.get(name, ()))),
                    len(n.running),
                    kubelet.actor(name) in c.ran,
                    tuple(sorted(t.partition(":")[0] for t in state.injected if t.endswith(f":{name}"))),
                    None
                    if h is None
                    else (
                        age(h.probe_time),
                        h.seen_heartbeat == n.last_heartbeat,
                        h.seen_ready,
                        h.seen_lease == n.lease_renew_time,
                    ),
                    queue.index(name) if name in queue else None,
                    age(quarantine.get(name)),
                    age(not_ready.get(name)),
                )
            )

        return self.renamer.mapping(signature)

    # -- helpers --------------------------------------------------------------------------------

    def _load_switches(self, state: CheckState) -> Iterator[Transition]:
        """The load model's ``oneOf`` values: at the start of a tick the load may switch to any
        other of them (the environment, like a fault, but free and never undone)."""
        c = state.cluster
        for w in c.loads:
            for i, usage in enumerate(w.choices):
                if i == w.choice:
                    continue
                values = (("cpu", usage.cpu), ("memory", usage.memory))
                shown = ", ".join(f"{k}={v}" for k, v in values if v is not None)
                after = loadmodel.switch_choice(c, w.key, i)
                yield Transition("load", f"load {w.key} -> {shown}", evolve(state, cluster=after), fault=True)

    @staticmethod
    def _has_hpa(scenario: Scenario) -> bool:
        every = (*scenario.manifests, *(m for ev in scenario.timeline for m in ev.manifests))
        return bool(scenario.loads) or any(m.kind == "HorizontalPodAutoscaler" for m in every)

    def _until_next_event(self, state: CheckState) -> int | None:
        if state.next_event >= len(self.timeline):
            return None
        return self.timeline[state.next_event].at - state.cluster.now

    def _settle(self, state: CheckState) -> CheckState:
        """Run the fixed schedule until the scenario has come up and nothing changes for a
        full monitor and GC period (but never past the first timeline event, nor into a tick
        in which a fault rule fires, and not while a Job has not finished: a Job's run is what
        the checker is there to explore, so a scenario with Jobs is checked from t=0; so is one
        with HorizontalPodAutoscalers, whose scaling never stops changing the state)."""
        first_event = self.timeline[0].at if self.timeline else None
        quiet_for = 0
        c = state.cluster
        # quiet for a whole period, and long enough for a ready pod to become available
        need = max(self.phase, self.min_ready, self.probe_wait)
        while (
            c.now < SETTLE_LIMIT
            and (first_event is None or c.now + c.settings.step <= first_event)
            and all(j.finished for j in c.jobs)
            and not _descheduler_due_by(c, c.now)
            and not c.hpas
        ):
            before = c
            for outcome in model.fixed_schedule(c, self.replace):
                c = outcome.state
            if faultrules.firings(c, self.scenario.fault_rules):
                c = before  # a fault rule fires in this tick: that is for the checker to explore
                break
            changed = evolve(c, ran=frozenset(), sched_attempted=frozenset(), ha=ha.steady(c)) != evolve(
                before, ran=frozenset(), sched_attempted=frozenset(), ha=ha.steady(before)
            )
            quiet_for = 0 if changed else quiet_for + c.settings.step
            if quiet_for > need:
                break
            c = model.tick(c)
        return evolve(state, cluster=evolve(c, ran=frozenset(), sched_attempted=frozenset()))

    def _spend(self, state: CheckState, kind: str) -> tuple[tuple[str, int], ...] | None:
        left = dict(state.budget).get(kind, 0)
        if left <= 0:
            return None
        return tuple(sorted({**dict(state.budget), kind: left - 1}.items()))

    def _faults(self, state: CheckState) -> Iterator[Transition]:
        c = state.cluster

        def inject(kind: str, tag: str, label: str, fault: Callable[[], Cluster | None]) -> Iterator[Transition]:
            budget = self._spend(state, kind)
            if budget is None:
                return
            after = fault()
            if after is None:
                return
            # a fault with nothing to undo (deleting a pod, killing its containers) leaves no tag
            injected = state.injected | {tag} if tag else state.injected
            yield Transition("fault", label, CheckState(after, budget, injected, state.next_event), fault=True)

        for n in c.nodes:
            # with several control-plane machines (kmodel.ha) those machines may fail too
            if not n.control_plane or c.ha is not None:
                yield from inject(
                    "powerOffNode", f"off:{n.name}", f"power off {n.name}", partial(fault_fns.power_off, c, n.name)
                )
                yield from inject(
                    "partitionNode",
                    f"partition:{n.name}",
                    f"partition {n.name}",
                    partial(fault_fns.set_partitioned, c, n.name, True),
                )
            if n.powered:
                yield from inject(
                    "stopKubelet",
                    f"kubelet:{n.name}",
                    f"stop kubelet on {n.name}",
                    partial(fault_fns.set_kubelet, c, n.name, False),
                )
                yield from inject(
                    "stopRuntime",
                    f"runtime:{n.name}",
                    f"stop container runtime on {n.name}",
                    partial(fault_fns.set_runtime, c, n.name, False),
                )
        if c.ha is not None:
            for kind, tag, label, fault in ha.checker_faults(c):
                yield from inject(kind, tag, label, fault)
            # kmodel.hapartition: one machine cut off from the other control-plane machines
            for kind, tag, label, fault in hapartition.checker_faults(c):
                yield from inject(kind, tag, label, fault)
        for zone in partitions.zones(c):  # kmodel.partitions: one zone cut from the rest
            yield from inject(
                "partitionZone",
                f"zone:{zone}",
                f"partition zone/{zone}",
                partial(partitions.partition_zone, c, zone, True),
            )
        for comp in CONTROL_PLANE_PROCESSES if c.ha is None else ():
            yield from inject(
                "stopComponent", f"component:{comp}", f"stop {comp}", partial(fault_fns.set_component, c, comp, False)
            )
        for n in c.nodes:
            if not n.control_plane and not n.unschedulable and c.apiserver_available:
                yield from inject(
                    "drainNode",
                    f"drain:{n.name}",
                    f"kubectl drain {n.name} {DRAIN_FAULT_OPTIONS.flags()}",
                    partial(_drain_node, c, n.name),
                )
        for tag in sorted(state.injected):
            kind, _, name = tag.partition(":")
            label, repair = UNDO[kind]
            after = repair(c, name)
            if after is not None:
                yield Transition(
                    "repair",
                    label.format(name),
                    evolve(state, cluster=after, injected=state.injected - {tag}),
                    fault=True,
                )
        for p in c.pods:
            if not p.terminating and c.apiserver_available:
                yield from inject(
                    "deletePod", "", f"kubectl delete pod {p.name}", partial(apiserver.delete_pod, c, p.name)
                )
            yield from inject("killPod", "", f"kill containers of {p.name}", partial(fault_fns.kill_pod, c, p.name))
            for kind in _probe_kinds(p):
                yield from inject(
                    "failProbe",
                    f"probe:{kind} {p.name}",
                    f"fail-probe {kind} pod/{p.name}",
                    partial(fault_fns.set_probe, c, p.name, kind, True),
                )


LIST_ORDER_NOTE = (
    "the node lifecycle controller found several nodes of one zone NotReady in one pass and queued them "
    "for NoExecute tainting in the node list's order only, where Kubernetes walks its lister in any "
    "order: a violation that needs another order is not found ({how})"
)


class OrderWatch:
    """The node lifecycle controller's step as the checker takes it: in every order where nodes are
    interchangeable (``every_order``, :func:`kmodel.components.nodelifecycle.step_every_order`),
    in the node list's order elsewhere; ``restricted`` becomes true the first time a pass queued
    several nodes of one zone and only the list's order was taken (a zone beyond the every-order
    walk's limit, or no interchangeable nodes). One process's record: a parallel run's workers
    keep their own."""

    def __init__(self, every_order: bool) -> None:
        self.every_order = every_order
        self.restricted = False

    def __call__(self, cluster: Cluster) -> list[Any]:
        if self.every_order:
            outs, kept = nodelifecycle.every_order_noting(cluster)
        else:
            outs, kept = nodelifecycle.step_in_list_order(cluster)
        if kept:
            self.restricted = True
        return outs


def _probe_kinds(p: Pod) -> tuple[str, ...]:
    """The probe kinds the failProbe fault may make fail on ``p``: its readiness probe, unless it
    fails already. Liveness and startup failures restart the container again and again, and the
    restart count (which ``kubectl get pods`` and invariants read, and the ReplicaSet's deletion
    order compares) grows without bound while the fault lasts: they are for the timeline
    (``fail-probe liveness ...`` then ``pass-probe``), whose end bounds them."""
    if p.probes is None or p.probes.readiness is None or p.terminating:
        return ()
    failing = p.probe.failing if p.probe is not None else frozenset()
    return () if READINESS in failing else (READINESS,)


def _age(now: int, t: int | None, cap: int) -> int | None:
    if t is None:
        return None
    return min(now - t, cap)


_RELATIVES = 10_000  # clusters KubeModel._relative remembers for their twins (a breadth-first level's worth)

_POD_TIMES = frozenset(
    {"name", "created", "ready_since", "deletion_timestamp", "run_started", "finished_at", "probe", "start_time"}
)
_POD_BODY = tuple(f.name for f in attrs.fields(Pod) if f.name not in _POD_TIMES)
_NODE_TIMES = ("created", "last_heartbeat", "lease_renew_time")
_NODE_BODY = tuple(f.name for f in attrs.fields(Node) if f.name not in (*_NODE_TIMES, "taints", "running"))
_bodies: dict[int, tuple[object, tuple[Any, ...]]] = {}


def _body(obj: Pod | Node, names: tuple[str, ...]) -> tuple[Any, ...]:
    """The fields of ``obj`` that hold no times or names, memoised per object: states share
    most of their pods and nodes, so each is taken apart once."""
    hit = _bodies.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    if len(_bodies) > 500_000:
        _bodies.clear()
    body = tuple(getattr(obj, n) for n in names)
    _bodies[id(obj)] = (obj, body)
    return body


_rests: dict[tuple[Any, ...], tuple[object, tuple[Any, ...]]] = {}


def _memo(cache: dict[tuple[Any, ...], tuple[object, Any]], key: tuple[Any, ...], obj: object) -> Any:
    """The value memoised for ``obj`` under ``key`` (whose first item is ``id(obj)``), or None."""
    hit = cache.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]
    return None


def _store(cache: dict[tuple[Any, ...], tuple[object, Any]], key: tuple[Any, ...], obj: object, value: Any) -> Any:
    if len(cache) > 500_000:
        cache.clear()
    cache[key] = (obj, value)
    return value


def _pod_rest(c: Cluster, p: Pod, cap: int, more_failures: bool) -> tuple[Any, ...]:
    """Everything about ``p`` the fingerprint keeps but its name: its body and its times as
    (capped) ages. Memoised per pod object and clock: the states of one tick share most pods."""
    now = c.now
    key = (id(p), now, cap, more_failures, bool(c.loads), c.settings.step)
    hit = _memo(_rests, key, p)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    rest = (
        _body(p, _POD_BODY),
        _log_age(now, p.created, cap),
        _log_age(now, p.ready_since, cap),
        _age(now, p.deletion_timestamp, cap),
        _age(now, p.run_started, cap),
        _age(now, p.finished_at, cap),
        prober.relative(p, now, c.settings.step, more_failures),
        _start(c, p, cap),
    )
    return _store(_rests, key, p, rest)


def _node_rest(c: Cluster, n: Node, cap: int) -> tuple[Any, ...]:
    """Everything about ``n`` the fingerprint keeps but the pods running on it (memoised)."""
    now = c.now
    key = (id(n), now, cap)
    hit = _memo(_rests, key, n)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    rest = (
        _body(n, _NODE_BODY),
        tuple((t.key, t.effect, t.value) for t in n.taints),
        _age(now, n.last_heartbeat, cap),
        _age(now, n.lease_renew_time, cap),
        _age(now, n.created, cap),
        tuple(_age(now, t.time_added, cap) for t in n.taints),
    )
    return _store(_rests, key, n, rest)


def _canonical(c: Cluster, rests: dict[str, tuple[Any, ...]], node_map: dict[str, str] | None) -> dict[str, str]:
    """Canonical pod names (see :func:`canonical_pod_names`); ``node_map``: with node symmetry,
    the renaming of nodes the fingerprint applies (only the names that change; empty for
    none), which the pods' order is taken after (None: no node symmetry)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    running_on = {name: n.name for n in c.nodes for name in n.running}
    for p in c.pods:
        if p.replicaset_owner is None and p.owner_kind != "DaemonSet":
            continue  # orphans, and pods whose names are identities (StatefulSet ordinals)
        if node_map is not None:
            on = running_on.get(p.name)
            key = hash(
                (
                    _pod_signature(c, p, 0, rests[p.name]),
                    node_map.get(p.node_name, p.node_name) if p.node_name else None,
                    node_map.get(p.nominated_node_name, p.nominated_node_name) if p.nominated_node_name else None,
                    node_map.get(on, on) if on else None,
                )
            )
        else:
            key = hash((rests[p.name], running_on.get(p.name)))
        owner = p.owner if p.owner_kind == "ReplicaSet" else f"{p.owner_kind}:{p.owner}"
        groups.setdefault(owner, []).append((key, p.name))
    names: dict[str, str] = {}
    for owner, members in groups.items():
        for i, (_, name) in enumerate(sorted(members)):
            names[name] = f"{owner}#{i}"
    return names


def canonical_pod_names(c: Cluster, cap: int, more_failures: bool = True) -> dict[str, str]:
    """Symmetry reduction: generated pod names carry no meaning, so the pods of each ReplicaSet
    are renamed ``<replicaset>#<i>`` in the order of everything else about them. Two states
    that differ only in which generated name each pod has get the same fingerprint.

    Any consistent renaming is sound (states are merged only when equal after renaming); the
    order used here (by hash of everything but the name) only decides how much is merged."""
    return _canonical(c, {p.name: _pod_rest(c, p, cap, more_failures) for p in c.pods}, None)


_NODE_FIELDS = tuple(i for i, name in enumerate(_POD_BODY) if name in ("node_name", "nominated_node_name"))


def _pod_signature(c: Cluster, p: Pod, cap: int, rest: tuple[Any, ...] | None = None) -> int:
    """A hash of everything about ``p`` but its name and the names of its nodes."""
    rest = rest if rest is not None else _pod_rest(c, p, cap, True)
    key = (id(rest),)
    hit = _memo(_signatures, key, rest)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    body = rest[0]
    signature = hash((tuple(v for i, v in enumerate(body) if i not in _NODE_FIELDS), rest[1:]))
    return _store(_signatures, key, rest, signature)  # type: ignore[no-any-return]


_signatures: dict[tuple[Any, ...], tuple[object, Any]] = {}


def _sorted_by_node(rel: Any) -> Any:
    """A relative form (of :func:`relative`) whose node names were renamed, with the parts
    kept in node-name order sorted again: the nodes, and the controller's per-node records."""
    parts = list(rel)
    parts[1] = tuple(sorted(parts[1], key=lambda entry: entry[0][0][0]))  # the body's name
    memory = list(parts[7])
    for i in (0, 5, 6):  # node health, pod GC quarantine, not ready since: keyed by node name
        memory[i] = tuple(sorted(memory[i], key=lambda entry: entry[0]))
    parts[7] = tuple(memory)
    return tuple(parts)


_relatives: dict[tuple[Any, ...], tuple[object, Any]] = {}


def _same_or(cache_key: str, obj: Any, make: Callable[[Any], Any]) -> Any:
    """``make(obj)``, memoised per object (for the time-free parts of a fingerprint)."""
    key = (id(obj), cache_key)
    hit = _memo(_relatives, key, obj)
    if hit is not None:
        return hit
    return _store(_relatives, key, obj, make(obj))


def _no_next_pod(objs: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(evolve(o, next_pod=0) for o in objs)


def _renamed_endpoints(s: Service, rn: Callable[[str], str]) -> Service:
    """The Service with its endpoints' pods under their canonical names, in order (the Service
    itself when that changes nothing)."""
    eps = tuple(sorted(rn(e) for e in s.endpoints))
    return s if eps == s.endpoints else evolve(s, endpoints=eps)


def relative(
    c: Cluster,
    cap: int,
    phase: int,
    symmetry: bool = True,
    more_failures: bool = True,
    node_map: dict[str, str] | None = None,
) -> Hashable:
    """The cluster with every time replaced by its capped age (and, with ``symmetry``,
    generated pod names replaced by canonical ones): two states with the same relative form
    behave the same from then on, up to the names of interchangeable pods. ``more_failures``:
    a probe may still start failing (see :func:`kmodel.components.prober.relative`)."""
    now = c.now
    rests = {p.name: _pod_rest(c, p, cap, more_failures) for p in c.pods}
    names = _canonical(c, rests, node_map) if symmetry else {}

    def rn(name: str) -> str:
        return names.get(name, name)

    def age(t: int | None) -> int | None:
        return _age(now, t, cap)

    nodes = tuple((_node_rest(c, n, cap), frozenset(rn(x) for x in n.running) if names else n.running) for n in c.nodes)

    def pod_entry(p: Pod) -> tuple[Any, ...]:
        return (rn(p.name), *_pod_rest(c, p, cap, more_failures))

    pods = tuple(sorted((rn(p.name), *rests[p.name]) for p in c.pods))
    mem = c.memory
    memory: tuple[Any, ...] = (
        tuple(
            (
                h.name,
                age(h.probe_time),
                h.seen_heartbeat is None,
                h.seen_heartbeat == _node_time(c, h.name, "last_heartbeat"),
                h.seen_ready,
                h.seen_lease is None,
                h.seen_lease == _node_time(c, h.name, "lease_renew_time"),
            )
            for h in mem.node_health
        ),
        mem.zone_states,
        tuple((z, n, age(t)) for z, n, t in mem.taint_queue),
        tuple((z, t - now if t > now else 0) for z, t in mem.zone_next_token),
        tuple(sorted((rn(p), age(t)) for p, t in mem.scheduled_evictions)),
        tuple((n, age(t)) for n, t in mem.gc_quarantine),
        tuple((n, age(t)) for n, t in mem.not_ready_since),
        tuple((n, f, age(t)) for n, f, t in mem.job_backoff),
        # the DaemonSet backoff: only "now - last update" against the delay (at most 15 min) and
        # against twice the maximum (the entry expires) matters
        tuple((k, d, min(now - last, _BACKOFF_HORIZON)) for k, (d, last) in mem.daemon_backoff),
    )
    cp = c.control_plane
    return (
        now % phase,
        nodes,
        pods,
        _same_or("next_pod", c.replicasets, _no_next_pod) if symmetry else c.replicasets,
        tuple(_relative_deployment(d, now) for d in c.deployments),
        tuple(_renamed_endpoints(s, rn) for s in c.services),
        cp if cp.apiserver_down_since is None else evolve(cp, apiserver_down_since=age(cp.apiserver_down_since)),
        memory,
        c.implicit_host_powered,
        c.ran,
        frozenset(rn(x) for x in c.sched_attempted),
        c.pod_serial,
        c.statefulsets,
        tuple(evolve(j, start_time=age(j.start_time), completion_time=age(j.completion_time)) for j in c.jobs),
        _same_or("next_pod", c.daemonsets, _no_next_pod) if symmetry else c.daemonsets,
        c.rule_fired,
        faultrules.relative_timers(c),
        descheduler.relative(c, rn),
        hpa_component.relative(c),
        informer.relative(c, pod_entry, rn),
        disruption.relative(c.pdbs, now, rn),
        drain.relative(c.drains, now, rn),
        ha.relative(c, cap),
        watchcache.relative(c, pod_entry),
    )


def _descheduler_due_by(c: Cluster, t: int) -> bool:
    """The descheduler runs at or before ``t``: settling stops before its first run, so that the
    checker explores what it does (as it does a Job's run)."""
    d = c.descheduler
    return d is not None and d.next_run is not None and d.next_run <= t


def _start(c: Cluster, p: Pod, cap: int) -> int | None:
    """A pod's status.startTime: as it is (the scheduler's preemption compares it between pods),
    or as an age capped at ``cap`` in a scenario with a load model, whose readers (the load
    model's start-up spike, the HPA's CPU initialization period) compare it with now."""
    if not c.loads:
        return p.start_time
    return _age(c.now, p.start_time, cap)


_BACKOFF_HORIZON = 2 * 900 + 1  # the DaemonSet controller's backoff entries expire after 2 x 15 min


def _relative_deployment(d: Deployment, now: int) -> Deployment:
    """The Deployment with its Progressing lastUpdateTime as an age capped just past its
    progressDeadlineSeconds (DeploymentTimedOut only asks whether the age exceeds it)."""
    if d.progress_time is None or d.progress_deadline_seconds is None:
        return d
    return evolve(d, progress_time=min(now - d.progress_time, d.progress_deadline_seconds + 1))


def _node_time(c: Cluster, node_name: str, field: str) -> int | None:
    """A node's status heartbeat or Lease renewal time (None for a node that is gone). Times
    only grow, so the controller's "renewed since I looked" is "differs from what I saw"."""
    node = c.node(node_name)
    return getattr(node, field) if node is not None else None


def _log_age(now: int, t: int | None, cap: int) -> int | None:
    """Ages the ReplicaSet ranking compares on a log2 scale: exact below the cap, then only the
    power-of-two bucket, itself capped, so that old pods stop changing the fingerprint."""
    if t is None:
        return None
    d = now - t
    if d <= cap:
        return d
    return cap + min((d * 1_000_000_000).bit_length(), 64)  # the ranking's nanosecond bucket
