"""The node lifecycle controller's walk order, named in the verdicts where it was restricted.

Kubernetes' node lifecycle controller walks its node lister's list, in no particular order, and
queues the nodes it finds NotReady in that order for NoExecute tainting (the rate limiter keeps
it). The checker walks every order only where nodes are interchangeable (``--node-symmetry``);
elsewhere in the node list's order. A run that met a pass queueing two nodes of one zone says
so in every explorer and Hypothesis verdict; a run that never did says nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kmodel.checkmodel import KubeModel, OrderWatch
from kmodel.components import nodelifecycle
from kmodel.scenario import load

NOTE = "queued them for NoExecute tainting in the node list's order only"

TWO_AT_ONCE = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {name: two-of-four-workers-off-at-once}
settings: {nodeMonitorGracePeriod: 20s, defaultUnreachableTolerationSeconds: 15s}
until: 2m
timeline:
  - 30s stop node/worker-1
  - 30s stop node/worker-2
faults: {}
"""
TWO_AT_ONCE += "".join(f"---\napiVersion: v1\nkind: Node\nmetadata: {{name: worker-{i}}}\n" for i in range(1, 5))
TWO_AT_ONCE += """\
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
"""


@pytest.fixture
def two_at_once(tmp_path: Path) -> Path:
    path = tmp_path / "two-at-once.yaml"
    path.write_text(TWO_AT_ONCE)
    return path


def _check(cli: Any, path: Path | str, *extra: str) -> str:
    r = cli("check", str(path), "-p", "no-over-replication", "--output", "json", *extra)
    assert r.exit_code in (0, 1, 3), r.output  # 3: inconclusive at --max-states
    return str(r.output)


def test_two_nodes_of_a_zone_queued_in_one_pass_is_named(cli: Any, two_at_once: Path) -> None:
    # the pass at t=50s comes within the first few hundred states
    assert NOTE in _check(cli, two_at_once, "--max-states", "1000")
    assert NOTE in _check(cli, two_at_once, "--engine", "hypothesis", "--profile", "ci")


def test_with_every_order_tried_nothing_is_named(cli: Any, two_at_once: Path) -> None:
    """The four workers are interchangeable: --node-symmetry walks both orders of the two."""
    assert NOTE not in _check(cli, two_at_once, "--node-symmetry", "--max-states", "1000")
    # and those 1,000 states reach the pass that queues the two, in both orders
    model = KubeModel(load(two_at_once), node_symmetry=True)
    assert model.order_watch.every_order
    seen, todo, labels = set(), [next(iter(model.init_states()))], []
    while todo and len(seen) < 1000:
        state = todo.pop(0)
        for tr in model.transitions(state):
            labels.append(tr.label)
            key = model.fingerprint(tr.state)
            if key not in seen:
                seen.add(key)
                todo.append(tr.state)
    assert any("queued for NoExecute in the order worker-2, worker-1" in label for label in labels)


def test_a_run_that_never_queues_two_at_once_says_nothing(cli: Any) -> None:
    """seed-node-failure powers off one worker at a time."""
    out = _check(cli, Path(__file__).parent.parent / "scenarios" / "seed-node-failure.yaml", "--faults", "none")
    assert NOTE not in out


def test_the_watch_records_the_pass_that_queued_both(two_at_once: Path) -> None:
    """The step the checker takes is the list-order step, and the watch turns on exactly at the
    pass that queued the two workers (driven by the model's own fixed schedule)."""
    model = KubeModel(load(two_at_once), settle=False)
    watch = model.order_watch
    assert isinstance(watch, OrderWatch) and not watch.every_order
    state = next(iter(model.init_states()))
    queued_both = False
    for _ in range(400):
        trs = list(model.transitions(state))
        if not trs:
            break
        tr = trs[0]  # the first of every choice: the node list's order
        if tr.actor == "nodelifecycle":
            before = watch.restricted
            _, several = nodelifecycle.step_in_list_order(state.cluster)
            assert watch.restricted == (before or several)
            queued_both = queued_both or several
        state = tr.state
    assert queued_both and watch.restricted
