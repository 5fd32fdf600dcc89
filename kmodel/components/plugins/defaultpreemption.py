"""DefaultPreemption (plugins/defaultpreemption, with pkg/scheduler/framework/preemption): the
PostFilter that runs when no node fits a pod, and makes room by deleting pods of lower priority.

``post_filter`` follows ``Evaluator.Preempt``:

1. ``PodEligibleToPreemptOthers``: a pod with ``preemptionPolicy: Never`` never preempts (from
   1.19, when NonPreemptingPriority went on by default; before, the field is ignored); a pod
   whose nominated node still holds a lower-priority pod that the scheduler's preemption is
   terminating waits for it (unless that node now fails with UnschedulableAndUnresolvable);
2. the potential nodes are those whose filter status is ``Unschedulable`` (removing pods might
   help); the others cannot be helped;
3. on each potential node (the dry run, ``SelectVictimsOnNode``): remove every pod of lower
   priority; if the pod still does not fit, the node is no candidate (its status is the filter's);
   else add them back one by one, most important first (higher priority, then earlier start),
   keeping each that still leaves room: the ones that do not fit are the victims. Pods whose
   eviction would violate a PodDisruptionBudget (:func:`pdb_split`) are tried for a reprieve
   first, so they are victims only when nothing else makes room; preemption still goes ahead
   when they are (it does not use the eviction API, and the budget is best effort);
4. ``pickOneNodeForPreemption``: fewest PDB violations, then the lowest highest-priority victim,
   the smallest sum of priorities, the fewest victims, the latest start time among the
   highest-priority victims; the real scheduler takes the first of the remaining ties in an order
   that starts at a random offset, so every tie is a separate successor here;
5. ``prepareCandidate``: each victim gets the condition DisruptionTarget=True with reason
   PreemptionByScheduler and is deleted gracefully, with the event ``Preempted`` (``Preempted by
   pod <uid> on node <node>``, regarding the victim); pods of lower priority nominated to the
   node lose their nomination; the preemptor's ``status.nominatedNodeName`` becomes the node.

The filters are run through ``fits`` (``RunFilterPluginsWithNominatedPods``, owned by the
scheduler): pods nominated to the node with a priority at least the preemptor's count there.
kube-scheduler 1.33+ evicts the victims asynchronously while the preemptor waits; the model does
it within the scheduler's step, which nothing else can observe in between.

When no node can be made to fit, the message is a second ``0/N nodes are available: ...`` with
each potential node's own status (``No preemption victims found for incoming pod`` when it has no
lower-priority pod, else the filter reason that remains) and ``Preemption is not helpful for
scheduling`` for the other nodes, and the nomination is cleared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import attrs
from attrs import frozen

from kmodel import versions
from kmodel.components import apiserver, disruption
from kmodel.components.plugins.framework import UNRESOLVABLE, UNSCHEDULABLE, Status
from kmodel.schedulingspec import PREEMPT_NEVER
from kmodel.state import Cluster, Pod
from kmodel.transition import Event

NAME = "DefaultPreemption"
SOURCE = "default-scheduler"

REASON_PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler"  # v1.PodReasonPreemptionByScheduler
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."

# RunFilterPluginsWithNominatedPods for one node of a (possibly hypothetical) cluster: None if
# the pod fits there
Fits = Callable[[Cluster, Pod, str], "Status | None"]


@frozen
class Candidate:
    """A node where the preemptor fits once ``victims`` (most important first) are gone."""

    node: str
    victims: tuple[Pod, ...]
    pdb_violations: int = 0


@frozen
class Result:
    """``PostFilterResult`` and status: the best candidates (several when they tie; empty when
    preemption does not happen), the status message without the ``preemption: `` prefix ("" on
    success), and what becomes of the preemptor's nominatedNodeName (None: left as it is, "":
    cleared, else the candidate's node)."""

    candidates: tuple[Candidate, ...] = ()
    message: str = ""
    nominate: str | None = None


# --- ordering ---------------------------------------------------------------------------------------


def start_time(pod: Pod, now: int) -> int:
    """``GetPodStartTime``: status.startTime, or now for a pod not started yet."""
    return pod.start_time if pod.start_time is not None else now


def importance(pod: Pod, now: int) -> tuple[int, int, str]:
    """``MoreImportantPod`` as a sort key (most important first): higher priority, then the
    earlier start; names break the remaining ties (Go's sort.Slice leaves them as they come)."""
    return (-pod.priority, start_time(pod, now), pod.name)


def preemption_allowed(victim: Pod, preemptor: Pod) -> bool:
    """``isPreemptionAllowed``: only pods of strictly lower priority may be preempted."""
    return victim.priority < preemptor.priority


def terminating_by_preemption(pod: Pod) -> bool:
    """``podTerminatingByPreemption``: being deleted, with DisruptionTarget PreemptionByScheduler."""
    return pod.terminating and pod.disruption_reason == REASON_PREEMPTION_BY_SCHEDULER


def pdb_split(cluster: Cluster, pods: list[Pod]) -> tuple[list[Pod], list[Pod]]:
    """``filterPodsWithPDBViolation``: (the pods whose eviction would violate a
    PodDisruptionBudget, the others), each in the given order.

    Each budget starts from its status.disruptionsAllowed; every pod it guards (a non-empty
    selector matching the pod's labels) that is not already in its status.disruptedPods spends
    one, and a pod that takes some budget below 0 is violating. Counted afresh for each node."""
    if not cluster.pdbs:
        return [], list(pods)
    left = {b.name: b.disruptions_allowed for b in cluster.pdbs}
    violating: list[Pod] = []
    others: list[Pod] = []
    for p in pods:
        violated = False
        if p.labels:
            for b in cluster.pdbs:
                if not disruption.guards(b, p) or any(name == p.name for name, _ in b.disrupted_pods):
                    continue
                left[b.name] -= 1
                if left[b.name] < 0:
                    violated = True
        (violating if violated else others).append(p)
    return violating, others


# --- the steps ----------------------------------------------------------------------------------------


def eligible(cluster: Cluster, pod: Pod, nominated_status: Status | None) -> tuple[bool, str]:
    """``PodEligibleToPreemptOthers``: (may it preempt, the reason when not)."""
    never = pod.scheduling.preemption_policy == PREEMPT_NEVER
    if never and versions.non_preempting_priority(cluster.settings.kubernetes_version):
        return False, NOT_ELIGIBLE_NEVER
    node = pod.nominated_node_name
    if node:
        if nominated_status is not None and nominated_status.code == UNRESOLVABLE:
            return True, ""
        for p in cluster.pods_on(node):
            if preemption_allowed(p, pod) and terminating_by_preemption(p):
                return False, NOT_ELIGIBLE_TERMINATING
    return True, ""


def select_victims_on_node(cluster: Cluster, pod: Pod, node: str, fits: Fits) -> tuple[list[Pod], int, Status | None]:
    """``SelectVictimsOnNode``: the fewest pods to delete from ``node`` for ``pod`` to fit
    (most important first), how many of them violate a PDB, and the node's status when there is
    no such set (None on success)."""
    potential = [p for p in cluster.pods_on(node) if preemption_allowed(p, pod)]
    if not potential:
        return [], 0, Status(NAME, (NO_VICTIMS,), UNRESOLVABLE)
    gone = {p.name for p in potential}
    room = attrs.evolve(cluster, pods=tuple(p for p in cluster.pods if p.name not in gone))
    status = fits(room, pod, node)
    if status is not None:
        return [], 0, status
    potential.sort(key=lambda p: importance(p, cluster.now))
    violating, non_violating = pdb_split(cluster, potential)
    victims: list[Pod] = []
    violations = 0
    for group, counts in ((violating, True), (non_violating, False)):
        for p in group:
            back = room.with_pod(p)
            if fits(back, pod, node) is None:
                room = back  # reprieved
            else:
                victims.append(p)
                violations += counts
    if violating and non_violating:
        victims.sort(key=lambda p: importance(p, cluster.now))
    return victims, violations, None


def dry_run(cluster: Cluster, pod: Pod, potential: list[str], fits: Fits) -> tuple[list[Candidate], dict[str, Status]]:
    """``DryRunPreemption`` over the potential nodes: the candidates (non-violating ones first)
    and the status of each node that is none. For clusters under 100 nodes the default
    ``minCandidateNodesAbsolute`` (100) makes it look at every potential node."""
    good: list[Candidate] = []
    violating: list[Candidate] = []
    statuses: dict[str, Status] = {}
    for node in potential:
        victims, violations, status = select_victims_on_node(cluster, pod, node, fits)
        if status is None and victims:
            (good if violations == 0 else violating).append(Candidate(node, tuple(victims), violations))
        elif status is not None:
            statuses[node] = status
    return good + violating, statuses


def _latest_start(c: Candidate, now: int) -> int:
    """``GetEarliestPodStartTime``: the earliest start among the highest-priority victims."""
    top = max(p.priority for p in c.victims)
    return min(start_time(p, now) for p in c.victims if p.priority == top)


def pick_one_node(candidates: list[Candidate], now: int) -> list[Candidate]:
    """``pickOneNodeForPreemption``'s criteria in order, each keeping only the best scored
    candidates; returns every candidate still tied at the end."""
    scores: list[Callable[[Candidate], int]] = [
        lambda c: -c.pdb_violations,
        lambda c: -max(p.priority for p in c.victims),
        # MaxInt32 + 1 added to each priority so that negative priorities sum sensibly
        lambda c: -sum(p.priority + 2**31 for p in c.victims),
        lambda c: -len(c.victims),
        lambda c: _latest_start(c, now),
    ]
    remaining = list(candidates)
    for score in scores:
        best = max(score(c) for c in remaining)
        remaining = [c for c in remaining if score(c) == best]
        if len(remaining) == 1:
            break
    return sorted(remaining, key=lambda c: c.node)


def histogram(total: int, statuses: dict[str, Status]) -> str:
    """``FitError.Error()`` of the preemption pass: ``0/N nodes are available: <count> <reason>, ....``"""
    counts: Counter[str] = Counter()
    for st in statuses.values():
        counts.update(st.reasons)
    return f"0/{total} nodes are available: {', '.join(sorted(f'{n} {r}' for r, n in counts.items()))}."


def post_filter(cluster: Cluster, pod: Pod, statuses: dict[str, Status], fits: Fits) -> Result:
    """``Evaluator.Preempt`` for a pod no node fits (``statuses``: each node's filter status)."""
    nominated_status = statuses.get(pod.nominated_node_name or "")
    if pod.nominated_node_name and cluster.node(pod.nominated_node_name) is None:
        nominated_status = Status(NAME, (), UNRESOLVABLE)  # an absent node's status
    ok, why = eligible(cluster, pod, nominated_status)
    if not ok:
        return Result(message=why)
    total = len(cluster.nodes)
    potential = [n.name for n in cluster.nodes if n.name in statuses and statuses[n.name].code == UNSCHEDULABLE]
    candidates, node_statuses = dry_run(cluster, pod, potential, fits)
    if not candidates:
        every = {n.name: node_statuses.get(n.name, Status(NAME, (NOT_HELPFUL,), UNRESOLVABLE)) for n in cluster.nodes}
        return Result(message=histogram(total, every), nominate="")
    best = pick_one_node(candidates, cluster.now)
    return Result(candidates=tuple(best))


def prepare(cluster: Cluster, pod: Pod, candidate: Candidate) -> tuple[Cluster, list[Event]]:
    """``prepareCandidate``: preempt the victims and clear lower-priority nominations on the
    node. The preemptor's own nomination is the scheduler's to write."""
    out = cluster
    events = []
    preemptor_uid = apiserver.uid(pod.name)
    for victim in candidate.victims:
        current = out.pod(victim.name)
        if current is None:
            continue
        out = out.with_pod(attrs.evolve(current, disruption_reason=REASON_PREEMPTION_BY_SCHEDULER))
        out = apiserver.delete_pod(out, victim.name)
        events.append(
            Event(
                cluster.now,
                SOURCE,
                "Preempted",
                f"pod/{victim.name}",
                f"Preempted by pod {preemptor_uid} on node {candidate.node}",
            )
        )
    for p in out.pods:
        if (
            p.nominated_node_name == candidate.node
            and p.node_name is None
            and p.name != pod.name
            and p.priority < pod.priority
        ):
            out = out.with_pod(attrs.evolve(p, nominated_node_name=None))
    return out, events
