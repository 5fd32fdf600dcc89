"""What every checking engine sees and returns. Nothing here knows about Kubernetes.

An engine gets a :class:`Model` (initial states, the enabled transitions of a state, a canonical
fingerprint, a clock) and a :class:`Property`, and returns a :class:`Result` with, on violation,
a :class:`Trace`: the list of (action label, state) from an initial state. This is stateright's
``Model`` trait or TLA+'s ``Init`` / ``Next`` in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Protocol

from attrs import define, field, frozen

HOLDS = "holds"
VIOLATED = "violated"
INCONCLUSIVE = "inconclusive"

# Property kinds
ALWAYS = "always"  # P holds in every reachable state
ALWAYS_TRANSITION = "always-transition"  # P(before, after) holds for every reachable transition
WITHIN = "within"  # whenever P holds, Q holds within T seconds of model time
EVENTUALLY = "eventually"  # from every reachable state, fair fault-free runs reach P within `bound` s


@frozen
class Transition:
    """One enabled action: who acts, a readable label, and the next state."""

    actor: str
    label: str
    state: Any
    fault: bool = False  # an adversary's action (fault or user action), not a component step


class Model(Protocol):
    """What an engine explores. Two optional members serve ``eventually`` properties:

    - ``stop_faults(state)``: the state with every injected fault undone, from which only
      component steps follow (``None`` while the scenario's own script still has events ahead);
    - ``fair``: true when the model itself guarantees that no enabled component is starved
      (kmodel's tick does: every due component acts once per tick before the clock moves).

    Two more serve the explorer's sleep sets (``explore(..., por=True)``):

    - ``independence(state)``: None, or a relation ``(actor_a, actor_b) -> bool`` true only where
      the two actors' steps in ``state`` are deterministic, leave each other enabled, and end in
      the same state (same fingerprint) in either order;
    - ``transitions(state, skip=actors)``: the transitions but those of ``skip`` (actors the
      relation allowed to sleep: enabled, so a skipped component still counts as having work).

    And one saves the explorer's ``eventually`` search work (:class:`kmodel.engines.explore.Calm`):

    - ``healed_twin(state, healed, transitions)``: where ``healed = stop_faults(state)`` has the
      very transitions of ``state`` but its faults, each ending in a state the model can name
      from the one of ``state``, those transitions (``transitions``: the list of ``state``'s);
      else None.
    """

    def init_states(self) -> Iterable[Any]: ...

    def transitions(self, state: Any) -> Iterable[Transition]: ...

    def fingerprint(self, state: Any) -> Hashable: ...

    def clock(self, state: Any) -> int: ...


@frozen
class Property:
    """A named property. Exactly the callables its kind needs are set."""

    name: str
    kind: str
    doc: str
    predicate: Callable[[Any], bool] | None = None  # always / eventually; within: the trigger P
    transition: Callable[[Any, Any], bool] | None = None  # always-transition
    target: Callable[[Any], bool] | None = None  # within: Q
    bound: int = 0  # within: T seconds
    explain: Callable[..., str] | None = None  # why a state (or transition) violates it
    needs_fairness: bool = False


@frozen
class Step:
    actor: str
    label: str
    state: Any


@frozen
class Trace:
    steps: tuple[Step, ...]  # steps[0] is the initial state (actor "init")

    def __len__(self) -> int:
        return len(self.steps) - 1  # number of actions

    @property
    def last(self) -> Any:
        return self.steps[-1].state


@define
class Stats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    examples: int = 0
    seconds: float = 0.0
    never_fired: list[str] = field(factory=list)
    limit: str = ""  # which limit stopped the run, if any
    skipped: int = 0  # explore with sleep sets: transitions left out (they only closed a diamond)


@define
class Result:
    verdict: str
    engine: str
    property: str
    stats: Stats
    trace: Trace | None = None
    message: str = ""
    warnings: list[str] = field(factory=list)

    @property
    def holds(self) -> bool:
        return self.verdict == HOLDS


def action_family(actor: str) -> str:
    """The kind of actor, for coverage: ``kubelet/node-a`` -> ``kubelet``."""
    return actor.split("/", 1)[0]


def never_fired(expected: Sequence[str], fired: set[str]) -> list[str]:
    return sorted(set(expected) - fired)
