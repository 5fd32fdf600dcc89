"""The scheduler scenarios of issue 13 that this branch ships, and the pods-admitted property:
violated (with a shortest counterexample) where the kubelet rejects a pod, holding where it admits
every pod.

- scenarios/gpu-pool.yaml: a two-GPU pod stays Pending with the real FailedScheduling message;
- scenarios/nodename-template-eviction-cycle.yaml: a template pinned by spec.nodeName to a node
  with an untolerated NoExecute taint; the kubelet rejects each pod (since 1.22), or, before,
  admits it and the taint eviction controller deletes it; the ReplicaSet replaces it every time.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.scenario import load
from tests.conftest import SCENARIOS

GPU_POOL = SCENARIOS / "gpu-pool.yaml"
CYCLE = SCENARIOS / "nodename-template-eviction-cycle.yaml"
NO_FAULTS: tuple[tuple[str, int], ...] = ()


def test_gpu_pool_two_gpu_pod_stays_pending_with_the_real_message() -> None:
    sim = simulate(load(GPU_POOL), until=30)
    failed = [e for e in sim.events if e.reason == "FailedScheduling" and e.object == "pod/big-trainer"]
    assert failed and failed[0].message == (
        "0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 Insufficient nvidia.com/gpu. "
        "no new claims to deallocate, preemption: 0/4 nodes are available: 4 Preemption is not helpful for "
        "scheduling."
    )
    scheduled = {e.object: e.message for e in sim.events if e.reason == "Scheduled"}
    trainers = [msg for obj, msg in scheduled.items() if obj.startswith("pod/trainer-")]
    assert sorted(m.rsplit(" ", 1)[-1] for m in trainers) == ["gpu-a", "gpu-b"]
    assert [m.rsplit(" ", 1)[-1] for o, m in scheduled.items() if o.startswith("pod/web-")] == ["cpu-1"]


def _check(path: Path, name: str, **kw: object):  # type: ignore[no-untyped-def]
    scen = load(path)
    prop = props.to_property(props.BUILTINS[name], scen.settings)
    return scen, prop, explore(KubeModel(scen, faults=NO_FAULTS), prop, max_states=5_000, **kw)


def test_pods_admitted_violated_by_a_template_pinned_to_a_tainted_node() -> None:
    scen, prop, r = _check(CYCLE, "pods-admitted")
    assert r.verdict == VIOLATED and r.trace is not None
    last = r.trace.steps[-1]
    assert last.actor == "kubelet/infra-1" and "rejected (TaintToleration)" in last.label
    assert prop.explain is not None
    assert "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" in prop.explain(
        last.state
    )
    shorter = explore(KubeModel(scen, faults=NO_FAULTS), prop, max_states=5_000, max_depth=len(r.trace) - 1)
    assert shorter.verdict != VIOLATED


def test_pods_admitted_holds_when_the_pinned_node_takes_the_pods(tmp_path: Path) -> None:
    text = CYCLE.read_text().replace("      nodeName: infra-1", "      nodeName: worker-1")
    path = tmp_path / "pinned-ok.yaml"
    path.write_text(text)
    _, _, r = _check(path, "pods-admitted")
    assert r.verdict == HOLDS, r.message


def test_before_1_22_the_kubelet_admits_and_taint_eviction_deletes(tmp_path: Path) -> None:
    text = CYCLE.read_text().replace("until: 1m\n", "until: 1m\nsettings:\n  kubernetesVersion: '1.21'\n")
    path = tmp_path / "old.yaml"
    path.write_text(text)
    sim = simulate(load(path), until=30)
    reasons = [e.reason for e in sim.events if e.object.startswith("pod/metrics-agent")]
    assert "TaintToleration" not in reasons
    assert reasons.count("TaintManagerEviction") >= 2
    created = [e for e in sim.events if e.reason == "SuccessfulCreate"]
    assert len(created) >= 3  # the ReplicaSet replaces each evicted pod: the eviction cycle


def test_the_cycle_scenario_never_runs_its_pod() -> None:
    sim = simulate(load(CYCLE), until=60)
    created = [e for e in sim.events if e.reason == "SuccessfulCreate"]
    rejected = [e for e in sim.events if e.reason == "TaintToleration" and e.source == "kubelet"]
    assert len(created) >= 10 and len(rejected) >= 10
    assert not any(e.reason == "Started" for e in sim.events)


def test_states_with_the_new_fields_hash_by_value() -> None:
    """Extended resources, template node names and rejection reasons keep states hashable and
    comparable by value (frozen attrs classes), as the explorer needs."""
    scen = load(GPU_POOL)
    c = scen.initial_state()
    assert hash(c) == hash(attrs.evolve(c))


def test_replica_convergence_owes_only_the_gpus_and_ports_there_are(tmp_path: Path) -> None:
    """replica-convergence owes the pods that fit: three one-GPU trainers on two one-GPU nodes owe
    two; three web pods binding hostPort 8080 on one CPU worker owe one."""
    text = GPU_POOL.read_text().replace(
        "  replicas: 2\n  selector:\n    matchLabels:\n      app: trainer",
        ("  replicas: 3\n  selector:\n    matchLabels:\n      app: trainer"),
    )
    text = text.replace(
        "  replicas: 1\n  selector:\n    matchLabels:\n      app: web",
        ("  replicas: 3\n  selector:\n    matchLabels:\n      app: web"),
    )
    text = text.replace(
        "        - name: web\n          image: nginx:1.27\n",
        "        - name: web\n          image: nginx:1.27\n          ports: [{containerPort: 80, hostPort: 8080}]\n",
    )
    path = tmp_path / "crowded.yaml"
    path.write_text(text)
    scen = load(path)
    prop = props.to_property(props.BUILTINS["replica-convergence"], scen.settings)
    r = explore(KubeModel(scen, faults=NO_FAULTS), prop, max_states=50_000)
    assert r.verdict == HOLDS, r.message
