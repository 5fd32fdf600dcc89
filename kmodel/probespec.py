"""Container probes as data: what the manifest asks for, and what the kubelet knows at run time.

:class:`ProbeSpec` holds a container's ``readinessProbe``, ``livenessProbe`` and
``startupProbe`` as the apiserver defaults them (``periodSeconds`` 10, ``failureThreshold`` 3,
``successThreshold`` 1, ``initialDelaySeconds`` 0); the handler (exec, httpGet, tcpSocket,
grpc) and ``timeoutSeconds`` are descriptive: whether a probe succeeds is not knowable from YAML.

What a probe *answers* is a fact of the world, like whether a machine is powered: by default
every probe succeeds, and the timeline verbs ``fail-probe`` / ``pass-probe`` (and the checker's
``failProbe`` fault) change it. :class:`ProbeRuntime` keeps that fact per probe kind ("failing
since t" / "passing since t") together with what the kubelet remembers about the pod's
container: when it started, when its startup probe succeeded, when it was killed and the
CrashLoopBackOff entry (pkg/kubelet/kuberuntime doBackOff with client-go's flowcontrol.Backoff).
Only times are stored; thresholds and periods are derived from them
(:mod:`kmodel.components.prober`), so the explorer sees few distinct states.

This module imports nothing from :mod:`kmodel.state` (which imports it).
"""

from __future__ import annotations

from attrs import frozen

READINESS = "readiness"
LIVENESS = "liveness"
STARTUP = "startup"
PROBE_KINDS = (READINESS, LIVENESS, STARTUP)

# the apiserver's defaults (pkg/apis/core/v1/defaults.go SetDefaults_Probe)
DEFAULT_PERIOD = 10
DEFAULT_FAILURE_THRESHOLD = 3
DEFAULT_SUCCESS_THRESHOLD = 1
DEFAULT_TIMEOUT = 1


@frozen
class Probe:
    """One probe of the pod's containers (the model keeps one per kind for the whole pod: the
    first container that has it)."""

    initial_delay: int = 0
    period: int = DEFAULT_PERIOD
    failure_threshold: int = DEFAULT_FAILURE_THRESHOLD
    success_threshold: int = DEFAULT_SUCCESS_THRESHOLD
    timeout: int = DEFAULT_TIMEOUT  # descriptive: a probe's answer is a world fact here


@frozen
class ProbeSpec:
    readiness: Probe | None = None
    liveness: Probe | None = None
    startup: Probe | None = None

    def get(self, kind: str) -> Probe | None:
        probe: Probe | None = getattr(self, kind)
        return probe

    @property
    def empty(self) -> bool:
        return self.readiness is None and self.liveness is None and self.startup is None

    def horizon(self) -> int:
        """The longest time any decision of the probes looks back: the initial delay plus as
        many periods as a run of failures and then successes needs (and one more period for
        the first probe at or after a change)."""
        longest = 0
        for p in (self.readiness, self.liveness, self.startup):
            if p is not None:
                longest = max(longest, p.initial_delay + (p.failure_threshold + p.success_threshold + 1) * p.period)
        return longest

    def periods(self) -> tuple[int, ...]:
        return tuple(p.period for p in (self.readiness, self.liveness, self.startup) if p is not None)


@frozen
class ProbeRuntime:
    """Per pod: the world's answer to each probe kind and the kubelet's memory of the container.

    ``failing``: the probe kinds that fail now; ``changed``: per kind, when its answer last
    changed (absent: it has always passed). The others are the kubelet's: ``started`` when the
    current container started (None: not running yet); ``startup_done`` when its startup probe
    succeeded (None: not yet, or no startup probe: see ``prober.started``); ``exited`` when the
    kubelet killed it for a failed liveness or startup probe (None: it runs); ``backoff`` the
    CrashLoopBackOff entry's current delay in seconds (0: no entry) and ``backoff_updated`` the
    entry's lastUpdate.
    """

    failing: frozenset[str] = frozenset()
    changed: tuple[tuple[str, int], ...] = ()
    started: int | None = None
    startup_done: int | None = None
    exited: int | None = None
    backoff: int = 0
    backoff_updated: int | None = None

    def since(self, kind: str) -> int | None:
        for k, t in self.changed:
            if k == kind:
                return t
        return None
