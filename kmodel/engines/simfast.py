"""One tick of ``kmodel simulate`` without a kubelet step per node where a pass does (issue 17).

:func:`tick_schedule` yields what :func:`kmodel.model.fixed_schedule` yields, outcome for
outcome (the same actors, labels and events, in the same order, and the same state at the end
of the tick), but the kubelets, which come first, are walked in one pass:

- a kubelet whose step would return nothing (its node is unreachable, or nothing is due: no
  status to post, no Lease renewal due, every bound pod running and ready with nothing left to
  do) is skipped after a check of its node alone, the pods part of which is remembered per node
  until the node's pods or its running containers change;
- a kubelet whose step would only renew its node's Lease (the same check, with the renewal
  due) is not run: the renewals are written at the end of the pass in one pass over the node
  list, instead of one copy of the node list (and of the set of components that ran) per node;
- any other kubelet (a status to post, a pod to start, stop, remove, probe...) takes its step
  as ever (a step reads and writes its own node and its pods alone: it runs on the state
  without the renewals of the kubelets before it, which are written at the end).

The kubelets that acted are added to the state's ``ran`` at the end of the pass too, and only
the pass's last outcome carries the state at its end; the others carry the state as it was
when they were taken, without those (``simulate`` reads only the last outcome's state;
:func:`kmodel.model.fixed_schedule`, which the checkers use, gives each its own state). The
check mirrors the early return and the renewal-only path of
:func:`kmodel.components.kubelet.step`; tests/test_simulate_equivalence.py holds it to the
outputs of the simulator from before. Scenarios with lagging informers, a watch cache, several
control-plane machines or replaced components take :func:`kmodel.model.fixed_schedule` as is.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from operator import attrgetter

import attrs

from kmodel import informer, model, podindex
from kmodel.components import kubelet
from kmodel.engines import simsched
from kmodel.state import COND_FALSE, COND_TRUE, FAILED, SUCCEEDED, Cluster, Node, carry_control_plane_nodes
from kmodel.transition import Outcome

_NOOP, _LEASE, _FULL = 0, 1, 2

# per node: (its pods group, its running set, whether those pods leave the kubelet nothing to do)
_pods_ok: dict[str, tuple[object, frozenset[str], bool]] = {}


def _settled(group: tuple, running: frozenset[str]) -> bool:  # type: ignore[type-arg]
    """The kubelet's early-return test on the pods: every bound pod (not finished) runs here,
    ready, not terminating, without probes or a finishing container, and nothing else runs."""
    bound = [p for p in group if p.phase not in (SUCCEEDED, FAILED)]
    if len(bound) != len(running):
        return False
    return all(
        p.behaviour is None and p.name in running and p.ready and not p.terminating and p.probes is None for p in bound
    )


def _classify(state: Cluster, node: Node | None, api: bool, lease_interval: int, group: object = None) -> int:
    if node is None or not (node.powered and node.kubelet_running and not node.partitioned and api):
        return _NOOP
    want = COND_TRUE if node.runtime_ready else COND_FALSE
    if node.ready != want or node.last_heartbeat is None:
        return _FULL
    if node.runtime_ready:
        if group is None:
            group = podindex.index(state.pods).by_node.get(node.name, ())
        known = _pods_ok.get(node.name)
        if known is not None and known[0] is group and known[1] is node.running:
            ok = known[2]
        else:
            ok = _settled(group, node.running)  # type: ignore[arg-type]
            _pods_ok[node.name] = (group, node.running, ok)
        if not ok:
            return _FULL
    renew = node.lease_renew_time is None or state.now - node.lease_renew_time >= lease_interval
    return _LEASE if renew else _NOOP


# per node: (the node, its pods group, until when, the Lease renewal interval) for a kubelet found
# with nothing due (kind _NOOP, with the apiserver reachable): it has nothing due while the node
# and its pods are the very same objects and the clock is before its next Lease renewal (with the
# apiserver unreachable it has nothing due either)
_quiet: dict[str, tuple[Node, object, float, int]] = {}


def _quiet_until(node: Node, interval: int) -> float:
    if not (node.powered and node.kubelet_running and not node.partitioned):
        return math.inf  # (it cannot reach the apiserver while its node is this object)
    assert node.lease_renew_time is not None  # (else its renewal would be due)
    return node.lease_renew_time + interval


def _applies(cluster: Cluster, replace: dict[str, model.StepFn] | None) -> bool:
    return not replace and not informer.enabled(cluster) and cluster.watch_cache is None and cluster.ha is None


def tick_schedule(cluster: Cluster, replace: dict[str, model.StepFn] | None = None) -> Iterator[Outcome]:
    """:func:`kmodel.model.fixed_schedule`, with the kubelets' pass described above."""
    if not _applies(cluster, replace):
        yield from model.fixed_schedule(cluster, replace)
        return
    if len(_pods_ok) > 4 * len(cluster.nodes) + 1000:
        _pods_ok.clear()
    if len(_quiet) > 4 * len(cluster.nodes) + 1000:
        _quiet.clear()
    state = cluster
    api = cluster.apiserver_available  # a kubelet's step changes nothing it depends on
    interval = cluster.settings.lease_renew_interval
    now = cluster.now
    renewed: dict[str, Node] = {}
    ran: list[str] = []  # the kubelets that acted, not yet in the state's ``ran``
    held: Outcome | None = None  # the last outcome, yielded with the state at the end of the pass
    # model.components: a kubelet per node, in the node list's order (a kubelet's step writes its
    # own node and its pods alone: the others' nodes are the pass's first state's)
    by_node = podindex.index(state.pods).by_node
    done = cluster.ran
    quiet = _quiet
    for node in cluster.nodes:
        name = node.name
        if done and kubelet.actor(name) in done:
            continue
        group = by_node.get(name, ())
        q = quiet.get(name)
        if q is not None and q[0] is node and q[1] is group and now < q[2] and q[3] == interval:
            continue  # (nothing due, as found at an earlier tick: see _quiet)
        kind = _classify(state, node, api, interval, group)
        if kind == _NOOP:
            if api:
                quiet[name] = (node, group, _quiet_until(node, interval), interval)
            continue
        who = kubelet.actor(name)
        if kind == _LEASE:
            fresh = renewed[name] = _renewed(node, now)
            # (its node renewed and nothing else due: nothing is due until its next renewal)
            quiet[name] = (fresh, group, now + interval, interval)
            outcome = Outcome(who, f"renew Lease of {name}", state, ())
        else:
            # model.component_steps without an informer, a watch cache or a replaced step
            outs = kubelet.step(state, name)
            if not outs:
                continue
            outcome = outs[0]
            state = outcome.state
            by_node = podindex.index(state.pods).by_node
        ran.append(who)
        if held is not None:
            yield held
        held = outcome
    if held is not None:
        state = _write(state, renewed, ran)
        yield attrs.evolve(held, state=state)
    for comp in model.CONTROLLERS:
        if comp.name == "scheduler":
            steps = simsched.scheduler_steps(state, comp)
        elif comp.name == "replicaset":
            sig = _rs_signature(state)
            if sig is not None and _quiet_rs and _same_signature(sig, _quiet_rs[0]):
                continue
            steps = _remember_quiet(state, comp, sig)
        else:
            steps = model.fixed_schedule_steps(state, [comp])
        for outcome in steps:
            state = outcome.state
            yield outcome


# --- the ReplicaSet controller when nothing it reads changed -------------------------------------
#
# Its step (kmodel.components.replicaset.step) reads the ReplicaSets, whether the
# controller-manager acts, the expectations (kmodel.informer), and of the pods only those each
# ReplicaSet owns and the orphans (the pods index's groups by owner; the clock only when it creates
# pods or when some minReadySeconds is set). A step that changed nothing changes nothing again
# while those are the very same objects, and is not run.

_quiet_rs: list[tuple[object, ...]] = []  # the signature of the last step that changed nothing


def _rs_signature(state: Cluster) -> tuple[object, ...] | None:
    if any(rs.min_ready_seconds for rs in state.replicasets):
        return None
    groups = podindex.index(state.pods).by_owner
    return (
        state.replicasets,
        state.settings,
        state.informers,
        state.controller_manager_active,
        groups.get(None),
        *(groups.get(rs.name) for rs in state.replicasets),
    )


def _same_signature(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _remember_quiet(state: Cluster, comp: model.Component, sig: tuple[object, ...] | None) -> Iterator[Outcome]:
    acted = False
    for outcome in model.fixed_schedule_steps(state, [comp]):
        acted = True
        yield outcome
    _quiet_rs.clear()
    if not acted and sig is not None:
        _quiet_rs.append(sig)


_NODE_FIELDS = tuple(f.name for f in attrs.fields(Node))
_node_values = attrgetter(*_NODE_FIELDS)
_LEASE_AT = _NODE_FIELDS.index("lease_renew_time")


def _renewed(node: Node, now: int) -> Node:
    """``attrs.evolve(node, lease_renew_time=now)``, built from the field values at once."""
    values = list(_node_values(node))
    values[_LEASE_AT] = now
    return Node(*values)


def _write(state: Cluster, renewed: dict[str, Node], ran: list[str]) -> Cluster:
    """The Lease renewals and the kubelets that acted, written at the end of the pass."""
    nodes = state.nodes
    if renewed:
        nodes = tuple(renewed.get(n.name, n) for n in state.nodes)
        if not any(n.control_plane for n in renewed.values()):
            carry_control_plane_nodes(state.nodes, nodes)
    return attrs.evolve(state, nodes=nodes, ran=state.ran | frozenset(ran))


# --- the view of a tick ---------------------------------------------------------------------------
#
# ``simulate`` keeps a snapshot of the ``kubectl get`` view (kmodel.render.view) when it changes.
# The view reads no clock, no controller memory, and of a node neither its Lease renewal nor the
# heartbeat time of its Ready condition: a state that differs from the last viewed one only in
# those (every tick of a quiet cluster: the kubelets renew their Leases, the node lifecycle
# controller records them) shows the same, and the view is not taken again.

_UNSEEN = frozenset({"now", "ran", "sched_attempted", "memory", "nodes"})
_SEEN_FIELDS: tuple[str, ...] = tuple(f.name for f in attrs.fields(Cluster) if f.name not in _UNSEEN)
_NODE_UNSEEN = frozenset({"lease_renew_time", "last_heartbeat"})
_NODE_SEEN: tuple[str, ...] = tuple(f.name for f in attrs.fields(Node) if f.name not in _NODE_UNSEEN)
_node_seen = attrgetter(*_NODE_SEEN)


def same_view(a: Cluster, b: Cluster) -> bool:
    """``view(a) == view(b)`` for states alike in everything the view reads (objects compared
    by identity, nodes field by field but for the two fields above)."""
    if not all(getattr(a, name) is getattr(b, name) for name in _SEEN_FIELDS):
        return False
    if a.nodes is b.nodes:
        return True
    if len(a.nodes) != len(b.nodes):
        return False
    seen = _node_seen
    return all(m is n or seen(m) == seen(n) for m, n in zip(a.nodes, b.nodes, strict=True))
