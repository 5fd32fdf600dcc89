"""Which kinds of object kmodel reads, which it may ignore, and which it must refuse.

A manifest file often holds more than kmodel models: a ConfigMap next to its Deployment, the
Namespace they live in, RBAC for the app's ServiceAccount. Every kind is in one of three
columns, decided by what it does to the control plane that kmodel models (scheduling, the
workload controllers, endpoints, node health and eviction):

- **modelled**: Node, Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Service, PriorityClass, Job,
  HorizontalPodAutoscaler (read by
  PodDisruptionBudget (read by
  :mod:`kmodel.manifests`);
- **ignored**: the object changes nothing kmodel models; it is accepted, left out, and named in
  every report's header (no ``--allow-unmodelled`` needed). The note says why ignoring it is safe,
  or what kmodel assumes (a ConfigMap a pod mounts exists);
- **refused**: the object changes what the control plane does (a CronJob creates Jobs, a
  LimitRange sets requests) and kmodel does not model it. The note says what kmodel would need.
  With ``--allow-unmodelled`` it is left out like an unmodelled field, and named in every verdict.

A kind that is in no column (a custom resource, a typo) is refused the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

MODELLED = "modelled"
IGNORED = "ignored"
REFUSED = "refused"


@frozen
class KindRule:
    kind: str
    group: str  # the API group ("" for the core group)
    status: str
    note: str  # ignored: why it changes nothing kmodel models; refused: what kmodel would need


def _rules(status: str, group: str, entries: Mapping[str, str]) -> dict[str, KindRule]:
    return {kind: KindRule(kind, group, status, note) for kind, note in entries.items()}


ASSUMED = "kmodel assumes that what the pods reference exists"
RBAC = "authorization of API clients: kmodel's components and kubectl may do everything they do"

KINDS: dict[str, KindRule] = {
    **_rules(MODELLED, "", {"Node": "", "Pod": "", "Service": ""}),
    **_rules(MODELLED, "apps", {"Deployment": "", "ReplicaSet": "", "StatefulSet": "", "DaemonSet": ""}),
    **_rules(
        IGNORED,
        "",
        {
            "ConfigMap": f"data for containers; {ASSUMED}",
            "Secret": f"data for containers; {ASSUMED}",
            "ServiceAccount": f"an identity for pods; {ASSUMED}",
            "Namespace": "a namespace object; kmodel reads the objects' metadata.namespace",
            "PersistentVolume": "storage for claims; pods that claim volumes are refused",
            "PersistentVolumeClaim": "storage for pods; pods that mount a claim are refused",
            "Event": "a record of what happened; kmodel writes its own",
            "PodTemplate": "a template no controller kmodel models reads",
        },
    ),
    **_rules(
        IGNORED,
        "rbac.authorization.k8s.io",
        dict.fromkeys(("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"), RBAC),
    ),
    **_rules(
        IGNORED,
        "networking.k8s.io",
        {
            "NetworkPolicy": "traffic filtering by the network plugin; scheduling and endpoints do not depend on it",
            "Ingress": "routes outside traffic to Services; endpoints do not depend on it",
            "IngressClass": "which ingress controller serves an Ingress",
        },
    ),
    **_rules(MODELLED, "policy", {"PodDisruptionBudget": ""}),
    **_rules(
        IGNORED, "storage.k8s.io", {"StorageClass": "how claims get volumes; pods that mount a claim are refused"}
    ),
    **_rules(
        IGNORED, "node.k8s.io", {"RuntimeClass": "only pods that name it use it, and runtimeClassName is refused"}
    ),
    **_rules(MODELLED, "scheduling.k8s.io", {"PriorityClass": ""}),
    **_rules(MODELLED, "batch", {"Job": ""}),
    **_rules(
        IGNORED,
        "apiextensions.k8s.io",
        {"CustomResourceDefinition": "adds an API that no component kmodel models reads"},
    ),
    **_rules(
        REFUSED,
        "",
        {
            "ReplicationController": "needs the ReplicationController controller (use a ReplicaSet)",
            "LimitRange": "needs LimitRanger admission: it gives pods default requests and limits",
            "ResourceQuota": "needs ResourceQuota admission: it refuses pods over the quota",
            "Endpoints": "needs hand-written endpoints: kmodel's endpoints controller writes them for Services",
        },
    ),
    **_rules(
        REFUSED,
        "descheduler",
        {
            "DeschedulerPolicy": (
                "needs it in the scenario file (a document, or the file its Scenario's descheduler.policy names): "
                "the descheduler reads its policy from a file, not from the API"
            ),
        },
    ),
    **_rules(
        REFUSED,
        "apps",
        {
            "ControllerRevision": "revision history; kmodel keeps workloads' revisions as template hashes",
        },
    ),
    **_rules(
        REFUSED,
        "batch",
        {"CronJob": "needs the CronJob controller"},
    ),
    **_rules(MODELLED, "autoscaling", {"HorizontalPodAutoscaler": ""}),
    **_rules(
        REFUSED,
        "discovery.k8s.io",
        {"EndpointSlice": "needs hand-written endpoints: kmodel's endpoints controller writes them for Services"},
    ),
    **_rules(
        REFUSED,
        "coordination.k8s.io",
        {"Lease": "needs Leases written by hand: kmodel's kubelets renew their node Leases themselves"},
    ),
    **_rules(
        REFUSED,
        "admissionregistration.k8s.io",
        dict.fromkeys(
            (
                "MutatingWebhookConfiguration",
                "ValidatingWebhookConfiguration",
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
                "MutatingAdmissionPolicy",
                "MutatingAdmissionPolicyBinding",
            ),
            "needs admission that can change or refuse the objects kmodel creates",
        ),
    ),
}


def group_of(api_version: str) -> str:
    """``apps/v1`` -> ``apps``; ``v1`` -> "" (the core group)."""
    return api_version.rpartition("/")[0]


def rule_of(doc: Mapping[str, Any]) -> KindRule | None:
    """The rule of the document's kind, or None for a kind in no column."""
    kind = doc.get("kind")
    return KINDS.get(kind) if isinstance(kind, str) else None


def refusal_note(rule: KindRule, doc: Mapping[str, Any]) -> str | None:
    """For an ignored kind, what kmodel would need when this object's values do change what it
    models (None: ignoring it is safe)."""
    return None


def known(status: str) -> list[str]:
    return sorted(k for k, r in KINDS.items() if r.status == status)
