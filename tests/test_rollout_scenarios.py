"""The shipped rollout scenario (scenarios/rollout-node-failure.yaml) and a Recreate rollout:
what their headers promise, with time windows derived from the settings."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.scenario import load

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "rollout-node-failure.yaml"
PROP = "rollout-respects-max-unavailable"


def _check(scen: object, horizon: int | None = None) -> object:
    m = KubeModel(scen, horizon=horizon)  # type: ignore[arg-type]
    return explore(m, props.to_property(props.BUILTINS[PROP], m.scenario.settings), max_states=60_000)


def test_the_node_failure_breaks_the_availability_floor() -> None:
    r = _check(load(SCENARIO))
    assert r.verdict == VIOLATED  # type: ignore[attr-defined]
    labels = [s.label for s in r.trace.steps]  # type: ignore[attr-defined]
    assert any("stop node/worker-1" in x for x in labels) and any("start node/worker-1" in x for x in labels)


@pytest.mark.thorough  # one of the slowest default tests (10-16 s); its faster siblings stay
def test_without_the_fault_the_promise_holds() -> None:
    scen = load(SCENARIO)
    scen = attrs.evolve(scen, timeline=tuple(ev for ev in scen.timeline if ev.verb == "set"))
    # up to 30s + 12 ticks: the 2-pod rollout (two surge rounds) is over by then in every
    # interleaving (the simulation finishes it in 4 ticks)
    assert _check(scen, horizon=30 + 12 * scen.settings.step).verdict == HOLDS  # type: ignore[attr-defined]


def test_simulated_rollout_finishes_after_the_node_returns() -> None:
    """The rollout starts at 30s (new ReplicaSet created with 1 pod); after worker-1 is back at
    2m it finishes within rollout_bound(settings): the new ReplicaSet at 2, the old at 0."""
    scen = load(SCENARIO)
    sim = simulate(scen)
    created = [e for e in sim.events if e.reason == "ScalingReplicaSet" and "from 0 to 1" in e.message]
    assert created and created[0].t == 30
    final = sim.final
    assert final is not None
    d = final.deployment("web")
    assert d is not None and d.progressing_reason == "NewReplicaSetAvailable" and d.available == "True"
    new = max(final.replicasets, key=lambda rs: rs.revision)
    assert new.replicas == 2 and all(rs.replicas == 0 for rs in final.replicasets if rs is not new)
    done = [e.t for e in sim.events if e.reason == "ScalingReplicaSet" and e.message.endswith("to 0")]
    assert done and 120 < done[-1] <= 120 + props.rollout_bound(scen.settings)


RECREATE = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {name: recreate}
until: 2m
timeline: ["30s set image deployment/web app=nginx:1.27"]
---
apiVersion: v1
kind: Node
metadata: {name: worker-1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  strategy: {type: Recreate}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: nginx:1.26}]
"""


def test_recreate_scales_old_to_zero_and_waits_for_its_pods(tmp_path: Path) -> None:
    """recreate.go: at 30s the old ReplicaSet goes 2 -> 0; the new one is created (at 2 at
    once) only once no old pod is left, Terminating ones included (oldPodsRunning): after the
    kubelet has stopped them and removed the objects, at least one tick later."""
    path = tmp_path / "recreate.yaml"
    path.write_text(RECREATE)
    scen = load(path)
    sim = simulate(scen)
    scaling = [(e.t, e.message) for e in sim.events if e.reason == "ScalingReplicaSet" and e.t >= 30]
    down = [t for t, m in scaling if "Scaled down" in m and m.endswith("from 2 to 0")]
    up = [t for t, m in scaling if "Scaled up" in m and m.endswith("from 0 to 2")]
    assert down == [30] and len(up) == 1 and up[0] > 30
    # no pod of the new ReplicaSet exists while an old pod still does
    for snap in sim.snapshots:
        names = [p["name"] for p in snap["pods"]]
        owners = {n.rsplit("-", 1)[0] for n in names}
        assert len(owners) <= 1, (snap["t"], names)
    assert up[0] <= 30 + 4 * scen.settings.step


def test_recreate_never_runs_old_and_new_pods_together() -> None:
    """tests/data/rollout-recreate.yaml in every interleaving: the pods of the old and of the new
    ReplicaSet never exist at the same time (oldPodsRunning counts Terminating pods), and the
    rollout completes. (With `--faults powerOffNode=1` it holds too: 79,378 states, a Terminating
    pod of the dead node keeps the new ReplicaSet from being created until the node is back.)"""
    from kmodel.checkrun import CheckOptions, run_check

    run = run_check(
        ROOT / "tests" / "data" / "rollout-recreate.yaml",
        names=["rollout-completes"],
        invariants=["len(set(p.owner for p in pods)) <= 1"],
        options=CheckOptions(max_states=20_000),
    )
    assert [r.verdict for r in run.results] == [HOLDS, HOLDS], [r.message for r in run.results]
