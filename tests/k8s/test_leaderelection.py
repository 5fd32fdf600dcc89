"""Leader election, translated from client-go's tools/leaderelection/leaderelection_test.go.

Go file: staging/src/k8s.io/client-go/tools/leaderelection/leaderelection_test.go (repository
kubernetes/kubernetes). Go test: TestTryAcquireOrRenewLeases, i.e. ``testTryAcquireOrRenew(t,
"leases")``, one pytest case per table case (the Go case name is the pytest id).

The Go test's candidate is "baz" with a LeaseDuration of 10 s; ``future`` and ``past`` are 1000
hours from the real clock's now, here t=0. The fake clientset's reactors decide what ``Get``
returns (the stored record, or NotFound); the Go test checks the result, the holder the
candidate observes afterwards, and whether LeaderTransitions went to 1 (transitionLeader) or
stayed 0. The Go test's "acquire from led object with the lease duration seconds" case retries
after 3 s of real sleep; here the clock moves 3 s.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from kmodel.leaderelection import Elector, LeaderElectionRecord, try_acquire_or_renew

NOW = 0
FUTURE = NOW + 1000 * 3600
PAST = NOW - 1000 * 3600
LEASE = 10  # LeaderElectionConfig.LeaseDuration in the Go test


class Case(NamedTuple):
    name: str
    stored: LeaderElectionRecord | None  # what Get returns (None: NotFound)
    observed: LeaderElectionRecord
    observed_time: int | None
    retry_after: int
    expect_success: bool
    transition_leader: bool
    out_holder: str


CASES = [
    Case("acquire from no object", None, LeaderElectionRecord(), None, 0, True, False, "baz"),
    # an object without the record annotation: an empty record
    Case(
        "acquire from object without annotations",
        LeaderElectionRecord(),
        LeaderElectionRecord(),
        None,
        0,
        True,
        True,
        "baz",
    ),
    Case(
        "acquire from led object with the lease duration seconds",
        LeaderElectionRecord(holder="bing", lease_duration=3),
        LeaderElectionRecord(),
        None,
        3,
        True,
        True,
        "baz",
    ),
    Case("acquire from unled object", LeaderElectionRecord(), LeaderElectionRecord(), None, 0, True, True, "baz"),
    Case(
        "acquire from led, unacked object",
        LeaderElectionRecord(holder="bing"),
        LeaderElectionRecord(holder="bing"),
        PAST,
        0,
        True,
        True,
        "baz",
    ),
    Case(
        "acquire from empty led, acked object",
        LeaderElectionRecord(holder=""),
        LeaderElectionRecord(),
        FUTURE,
        0,
        True,
        True,
        "baz",
    ),
    Case(
        "don't acquire from led, acked object",
        LeaderElectionRecord(holder="bing"),
        LeaderElectionRecord(),
        FUTURE,
        0,
        False,
        False,
        "bing",
    ),
    Case(
        "renew already acquired object",
        LeaderElectionRecord(holder="baz"),
        LeaderElectionRecord(holder="baz"),
        FUTURE,
        0,
        True,
        False,
        "baz",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_try_acquire_or_renew_leases(case: Case) -> None:
    """leaderelection_test.go TestTryAcquireOrRenewLeases (testTryAcquireOrRenew), table case
    named by the id."""
    elector = Elector("baz", LEASE, observed=case.observed, observed_time=case.observed_time)
    ok, elector, stored = try_acquire_or_renew(elector, case.stored, NOW)
    if ok != case.expect_success and case.retry_after:
        ok, elector, stored = try_acquire_or_renew(elector, stored, NOW + case.retry_after)
    assert ok == case.expect_success
    assert elector.observed.holder == case.out_holder
    assert elector.observed.transitions == (1 if case.transition_leader else 0)
    if ok:
        assert stored == elector.observed  # the candidate wrote what it now observes


def test_lease_held_by_another_is_taken_only_after_lease_duration() -> None:
    """leaderelection.go isLeaseValid (the rule behind TestTryAcquireOrRenewLeases "don't acquire
    from led, acked object" and "acquire from led, unacked object"): a candidate that watched
    "bing" renew at t=0 fails until observedTime + leaseDuration is no longer after now."""
    held = LeaderElectionRecord(holder="bing", lease_duration=15, acquire_time=0, renew_time=0)
    elector = Elector("baz", 15, observed=held, observed_time=0)
    for t in (1, 10, 14):
        ok, _, _ = try_acquire_or_renew(elector, held, t)
        assert not ok
    ok, after, stored = try_acquire_or_renew(elector, held, 15)
    assert ok and stored is not None and stored.holder == "baz" and stored.transitions == 1
    assert after.is_leader
