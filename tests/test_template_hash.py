"""The pod template as Kubernetes hashes it: any change to a Deployment's template starts a rollout.

In Kubernetes the pod-template-hash covers the whole template, so a new image (or env var, or
annotation) gives a new ReplicaSet, which the Deployment scales up while it scales the old one
down. kmodel's template key includes the hash of the template as written (``spec_hash``).
"""

from __future__ import annotations

from pathlib import Path

from kmodel.engines.simulate import simulate
from kmodel.manifests import load_documents, read_manifests
from kmodel.scenario import load
from kmodel.state import Deployment
from tests.conftest import DEPLOYMENT

SCENARIO = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {name: image-rollout}
until: 3m
timeline: ["60s apply v2.yaml"]
---
"""


def _write(tmp_path: Path, v2: str) -> Path:
    (tmp_path / "v2.yaml").write_text(v2)
    main = tmp_path / "main.yaml"
    main.write_text(SCENARIO + DEPLOYMENT)
    return main


def test_a_new_image_starts_a_rollout(tmp_path: Path) -> None:
    scen = load(_write(tmp_path, DEPLOYMENT.replace("image: nginx", "image: nginx:1.27")))
    sim = simulate(scen)
    final = sim.final
    assert final is not None
    rss = sorted(final.replicasets, key=lambda rs: rs.revision)
    assert len(rss) == 2
    old, new = rss
    assert old.template.images == ("nginx",) and new.template.images == ("nginx:1.27",)
    assert (old.replicas, new.replicas) == (0, 2)
    scaled = [e.message for e in sim.events if e.reason == "ScalingReplicaSet" and e.t >= 60]
    assert any(f"Scaled up replica set {new.name}" in m for m in scaled), scaled
    assert any(f"Scaled down replica set {old.name}" in m and m.endswith("to 0") for m in scaled), scaled
    pods = [p for p in final.pods if p.deletion_timestamp is None]
    assert len(pods) == 2 and all(p.name.startswith(new.name) for p in pods)


def test_an_env_change_starts_a_rollout_too(tmp_path: Path) -> None:
    v2 = DEPLOYMENT.replace("image: nginx\n", "image: nginx\n          env: [{name: MODE, value: fast}]\n")
    final = simulate(load(_write(tmp_path, v2))).final
    assert final is not None and len(final.replicasets) == 2


def test_reapplying_the_same_template_changes_nothing(tmp_path: Path) -> None:
    v2 = DEPLOYMENT.replace("  replicas: 2\n", "  replicas: 3\n")  # a scale, not a template change
    sim = simulate(load(_write(tmp_path, v2)))
    assert sim.final is not None and len(sim.final.replicasets) == 1
    assert sim.final.replicasets[0].replicas == 3


def test_the_hash_ignores_how_the_yaml_is_written(tmp_path: Path) -> None:
    block = tmp_path / "block.yaml"
    block.write_text(DEPLOYMENT)
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n"
        "  selector: {matchLabels: {app: web}}\n"
        "  template: {spec: {containers: [{image: nginx, name: app}]}, metadata: {labels: {app: web}}}\n"
    )
    hashes = []
    for path in (block, flow):
        m = read_manifests(load_documents(path), str(path), version="1.37").manifests[0]
        assert isinstance(m.obj, Deployment)
        hashes.append(m.obj.template.spec_hash)
    assert hashes[0] == hashes[1] and hashes[0]
