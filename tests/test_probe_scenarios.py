"""scenarios/readiness-probe-failure.yaml: the observations its header promises, with time
windows derived from the probe settings in the file and the model's tick; and the checker's
failProbe fault (the explorer stays small, and losing every ready pod is found)."""

from __future__ import annotations

from pathlib import Path

from kmodel.components import prober
from kmodel.engines.simulate import simulate
from kmodel.scenario import load
from kmodel.state import Cluster
from tests.conftest import SCENARIOS

SCENARIO = SCENARIOS / "readiness-probe-failure.yaml"
READY_POD = "web-b8fwkxvg78-9kf4h"  # its readiness probe fails at 2m and passes at 4m
LIVE_POD = "web-b8fwkxvg78-f4x84"  # its liveness probe fails at 2m and passes at 8m
PERIOD, FAILURES = 10, 3  # periodSeconds and failureThreshold of both probes
T_FAIL, T_READY_PASS, T_LIVE_PASS = 120, 240, 480


def ticks() -> tuple[int, list[Cluster]]:
    scenario = load(SCENARIO)
    seen: list[Cluster] = []
    simulate(scenario, on_tick=seen.append)
    return scenario.settings.step, seen


def test_the_scenario_names_pods_that_exist() -> None:
    _, seen = ticks()
    assert seen[-1].pod(READY_POD) is not None and seen[-1].pod(LIVE_POD) is not None


def test_failing_readiness_removes_the_endpoint_and_recovery_adds_it_back() -> None:
    step, seen = ticks()
    svc = [(c.now, c.service("web")) for c in seen]
    pod = [(c.now, c.pod(READY_POD)) for c in seen]
    assert all(p is not None and p.ready for t, p in pod if 30 <= t < T_FAIL)
    not_ready = next(t for t, p in pod if t >= T_FAIL and p is not None and not p.ready)
    # the third failed probe: at least (failureThreshold - 1) periods after the first one that
    # fails, at most failureThreshold periods (and a tick) after the failure began
    assert T_FAIL + (FAILURES - 1) * PERIOD <= not_ready <= T_FAIL + FAILURES * PERIOD + step
    removed = next(t for t, s in svc if t >= T_FAIL and s is not None and READY_POD not in s.endpoints)
    assert removed == not_ready  # the endpoints controller acts in the same tick
    back = next(t for t, s in svc if t >= T_READY_PASS and s is not None and READY_POD in s.endpoints)
    assert T_READY_PASS <= back <= T_READY_PASS + PERIOD + step
    assert all(p is not None and p.restarts == 0 and p.phase == "Running" for t, p in pod if t >= 30)


def test_failing_liveness_restarts_with_crash_loop_back_off() -> None:
    step, seen = ticks()
    kills, restarts = [], []
    before = None
    for c in seen:
        p = c.pod(LIVE_POD)
        assert p is not None
        if before is not None:
            if prober.crash_looping(p) and not prober.crash_looping(before):
                kills.append(c.now)
            if p.restarts > before.restarts:
                restarts.append(c.now)
        before = p
    assert T_FAIL + (FAILURES - 1) * PERIOD <= kills[0] <= T_FAIL + FAILURES * PERIOD + step
    waits = [r - k for k, r in zip(kills, restarts, strict=False)]
    # the first restart is immediate (the kubelet's next sync); then 10 s doubling
    assert waits == [step, 10, 20, 40, 80, 160]
    # each new container runs until its third failed probe: probes at 0, 10, 20 s (no delay)
    assert all(k - r == (FAILURES - 1) * PERIOD for r, k in zip(restarts, kills[1:], strict=False))
    # the probe passes at 8m: the container in back-off then, started after it, runs for good
    last = restarts[-1]
    assert kills[-1] < T_LIVE_PASS < last and len(restarts) == len(kills)
    final = seen[-1].pod(LIVE_POD)
    assert final is not None and final.ready and final.restarts == len(restarts)
    svc = seen[-1].service("web")
    assert svc is not None and LIVE_POD in svc.endpoints


def test_the_service_never_loses_its_last_endpoint() -> None:
    _, seen = ticks()
    for c in seen:
        svc = c.service("web")
        if c.now >= 30:
            assert svc is not None and svc.endpoints, c.now


def test_kubectl_shows_crash_loop_back_off(cli) -> None:  # type: ignore[no-untyped-def]
    doc = cli.simulate_json(SCENARIO)
    statuses = {p["status"] for s in doc["snapshots"] for p in s["pods"] if p["name"] == LIVE_POD}
    assert "CrashLoopBackOff" in statuses
    reasons = {(e["reason"], e["object"]) for e in doc["events"]}
    assert ("Unhealthy", f"pod/{READY_POD}") in reasons and ("Killing", f"pod/{LIVE_POD}") in reasons


def _without_timeline(tmp_path: Path) -> Path:
    text = SCENARIO.read_text()
    start = text.index("timeline:\n")
    end = text.index("# kmodel check")
    path = tmp_path / "probes.yaml"
    path.write_text(text[:start] + "timeline: []\n" + text[end:])
    return path


def test_fail_probe_fault_is_explored_cheaply(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """One failProbe: any pod's readiness probe fails at any moment and passes at any later
    one; the Service keeps an endpoint (two other pods stay ready), and the explorer's state
    count stays small (probe times are kept only as far as decisions look back)."""
    path = _without_timeline(tmp_path)
    out = cli("check", str(path), "-p", "service-has-endpoint", "--faults", "failProbe=1", "--max-states", "40000")
    assert out.exit_code == 0, out.output
    states = int(out.stdout.split("explore")[-1].split("states")[0].replace(",", "").strip())
    assert states < 20_000, out.stdout


def test_three_failing_readiness_probes_empty_the_service(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = _without_timeline(tmp_path)
    out = cli("check", str(path), "-p", "service-has-endpoint", "--faults", "failProbe=3", "--max-states", "200000")
    assert out.exit_code == 1, out.output
    assert out.stdout.count("fail-probe readiness") >= 3


def test_back_off_outlasts_the_convergence_bound(cli) -> None:  # type: ignore[no-untyped-def]
    """The header's check: the 160 s back-off running when the liveness probe passes keeps the
    Deployment short of a ready pod past replica-convergence's 60 s bound."""
    out = cli("check", str(SCENARIO), "-p", "replica-convergence", "-p", "service-has-endpoint")
    assert out.exit_code == 1, out.output
    assert "VIOLATED     replica-convergence" in out.stdout
    assert "holds        service-has-endpoint" in out.stdout


def test_publish_not_ready_addresses_keeps_a_pod_whose_readiness_fails(tmp_path: Path) -> None:
    """A Service with publishNotReadyAddresses lists the pod while its readiness probe fails
    (endpoints_controller.go: tolerateUnreadyEndpoints), though the pod is not Ready."""
    text = SCENARIO.read_text().replace(
        "  selector:\n    app: web\n  ports:", "  publishNotReadyAddresses: true\n  selector:\n    app: web\n  ports:"
    )
    assert "publishNotReadyAddresses" in text
    path = tmp_path / "publish.yaml"
    path.write_text(text)
    seen: list[Cluster] = []
    simulate(load(path), on_tick=seen.append)
    during = [c for c in seen if T_FAIL + FAILURES * PERIOD + 5 <= c.now < T_READY_PASS]
    assert during
    for c in during:
        pod, svc = c.pod(READY_POD), c.service("web")
        assert pod is not None and not pod.ready
        assert svc is not None and READY_POD in svc.endpoints
