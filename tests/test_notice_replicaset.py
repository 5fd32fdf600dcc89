"""ReplicaSet controller behaviours no other test pinned down (issue 19's mutation run).

Each test names the Kubernetes source it restates; the expectations are worked out from that
source in the docstring, never taken from kmodel.
"""

from __future__ import annotations

from kmodel.components import replicaset
from kmodel.settings import Settings
from kmodel.state import (
    RUNNING,
    Cluster,
    Pod,
    PodTemplate,
    ReplicaSet,
    SchedulingSpec,
    labels_of,
)

WEB = labels_of({"app": "web"})
NOW = 1000


def _ready_pod(name: str, ready_since: int) -> Pod:
    return Pod(
        name=name,
        owner="web-1",
        labels=WEB,
        node_name="n1",
        phase=RUNNING,
        ready=True,
        containers_ready=True,
        created=0,
        ready_since=ready_since,
    )


def test_a_pod_ready_right_now_ranks_below_one_ready_for_a_second() -> None:
    """controller_utils.go ``logarithmicRankDiff``: a duration ``d`` ranks ``-1`` when ``d <= 0``
    and ``int64(math.Log2(float64(d)))`` otherwise, in nanoseconds. A pod that became ready at
    this very instant ranks -1; one ready for one second ranks floor(log2(1e9)) = 29. The rank
    difference is not 0, so ActivePodsWithRanks.Less puts the pod ready for the shorter time
    first ("the latest ready one is smaller") and the UID tiebreak (the name here) is not
    reached, although it would put ``a`` first."""
    longer = _ready_pod("a", ready_since=NOW - 1)
    just_now = _ready_pod("b", ready_since=NOW)
    for pods in ([longer, just_now], [just_now, longer]):
        assert [p.name for p in replicaset.deletion_order(pods, pods, NOW)] == ["b", "a"]
    assert replicaset._log_rank_diff(NOW, NOW - 1, NOW) == -1 - 29


def test_a_refused_create_is_reported_even_when_nothing_else_changed() -> None:
    """replica_set.go ``manageReplicas`` creates through ``slowStartBatch`` and
    controller_utils.go ``RealPodControl.createPods`` records a Warning ``FailedCreate`` event
    ("Error creating: ...") for every refused create. A ReplicaSet whose template names a
    PriorityClass that does not exist (admission: ``no PriorityClass with name gold was found``)
    gets that event on its sync even though no pod and no status field changes."""
    template = PodTemplate(labels=WEB, scheduling=SchedulingSpec(priority_class_name="gold"))
    rs = ReplicaSet(name="web-1", replicas=2, selector=WEB, template=template)
    cluster = Cluster(settings=Settings(), now=NOW).with_replicaset(rs)
    outcomes = replicaset.step(cluster)
    assert len(outcomes) == 1
    (outcome,) = outcomes
    assert outcome.state.pods == ()
    assert [(e.reason, e.type) for e in outcome.events] == [("FailedCreate", "Warning")]
    assert outcome.events[0].message.startswith('Error creating: pods "web-1-" is forbidden: ')
    assert outcome.events[0].message.endswith("no PriorityClass with name gold was found")
