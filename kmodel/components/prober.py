"""The kubelet's probes and container restart backoff (pkg/kubelet/prober, pkg/kubelet/kuberuntime).

Mirrors the probe worker (prober/worker.go ``doProbe``), the prober manager's pod status
(prober_manager.go ``UpdatePodStatus``) and the CrashLoopBackOff of
kuberuntime_manager.go ``doBackOff`` with client-go's ``flowcontrol.Backoff``, for the pods of
one node, as part of the kubelet's sync (:mod:`kmodel.components.kubelet`):

- a probe runs every ``periodSeconds`` from ``initialDelaySeconds`` after the container
  started; its answer is a world fact (:class:`kmodel.probespec.ProbeRuntime`: every probe passes
  until a ``fail-probe`` event or the ``failProbe`` fault). A result counts once it has come
  ``failureThreshold`` (failures) or ``successThreshold`` (successes) times in a row: the time
  it counts is derived from when the answer last changed, never stored per probe;
- startup probe: until it succeeds, liveness and readiness do not run and the pod is not
  ready; ``failureThreshold`` failures kill the container, as a liveness failure does;
- readiness probe: its initial result is Failure, so the pod is not Ready until the probe has
  succeeded ``successThreshold`` times; ``failureThreshold`` failures make it not Ready again.
  When the startup probe succeeds the prober manager runs the readiness probe at once
  (``UpdatePodStatus`` triggers it), and then every period;
  A container without a readiness probe is ready as soon as it (and its startup probe) started;
- liveness probe: ``failureThreshold`` failures kill the container ("failed liveness probe,
  will be restarted"); the pod is not Ready while it is down;
- restart backoff (doBackOff): a killed container is started again at once the first time;
  after that the kubelet waits the backoff entry's delay counted from when the container
  exited, and each restart doubles the delay, from 10 s (``initialCrashLoopBackOff``) to 300 s
  (``MaxCrashLoopBackOff``); an entry last updated more than 600 s (2 x the maximum) before the
  container exited has expired, and the next restart starts again at 10 s. The kubelet's
  ``ReduceDefaultCrashLoopBackOffDecay`` (1 s to 60 s) and ``KubeletCrashLoopBackOffMax``
  gates are alpha and off by default up to 1.37, so every release kmodel follows uses 10 s to
  300 s.

Left out: the random start offset of a probe worker (probes are counted from the container's
start, on the model's tick: a probe due between two ticks takes effect at the next one), probe
timeouts and errors (a probe passes or fails), the restart of a *probe-less* container that
exits on its own (kmodel's containers never exit by themselves), and probes on a pod being
deleted (liveness and startup stop; readiness no longer matters to endpoints). The back-off
entries and probe results live in the kubelet's memory, so a restarted kubelet (or a rebooted
machine) starts them afresh; kmodel keeps them on the pod across such restarts. A pod sandbox
re-created while its container waits out a back-off keeps waiting (doBackOff runs for the new
sandbox's containers too).
"""

from __future__ import annotations

import attrs

from kmodel.probespec import LIVENESS, READINESS, STARTUP, Probe, ProbeRuntime, ProbeSpec
from kmodel.state import Pod
from kmodel.transition import Event

SOURCE = "kubelet"
INITIAL_BACKOFF = 10  # initialCrashLoopBackOff (pkg/kubelet/kubelet.go)
MAX_BACKOFF = 300  # MaxCrashLoopBackOff = v1beta1.MaxContainerBackOff
EXPIRY = 2 * MAX_BACKOFF  # flowcontrol.Backoff hasExpired: eventTime - lastUpdate > 2 * max
CONTAINER = "app"


def first_probe_at(grid0: int, period: int, t: int) -> int:
    """The first probe time at or after ``t`` on the grid ``grid0 + k * period`` (k >= 0)."""
    if t <= grid0:
        return grid0
    return grid0 + -(-(t - grid0) // period) * period


def counts_at(rt: ProbeRuntime, kind: str, probe: Probe, not_before: int, triggered: bool = False) -> int:
    """When the current answer of ``kind`` has come enough times in a row to count: the first
    probe at or after the answer's last change (and ``not_before``, when the probe began to run),
    plus threshold - 1 periods. ``triggered``: the probe runs at once at ``not_before`` (the
    prober manager triggers the readiness probe when the startup probe succeeds) if the answer
    was the same then and the initial delay is over."""
    assert rt.started is not None
    grid0 = rt.started + probe.initial_delay
    changed = rt.since(kind)
    since = max(changed if changed is not None else rt.started, not_before)
    n = probe.failure_threshold if kind in rt.failing else probe.success_threshold
    first = first_probe_at(grid0, probe.period, since)
    if triggered and since == not_before and not_before >= grid0:
        first = not_before
    return first + (n - 1) * probe.period


def set_answer(pod: Pod, kind: str, failing: bool, now: int) -> Pod | None:
    """The world changes what ``kind`` probes of ``pod`` answer (None: no change)."""
    rt = pod.probe or ProbeRuntime()
    if (kind in rt.failing) == failing:
        return None
    now_failing = rt.failing | {kind} if failing else rt.failing - {kind}
    changed = tuple(sorted({**dict(rt.changed), kind: now}.items()))
    return attrs.evolve(pod, probe=attrs.evolve(rt, failing=frozenset(now_failing), changed=changed))


def has_probes(pod: Pod) -> bool:
    return pod.probes is not None and not pod.probes.empty


def start(pod: Pod, now: int) -> Pod:
    """The kubelet (re)started the pod's containers: probes begin again from now. The backoff
    entry and the world's answers stay."""
    if not has_probes(pod):
        return pod
    rt = pod.probe or ProbeRuntime()
    return attrs.evolve(pod, probe=attrs.evolve(rt, started=now, startup_done=None, exited=None))


def backoff_wait(rt: ProbeRuntime) -> int:
    """How long after ``rt.exited`` the kubelet waits to start the container again
    (``IsInBackOffSince``): 0 without an entry or with an expired one."""
    if rt.exited is None or rt.backoff == 0 or rt.backoff_updated is None:
        return 0
    if rt.exited - rt.backoff_updated > EXPIRY:
        return 0
    return rt.backoff


def _next_backoff(rt: ProbeRuntime) -> int:
    """``Backoff.Next`` at a restart: a fresh (or expired) entry starts at the initial delay,
    else the delay doubles, up to the maximum."""
    assert rt.exited is not None
    if rt.backoff == 0 or rt.backoff_updated is None or rt.exited - rt.backoff_updated > EXPIRY:
        return INITIAL_BACKOFF
    return min(2 * rt.backoff, MAX_BACKOFF)


def sync(pod: Pod, now: int) -> tuple[Pod, list[Event], list[str]]:
    """One kubelet sync of a pod whose sandbox runs on this node and that is not being
    deleted: restart a killed container once its backoff allows, then run the probes that are
    due and report the pod's readiness."""
    spec = pod.probes or ProbeSpec()
    rt = pod.probe or ProbeRuntime()
    obj = f"pod/{pod.name}"
    events: list[Event] = []
    notes: list[str] = []
    if rt.started is None:
        rt = attrs.evolve(rt, started=now)
    if rt.exited is not None:
        if now - rt.exited < backoff_wait(rt):
            return attrs.evolve(pod, probe=rt), events, notes
        rt = attrs.evolve(
            rt, started=now, startup_done=None, exited=None, backoff=_next_backoff(rt), backoff_updated=now
        )
        pod = attrs.evolve(pod, restarts=pod.restarts + 1)
        events.append(Event(now, SOURCE, "Started", obj, f"Started container {CONTAINER}"))
        notes.append(f"{pod.name} container restarted (restarts {pod.restarts})")
    assert rt.started is not None

    # startup probe: the others wait for it
    done_at: int | None = rt.started if spec.startup is None else rt.startup_done
    if done_at is None:
        assert spec.startup is not None
        at = counts_at(rt, STARTUP, spec.startup, rt.started)
        if now >= at:
            if STARTUP in rt.failing:
                return _kill(pod, rt, STARTUP, now, events, notes)
            rt = attrs.evolve(rt, startup_done=now)
            done_at = now
    want = False
    if done_at is not None:
        if spec.liveness is not None and LIVENESS in rt.failing:
            if now >= counts_at(rt, LIVENESS, spec.liveness, done_at):
                return _kill(pod, rt, LIVENESS, now, events, notes)
        if spec.readiness is None:
            want = True
        else:
            current = pod.containers_ready
            failing = READINESS in rt.failing
            if current == failing:  # the answer disagrees with the result: does it count yet?
                at = counts_at(rt, READINESS, spec.readiness, done_at, triggered=spec.startup is not None)
                want = not current if now >= at else current
            else:
                want = current
            if current and not want:
                events.append(Event(now, SOURCE, "Unhealthy", obj, "Readiness probe failed", "Warning"))
    pod = attrs.evolve(pod, probe=rt)
    if pod.ready != want or pod.containers_ready != want:
        pod = attrs.evolve(
            pod,
            ready=want,
            containers_ready=want,
            ready_since=now if want and not pod.ready else pod.ready_since,
        )
        notes.append(f"{pod.name} {'ready' if want else 'not ready'}")
    return pod, events, notes


def _kill(
    pod: Pod, rt: ProbeRuntime, kind: str, now: int, events: list[Event], notes: list[str]
) -> tuple[Pod, list[Event], list[str]]:
    """A liveness or startup probe failed: the kubelet kills the container (the pod is not
    ready) and will start it again after the backoff."""
    obj = f"pod/{pod.name}"
    rt = attrs.evolve(rt, exited=now, startup_done=None)
    word = "Liveness" if kind == LIVENESS else "Startup"
    events.append(Event(now, SOURCE, "Unhealthy", obj, f"{word} probe failed", "Warning"))
    events.append(Event(now, SOURCE, "Killing", obj, f"Container {CONTAINER} failed {kind} probe, will be restarted"))
    wait = backoff_wait(rt)
    if wait:
        events.append(
            Event(
                now,
                SOURCE,
                "BackOff",
                obj,
                f"Back-off restarting failed container {CONTAINER} in pod {pod.name}",
                "Warning",
            )
        )
    notes.append(f"{pod.name} container killed ({kind} probe failed)" + (f", back-off {wait}s" if wait else ""))
    pod = attrs.evolve(pod, probe=rt, ready=False, containers_ready=False)
    return pod, events, notes


def crash_looping(pod: Pod) -> bool:
    """The container is down, waiting to be started again (kubectl shows CrashLoopBackOff)."""
    return pod.probe is not None and pod.probe.exited is not None


def relative(pod: Pod, now: int, step: int, more_failures: bool = True) -> object:
    """The pod's probe runtime with every time as an age, for the explorer's fingerprint.

    Each age is exact only as far as a decision looks back: the probes' horizon for the
    container's start, the answers' changes and the startup probe; the longest backoff for the
    container's exit; the backoff expiry for the backoff entry, which beyond it is the same as no
    entry. Beyond its cap the container's start keeps only its phase on the probe grid (its
    remainder modulo the periods), which is all later decisions read from it."""
    rt = pod.probe
    if rt is None:
        return None
    spec = pod.probes or ProbeSpec()
    cap = spec.horizon() + 2 * step
    modulus = 1
    for p in spec.periods():
        modulus = modulus * p // _gcd(modulus, p)

    def age(t: int | None, limit: int = cap, keep_phase: bool = False) -> object:
        if t is None:
            return None
        d = now - t
        if d <= limit:
            return d
        return ("old", d % modulus) if keep_phase else "old"

    # the entry is read at the next exit, which is the current one or a later one
    next_exit = rt.exited if rt.exited is not None else now
    expired = rt.backoff_updated is None or next_exit - rt.backoff_updated > EXPIRY
    if not more_failures and not rt.failing and rt.exited is None:
        expired = True
    return (
        rt.failing,
        tuple((k, age(t)) for k, t in rt.changed),
        age(rt.started, keep_phase=True),
        age(rt.startup_done),
        age(rt.exited, MAX_BACKOFF + 2 * step),
        0 if expired else rt.backoff,
        None if expired else age(rt.backoff_updated, EXPIRY + 2 * step),
    )


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a
