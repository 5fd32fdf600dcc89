"""NodeResourcesFit with extended resources, hugepages and ephemeral-storage, translated from
pkg/scheduler/framework/plugins/noderesources/fit_test.go (TestEnoughRequests, TestStorageRequests).

The node is the tests' ``makeAllocatableResources(10, 20, 32, 5, 20, 5)``: 10m cpu, 20 bytes of
memory, 32 pods, 5 ``example.com/aaa``, 20 bytes of ephemeral-storage, 5 ``hugepages-2Mi``; one pod
already runs there with the case's requests. Reasons are from the Go tests. The status codes follow
the v1.37 fit.go (``InsufficientResource.Unresolvable``: UnschedulableAndUnresolvable when the
request alone exceeds the node's allocatable), which the stored test file predates (it expects
Unschedulable throughout). Cases with init containers take the pod's request as the loader
computes it (``PodRequests``: of each resource, the largest init container or the sum of the
containers).
"""

from __future__ import annotations

import pytest

from kmodel.components.plugins import noderesources
from kmodel.components.plugins.framework import UNRESOLVABLE, UNSCHEDULABLE, CycleState
from kmodel.manifests import _largest as pod_requests_with_init
from kmodel.state import Node, Pod, Resources
from tests.k8s.conftest import case, mkcluster

A = "example.com/aaa"
B = "example.com/bbb"
K8S_A = "kubernetes.io/something"
K8S_B = "subdomain.kubernetes.io/something"
HUGE = "hugepages-2Mi"

NODE = Node(
    name="node",
    capacity=Resources(cpu=10, memory=20, pods=32, ephemeral_storage=20, scalar=((A, 5), (HUGE, 5))),
)


def res(cpu: int = 0, memory: int = 0, storage: int = 0, **scalar: int) -> Resources:
    names = {"a": A, "b": B, "k8s_a": K8S_A, "k8s_b": K8S_B, "huge": HUGE}
    return Resources(
        cpu=cpu,
        memory=memory,
        ephemeral_storage=storage,
        scalar=tuple(sorted((names[k], v) for k, v in scalar.items() if v)),
    )


def containers(*each: Resources) -> Resources:
    total = Resources()
    for r in each:
        total = total + r
    return total


def with_inits(main: Resources, *inits: Resources) -> Resources:
    out = main
    for r in inits:
        out = pod_requests_with_init(out, r)
    return out


def insufficient(name: str) -> str:
    return f"Insufficient {name}"


@pytest.mark.parametrize(
    ("name", "want", "existing", "reasons", "code"),
    [
        case("extended resource fits", res(a=1), res(), [], None),
        case("extended resource fits for init container", with_inits(res(), res(a=1)), res(), [], None),
        case(
            "extended resource capacity enforced",
            res(1, 1, a=10),
            res(a=0),
            [insufficient(A)],
            UNRESOLVABLE,
        ),
        case(
            "extended resource capacity enforced for init container",
            with_inits(res(), res(1, 1, a=10)),
            res(a=0),
            [insufficient(A)],
            UNRESOLVABLE,
        ),
        case("extended resource allocatable enforced", res(1, 1, a=1), res(a=5), [insufficient(A)], UNSCHEDULABLE),
        case(
            "extended resource allocatable enforced for init container",
            with_inits(res(), res(1, 1, a=1)),
            res(a=5),
            [insufficient(A)],
            UNSCHEDULABLE,
        ),
        case(
            "extended resource allocatable enforced for multiple containers",
            containers(res(1, 1, a=3), res(1, 1, a=3)),
            res(a=2),
            [insufficient(A)],
            UNRESOLVABLE,
        ),
        case(
            "extended resource allocatable admits multiple init containers",
            with_inits(res(), res(1, 1, a=3), res(1, 1, a=3)),
            res(a=2),
            [],
            None,
        ),
        case(
            "extended resource allocatable enforced for multiple init containers",
            with_inits(res(), res(1, 1, a=6), res(1, 1, a=3)),
            res(a=2),
            [insufficient(A)],
            UNRESOLVABLE,
        ),
        case(
            "extended resource allocatable enforced for unknown resource",
            res(1, 1, b=1),
            res(),
            [insufficient(B)],
            UNRESOLVABLE,
        ),
        case(
            "extended resource allocatable enforced for unknown resource for init container",
            with_inits(res(), res(1, 1, b=1)),
            res(),
            [insufficient(B)],
            UNRESOLVABLE,
        ),
        case(
            "kubernetes.io resource capacity enforced",
            res(1, 1, k8s_a=10),
            res(),
            [insufficient(K8S_A)],
            UNRESOLVABLE,
        ),
        case(
            "kubernetes.io resource capacity enforced for init container",
            with_inits(res(), res(1, 1, k8s_b=10)),
            res(),
            [insufficient(K8S_B)],
            UNRESOLVABLE,
        ),
        case(
            "hugepages resource capacity enforced", res(1, 1, huge=10), res(huge=0), [insufficient(HUGE)], UNRESOLVABLE
        ),
        case(
            "hugepages resource capacity enforced for init container",
            with_inits(res(), res(1, 1, huge=10)),
            res(huge=0),
            [insufficient(HUGE)],
            UNRESOLVABLE,
        ),
        case(
            "hugepages resource allocatable enforced for multiple containers",
            containers(res(1, 1, huge=3), res(1, 1, huge=3)),
            res(huge=2),
            [insufficient(HUGE)],
            UNRESOLVABLE,
        ),
        # TestStorageRequests
        case("due to container scratch disk", res(1, 1), res(10, 10), ["Insufficient cpu"], UNSCHEDULABLE),
        case("pod fit", res(1, 1), res(2, 10), [], None),
        case(
            "storage ephemeral local storage request exceeds allocatable",
            res(storage=25),
            res(2, 2),
            ["Insufficient ephemeral-storage"],
            UNRESOLVABLE,
        ),
        case("pod fits", res(storage=10), res(2, 2), [], None),
    ],
)
def test_enough_requests(name: str, want: Resources, existing: Resources, reasons: list[str], code: str | None) -> None:
    """fit_test.go TestEnoughRequests / TestStorageRequests, case ``name``."""
    running = Pod(name="existing", node_name="node", phase="Running", requests=existing)
    pod = Pod(name="pod", requests=want)
    state = CycleState.of(mkcluster(NODE, pods=(running,)), pod)
    status = noderesources.filter(state, NODE)
    if not reasons:
        assert status is None
        return
    assert status is not None
    assert list(status.reasons) == reasons and status.code == code


def test_finished_pods_do_not_count() -> None:
    """The scheduler's pod informer leaves Succeeded and Failed pods out of its cache
    (pkg/scheduler/scheduler.go: the assigned-pod field selector excludes terminal phases), so a
    Failed pod holds no resources and no pod slot."""
    node = Node(name="node", capacity=Resources(cpu=1000, memory=1000, pods=1, scalar=((A, 1),)))
    failed = Pod(name="old", node_name="node", phase="Failed", requests=res(1000, 1000, a=1))
    pod = Pod(name="pod", requests=res(1000, 1000, a=1))
    state = CycleState.of(mkcluster(node, pods=(failed,)), pod)
    assert noderesources.filter(state, node) is None


def _filter(want: Resources, existing: Resources) -> tuple[list[str], str | None]:
    running = Pod(name="existing", node_name="node", phase="Running", requests=existing)
    state = CycleState.of(mkcluster(NODE, pods=(running,)), Pod(name="pod", requests=want))
    status = noderesources.filter(state, NODE)
    return ([], None) if status is None else (list(status.reasons), status.code)


def test_ephemeral_storage_and_extended_resources_may_exactly_fill_the_node() -> None:
    """fit.go fitsRequest: a request fails only when it is greater than allocatable - requested
    (so exactly the free amount fits), and the failure is Unresolvable only when the request alone
    is greater than allocatable (exactly allocatable, with some already used, is Unschedulable:
    preemption could free it). The node has 20 of ephemeral storage and 5 of example.com/aaa."""
    assert _filter(res(storage=15), res(storage=5)) == ([], None)
    assert _filter(res(storage=16), res(storage=5)) == ([insufficient("ephemeral-storage")], UNSCHEDULABLE)
    assert _filter(res(storage=20), res(storage=5)) == ([insufficient("ephemeral-storage")], UNSCHEDULABLE)
    assert _filter(res(storage=21), res()) == ([insufficient("ephemeral-storage")], UNRESOLVABLE)
    assert _filter(res(a=5), res(a=1)) == ([insufficient(A)], UNSCHEDULABLE)
    assert _filter(res(a=4), res(a=1)) == ([], None)


def test_one_unresolvable_resource_makes_the_whole_status_unresolvable() -> None:
    """fit.go Filter: the status is UnschedulableAndUnresolvable when any insufficient resource is
    unresolvable, even if the others only lack what other pods use: cpu 11 > allocatable 10,
    memory 15 > 20 - 10 used."""
    reasons, code = _filter(res(cpu=11, memory=15), res(memory=10))
    assert reasons == [insufficient("cpu"), insufficient("memory")]
    assert code == UNRESOLVABLE


def test_least_allocated_of_a_node_with_no_cpu_or_memory_is_zero() -> None:
    """resource_allocation.go score: resources the node has none of are skipped with their weight,
    and ``if weightSum == 0 { return 0 }``."""
    empty = Node(name="empty", capacity=Resources(pods=10))
    assert noderesources.least_allocated({}, Pod(name="p"), empty) == 0
