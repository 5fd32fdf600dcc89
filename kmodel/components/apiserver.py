"""kube-apiserver (with etcd behind it): availability, admission, and the write paths.

Mirrors:
- availability: every other component reads and writes only through the apiserver, which only
  works while etcd does (seeds 003, 004);
- ``plugin/pkg/admission/defaulttolerationseconds``: new pods get NoExecute tolerations for
  ``node.kubernetes.io/not-ready`` and ``node.kubernetes.io/unreachable`` for 300 s, unless they
  already tolerate those taints;
- ``plugin/pkg/admission/nodetaint``: a new Node gets ``node.kubernetes.io/not-ready:NoSchedule``;
- ``pkg/registry/core/pod/strategy.go``: graceful delete sets ``deletionTimestamp``; a pod that is
  not bound to a node (or is already finished) is removed at once;
- name generation (``generateName``): ``<prefix><5 random characters>``; here the characters
  are derived from a counter so that runs are reproducible.

Left out: authentication, authorization, other admission plugins, resource versions and
optimistic concurrency (the model's steps are atomic).
"""

from __future__ import annotations

import hashlib

import attrs

from kmodel.state import (
    FAILED,
    NO_EXECUTE,
    NO_SCHEDULE,
    SUCCEEDED,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Cluster,
    Node,
    Pod,
    Taint,
    Toleration,
)

# k8s.io/apimachinery/pkg/util/rand: the alphabet generated names are drawn from (no vowels,
# no confusable characters).
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

REFUSED_MESSAGE = "The connection to the server 192.168.49.2:8443 was refused - did you specify the right host or port?"


def available(cluster: Cluster) -> bool:
    return cluster.apiserver_available


def name_suffix(seed: str, n: int, length: int = 5) -> str:
    """A reproducible stand-in for the random suffix of a generated name."""
    digest = hashlib.sha256(f"{seed}/{n}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:length])


def template_hash(text: str) -> str:
    """A stand-in for the pod-template-hash label (10 characters from the same alphabet)."""
    return name_suffix(text, 0, length=10)


def default_tolerations(pod: Pod, cluster: Cluster) -> Pod:
    """DefaultTolerationSeconds admission."""
    s = cluster.settings
    tolerations = list(pod.tolerations)
    for key, seconds in (
        (TAINT_NOT_READY, s.default_not_ready_toleration_seconds),
        (TAINT_UNREACHABLE, s.default_unreachable_toleration_seconds),
    ):
        probe = Taint(key=key, effect=NO_EXECUTE)
        if not any(t.tolerates(probe) for t in tolerations):
            tolerations.append(Toleration(key=key, operator="Exists", effect=NO_EXECUTE, toleration_seconds=seconds))
    return attrs.evolve(pod, tolerations=tuple(tolerations))


def admit_node(node: Node, now: int) -> Node:
    """NodeTaint admission: a Node is created with the not-ready:NoSchedule taint."""
    if node.has_taint(TAINT_NOT_READY, NO_SCHEDULE):
        return node
    return attrs.evolve(node, taints=(*node.taints, Taint(key=TAINT_NOT_READY, effect=NO_SCHEDULE)))


def create_pod(cluster: Cluster, pod: Pod) -> Cluster:
    """Admit and store a new pod (created now)."""
    pod = default_tolerations(attrs.evolve(pod, created=cluster.now), cluster)
    return cluster.with_pod(pod)


def delete_pod(cluster: Cluster, name: str, force: bool = False) -> Cluster:
    """Graceful DELETE of a pod: Terminating if a kubelet must stop it, else gone at once."""
    pod = cluster.pod(name)
    if pod is None:
        return cluster
    if force or pod.node_name is None or pod.phase in (SUCCEEDED, FAILED):
        return cluster.without_pod(name)
    if pod.deletion_timestamp is not None:
        return cluster
    return cluster.with_pod(attrs.evolve(pod, deletion_timestamp=cluster.now))
