"""Reading probes from manifests: the apiserver's defaults and validation (SetDefaults_Probe,
validateProbe, validateInitContainers), and one-line errors for what kmodel refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel.errors import KmodelError
from kmodel.probespec import Probe, ProbeSpec
from kmodel.scenario import load

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
{init}  containers:
    - name: app
      image: nginx
{probes}"""


def load_pod(tmp_path: Path, probes: str, init: str = "") -> ProbeSpec | None:
    path = tmp_path / "p.yaml"
    path.write_text(POD.format(probes=probes, init=init))
    scenario = load(path)
    pod = next(m.obj for m in scenario.manifests if m.kind == "Pod")
    return pod.probes  # type: ignore[union-attr]


def test_defaults(tmp_path: Path) -> None:
    spec = load_pod(tmp_path, "      readinessProbe:\n        tcpSocket: {port: 80}\n")
    assert spec == ProbeSpec(readiness=Probe(initial_delay=0, period=10, failure_threshold=3, success_threshold=1))


def test_fields_are_read(tmp_path: Path) -> None:
    spec = load_pod(
        tmp_path,
        "      livenessProbe:\n        exec: {command: [/bin/true]}\n        initialDelaySeconds: 7\n"
        "        periodSeconds: 4\n        failureThreshold: 2\n        timeoutSeconds: 3\n"
        "      startupProbe:\n        grpc: {port: 9000}\n        failureThreshold: 30\n",
    )
    assert spec is not None
    assert spec.liveness == Probe(initial_delay=7, period=4, failure_threshold=2, success_threshold=1, timeout=3)
    assert spec.startup is not None and spec.startup.failure_threshold == 30 and spec.readiness is None


def test_no_probes_is_none(tmp_path: Path) -> None:
    assert load_pod(tmp_path, "") is None


@pytest.mark.parametrize(
    ("probes", "init", "message"),
    [
        ("      readinessProbe:\n        periodSeconds: 5\n", "", "must specify a handler type"),
        (
            "      readinessProbe:\n        exec: {command: [a]}\n        tcpSocket: {port: 80}\n",
            "",
            "may not specify more than 1 handler type",
        ),
        ("      livenessProbe:\n        exec: {command: [a]}\n        successThreshold: 2\n", "", "must be 1"),
        ("      readinessProbe:\n        exec: {command: [a]}\n        periodSeconds: 0\n", "", "must be >= 1"),
        (
            "      readinessProbe:\n        exec: {command: [a]}\n"
            "    - name: side\n      image: envoy\n      readinessProbe:\n        exec: {command: [b]}\n",
            "",
            "one readinessProbe per pod",
        ),
        (
            "",
            "  initContainers:\n    - name: init\n      image: busybox\n      livenessProbe:\n"
            "        exec: {command: [a]}\n",
            "may not be set for init containers",
        ),
    ],
)
def test_refusals_are_one_line(tmp_path: Path, probes: str, init: str, message: str) -> None:
    with pytest.raises(KmodelError) as err:
        load_pod(tmp_path, probes, init)
    text = str(err.value)
    assert message in text and "\n" not in text and "p.yaml:" in text


WORKLOADS = {
    "Deployment": "  replicas: 1\n",
    "ReplicaSet": "  replicas: 1\n",
    "StatefulSet": "  serviceName: db\n  replicas: 1\n",
    "DaemonSet": "",
}


@pytest.mark.parametrize("kind", sorted(WORKLOADS))
def test_every_workload_controller_gives_its_pods_the_template_probes(tmp_path: Path, kind: str) -> None:
    """Pods of every workload kind carry the template's probes: a readiness probe with
    initialDelaySeconds 60 keeps each pod not ready until 60 s after its container started
    (prober worker_test.go TestInitialDelay), whichever controller made the pod."""
    from kmodel.engines.simulate import simulate

    path = tmp_path / "w.yaml"
    path.write_text(
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: db}}\nspec:\n{WORKLOADS[kind]}"
        "  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n"
        "      containers:\n      - name: db\n        image: postgres\n"
        "        readinessProbe: {exec: {command: [pg_isready]}, initialDelaySeconds: 60}\n"
    )
    states = []
    simulate(load(path), until=120, on_tick=states.append)
    running_since: dict[str, int] = {}
    for c in states:
        for p in c.pods:
            if p.phase == "Running":
                since = running_since.setdefault(p.name, c.now)
                assert p.ready == (c.now >= since + 60), (kind, p.name, c.now)
    assert running_since, "no pod ever ran"
