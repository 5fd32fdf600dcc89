"""Pod priority and preemption end to end: PriorityClass manifests and their validation, the
Priority admission on every creation path, the scheduler's preemption in a simulation, and the
built-in property no-preemption-of-higher-priority (holds on the real model; a deliberately
broken scheduler violates it, with a shortest trace)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel import model
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import load
from kmodel.state import Pod
from tests import broken
from tests.conftest import DATA, SCENARIOS, Cli

PROPERTY = "no-preemption-of-higher-priority"
PC = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: {name}\nvalue: {value}\n"
POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  {extra}
  containers:
    - name: app
      image: nginx
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- manifests and validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        pytest.param(
            PC.format(name="huge", value=1_000_000_001),
            'The PriorityClass "huge" is invalid: value: Forbidden: maximum allowed value of a user defined '
            "priority is 1000000000",
            id="value above HighestUserDefinablePriority",
        ),
        pytest.param(
            PC.format(name="system-mine", value=10),
            'The PriorityClass "system-mine" is invalid: metadata.name: Forbidden: priority class names with '
            "'system-' prefix are reserved for system use only. error: system-mine is not a known system priority "
            "class",
            id="reserved system- prefix",
        ),
        pytest.param(
            PC.format(name="x", value=1) + "preemptionPolicy: Sometimes\n",
            'The PriorityClass "x" is invalid: preemptionPolicy: Unsupported value: "Sometimes": supported values: '
            '"PreemptLowerPriority", "Never"',
            id="unknown preemptionPolicy",
        ),
        pytest.param(
            POD.format(extra="preemptionPolicy: Sometimes"),
            'The Pod "p" is invalid: spec.preemptionPolicy: Unsupported value: "Sometimes": supported values: '
            '"PreemptLowerPriority", "Never"',
            id="pod preemptionPolicy",
        ),
        pytest.param(
            POD.format(extra="priorityClassName: Not_A_Name"),
            'The Pod "p" is invalid: spec.priorityClassName: Invalid value: "Not_A_Name": a lowercase RFC 1123 '
            "subdomain",
            id="pod priorityClassName",
        ),
    ],
)
def test_the_apiserver_refuses_invalid_priority_fields(tmp_path: Path, doc: str, message: str) -> None:
    with pytest.raises(KmodelError) as err:
        load(write(tmp_path, doc))
    assert message in str(err.value)


def test_a_pod_naming_a_missing_class_is_forbidden_at_load(tmp_path: Path) -> None:
    with pytest.raises(KmodelError, match='pods "p" is forbidden: no PriorityClass with name gold was found'):
        load(write(tmp_path, POD.format(extra="priorityClassName: gold")))


def test_a_bare_pod_gets_its_class_priority_and_the_default_class_applies(tmp_path: Path) -> None:
    text = PC.format(name="gold", value=500) + "---\n" + PC.format(name="base", value=7) + "globalDefault: true\n"
    named = load(write(tmp_path, text + "---\n" + POD.format(extra="priorityClassName: gold"), "a.yaml"))
    p = named.initial_state().pod("p")
    assert p is not None and p.priority == 500 and p.scheduling.priority_class_name == "gold"
    plain = load(write(tmp_path, text + "---\n" + POD.format(extra=""), "b.yaml"))
    q = plain.initial_state().pod("p")
    assert q is not None and q.priority == 7 and q.scheduling.priority_class_name == "base"


def test_the_replicaset_reports_failed_create_for_a_missing_class(tmp_path: Path) -> None:
    """A Deployment's template naming a class that does not exist: the ReplicaSet controller's
    creates are forbidden (``Error creating: pods "<rs>-" is forbidden: ...``) and no pod appears."""
    text = (
        (SCENARIOS / "priority-preemption.yaml")
        .read_text()
        .replace("priorityClassName: high", "priorityClassName: gold")
    )
    critical = (SCENARIOS / "manifests" / "priority-preemption-critical.yaml").read_text()
    (tmp_path / "manifests").mkdir()
    write(
        tmp_path / "manifests",
        critical.replace("priorityClassName: high", "priorityClassName: gold"),
        "priority-preemption-critical.yaml",
    )
    sim = simulate(load(write(tmp_path, text)), until=90)
    failed = [e for e in sim.events if e.reason == "FailedCreate"]
    assert failed and failed[0].t == 60
    assert failed[0].message.startswith('Error creating: pods "critical-')
    assert failed[0].message.endswith('-" is forbidden: no PriorityClass with name gold was found')
    assert not any(p.name.startswith("critical-") for p in sim.final.pods)


# --- the scenario ------------------------------------------------------------------------------------------


def test_the_priority_preemption_scenario() -> None:
    """scenarios/priority-preemption.yaml: each critical pod preempts one batch pod (the other
    is reprieved), is nominated, and binds to that node once the victim is gone; the batch
    replacements stay Pending with the real message."""
    sim = simulate(load(SCENARIOS / "priority-preemption.yaml"))
    preempted = [e for e in sim.events if e.reason == "Preempted"]
    assert [e.t for e in preempted] == [60, 60]
    assert all(e.source == "default-scheduler" and e.message.startswith("Preempted by pod ") for e in preempted)
    assert {e.message.rsplit(" ", 1)[-1] for e in preempted} == {"worker-a", "worker-b"}
    waiting = [
        e for e in sim.events if e.reason == "FailedScheduling" and "terminating pod on the nominated" in e.message
    ]
    assert waiting and all(e.object.startswith("pod/critical-") for e in waiting)
    critical = [p for p in sim.final.pods if p.name.startswith("critical-")]
    assert len(critical) == 2 and all(p.phase == "Running" and p.nominated_node_name is None for p in critical)
    batch_pending = [p for p in sim.final.pods if p.name.startswith("batch-") and p.node_name is None]
    assert len(batch_pending) == 2
    last = [e for e in sim.events if e.reason == "FailedScheduling" and e.object == f"pod/{batch_pending[0].name}"][-1]
    assert last.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. no new claims to "
        "deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No "
        "preemption victims found for incoming pod."
    )


# --- the property --------------------------------------------------------------------------------------------


def _check(replace: dict[str, model.StepFn] | None = None):  # type: ignore[no-untyped-def]
    scen = load(DATA / "props-priority.yaml")
    prop = props.to_property(props.BUILTINS[PROPERTY], scen.settings)
    return explore(KubeModel(scen, faults=(), replace=replace), prop, max_states=50_000)


def test_no_preemption_of_higher_priority_holds_on_the_real_scheduler() -> None:
    r = _check()
    assert r.verdict == HOLDS


def test_no_preemption_of_higher_priority_violated_by_a_scheduler_preempting_equal_priority() -> None:
    """The broken scheduler preempts a batch pod for the batch replacement of equal priority
    (after the critical pod's legitimate preemption): the shortest trace ends in that step."""
    r = _check({"scheduler": broken.scheduler_preempting_equal_priority})
    assert r.verdict == VIOLATED and r.trace is not None
    last = r.trace.steps[-1]
    assert last.actor == "scheduler" and last.label.startswith("preempt batch-") and " for batch-" in last.label


def test_the_property_reads_the_states_only() -> None:
    """Stated from the pods: a pod newly marked PreemptionByScheduler with no higher-priority pod
    nominated to its node is a violation, whoever did it."""
    scen = load(DATA / "props-priority.yaml")
    running = Pod(name="batch-x", node_name="worker", phase="Running")
    before = scen.initial_state().with_pod(running)
    after = before.with_pod(attrs.evolve(running, disruption_reason="PreemptionByScheduler", deletion_timestamp=0))
    assert not props.no_preemption_of_higher_priority(before, after)
    assert "no pending pod is nominated to that node" in props.BUILTINS[PROPERTY].explain(before, after)  # type: ignore[misc]


def test_the_cli_lists_and_checks_the_property(cli: Cli) -> None:
    r = cli("properties")
    assert PROPERTY in r.output
    r = cli("check", str(DATA / "props-priority.yaml"), "--engine", "explore", "-p", PROPERTY, "--faults", "none")
    assert r.exit_code == 0 and "holds" in r.output


def test_a_nominated_pod_holds_its_room_against_lower_priorities_and_tries_its_node_first() -> None:
    """addGENominatedPods: a pending pod nominated to a node counts there for pods of lower (not
    higher) priority; evaluateNominatedNode: the nominated pod takes its node without scoring."""
    from kmodel.components import scheduler
    from kmodel.schedulingspec import SchedulingSpec
    from kmodel.settings import Settings
    from kmodel.state import Cluster, Node, Resources

    nodes = (Node(name="n1", capacity=Resources(cpu=1000, memory=2**30, pods=10)), Node(name="n2"))
    high = Pod(
        name="high", requests=Resources(cpu=600), scheduling=SchedulingSpec(priority=10), nominated_node_name="n1"
    )
    low = Pod(name="low", requests=Resources(cpu=600), scheduling=SchedulingSpec(priority=0))
    higher = Pod(name="higher", requests=Resources(cpu=600), scheduling=SchedulingSpec(priority=20))
    c = Cluster(settings=Settings(), nodes=nodes, pods=(high, higher, low))
    assert scheduler.fits(c, low, "n1") is not None  # the room is held for "high"
    assert scheduler.fits(c, higher, "n1") is None  # not against a higher priority
    assert scheduler.attempt(c, high) == (["n1"], {})  # its nominated node, though n2 is emptier
    best, _ = scheduler.attempt(c, low)
    assert best == ["n2"]
