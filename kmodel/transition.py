"""What one step of the model produces: the next state, a label, and Kubernetes-style events."""

from __future__ import annotations

from attrs import frozen

from kmodel.state import Cluster


@frozen
class Event:
    """A Kubernetes Event (``kubectl get events``), or a kmodel fault / user action record."""

    t: int
    source: str  # the reporting component, e.g. "default-scheduler", "node-controller"
    reason: str  # e.g. "Scheduled", "FailedScheduling", "TaintManagerEviction"
    object: str  # "kind/name", e.g. "pod/hello-world-5d6cf-abcde"
    message: str
    type: str = "Normal"  # or "Warning"

    def as_dict(self) -> dict[str, object]:
        return {
            "t": self.t,
            "source": self.source,
            "reason": self.reason,
            "object": self.object,
            "message": self.message,
            "type": self.type,
        }


@frozen
class Outcome:
    """One successor of a state: which component (or fault / user) acted, and what it did."""

    actor: str  # "scheduler", "kubelet/minikube-m02", "fault", "user", "clock", ...
    label: str  # one line a person can read: "bind hello-world-x to minikube-m02"
    state: Cluster
    events: tuple[Event, ...] = ()
