"""The Priority admission plugin, translated from plugin/pkg/admission/priority/admission_test.go
(TestPodAdmission, TestPriorityClassAdmission, TestDefaultPriority).

``apiserver.admit_priority`` is the plugin's Admit for a pod create: the pod with its priority
resolved, or the reason it is forbidden. ``apiserver.admit_priority_class`` is its Validate for a
PriorityClass create or update, ``apiserver.default_priority_class`` its getDefaultPriority. The
built-in system classes always exist in kmodel (the apiserver creates them at start-up), so the
Go cases that list ``systemClusterCritical`` among the existing classes need nothing more. The
Go ``systemClusterCritical`` fixture marks the class globalDefault; kmodel's built-in one is not
(the real one is not either), which changes none of these cases' expectations.
"""

from __future__ import annotations

import pytest

from kmodel.components import apiserver
from kmodel.schedulingspec import PREEMPT_LOWER_PRIORITY, PREEMPT_NEVER, SchedulingSpec
from kmodel.state import Pod, PriorityClass
from tests.k8s.conftest import mkcluster

DEFAULT1 = PriorityClass("default1", 1000, global_default=True)
DEFAULT2 = PriorityClass("default2", 2000, global_default=True)
NONDEFAULT1 = PriorityClass("nondefault1", 2000, description="Just a test priority class")
NEVER_CLASS = PriorityClass("nopreemptionpolicy", 2000, global_default=True, preemption_policy=PREEMPT_NEVER)
LOWER_CLASS = PriorityClass("nopreemptionpolicy", 2000, global_default=True, preemption_policy=PREEMPT_LOWER_PRIORITY)
SYSTEM_CRITICAL = 2_000_000_000


def pod(
    name: str, class_name: str = "", priority: int | None = None, policy: str | None = None, created: int = 0
) -> Pod:
    spec = SchedulingSpec(
        priority_class_name=class_name, requested_priority=priority, requested_preemption_policy=policy
    )
    return Pod(name=name, scheduling=spec, created=created)


POD_CASES = [
    pytest.param(
        [DEFAULT1, NONDEFAULT1], pod("pod-w-priorityclass", "default1"), 1000, None, id="Pod with priority class"
    ),
    pytest.param([DEFAULT1], pod("pod-wo-priorityclass"), 1000, None, id="Pod without priority class"),
    pytest.param(
        [], pod("pod-wo-priorityclass"), 0, None, id="pod without priority class and no existing priority class"
    ),
    pytest.param(
        [NONDEFAULT1], pod("pod-wo-priorityclass"), 0, None, id="pod without priority class and no default class"
    ),
    pytest.param(
        [],
        pod("pod-w-system-priority", "system-cluster-critical"),
        SYSTEM_CRITICAL,
        None,
        id="pod with a system priority class",
    ),
    pytest.param(
        [DEFAULT1, NONDEFAULT1],
        pod("pod-w-non-existing-priorityclass", "non-existing"),
        None,
        "no PriorityClass with name non-existing was found",
        id="Pod with non-existing priority class",
    ),
    pytest.param(
        [],
        pod("pod-w-integer-priority", "default1", priority=1000),
        None,
        "no PriorityClass with name default1 was found",
        id="pod with integer priority",
    ),
    pytest.param(
        [],
        pod("mirror-pod-w-system-priority", "system-cluster-critical"),
        SYSTEM_CRITICAL,
        None,
        id="mirror pod with system priority class",
    ),
    pytest.param(
        [],
        pod("mirror-pod-w-integer-priority", "default1", priority=1000),
        None,
        "no PriorityClass with name default1 was found",
        id="mirror pod with integer priority",
    ),
    pytest.param(
        [],
        pod("pod-w-system-priority-in-nonsystem-namespace", "system-cluster-critical"),
        SYSTEM_CRITICAL,
        None,
        id="pod with system critical priority in non-system namespace",
    ),
    pytest.param(
        [NONDEFAULT1],
        pod("pod-w-zero-priority-in-nonsystem-namespace", priority=0),
        0,
        None,
        id="pod with priority that matches computed priority",
    ),
    pytest.param(
        [DEFAULT2],
        pod("pod-w-priority-matching-default-priority", priority=2000),
        2000,
        None,
        id="pod with priority that matches default priority",
    ),
    pytest.param(
        [],
        pod("pod-w-priority-matching-resolved-default-priority", "system-cluster-critical", priority=SYSTEM_CRITICAL),
        SYSTEM_CRITICAL,
        None,
        id="pod with priority that matches resolved priority",
    ),
    pytest.param(
        [LOWER_CLASS],
        pod("pod-never-preemption-policy-matching-resolved-preemption-policy", "nopreemptionpolicy", priority=2000),
        2000,
        None,
        id="pod with nil preemtpion policy",
    ),
    pytest.param(
        [LOWER_CLASS],
        pod(
            "pod-preemption-policy-matching-resolved-preemption-policy",
            "nopreemptionpolicy",
            priority=2000,
            policy=PREEMPT_LOWER_PRIORITY,
        ),
        2000,
        None,
        id="pod with preemtpion policy that matches resolved preemtpion policy",
    ),
    pytest.param(
        [LOWER_CLASS],
        pod(
            "pod-preemption-policy-not-matching-resolved-preemption-policy",
            "nopreemptionpolicy",
            priority=2000,
            policy=PREEMPT_NEVER,
        ),
        None,
        "the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission "
        "controller computed PreemptLowerPriority from the given PriorityClass name",
        id="pod with preemtpion policy that does't matches resolved preemtpion policy",
    ),
]


@pytest.mark.parametrize(("classes", "new", "priority", "error"), POD_CASES)
def test_pod_admission(classes: list[PriorityClass], new: Pod, priority: int | None, error: str | None) -> None:
    """admission_test.go TestPodAdmission: the priority admission computes, or the refusal (the
    Go test checks only that there is an error; kmodel's text is the plugin's)."""
    c = mkcluster(priority_classes=tuple(sorted(classes, key=lambda pc: pc.name)))
    admitted = apiserver.admit_priority(new, c)
    if error is not None:
        assert admitted == error
    else:
        assert isinstance(admitted, Pod)
        assert admitted.priority == priority


def test_a_written_priority_that_differs_is_forbidden() -> None:
    """admission.go admitPod: a spec.priority other than the class's value is refused with the
    plugin's message."""
    c = mkcluster(priority_classes=(DEFAULT1,))
    assert apiserver.admit_priority(pod("p", "default1", priority=5), c) == (
        "the integer value of priority (5) must not be provided in pod spec; priority admission controller "
        "computed 1000 from the given PriorityClass name"
    )


def test_the_class_preemption_policy_and_default_name_are_filled_in() -> None:
    """admitPod sets spec.preemptionPolicy from the class, and a pod naming no class gets the
    global default's name."""
    c = mkcluster(priority_classes=(NEVER_CLASS,))
    admitted = apiserver.admit_priority(pod("p"), c)
    assert isinstance(admitted, Pod)
    assert admitted.scheduling.priority_class_name == "nopreemptionpolicy"
    assert admitted.scheduling.preemption_policy == PREEMPT_NEVER and admitted.priority == 2000


@pytest.mark.parametrize(
    ("existing", "new", "error"),
    [
        pytest.param([], DEFAULT1, False, id="create operator with default class"),
        pytest.param([DEFAULT1], DEFAULT2, True, id="create operator with one existing default class"),
        pytest.param([], DEFAULT1, False, id="update operator with default class"),
        pytest.param([DEFAULT1], DEFAULT2, True, id="update operator with one existing default class"),
        pytest.param([DEFAULT1], DEFAULT2, True, id="update operator with different default classes"),
    ],
)
def test_priority_class_admission(existing: list[PriorityClass], new: PriorityClass, error: bool) -> None:
    """admission_test.go TestPriorityClassAdmission (the create and update cases are the same
    check: another class is already the default)."""
    c = mkcluster(priority_classes=tuple(existing))
    reason = apiserver.admit_priority_class(c, new)
    assert (reason is not None) is error
    if error:
        assert reason == "PriorityClass default1 is already marked as default. Only one default can exist"


@pytest.mark.parametrize(
    ("before", "after", "want_before", "want_after"),
    [
        pytest.param(
            [DEFAULT1], [DEFAULT1], ("default1", 1000), ("default1", 1000), id="simple resolution with a default class"
        ),
        pytest.param([NONDEFAULT1], [DEFAULT1, NONDEFAULT1], ("", 0), ("default1", 1000), id="add a default class"),
        pytest.param(
            [DEFAULT1, DEFAULT2],
            [DEFAULT2],
            ("default1", 1000),
            ("default2", 2000),
            id="multiple default classes resolves to the minimum value among them",
        ),
        pytest.param([DEFAULT1], [], ("default1", 1000), ("", 0), id="delete default priority class"),
        pytest.param(
            [DEFAULT1],
            [PriorityClass("default1", 1000)],
            ("default1", 1000),
            ("", 0),
            id="update default class and remove its global default",
        ),
    ],
)
def test_default_priority(
    before: list[PriorityClass],
    after: list[PriorityClass],
    want_before: tuple[str, int],
    want_after: tuple[str, int],
) -> None:
    """admission_test.go TestDefaultPriority: getDefaultPriority's (class name, value) before
    and after the change ("" and 0 when there is no default class)."""
    for classes, want in ((before, want_before), (after, want_after)):
        c = mkcluster(priority_classes=tuple(classes))
        pc = apiserver.default_priority_class(c)
        assert ((pc.name, pc.value) if pc else ("", 0)) == want


def test_the_built_in_classes_have_the_system_critical_values() -> None:
    """pkg/apis/scheduling/types.go: SystemCriticalPriority = 2 * HighestUserDefinablePriority
    (2,000,000,000); system-cluster-critical has that value and system-node-critical
    SystemCriticalPriority + 1000, which a pod naming it gets at admission."""
    c = mkcluster()
    for name, value in (("system-cluster-critical", SYSTEM_CRITICAL), ("system-node-critical", SYSTEM_CRITICAL + 1000)):
        admitted = apiserver.admit_priority(Pod(name="p", scheduling=SchedulingSpec(priority_class_name=name)), c)
        assert isinstance(admitted, Pod) and admitted.priority == value, name
