"""Namespaces: how kmodel keys namespaced objects.

Kubernetes stores a namespaced object under ``NAMESPACE/NAME`` (client-go's
``MetaNamespaceKeyFunc``); two Deployments named ``web`` in ``team-a`` and ``team-b`` are two
objects. kmodel does the same with the ``name`` field of its state classes: an object of the
``default`` namespace keeps its plain name (``web``), an object of any other namespace is named
by its key (``team-a/web``). Every lookup by name (``cluster.deployment(name)``,
``cluster.pod(name)``, owner references, the controllers' memories) is then a lookup by
(namespace, name) with no change to the code that does it, and the states of a scenario with
every object in ``default`` are exactly what they were before namespaces were modelled (so are
the explorer's fingerprints and state counts). Names a controller generates from its owner's
(``web-5d4f8``, ``db-0``) carry the owner's namespace with them. A key never collides with a
plain name: object names cannot contain ``/``.

What is not free is selection by labels: a Service, a workload controller, topology spread,
inter-pod affinity and the HPA select pods only in their own namespace (``same_namespace``), and
what is shown to the user names the object as kubectl does (``local_name``, with the namespace
in its own column). Cluster-scoped kinds (Node, PriorityClass) are never keyed.

Kinds: every namespaced kind kmodel models is placed by :func:`place` (Pod, Deployment,
ReplicaSet, StatefulSet, DaemonSet, Job, Service, HorizontalPodAutoscaler). A new namespaced kind
(PodDisruptionBudget, from the pdb branch) registers with :func:`register_placement`: its name
and the names it refers to in its own namespace are keyed there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

DEFAULT = "default"

# kinds whose objects live in no namespace
CLUSTER_SCOPED = frozenset({"Node", "PriorityClass", "Namespace"})


def key(namespace: str | None, name: str) -> str:
    """The name kmodel stores an object of ``namespace`` under (``name`` in ``default``)."""
    if not namespace or namespace == DEFAULT or "/" in name:
        return name
    return f"{namespace}/{name}"


def namespace_of(name: str) -> str:
    """The namespace of a stored (namespaced) object's name."""
    return name.split("/", 1)[0] if "/" in name else DEFAULT


def local_name(name: str) -> str:
    """The object's own name, as kubectl shows it (``web`` for ``team-a/web``)."""
    return name.split("/", 1)[1] if "/" in name else name


def namespaced(name: str) -> str:
    """``NAMESPACE/NAME`` as Kubernetes' messages write an object (``klog.KObj``), for a stored name."""
    return name if "/" in name else f"{DEFAULT}/{name}"


def same_namespace(a: str, b: str) -> bool:
    """Are the objects stored as ``a`` and ``b`` in the same namespace?"""
    if "/" not in a:
        return "/" not in b  # a in default (the common case, and every default-only scenario)
    return "/" in b and a.split("/", 1)[0] == b.split("/", 1)[0]


def namespaces_in(names: Iterable[str]) -> set[str]:
    return {namespace_of(n) for n in names}


# --- placing a manifest's object in its namespace -------------------------------------------------

Placement = Callable[[Any, str], Any]
PLACEMENTS: dict[str, Placement] = {}


def register_placement(kind: str, placement: Placement) -> None:
    """Teach :func:`place` a namespaced kind: ``placement(obj, namespace)`` returns the object
    with its name (and the names it refers to in its namespace) keyed, e.g. for a
    PodDisruptionBudget ``attrs.evolve(obj, name=key(namespace, obj.name))``."""
    PLACEMENTS[kind] = placement


def _named(obj: Any, namespace: str) -> Any:
    return attrs.evolve(obj, name=key(namespace, obj.name))


def _pod(obj: Any, namespace: str) -> Any:
    owner = obj.owner if obj.owner is None else key(namespace, obj.owner)
    return attrs.evolve(obj, name=key(namespace, obj.name), owner=owner)


def _owned(obj: Any, namespace: str) -> Any:
    owner = getattr(obj, "owner", None)
    changes: dict[str, Any] = {"name": key(namespace, obj.name)}
    if owner is not None:
        changes["owner"] = key(namespace, owner)
    return attrs.evolve(obj, **changes)


def _hpa(obj: Any, namespace: str) -> Any:
    # scaleTargetRef names an object of the HPA's own namespace
    return attrs.evolve(obj, name=key(namespace, obj.name), target_name=key(namespace, obj.target_name))


for _kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "Service"):
    PLACEMENTS[_kind] = _named
PLACEMENTS["Pod"] = _pod
PLACEMENTS["ReplicaSet"] = _owned
PLACEMENTS["HorizontalPodAutoscaler"] = _hpa
PLACEMENTS["PodDisruptionBudget"] = _named  # its selector selects pods of its own namespace


def place(m: Any) -> Any:
    """A manifest (kmodel.manifests.Manifest) with its object keyed by its namespace
    (``metadata.namespace``, ``default`` when not written)."""
    if m.kind in CLUSTER_SCOPED or not m.namespace or m.namespace == DEFAULT or m.obj is None:
        return m
    placement = PLACEMENTS.get(m.kind)
    if placement is None:
        return m
    return attrs.evolve(m, obj=placement(m.obj, m.namespace))
