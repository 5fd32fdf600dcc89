"""Highly available control planes: several control-plane machines, leader election, etcd quorum.

A Scenario may declare its control-plane machines::

    controlPlane:
      machines: [cp-1, cp-2, cp-3]   # Nodes of the scenario (kubeadm registers them as nodes)
      etcd: stacked                  # stacked (default): an etcd member on each machine
                                     # external: etcd on machines of its own
      etcdMachines: [etcd-1, etcd-2, etcd-3]   # external only: plain machines, not Nodes
      stopLeadingOnLostLease: true   # false: the broken variant (a leader keeps acting)

Without the section kmodel keeps its single control plane (:class:`kmodel.state.ControlPlane`),
exactly as before. With it, every machine of ``machines`` runs a kube-apiserver, a kube-scheduler
and a kube-controller-manager (and, stacked, an etcd member), and:

- **etcd quorum**: the apiservers can read and write only while a majority of the etcd members
  run on a machine that is powered and not cut off (``partition node/...``). Without quorum
  every write fails, the leases' renewals included. A stacked apiserver talks to the etcd
  member on its own machine only (as kubeadm sets it up): with that member stopped it fails.
- **load balancer**: kubelets, clients (``kubectl``, the timeline) and the checker reach "the
  apiserver" through a load balancer that routes to any apiserver that answers (a running
  apiserver on a reachable machine, with quorum). Every apiserver serves the same store here (no
  watch-cache lag is modelled), so which one the balancer picks changes nothing and is not a
  choice the checkers branch on.
- **leader election** (client-go ``tools/leaderelection`` with the kube-scheduler and
  kube-controller-manager defaults: leaseDuration 15 s, renewDeadline 10 s, retryPeriod 2 s):
  one Lease per component. Each instance talks to the apiserver on its own machine (kubeadm's
  ``scheduler.conf`` and ``controller-manager.conf`` point at the local endpoint). The leader
  renews the Lease every tick it can write through its apiserver; a leader that could not renew
  for renewDeadline stops leading (the process exits with "leaderelection lost" and is restarted
  as a candidate); a stopped or powered-off leader stops at once. Candidates take over a Lease
  once it has not been renewed for leaseDuration (client-go: ``observedTime + leaseDuration``
  is not after ``now``); they retry every retryPeriod, finer than the model's tick, so the new
  leader is in place at the first tick at or after the expiry. Which candidate wins is
  deterministic (the first in ``machines`` order that can write): the candidates are
  interchangeable, so branching on it would only multiply states. Only the leader acts: the
  scheduler and the controllers run while their component's leader can write. A new
  controller-manager leader starts with empty memory (its informers and queues are its own).
- **faults**: ``stop|start apiserver@cp-2`` (also ``etcd@``, ``scheduler@``,
  ``controller-manager@``, ``control-plane@``) stops one process on one machine; without
  ``@machine`` the process is stopped on every control-plane machine. ``stop node/cp-2`` powers a
  control-plane machine off; ``stop node/etcd-1`` powers an external etcd machine off. The
  checker's ``powerOffNode`` budget covers the control-plane and etcd machines (and
  ``partitionNode`` the control-plane Nodes), and ``stopComponent`` every process on every one
  of them (``stop scheduler@cp-2``).

Partitions between control-plane machines (``partition node/cp-1 from etcd``, the
``partitionControlPlane`` fault) are :mod:`kmodel.hapartition`'s: an etcd member serves only
with a majority it reaches (:meth:`HAControlPlane.member_serves`); ``partition node/cp-1`` alone
cuts the machine off from everything.

Left out: the apiserver's watch cache lagging etcd (except for a restarting kubelet's first list,
:mod:`kmodel.watchcache`, setting ``watchCacheLag``), partial partitions (refused, see
:mod:`kmodel.hapartition`), Lease ``release`` on cancel, the jitter of retryPeriod, coordinated
leader election, and etcd's own leader election (a member that can reach a majority serves).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from attrs import frozen

from kmodel import informer
from kmodel.errors import KmodelError
from kmodel.state import Cluster, ControllerMemory

# client-go tools/leaderelection, with the defaults of kube-scheduler and kube-controller-manager
# (--leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period)
LEASE_DURATION = 15
RENEW_DEADLINE = 10
RETRY_PERIOD = 2

PROCESSES = ("apiserver", "etcd", "scheduler", "controller-manager")
LEADER_ELECTED = ("scheduler", "controller-manager")
STACKED = "stacked"
EXTERNAL = "external"
KEYS = ("machines", "etcd", "etcdMachines", "stopLeadingOnLostLease")


@frozen
class Lease:
    """The Lease object in etcd (``coordination.k8s.io``): who holds it and when it was renewed."""

    holder: str | None = None
    renew_time: int | None = None


@frozen
class HAControlPlane:
    """The control-plane machines and the state of their processes and leases."""

    machines: tuple[str, ...]
    etcd_machines: tuple[str, ...]  # stacked: the same as machines
    external: bool = False
    give_up: bool = True  # stopLeadingOnLostLease (False: the broken variant)
    stopped: frozenset[str] = frozenset()  # "scheduler@cp-2": processes stopped
    etcd_off: frozenset[str] = frozenset()  # external etcd machines powered off
    # per leader-elected component, in LEADER_ELECTED order: the Lease, and the instances
    # (machine names) that believe they lead
    leases: tuple[Lease, Lease] = (Lease(), Lease())
    leading: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    # since when the control plane could not carry a new Deployment to Running pods (None: it can)
    unmanageable_since: int | None = None
    # pairs of control-plane / etcd machines that cannot reach each other (``partition node/A
    # from node/B``, the ``partitionControlPlane`` fault), each pair sorted (kmodel.hapartition)
    cuts: frozenset[tuple[str, str]] = frozenset()
    # machines the checker's partitionControlPlane fault cut off from every other control-plane and
    # etcd machine (kmodel.hapartition), kept apart from the timeline's cuts so that undoing one
    # isolation leaves the others and the timeline's cuts as they were
    isolated: frozenset[str] = frozenset()

    # -- facts ---------------------------------------------------------------------------------

    def machine_up(self, c: Cluster, m: str) -> bool:
        node = c.node(m)
        if node is not None:
            return node.powered and not node.partitioned
        return m not in self.etcd_off

    def running(self, c: Cluster, process: str, m: str) -> bool:
        return self.machine_up(c, m) and f"{process}@{m}" not in self.stopped

    def reaches(self, a: str, b: str) -> bool:
        """Machines ``a`` and ``b`` can talk to each other (no ``partition ... from`` between them)."""
        if a == b:
            return True
        return a not in self.isolated and b not in self.isolated and (min(a, b), max(a, b)) not in self.cuts

    def member_serves(self, c: Cluster, e: str) -> bool:
        """The etcd member on ``e`` runs and, with the members it reaches, is a majority: it can
        commit writes and answer linearizable reads. A member on the minority side of a
        partition can do neither (Raft: no leader it can follow commits without a majority)."""
        if not self.running(c, "etcd", e):
            return False
        peers = sum(1 for x in self.etcd_machines if self.running(c, "etcd", x) and self.reaches(e, x))
        return 2 * peers > len(self.etcd_machines)

    def quorum(self, c: Cluster) -> bool:
        """Some etcd member can commit: a majority of the members run and reach each other."""
        return any(self.member_serves(c, e) for e in self.etcd_machines)

    def apiserver_ok(self, c: Cluster, m: str) -> bool:
        """The apiserver on ``m`` answers: it runs and reaches an etcd member that can commit;
        stacked, it talks to the etcd member on its own machine only (kubeadm's
        ``--etcd-servers=https://127.0.0.1:2379``), so that member must serve; external, to
        every etcd machine it can reach."""
        if not self.running(c, "apiserver", m):
            return False
        if not self.external:
            return self.member_serves(c, m)
        return any(self.reaches(m, e) and self.member_serves(c, e) for e in self.etcd_machines)

    def host_up(self, c: Cluster) -> bool:
        return any(self.machine_up(c, m) for m in self.machines)

    def apiserver_available(self, c: Cluster) -> bool:
        return any(self.apiserver_ok(c, m) for m in self.machines)

    def can_write(self, c: Cluster, process: str, m: str) -> bool:
        """The instance of ``process`` on ``m`` runs and its (local) apiserver answers."""
        return self.running(c, process, m) and self.apiserver_ok(c, m)

    def acting(self, c: Cluster, process: str) -> frozenset[str]:
        """The instances of a leader-elected component that act: they believe they lead and can
        write."""
        i = LEADER_ELECTED.index(process)
        return frozenset(m for m in self.leading[i] if self.can_write(c, process, m))

    def scheduler_active(self, c: Cluster) -> bool:
        return bool(self.acting(c, "scheduler"))

    def controller_manager_active(self, c: Cluster) -> bool:
        return bool(self.acting(c, "controller-manager"))

    def manageable(self, c: Cluster) -> bool:
        """A newly applied Deployment can get its pods: writes go through, a controller-manager
        leader and a scheduler leader act."""
        return self.apiserver_available(c) and self.scheduler_active(c) and self.controller_manager_active(c)

    def failures(self, c: Cluster) -> list[str]:
        """What is down right now, for traces and explanations."""
        out = [f"machine {m} is down" for m in (*self.machines, *self.etcd_machines) if not self.machine_up(c, m)]
        out += [f"{p} is stopped" for p in sorted(self.stopped)]
        out += [f"{a} and {b} cannot reach each other" for a, b in sorted(self.cuts)]
        out += [f"{m} is cut off from the other control-plane machines" for m in sorted(self.isolated)]
        return list(dict.fromkeys(out))


# --- the Scenario section -----------------------------------------------------------------------


def parse(ctx: object, raw: object, node_names: set[str]) -> HAControlPlane:
    """The Scenario's ``controlPlane`` section (``ctx`` is a :class:`kmodel.manifests.Ctx` at
    it); one-line errors naming the place and the fix."""
    from kmodel.manifests import Ctx

    assert isinstance(ctx, Ctx)
    if not isinstance(raw, dict):
        raise ctx.error("controlPlane must be a mapping", "write controlPlane: {machines: [cp-1, cp-2, cp-3]}")
    for key in raw:
        if key not in KEYS:
            raise ctx.at(raw, key).error(f"unknown field {key!r} in controlPlane", f"use {', '.join(KEYS)}")

    def names(key: str) -> tuple[str, ...]:
        value = raw.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise ctx.at(raw, key).error(f"controlPlane.{key} must be a non-empty list of names", "write [cp-1, cp-2]")
        if len(set(value)) != len(value):
            raise ctx.at(raw, key).error(f"controlPlane.{key} names a machine twice", "list each machine once")
        if len(value) > 7:
            raise ctx.at(raw, key).error(f"controlPlane.{key} lists {len(value)} machines (at most 7)", "use fewer")
        return tuple(value)

    machines = names("machines")
    for m in machines:
        if m not in node_names:
            raise ctx.at(raw, "machines").error(
                f"control-plane machine {m!r} is not a Node of the scenario",
                f"add a Node manifest named {m} (with the node-role.kubernetes.io/control-plane label)",
            )
    mode = raw.get("etcd", STACKED)
    if mode not in (STACKED, EXTERNAL):
        raise ctx.at(raw, "etcd").error(
            f"controlPlane.etcd must be stacked or external (got {mode!r})", "write stacked"
        )
    if mode == STACKED:
        if "etcdMachines" in raw:
            raise ctx.at(raw, "etcdMachines").error(
                "etcdMachines is for etcd: external (stacked etcd runs on the control-plane machines)",
                "remove etcdMachines or write etcd: external",
            )
        etcd = machines
    else:
        if "etcdMachines" not in raw:
            raise ctx.error("etcd: external needs etcdMachines", "write etcdMachines: [etcd-1, etcd-2, etcd-3]")
        etcd = names("etcdMachines")
        clash = [e for e in etcd if e in node_names]
        if clash:
            raise ctx.at(raw, "etcdMachines").error(
                f"external etcd machine {clash[0]!r} is also a Node",
                "external etcd machines are not Nodes: give them names of their own",
            )
    give_up = raw.get("stopLeadingOnLostLease", True)
    if not isinstance(give_up, bool):
        raise ctx.at(raw, "stopLeadingOnLostLease").error("stopLeadingOnLostLease must be true or false", "write true")
    return HAControlPlane(machines=machines, etcd_machines=etcd, external=mode == EXTERNAL, give_up=give_up)


def start(c: Cluster, ha: HAControlPlane) -> Cluster:
    """The initial state: the first machine leads both components, with fresh Leases."""
    first = ha.machines[0]
    ha = attrs.evolve(
        ha,
        leases=(Lease(first, c.now), Lease(first, c.now)),
        leading=(frozenset({first}), frozenset({first})),
    )
    return attrs.evolve(c, ha=ha)


# --- faults ---------------------------------------------------------------------------------------


def _without_leaders(ha: HAControlPlane, process: str | None, m: str) -> HAControlPlane:
    """An instance that stops (its process or its machine) no longer believes it leads."""
    leading = tuple(
        lead - {m} if process is None or process == name else lead
        for name, lead in zip(LEADER_ELECTED, ha.leading, strict=True)
    )
    return attrs.evolve(ha, leading=leading)  # type: ignore[arg-type]


def on_power_off(c: Cluster, machine: str) -> Cluster:
    """A control-plane machine went off: its leaders are gone."""
    ha = c.ha
    if ha is None or machine not in ha.machines:
        return c
    return attrs.evolve(c, ha=_without_leaders(ha, None, machine))


def split_target(target: str) -> tuple[str, str | None]:
    """``scheduler@cp-2`` -> ("scheduler", "cp-2"); ``scheduler`` -> ("scheduler", None)."""
    process, _, machine = target.partition("@")
    return process, machine or None


def set_process(c: Cluster, target: str, running: bool) -> Cluster | None:
    """Stop or start ``process@machine`` (or the process on every machine; ``control-plane``:
    every process). ``None`` when nothing changes or the target names no such process."""
    ha = c.ha
    assert ha is not None
    process, machine = split_target(target)
    processes = PROCESSES if process == "control-plane" else (process,)
    if any(p not in PROCESSES for p in processes):
        return None
    if machine is not None and machine not in (*ha.machines, *ha.etcd_machines):
        return None
    keys = []
    for p in processes:
        hosts = ha.etcd_machines if p == "etcd" else ha.machines
        keys += [f"{p}@{m}" for m in hosts if machine is None or m == machine]
    stopped = ha.stopped - set(keys) if running else ha.stopped | set(keys)
    if stopped == ha.stopped:
        return None
    after = attrs.evolve(ha, stopped=frozenset(stopped))
    if not running:
        for key in keys:
            p, _, m = key.partition("@")
            if p in LEADER_ELECTED:
                after = _without_leaders(after, p, m)
    return attrs.evolve(c, ha=after)


def set_etcd_machine(c: Cluster, machine: str, on: bool) -> Cluster | None:
    """Power an external etcd machine (not a Node) off or on."""
    ha = c.ha
    if ha is None or machine not in ha.etcd_machines or c.node(machine) is not None:
        return None
    off = ha.etcd_off - {machine} if on else ha.etcd_off | {machine}
    if off == ha.etcd_off:
        return None
    return attrs.evolve(c, ha=attrs.evolve(ha, etcd_off=frozenset(off)))


def checker_faults(c: Cluster) -> list[tuple[str, str, str, Callable[[], Cluster | None]]]:
    """The faults the checker may inject in an HA scenario: (budget kind, undo tag, label, fault).
    Control-plane Nodes are powered off through the ordinary powerOffNode loop."""
    ha = c.ha
    assert ha is not None
    out: list[tuple[str, str, str, Callable[[], Cluster | None]]] = []
    for m in ha.etcd_machines:
        if c.node(m) is None:
            out.append(
                ("powerOffNode", f"etcdoff:{m}", f"power off {m}", lambda m=m: set_etcd_machine(c, m, False))  # type: ignore[misc]
            )
    for m in ha.machines:
        for p in PROCESSES:
            if p == "etcd" and m not in ha.etcd_machines:
                continue
            target = f"{p}@{m}"
            out.append(("stopComponent", f"ha:{target}", f"stop {target}", lambda t=target: set_process(c, t, False)))  # type: ignore[misc]
    if ha.external:
        for m in ha.etcd_machines:
            target = f"etcd@{m}"
            out.append(("stopComponent", f"ha:{target}", f"stop {target}", lambda t=target: set_process(c, t, False)))  # type: ignore[misc]
    return out


UNDO: dict[str, tuple[str, Callable[[Cluster, str], Cluster | None]]] = {
    "ha": ("start {}", lambda c, t: set_process(c, t, True)),
    "etcdoff": ("power on {}", lambda c, m: set_etcd_machine(c, m, True)),
}


# --- the clock ------------------------------------------------------------------------------------


def on_tick(before: Cluster, c: Cluster) -> Cluster:
    """Lease renewals, give-ups and take-overs at the new tick (``c.now``), and the record of
    since when the control plane has been unmanageable."""
    ha = c.ha
    if ha is None:
        return c
    now = c.now
    leases = list(ha.leases)
    leading = list(ha.leading)
    memory = c.memory
    for i, process in enumerate(LEADER_ELECTED):
        lease, lead = leases[i], set(leading[i])
        # the leaders renew, or give up once they could not for renewDeadline
        for m in sorted(lead):
            if lease.holder == m and ha.can_write(c, process, m):
                lease = Lease(m, now)
            elif ha.give_up and (lease.holder != m or now - (lease.renew_time or 0) >= RENEW_DEADLINE):
                lead.discard(m)
        # a candidate takes over an expired Lease
        if lease.holder is None or now - (lease.renew_time or 0) >= LEASE_DURATION:
            for m in ha.machines:
                if ha.can_write(c, process, m):
                    if process == "controller-manager":
                        # a leader that takes over was not leading: a fresh process, empty memory
                        memory = ControllerMemory()
                    lease = Lease(m, now)
                    lead.add(m)
                    break
        leases[i], leading[i] = lease, frozenset(lead)
    ha = attrs.evolve(ha, leases=tuple(leases), leading=tuple(leading))  # type: ignore[arg-type]
    after = attrs.evolve(c, ha=ha, memory=memory)
    if memory is not c.memory:
        # the new leader's process: no expectations, freshly listed informers (kmodel.informer)
        after = informer.forget(after, "controller-manager")
    if ha.manageable(after):
        since = None
    else:
        since = ha.unmanageable_since if ha.unmanageable_since is not None else before.now
    if since != ha.unmanageable_since:
        after = attrs.evolve(after, ha=attrs.evolve(ha, unmanageable_since=since))
    return after


def steady(c: Cluster) -> object:
    """The HA state with the Leases' renewal times as ages, for telling whether anything but the
    clock changed (a leader renewing every tick is steady); None without HA."""
    h = c.ha
    if h is None:
        return None
    leases = tuple(
        Lease(lease.holder, None if lease.renew_time is None else c.now - lease.renew_time) for lease in h.leases
    )
    return attrs.evolve(h, leases=leases)


def failover_bound(c: Cluster) -> int:
    """How long the control plane may be unmanageable after one failure: a new leader takes an
    expired Lease at the first tick at or after leaseDuration (candidates retry every
    retryPeriod, within a tick), so leaseDuration rounded up to whole ticks. With one
    control-plane machine there is no standby, and the bound is 0."""
    ha = c.ha
    step = c.settings.step
    if ha is None or len(ha.machines) < 2:
        return 0
    return -(-LEASE_DURATION // step) * step


def relative(c: Cluster, cap: int) -> object:
    """The HA state with its times as ages (for the checkers' fingerprints); None without HA."""
    ha = c.ha
    if ha is None:
        return None

    # every threshold on these ages is at most leaseDuration (renewDeadline, the failover bound)
    horizon = min(cap, -(-LEASE_DURATION // c.settings.step) * c.settings.step + c.settings.step)

    def age(t: int | None) -> int | None:
        return None if t is None else min(c.now - t, horizon)

    return (
        ha.stopped,
        ha.etcd_off,
        tuple((lease.holder, age(lease.renew_time)) for lease in ha.leases),
        ha.leading,
        age(ha.unmanageable_since),
        ha.cuts,
        ha.isolated,
    )


def check_timeline_target(target: str, ha: HAControlPlane | None, where: str, file: str, line: int | None) -> None:
    """``stop scheduler@cp-2`` needs a controlPlane section naming cp-2."""
    process, machine = split_target(target)
    if machine is None:
        return
    if ha is None:
        raise KmodelError(
            f"{target!r} names a control-plane machine, but the scenario declares no controlPlane section",
            file=file,
            line=line,
            where=where,
            fix=f"write {process} (the single control plane) or add controlPlane: {{machines: [...]}}",
        )
    hosts = ha.etcd_machines if process == "etcd" else ha.machines
    if process == "control-plane":
        hosts = (*ha.machines, *ha.etcd_machines)
    if machine not in hosts:
        raise KmodelError(
            f"{target!r}: {machine} runs no {process}",
            file=file,
            line=line,
            where=where,
            fix=f"use one of: {', '.join(hosts)}",
        )
