"""Deployment controller, translated from pkg/controller/deployment/deployment_controller_test.go.

``ReplicaSet.owner`` is the controllerRef (the owning Deployment's name; None for an orphan);
``ReplicaSet.labels`` its metadata.labels, which the Deployment's selector is matched against.
"""

from __future__ import annotations

from kmodel.components import deployment
from kmodel.state import Cluster, Deployment, PodTemplate, ReplicaSet, labels_of
from tests.k8s.conftest import apply, mkcluster, mknode

FOO_BAR = labels_of({"foo": "bar"})


def mkdeployment(name: str, replicas: int) -> Deployment:
    """``newDeployment(name, replicas, nil, nil, nil, {"foo": "bar"})``."""
    return Deployment(name=name, replicas=replicas, selector=FOO_BAR, template=PodTemplate(labels=FOO_BAR))


def mkrs(d: Deployment, name: str, replicas: int, owner: str | None, labels: dict[str, str]) -> ReplicaSet:
    """``newReplicaSet(d, name, replicas)``: the Deployment's template, selector and controllerRef."""
    return ReplicaSet(
        name=name,
        replicas=replicas,
        selector=d.selector,
        template=d.template,
        owner=owner,
        labels=labels_of(labels),
    )


def owner_of(c: Cluster, name: str) -> str | None:
    rs = c.replicaset(name)
    assert rs is not None
    return rs.owner


def test_get_replicasets_for_deployment_adopt_release() -> None:
    """deployment_controller_test.go TestGetReplicaSetsForDeploymentAdoptRelease: an orphan
    ReplicaSet whose labels match the Deployment's selector is adopted; an owned one whose
    labels no longer match is released (its controllerRef removed)."""
    d = mkdeployment("foo", 1)
    adopt = mkrs(d, "rsadopt", 1, owner=None, labels={"foo": "bar"})
    release = mkrs(d, "rsrelease", 1, owner="foo", labels={"foo": "notbar"})
    c = mkcluster(mknode("node1"), replicasets=(adopt, release), deployments=(d,))
    after, _ = apply(deployment.step, c)
    assert owner_of(after, "rsadopt") == "foo"
    assert owner_of(after, "rsrelease") is None


def test_get_replicasets_for_deployment_leaves_other_owners_alone() -> None:
    """deployment_controller_test.go TestGetReplicaSetsForDeployment: two Deployments with the
    same selector each get only the ReplicaSet they own; neither claims the other's."""
    d1, d2 = mkdeployment("foo", 1), mkdeployment("bar", 1)
    rs1 = mkrs(d1, "rs1", 1, owner="foo", labels={"foo": "bar"})
    rs2 = mkrs(d2, "rs2", 1, owner="bar", labels={"foo": "bar"})
    c = mkcluster(mknode("node1"), replicasets=(rs1, rs2), deployments=(d1, d2))
    after, _ = apply(deployment.step, c)
    assert (owner_of(after, "rs1"), owner_of(after, "rs2")) == ("foo", "bar")
