"""Node symmetry for the explorer: merge states that differ only by a permutation of
interchangeable nodes.

Two workers with the same labels (apart from ``kubernetes.io/hostname``), taints, capacity and
role, which the scenario never names (no timeline event, fault rule, workload or custom
invariant mentions them), are interchangeable: Kubernetes treats nodes by what they are, not
by what they are called. Where the real control plane's choice among such nodes is random
(the scheduler's ``selectHost`` among equal scores, the node lifecycle controller's walk of its
lister's list), kmodel explores every choice, so the model's behaviour commutes with renaming
them. A state's fingerprint is then taken after renaming each group's nodes into a canonical
order (by a name-free summary of each node: its status, its pods, the controller's memory of
it), so that a state and its image under a permutation of interchangeable nodes share one
fingerprint, and the explorer visits one of them.

Soundness does not depend on how good the canonical order is, only on the renaming being
complete and consistent: every string in the fingerprint that names a node of a group (as a
whole string, or as a token inside one: ``kubelet/worker-1``, ``off:worker-1``) is renamed, and
the parts of the fingerprint whose order follows node names are re-sorted. A poorer order only
merges fewer states.

Switched off (all nodes pinned) when the scenario uses a part of kmodel whose behaviour may
depend on node names or order and has not been checked for this: a descheduler (it walks the
ready nodes by name), several control-plane machines, fault rules, load models and HPAs,
informer lag, the legacy ``--pod-eviction-timeout`` eviction (it walks nodes in list order under
a rate limit), or a broken component replacing some kubelets but not others; and nodes in a
zone of more than :data:`kmodel.components.nodelifecycle.ORDER_LIMIT` nodes are left alone
(the node lifecycle controller queues the nodes of such a zone in list order).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from kmodel.components import kubelet, nodelifecycle
from kmodel.scenario import Scenario
from kmodel.state import LABEL_HOSTNAME, Cluster, Node

Groups = tuple[tuple[str, ...], ...]
_UNCACHED_BELOW = 3  # tuples and sets shorter than this are renamed afresh (cheaper than a look-up)


def _static(n: Node) -> tuple[Any, ...]:
    """What makes a node what it is, apart from its name."""
    labels = tuple(sorted((k, v) for k, v in n.labels if not (k == LABEL_HOSTNAME and v == n.name)))
    return (labels, n.taints, n.unschedulable, n.capacity, n.control_plane)


def _mentioned(name: str, texts: Iterable[str]) -> bool:
    token = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])")
    return any(token.search(t) for t in texts)


def groups(
    scenario: Scenario, cluster: Cluster, replace: dict[str, Any] | None, mentions: Iterable[str] = ()
) -> Groups:
    """The groups (of two or more) of interchangeable nodes of ``scenario``; empty when node
    symmetry does not apply to it (see the module's docstring)."""
    c = cluster
    if (
        scenario.descheduler is not None
        or c.descheduler is not None
        or c.ha is not None
        or scenario.fault_rules
        or scenario.loads
        or c.loads
        or c.hpas
        or c.informers is not None
        or c.settings.eviction_mode != "taint"
    ):
        return ()
    if replace:
        kubelets = {kubelet.actor(n.name) for n in c.nodes}
        some = kubelets & set(replace)
        if some and some != kubelets:
            return ()
    texts = [repr(ev) for ev in scenario.timeline]
    texts += [repr(m.obj) for m in scenario.manifests if m.kind != "Node"]
    texts += [repr(p.spec) if hasattr(p, "spec") else repr(p) for p in c.pods]
    texts += list(mentions)
    zone_sizes = nodelifecycle.zone_sizes(c)
    by_static: dict[tuple[Any, ...], list[str]] = {}
    for n in c.nodes:
        # in a zone of more than nodelifecycle.ORDER_LIMIT nodes the controller queues the nodes
        # it finds NotReady together in the node list's order: renaming them is no symmetry
        if zone_sizes[n.zone] <= nodelifecycle.ORDER_LIMIT and not _mentioned(n.name, texts):
            by_static.setdefault(_static(n), []).append(n.name)
    return tuple(tuple(sorted(names)) for names in by_static.values() if len(names) > 1)


class Renamer:
    """Renames the nodes of a fingerprint by a permutation of each group's names."""

    def __init__(self, groups: Groups) -> None:
        self.groups = groups
        names = sorted((n for g in groups for n in g), key=len, reverse=True)
        self.pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w.-])")
        self._cache: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[object, object]] = {}
        self._strings: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    def mapping(self, signature: Callable[[str], int]) -> dict[str, str]:
        """The canonical renaming: in each group, the node with the smallest signature takes
        the smallest name, and so on (ties kept in name order). Only names that change."""
        out: dict[str, str] = {}
        for g in self.groups:
            ordered = sorted(g, key=lambda n: (signature(n), n))
            for old, new in zip(ordered, g, strict=True):
                if old != new:
                    out[old] = new
        return out

    def rename(self, value: Any, mapping: dict[str, str]) -> Any:
        """``value`` with every node name renamed by ``mapping`` (a permutation)."""
        key = tuple(sorted(mapping.items()))
        sub = self.pattern.sub

        def repl(m: re.Match[str]) -> str:
            return mapping.get(m.group(0), m.group(0))

        cache = self._cache
        if len(cache) > 200_000:
            cache.clear()
        strings = self._strings.get(key)
        if strings is None:
            if len(self._strings) > 1_000:
                self._strings.clear()
            strings = self._strings[key] = {}

        def walk(x: Any) -> Any:
            t = type(x)
            if t is str:
                hit = strings.get(x)
                if hit is None:
                    hit = strings[x] = sub(repl, x)
                return hit
            if t is int or t is bool or x is None or t is float:
                return x
            if (t is tuple or t is frozenset) and len(x) < _UNCACHED_BELOW:
                return t(walk(e) for e in x)
            # shared parts (memoised bodies, attrs objects) are renamed once per renaming
            ck = (id(x), key)
            hit = cache.get(ck)
            if hit is not None and hit[0] is x:
                return hit[1]
            if t is tuple or t is frozenset:
                out: Any = t(walk(e) for e in x)
            elif attrs.has(t):
                changes = {}
                for f in attrs.fields(t):
                    v = getattr(x, f.name)
                    w = walk(v)
                    if w is not v and w != v:
                        changes[f.name if not f.name.startswith("_") else f.name[1:]] = w
                out = attrs.evolve(x, **changes) if changes else x
            else:
                # a fingerprint holds no other kind of value today: refuse rather than leave a
                # node name unrenamed (which would merge states that are not symmetric)
                raise TypeError(
                    f"node symmetry cannot rename a {t.__name__} in a fingerprint: "
                    "run without --node-symmetry, or teach kmodel.nodesymmetry.Renamer that type"
                )
            if len(cache) > 200_000:
                cache.clear()
            cache[ck] = (x, out)
            return out

        return walk(value)
