"""The policy file's validation, translated from kubernetes-sigs/descheduler v0.36.0
pkg/descheduler/policyconfig_test.go (TestDecodeVersionedPolicy, TestValidateDeschedulerConfiguration)
and the plugins' validation_test.go files: the error text each Go case expects appears in kmodel's
one-line refusal (which adds the file, the place and the fix). Cases about plugins, metrics
providers and pod protections kmodel does not model are left out (kmodel refuses those fields by
name instead).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel.errors import KmodelError
from kmodel.scenario import load

HEAD = "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {name: p}\n---\n"


def refusal(tmp_path: Path, policy: str) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(HEAD + policy)
    with pytest.raises(KmodelError) as err:
        load(path)
    return str(err.value)


def test_priority_threshold_exceeding_maximum(tmp_path: Path) -> None:
    """TestDecodeVersionedPolicy "v1alpha2 to internal, validate error handling
    (priorityThreshold exceeding maximum)": "priority threshold can't be greater than
    2000000000"."""
    policy = """apiVersion: "descheduler/v1alpha2"
kind: "DeschedulerPolicy"
profiles:
  - name: ProfileName
    pluginConfig:
    - name: "DefaultEvictor"
      args:
        priorityThreshold:
          value: 2000000001
    plugins:
      deschedule:
        enabled:
          - "RemovePodsViolatingNodeTaints"
"""
    assert "priority threshold can't be greater than 2000000000" in refusal(tmp_path, policy)


def test_namespaces_include_and_exclude(tmp_path: Path) -> None:
    """TestValidateDeschedulerConfiguration "multiple errors": the
    RemovePodsViolatingTopologySpreadConstraint profile's "in profile
    RemovePodsViolatingTopologySpreadConstraint: only one of Include/Exclude namespaces can be set"
    (kmodel stops at the first error)."""
    policy = """apiVersion: descheduler/v1alpha2
kind: DeschedulerPolicy
profiles:
- name: RemovePodsViolatingTopologySpreadConstraint
  pluginConfig:
  - name: RemovePodsViolatingTopologySpreadConstraint
    args: {namespaces: {include: [test1], exclude: [test1]}}
  plugins:
    balance: {enabled: [RemovePodsViolatingTopologySpreadConstraint]}
"""
    text = refusal(tmp_path, policy)
    assert (
        "in profile RemovePodsViolatingTopologySpreadConstraint: only one of Include/Exclude namespaces can be set"
        in text
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            "{thresholds: {}, targetThresholds: {cpu: 50}}",
            "thresholds config is not valid: no resource threshold is configured",
        ),
        (
            "{thresholds: {cpu: 20}, targetThresholds: {}}",
            "targetThresholds config is not valid: no resource threshold is configured",
        ),
        (
            "{thresholds: {cpu: 20, memory: 120}, targetThresholds: {cpu: 80, memory: 80}}",
            "thresholds config is not valid: memory threshold not in [0, 100] range",
        ),
        (
            "{thresholds: {cpu: 20, memory: 20}, targetThresholds: {cpu: 80}}",
            "thresholds and targetThresholds configured different resources",
        ),
        (
            "{thresholds: {cpu: 90}, targetThresholds: {cpu: 80}}",
            "thresholds' cpu percentage is greater than targetThresholds'",
        ),
        (
            "{thresholds: {cpu: 20}, targetThresholds: {cpu: 80}, evictableNamespaces: {include: [a]}}",
            "only Exclude namespaces can be set, inclusion is not supported",
        ),
    ],
    ids=[
        "empty thresholds",
        "empty targetThresholds",
        "out of range",
        "different resources",
        "threshold above target",
        "include namespaces",
    ],
)
def test_low_node_utilization_args(tmp_path: Path, args: str, message: str) -> None:
    """nodeutilization/validation_test.go TestValidateLowNodeUtilizationPluginConfig ("passing
    invalid thresholds", "thresholds and targetThresholds configured different num of
    resources", "thresholds' CPU config value is greater than targetThresholds'") and the other
    messages of ``ValidateLowNodeUtilizationArgs`` (empty thresholds, included namespaces)."""
    policy = f"""apiVersion: descheduler/v1alpha2
kind: DeschedulerPolicy
profiles:
- name: p
  pluginConfig:
  - name: LowNodeUtilization
    args: {args}
  plugins:
    balance: {{enabled: [LowNodeUtilization]}}
"""
    assert message in refusal(tmp_path, policy)


def test_node_taints_included_and_excluded(tmp_path: Path) -> None:
    """removepodsviolatingnodetaints/validation_test.go: "either includedTaints or excludedTaints
    can be set, but not both"."""
    policy = """apiVersion: descheduler/v1alpha2
kind: DeschedulerPolicy
profiles:
- name: p
  pluginConfig:
  - name: RemovePodsViolatingNodeTaints
    args: {includedTaints: [a], excludedTaints: [b]}
  plugins:
    deschedule: {enabled: [RemovePodsViolatingNodeTaints]}
"""
    assert "either includedTaints or excludedTaints can be set, but not both" in refusal(tmp_path, policy)


def test_node_affinity_type_needed(tmp_path: Path) -> None:
    """removepodsviolatingnodeaffinity/validation_test.go: "nodeAffinityType needs to be set"."""
    policy = """apiVersion: descheduler/v1alpha2
kind: DeschedulerPolicy
profiles:
- name: p
  pluginConfig:
  - name: RemovePodsViolatingNodeAffinity
    args: {}
  plugins:
    deschedule: {enabled: [RemovePodsViolatingNodeAffinity]}
"""
    assert "nodeAffinityType needs to be set" in refusal(tmp_path, policy)
