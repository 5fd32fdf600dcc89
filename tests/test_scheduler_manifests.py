"""Manifests that use node affinity, host ports, extended resources and spec.nodeName in pod
templates: what kmodel reads from them, and the apiserver's messages for invalid ones.

The messages are those of pkg/apis/core/validation (ValidateNodeSelector,
ValidateNodeFieldSelectorRequirement, ValidatePreferredSchedulingTerms, validateContainerPorts,
AccumulateUniqueHostPorts, the resource requirements' checks of non-overcommitable resources).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kmodel.errors import KmodelError
from kmodel.labels import GT, IN, Requirement
from kmodel.scenario import load
from kmodel.schedulingspec import HostPort

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
{spec}  containers:
    - name: app
      image: nginx
{container}"""


def pod_yaml(spec: str = "", container: str = "", version: str | None = None) -> str:
    text = POD.format(
        spec=textwrap.indent(textwrap.dedent(spec).lstrip("\n"), "  ") if spec else "",
        container=textwrap.indent(textwrap.dedent(container).lstrip("\n"), "      ") if container else "",
    )
    if version:
        text = (
            f"apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\n"
            f"settings: {{kubernetesVersion: '{version}'}}\n---\n" + text
        )
    return text


def load_text(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return load(path)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(KmodelError) as err:
        load_text(tmp_path, text)
    return str(err.value)


AFFINITY = """
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - {key: disktype, operator: In, values: [ssd, nvme]}
            - {key: cores, operator: Gt, values: ["8"]}
        - matchFields:
            - {key: metadata.name, operator: In, values: [node-1]}
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 20
        preference:
          matchExpressions:
            - {key: zone, operator: In, values: [a]}
"""


def test_node_affinity_is_read(tmp_path: Path) -> None:
    scen = load_text(tmp_path, pod_yaml(AFFINITY))
    (m,) = [m for m in scen.manifests if m.kind == "Pod"]
    na = m.obj.scheduling.node_affinity
    assert na is not None and na.required is not None
    first, second = na.required
    assert first.match_expressions == (
        Requirement("disktype", IN, ("ssd", "nvme")),
        Requirement("cores", GT, ("8",)),
    )
    assert second.match_fields == (Requirement("metadata.name", IN, ("node-1",)),)
    assert not first.parse_error and not second.parse_error
    (pref,) = na.preferred
    assert pref.weight == 20 and pref.preference.match_expressions == (Requirement("zone", IN, ("a",)),)


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        (
            "no terms",
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "      nodeSelectorTerms: []\n",
            'The Pod "p" is invalid: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.'
            "nodeSelectorTerms: Required value: must have at least one node selector term",
        ),
        (
            "weight out of range",
            "affinity:\n  nodeAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution:\n"
            "      - weight: 101\n        preference: {matchExpressions: [{key: a, operator: Exists}]}\n",
            'The Pod "p" is invalid: spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].'
            "weight: Invalid value: 101: must be in the range 1-100",
        ),
        (
            "bad operator",
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "      nodeSelectorTerms: [{matchExpressions: [{key: a, operator: Near, values: [b]}]}]\n",
            'nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
        ),
        (
            "Gt with two values",
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "      nodeSelectorTerms: [{matchExpressions: [{key: a, operator: Gt, values: ['1', '2']}]}]\n",
            "matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or "
            "'Gt'",
        ),
        (
            "Exists with values",
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "      nodeSelectorTerms: [{matchExpressions: [{key: a, operator: Exists, values: [b]}]}]\n",
            "matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
        (
            "field selector on labels",
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "      nodeSelectorTerms: [{matchFields: [{key: metadata.labels, operator: In, values: [b]}]}]\n",
            'matchFields[0].key: Invalid value: "metadata.labels": not a valid field selector key',
        ),
        (
            "field selector with two names",
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "      nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [a, b]}]}]\n",
            "matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for "
            "node field selector",
        ),
        (
            "invalid label value",
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
            "      nodeSelectorTerms: [{matchExpressions: [{key: a, operator: In, values: ['a b']}]}]\n",
            'matchExpressions[0].values[0]: Invalid value: "a b": a valid label must be',
        ),
    ],
)
def test_invalid_node_affinity_gets_the_apiservers_message(tmp_path: Path, name: str, spec: str, message: str) -> None:
    assert message in error_of(tmp_path, pod_yaml(spec))


def test_invalid_label_values_pass_before_1_33_and_match_no_node(tmp_path: Path) -> None:
    """Before 1.33 (kubernetes PR 128212) the apiserver let such values through; the scheduler cannot
    parse the term (labels.NewRequirement), so it matches no node."""
    spec = (
        "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
        "      nodeSelectorTerms: [{matchExpressions: [{key: a, operator: NotIn, values: ['a b']}]}]\n"
    )
    scen = load_text(tmp_path, pod_yaml(spec, version="1.32"))
    (m,) = [m for m in scen.manifests if m.kind == "Pod"]
    assert m.obj.scheduling.node_affinity.required[0].parse_error


def test_host_ports_are_read_from_containers_only(tmp_path: Path) -> None:
    text = pod_yaml(
        "initContainers:\n  - name: init\n    image: busybox\n    ports: [{containerPort: 9000, hostPort: 9000}]\n",
        "ports:\n  - {containerPort: 80, hostPort: 8080}\n  - {containerPort: 53, hostPort: 53, protocol: UDP, "
        "hostIP: 10.0.0.1}\n  - {containerPort: 81}\n",
    )
    (m,) = [m for m in load_text(tmp_path, text).manifests if m.kind == "Pod"]
    assert m.obj.scheduling.host_ports == (HostPort(8080, "TCP", ""), HostPort(53, "UDP", "10.0.0.1"))


@pytest.mark.parametrize(
    ("container", "message"),
    [
        (
            "ports:\n  - {containerPort: 80, hostPort: 8080}\n  - {containerPort: 81, hostPort: 8080}\n",
            'spec.containers[0].ports[1].hostPort: Duplicate value: "8080/TCP"',
        ),
        (
            "ports:\n  - {containerPort: 80, hostPort: 70000}\n",
            "spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        ),
        (
            "ports:\n  - {containerPort: 80, hostPort: 80, protocol: ICMP}\n",
            'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP"',
        ),
        (
            "resources:\n  requests: {nvidia.com/gpu: 1}\n",
            "spec.containers[0].resources.limits[nvidia.com/gpu]: Required value: Limit must be set for non "
            "overcommitable resources",
        ),
        (
            "resources:\n  requests: {nvidia.com/gpu: 1}\n  limits: {nvidia.com/gpu: 2}\n",
            'spec.containers[0].resources.requests[nvidia.com/gpu]: Invalid value: "1": must be equal to '
            "nvidia.com/gpu limit of 2",
        ),
        (
            "resources:\n  limits: {nvidia.com/gpu: 500m}\n",
            'spec.containers[0].resources.limits[nvidia.com/gpu]: Invalid value: "500m": must be an integer',
        ),
    ],
)
def test_invalid_ports_and_extended_resources(tmp_path: Path, container: str, message: str) -> None:
    assert message in error_of(tmp_path, pod_yaml(container=container))


def test_extended_resources_and_ephemeral_storage_are_read(tmp_path: Path) -> None:
    text = pod_yaml(
        container="resources:\n  requests: {cpu: 500m, ephemeral-storage: 2Gi}\n  limits: {nvidia.com/gpu: 2}\n"
    )
    text += (
        "---\napiVersion: v1\nkind: Node\nmetadata: {name: g}\nstatus:\n"
        "  capacity: {nvidia.com/gpu: '4', ephemeral-storage: 100Gi, cpu: '8'}\n"
        "  allocatable: {nvidia.com/gpu: '3', cpu: 7500m}\n"
    )
    scen = load_text(tmp_path, text)
    (pod,) = [m.obj for m in scen.manifests if m.kind == "Pod"]
    assert pod.requests.cpu == 500 and pod.requests.ephemeral_storage == 2 * 1024**3
    assert pod.requests.scalar == (("nvidia.com/gpu", 2),)
    (node,) = scen.nodes
    # allocatable overrides capacity resource by resource
    assert node.capacity.cpu == 7500 and node.capacity.scalar == (("nvidia.com/gpu", 3),)
    assert node.capacity.ephemeral_storage == 100 * 1024**3


def test_a_template_may_name_its_node(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      nodeName: n1\n      containers: [{name: app, image: nginx}]\n"
    )
    scen = load_text(tmp_path, text)
    (d,) = [m.obj for m in scen.manifests if m.kind == "Deployment"]
    assert d.template.node_name == "n1"
    missing = text.replace("nodeName: n1", "nodeName: ghost")
    assert "spec.template.spec.nodeName names node 'ghost', which is not in the scenario" in error_of(tmp_path, missing)
