"""PrioritySort (plugins/queuesort): the order the scheduling queue pops pods in.

``Less``: the pod with the higher ``spec.priority`` goes first; between equal priorities the one
that entered the queue earlier. kmodel's queue timestamp is the pod's creation time (the model
retries every pending pod each tick, so a failed attempt does not move a pod back in the queue as
the real backoff and unschedulable queues would); names break the remaining ties so that runs are
reproducible.
"""

from __future__ import annotations

from kmodel.state import Pod

NAME = "PrioritySort"


def less(p1: Pod, p2: Pod, t1: int | None = None, t2: int | None = None) -> bool:
    """Whether ``p1`` goes before ``p2`` (``t1``/``t2``: their queue timestamps, default the
    creation times)."""
    if p1.priority != p2.priority:
        return p1.priority > p2.priority
    return (p1.created if t1 is None else t1) < (p2.created if t2 is None else t2)


def key(pod: Pod) -> tuple[int, int, str]:
    """A sort key that orders pods as :func:`less` does (names last)."""
    return (-pod.priority, pod.created, pod.name)
