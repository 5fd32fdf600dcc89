"""Placements of pending pods as Z3 constraints: the search behind ``kmodel explain``.

A *placement* puts some of a cluster's pending pods on nodes, each at most once, with the bound
pods where they are (or, for the question "would moving bound pods help", some bound pods
*movable*: each stays where it is or is placed again like a pending pod). It is valid when the
pods can be bound one at a time, in *some* order, each passing every filter of the default
profile when its turn comes: the cluster as it is, plus the pods bound before it. The order is
free, not the scheduler's queue order: a pod that fails goes back to the queue and is retried
after the others (backoff, cluster events), and ``explain`` asks whether room exists at all. The
filters, and how each is encoded:

- NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector, required terms with
  matchExpressions and matchFields, the PreFilter's node names): they read the node alone, so
  they are decided once per (pod, node) by the plugins themselves and only the nodes that pass
  get a variable. So is everything a pod checks against the pods that stay bound: their host
  ports, their required anti-affinity against it and its own against them, a node missing a
  topology key of the pod's required pod affinity or of a DoNotSchedule spread constraint.
- NodeResourcesFit: for each node and each resource (the pod count, cpu, memory,
  ephemeral-storage, every extended resource) a sum: a pod placed on a node that asks for some of
  a resource (every pod asks for one pod slot) needs the node's final total of it within its
  allocatable. Requests only add up, so the pods placed on a node pass the check in every order
  exactly when that holds for the last of them to ask for each resource.
- NodePorts: two placed pods whose host ports conflict are never on one node.
- InterPodAffinity, required anti-affinity: for two placed pods and a required anti-affinity
  term of either that selects the other, they are not in the same domain (value of the term's
  topology key). The filter checks both directions when the second of them is bound (the new
  pod's terms against the pods there, the pods' terms against the new pod), so the order does
  not matter.
- InterPodAffinity, required affinity: each placed pod with terms needs, for every term, a pod
  bound *before* it that matches all its terms in its domain of that term's key; or it is the
  first of its group (it matches its own terms and no pod matching them was bound before it on
  a node with one of the keys).
- PodTopologySpread, each DoNotSchedule constraint of a placed pod (its resolved selector, the
  eligible nodes of its inclusion policies, minDomains): the matching pods bound before it, per
  domain, give ``count(its domain) + (1 if it matches) - count(d) <= maxSkew`` for every eligible
  domain ``d`` (the global minimum is the least count), and ``count(its domain) + 1 <= maxSkew``
  when fewer domains than minDomains are eligible (the minimum is then 0).

The last two depend on the order: the encoding gives every placed pod a rank (distinct
integers; pods that stay bound come first) and "before" compares ranks. Everything else holds in
any order, and the ranks are left out when no pod needs them.

Parts can be left out (``drop``): "without its pod anti-affinity, would it fit?" is the same
question with the anti-affinity constraints (static and pairwise) gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs
import z3
from attrs import define, frozen

from kmodel.components.plugins import interpodaffinity, nodeaffinity, nodeports, nodeunschedulable, tainttoleration
from kmodel.components.plugins import podtopologyspread as pts
from kmodel.components.plugins.framework import UNRESOLVABLE, CycleState, Status
from kmodel.components.plugins.interpodaffinity import Term
from kmodel.components.plugins.noderesources import Usage, in_cache, node_usage, pod_request
from kmodel.schedulingspec import DO_NOT_SCHEDULE
from kmodel.state import Cluster, Node, Pod, Resources, label

SOLVER_TIMEOUT_MS = 20_000

# parts of the encoding that ``drop`` can leave out
RESOURCES = "NodeResourcesFit"
PORTS = "NodePorts"
ANTI_AFFINITY = "pod anti-affinity"
AFFINITY = "pod affinity"
SPREAD = "PodTopologySpread"  # all spread constraints; one of them: f"{SPREAD}:{pod}:{index}"
SPREAD_PLUGIN = "PodTopologySpread"
MISSING_KEY_AFFINITY = "node(s) didn't match pod affinity rules"


def spread_part(pod: str, index: int) -> str:
    """The ``drop`` name of one DoNotSchedule constraint of a pod."""
    return f"{SPREAD}:{pod}:{index}"


# --- what each pod brings -------------------------------------------------------------------------


@frozen
class SpreadRule:
    """One DoNotSchedule constraint of a pod, resolved as the plugin resolves it."""

    index: int  # its position among the pod's DoNotSchedule constraints
    max_skew: int
    topology_key: str
    min_domains: int
    eligible: frozenset[str]  # nodes passing its inclusion policies and holding every key
    selects_self: bool  # the pod matches its selector (its own +1)
    counts: object  # a predicate: does it count this pod (labels)? (kept opaque: the plugin's)


def spread_rules(cluster: Cluster, pod: Pod) -> list[SpreadRule]:
    """The pod's DoNotSchedule spread constraints as the filter applies them (empty: none)."""
    if not pod.scheduling.topology_spread:
        return []
    version = cluster.settings.kubernetes_version
    if not pts.uses_own_constraints(pod, version):
        return []
    constraints = pts.own_constraints(pod, DO_NOT_SCHEDULE, version)
    out = []
    for i, c in enumerate(constraints):
        eligible = frozenset(
            n.name
            for n in cluster.nodes
            if pts._has_keys(n, constraints) and pts._included(c, pod, n, pts.required_node_affinity_matches(pod, n))
        )
        out.append(
            SpreadRule(
                index=i,
                max_skew=c.max_skew,
                topology_key=c.topology_key,
                min_domains=c.min_domains,
                eligible=eligible,
                selects_self=c.selects(pod.labels),
                counts=c.counts,
            )
        )
    return out


def spread_keys(cluster: Cluster, pod: Pod) -> list[str]:
    return [r.topology_key for r in spread_rules(cluster, pod)]


def affinity_terms(cluster: Cluster, pod: Pod, anti: bool) -> tuple[Term, ...]:
    """The pod's required (anti-)affinity terms as the scheduler reads them."""
    aff = pod.scheduling.pod_anti_affinity if anti else pod.scheduling.pod_affinity
    if aff is None:
        return ()
    merge = interpodaffinity.label_keys_merged(cluster.settings.kubernetes_version)
    return tuple(interpodaffinity.term_of(t, pod, merge) for t in aff.required)


def want(pod: Pod) -> Resources:
    """What NodeResourcesFit checks for a pod: its requests and one pod slot."""
    return pod_request(pod) + Resources(pods=1)


def dimensions(pods: Iterable[Pod]) -> list[str]:
    """The resources the pods ask for: the pod count, cpu, memory, ephemeral-storage and the
    extended resources (``scalar:NAME``)."""
    dims = ["pods", "cpu", "memory", "ephemeral_storage"]
    extra = sorted({name for p in pods for name, amount in pod_request(p).scalar if amount})
    return dims + [f"scalar:{name}" for name in extra]


def amount(r: Resources, dim: str) -> int:
    if dim.startswith("scalar:"):
        return r.get(dim.removeprefix("scalar:"))
    return int(getattr(r, dim))


# --- the static part ------------------------------------------------------------------------------


def node_only_status(state: CycleState, node: Node) -> Status | None:
    """The filters that read the node alone, in the default order: NodeUnschedulable,
    TaintToleration, and NodeAffinity with its PreFilter (None when ``node`` passes them)."""
    for f in (nodeunschedulable.filter, tainttoleration.filter):
        status = f(state, node)
        if status is not None:
            return status
    return nodeaffinity.prefilter_status(state, node) or nodeaffinity.filter(state, node)


def static_status(fixed: Cluster, pod: Pod, node: Node, drop: frozenset[str] = frozenset()) -> Status | None:
    """The filters that do not depend on other pending pods, run on ``fixed`` (the cluster with
    only the pods that stay bound): None when ``node`` passes them."""
    state = CycleState.of(fixed, pod)
    status = node_only_status(state, node)
    if status is not None:
        return status
    if PORTS not in drop:
        status = nodeports.filter(state, node)
        if status is not None:
            return status
    if SPREAD not in drop:
        keys = spread_keys(fixed, pod)
        if any(label(node.labels, k) is None for k in keys):
            return Status(
                SPREAD_PLUGIN, ("node(s) didn't match pod topology spread constraints (missing required label)",)
            )
    labels = dict(node.labels)
    if AFFINITY not in drop and any(t.topology_key not in labels for t in affinity_terms(fixed, pod, anti=False)):
        return Status(interpodaffinity.NAME, (MISSING_KEY_AFFINITY,), UNRESOLVABLE)
    if ANTI_AFFINITY not in drop:
        pre = interpodaffinity.prefilter(state)
        if pre is not None:
            if not interpodaffinity._satisfies_anti_affinity(pre, labels):
                return Status(interpodaffinity.NAME, (interpodaffinity.REASON_ANTI_AFFINITY,))
            if not interpodaffinity._satisfies_existing_anti_affinity(pre, labels):
                return Status(interpodaffinity.NAME, (interpodaffinity.REASON_EXISTING_ANTI_AFFINITY,))
    return None


def ports_conflict(a: Pod, b: Pod) -> bool:
    """Two pods whose host ports cannot share a node (``HostPortInfo.CheckConflict`` both ways)."""
    if not a.scheduling.host_ports or not b.scheduling.host_ports:
        return False
    used = {nodeports.binding(hp) for hp in b.scheduling.host_ports}
    return nodeports.conflicts(a.scheduling.host_ports, used)


# --- the encoding ---------------------------------------------------------------------------------


@define
class Result:
    status: z3.CheckSatResult
    # pod -> node for the placed pods, in an order in which they can be bound (staying pods first)
    placement: dict[str, str] | None


@define
class Encoding:
    """The placements of ``pods`` (pending ones, and bound ones listed in ``current`` with their
    node, which may stay there unchecked or move) on top of the other bound pods of ``cluster``."""

    cluster: Cluster
    pods: Sequence[Pod]
    current: dict[str, str] = attrs.field(factory=dict)
    drop: frozenset[str] = frozenset()
    opt: z3.Optimize = attrs.field(init=False)
    fixed: Cluster = attrs.field(init=False)
    choice: dict[tuple[str, str], z3.BoolRef] = attrs.field(init=False, factory=dict)
    placed: dict[str, z3.BoolRef] = attrs.field(init=False, factory=dict)
    rank: dict[str, z3.ArithRef] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self.opt = z3.Optimize()
        self.opt.set(timeout=SOLVER_TIMEOUT_MS)
        moving = set(self.current)
        self.fixed = attrs.evolve(self.cluster, pods=tuple(p for p in self.cluster.pods if p.name not in moving))
        self._choices()
        self._ranks()
        self._resources()
        self._ports()
        self._anti_affinity()
        self._affinity()
        self._spread()

    # -- variables

    def _choices(self) -> None:
        for i, p in enumerate(self.pods):
            options = [n.name for n in self.cluster.nodes if static_status(self.fixed, p, n, self.drop) is None]
            cur = self.current.get(p.name)
            if cur is not None and cur not in options:
                options.append(cur)
            vs = [z3.Bool(f"pod{i}@{n}") for n in options]
            self.choice.update({(p.name, n): v for n, v in zip(options, vs, strict=True)})
            self.placed[p.name] = z3.Or(*vs) if vs else z3.BoolVal(False)
            if len(vs) > 1:
                self.opt.add(z3.AtMost(*vs, 1))

    def at(self, pod: str, nodes: Iterable[str]) -> z3.BoolRef:
        """The pod is placed on one of ``nodes``."""
        vs = [self.choice[pod, n] for n in nodes if (pod, n) in self.choice]
        return z3.Or(*vs) if vs else z3.BoolVal(False)

    def stays(self, pod: str) -> z3.BoolRef:
        cur = self.current.get(pod)
        return self.choice[pod, cur] if cur is not None else z3.BoolVal(False)

    def _needs_order(self) -> bool:
        if not (AFFINITY in self.drop and SPREAD in self.drop):
            for p in self.pods:
                if AFFINITY not in self.drop and affinity_terms(self.cluster, p, anti=False):
                    return True
                if SPREAD not in self.drop and spread_rules(self.cluster, p):
                    return True
        return False

    def _ranks(self) -> None:
        if not self._needs_order():
            return
        raw = []
        for i, p in enumerate(self.pods):
            r = z3.Int(f"rank{i}")
            raw.append(r)
            self.opt.add(r >= 1, r <= len(self.pods))
            # pods that stay bound were bound before any pending one
            self.rank[p.name] = z3.If(self.stays(p.name), 0, r) if p.name in self.current else r
        if len(raw) > 1:
            self.opt.add(z3.Distinct(*raw))

    def before(self, a: str, b: str) -> z3.BoolRef:
        """Pod ``a`` is placed and bound before ``b``."""
        return z3.And(self.placed[a], self.rank[a] < self.rank[b])

    def _checked(self, pod: str, node: str) -> z3.BoolRef:
        """``pod`` is bound to ``node`` by the scheduler (not a bound pod staying where it is)."""
        v = self.choice[pod, node]
        return z3.And(v, z3.Not(self.stays(pod))) if self.current.get(pod) == node else v

    # -- NodeResourcesFit

    def _resources(self) -> None:
        if RESOURCES in self.drop:
            return
        base = node_usage(self.fixed)
        dims = dimensions(self.pods)
        for node in self.cluster.nodes:
            here = [p for p in self.pods if (p.name, node.name) in self.choice]
            if not here:
                continue
            used = base.get(node.name, Usage()).requested
            for dim in dims:
                asking = [p for p in here if amount(want(p), dim) > 0 and in_cache(p)]
                if not asking:
                    continue
                total = amount(used, dim) + z3.Sum(
                    [z3.If(self.choice[p.name, node.name], amount(want(p), dim), 0) for p in asking]
                )
                cap = amount(node.capacity, dim)
                for p in asking:
                    self.opt.add(z3.Implies(self._checked(p.name, node.name), total <= cap))

    # -- NodePorts

    def _ports(self) -> None:
        if PORTS in self.drop:
            return
        with_ports = [p for p in self.pods if p.scheduling.host_ports]
        for i, a in enumerate(with_ports):
            for b in with_ports[i + 1 :]:
                if not ports_conflict(a, b):
                    continue
                for node in self.cluster.nodes:
                    if (a.name, node.name) not in self.choice or (b.name, node.name) not in self.choice:
                        continue
                    both_stay = self.current.get(a.name) == node.name == self.current.get(b.name)
                    clash = z3.And(self.choice[a.name, node.name], self.choice[b.name, node.name])
                    if both_stay:
                        clash = z3.And(clash, z3.Not(z3.And(self.stays(a.name), self.stays(b.name))))
                    self.opt.add(z3.Not(clash))

    # -- InterPodAffinity

    def domain(self, pod: str, key: str, value: str) -> z3.BoolRef:
        return self.at(pod, [n.name for n in self.cluster.nodes if label(n.labels, key) == value])

    def _values(self, key: str) -> list[str]:
        return sorted({v for n in self.cluster.nodes if (v := label(n.labels, key)) is not None})

    def _anti_affinity(self) -> None:
        if ANTI_AFFINITY in self.drop:
            return
        terms = {p.name: affinity_terms(self.cluster, p, anti=True) for p in self.pods}
        for i, a in enumerate(self.pods):
            for b in self.pods[i + 1 :]:
                keys = {t.topology_key for t in terms[a.name] if t.matches(b)}
                keys |= {t.topology_key for t in terms[b.name] if t.matches(a)}
                for key in sorted(keys):
                    for value in self._values(key):
                        clash = z3.And(self.domain(a.name, key, value), self.domain(b.name, key, value))
                        if a.name in self.current and b.name in self.current:
                            clash = z3.And(clash, z3.Not(z3.And(self.stays(a.name), self.stays(b.name))))
                        self.opt.add(z3.Not(clash))

    def _affinity(self) -> None:
        if AFFINITY in self.drop:
            return
        for p in self.pods:
            terms = affinity_terms(self.cluster, p, anti=False)
            if not terms:
                continue
            pre = interpodaffinity.prefilter(CycleState.of(self.fixed, p))
            counts = pre.affinity_counts if pre is not None else {}
            group = [q for q in self.pods if q.name != p.name and all(t.matches(q) for t in terms)]
            keys = {t.topology_key for t in terms}
            keyed = [n.name for n in self.cluster.nodes if keys & {k for k, _ in n.labels}]
            first_allowed = not counts and all(t.matches(p) for t in terms)
            first = (
                z3.And(*[z3.Not(z3.And(self.before(q.name, p.name), self.at(q.name, keyed))) for q in group])
                if first_allowed
                else z3.BoolVal(False)
            )
            for node in self.cluster.nodes:
                if (p.name, node.name) not in self.choice:
                    continue
                supported = []
                for t in terms:
                    value = label(node.labels, t.topology_key)
                    if value is None:  # only a bound pod's own node, where it stays unchecked
                        supported.append(z3.BoolVal(False))
                        continue
                    if counts.get((t.topology_key, value), 0) > 0:
                        continue
                    supported.append(
                        z3.Or(
                            *[
                                z3.And(self.before(q.name, p.name), self.domain(q.name, t.topology_key, value))
                                for q in group
                            ],
                            z3.BoolVal(False),
                        )
                    )
                self.opt.add(z3.Implies(self._checked(p.name, node.name), z3.Or(z3.And(*supported), first)))

    # -- PodTopologySpread

    def _spread(self) -> None:
        if SPREAD in self.drop:
            return
        for p in self.pods:
            for rule in spread_rules(self.cluster, p):
                if spread_part(p.name, rule.index) in self.drop:
                    continue
                self._spread_rule(p, rule)

    def _spread_rule(self, p: Pod, rule: SpreadRule) -> None:
        key = rule.topology_key
        eligible = [n for n in self.cluster.nodes if n.name in rule.eligible]
        domains = sorted({v for n in eligible if (v := label(n.labels, key)) is not None})
        fixed_counts = dict.fromkeys(domains, 0)
        nodes = {n.name: n for n in self.cluster.nodes}
        for q in self.fixed.pods:
            if q.node_name is None or q.terminating or q.node_name not in rule.eligible:
                continue
            if rule.counts(q.labels):  # type: ignore[operator]
                value = label(nodes[q.node_name].labels, key)
                if value is not None:
                    fixed_counts[value] = fixed_counts.get(value, 0) + 1
        counted = [q for q in self.pods if q.name != p.name and not q.terminating and rule.counts(q.labels)]  # type: ignore[operator]

        def count(value: str) -> z3.ArithRef:
            where = [n.name for n in eligible if label(n.labels, key) == value]
            terms = [z3.If(z3.And(self.before(q.name, p.name), self.at(q.name, where)), 1, 0) for q in counted]
            return fixed_counts.get(value, 0) + z3.Sum(terms) if terms else z3.IntVal(fixed_counts.get(value, 0))

        counts = {v: count(v) for v in domains}
        me = 1 if rule.selects_self else 0
        for node in self.cluster.nodes:
            if (p.name, node.name) not in self.choice:
                continue
            value = label(node.labels, key)
            if value is None:  # only a bound pod's own node, where it stays unchecked
                self.opt.add(z3.Not(self._checked(p.name, node.name)))
                continue
            mine = counts[value] if value in counts else count(value)
            conds = [mine + me - counts[d] <= rule.max_skew for d in domains]
            if len(domains) < rule.min_domains:
                conds = [mine + me <= rule.max_skew]
            self.opt.add(z3.Implies(self._checked(p.name, node.name), z3.And(*conds)))

    # -- solving

    def solve(self, required: Iterable[str] = (), objective: str = "place") -> Result:
        """``objective``: ``"place"`` (as many pods as possible) or ``"stay"`` (as few moves of
        the ``current`` pods as possible); the pods in ``required`` must be placed."""
        self.opt.push()
        for name in required:
            self.opt.add(self.placed[name])
        if objective == "place":
            self.opt.maximize(z3.Sum([z3.If(b, 1, 0) for b in self.placed.values()]))
        elif self.current:
            self.opt.minimize(z3.Sum([z3.If(self.stays(p), 0, 1) for p in self.current]))
        status = self.opt.check()
        placement = None
        if status == z3.sat:
            model = self.opt.model()
            chosen = [(p, n) for (p, n), v in self.choice.items() if z3.is_true(model.eval(v, model_completion=True))]
            if self.rank:
                chosen.sort(key=lambda pn: model.eval(self.rank[pn[0]], model_completion=True).as_long())
            placement = dict(chosen)
        self.opt.pop()
        return Result(status, placement)


def solve(
    cluster: Cluster,
    pods: Sequence[Pod],
    required: Iterable[str] = (),
    current: dict[str, str] | None = None,
    objective: str = "place",
    drop: frozenset[str] = frozenset(),
) -> Result:
    return Encoding(cluster, pods, dict(current or {}), drop).solve(required, objective)
