"""Small builders shared by the Kubernetes-derived tests in this package.

The tests here translate kubernetes/kubernetes' own unit tests. Their expectations come from the
Go tests (and, where a test leaves a detail open, from the Go source next to it), never from what
kmodel happens to do. Each test names its Go file, test function and table case.

Conventions of the translations:
- the Go tests' ``fakeNow`` is t=0 on the model clock unless a test says otherwise, and times are
  whole seconds;
- ``testutil.NewPod(name, node)`` is a Running, Ready pod bound to ``node`` and created without
  admission (no default tolerations), which :func:`mkpod` builds;
- a node that never posted a Ready condition has ``ready == NO_CONDITION`` (the planned
  ``COND_NONE``) and no heartbeat.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import attrs
import pytest

from kmodel.settings import Settings
from kmodel.state import (
    COND_FALSE,
    COND_TRUE,
    COND_UNKNOWN,
    LABEL_HOSTNAME,
    LABEL_ZONE,
    NO_EXECUTE,
    RUNNING,
    Cluster,
    Node,
    Pod,
    Taint,
    Toleration,
    labels_of,
)
from kmodel.transition import Event, Outcome

# Node.ready of a node whose kubelet never posted a Ready condition (kmodel's planned COND_NONE).
NO_CONDITION = ""

# The Ready condition's reason that goes with each status when a test does not say.
_REASONS = {
    COND_TRUE: "KubeletReady",
    COND_FALSE: "KubeletNotReady",
    COND_UNKNOWN: "NodeStatusUnknown",
    NO_CONDITION: "",
}


def mknode(
    name: str,
    *,
    zone: str | None = None,
    ready: str = COND_TRUE,
    heartbeat: int | None = 0,
    taints: tuple[Taint, ...] = (),
    labels: dict[str, str] | None = None,
    **kw: Any,
) -> Node:
    """A node as a Go test's ``v1.Node`` literal: its Ready status and lastHeartbeatTime, and no
    Lease unless the test gives one (``lease_renew_time``), as in the Go tests' fixtures."""
    kw.setdefault("ready_reason", _REASONS.get(ready, ""))
    kw.setdefault("lease_renew_time", None)
    all_labels = {LABEL_HOSTNAME: name, **(labels or {})}
    if zone is not None:
        all_labels[LABEL_ZONE] = zone
    return Node(
        name=name,
        labels=labels_of(all_labels),
        ready=ready,
        last_heartbeat=heartbeat,
        taints=taints,
        **kw,
    )


def mkpod(name: str, node: str | None = None, **kw: Any) -> Pod:
    """``testutil.NewPod(name, node)``: bound to ``node``, Running and Ready, no tolerations."""
    fields: dict[str, Any] = {"phase": RUNNING, "ready": True, "containers_ready": True}
    if node is None:
        fields.update(phase="Pending", ready=False, containers_ready=False)
    fields.update(kw)
    return Pod(name=name, node_name=node, **fields)


def mkcluster(
    *nodes: Node,
    pods: tuple[Pod, ...] | list[Pod] = (),
    now: int = 0,
    settings: Settings | None = None,
    **kw: Any,
) -> Cluster:
    """A cluster holding exactly these objects (no admission, no defaults added)."""
    return Cluster(
        settings=settings or Settings(),
        now=now,
        nodes=tuple(sorted(nodes, key=attrgetter("name"))),
        pods=tuple(sorted(pods, key=attrgetter("name"))),
        **kw,
    )


def at(c: Cluster, now: int) -> Cluster:
    return attrs.evolve(c, now=now)


def apply(step: Callable[[Cluster], list[Outcome]], c: Cluster) -> tuple[Cluster, tuple[Event, ...]]:
    """Run one step of a component; the first successor's state and events (unchanged if the
    component had nothing to do)."""
    outs = step(c)
    if not outs:
        return c, ()
    return outs[0].state, outs[0].events


def node_of(c: Cluster, name: str) -> Node:
    node = c.node(name)
    assert node is not None, f"node {name} is gone"
    return node


def pod_of(c: Cluster, name: str) -> Pod:
    pod = c.pod(name)
    assert pod is not None, f"pod {name} is gone"
    return pod


def replace_node(c: Cluster, name: str, **changes: Any) -> Cluster:
    """The Go tests' ``fakeNodeHandler.Existing[i].Status = ...``: a new status for a node."""
    return c.with_node(attrs.evolve(node_of(c, name), **changes))


def no_execute(key: str, value: str = "", time_added: int = 0) -> Taint:
    return Taint(key=key, value=value, effect=NO_EXECUTE, time_added=time_added)


def taint_n(i: int) -> Taint:
    """``createNoExecuteTaint(i)`` in taint_eviction_test.go."""
    return no_execute(f"testTaint{i}", f"test{i}")


def toleration_n(i: int, seconds: int | None) -> Toleration:
    """``addToleration(pod, i, duration)``: Equal operator on key/value, NoExecute; a negative
    duration means no tolerationSeconds (tolerated forever)."""
    return Toleration(key=f"testTaint{i}", value=f"test{i}", effect=NO_EXECUTE, toleration_seconds=seconds)


def case(name: str, *values: object) -> Any:
    """One row of a Go table test, identified in pytest by the Go case name."""
    return pytest.param(name, *values, id=name)
