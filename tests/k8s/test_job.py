"""Job controller, translated from pkg/controller/job/job_controller_test.go and
backoff_utils_test.go.

One ``job.sync`` is one ``syncJob`` call. The Go tests build a Job and its pods in the
informers, each pod carrying the job-tracking finalizer (so it is not counted yet); here the
pods are owned by the Job and listed in ``Job.tracked``, kmodel's stand-in for that finalizer.
Active and succeeded pods are bound to a node (a deleted one is Terminating, as with the
finalizer); failed and succeeded pods finished long ago (the Go pods carry no finish time, so
``getFinishedTime`` falls back to their creation, long before the fake clock).

The feature gates: the tables run with JobPodReplacementPolicy and JobManagedBy off unless a case
turns them on; with both off the terminal condition is not delayed. kmodel ties that to the
release: ``kubernetesVersion`` 1.30 for the gates-off cases, 1.37 (the default, where both are
on) for the cases that turn them on.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import job
from kmodel.settings import Settings
from kmodel.state import (
    FAILED,
    JOB_COMPLETE,
    JOB_FAILED,
    JOB_FAILURE_TARGET,
    JOB_SUSPENDED,
    PENDING,
    RUNNING,
    SUCCEEDED,
    Cluster,
    Job,
    Node,
    Pod,
    PodTemplate,
)
from kmodel.transition import Event

NOW = 10_000
LONG_AGO = 0
GATES_OFF = "1.30"
GATES_ON = "1.37"


def mkjob(parallelism: int, completions: int | None, backoff_limit: int, **kw: object) -> Job:
    """``newJob``: completions -1 in Go is None here (a work queue)."""
    return Job(
        name="foobar",
        template=PodTemplate(labels=(("foo", "bar"),)),
        selector=(("foo", "bar"),),
        completions=completions,
        parallelism=parallelism,
        backoff_limit=backoff_limit,
        **kw,  # type: ignore[arg-type]
    )


def mkpods(
    pending: int = 0,
    active: int = 0,
    ready: int = 0,
    succeeded: int = 0,
    failed: int = 0,
    restarts: tuple[int, ...] = (),
) -> list[Pod]:
    """``setPodsStatuses``: pending, running (the first ``ready`` of them ready), succeeded and
    failed pods of the Job."""
    out = []

    def pod(kind: str, i: int, **fields: object) -> Pod:
        return Pod(name=f"foobar-{kind}-{i}", owner="foobar", owner_kind="Job", created=LONG_AGO, **fields)  # type: ignore[arg-type]

    out += [pod("pending", i, phase=PENDING) for i in range(pending)]
    out += [
        pod("active", i, phase=RUNNING, node_name="node", ready=i < ready, restarts=restarts[i] if restarts else 0)
        for i in range(active)
    ]
    out += [pod("succeeded", i, phase=SUCCEEDED, node_name="node", finished_at=LONG_AGO) for i in range(succeeded)]
    out += [pod("failed", i, phase=FAILED, node_name="node", finished_at=LONG_AGO) for i in range(failed)]
    return out


def sync(
    j: Job,
    pods: list[Pod],
    version: str = GATES_OFF,
    record: tuple[int, int | None] | None = None,
    now: int = NOW,
) -> tuple[Cluster, Job, list[Event]]:
    j = attrs.evolve(j, tracked=frozenset(p.name for p in pods))
    memory_record = () if record is None else ((j.name, record[0], record[1] if record[1] is not None else 0),)
    c = Cluster(
        settings=Settings(kubernetes_version=version),
        now=now,
        nodes=(Node("node"),),
        pods=tuple(sorted(pods, key=lambda p: p.name)),
        jobs=(j,),
    )
    c = c.with_memory(job_backoff=memory_record)
    events: list[Event] = []
    out = job.sync(c, j, events, [])
    after = out.job(j.name)
    assert after is not None
    return out, after, events


def count(events: list[Event], reason: str) -> int:
    return sum(1 for e in events if e.reason == reason)


# --- TestControllerSyncJob --------------------------------------------------------------------

# (parallelism, completions, backoffLimit, pods, creations, deletions, active, succeeded, failed,
#  condition (type, reason) or None)
SYNC_CASES = {
    "job start": (2, 5, 6, {}, 2, 0, 2, 0, 0, None),
    "WQ job start": (2, None, 6, {}, 2, 0, 2, 0, 0, None),
    "pending pods": (2, 5, 6, {"pending": 2}, 0, 0, 2, 0, 0, None),
    "correct # of pods": (3, 5, 6, {"active": 3, "ready": 2}, 0, 0, 3, 0, 0, None),
    "WQ job: correct # of pods": (2, None, 6, {"active": 2}, 0, 0, 2, 0, 0, None),
    "too few active pods": (2, 5, 6, {"active": 1, "succeeded": 1}, 1, 0, 2, 1, 0, None),
    "too few active pods with a dynamic job": (2, None, 6, {"active": 1}, 1, 0, 2, 0, 0, None),
    "too many active pods": (2, 5, 6, {"active": 3}, 0, 1, 2, 0, 0, None),
    "count ready pods when too many active pods": (2, 5, 6, {"active": 3, "ready": 3}, 0, 1, 2, 0, 0, None),
    "failed + succeed pods: reset backoff delay": (
        2,
        5,
        6,
        {"active": 1, "succeeded": 1, "failed": 1},
        1,
        0,
        2,
        1,
        1,
        None,
    ),
    "new failed pod": (2, 5, 6, {"active": 1, "failed": 1}, 1, 0, 2, 0, 1, None),
    "job finish": (2, 5, 6, {"succeeded": 5}, 0, 0, 0, 5, 0, (JOB_COMPLETE, "")),
    "WQ job finishing": (2, None, 6, {"active": 1, "succeeded": 1}, 0, 0, 1, 1, 0, None),
    "WQ job all finished": (2, None, 6, {"succeeded": 2}, 0, 0, 0, 2, 0, (JOB_COMPLETE, "")),
    "WQ job all finished despite one failure": (
        2,
        None,
        6,
        {"succeeded": 1, "failed": 1},
        0,
        0,
        0,
        1,
        1,
        (JOB_COMPLETE, ""),
    ),
    "more active pods than parallelism": (2, 5, 6, {"active": 10}, 0, 8, 2, 0, 0, None),
    "more active pods than remaining completions": (3, 4, 6, {"active": 3, "succeeded": 2}, 0, 1, 2, 2, 0, None),
    "status change": (2, 5, 6, {"active": 2, "succeeded": 2}, 0, 0, 2, 2, 0, None),
    # the Go case also marks the Job as being deleted, which changes nothing on the failure path
    "too many job failures": (2, 5, 0, {"failed": 1}, 0, 0, 0, 0, 1, (JOB_FAILED, "BackoffLimitExceeded")),
    # the two active pods are deleted and count as failed with the one that failed
    "count ready pods when job fails": (
        2,
        3,
        0,
        {"active": 2, "ready": 2, "failed": 1},
        0,
        2,
        0,
        0,
        3,
        (JOB_FAILED, "BackoffLimitExceeded"),
    ),
}


@pytest.mark.parametrize("name", list(SYNC_CASES))
def test_controller_sync_job(name: str) -> None:
    """job_controller_test.go TestControllerSyncJob (the NonIndexed cases without pod
    controller errors, expectations, finalizer patches or podReplacementPolicy)."""
    par, comp, limit, pods, creations, deletions, active, succeeded, failed, cond = SYNC_CASES[name]
    _, after, events = sync(mkjob(par, comp, limit), mkpods(**pods))  # type: ignore[arg-type]
    assert count(events, "SuccessfulCreate") == creations
    assert count(events, "SuccessfulDelete") == deletions
    assert (after.status_active, after.status_succeeded, after.status_failed) == (active, succeeded, failed)
    assert after.start_time is not None
    if cond is None:
        assert not after.finished
    else:
        assert after.condition(cond[0]) == cond[1]


def test_controller_sync_job_too_few_active_pods_and_active_backoff() -> None:
    """TestControllerSyncJob "too few active pods and active back-off": a record of one failure
    at the controller's own time: no pod is created (10 s to wait)."""
    _, after, events = sync(mkjob(1, 1, 6), [], record=(1, NOW))
    assert count(events, "SuccessfulCreate") == 0 and after.status_active == 0


def test_controller_sync_job_too_few_active_pods_and_no_backoffs() -> None:
    """TestControllerSyncJob "too few active pods and no back-offs": a record with no failures
    does not hold creation back."""
    _, after, events = sync(mkjob(1, 1, 6), [], record=(0, NOW))
    assert count(events, "SuccessfulCreate") == 1 and after.status_active == 1


def test_controller_sync_job_suspending_a_job() -> None:
    """TestControllerSyncJob "suspending a job with satisfied expectations": both active pods
    are deleted, condition Suspended=True reason JobSuspended."""
    _, after, events = sync(mkjob(2, 4, 6, suspend=True), mkpods(active=2))
    assert count(events, "SuccessfulCreate") == 0 and count(events, "SuccessfulDelete") == 2
    assert after.status_active == 0
    assert after.conditions == ((JOB_SUSPENDED, "JobSuspended"),)


def test_controller_sync_job_count_terminating_pods_when_job_fails_with_gates_on() -> None:
    """TestControllerSyncJob "count terminating pods when indexed job fails and PodReplacementPolicy
    enabled" (its NonIndexed counterpart): with the gates on the deleted pod is terminating, so
    only FailureTarget is added."""
    _, after, events = sync(mkjob(2, 3, 0), mkpods(succeeded=1, failed=1, active=1), version=GATES_ON)
    assert count(events, "SuccessfulDelete") == 1
    assert (after.status_succeeded, after.status_failed) == (1, 2)
    assert after.conditions == ((JOB_FAILURE_TARGET, "BackoffLimitExceeded"),)


# --- TestSyncJobPastDeadline -------------------------------------------------------------------

# (parallelism, completions, activeDeadlineSeconds, startTime (seconds ago), backoffLimit,
#  active, succeeded, failed, deletions, active, succeeded, failed, version, conditions)
DEADLINE_CASES = {
    "activeDeadlineSeconds less than single pod execution": (
        1,
        1,
        10,
        15,
        6,
        1,
        0,
        0,
        1,
        0,
        0,
        1,
        GATES_OFF,
        ((JOB_FAILED, "DeadlineExceeded"),),
    ),
    "activeDeadlineSeconds bigger than single pod execution": (
        1,
        2,
        10,
        15,
        6,
        1,
        1,
        0,
        1,
        0,
        1,
        1,
        GATES_OFF,
        ((JOB_FAILED, "DeadlineExceeded"),),
    ),
    "activeDeadlineSeconds times-out before any pod starts": (
        1,
        1,
        10,
        10,
        6,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        GATES_OFF,
        ((JOB_FAILED, "DeadlineExceeded"),),
    ),
    "activeDeadlineSeconds with backofflimit reach": (
        1,
        1,
        1,
        10,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        1,
        GATES_OFF,
        ((JOB_FAILED, "BackoffLimitExceeded"),),
    ),
    "activeDeadlineSeconds exceeded; JobPodReplacementPolicy enabled": (
        1,
        2,
        10,
        15,
        6,
        1,
        1,
        0,
        1,
        0,
        1,
        1,
        GATES_ON,
        ((JOB_FAILURE_TARGET, "DeadlineExceeded"),),
    ),
    "activeDeadlineSeconds exceeded and backofflimit reached; JobManagedBy enabled": (
        1,
        1,
        1,
        10,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        1,
        GATES_ON,
        ((JOB_FAILURE_TARGET, "BackoffLimitExceeded"), (JOB_FAILED, "BackoffLimitExceeded")),
    ),
}


@pytest.mark.parametrize("name", list(DEADLINE_CASES))
def test_sync_job_past_deadline(name: str) -> None:
    """job_controller_test.go TestSyncJobPastDeadline."""
    par, comp, ads, ago, limit, a, s, f, dels, e_active, e_succ, e_failed, version, conds = DEADLINE_CASES[name]
    j = mkjob(par, comp, limit, active_deadline_seconds=ads, start_time=NOW - ago)
    _, after, events = sync(j, mkpods(active=a, succeeded=s, failed=f), version=version)
    assert count(events, "SuccessfulCreate") == 0
    assert count(events, "SuccessfulDelete") == dels
    assert (after.status_active, after.status_succeeded, after.status_failed) == (e_active, e_succ, e_failed)
    assert after.conditions == conds


def test_sync_job_past_deadline_not_triggered_when_suspended() -> None:
    """TestSyncJobPastDeadline "activeDeadlineSeconds is not triggered when Job is suspended"."""
    j = mkjob(1, 2, 6, active_deadline_seconds=10, start_time=NOW - 15, suspend=True)
    _, after, _ = sync(j, [])
    assert after.conditions == ((JOB_SUSPENDED, "JobSuspended"),)


def test_sync_job_deadline_exceeded_event() -> None:
    """TestSyncJobPastDeadline's condition message, and recordJobFinished's Warning event."""
    j = mkjob(1, 1, 6, active_deadline_seconds=10, start_time=NOW - 10)
    _, _, events = sync(j, [])
    (e,) = [e for e in events if e.reason == "DeadlineExceeded"]
    assert (e.type, e.message) == ("Warning", "Job was active longer than specified deadline")


def test_sync_job_complete() -> None:
    """job_controller_test.go TestSyncJobComplete: syncing a Complete Job leaves its one
    condition as it was."""
    j = mkjob(1, 1, 6, conditions=((JOB_COMPLETE, ""),))
    c, after, events = sync(j, [])
    assert after.conditions == ((JOB_COMPLETE, ""),) and not events
    assert not c.pods


def test_single_job_failed_condition() -> None:
    """TestSingleJobFailedCondition: past its deadline with no pods, the Job gets exactly one
    Failed condition, status True, and nothing is deleted."""
    j = mkjob(1, 1, 6, active_deadline_seconds=10, start_time=NOW - 15)
    _, after, events = sync(j, [])
    assert [c for c in after.conditions if c[0] == JOB_FAILED] == [(JOB_FAILED, "DeadlineExceeded")]
    assert count(events, "SuccessfulDelete") == 0


# --- TestJobBackoffForOnFailure / TestJobBackoffOnRestartPolicyNever -----------------------------

# (parallelism, completions, backoffLimit, restartCounts, phase, active, succeeded, failed, reason)
ON_FAILURE_CASES = {
    "backoffLimit 0 should have 1 pod active": (1, 1, 0, (0,), RUNNING, 1, 0, 0, None),
    "backoffLimit 1 with restartCount 0 should have 1 pod active": (1, 1, 1, (0,), RUNNING, 1, 0, 0, None),
    "backoffLimit 1 with restartCount 1 and podRunning should have 0 pod active": (
        1,
        1,
        1,
        (1,),
        RUNNING,
        0,
        0,
        1,
        "BackoffLimitExceeded",
    ),
    "backoffLimit 1 with restartCount 1 and podPending should have 0 pod active": (
        1,
        1,
        1,
        (1,),
        PENDING,
        0,
        0,
        1,
        "BackoffLimitExceeded",
    ),
    "too many job failures with podRunning - single pod": (1, 5, 2, (2,), RUNNING, 0, 0, 1, "BackoffLimitExceeded"),
    "too many job failures with podPending - single pod": (1, 5, 2, (2,), PENDING, 0, 0, 1, "BackoffLimitExceeded"),
    "too many job failures with podRunning - multiple pods": (
        2,
        5,
        2,
        (1, 1),
        RUNNING,
        0,
        0,
        2,
        "BackoffLimitExceeded",
    ),
    "too many job failures with podPending - multiple pods": (
        2,
        5,
        2,
        (1, 1),
        PENDING,
        0,
        0,
        2,
        "BackoffLimitExceeded",
    ),
    "not enough failures": (2, 5, 3, (1, 1), RUNNING, 2, 0, 0, None),
}


@pytest.mark.parametrize("name", list(ON_FAILURE_CASES))
def test_job_backoff_for_on_failure(name: str) -> None:
    """job_controller_test.go TestJobBackoffForOnFailure: with restartPolicy OnFailure the
    restarts of the running and pending pods count against backoffLimit."""
    par, comp, limit, restarts, phase, active, succeeded, failed, reason = ON_FAILURE_CASES[name]
    pods = [
        Pod(
            name=f"foobar-{i}",
            owner="foobar",
            owner_kind="Job",
            phase=phase,
            node_name="node",
            restarts=n,
            restart_policy="OnFailure",
        )
        for i, n in enumerate(restarts)
    ]
    _, after, _ = sync(mkjob(par, comp, limit, restart_policy="OnFailure"), pods)
    assert (after.status_active, after.status_succeeded, after.status_failed) == (active, succeeded, failed)
    if reason is None:
        assert not after.finished
    else:
        assert after.condition(JOB_FAILED) == reason


# (parallelism, completions, backoffLimit, active, failed, active, failed, finished)
NEVER_CASES = {
    "not enough failures with backoffLimit 0 - single pod": (1, 1, 0, 1, 0, 1, 0, False),
    "not enough failures with backoffLimit 1 - single pod": (1, 1, 1, 0, 1, 1, 1, False),
    "too many failures with backoffLimit 1 - single pod": (1, 1, 1, 0, 2, 0, 2, True),
    "not enough failures with backoffLimit 6 - multiple pods": (2, 2, 6, 1, 6, 2, 6, False),
    "too many failures with backoffLimit 6 - multiple pods": (2, 2, 6, 0, 7, 0, 7, True),
}


@pytest.mark.parametrize("name", list(NEVER_CASES))
def test_job_backoff_on_restart_policy_never(name: str) -> None:
    """job_controller_test.go TestJobBackoffOnRestartPolicyNever: failed pods beyond
    backoffLimit fail the Job; below it the missing pods are created (the failures finished
    long ago, so no back-off holds them)."""
    par, comp, limit, active, failed, e_active, e_failed, finished = NEVER_CASES[name]
    _, after, _ = sync(mkjob(par, comp, limit), mkpods(active=active, failed=failed))
    assert (after.status_active, after.status_failed) == (e_active, e_failed)
    assert after.finished == finished
    if finished:
        assert after.condition(JOB_FAILED) == "BackoffLimitExceeded"


# --- backoff_utils_test.go ---------------------------------------------------------------------

T = 1_000  # defaultTestTime (kmodel's times are whole seconds; the Go test's milliseconds are seconds here)

# (stored record (failures, last), succeeded finish times, failed finish times, want record)
RECORD_CASES = {
    "Empty backoff store and one new failure": ((0, None), [], [T], (1, T)),
    "Empty backoff store and two new failures": ((0, None), [], [T, T - 1], (2, T)),
    "Empty backoff store, two failures followed by success": ((0, None), [T], [T - 2, T - 1], (0, None)),
    "Empty backoff store, two failures, one success and two more failures": (
        (0, None),
        [T - 2],
        [T, T - 4, T - 3, T - 1],
        (2, T),
    ),
    "Backoff store having failure count 2 and one new failure": ((2, None), [], [T], (3, T)),
    "Empty backoff store with success and failure at same timestamp": ((0, None), [T], [T], (0, None)),
    "Empty backoff store with no success/failure": ((0, None), [], [], (0, None)),
    "Empty backoff store with one success": ((0, None), [T], [], (0, None)),
}


@pytest.mark.parametrize("name", list(RECORD_CASES))
def test_new_backoff_record(name: str) -> None:
    """backoff_utils_test.go TestNewBackoffRecord."""
    stored, succeeded, failed, want = RECORD_CASES[name]
    assert job.new_backoff_record(*stored, succeeded, failed) == want


# (failures, last failure, now, default, max, want)
REMAINING_CASES = {
    "no failures": (0, None, T, 5, 700, 0),
    "one failure; current time and failure time are same": (1, T, T, 5, 700, 5),
    "one failure; current time == 1 second + failure time": (1, T, T + 1, 5, 700, 4),
    "one failure; current time == expected backoff time": (1, T, T + 5, 5, 700, 0),
    "one failure; current time == expected backoff time + 1 Second": (1, T, T + 6, 5, 700, 0),
    "three failures; current time and failure time are same": (3, T, T, 5, 700, 20),
    "eight failures; current time and failure time are same; backoff not exceeding maxBackoff": (8, T, T, 5, 700, 640),
    "nine failures; current time and failure time are same; backoff exceeding maxBackoff": (9, T, T, 5, 700, 700),
}


@pytest.mark.parametrize("name", list(REMAINING_CASES))
def test_get_remaining_backoff_time(name: str) -> None:
    """backoff_utils_test.go TestGetRemainingBackoffTime."""
    failures, last, now, default, most, want = REMAINING_CASES[name]
    assert job.remaining_backoff(failures, last, now, default, most) == want


def test_default_backoff_constants() -> None:
    """job_controller.go: DefaultJobPodFailureBackOff 10 s, MaxJobPodFailureBackOff 10 min."""
    assert (job.DEFAULT_BACKOFF, job.MAX_BACKOFF) == (10, 600)
    assert [job.backoff_delay(n) for n in range(1, 9)] == [10, 20, 40, 80, 160, 320, 600, 600]


@pytest.mark.parametrize(
    ("name", "pod", "want"),
    [
        ("Pod with multiple containers and all containers terminated", Pod("p", finished_at=T, created=0), T),
        ("fallback to deletionTimestamp", Pod("p", deletion_timestamp=T, created=0), T),
        ("fallback to creationTimestamp", Pod("p", created=T), T),
    ],
)
def test_get_finished_time(name: str, pod: Pod, want: int) -> None:
    """backoff_utils_test.go TestGetFinishedTime (the cases kmodel's single-container pods can
    show; kmodel records the deletion request time, the deletionTimestamp less the grace
    period)."""
    assert job.finish_time(pod) == want


def test_controller_sync_job_resuming_a_suspended_job() -> None:
    """TestControllerSyncJob "resuming a suspended job": two pods are created and the Suspended
    condition turns False with reason JobResumed (kmodel keeps only True conditions: it goes,
    with the event Resumed); startTime restarts at the resume."""
    j = mkjob(2, 4, 6, conditions=((JOB_SUSPENDED, "JobSuspended"),))
    _, after, events = sync(j, [])
    assert count(events, "SuccessfulCreate") == 2 and count(events, "SuccessfulDelete") == 0
    assert after.status_active == 2
    assert after.condition(JOB_SUSPENDED) is None
    assert [e.message for e in events if e.reason == "Resumed"] == ["Job resumed"]
    assert after.start_time == NOW
