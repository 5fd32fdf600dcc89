"""Which component steps of the checker's model commute: the independence relation behind the
explorer's sleep sets (:func:`kmodel.engines.explore.explore` with ``por=True``).

Two steps ``a`` and ``b`` are independent in a state where both are enabled when each leaves the
other enabled and doing them in either order ends in the same state. Sleep sets use that to skip
a step that would only close a "diamond" ``a·b = b·a``: every reachable state is still visited,
at the same breadth-first depth; only the successor computations of the skipped steps are saved.

The only steps declared independent are the kubelets of two *different* nodes, and only where
that has been checked against what a kubelet step reads and writes
(:mod:`kmodel.components.kubelet`, :mod:`kmodel.components.kubeletadmission`,
:mod:`kmodel.components.prober`). A kubelet step of node N reads N's Node, the pods bound to N,
the machine's containers (``N.running``), the clock, the settings and whether the apiserver
answers; it writes only N's Node (Lease, status, ``running``), pods bound to N (status, removal
of a terminating one) and ``ran`` (a set: the union commutes). Events it emits are not part of a
checker state. Three reads reach beyond the node, and each is guarded:

- a container run that fails counts on its Job (``runs_failed``, the first ``failures`` runs
  fail): two nodes running the same Job's pods would race for it, so no Job may exist;
- ``status.startTime`` is recorded only while some pod has a non-zero priority (and no
  PriorityClass or load model exists): one kubelet removing the last such pod would change what
  the other records, so this must not hinge on the pods (it is fixed while a PriorityClass or a
  load model exists, or no pod has a priority: kubelets neither create pods nor change their
  priority);
- leftover containers on N of a pod bound elsewhere are killed whether that pod still exists or
  not (a kubelet never rebinds a pod), so another node's kubelet removing it changes nothing.

Refused outright (no step is independent of any other), because the argument above does not
cover them: informer lag and watch-cache lag (a step acts on a view, its changes are queued for
the informers in order), several control-plane machines, fault rules (they fire on state
predicates), a drain in progress, a descheduler, node symmetry (the sleep set of one state would
name the nodes of another state it is merged with), and a replaced (broken) kubelet, whose step
may touch anything. Controllers are never declared independent: the node lifecycle controller
records *when* it saw each Lease renewal, so a kubelet's renewal and its monitor pass do not
commute, and the other controllers read and write shared objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kmodel import informer, podindex, watchcache
from kmodel.components import kubelet

if TYPE_CHECKING:
    from kmodel.checkmodel import CheckState, KubeModel

PREFIX = kubelet.actor("")  # "kubelet/": the actor names of kubelet steps start with it


def _different_kubelets(a: str, b: str) -> bool:
    return a != b and a.startswith(PREFIX) and b.startswith(PREFIX)


def refused(m: KubeModel) -> str | None:
    """Why ``m`` declares no steps independent in any state (None: it may, state by state)."""
    if m.renamer is not None:
        return "node symmetry"
    if m.scenario.fault_rules:
        return "fault rules"
    if any(k == "kubelet" or k.startswith(PREFIX) for k in m.replace or {}):
        return "a replaced kubelet"
    return None


def state_refused(m: KubeModel, state: CheckState) -> str | None:
    """Why no steps are independent in ``state`` (None: kubelets of different nodes are)."""
    why = refused(m)
    if why is not None:
        return why
    c = state.cluster
    if informer.enabled(c):
        return "informer lag"
    if watchcache.enabled(c):
        return "watch-cache lag"
    if c.ha is not None:
        return "several control-plane machines"
    if c.drains:
        return "a drain"
    if c.descheduler is not None:
        return "a descheduler"
    if c.jobs:
        return "a Job (its failed runs are counted across nodes)"
    if not c.priority_classes and not c.loads and podindex.index(c.pods).count(kubelet._PRIORITISED):
        return "a pod with a priority (whether startTime is recorded hinges on it)"
    return None


def independence(m: KubeModel, state: CheckState) -> Callable[[str, str], bool] | None:
    """The relation for ``state``: kubelets of different nodes, unless :func:`state_refused`."""
    if state_refused(m, state) is not None:
        return None
    return _different_kubelets
