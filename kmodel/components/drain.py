"""``kubectl drain NODE`` (k8s.io/kubectl/pkg/cmd/drain and k8s.io/kubectl/pkg/drain): a client
that runs beside the control plane, as a "kubectl" actor that takes a step each tick while a
drain is in progress.

:func:`start` is the command itself, up to the first eviction (a timeline event, or the
checker's ``drainNode`` action):

1. cordon the node (``node/NAME cordoned``, or ``already cordoned``);
2. ``GetPodsForDeletion``: the pods bound to the node, each through the filters in kubectl's
   order, the first that refuses a pod deciding for it:

   - DaemonSet pods: an error (``cannot delete DaemonSet-managed Pods (use --ignore-daemonsets
     to ignore)``) unless ``--ignore-daemonsets``, then left alone with a warning; a finished
     one is deleted; one whose DaemonSet is gone is an error, or deleted with ``--force``;
   - mirror pods: skipped (kmodel has no static pods, so none);
   - pods with an emptyDir volume: an error (``cannot delete Pods with local storage (use
     --delete-emptydir-data to override)``) unless ``--delete-emptydir-data``;
   - pods no controller owns: an error (``cannot delete Pods that declare no controller (use
     --force to override)``) unless ``--force``;

   any error ends the drain at once, before anything is evicted (the node stays cordoned:
   ``error: unable to drain node "NAME" due to error: ..., continuing command...``); the warnings
   are printed (``Warning: ignoring DaemonSet-managed Pods: default/...``).

Then :func:`step` (``evictPods``, one goroutine per pod, advanced once per tick): each pending
pod is evicted through the eviction API (:func:`kmodel.components.eviction.evict`) -- or deleted,
with ``--disable-eviction`` -- and kubectl prints ``evicting pod default/NAME``; a 429 prints
``error when evicting pods/"NAME" -n "default" (will retry after 5s): Cannot evict pod as it
would violate the pod's disruption budget.`` and the pod is tried again 5 s later; a 404 means
the pod is gone already; any other error is that pod's error. A pod whose eviction went through
is waited for (``waitForDelete``, polled every second here once a tick) until it is gone, or a
pod with its name that is not being deleted is there (a new pod: kubectl compares UIDs), and
kubectl prints ``pod/NAME evicted``. When every pod is done the drain ends: ``node/NAME
drained``, or the errors. ``--timeout`` (0, the default, waits for ever) ends it when it runs
out, with ``error when evicting pods/"NAME" -n "default": global timeout reached: 1m0s`` for a
pod still being retried (``error when waiting for pod "NAME" terminating: global timeout
reached: ...`` for one being waited for). A request kubectl cannot make because the apiserver
does not answer ends that pod's goroutine with the connection error.

Left out: ``--pod-selector``, ``--grace-period``, ``--skip-wait-for-delete-timeout``,
``--chunk-size`` and dry runs (refused by the timeline parser), namespaces (pods are
``default/NAME``), and the finer timing: kmodel's kubectl acts at most once per tick.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from attrs import frozen

from kmodel.components import apiserver, eviction
from kmodel.namespaces import local_name, namespace_of
from kmodel.state import FAILED, SUCCEEDED, Cluster, Drain, Pod, pairs_get, pairs_set
from kmodel.transition import Event, Outcome

SOURCE = "kubectl"
ACTOR = "kubectl"
RETRY_SECONDS = 5  # kubectl sleeps 5 s after a 429

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"
TIMED_OUT = "timed out waiting for the condition"  # wait.ErrWaitTimeout (the --disable-eviction wait)


@frozen
class DrainOptions:
    """The flags of ``kubectl drain`` kmodel models."""

    timeout: int | None = None  # --timeout (seconds); None: 0, no timeout
    ignore_daemonsets: bool = False
    force: bool = False
    delete_emptydir_data: bool = False
    disable_eviction: bool = False

    def flags(self) -> str:
        out = []
        if self.timeout:
            out.append(f"--timeout={go_duration(self.timeout)}")
        for on, flag in (
            (self.ignore_daemonsets, "--ignore-daemonsets"),
            (self.force, "--force"),
            (self.delete_emptydir_data, "--delete-emptydir-data"),
            (self.disable_eviction, "--disable-eviction"),
        ):
            if on:
                out.append(flag)
        return " ".join(out)


def go_duration(seconds: int) -> str:
    """A whole number of seconds as Go's ``time.Duration.String`` prints it (``30s``, ``1m30s``,
    ``1h0m0s``)."""
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes}m{secs}s"


# --- the filters --------------------------------------------------------------------------------

OKAY, SKIP, WARNING, ERROR = "Okay", "Skip", "Warning", "Error"


@frozen
class PodStatus:
    """``PodDeleteStatus``: delete it?, why, the message."""

    delete: bool
    reason: str = OKAY
    message: str = ""


def _finished(pod: Pod) -> bool:
    return pod.phase in (SUCCEEDED, FAILED)


def filter_pod(cluster: Cluster, pod: Pod, opts: DrainOptions) -> PodStatus:
    """``makeFilters`` in order (skipDeleted, daemonSet, mirrorPod, localStorage, unreplicated):
    the status of the last filter run; the first that does not delete the pod stops the chain."""
    status = PodStatus(True)
    for f in (_daemonset_filter, _local_storage_filter, _unreplicated_filter):
        status = f(cluster, pod, opts)
        if not status.delete:
            break
    return status


def _daemonset_filter(cluster: Cluster, pod: Pod, opts: DrainOptions) -> PodStatus:
    if pod.owner is None or pod.owner_kind != "DaemonSet" or _finished(pod):
        return PodStatus(True)
    if cluster.daemonset(pod.owner) is None:
        err = f'daemonsets.apps "{pod.owner}" not found'
        return PodStatus(True, WARNING, err) if opts.force else PodStatus(False, ERROR, err)
    if not opts.ignore_daemonsets:
        return PodStatus(False, ERROR, DAEMONSET_FATAL)
    return PodStatus(False, WARNING, DAEMONSET_WARNING)


def _local_storage_filter(cluster: Cluster, pod: Pod, opts: DrainOptions) -> PodStatus:
    if not pod.empty_dir or _finished(pod):
        return PodStatus(True)
    if not opts.delete_emptydir_data:
        return PodStatus(False, ERROR, LOCAL_STORAGE_FATAL)
    return PodStatus(True, WARNING, LOCAL_STORAGE_WARNING)


def _unreplicated_filter(cluster: Cluster, pod: Pod, opts: DrainOptions) -> PodStatus:
    if _finished(pod) or pod.owner is not None:
        return PodStatus(True)
    if opts.force:
        return PodStatus(True, WARNING, UNMANAGED_WARNING)
    return PodStatus(False, ERROR, UNMANAGED_FATAL)


def pods_for_deletion(cluster: Cluster, node: str, opts: DrainOptions) -> tuple[list[str], list[str], list[str]]:
    """``GetPodsForDeletion``: (the pods to delete, the warnings, the errors), each message
    listing its pods as ``default/NAME`` as kubectl does."""
    delete: list[str] = []
    by_message: dict[tuple[str, str], list[str]] = {}
    for pod in sorted(cluster.pods_on(node), key=lambda p: p.name):
        status = filter_pod(cluster, pod, opts)
        if status.delete:
            delete.append(pod.name)
        if status.reason in (WARNING, ERROR):
            by_message.setdefault((status.reason, status.message), []).append(
                f"{namespace_of(pod.name)}/{local_name(pod.name)}"
            )
    warnings = [f"{msg}: {', '.join(pods)}" for (reason, msg), pods in by_message.items() if reason == WARNING]
    errors = []
    for (reason, msg), pods in by_message.items():
        if reason != ERROR:
            continue
        text = msg if msg.lower().startswith("cannot delete") else f"cannot delete {msg}"
        errors.append(f"{text}: {', '.join(pods)}")
    return delete, warnings, errors


def aggregate(errors: list[str] | tuple[str, ...]) -> str:
    """``utilerrors.NewAggregate(...).Error()``: one error as itself, several in brackets."""
    return errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]"


def failure(node: str, error: str) -> str:
    """What kubectl drain prints when a node could not be drained."""
    return f'error: unable to drain node "{node}" due to error: {error}, continuing command...'


# --- the command ----------------------------------------------------------------------------------


def start(cluster: Cluster, node: str, opts: DrainOptions) -> Outcome:
    """``kubectl drain NODE`` with ``opts``: cordon, list and filter the pods, and (unless the
    filters refuse) leave a drain in progress for :func:`step` to carry on."""
    label = f"kubectl drain {node}" + (f" {opts.flags()}" if opts.flags() else "")
    obj = f"node/{node}"
    if not cluster.apiserver_available:
        event = Event(cluster.now, SOURCE, "Refused", obj, apiserver.REFUSED_MESSAGE, "Warning")
        return Outcome("user", f"{label} (refused: apiserver unavailable)", cluster, (event,))
    n = cluster.node(node)
    if n is None:
        msg = f'Error from server (NotFound): nodes "{node}" not found'
        return Outcome(
            "user", f"{label} (not found)", cluster, (Event(cluster.now, SOURCE, "NotFound", obj, msg, "Warning"),)
        )
    now = cluster.now
    events = [
        Event(now, SOURCE, "Cordoned", obj, f"node/{node} {'already cordoned' if n.unschedulable else 'cordoned'}")
    ]
    out = cluster.with_node(attrs.evolve(n, unschedulable=True))
    delete, warnings, errors = pods_for_deletion(out, node, opts)
    drain = Drain(
        node=node,
        started=now,
        timeout=opts.timeout,
        disable_eviction=opts.disable_eviction,
        pending=tuple(delete),
        retry_at=tuple((p, now) for p in delete),
    )
    if errors:
        error = aggregate(errors)
        events.append(Event(now, SOURCE, "DrainFailed", obj, failure(node, error), "Warning"))
        out = out.with_drain(attrs.evolve(drain, pending=(), retry_at=(), outcome=error, ended=now))
        return Outcome("user", f"{label} (failed: {error})", out, tuple(events))
    for w in warnings:
        events.append(Event(now, SOURCE, "DrainWarning", obj, f"Warning: {w}", "Warning"))
    if not delete:
        events.append(Event(now, SOURCE, "Drained", obj, f"node/{node} drained"))
        return Outcome("user", label, out.with_drain(attrs.evolve(drain, outcome="drained", ended=now)), tuple(events))
    return Outcome("user", label, out.with_drain(drain), tuple(events))


def _gone(cluster: Cluster, name: str) -> bool:
    """``waitForDelete``: the pod is gone, or a pod of that name that is not being deleted (a
    new one, with another UID) is there."""
    pod = cluster.pod(name)
    return pod is None or not pod.terminating


Evict = Callable[[Cluster, str], "Cluster | eviction.Refusal"]


def advance(cluster: Cluster, d: Drain, evict: Evict = eviction.evict) -> tuple[Cluster, Drain, list[Event], list[str]]:
    """One round of the drain's goroutines at ``cluster.now``; ``evict`` is the eviction API
    (tests swap in a broken one)."""
    now = cluster.now
    obj = f"node/{d.node}"
    events: list[Event] = []
    notes: list[str] = []
    errors = list(d.errors)
    pending = list(d.pending)
    waiting = list(d.waiting)
    retry_at = d.retry_at
    out = cluster
    timeout = go_duration(d.timeout) if d.timeout else ""
    if d.timeout and now >= d.started + d.timeout:
        for p in pending:
            errors.append(
                f'error when evicting pods/"{local_name(p)}" -n "{namespace_of(p)}": global timeout reached: {timeout}'
            )
        for p in waiting:
            if not _gone(out, p):
                errors.append(
                    f'error when waiting for pod "{p}" terminating: '
                    + (TIMED_OUT if d.disable_eviction else f"global timeout reached: {timeout}")
                )
        notes.append(f"drain {d.node}: --timeout={timeout} reached")
        pending, waiting = [], []
    for p in list(waiting):
        if not out.apiserver_available:
            errors.append(f'error when waiting for pod "{p}" terminating: {apiserver.REFUSED_MESSAGE}')
            waiting.remove(p)
        elif _gone(out, p):
            waiting.remove(p)
            word = "deleted" if d.disable_eviction else "evicted"
            events.append(
                Event(now, SOURCE, "Evicted" if not d.disable_eviction else "Deleted", f"pod/{p}", f"pod/{p} {word}")
            )
            notes.append(f"pod/{p} {word}")
    for p in list(pending):
        at = pairs_get(retry_at, p)
        if at is not None and at > now:
            continue
        if d.disable_eviction:
            result: Cluster | eviction.Refusal = (
                apiserver.delete_pod(out, p)
                if out.apiserver_available and out.pod(p) is not None
                else eviction.Refusal(503 if not out.apiserver_available else 404, apiserver.REFUSED_MESSAGE)
            )
        else:
            events.append(Event(now, SOURCE, "Evicting", f"pod/{p}", f"evicting pod {namespace_of(p)}/{local_name(p)}"))
            result = evict(out, p)
        if isinstance(result, Cluster):
            out = result
            pending.remove(p)
            retry_at = pairs_set(retry_at, p, None)
            waiting.append(p)
            notes.append(f"{'delete' if d.disable_eviction else 'evict'} {p}")
            if _gone(out, p):  # a pod on no node goes at once
                waiting.remove(p)
                word = "deleted" if d.disable_eviction else "evicted"
                events.append(Event(now, SOURCE, "Evicted", f"pod/{p}", f"pod/{p} {word}"))
        elif result.code == 404:
            pending.remove(p)
            retry_at = pairs_set(retry_at, p, None)
        elif result.code == 429:
            retry_at = pairs_set(retry_at, p, now + RETRY_SECONDS)
            where = f'pods/"{local_name(p)}" -n "{namespace_of(p)}"'
            msg = f"error when evicting {where} (will retry after 5s): {result.message}"
            events.append(Event(now, SOURCE, "EvictionRefused", f"pod/{p}", msg, "Warning"))
            notes.append(f"evict {p}: 429, retry in 5s")
        else:
            pending.remove(p)
            retry_at = pairs_set(retry_at, p, None)
            errors.append(f'error when evicting pods/"{local_name(p)}" -n "{namespace_of(p)}": {result.message}')
            notes.append(f"evict {p}: error {result.code}")
    new = attrs.evolve(d, pending=tuple(pending), waiting=tuple(waiting), retry_at=retry_at, errors=tuple(errors))
    if not pending and not waiting:
        if errors:
            error = aggregate(errors)
            events.append(Event(now, SOURCE, "DrainFailed", obj, failure(d.node, error), "Warning"))
            events.append(Event(now, SOURCE, "DrainFailed", obj, f"error: {error}", "Warning"))
            new = attrs.evolve(new, outcome=error, ended=now)
            notes.append(f"drain {d.node} failed")
        else:
            events.append(Event(now, SOURCE, "Drained", obj, f"node/{d.node} drained"))
            new = attrs.evolve(new, outcome="drained", ended=now)
            notes.append(f"node/{d.node} drained")
    return out, new, events, notes


def step(cluster: Cluster, evict: Evict = eviction.evict) -> list[Outcome]:
    """Every drain in progress takes one round (through the eviction API ``evict``)."""
    if not any(d.running for d in cluster.drains):
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for d in cluster.drains:
        if not d.running:
            continue
        out, new, evs, ns = advance(out, d, evict)
        if new != d:
            out = out.with_drain(new)
        events.extend(evs)
        notes.extend(ns)
    if out == cluster:
        return []
    return [Outcome(ACTOR, "; ".join(notes) or "kubectl drain", out, tuple(events))]


# --- the command line -----------------------------------------------------------------------------

FLAGS = ("--ignore-daemonsets", "--force", "--delete-emptydir-data", "--delete-local-data", "--disable-eviction")
REFUSED_FLAGS = ("--pod-selector", "--selector", "-l", "--grace-period", "--skip-wait-for-delete-timeout", "--dry-run")


def parse_flags(args: tuple[str, ...] | list[str], duration: object) -> DrainOptions:
    """The options of ``drain node/NAME [flags]``; ``duration`` parses ``--timeout``'s value
    (seconds). Raises ValueError with the problem."""
    seen: dict[str, bool] = {}
    timeout: int | None = None
    for word in args:
        name, eq, value = word.partition("=")
        if name == "--timeout":
            if not eq or not value:
                raise ValueError("--timeout needs a duration, e.g. --timeout=60s")
            seconds = duration(value)  # type: ignore[operator]
            timeout = int(seconds) or None
            continue
        if name in REFUSED_FLAGS:
            raise ValueError(f"{name} is not modelled by kmodel's kubectl drain")
        if name not in FLAGS:
            raise ValueError(f"unknown flag {word!r} (drain takes --timeout=DUR and {', '.join(FLAGS)})")
        if eq and value not in ("true", "false"):
            raise ValueError(f"{name} takes true or false, got {value!r}")
        seen[name] = value != "false"
    return DrainOptions(
        timeout=timeout,
        ignore_daemonsets=seen.get("--ignore-daemonsets", False),
        force=seen.get("--force", False),
        delete_emptydir_data=seen.get("--delete-emptydir-data", False) or seen.get("--delete-local-data", False),
        disable_eviction=seen.get("--disable-eviction", False),
    )


def relative(drains: tuple[Drain, ...], now: int, rename: Callable[[str], str]) -> tuple[object, ...]:
    """The drains for the checkers' fingerprint: the start as an age capped just past the
    timeout (the only threshold it meets; dropped without one), the retry times as how long is
    left, the end time dropped, pod names renamed."""
    return tuple(
        (
            d.node,
            None if d.timeout is None else min(now - d.started, d.timeout + 1),
            d.timeout,
            d.disable_eviction,
            tuple(sorted(rename(p) for p in d.pending)),
            tuple(sorted(rename(p) for p in d.waiting)),
            tuple(sorted((rename(p), max(t - now, 0)) for p, t in d.retry_at)),
            d.errors,
            d.outcome,
        )
        for d in drains
    )
