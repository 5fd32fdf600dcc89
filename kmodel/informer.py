"""Informer caches that lag, and the two safeguards Kubernetes built against acting on them.

A real controller never reads the apiserver directly: a shared informer (client-go
``tools/cache``) lists once, then watches, and the controller reads the informer's local store.
Every change reaches that store a little later than etcd, and a controller that acts in between
acts on a stale view. The ReplicaSet controller doing so created pods twice (kubernetes issues
21127 and 22134); the fix is its *expectations*. The scheduler binding a pod and then scheduling
the next one before its own binding came back through the watch would double-book a node; the
fix is its *assumed pods*.

What is modelled (setting ``informerLag: N``, 0 by default = no lag, every view is the store)
------------------------------------------------------------------------------------------------
- The watchers are the ReplicaSet controller and the scheduler (:data:`WATCHERS`); each has an
  informer on pods. With ``informerLagNodes: true`` the scheduler's Node informer lags too
  (:data:`NODES`): its view of a node's labels, taints, cordon and capacity (:data:`NODE_FIELDS`,
  all its filters and scores read; a NotReady or unreachable node reaches it as a taint) and of
  nodes coming and going may be behind, so it may bind a pod to a node it has not yet seen
  tainted, cordoned or deleted. Kubernetes' guards then are the kubelet's admission (a NoExecute
  taint the pod does not tolerate, or no room: the pod is rejected,
  :mod:`kmodel.components.kubeletadmission`), the taint eviction controller, and the pod garbage
  collector for a pod bound to a node that is gone (the binding subresource does not look the
  node up); nothing guards a cordon (the kubelet does not check ``spec.unschedulable``). With
  ``informerLagReplicaSets: true`` the Deployment controller's ReplicaSet informer lags
  (:data:`REPLICASETS`; every field but kmodel's ``next_pod`` counter): it may not have heard of a
  ReplicaSet it created, scaled, or whose status the ReplicaSet controller wrote. Kubernetes'
  guard is optimistic concurrency: the controller updates a ReplicaSet with its informer copy's
  resourceVersion, so an update from a stale copy is a 409 Conflict, and creating a ReplicaSet
  that exists is AlreadyExists; the sync fails and is retried (:func:`_rs_conflict`: the step's
  writes, its Deployment status and its events are all dropped; deletes carry no precondition).
  Other objects (Deployments, ...) and the other controllers read the store itself.
- Per informer the state keeps only what it has not been told yet: an ordered tuple of
  :class:`Undelivered` entries, one per pod name with an undelivered change, holding the version
  the informer last delivered (``seen``; ``None`` for a pod it never saw: an undelivered
  creation). The view is derived: the store's pods, with each pending name put back to its
  ``seen`` version (or left out when ``seen`` is ``None``). A pod created and deleted before the
  informer heard of either keeps its last version in ``vanished`` so that the delivery can still
  tell the handlers "added, then deleted".
- Every transition the checkers take is followed by :func:`observe`, which compares the pods
  (and, for the Node informer, the nodes' :data:`NODE_FIELDS`) before and after and queues the
  changed names (a name already queued keeps its place and its
  ``seen``; one whose pod came back to exactly its ``seen`` version leaves the queue, unless it
  was a creation and deletion the handlers must still hear of).
- A delivery is an action of its own (actor ``informer/<watcher>``): the oldest entry is
  delivered (with the pod's newest version: the DeltaFIFO hands a key's deltas over together),
  and the ReplicaSet expectations hear of it as the event handlers would (addPod,
  updatePod, deletePod in pkg/controller/replicaset/replica_set.go).
- Two bounds keep views close and the state space finite: at most ``informerLag`` entries per
  informer (beyond it, the oldest is delivered at once, within the same transition); and an
  entry survives at most one clock tick (the clock does not tick while an entry that was already
  pending at the previous tick is undelivered). So a controller may act on a view that misses up
  to ``informerLag`` changes, made up to one tick earlier.
- ``kmodel simulate`` and the checkers' settling run deliver every change at once (no lag):
  lag is for the checkers to explore, as an adversary.
- Writes go to the store as the apiserver takes them (:func:`apply_writes`): the component's step
  runs unchanged on its view, and the pod fields its step changed are patched onto the store's
  pods (a create creates, a delete deletes, a binding of a pod the store already has bound is
  refused as the apiserver's binding Conflict, a write to a pod that is gone is a NotFound and
  changes nothing). Fields other than pods and nodes are the same in the view and the store, so
  the step's changes to them are taken as they are (the scheduler, the only node watcher, writes
  no node).

The safeguards
--------------
- ReplicaSet expectations (``rsExpectations: true`` by default), as ``ControllerExpectations`` /
  ``UIDTrackingControllerExpectations`` in pkg/controller/controller_utils.go: a sync that creates
  n pods expects n creations, one that deletes pods expects the deletion of exactly those pods (by
  name, as UIDs are tracked); the informer's add events lower the creations, its delete events
  (and updates setting a deletionTimestamp) remove the pods from the deletions; while a
  ReplicaSet's expectations are neither fulfilled nor older than ``ExpectationsTimeout`` (5
  minutes) its sync does not create or delete pods (it still claims pods and writes the status).
  A fulfilled record is dropped (it behaves exactly as no record). Expectations are only kept
  while informers lag: without lag every event is delivered before the next sync, so they are
  always fulfilled.
- Scheduler assumed pods (``schedulerAssumedPods: true`` by default), as the scheduler cache's
  ``AssumePod`` / confirmation on the pod's Add/Update event (pkg/scheduler/internal/cache): a pod
  the scheduler bound is in its view bound to that node until the informer delivers the binding
  (assumed pods do not expire: durationToExpireAssumedPod is 0 since kubernetes issue 106361).
  This needs no state of its own: a pending
  entry whose ``seen`` version is unbound while the store's pod is bound is an assumed pod. Off,
  the scheduler's view shows the pod still Pending and the node without it.

A process that stops (``stop controller-manager``, ``stop scheduler``, its host powered off, the
controller-manager exiting when it loses its leader Lease, or a new leader taking over with
several control-plane machines) loses its informers and its memory (:func:`forget`): while it is
down nothing queues for it, and once it runs again its informers start from a LIST of the store
(nothing pending), and the controller-manager from a new, empty ``ControllerExpectations``.

Left out: lag of other objects and of the other controllers' informers (the Deployment
controller's pods among them), resync periods, watch errors that force a relist, and a
conflict failing only the Deployment whose sync hit it (the step syncs every Deployment, and a
conflict drops the whole step: scenarios have one Deployment or few). Delivering a key's newest version at its
first change's place lets a later change overtake changes of other keys, a slight
over-approximation of the watch's order.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator

import attrs
from attrs import frozen

from kmodel.state import Cluster, Node, Pod, ReplicaSet

WATCHERS = ("replicaset", "scheduler")  # their pod informers; a pod feed is named after its watcher
NODES = "scheduler/nodes"  # the scheduler's Node informer (setting informerLagNodes)
REPLICASETS = "deployment/replicasets"  # the Deployment controller's (informerLagReplicaSets)
VIEWERS = (*WATCHERS, "deployment")  # the components that read a view of their own
# the process each watcher runs in: when it stops, its informers and its memory are gone
PROCESS = {"replicaset": "controller-manager", "scheduler": "scheduler", "deployment": "controller-manager"}
ACTOR = "informer"
EXPECTATIONS_TIMEOUT = 5 * 60  # ExpectationsTimeout, pkg/controller/controller_utils.go


@frozen
class Undelivered:
    name: str
    seen: Pod | Node | ReplicaSet | None  # the version last delivered; None: never delivered (a creation)
    carried: bool = False  # already pending when the clock last ticked
    vanished: Pod | Node | ReplicaSet | None = None  # created and deleted before either was delivered


@frozen
class Expectation:
    """One ReplicaSet's ``ControlleeExpectations`` (add, del, timestamp) with the tracked pods."""

    replicaset: str
    add: int
    deletions: frozenset[str]
    since: int

    @property
    def fulfilled(self) -> bool:
        return self.add <= 0 and not self.deletions


@frozen
class Informers:
    pending: tuple[tuple[str, tuple[Undelivered, ...]], ...] = ()  # watcher -> its queue
    expectations: tuple[Expectation, ...] = ()

    def queue(self, watcher: str) -> tuple[Undelivered, ...]:
        return dict(self.pending).get(watcher, ())

    def with_queue(self, watcher: str, queue: tuple[Undelivered, ...]) -> Informers:
        rest = {w: q for w, q in self.pending if w != watcher}
        if queue:
            rest[watcher] = queue
        return attrs.evolve(self, pending=tuple(sorted(rest.items())))


def enabled(c: Cluster) -> bool:
    return c.settings.informer_lag > 0


def _state(c: Cluster) -> Informers:
    return c.informers if c.informers is not None else Informers()


def _with_state(c: Cluster, s: Informers) -> Cluster:
    return attrs.evolve(c, informers=None if s == Informers() else s)


def lagging(c: Cluster) -> bool:
    return c.informers is not None and bool(c.informers.pending)


# -- the view -------------------------------------------------------------------------------------


def view(c: Cluster, watcher: str) -> Cluster:
    """What ``watcher`` sees: the store with its undelivered pod (and, for the scheduler with
    ``informerLagNodes``, node) changes undone (the cluster itself, the same object, when it has
    none)."""
    if c.informers is None or watcher not in VIEWERS:
        return c
    out = c
    queue = c.informers.queue(watcher)
    if queue:
        out = attrs.evolve(out, pods=_pod_view(c, watcher, queue))
    nodes = c.informers.queue(f"{watcher}/nodes")
    if nodes:
        out = attrs.evolve(out, nodes=_node_view(c, nodes))
    replicasets = c.informers.queue(f"{watcher}/replicasets")
    if replicasets:
        out = attrs.evolve(out, replicasets=_rs_view(c, replicasets))
    return out


def _rs_view(c: Cluster, queue: tuple[Undelivered, ...]) -> tuple[ReplicaSet, ...]:
    """The store's ReplicaSets with each undelivered change undone (``next_pod``, kmodel's
    name counter and no API field, as in the store)."""
    undo = {u.name: u for u in queue}
    out: list[ReplicaSet] = []
    for rs in c.replicasets:
        u = undo.get(rs.name)
        if u is None:
            out.append(rs)
        elif isinstance(u.seen, ReplicaSet):
            out.append(attrs.evolve(u.seen, next_pod=rs.next_pod))
    present = {rs.name for rs in c.replicasets}
    gone = [u.seen for u in queue if isinstance(u.seen, ReplicaSet) and u.name not in present]
    return tuple(sorted(out + gone, key=lambda r: r.name)) if gone else tuple(out)


def _pod_view(c: Cluster, watcher: str, queue: tuple[Undelivered, ...]) -> tuple[Pod, ...]:
    undo = {u.name: u for u in queue}
    assumed = watcher == "scheduler" and c.settings.scheduler_assumed_pods
    pods: list[Pod] = []
    for p in c.pods:
        u = undo.get(p.name)
        if u is None:
            pods.append(p)
        elif isinstance(u.seen, Pod):
            if assumed and u.seen.node_name is None and p.node_name is not None:
                # AssumePod: the scheduler's own binding is in its cache before the watch says so
                pods.append(attrs.evolve(u.seen, node_name=p.node_name, nominated_node_name=None))
            else:
                pods.append(u.seen)
    present = {p.name for p in c.pods}
    gone = [u.seen for u in queue if isinstance(u.seen, Pod) and u.name not in present]
    # collections stay sorted by name: Cluster.pod and Cluster.node look names up by bisection
    return tuple(sorted(pods + gone, key=lambda p: p.name)) if gone else tuple(pods)


# what the scheduler reads of a Node (its filters and scores): labels, taints, spec.unschedulable,
# capacity; conditions reach it as the not-ready / unreachable taints (TaintNodesByCondition),
# and heartbeats, Leases and the machine's own state not at all
NODE_FIELDS = ("labels", "taints", "unschedulable", "capacity")


def _node_key(n: Node) -> tuple[object, ...]:
    """The part of a node a lagging Node informer can be behind on (taints without their
    timeAdded, which no filter reads)."""
    return (n.labels, tuple(attrs.evolve(t, time_added=None) for t in n.taints), n.unschedulable, n.capacity)


def _node_view(c: Cluster, queue: tuple[Undelivered, ...]) -> tuple[Node, ...]:
    """The store's nodes with each undelivered node change undone: a node whose creation is
    undelivered is left out, one whose deletion is undelivered is still there, and an updated
    one shows the delivered version's labels, taints, cordon and capacity."""
    undo = {u.name: u for u in queue}
    nodes: list[Node] = []
    for n in c.nodes:
        u = undo.get(n.name)
        if u is None:
            nodes.append(n)
        elif isinstance(u.seen, Node):
            nodes.append(attrs.evolve(n, **{f: getattr(u.seen, f) for f in NODE_FIELDS}))
    present = {n.name for n in c.nodes}
    gone = [u.seen for u in queue if isinstance(u.seen, Node) and u.name not in present]
    return tuple(sorted(nodes + gone, key=lambda n: n.name)) if gone else tuple(nodes)


def apply_writes(real: Cluster, seen: Cluster, after: Cluster) -> Cluster:
    """The store after a step that ran on the view ``seen`` and produced ``after``: its pod
    writes patched onto the store's pods as the apiserver takes them; the store's nodes (when
    they lag) with the step's node changes patched on (the scheduler makes none); everything
    else as the step left it (only pods and nodes differ between a view and the store). A
    binding to a node the store no longer has goes through: the binding subresource does not
    look the node up, and the pod garbage collector deletes such orphans."""
    from kmodel.components import apiserver

    out = attrs.evolve(after, pods=real.pods)
    if seen.nodes is not real.nodes:
        out = attrs.evolve(out, nodes=_patched_nodes(real, seen, after))
    if seen.replicasets is not real.replicasets:
        out = attrs.evolve(out, replicasets=_patched_replicasets(real, seen, after))
    if seen.pods is after.pods:
        return out
    before = {p.name: p for p in seen.pods}
    now = {p.name: p for p in after.pods}
    for name in list(before) + [n for n in now if n not in before]:
        old, new, cur = before.get(name), now.get(name), out.pod(name)
        if old == new:
            continue
        if old is None:
            assert new is not None
            if cur is None:  # a create (a name taken in the store would be an AlreadyExists)
                out = out.with_pod(new)
            continue
        if cur is None:
            continue  # NotFound
        if new is None or (new.deletion_timestamp is not None and old.deletion_timestamp is None):
            out = apiserver.delete_pod(out, name)
            continue
        if new.node_name != old.node_name and cur.node_name is not None:
            continue  # the binding's Conflict: "pod ... is already assigned to node ..."
        changed = {
            f.name: getattr(new, f.name) for f in attrs.fields(Pod) if getattr(old, f.name) != getattr(new, f.name)
        }
        out = out.with_pod(attrs.evolve(cur, **changed))
    return out


def _patched_nodes(real: Cluster, seen: Cluster, after: Cluster) -> tuple[Node, ...]:
    if seen.nodes is after.nodes:
        return real.nodes
    out = real
    before = {n.name: n for n in seen.nodes}
    for n in after.nodes:
        old, cur = before.get(n.name), real.node(n.name)
        if old is None or cur is None or old == n:
            continue
        changed = {f.name: getattr(n, f.name) for f in attrs.fields(Node) if getattr(old, f.name) != getattr(n, f.name)}
        out = out.with_node(attrs.evolve(cur, **changed))
    return out.nodes


def _rs_conflict(real: Cluster, seen: Cluster, after: Cluster) -> str | None:
    """Why the apiserver refuses the step's ReplicaSet writes (None: it takes them all): an
    update whose object is not the store's version (the update's resourceVersion no
    longer matches: ``the object has been modified; please apply your changes to the latest
    version and try again``), or a create whose name is taken (AlreadyExists)."""
    before = {rs.name: rs for rs in seen.replicasets}
    now = {rs.name: rs for rs in after.replicasets}
    for name in sorted(set(before) | set(now)):
        old, new, cur = before.get(name), now.get(name), real.replicaset(name)
        if old == new:
            continue
        if old is None:
            if cur is not None:
                return f"replicasets {name!r} already exists"
        elif new is None:
            continue  # a delete carries no precondition (one of a ReplicaSet gone is a NotFound)
        elif cur is None or _key(cur) != _key(old):
            return f"Conflict: the object replicaset {name!r} has been modified"
    return None


def _patched_replicasets(real: Cluster, seen: Cluster, after: Cluster) -> tuple[ReplicaSet, ...]:
    """The store's ReplicaSets with the step's writes (checked by :func:`_rs_conflict`)."""
    if seen.replicasets is after.replicasets:
        return real.replicasets
    before = {rs.name: rs for rs in seen.replicasets}
    out = {rs.name: rs for rs in real.replicasets}
    for rs in after.replicasets:
        if before.get(rs.name) != rs:
            cur = out.get(rs.name)
            out[rs.name] = rs if cur is None else attrs.evolve(rs, next_pod=cur.next_pod)
    for name in set(before) - {rs.name for rs in after.replicasets}:
        out.pop(name, None)
    return tuple(out[n] for n in sorted(out))


# -- recording changes and delivering them ---------------------------------------------------------


def feeds(c: Cluster) -> tuple[str, ...]:
    """The informers that lag: every watcher's pod informer, and with ``informerLagNodes`` the
    scheduler's Node informer."""
    out = (*WATCHERS, NODES) if c.settings.informer_lag_nodes else WATCHERS
    return (*out, REPLICASETS) if c.settings.informer_lag_replica_sets else out


def _watcher(feed: str) -> str:
    return feed.partition("/")[0]


def _kind(feed: str) -> str:
    return "node" if feed.endswith("/nodes") else "replicaset" if feed.endswith("/replicasets") else "pod"


def _current(c: Cluster, feed: str, name: str) -> Pod | Node | ReplicaSet | None:
    kind = _kind(feed)
    return c.node(name) if kind == "node" else c.replicaset(name) if kind == "replicaset" else c.pod(name)


def _key(obj: Pod | Node | ReplicaSet) -> object:
    if isinstance(obj, Node):
        return _node_key(obj)
    if isinstance(obj, ReplicaSet):
        return attrs.evolve(obj, next_pod=0)
    return obj


def process_running(c: Cluster, process: str) -> bool:
    """The process (``controller-manager``, ``scheduler``) runs, so its informers exist. With
    several control-plane machines (:mod:`kmodel.ha`) some instance always counts as running;
    a new leader's fresh start is :func:`forget`, called where the Lease changes hands."""
    if c.ha is not None:
        return True
    return bool(getattr(c.control_plane, process.replace("-", "_"))) and c.control_plane_host_up


def forget(c: Cluster, process: str) -> Cluster:
    """``process`` stopped (or lost its leadership and exited): its informers are gone, and the
    new process's informers LIST the store before they watch, so nothing is pending for them;
    the controller-manager's ReplicaSet expectations lived in its memory only
    (``NewControllerExpectations`` at start-up), so they are gone too."""
    if c.informers is None:
        return c
    s = c.informers
    for feed, _ in s.pending:
        if PROCESS[_watcher(feed)] == process:
            s = s.with_queue(feed, ())
    if process == "controller-manager":
        s = attrs.evolve(s, expectations=())
    return c if s == c.informers else _with_state(c, s)


def stopped(before: Cluster, after: Cluster) -> Cluster:
    """``after`` with :func:`forget` applied to each process that ran in ``before`` and does
    not in ``after`` (a fault stopped it or powered its host off)."""
    for process in sorted(set(PROCESS.values())):
        if process_running(before, process) and not process_running(after, process):
            after = forget(after, process)
    return after


def observe(before: Cluster, after: Cluster) -> Cluster:
    """``after`` with the pod (and node) changes of the step from ``before`` queued on every
    running informer (the oldest delivered at once beyond ``informerLag``)."""
    if not enabled(after):
        return after
    if before.replicasets is not after.replicasets and after.informers is not None:
        # deleteRS: DeleteExpectations
        names = {rs.name for rs in after.replicasets}
        kept = tuple(e for e in after.informers.expectations if e.replicaset in names)
        after = _with_state(after, attrs.evolve(after.informers, expectations=kept))
    # a process that is not running has no informer: nothing queues for it, and once it runs
    # again its informers start from a LIST of the store
    after = stopped(before, after)
    running = [f for f in feeds(after) if process_running(after, PROCESS[_watcher(f)])]
    s = _state(after)
    touched = False
    collections = (
        ("pod", before.pods, after.pods),
        ("node", before.nodes, after.nodes),
        ("replicaset", before.replicasets, after.replicasets),
    )
    for kind, old_objs, new_objs in collections:
        if old_objs is new_objs:
            continue
        kind_feeds = [f for f in running if _kind(f) == kind]
        if not kind_feeds:
            continue
        old: dict[str, Pod | Node | ReplicaSet] = {x.name: x for x in old_objs}
        new: dict[str, Pod | Node | ReplicaSet] = {x.name: x for x in new_objs}
        changed = [n for n in new if n not in old or _key(old[n]) != _key(new[n])] + [n for n in old if n not in new]
        if not changed:
            continue
        touched = True
        for feed in kind_feeds:
            queue = {u.name: u for u in s.queue(feed)}
            order = [u.name for u in s.queue(feed)]
            for name in changed:
                u = queue.get(name)
                cur = new.get(name)
                if u is None:
                    queue[name] = Undelivered(name, old.get(name))
                    order.append(name)
                elif u.seen is None and cur is None:
                    # created and deleted before either was delivered
                    gone = old.get(name)
                    queue[name] = attrs.evolve(u, vanished=gone if gone is not None else u.vanished)
                elif u.seen is not None and cur is not None and _key(u.seen) == _key(cur) and u.vanished is None:
                    del queue[name]
                    order.remove(name)
            s = s.with_queue(feed, tuple(queue[n] for n in order))
    if not touched:
        return after
    out = _with_state(after, s)
    for feed in running:
        while len(_state(out).queue(feed)) > after.settings.informer_lag:
            out = deliver(out, feed)
    return out


def deliver(c: Cluster, feed: str) -> Cluster:
    """The oldest undelivered change reaches the informer ``feed``, and its event handlers."""
    s = _state(c)
    queue = s.queue(feed)
    u, rest = queue[0], queue[1:]
    s = s.with_queue(feed, rest)
    if feed == "replicaset":
        s = _rs_handlers(s, u, c.pod(u.name))
    return _with_state(c, s)


def deliveries(c: Cluster) -> Iterator[tuple[str, str, Cluster]]:
    """Each informer's next delivery: (actor, label, next state)."""
    if c.informers is None:
        return
    for feed, queue in c.informers.pending:
        u = queue[0]
        cur = _current(c, feed, u.name)
        what = (
            "added and deleted"
            if u.vanished is not None and cur is None
            else "added"
            if u.seen is None
            else "deleted"
            if cur is None
            else "updated"
        )
        label = f"{_watcher(feed)} informer hears {_kind(feed)} {u.name} {what}"
        yield f"{ACTOR}/{feed}", label, deliver(c, feed)


def must_deliver_first(c: Cluster) -> bool:
    """An entry already survived a tick: the clock may not tick again before it is delivered."""
    return c.informers is not None and any(u.carried for _, q in c.informers.pending for u in q)


def after_tick(c: Cluster) -> Cluster:
    """The clock ticked: every entry still pending has now been pending across a tick."""
    if not lagging(c):
        return c
    s = _state(c)
    for watcher, queue in s.pending:
        s = s.with_queue(watcher, tuple(attrs.evolve(u, carried=True) for u in queue))
    return _with_state(c, s)


def flush(c: Cluster) -> Cluster:
    """Every change delivered (``kmodel simulate`` and the checkers' settling: no lag)."""
    while lagging(c):
        assert c.informers is not None
        c = deliver(c, c.informers.pending[0][0])
    return c


# -- ReplicaSet expectations (pkg/controller/controller_utils.go) -------------------------------


def _expectation(s: Informers, rs: str) -> Expectation | None:
    return next((e for e in s.expectations if e.replicaset == rs), None)


def _with_expectation(s: Informers, rs: str, e: Expectation | None) -> Informers:
    rest = [x for x in s.expectations if x.replicaset != rs]
    if e is not None and not e.fulfilled:
        rest.append(e)
    return attrs.evolve(s, expectations=tuple(sorted(rest, key=lambda x: x.replicaset)))


def _rs_owner(p: Pod | None) -> str | None:
    return p.owner if p is not None and p.owner_kind == "ReplicaSet" else None


def _creation_observed(s: Informers, rs: str | None) -> Informers:
    e = _expectation(s, rs) if rs is not None else None
    if e is None or rs is None:
        return s
    return _with_expectation(s, rs, attrs.evolve(e, add=e.add - 1))


def _deletion_observed(s: Informers, rs: str | None, pod: str) -> Informers:
    e = _expectation(s, rs) if rs is not None else None
    if e is None or rs is None or pod not in e.deletions:
        return s
    return _with_expectation(s, rs, attrs.evolve(e, deletions=e.deletions - {pod}))


def _rs_handlers(s: Informers, u: Undelivered, cur: Pod | None) -> Informers:
    """The ReplicaSet controller's pod event handlers, as far as they touch expectations."""
    assert not isinstance(u.seen, Node | ReplicaSet) and not isinstance(u.vanished, Node | ReplicaSet)
    if u.vanished is not None:
        s = _creation_observed(s, _rs_owner(u.vanished))
        s = _deletion_observed(s, _rs_owner(u.vanished), u.name)
    if u.seen is None:
        if cur is None:
            return s
        if cur.deletion_timestamp is not None:  # addPod of a pod already being deleted: deletePod
            return _deletion_observed(s, _rs_owner(cur), cur.name)
        return _creation_observed(s, _rs_owner(cur))
    if cur is None:  # deletePod
        return _deletion_observed(s, _rs_owner(u.seen), u.name)
    if cur.deletion_timestamp is not None and u.seen.deletion_timestamp is None:  # updatePod
        return _deletion_observed(s, _rs_owner(cur), cur.name)
    return s


def creation_observed(c: Cluster, rs: str) -> Cluster:
    """``CreationObserved``: one expected creation fewer for ``rs``."""
    return _with_state(c, _creation_observed(_state(c), rs))


def deletion_observed(c: Cluster, rs: str, pod: str) -> Cluster:
    """``DeletionObserved`` (UID-tracking): ``pod`` was one of the deletions ``rs`` waits for."""
    return _with_state(c, _deletion_observed(_state(c), rs, pod))


def expectations_on(c: Cluster) -> bool:
    return enabled(c) and c.settings.rs_expectations


def satisfied(c: Cluster, rs: str) -> bool:
    """``SatisfiedExpectations``: no record, a fulfilled one, or one past the timeout."""
    if not expectations_on(c):
        return True
    e = _expectation(_state(c), rs)
    return e is None or e.fulfilled or c.now - e.since > EXPECTATIONS_TIMEOUT


def expect(c: Cluster, rs: str, creations: int, deletions: frozenset[str]) -> Cluster:
    """``ExpectCreations`` / ``ExpectDeletions`` after a sync created or deleted pods (the
    counts of the writes that went through: the controller lowers its expectations for each
    failed one at once)."""
    if not expectations_on(c) or (creations == 0 and not deletions):
        return c
    s = _with_expectation(_state(c), rs, Expectation(rs, creations, deletions, c.now))
    return _with_state(c, s)


def record_rs_writes(before: Cluster, after: Cluster) -> Cluster:
    """The expectations a ReplicaSet sync sets, read off the pods it created and deleted."""
    if not expectations_on(after) or before.pods is after.pods:
        return after
    old = {p.name: p for p in before.pods}
    out = after
    created: dict[str, int] = {}
    deleted: dict[str, set[str]] = {}
    for p in after.pods:
        o = old.get(p.name)
        owner = _rs_owner(p)
        if owner is None:
            continue
        if o is None:
            created[owner] = created.get(owner, 0) + 1
        elif p.deletion_timestamp is not None and o.deletion_timestamp is None:
            deleted.setdefault(owner, set()).add(p.name)
    names = {p.name for p in after.pods}
    for name, o in old.items():
        owner = _rs_owner(o)
        if name not in names and owner is not None:
            deleted.setdefault(owner, set()).add(name)
    for rs in sorted(set(created) | set(deleted)):
        out = expect(out, rs, created.get(rs, 0), frozenset(deleted.get(rs, ())))
    return out


# -- the checkers' view of it ------------------------------------------------------------------------


def step_on_view(c: Cluster, name: str, step: Callable[[Cluster], list]) -> list:  # type: ignore[type-arg]
    """Run a component's step on its view and write its changes back to the store."""
    if not enabled(c) or name not in VIEWERS:
        return step(c)
    seen = view(c, name)
    outs = step(seen)
    unseen = [u.name for u in _state(c).queue(name)]
    unseen += [f"node/{u.name}" for u in _state(c).queue(f"{name}/nodes")]
    unseen += [f"replicaset/{u.name}" for u in _state(c).queue(f"{name}/replicasets")]
    # a trace says when a step acted on a stale view, and what the view had not heard of yet
    stale = f" (on a stale view: not yet told of {', '.join(unseen)})" if unseen and seen is not c else ""
    result = []
    for o in outs:
        if seen is not c and seen.replicasets is not c.replicasets:
            conflict = _rs_conflict(c, seen, o.state)
            if conflict is not None:
                # the update's resourceVersion is not the store's: 409 Conflict, the sync fails
                # (its later writes and its events never happen) and is retried
                label = f"{o.label}: not written, {conflict}{stale}"
                result.append(attrs.evolve(o, state=c, label=label, events=()))
                continue
        state = o.state if seen is c else apply_writes(c, seen, o.state)
        if name == "replicaset":
            state = record_rs_writes(c, state)
        result.append(attrs.evolve(o, state=state, label=o.label + stale if state is not c else o.label))
    return result


def relative(c: Cluster, pod_key: Callable[[Pod], Hashable], rn: Callable[[str], str]) -> Hashable:
    """The informers' part of a fingerprint: pods by ``pod_key`` (relative times), names by
    ``rn`` (canonical names), the expectations' ages capped past the timeout."""
    if c.informers is None:
        return None

    def key(obj: Pod | Node | ReplicaSet | None) -> Hashable:
        if obj is None:
            return None
        return pod_key(obj) if isinstance(obj, Pod) else _key(obj)  # type: ignore[return-value]

    queues = tuple(
        (
            w,
            tuple((rn(u.name), key(u.seen), u.carried, key(u.vanished)) for u in q),
        )
        for w, q in c.informers.pending
    )
    exp = tuple(
        (
            e.replicaset,
            e.add,
            frozenset(rn(n) for n in e.deletions),
            min(c.now - e.since, EXPECTATIONS_TIMEOUT + 1),
        )
        for e in c.informers.expectations
    )
    return (queues, exp)
