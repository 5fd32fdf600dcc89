"""Partitions inside a highly available control plane, and "became leader" events.

Timeline verbs (with a ``controlPlane`` section, :mod:`kmodel.ha`)::

    partition node/cp-1 from node/cp-2,node/cp-3   cut cp-1 off from cp-2 and cp-3
    partition node/cp-1 from etcd                  cut cp-1 off from every other etcd machine
    heal node/cp-1 from node/cp-2,node/cp-3        reconnect them (``from etcd`` likewise)

and the checker's fault kind ``partitionControlPlane``: one control-plane (or external etcd)
machine cut off from every other control-plane and etcd machine, undone by ``heal node/M from
the other control-plane machines``. Such a cut leaves the machine reachable from the load
balancer and the worker nodes (``partition node/cp-1`` alone cuts it off from everything).

What a cut does, after etcd (Raft) and Kubernetes:

- **etcd**: a member commits writes, and answers the linearizable reads kube-apiserver uses by
  default, only while it and the members it reaches are a majority of the cluster. A member on
  the minority side can do neither (:meth:`kmodel.ha.HAControlPlane.member_serves`).
- **apiserver**: stacked, it talks to its own machine's member only (kubeadm's
  ``--etcd-servers=https://127.0.0.1:2379``), so on the minority side every write fails;
  external, it uses any etcd machine it reaches. An apiserver that cannot get through to a
  serving member fails its readiness check: ``/readyz`` includes ``etcd-readiness``, which
  reads the key ``<prefix>/health`` with a linearizable Get
  (staging/src/k8s.io/apiserver/pkg/storage/storagebackend/factory/etcd3.go
  ``newETCD3ReadyCheck``/``newETCD3Check``); the load balancer health-checks ``/readyz`` and
  stops routing to it, so kubelets and clients reach an apiserver on the majority side and see
  no failure. (kmodel's load balancer routes to any apiserver that answers,
  :meth:`~kmodel.ha.HAControlPlane.apiserver_available`.)
- **leaders**: kube-scheduler and kube-controller-manager renew their Lease through their own
  machine's apiserver. A leader on the minority side cannot renew (renewal is a write), stops
  leading after renewDeadline (10 s) and exits; a candidate on the majority side takes the Lease
  once it has not been renewed for leaseDuration (15 s). Since 10 < 15 the old leader has
  stopped before the new one starts (property ``one-leader-acting``); with
  ``stopLeadingOnLostLease: false`` it believes it leads until the process is restarted, and
  acts again as soon as the cut heals, next to the new leader. (In client-go the renew loop
  waits retryPeriod after its last success before the try that fails, so the old leader stops
  up to renewDeadline + retryPeriod = 12 s after its last renewal, still before 15 s; kmodel's
  tick makes it renewDeadline, as :mod:`kmodel.ha` does for every lost Lease.)

Cuts between pairs of machines are kept as a set of pairs. The quorum rule above is exact when
reachability among the etcd members is transitive (they fall into sides that cannot talk
across). A partial partition of the members (A and B cut from each other, both reaching C)
depends on which member etcd's Raft leader is, which kmodel does not model: such timelines are
refused at load time. The checker's fault isolates one machine from all the others
(kept apart from the timeline's cuts, :attr:`kmodel.ha.HAControlPlane.isolated`), which leaves
sides sides, whatever the timeline does around it. An apiserver (external etcd) may reach some
members and not others: its etcd client fails over between the endpoints it is given, so it
answers while it reaches one member that serves. Control-plane machines without an etcd member exchange nothing
directly (every component talks through its apiserver, the apiservers through etcd), so a cut
between two of them changes nothing, in kmodel as in Kubernetes.

Events: client-go's leader elector records an Event ``LeaderElection`` "<identity> became
leader" on the Lease when it acquires it (tools/leaderelection/leaderelection.go ``acquire``,
resourcelock/leaselock.go ``RecordEvent``); the source is the scheduler's name (``default-
scheduler``, cmd/kube-scheduler/app/options/options.go) or ``kube-controller-manager``. The
identity is ``<hostname>_<uuid>``; kmodel writes the machine name. "stopped leading" is recorded
too in Kubernetes, but in kmodel a leader stops because it cannot write (then the Event cannot be
written either) or because its process or machine is killed: kmodel shows only "became leader"
(a graceful stop that releases the Lease is not modelled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from kmodel.errors import KmodelError, shown
from kmodel.state import Cluster
from kmodel.transition import Event

FAULT_KIND = "partitionControlPlane"
UNDO_TAG = "cpcut"
REST = "the other control-plane machines"
FROM_ETCD = "etcd"
# the Lease (kube-system namespace) and the Event source of each leader-elected component, in
# kmodel.ha.LEADER_ELECTED order
LEASES = ("kube-scheduler", "kube-controller-manager")
SOURCES = ("default-scheduler", "kube-controller-manager")


def _pair(a: str, b: str) -> tuple[str, str]:
    return (min(a, b), max(a, b))


def is_between(ev: Any) -> bool:
    """A timeline event ``partition|heal node/A from ...``."""
    return ev.verb in ("partition", "heal") and tuple(ev.args[:1]) == ("from",)


SYNTAX = "write from node/B,node/C (machines, comma-separated) or from etcd"


def parse_args(args: tuple[str, ...]) -> str | None:
    """The syntax of ``from node/B,node/C`` / ``from etcd``: None when well formed, else what is
    wrong (the fix is :data:`SYNTAX`)."""
    if len(args) != 2 or args[0] != "from":
        return f"'from' takes one list of machines, got {len(args) - 1} word(s)"
    if args[1] == FROM_ETCD:
        return None
    for word in args[1].split(","):
        if not word.startswith("node/") or not word[5:]:
            return f"{shown(word)} is not node/NAME"
    return None


def peers(ha: Any, machine: str, spec: str) -> tuple[str, ...]:
    """The machines ``from SPEC`` names (``etcd``: every etcd machine but ``machine``)."""
    if spec == FROM_ETCD:
        return tuple(e for e in ha.etcd_machines if e != machine)
    return tuple(dict.fromkeys(w[5:] for w in spec.split(",")))


def set_cut(c: Cluster, machine: str, others: tuple[str, ...], cut: bool) -> Cluster | None:
    """Cut ``machine`` off from ``others`` (or heal those cuts); None when nothing changes."""
    ha = c.ha
    if ha is None:
        return None
    pairs = {_pair(machine, o) for o in others if o != machine}
    cuts = ha.cuts | pairs if cut else ha.cuts - pairs
    if cuts == ha.cuts:
        return None
    return attrs.evolve(c, ha=attrs.evolve(ha, cuts=frozenset(cuts)))


def isolate(c: Cluster, machine: str) -> Cluster | None:
    """The ``partitionControlPlane`` fault: ``machine`` cut off from every other control-plane
    and etcd machine (None if it is already)."""
    ha = c.ha
    if ha is None or machine in ha.isolated:
        return None
    return attrs.evolve(c, ha=attrs.evolve(ha, isolated=ha.isolated | {machine}))


def heal_machine(c: Cluster, machine: str) -> Cluster | None:
    """Undo :func:`isolate` (the timeline's cuts and the other isolations stay)."""
    ha = c.ha
    if ha is None or machine not in ha.isolated:
        return None
    return attrs.evolve(c, ha=attrs.evolve(ha, isolated=ha.isolated - {machine}))


def checker_faults(c: Cluster) -> list[tuple[str, str, str, Callable[[], Cluster | None]]]:
    """(budget kind, undo tag, label, fault) for every machine that may be isolated."""
    ha = c.ha
    assert ha is not None
    return [
        (FAULT_KIND, f"{UNDO_TAG}:{m}", f"partition node/{m} from {REST}", lambda m=m: isolate(c, m))  # type: ignore[misc]
        for m in dict.fromkeys((*ha.machines, *ha.etcd_machines))
    ]


UNDO: dict[str, tuple[str, Callable[[Cluster, str], Cluster | None]]] = {
    UNDO_TAG: (f"heal node/{{}} from {REST}", heal_machine),
}


def perform(c: Cluster, ev: Any) -> tuple[str, Cluster | None]:
    """Carry out ``partition|heal node/A from ...``: (label, the cluster after or None)."""
    spec = ev.args[1]
    label = f"{ev.verb} node/{ev.name} from {spec}"
    if c.ha is None:
        return label, None
    return label, set_cut(c, ev.name, peers(c.ha, ev.name, spec), ev.verb == "partition")


# --- load-time checks -------------------------------------------------------------------------------


def _transitive(machines: tuple[str, ...], cuts: set[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(a, b, c) with a-c cut although a reaches b and b reaches c; None if there is none."""
    for a in machines:
        for b in machines:
            if b == a or _pair(a, b) in cuts:
                continue
            for x in machines:
                if x not in (a, b) and _pair(b, x) not in cuts and _pair(a, x) in cuts:
                    return a, b, x
    return None


def check_events(timeline: list[Any], ha: Any, places: list[tuple[str, int | None, str]]) -> None:
    """``partition|heal node/A from ...`` needs a controlPlane section naming A and the machines
    after ``from``; a cut between worker nodes is refused (no node-to-node traffic is modelled),
    and so is a timeline that leaves a partial partition (see the module docstring). The events
    run in time order (stable), as the scenario's timeline does."""
    cuts: set[tuple[str, str]] = set()
    for i in sorted(range(len(timeline)), key=lambda i: timeline[i].at):
        if is_between(timeline[i]):
            cuts = _check_event(timeline[i], ha, places[i], cuts)


def _check_event(
    ev: Any, ha: Any, place: tuple[str, int | None, str], cuts: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Check one ``partition|heal node/A from ...`` event; the cuts after it."""
    src, line, where = place

    def bad(message: str, fix: str) -> KmodelError:
        return KmodelError(f"event {shown(ev.text)}: {message}", file=src, line=line, where=where, fix=fix)

    problem = parse_args(ev.args)
    if problem is not None:
        raise bad(problem, SYNTAX)
    hosts = () if ha is None else tuple(dict.fromkeys((*ha.machines, *ha.etcd_machines)))
    if ev.name not in hosts:
        raise bad(
            f"{shown(ev.name)} is not a control-plane or etcd machine of a controlPlane section; kmodel models no "
            "traffic between other nodes (no kube-proxy, no CNI, no client requests), so such a cut changes "
            "nothing it can see",
            f"write {ev.verb} node/{ev.name} (the node and the control plane) or {ev.verb} zone/ZONE"
            if ha is None
            else f"cut one of {', '.join(hosts)} from another",
        )
    others = peers(ha, ev.name, ev.args[1])
    for o in others:
        if o not in hosts or o == ev.name:
            raise bad(
                f"{shown(o)} is not another control-plane or etcd machine",
                f"use {', '.join(h for h in hosts if h != ev.name)}",
            )
    pairs = {_pair(ev.name, o) for o in others}
    cuts = cuts | pairs if ev.verb == "partition" else cuts - pairs
    partial = _transitive(tuple(ha.etcd_machines), cuts)  # Raft's concern: the etcd members
    if partial is not None:
        a, b, x = partial
        raise bad(
            f"after it {a} and {x} cannot reach each other but both reach {b}: which of them etcd serves "
            "depends on where its Raft leader is, which kmodel does not model",
            "cut machines into sides that cannot talk across (partition node/A from every machine of the other side)",
        )
    return cuts


# --- leader events --------------------------------------------------------------------------------


def leader_events(before: Cluster | None, after: Cluster) -> list[Event]:
    """``LeaderElection`` "<holder> became leader" Events for every instance that leads in
    ``after`` and did not in ``before`` (``before`` None: the initial leaders)."""
    h = after.ha
    if h is None:
        return []
    old = before.ha if before is not None else None
    out = []
    for i, lead in enumerate(h.leading):
        for m in sorted(lead - (old.leading[i] if old is not None else frozenset())):
            out.append(Event(after.now, SOURCES[i], "LeaderElection", f"lease/{LEASES[i]}", f"{m} became leader"))
    return out
