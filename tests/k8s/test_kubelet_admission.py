"""The kubelet's admission of pods that name their node (pkg/kubelet/lifecycle/predicate.go:
predicateAdmitHandler.Admit, generalFilter, removeMissingExtendedResources; kubelet.go rejectPod).

Expectations come from the Go source: the first failure names the rejection (an
InsufficientResourceError gives ``OutOf<resource>`` and "Node didn't have enough resource: ...",
a PredicateFailureError the plugin name and "Predicate <plugin> failed: <reason>"); rejectPod sets
phase Failed, that reason and "Pod was rejected: <message>", and records a Warning event.
"""

from __future__ import annotations

import attrs

from kmodel.components import kubelet, kubeletadmission
from kmodel.schedulingspec import HostPort, SchedulingSpec
from kmodel.settings import Settings
from kmodel.state import FAILED, NO_EXECUTE, RUNNING, Node, Pod, Resources, Taint, Toleration, labels_of
from tests.k8s.conftest import mkcluster

NODE = Node(name="n1", capacity=Resources(cpu=1000, memory=1000, pods=3, scalar=(("example.com/dongle", 1),)))


def admit(pod: Pod, *others: Pod, node: Node = NODE, version: str = "1.37") -> kubeletadmission.Rejection | None:
    return kubeletadmission.admit(pod, node, others, version)


def test_out_of_cpu_names_the_amounts() -> None:
    running = Pod(name="a", node_name="n1", phase=RUNNING, requests=Resources(cpu=600))
    got = admit(Pod(name="p", node_name="n1", requests=Resources(cpu=500)), running)
    assert got == kubeletadmission.Rejection(
        "OutOfcpu", "Node didn't have enough resource: cpu, requested: 500, used: 600, capacity: 1000"
    )


def test_resources_are_checked_first_in_fit_order() -> None:
    """AdmissionCheck runs NodeResourcesFit first (pods, cpu, memory, ...); the first reason wins."""
    pod = Pod(
        name="p",
        node_name="n1",
        requests=Resources(cpu=2000, memory=2000),
        node_selector=labels_of({"disk": "ssd"}),
    )
    got = admit(pod)
    assert got is not None and got.reason == "OutOfcpu"


def test_extended_resources() -> None:
    want = Pod(name="p", node_name="n1", requests=Resources(scalar=(("example.com/dongle", 2),)))
    got = admit(want)
    assert got == kubeletadmission.Rejection(
        "OutOfexample.com/dongle",
        "Node didn't have enough resource: example.com/dongle, requested: 2, used: 0, capacity: 1",
    )


def test_extended_resources_the_node_does_not_advertise_are_dropped() -> None:
    """removeMissingExtendedResources: a request of an extended resource the node has no entry for
    is left out (cluster-level and DRA-backed resources), so the pod is admitted."""
    pod = Pod(name="p", node_name="n1", requests=Resources(scalar=(("example.com/elsewhere", 4),)))
    assert admit(pod) is None


def test_node_affinity_and_ports() -> None:
    pod = Pod(name="p", node_name="n1", node_selector=labels_of({"disk": "ssd"}))
    assert admit(pod) == kubeletadmission.Rejection(
        "NodeAffinity", "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"
    )
    holder = Pod(
        name="a", node_name="n1", phase=RUNNING, scheduling=SchedulingSpec(host_ports=(HostPort(80, "TCP", ""),))
    )
    wants = Pod(name="p", node_name="n1", scheduling=SchedulingSpec(host_ports=(HostPort(80, "TCP", "10.0.0.1"),)))
    assert admit(wants, holder) == kubeletadmission.Rejection(
        "NodePorts", "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"
    )


def test_no_execute_taints_since_1_22() -> None:
    """generalFilter: an untolerated NoExecute taint gives tainttoleration's ErrReasonNotMatch
    (kubernetes PR 101218, in 1.22); before, the kubelet did not look at taints."""
    node = attrs.evolve(NODE, taints=(Taint(key="dedicated", value="infra", effect=NO_EXECUTE),))
    pod = Pod(name="p", node_name="n1")
    assert admit(pod, node=node) == kubeletadmission.Rejection(
        "TaintToleration", "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate"
    )
    assert admit(pod, node=node, version="1.21") is None
    tolerant = attrs.evolve(pod, tolerations=(Toleration(key="dedicated", operator="Exists"),))
    assert admit(tolerant, node=node) is None


def test_rejected_pods_turn_failed_with_the_reason_and_an_event() -> None:
    """rejectPod: status phase Failed, reason, message "Pod was rejected: ..."; a Warning event
    with the reason and the message. Pods are admitted oldest first, each next to the ones
    admitted before it."""
    first = Pod(name="b-first", node_name="n1", requests=Resources(cpu=700), created=0)
    second = Pod(name="a-second", node_name="n1", requests=Resources(cpu=700), created=5)
    c = mkcluster(NODE, pods=(first, second), settings=Settings(), now=10)
    (outcome,) = kubelet.step(c, "n1")
    after = outcome.state
    assert after.pod("b-first").phase == RUNNING  # type: ignore[union-attr]
    rejected = after.pod("a-second")
    assert rejected is not None and rejected.phase == FAILED and rejected.status_reason == "OutOfcpu"
    assert rejected.status_message == (
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 700, used: 700, capacity: 1000"
    )
    (event,) = [e for e in outcome.events if e.object == "pod/a-second"]
    assert (event.reason, event.type) == ("OutOfcpu", "Warning")
    # a Failed pod is never started, and the next sync leaves it alone
    assert "a-second" not in after.node("n1").running  # type: ignore[union-attr]
    again = kubelet.step(attrs.evolve(after, now=20), "n1")
    assert all(o.state.pod("a-second") == rejected for o in again)


def test_the_pod_count_counts_each_pod_once() -> None:
    """noderesources Fits: ``len(nodeInfo.Pods) + 1 > allowedPodNumber`` is Too many pods, reported
    by the kubelet as OutOfpods with requested 1 and used the number of pods already admitted.
    On a node allowing 3 pods, a third pod fits next to two; a fourth does not."""
    running = [Pod(name=f"r{i}", node_name="n1", phase=RUNNING) for i in range(3)]
    assert admit(Pod(name="p", node_name="n1"), *running[:2]) is None
    assert admit(Pod(name="p", node_name="n1"), *running) == kubeletadmission.Rejection(
        "OutOfpods", "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3"
    )


def test_a_pod_with_free_host_ports_is_admitted() -> None:
    """NodePorts fails only on a conflict (fitsPorts): a pod asking host port 8080 next to a pod
    holding port 80 is admitted."""
    holder = Pod(
        name="a", node_name="n1", phase=RUNNING, scheduling=SchedulingSpec(host_ports=(HostPort(80, "TCP", ""),))
    )
    wants = Pod(name="p", node_name="n1", scheduling=SchedulingSpec(host_ports=(HostPort(8080, "TCP", ""),)))
    assert admit(wants, holder) is None
