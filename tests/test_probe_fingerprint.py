"""What the explorer's fingerprint keeps of a pod's probes (kmodel.components.prober.relative):
states that behave alike merge, states that can still behave differently stay apart; and the
kubelet's reports and events around probes."""

from __future__ import annotations

import attrs

from kmodel.components import prober
from kmodel.probespec import LIVENESS, READINESS, STARTUP, Probe, ProbeRuntime, ProbeSpec
from kmodel.state import RUNNING, Pod

NOW = 10_000
STEP = 5
SPEC = ProbeSpec(readiness=Probe(period=10), liveness=Probe(period=10))


def pod(**runtime: object) -> Pod:
    return Pod(name="p", node_name="n", phase=RUNNING, probes=SPEC, probe=ProbeRuntime(**runtime))  # type: ignore[arg-type]


def fp(p: Pod, more_failures: bool = True) -> object:
    return prober.relative(p, NOW, STEP, more_failures)


def test_no_runtime_is_none() -> None:
    assert fp(Pod(name="p")) is None


def test_old_start_keeps_only_its_phase_on_the_probe_grid() -> None:
    assert fp(pod(started=NOW - 1000)) == fp(pod(started=NOW - 1010))
    assert fp(pod(started=NOW - 1000)) != fp(pod(started=NOW - 1005))
    assert fp(pod(started=NOW - 20)) != fp(pod(started=NOW - 30))  # recent: exact


def test_phase_uses_every_period() -> None:
    spec = ProbeSpec(readiness=Probe(period=4), liveness=Probe(period=6))
    a = attrs.evolve(pod(started=NOW - 1000), probes=spec)
    b = attrs.evolve(pod(started=NOW - 1012), probes=spec)  # lcm(4, 6) = 12
    c = attrs.evolve(pod(started=NOW - 1004), probes=spec)
    assert fp(a) == fp(b) and fp(a) != fp(c)


def test_answer_changes_are_exact_within_the_horizon_only() -> None:
    horizon = SPEC.horizon() + 2 * STEP
    near = [pod(started=NOW - 5000, failing=frozenset({READINESS}), changed=((READINESS, NOW - d),)) for d in (5, 15)]
    assert fp(near[0]) != fp(near[1])
    far = [
        pod(started=NOW - 5000, failing=frozenset({READINESS}), changed=((READINESS, NOW - d),))
        for d in (horizon + 1, horizon + 500)
    ]
    assert fp(far[0]) == fp(far[1])
    assert fp(far[0]) != fp(pod(started=NOW - 5000))  # the answer itself is kept


def test_backoff_entry_is_kept_until_it_expires() -> None:
    live = [pod(started=NOW - 50, backoff=b, backoff_updated=NOW - 50) for b in (20, 40)]
    assert fp(live[0]) != fp(live[1])
    assert fp(pod(started=NOW - 50, backoff=20, backoff_updated=NOW - 50)) != fp(
        pod(started=NOW - 50, backoff=20, backoff_updated=NOW - 60)
    )
    gone = [pod(started=NOW - 50, backoff=b, backoff_updated=NOW - u) for b, u in ((20, 601), (300, 900))]
    assert fp(gone[0]) == fp(gone[1]) == fp(pod(started=NOW - 50))


def test_backoff_expiry_is_judged_at_the_pending_exit() -> None:
    """A container that died 10 s ago with an entry last updated 595 s before that: the entry
    still counts for its restart although it is 605 s old now."""
    waiting = pod(started=NOW - 30, exited=NOW - 10, backoff=40, backoff_updated=NOW - 605)
    expired = pod(started=NOW - 30, exited=NOW - 10, backoff=40, backoff_updated=NOW - 615)
    assert fp(waiting) != fp(expired)
    assert fp(expired) == fp(pod(started=NOW - 30, exited=NOW - 10))


def test_backoff_dropped_when_no_probe_can_fail_again() -> None:
    a = pod(started=NOW - 50, backoff=40, backoff_updated=NOW - 50)
    b = pod(started=NOW - 50, backoff=80, backoff_updated=NOW - 70)
    assert fp(a, more_failures=False) == fp(b, more_failures=False)
    assert fp(a, more_failures=True) != fp(b, more_failures=True)
    failing = attrs.evolve(a, probe=attrs.evolve(a.probe, failing=frozenset({LIVENESS})))  # type: ignore[arg-type]
    failing_b = attrs.evolve(b, probe=attrs.evolve(b.probe, failing=frozenset({LIVENESS})))  # type: ignore[arg-type]
    assert fp(failing, more_failures=False) != fp(failing_b, more_failures=False)


def test_exit_age_is_exact_through_the_longest_back_off() -> None:
    a = pod(started=NOW - 400, exited=NOW - 290, backoff=300, backoff_updated=NOW - 400)
    b = pod(started=NOW - 400, exited=NOW - 295, backoff=300, backoff_updated=NOW - 400)
    assert fp(a) != fp(b)


# --- the kubelet's reports around probes ---------------------------------------------------------


def started(**probes: Probe) -> Pod:
    return prober.start(Pod(name="p", node_name="n", phase=RUNNING, probes=ProbeSpec(**probes)), 0)


def test_ready_since_is_when_the_probe_made_it_ready() -> None:
    p, _, _ = prober.sync(started(readiness=Probe(initial_delay=20)), 25)
    assert p.ready and p.ready_since == 25
    again, _, _ = prober.sync(p, 35)
    assert again.ready_since == 25


def test_ready_again_after_the_node_controller_marked_it_not_ready() -> None:
    """MarkPodsNotReady flips only the Ready condition; the kubelet reports the probe's result
    again at its next sync."""
    p, _, _ = prober.sync(started(readiness=Probe()), 5)
    marked = attrs.evolve(p, ready=False)
    back, _, _ = prober.sync(marked, 10)
    assert back.ready and back.containers_ready


def test_events_name_the_probe() -> None:
    p = started(readiness=Probe(failure_threshold=1), liveness=Probe(failure_threshold=1))
    p, _, _ = prober.sync(p, 0)
    p = prober.set_answer(p, READINESS, True, 1) or p
    p, events, _ = prober.sync(p, 10)
    assert [(e.reason, e.message) for e in events] == [("Unhealthy", "Readiness probe failed")]
    p = prober.set_answer(p, LIVENESS, True, 11) or p
    p, events, _ = prober.sync(p, 20)
    assert [(e.reason, e.message) for e in events][:2] == [
        ("Unhealthy", "Liveness probe failed"),
        ("Killing", "Container app failed liveness probe, will be restarted"),
    ]
    assert not p.ready and not p.containers_ready


def test_startup_kill_names_the_startup_probe() -> None:
    p = started(startup=Probe(failure_threshold=1))
    p = prober.set_answer(p, STARTUP, True, 0) or p
    p, events, _ = prober.sync(p, 0)
    assert ("Unhealthy", "Startup probe failed") in [(e.reason, e.message) for e in events]
    assert not p.containers_ready


def test_liveness_is_not_triggered_by_the_startup_probe() -> None:
    """Only the readiness probe is run at once when the startup probe succeeds; liveness keeps
    its own periods (from the container's start)."""
    p = started(startup=Probe(period=7), liveness=Probe(period=10, failure_threshold=1))
    p = prober.set_answer(p, LIVENESS, True, 0) or p
    p, _, _ = prober.sync(p, 7)  # startup succeeds at its second probe
    assert p.probe is not None and p.probe.startup_done == 7 and prober.crash_looping(p) is False
    p, _, _ = prober.sync(p, 10)
    assert prober.crash_looping(p)


def test_short_periods_keep_recent_starts_exact() -> None:
    spec = ProbeSpec(readiness=Probe(period=2))
    a = attrs.evolve(pod(started=NOW - 4), probes=spec)
    b = attrs.evolve(pod(started=NOW - 6), probes=spec)
    assert fp(a) != fp(b)


def test_odd_periods_merge_old_starts_in_phase() -> None:
    spec = ProbeSpec(readiness=Probe(period=3))
    a = attrs.evolve(pod(started=NOW - 1000), probes=spec)
    b = attrs.evolve(pod(started=NOW - 1003), probes=spec)
    assert fp(a) == fp(b)


def test_backoff_entry_at_exactly_the_expiry_still_counts() -> None:
    """hasExpired is ``>``: an entry updated exactly 600 s before the pending exit still holds."""
    holds = pod(started=NOW - 30, exited=NOW - 10, backoff=40, backoff_updated=NOW - 610)
    assert prober.backoff_wait(holds.probe) == 40  # type: ignore[arg-type]
    assert fp(holds) != fp(pod(started=NOW - 30, exited=NOW - 10))


def test_backoff_update_age_is_exact_up_to_the_expiry() -> None:
    a = pod(started=NOW - 50, backoff=40, backoff_updated=NOW - 592)
    b = pod(started=NOW - 50, backoff=40, backoff_updated=NOW - 597)
    assert fp(a) != fp(b)


def test_exit_age_is_exact_up_to_the_longest_wait() -> None:
    a = pod(started=NOW - 400, exited=NOW - 295, backoff=300, backoff_updated=NOW - 400)
    b = pod(started=NOW - 400, exited=NOW - 300, backoff=300, backoff_updated=NOW - 400)
    assert fp(a) != fp(b)


def test_a_ready_pod_with_passing_probes_reports_nothing() -> None:
    p, _, _ = prober.sync(started(readiness=Probe()), 5)
    again, events, notes = prober.sync(p, 15)
    assert again == p and events == [] and notes == []


def test_ready_since_stays_when_the_pod_turns_not_ready() -> None:
    p, _, _ = prober.sync(started(readiness=Probe(failure_threshold=1)), 5)
    p = prober.set_answer(p, READINESS, True, 6) or p
    after, _, _ = prober.sync(p, 10)
    assert not after.ready and after.ready_since == p.ready_since == 5


def test_ready_since_stays_when_a_pod_shown_not_ready_fails_its_probe() -> None:
    """The node controller had flipped Ready to False; the probe then fails: the condition does
    not transition again, so its time stays."""
    p, _, _ = prober.sync(started(readiness=Probe(failure_threshold=1)), 5)
    marked = attrs.evolve(p, ready=False)
    marked = prober.set_answer(marked, READINESS, True, 6) or marked
    after, _, _ = prober.sync(marked, 10)
    assert not after.ready and not after.containers_ready and after.ready_since == 5
