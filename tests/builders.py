"""Small builders for hand-made clusters and scenarios used by several test files."""

from __future__ import annotations

from pathlib import Path

import attrs

from kmodel import model
from kmodel.components import apiserver
from kmodel.engines.simulate import Simulation, simulate
from kmodel.scenario import Scenario, load
from kmodel.settings import Settings
from kmodel.state import LABEL_HOSTNAME, LABEL_ZONE, Cluster, Node, Pod, labels_of


def node(name: str, zone: str | None = None, **kw: object) -> Node:
    labels = {LABEL_HOSTNAME: name}
    if zone is not None:
        labels[LABEL_ZONE] = zone
    return Node(name=name, labels=labels_of(labels), **kw)  # type: ignore[arg-type]


def cluster(*nodes: Node, pods: tuple[Pod, ...] = (), settings: Settings | None = None, now: int = 0) -> Cluster:
    c = Cluster(settings=settings or Settings(), now=now, nodes=tuple(sorted(nodes, key=lambda n: n.name)))
    for p in pods:
        c = apiserver.create_pod(c, p)
        if p.node_name:
            c = c.with_pod(attrs.evolve(c.pod(p.name), node_name=p.node_name))  # type: ignore[arg-type]
    return c


def manifest_scenario(tmp_path: Path, body: str, name: str = "scenario.yaml") -> Scenario:
    path = tmp_path / name
    path.write_text(body)
    return load(path)


def run_until(c: Cluster, seconds: int) -> Cluster:
    """Run the fixed simulation schedule on a hand-made cluster (no timeline)."""
    while True:
        for outcome in model.fixed_schedule(c):
            c = outcome.state
        if c.now + c.settings.step > seconds:
            return c
        c = model.tick(c)


def first_event_time(sim: Simulation, reason: str, obj: str | None = None, contains: str = "") -> int | None:
    for e in sim.events:
        if e.reason == reason and (obj is None or e.object == obj) and contains in e.message:
            return e.t
    return None


WORKERS_YAML = """
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {{name: t}}
until: {until}
settings: {settings}
timeline: {timeline}
---
{nodes}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: app, image: nginx}}]
"""


def node_yaml(name: str, zone: str | None = None) -> str:
    labels = f"labels: {{topology.kubernetes.io/zone: {zone}}}" if zone else ""
    return f"apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  {labels}\n"


def workers_scenario(
    tmp_path: Path,
    names: list[str],
    timeline: list[str],
    *,
    zones: dict[str, str] | None = None,
    replicas: int = 2,
    settings: str = "{}",
    until: str = "15m",
) -> Scenario:
    nodes = "\n---\n".join(node_yaml(n, (zones or {}).get(n)) for n in names)
    body = WORKERS_YAML.format(
        until=until,
        settings=settings,
        timeline="[" + ", ".join(f'"{t}"' for t in timeline) + "]",
        nodes=nodes,
        replicas=replicas,
    )
    return manifest_scenario(tmp_path, body)


def run(scen: Scenario) -> Simulation:
    return simulate(scen)
