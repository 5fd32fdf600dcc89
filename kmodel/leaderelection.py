"""client-go ``tools/leaderelection``: one candidate's try to acquire or renew a Lease.

Mirrors ``LeaderElector.tryAcquireOrRenew`` (staging/src/k8s.io/client-go/tools/leaderelection/
leaderelection.go) as a pure function over the stored record and the candidate's observation of
it, on the model's whole-second clock:

- a leader whose observed record is still valid renews it (the optimistic fast path);
- no stored record: the candidate creates one and leads;
- a record that differs from the one the candidate observed last resets its observation time
  (the expiry counts from when the candidate *saw* the record change, not from the record's
  renewTime, so clocks need not agree);
- a record with a holder that is still valid (``observedTime + leaseDurationSeconds`` after
  ``now``) and is not the candidate: the candidate fails;
- otherwise the candidate writes itself as holder; ``leaderTransitions`` grows by one when the
  holder changes.

client-go sets ``observedTime`` from the clock *after* reading ``now``, so a record first seen
in this very call counts as valid in it even with a zero duration; on a whole-second clock that
is ``seen_now`` below. Left out: the write conflicts of the apiserver (optimistic concurrency),
coordinated leader election and release.

:mod:`kmodel.ha` uses the same rules with every candidate watching the Lease all the time (each
observes every renewal), so a Lease expires ``leaseDuration`` after its last renewal.
"""

from __future__ import annotations

import attrs
from attrs import frozen


@frozen
class LeaderElectionRecord:
    """``resourcelock.LeaderElectionRecord``: what the Lease object holds."""

    holder: str = ""
    lease_duration: int = 0  # LeaseDurationSeconds
    acquire_time: int | None = None
    renew_time: int | None = None
    transitions: int = 0  # LeaderTransitions


@frozen
class Elector:
    """One candidate's ``LeaderElector``: its identity and what it last observed."""

    identity: str
    lease_duration: int  # LeaderElectionConfig.LeaseDuration, seconds
    observed: LeaderElectionRecord = LeaderElectionRecord()
    observed_time: int | None = None

    @property
    def is_leader(self) -> bool:
        return self.observed.holder == self.identity

    def lease_valid(self, now: int, seen_now: bool = False) -> bool:
        if seen_now:
            return True
        if self.observed_time is None:
            return False
        return self.observed_time + self.observed.lease_duration > now


def try_acquire_or_renew(
    elector: Elector, stored: LeaderElectionRecord | None, now: int
) -> tuple[bool, Elector, LeaderElectionRecord | None]:
    """(succeeded, the elector after the try, the record stored after the try)."""
    mine = LeaderElectionRecord(
        holder=elector.identity, lease_duration=elector.lease_duration, acquire_time=now, renew_time=now
    )
    # 1. fast path: the leader renews what it observed
    if elector.is_leader and elector.lease_valid(now) and stored is not None:
        record = attrs.evolve(
            mine, acquire_time=elector.observed.acquire_time, transitions=elector.observed.transitions
        )
        return True, attrs.evolve(elector, observed=record, observed_time=now), record
    # 2. no record yet: create it
    if stored is None:
        return True, attrs.evolve(elector, observed=mine, observed_time=now), mine
    # 3. a changed record resets the observation
    seen_now = False
    if stored != elector.observed:
        elector = attrs.evolve(elector, observed=stored, observed_time=now)
        seen_now = True
    if stored.holder and elector.lease_valid(now, seen_now) and not elector.is_leader:
        return False, elector, stored
    # 4. take (or keep) the lease
    if elector.is_leader:
        record = attrs.evolve(mine, acquire_time=stored.acquire_time, transitions=stored.transitions)
    else:
        record = attrs.evolve(mine, transitions=stored.transitions + 1)
    return True, attrs.evolve(elector, observed=record, observed_time=now), record


JITTER_FACTOR = 1.2  # leaderelection.JitterFactor


def config_error(lease_duration: float, renew_deadline: float, retry_period: float, identity: str) -> str | None:
    """``NewLeaderElector``'s checks of a ``LeaderElectionConfig`` (durations in seconds): the
    error it returns, or None for a valid config. The callbacks and the lock being set are not
    modelled (kmodel's components always have them)."""
    if lease_duration <= renew_deadline:
        return "leaseDuration must be greater than renewDeadline"
    if renew_deadline <= JITTER_FACTOR * retry_period:
        return "renewDeadline must be greater than retryPeriod*JitterFactor"
    if lease_duration <= 0:
        return "leaseDuration must be greater than zero"
    if renew_deadline <= 0:
        return "renewDeadline must be greater than zero"
    if retry_period <= 0:
        return "retryPeriod must be greater than zero"
    if not identity:
        return "Lock identity is empty"
    return None
