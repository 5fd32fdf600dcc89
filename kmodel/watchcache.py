"""An apiserver watch cache that lags etcd, and the kubelet's relist that reads from it.

Every kube-apiserver serves lists and watches from its *watch cache* (the cacher of
k8s.io/apiserver/pkg/storage/cacher), which follows etcd through a watch of its own and so is
always a little, and sometimes a lot, behind it: an apiserver whose etcd watch stalls (a
partition between it and etcd, an overloaded machine) keeps answering from old data. A client
that asks for ``resourceVersion=0`` ("any version") is served whatever the cache holds, without
waiting; client-go's Reflector makes exactly that request for its *first* list, and a kubelet is a
fresh process after a restart. Kubernetes issue 59848: a kubelet that restarts behind a load
balancer lists its pods from a lagging apiserver, sees a pod that was since deleted and created
again on another node, and starts it once more: two nodes run the same StatefulSet member.

What is modelled (setting ``watchCacheLag: N``, 0 by default = no lag, as before)
-----------------------------------------------------------------------------------
- It needs a ``controlPlane`` section with at least two machines: with a single apiserver every
  client reads the same cache, and nothing newer than the cache can have been acted on (that
  lag is the informers', :mod:`kmodel.informer`). With several, the controllers, the scheduler and
  the other kubelets are modelled reading an up-to-date apiserver (the store), and one apiserver's
  cache lags: the cache a restarting kubelet may reach.
- Revisions: a change of *which pods are bound where* (a pod bound to a node appearing, going,
  or being marked for deletion) is a revision. The lagging cache keeps the bindings of the
  revisions it has not caught up past, oldest first (:class:`WatchCaches` ``behind``); it serves
  the oldest. Status-only changes are no revisions: a pod still bound to the same node in both is
  shown with its current fields (only existence, binding and deletion lag).
- Each catch-up is an action of the checkers of its own (actor ``watchcache``): the cache steps
  one revision forward, between two ticks (once every component has acted in the tick, where the
  clock may tick; a kubelet that lists at the start of the next tick sees the cache as it is
  then, and its later steps see the catch-ups of the ticks in between). It is at most
  ``watchCacheLag`` revisions behind (beyond it the oldest is caught up at once, within the same
  transition), which keeps the state space finite; there is no bound in time (unlike the
  informers' one tick): an apiserver cut off from etcd answers from its old data for as long as
  the cut lasts, which is how issue 59848 happens (a graceful delete, the kubelet's confirmation
  and the new pod's binding span more than one sync). A checker may so keep a kubelet on a stale
  view for as long as nothing new is bound; a bounded-time property can fail on such a trace, and
  the trace says so.
- The relist: when a kubelet starts (``start kubelet on N``, a node powered on) it lists the pods
  bound to its node. With ``consistentInitialList: false`` (the Reflector's historical first list
  with ``resourceVersion=0``) and two or more apiservers answering, the checkers explore both
  answers: the current pods, and the lagging cache's (the kubelet then watches that apiserver, so
  its view moves forward with the cache's catch-ups, and is the store once the cache has caught
  up). The kubelet's step runs unchanged on that view; what it does to its containers is real
  (``Node.running``), and its writes to pod objects go to the store as the apiserver takes them: a
  write to a pod that is gone, or whose name is now a pod bound to another node (a new object:
  the UID precondition of the kubelet's status manager), changes nothing.
- ``consistentInitialList: true`` (default): the first list is a consistent read. The apiserver
  serves a list that asks for data at least as new as etcd's current revision only once its
  cache has caught up to it (``waitUntilFreshAndBlock``; if it cannot within 3 s the request
  fails with "Too large resource version" and the client lists again, see
  :func:`serve_list`), as KEP-2340 (ConsistentListFromCache) and the Reflector's streaming list
  of KEP-3157 (WatchList: ``sendInitialEvents`` with ``resourceVersion`` unset) do. So a fresh
  kubelet never sees pods older than etcd. Issue 59848 was filed against the ``resourceVersion=0``
  first list, and is the reason for both KEPs. (The Reflector read for this module,
  ``relistResourceVersion`` in client-go tools/cache/reflector.go, still lists first with "0"
  unless it streams with ``UseWatchList``; the default here models the fixed design and is not
  tied to ``kubernetesVersion``.) As nothing else reads the lagging cache, the
  checkers then keep no record of it (:func:`enabled`): the state space is that of
  ``watchCacheLag: 0``, and the same behaviours.
- ``kmodel simulate`` and the checkers' settling never lag: the lag is the checkers' adversary.

Left out: lag of objects other than pods and of the other clients (controllers, the scheduler),
a kubelet's relist after a watch error within one process (it lists with its last resource
version, which an apiserver never answers with older data: :func:`relist_resource_version`), the
watch cache's own history window and "too old resource version" (410 Gone) answers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

import attrs
from attrs import frozen

from kmodel.state import Cluster, Node, Pod

ACTOR = "watchcache"
BLOCK_TIMEOUT = 3  # seconds: blockTimeout of the cacher's waitUntilFreshAndBlock (watch_cache.go)


# -- resource versions: what an apiserver answers a list with, and what the Reflector asks ---------


@frozen
class ListAnswer:
    """An apiserver's answer to a list: the resource version it is served at, or an error."""

    served_at: int | None  # the resource version of the data served (None: an error)
    error: str = ""  # "TooLargeResourceVersion": a Timeout error with that cause
    from_etcd: bool = False  # served by a read from etcd rather than the watch cache


TOO_LARGE = "TooLargeResourceVersion"


def serve_list(
    requested: str,
    cache_rv: int,
    etcd_rv: int,
    *,
    consistent_from_cache: bool = True,
    catch_up_by: int | None = None,
) -> ListAnswer:
    """How the apiserver's cacher answers a list with ``resourceVersion=requested`` while its
    watch cache is at ``cache_rv`` and etcd at ``etcd_rv``; ``catch_up_by`` is the revision the
    cache reaches within the ``waitUntilFreshAndBlock`` timeout (:data:`BLOCK_TIMEOUT`; None: it
    does not move).

    - ``"0"``: any data: the cache as it is, no waiting;
    - ``""``: a consistent read: with ConsistentListFromCache the cache waits to reach etcd's
      revision (and the request fails with Too large resource version if it does not); without
      it the list is delegated to etcd;
    - ``"N"``: data not older than N: the cache waits to reach N, or the request fails so."""
    reach = cache_rv if catch_up_by is None else max(cache_rv, catch_up_by)
    if requested == "0":
        return ListAnswer(cache_rv)
    if requested == "":
        if not consistent_from_cache:
            return ListAnswer(etcd_rv, from_etcd=True)
        need = etcd_rv
    else:
        need = int(requested)
    if cache_rv >= need:
        return ListAnswer(cache_rv)
    if reach >= need:
        return ListAnswer(reach)
    return ListAnswer(None, error=TOO_LARGE)


def relist_resource_version(last_sync: str, unavailable: bool) -> str:
    """The resource version the Reflector lists with (``relistResourceVersion``, client-go
    tools/cache/reflector.go): "" (a consistent read) after a Too large / expired answer, "0"
    for the first list of a process, otherwise the last version it saw (never older data)."""
    if unavailable:
        return ""
    if last_sync == "":
        return "0"
    return last_sync


# -- the state --------------------------------------------------------------------------------------


@frozen
class Revision:
    """The pods bound to a node at one revision the lagging cache has not caught up past."""

    bound: tuple[Pod, ...]  # sorted by name


@frozen
class WatchCaches:
    behind: tuple[Revision, ...] = ()  # oldest first; the lagging cache serves behind[0]
    pinned: frozenset[str] = frozenset()  # nodes whose kubelet listed from the lagging cache


def enabled(c: Cluster) -> bool:
    """The checkers keep a lagging cache: ``watchCacheLag`` is set and something can read it (with
    a consistent first list nothing does, and the lag is left out: exactly the same behaviours,
    without the states that differ only in how far behind an unread cache is)."""
    return c.settings.watch_cache_lag > 0 and not c.settings.consistent_initial_list


def _state(c: Cluster) -> WatchCaches:
    s = c.watch_cache
    return s if s is not None else WatchCaches()


def _with_state(c: Cluster, s: WatchCaches) -> Cluster:
    if not s.behind:
        s = attrs.evolve(s, pinned=frozenset())
    return attrs.evolve(c, watch_cache=None if s == WatchCaches() else s)


def _bound(c: Cluster) -> tuple[Pod, ...]:
    return tuple(sorted((p for p in c.pods if p.node_name is not None), key=lambda p: p.name))


def _key(p: Pod) -> tuple[str, str | None, bool]:
    return (p.name, p.node_name, p.deletion_timestamp is not None)


def _keys(pods: tuple[Pod, ...]) -> frozenset[tuple[str, str | None, bool]]:
    return frozenset(_key(p) for p in pods)


def serving_apiservers(c: Cluster) -> int:
    """How many apiservers answer (the lagging one and one that is up to date are needed)."""
    ha = c.ha
    if ha is None:
        return 1 if c.apiserver_available else 0
    return sum(1 for m in ha.machines if ha.apiserver_ok(c, m))


# -- the kubelet's view -------------------------------------------------------------------------


def view(c: Cluster, node: str) -> Cluster:
    """What the kubelet on ``node`` sees: the store, with the pods bound to ``node`` replaced by
    those of the lagging cache (the cluster itself when the kubelet reads an up-to-date one)."""
    s = c.watch_cache
    if s is None or node not in s.pinned or not s.behind:
        return c
    snap = {p.name: p for p in s.behind[0].bound if p.node_name == node}
    store = {p.name: p for p in c.pods}
    pods = [p for p in c.pods if p.node_name != node and p.name not in snap]
    for name, old in snap.items():
        cur = store.get(name)
        pods.append(cur if cur is not None and _key(cur) == _key(old) else old)
    return attrs.evolve(c, pods=tuple(pods))


def _same_object(seen: Pod | None, real: Pod | None) -> bool:
    return seen is not None and real is not None and seen.node_name == real.node_name


def apply_writes(real: Cluster, seen: Cluster, after: Cluster) -> Cluster:
    """The store after a kubelet step that ran on ``seen`` and produced ``after``: its writes
    to pods as the apiserver takes them (:func:`kmodel.informer.apply_writes`), except those to
    a pod that is gone or whose name is now another object (a Conflict / NotFound: nothing
    changes); its node (``running``: the containers) as it left it."""
    from kmodel import informer

    out = informer.apply_writes(real, seen, after)
    for p in seen.pods:
        cur = real.pod(p.name)
        if _same_object(p, cur) or after.pod(p.name) == p:
            continue
        now = out.pod(p.name)
        if now != cur:
            out = out.with_pod(cur) if cur is not None else out.without_pod(p.name)
    return out


def step_on_view(c: Cluster, node: str, step: Callable[[Cluster], list[Any]]) -> list[Any]:
    """Run the kubelet's step on its view and write its changes back to the store."""
    seen = view(c, node)
    outs = step(seen)
    if seen is c:
        return outs
    stale = " (from a lagging watch cache)"
    result = []
    for o in outs:
        state = apply_writes(c, seen, o.state)
        result.append(attrs.evolve(o, state=state, label=o.label + stale))
    return result


def pinned(c: Cluster, node: str) -> bool:
    return c.watch_cache is not None and node in c.watch_cache.pinned


# -- recording revisions and catching up ---------------------------------------------------------


def _started(before: Node | None, after: Node) -> bool:
    """The kubelet process on the node started in this step (a fresh process: a first list)."""
    running_after = after.powered and after.kubelet_running
    if before is None:
        return running_after
    return running_after and not (before.powered and before.kubelet_running)


def observe(before: Cluster, after: Cluster) -> Cluster:
    """``after`` with the step's binding change (if any) left behind by the lagging cache, and
    the pins of kubelets that stopped dropped."""
    if not enabled(after):
        return after
    s = _state(after)
    if s.pinned:
        keep = frozenset(
            n for n in s.pinned if (node := after.node(n)) is not None and node.powered and node.kubelet_running
        )
        s = attrs.evolve(s, pinned=keep)
    if before.pods is not after.pods:
        old = _bound(before)
        if _keys(old) != _keys(_bound(after)):
            s = attrs.evolve(s, behind=(*s.behind, Revision(old)))
            while len(s.behind) > after.settings.watch_cache_lag:
                s = attrs.evolve(s, behind=s.behind[1:])
    return _with_state(after, s)


def relists(before: Cluster, after: Cluster) -> Iterator[tuple[str, Cluster]]:
    """For each kubelet that started in the step from ``before`` to ``after``: (node, the
    state in which its first list was served by the lagging cache). None when the safeguard is
    on, nothing lags, or fewer than two apiservers answer."""
    s = after.watch_cache
    if after.settings.consistent_initial_list or s is None or not s.behind or serving_apiservers(after) < 2:
        return
    for n in after.nodes:
        if n.name in s.pinned or not _started(before.node(n.name), n):
            continue
        yield n.name, _with_state(after, attrs.evolve(s, pinned=s.pinned | {n.name}))


def catch_up(c: Cluster) -> Cluster:
    """The lagging cache steps one revision forward."""
    s = _state(c)
    return _with_state(c, attrs.evolve(s, behind=s.behind[1:]))


def catch_ups(c: Cluster) -> Iterator[tuple[str, str, Cluster]]:
    s = c.watch_cache
    if s is None or not s.behind:
        return
    left = len(s.behind) - 1
    what = "up to date" if left == 0 else f"{left} revision{'s' if left > 1 else ''} behind"
    yield ACTOR, f"the lagging apiserver's watch cache catches up one revision ({what})", catch_up(c)


def relative(c: Cluster, pod_key: Callable[[Pod], Hashable]) -> Hashable:
    """The watch cache's part of a checker fingerprint (pods by ``pod_key``: relative times)."""
    s = c.watch_cache
    if s is None:
        return None
    return (tuple(tuple(pod_key(p) for p in r.bound) for r in s.behind), s.pinned)


def transitions(c: Cluster, inner: Iterator[Any], scripted: bool, make: Callable[..., Any]) -> Iterator[Any]:
    """The checkers' transitions with the watch cache lagging: every transition's binding change
    is left behind by the lagging cache, a kubelet that starts may list from it, and the cache's
    catch-ups are transitions of their own, offered where the clock may tick (every component has
    acted in this tick). ``make(actor, label, cluster)`` builds a transition from ``c``'s state."""
    quiet = False
    for tr in inner:
        quiet = quiet or tr.actor == "clock"
        after = observe(c, tr.state.cluster)
        yield attrs.evolve(tr, state=attrs.evolve(tr.state, cluster=after))
        for node, stale in relists(c, after):
            label = f"{tr.label}; kubelet on {node} lists its pods from a lagging apiserver's watch cache"
            yield attrs.evolve(tr, label=label, state=attrs.evolve(tr.state, cluster=stale))
    if quiet and not scripted:
        for actor, label, after in catch_ups(c):
            yield make(actor, label, after)


# -- the Scenario ------------------------------------------------------------------------------------


def check_scenario(ctx: Any, raw_settings: object, settings: Any, control_plane: Any) -> None:
    """``watchCacheLag`` needs two or more control-plane machines (one-line error otherwise)."""
    if not settings.watch_cache_lag:
        return
    machines = len(control_plane.machines) if control_plane is not None else 1
    if machines >= 2:
        return
    place = ctx.at(raw_settings, "watchCacheLag") if isinstance(raw_settings, dict) else ctx
    raise place.error(
        f"watchCacheLag {settings.watch_cache_lag} needs two or more apiservers (the scenario has {machines}): "
        "with one, every client reads the same cache",
        "add controlPlane: {machines: [cp-1, cp-2]} (with Node manifests cp-1 and cp-2), or set watchCacheLag: 0",
    )
