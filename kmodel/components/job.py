"""Job controller (pkg/controller/job: job_controller.go ``syncJob`` / ``manageJob``, and
backoff_utils.go), for NonIndexed Jobs.

One step syncs every Job that has not finished:

- its pods are the ones whose controllerRef names it (kmodel's Jobs own the pods they create;
  the generated selector and adoption are left out). Active pods: not Succeeded / Failed and not
  being deleted;
- counting: a pod the Job created is counted once, as succeeded when it reaches Succeeded, as
  failed when it reaches Failed or is being deleted without having succeeded (``isPodFailed``,
  with the default podReplacementPolicy TerminatingOrFailed), or is gone without having been
  counted. The real controller marks the pods it has not counted yet with the
  ``batch.kubernetes.io/job-tracking`` finalizer, which keeps a pod object until it is counted;
  kmodel leaves the finalizer out and keeps the names of those pods on the Job instead
  (``Job.tracked``), so a pod removed before the controller saw it still counts, as a failure
  (a pod that succeeded and was removed within one tick would be miscounted so; the finalizer
  prevents that in Kubernetes);
- ``status.startTime`` is set at the first sync of a Job that is not suspended;
- the Job fails (reason BackoffLimitExceeded, "Job has reached the specified backoff limit")
  when its failed pods exceed ``backoffLimit`` (default 6), or, with restartPolicy OnFailure,
  when the restarts of its running and pending pods reach it (``pastBackoffLimitOnFailure``);
  else with DeadlineExceeded ("Job was active longer than specified deadline") once
  ``activeDeadlineSeconds`` have passed since startTime. Its active pods are then deleted;
- otherwise ``manageJob``: a suspended Job's active pods are deleted; else it wants
  min(completions - succeeded, parallelism) active pods (a work queue Job without completions:
  parallelism until one pod has succeeded, then no new ones). Surplus pods are deleted
  (``activePodsForRemoval``: not yet scheduled, pending, not ready first); missing ones are
  created (at most 500 a sync), named ``<job>-<5 characters>``, unless the pod failure
  back-off has not passed;
- the back-off (backoff_utils.go): the controller's in-memory record counts the failures since
  the last success (``failuresAfterLastSuccess``) and the finish time of the last one; new pods
  wait ``10 s * 2^(failures - 1)``, at most 10 minutes (``DefaultJobPodFailureBackOff``,
  ``MaxJobPodFailureBackOff``), counted from that finish time (the container's exit, or the
  deletion). A success resets the count (failures that finished after it still count). The
  record lives in the controller-manager's memory and is lost when it restarts;
- finishing (Kubernetes 1.31 on, where ``delayTerminalCondition`` holds by default): the
  interim condition (FailureTarget, or SuccessCriteriaMet when ``succeeded >= completions`` and
  nothing is active) is added first; the terminal one (Failed, or Complete with
  ``status.completionTime``) once no pod of the Job is terminating, with the event
  BackoffLimitExceeded / DeadlineExceeded (Warning) or Completed. Older releases add the
  terminal condition at once;
- suspend: condition Suspended=True and event Suspended; when the Job is resumed the condition
  goes and startTime restarts (event Resumed).

Events: SuccessfulCreate "Created pod: x", SuccessfulDelete "Deleted pod: x", Completed,
BackoffLimitExceeded, DeadlineExceeded, Suspended, Resumed.

Left out: Indexed Jobs, podFailurePolicy, backoffLimitPerIndex, successPolicy,
podReplacementPolicy Failed, ttlSecondsAfterFinished (all refused by the field policy), the
tracking finalizer (see above), status.ready and status.terminating, expectations (the model's
controller reads the current state), the TooManySucceededPods event.
"""

from __future__ import annotations

import attrs

from kmodel import versions
from kmodel.components import apiserver, replicaset
from kmodel.state import (
    FAILED,
    JOB_COMPLETE,
    JOB_FAILED,
    JOB_FAILURE_TARGET,
    JOB_SUCCESS_CRITERIA_MET,
    JOB_SUSPENDED,
    PENDING,
    RUNNING,
    SUCCEEDED,
    Cluster,
    Job,
    Pod,
    labels_of,
)
from kmodel.transition import Event, Outcome

SOURCE = "job-controller"
OWNER_KIND = "Job"
# job_controller.go
DEFAULT_BACKOFF = 10  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 600  # MaxJobPodFailureBackOff (10 minutes)
MAX_CREATE_DELETE_PER_SYNC = 500  # MaxPodCreateDeletePerSync
# failures beyond this give the same delay (10 s * 2^6 = 640 s > 10 min): the record's count is
# capped here, so that it does not grow without bound in the model's states
BACKOFF_FAILURES_CAP = 7
BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
LABEL_JOB_NAME = "batch.kubernetes.io/job-name"
LABEL_LEGACY_JOB_NAME = "job-name"


# --- back-off (backoff_utils.go) -----------------------------------------------------------------


def backoff_delay(failures: int, default: int = DEFAULT_BACKOFF, most: int = MAX_BACKOFF) -> int:
    """``getRemainingTimeForFailuresCount``'s delay after ``failures`` consecutive failures:
    10 s doubled for each further failure, at most 10 minutes (0 without failures)."""
    if failures <= 0:
        return 0
    delay = default
    for _ in range(1, failures):
        delay *= 2
        if delay >= most:
            return most
    return delay


def remaining_backoff(
    failures: int, last_failure: int | None, now: int, default: int = DEFAULT_BACKOFF, most: int = MAX_BACKOFF
) -> int:
    """Seconds until new pods may be created (``getRemainingTime``)."""
    if failures == 0 or last_failure is None:
        return 0
    delay = backoff_delay(failures, default, most)
    elapsed = now - last_failure
    return 0 if delay < elapsed else delay - elapsed


def finish_time(pod: Pod) -> int:
    """``getFinishedTime``: when its containers ended, else when it was deleted (kmodel records
    the request time, the deletionTimestamp minus the grace period), else its creation."""
    if pod.finished_at is not None:
        return pod.finished_at
    if pod.deletion_timestamp is not None:
        return pod.deletion_timestamp
    return pod.created


def new_backoff_record(
    failures: int, last_failure: int | None, succeeded: list[int], failed: list[int]
) -> tuple[int, int | None]:
    """``newBackoffRecord`` from the old record and the finish times of the newly succeeded and
    newly failed pods: (failuresAfterLastSuccess, lastFailureTime)."""
    succeeded, failed = sorted(succeeded), sorted(failed)
    if not succeeded:
        if not failed:
            return failures, last_failure
        return failures + len(failed), failed[-1]
    if not failed:
        return 0, None
    last_success = succeeded[-1]
    after = [t for t in failed if t > last_success]
    return len(after), (after[-1] if after else None)


def backoff_record(cluster: Cluster, name: str) -> tuple[int, int | None]:
    for job, failures, last in cluster.memory.job_backoff:
        if job == name:
            return failures, last
    return 0, None


def _set_record(cluster: Cluster, name: str, record: tuple[int, int | None] | None) -> Cluster:
    kept = [r for r in cluster.memory.job_backoff if r[0] != name]
    if record is not None and record != (0, None):
        failures, last = record
        kept.append((name, min(failures, BACKOFF_FAILURES_CAP), last if last is not None else 0))
    new = tuple(sorted(kept))
    if new == cluster.memory.job_backoff:
        return cluster
    return cluster.with_memory(job_backoff=new)


# --- the sync ----------------------------------------------------------------------------------


def owned_pods(cluster: Cluster, job: Job) -> list[Pod]:
    return [p for p in cluster.pods if p.owned_by(OWNER_KIND, job.name)]


def is_failed(pod: Pod) -> bool:
    """``isPodFailed`` with podReplacementPolicy TerminatingOrFailed: Failed, or being deleted
    without having succeeded."""
    return pod.phase == FAILED or (pod.deletion_timestamp is not None and pod.phase != SUCCEEDED)


def is_terminating(pod: Pod) -> bool:
    """``CountTerminatingPods``: being deleted and not finished."""
    return pod.deletion_timestamp is not None and pod.phase not in (SUCCEEDED, FAILED)


def past_backoff_limit_on_failure(job: Job, pods: list[Pod]) -> bool:
    """``pastBackoffLimitOnFailure``: with restartPolicy OnFailure, the restarts of the running
    and pending pods reach backoffLimit (exceed it when the limit is 0)."""
    if job.restart_policy != "OnFailure":
        return False
    restarts = sum(p.restarts for p in pods if p.phase in (RUNNING, PENDING))
    if job.backoff_limit == 0:
        return restarts > 0
    return restarts >= job.backoff_limit


def past_active_deadline(job: Job, now: int) -> bool:
    if job.active_deadline_seconds is None or job.start_time is None or job.suspend:
        return False
    return now - job.start_time >= job.active_deadline_seconds


def delays_terminal_condition(version: str) -> bool:
    """``delayTerminalCondition``: FailureTarget / SuccessCriteriaMet first, the terminal
    condition once no pod is terminating (JobManagedBy / JobPodReplacementPolicy, 1.31 on:
    :func:`kmodel.versions.job_delays_terminal_condition`)."""
    return versions.job_delays_terminal_condition(version)


def new_pod(job: Job, now: int, taken: set[str]) -> tuple[Pod, Job]:
    """A pod from the template (generateName ``<job>-``), owned by the Job."""
    while (name := f"{job.name}-{apiserver.name_suffix(job.name, job.next_pod)}") in taken:
        job = attrs.evolve(job, next_pod=job.next_pod + 1)
    t = job.template
    labels = dict(t.labels)
    labels[LABEL_JOB_NAME] = job.name
    labels[LABEL_LEGACY_JOB_NAME] = job.name
    pod = t.new_pod(
        name,
        job.name,
        OWNER_KIND,
        labels=labels_of(labels),
        created=now,
        restart_policy=job.restart_policy,
        behaviour=job.behaviour,
    )
    return pod, attrs.evolve(job, next_pod=job.next_pod + 1)


def _delete(cluster: Cluster, job: Job, pods: list[Pod], events: list[Event], notes: list[str], why: str) -> Cluster:
    out = cluster
    for pod in pods:
        out = apiserver.delete_pod(out, pod.name)
        events.append(Event(cluster.now, SOURCE, "SuccessfulDelete", f"job/{job.name}", f"Deleted pod: {pod.name}"))
    if pods:
        notes.append(f"{job.name}: delete {', '.join(p.name for p in pods)} ({why})")
    return out


def _want_active(job: Job, succeeded: int, active: int) -> int:
    if job.completions is None:
        return active if succeeded > 0 else job.parallelism
    return max(0, min(job.completions - succeeded, job.parallelism))


def sync(cluster: Cluster, job: Job, events: list[Event], notes: list[str]) -> Cluster:
    now = cluster.now
    if job.finished:
        return _set_record(cluster, job.name, None)
    pods = owned_pods(cluster, job)
    by_name = {p.name: p for p in pods}
    active_pods = [p for p in pods if p.active]

    # count the pods that finished since the last sync (the tracking finalizer's work)
    new_succeeded = [p for p in pods if p.name in job.tracked and p.phase == SUCCEEDED]
    new_failed = [p for p in pods if p.name in job.tracked and is_failed(p)]
    gone = sorted(n for n in job.tracked if n not in by_name)
    succeeded = job.status_succeeded + len(new_succeeded)
    failed = job.status_failed + len(new_failed) + len(gone)
    counted = {p.name for p in new_succeeded} | {p.name for p in new_failed} | set(gone)
    tracked = job.tracked - counted
    start_time = job.start_time
    if start_time is None and not job.suspend:
        start_time = now
    job = attrs.evolve(job, start_time=start_time)
    record = new_backoff_record(
        *backoff_record(cluster, job.name),
        [finish_time(p) for p in new_succeeded],
        [finish_time(p) for p in new_failed] + [now] * len(gone),
    )

    delay = delays_terminal_condition(cluster.settings.kubernetes_version)
    out = cluster
    conditions = list(job.conditions)
    finished: tuple[str, str, str] | None = None  # (terminal type, reason, message)
    if job.condition(JOB_SUCCESS_CRITERIA_MET) is not None:
        finished = (JOB_COMPLETE, "", "")
    elif (reason := job.condition(JOB_FAILURE_TARGET)) is not None:
        message = dict((BACKOFF_LIMIT_EXCEEDED, DEADLINE_EXCEEDED)).get(reason, "")
        finished = (JOB_FAILED, reason, message)
    elif failed > job.backoff_limit or past_backoff_limit_on_failure(job, pods):
        finished = (JOB_FAILED, *BACKOFF_LIMIT_EXCEEDED)
    elif past_active_deadline(job, now):
        finished = (JOB_FAILED, *DEADLINE_EXCEEDED)

    active = len(active_pods)
    if finished is not None:
        out = _delete(out, job, active_pods, events, notes, "the Job has finished")
        active = 0
        if finished[0] == JOB_FAILED:
            # every pod not yet counted and not succeeded counts as failed
            late = [n for n in tracked if by_name[n].phase != SUCCEEDED]
            failed += len(late)
            tracked = tracked - set(late)
    else:
        if job.suspend:
            victims = replicaset.deletion_order(active_pods, [], now)
            out = _delete(out, job, victims, events, notes, "the Job is suspended")
            active = 0
        else:
            want = _want_active(job, succeeded, active)
            if active > want:
                victims = replicaset.deletion_order(active_pods, [], now)[
                    : min(active - want, MAX_CREATE_DELETE_PER_SYNC)
                ]
                out = _delete(out, job, victims, events, notes, "too many active pods")
                active -= len(victims)
            elif want > active:
                wait = remaining_backoff(record[0], record[1], now)
                if wait > 0:
                    notes.append(f"{job.name}: pod failure back-off, {wait}s left")
                else:
                    created = []
                    taken = {p.name for p in out.pods}
                    for _ in range(min(want - active, MAX_CREATE_DELETE_PER_SYNC)):
                        pod, next_job = new_pod(job, now, taken)
                        out, error = apiserver.try_create_pod(out, pod, generate_name=f"{job.name}-")
                        if error is not None:
                            events.append(
                                Event(
                                    now,
                                    SOURCE,
                                    "FailedCreate",
                                    f"job/{job.name}",
                                    f"Error creating: {error}",
                                    "Warning",
                                )
                            )
                            notes.append(f"{job.name}: create refused: {error}")
                            break
                        job = next_job
                        taken.add(pod.name)
                        created.append(pod.name)
                        events.append(
                            Event(now, SOURCE, "SuccessfulCreate", f"job/{job.name}", f"Created pod: {pod.name}")
                        )
                    tracked = tracked | set(created)
                    active += len(created)
                    if created:
                        notes.append(f"{job.name}: create {', '.join(created)}")
        done = succeeded > 0 if job.completions is None else succeeded >= job.completions
        if done and active == 0:
            finished = (JOB_COMPLETE, "", "")
        elif job.suspend:
            if job.condition(JOB_SUSPENDED) is None:
                conditions.append((JOB_SUSPENDED, "JobSuspended"))
                events.append(Event(now, SOURCE, "Suspended", f"job/{job.name}", "Job suspended"))
                notes.append(f"{job.name}: suspended")
        elif job.condition(JOB_SUSPENDED) is not None:
            conditions = [c for c in conditions if c[0] != JOB_SUSPENDED]
            events.append(Event(now, SOURCE, "Resumed", f"job/{job.name}", "Job resumed"))
            notes.append(f"{job.name}: resumed")
            job = attrs.evolve(job, start_time=now)

    completion_time = job.completion_time
    if finished is not None:
        kind, reason, message = finished
        interim = JOB_SUCCESS_CRITERIA_MET if kind == JOB_COMPLETE else JOB_FAILURE_TARGET
        if delay and job.condition(interim) is None:
            conditions.append((interim, reason))
            notes.append(f"{job.name}: {interim}{f' ({reason})' if reason else ''}")
        terminating = any(is_terminating(p) for p in owned_pods(out, job))
        if not delay or not terminating:
            conditions.append((kind, reason))
            if kind == JOB_COMPLETE:
                completion_time = now
                events.append(Event(now, SOURCE, "Completed", f"job/{job.name}", "Job completed"))
            else:
                events.append(Event(now, SOURCE, reason, f"job/{job.name}", message, "Warning"))
            notes.append(f"{job.name}: {kind}{f' ({reason})' if reason else ''}")
            record = (0, None)  # the record is removed for finished Jobs
    job = attrs.evolve(
        job,
        status_active=active,
        status_succeeded=succeeded,
        status_failed=failed,
        conditions=tuple(conditions),
        completion_time=completion_time,
        tracked=frozenset(tracked),
    )
    out = out.with_job(job)
    return _set_record(out, job.name, record)


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for job in cluster.jobs:
        out = sync(out, job, events, notes)
    # syncJob of a deleted Job removes its back-off record
    names = {j.name for j in out.jobs}
    for name, _, _ in cluster.memory.job_backoff:
        if name not in names:
            out = _set_record(out, name, None)
    if out == cluster and not any(e.reason == "FailedCreate" for e in events):
        return []
    return [Outcome("job", "; ".join(notes) or "update job status", out, tuple(events))]
