"""Random runs through the model with Hypothesis' stateful testing, shrunk when one fails.

Where the explorer visits every reachable state, this engine samples long runs: a
:class:`hypothesis.stateful.RuleBasedStateMachine` is built from the :class:`Model` at run time.
Its ``initialize`` rule draws one of the model's initial states; then there is one rule per
*action family* (``kubelet``, ``nodelifecycle``, ``clock``, ``timeline``, ...; every fault
transition, whoever its actor, is in the family ``fault``), enabled exactly when that family has
an enabled transition, and which of the family's transitions it takes is drawn by Hypothesis as
an index into the list. A few extra rules keep every state able to move on: one for the families
that were not known when the machine was built, and an idle one for a state with no transition at
all. When a step leaves a single family enabled, other than the faults (the clock tick once every
component is done, a due timeline event, the kubelets alone), the next step is taken at once,
within the same rule, its index drawn as well.

The property is checked as the run goes, on every state and every step, including those forced
steps: ``always`` on each state, ``always-transition`` on each (before, after), ``within`` with
the explorer's monitor (since when the trigger has waited for its target). ``eventually`` is
checked when a run ends: the timeline is played out (the first enabled component step, again and
again) until the model can stop its faults, every fault is undone, and the components are driven
fairly (always the first enabled non-fault transition) until the goal holds; more than
``prop.bound`` seconds of model time without it is a violation. A fair run that reaches a state
with nothing enabled, or that stops advancing in time, is not a violation, as in the explorer.

A violation raises inside the machine and Hypothesis shrinks the run: fewer steps, smaller
indices (earlier families, earlier transitions), within :data:`SHRINK_LIMITS`. Only for runs of
at most :data:`HYPOTHESIS_SHRINK_RULES` steps, though (the ``ci`` profile): between two runs,
Hypothesis' shrinker does work that nothing of ours can interrupt, and that grows with the
square of the run's length (half a minute for a failing run of 200 rules on a Kubernetes
scenario, where 80 take a second or two). Every failing run is recorded, and the shortest is
then shortened further by replaying it, action label by action label, without some of its steps
(delta debugging, within :data:`POLISH_STEPS`). That does the job for longer runs, and catches
what Hypothesis cannot: leaving out a step changes what the later choices mean, so a heartbeat
before the kubelet step that matters (which only shifted which kubelet index 0 meant) stays, and
so do the five ``inc a`` before three ``inc b`` in a toy (where ``inc b`` was chosen as "the next
rule after ``inc a``, which is no longer enabled"). The result is the counterexample trace.

Hypothesis' swarm testing switches some rules off for a whole example; when every family enabled
in a state (two or more of them, or only the faults) is switched off, Hypothesis drops that
example as invalid and tries another (its prefix was checked all the same). That costs some runs.

Limits: ``timeout`` bounds the check (runs, shrinking and shortening); ``max_states`` stops it
once its runs have reached that many distinct states, and the verdict is then inconclusive
unless a violation was found, as with the explorer; ``max_depth`` caps the actions of one run
(its random part: the end-of-run drive of ``eventually``, which plays out the timeline and lets
the components converge, is bounded by the property's own bound and :data:`DRIVE_LIMIT`). Runs
are random samples whatever their length, so a depth cap alone leaves "holds" meaning what it
always means here: no violation in the runs tried.

Statistics: ``examples`` counts every run Hypothesis executed (generated, replayed from the
database, or tried while shrinking); ``transitions`` every step taken in them; ``states`` the
distinct fingerprints among the states they visited (by hash); ``depth`` the longest run in
steps (with the end-of-run drive of ``eventually``).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.errors import HypothesisException
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kmodel.engines.base import (
    ALWAYS,
    ALWAYS_TRANSITION,
    EVENTUALLY,
    HOLDS,
    INCONCLUSIVE,
    VIOLATED,
    WITHIN,
    Model,
    Property,
    Result,
    Stats,
    Step,
    Trace,
    Transition,
    action_family,
)

ENGINE = "hypothesis"

# profile -> (examples, steps per example). A step is one rule, with the single-family steps that
# follow it (some five transitions a rule on a Kubernetes scenario). Hypothesis ends a run once its
# choices near its buffer size (about 6500 choices): on a Kubernetes scenario, after some 500 rules.
PROFILES: dict[str, tuple[int, int]] = {
    "ci": (25, 80),
    "dev": (100, 200),
    "thorough": (500, 1000),
}
# Hypothesis shrinks failing runs only when runs are at most this many steps long (see above).
HYPOTHESIS_SHRINK_RULES = 100
# profile -> (runs, seconds) Hypothesis may spend shrinking a failure before the engine's own,
# cheaper shortening takes over. The run count keeps a seed's result the same (unless the time,
# a safety valve checked only when a run starts or takes a step, runs out first).
SHRINK_LIMITS: dict[str, tuple[int, float]] = {"ci": (100, 2.0), "dev": (500, 10.0), "thorough": (2000, 60.0)}
# profile -> steps spent replaying a counterexample to shorten it, at most
POLISH_STEPS: dict[str, int] = {"ci": 20_000, "dev": 100_000, "thorough": 500_000}

FAULT = "fault"  # the family of every injected fault (undoing one is family "repair")
OTHER = "*other*"  # families seen only after the machine was built
DISCOVERY_STEPS = 200  # steps of the fair walk that finds the families before the run
FORCED_LIMIT = 1000  # single-choice steps taken in a row within one rule, at most
# a run's forced steps stop once the run is this many times the profile's steps long: in a quiet
# cluster the clock tick is the only choice forever, and time would run on without end
FORCED_FACTOR = 8
DRIVE_LIMIT = 100_000  # steps of the end-of-run drive of `eventually`, at most
PROGRESS_EVERY = 0.5  # seconds between two progress reports

Progress = Callable[[Stats, int], None]  # (stats so far, always 0: there is no queue)


class _Violation(Exception):
    """Raised inside a run when the property fails, so that Hypothesis shrinks the run."""


class _Stop(BaseException):
    """Raised inside a run once the time is up, or once Hypothesis' shrinking has had its share
    of runs or time. Not an ``Exception``: Hypothesis lets it through instead of taking it for a
    failure to shrink."""


class _Namespaced(ExampleDatabase):
    """A directory database under a key of our own: every check gets its own corpus, so the
    failure saved for one property of one model is not replayed, found passing and deleted by a
    check of another (Hypothesis would give all our generated machines the same key)."""

    def __init__(self, inner: ExampleDatabase, namespace: bytes) -> None:
        super().__init__()
        self.inner = inner
        self.namespace = namespace

    def save(self, key: bytes, value: bytes) -> None:
        self.inner.save(self.namespace + key, value)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        return self.inner.fetch(self.namespace + key)

    def delete(self, key: bytes, value: bytes) -> None:
        self.inner.delete(self.namespace + key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self.inner.move(self.namespace + src, self.namespace + dest, value)


def _family(tr: Transition) -> str:
    """Injected faults form one family; the adversary's other moves (undoing a fault: actor
    ``repair``) get rules of their own, so that swarm testing, which switches some rules off for
    a whole run, also produces runs where a fault is never undone (a node that stays off)."""
    if tr.fault and tr.actor == "fault":
        return FAULT
    return action_family(tr.actor)


class _Failure:
    """A failing run: its trace, why it fails, and how to replay it (which initial state, then
    the (actor, label) of every step before the end-of-run check)."""

    __slots__ = ("init", "message", "path", "trace")

    def __init__(self, trace: Trace, message: str, init: int, path: tuple[tuple[str, str], ...]) -> None:
        self.trace = trace
        self.message = message
        self.init = init
        self.path = path

    def key(self) -> tuple[int, int]:
        return (len(self.trace), len(self.path))


class _Run:
    """What the runs of one check share: the model, the property, the statistics, the clock
    and the shortest failing run seen so far."""

    def __init__(
        self,
        model: Model,
        prop: Property,
        expected: list[str],
        timeout: float | None,
        shrink_limits: tuple[int, float],
        progress: Progress | None,
    ) -> None:
        self.model = model
        self.prop = prop
        self.inits = list(model.init_states())
        if not self.inits:
            raise ValueError(f"{prop.name}: the model has no initial state")
        self.known = _families(model, self.inits, expected)  # the families with a rule of their own
        self.start = time.monotonic()
        self.deadline = None if timeout is None else self.start + timeout
        self.progress = progress
        self.last_report = self.start
        self.stats = Stats()
        self.fired: set[str] = set()
        self.seen: set[int] = set()
        self.best: _Failure | None = None
        self.timed_out = False
        self.shrink_limits = shrink_limits  # runs and seconds Hypothesis may spend shrinking
        self.shrink_until: tuple[int, float] | None = None  # (examples, monotonic time) where it stops
        self.shrink_cut = False
        self.max_length = 10**9  # steps in one run beyond which no step is forced (set by check)
        self.max_depth: int | None = None  # actions of one run, at most (--max-depth)
        self.max_states: int | None = None  # distinct states over all runs, at most (--max-states)
        self.state_limited = False  # max_states stopped the check
        self.walk: Callable[[_Run], _Walk] = _Walk  # what walks a run (check_many: _ScreenWalk)

    def visit(self, state: Any) -> int:
        """Count a state reached by a run (its fingerprint's hash, returned); stop everything
        once the time is up or once shrinking has had its share."""
        key = hash(self.model.fingerprint(state))
        self.seen.add(key)
        self.stats.states = len(self.seen)
        if self.max_states is not None and self.stats.states >= self.max_states:
            self.state_limited = True
            raise _Stop
        now = time.monotonic()
        if self.deadline is not None and now > self.deadline:
            self.timed_out = True
            raise _Stop
        if self.shrink_until is not None and now > self.shrink_until[1]:
            self.shrink_cut = True
            raise _Stop
        if self.progress is not None and now - self.last_report >= PROGRESS_EVERY:
            self.stats.seconds = now - self.start
            self.progress(self.stats, 0)
            self.last_report = now
        return key

    def failed(self, failure: _Failure) -> None:
        if self.best is None:
            runs, seconds = self.shrink_limits
            self.shrink_until = (self.stats.examples + runs, time.monotonic() + seconds)
        if self.best is None or failure.key() <= self.best.key():
            self.best = failure


def _explain(prop: Property, *states: Any) -> str:
    """``prop.explain`` on the offending state (or step), never letting it hide the verdict."""
    if prop.explain is None:
        return ""
    try:
        return str(prop.explain(*states))
    except Exception as err:
        return f"(could not explain: {err})"


def _join(*parts: str) -> str:
    return ": ".join(p for p in parts if p)


class _Walk:
    """One run through the model, checking the property at every step. The Hypothesis machine
    drives it; so does the replay that tries to shorten a counterexample."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.state: Any = None
        self.init = 0
        self.steps: list[Step] = []
        self.path: list[tuple[str, str]] = []  # (actor, label) of each step before the end-of-run check
        self.ending = False  # in the end-of-run check of eventually
        self.pending: int | None = None  # within: model time since which the trigger waits
        self.groups: dict[str, list[Transition]] | None = None  # enabled transitions by family
        self.enabled: list[Transition] = []
        self.over = False  # failed: nothing more to check

    # -- enabled transitions ---------------------------------------------------------------------

    def _groups(self) -> dict[str, list[Transition]]:
        if self.groups is None:
            self.enabled = list(self.run.model.transitions(self.state))
            groups: dict[str, list[Transition]] = {}
            for tr in self.enabled:
                fam = _family(tr)
                groups.setdefault(fam if fam in self.run.known else OTHER, []).append(tr)
            self.groups = groups
        return self.groups

    def group(self, family: str) -> list[Transition]:
        """The enabled transitions of ``family`` in the current state (computed once a state)."""
        if self.state is None or self.at_depth():  # before the initialize rule, or deep enough
            return []
        return self._groups().get(family, [])

    def stuck(self) -> bool:
        return self.state is not None and (self.at_depth() or not self._groups())

    def at_depth(self) -> bool:
        """The run has taken ``--max-depth`` actions: it may only idle from here."""
        depth = self.run.max_depth
        return depth is not None and not self.ending and len(self.steps) - 1 >= depth

    # -- steps -----------------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        self.over = True
        self.run.failed(_Failure(Trace(tuple(self.steps)), message, self.init, tuple(self.path)))
        raise _Violation(message)

    def _enter(self, state: Any) -> None:
        """Check the property on a new state (the run's steps already end with it)."""
        run, prop, model = self.run, self.run.prop, self.run.model
        self.state = state
        self.groups = None
        run.stats.depth = max(run.stats.depth, len(self.steps) - 1)
        if prop.kind == ALWAYS and not prop.predicate(state):  # type: ignore[misc]
            first = len(self.steps) == 1
            self._fail(_join("the initial state violates it" if first else "", _explain(prop, state)))
        if prop.kind == WITHIN:
            assert prop.predicate is not None and prop.target is not None
            if prop.target(state):
                self.pending = None
            elif self.pending is None and prop.predicate(state):
                self.pending = model.clock(state)
            if self.pending is not None and model.clock(state) - self.pending > prop.bound:
                self._fail(_join(f"not reached within {prop.bound}s", _explain(prop, state)))

    def start(self, index: int) -> None:
        self.init = index
        state = self.run.inits[index]
        self.steps.append(Step("init", "initial state", state))
        self.run.visit(state)
        self._enter(state)

    def take(self, tr: Transition) -> None:
        """Take one step, count it, and check the property on it."""
        run, prop = self.run, self.run.prop
        before = self.state
        self.steps.append(Step(tr.actor, tr.label, tr.state))
        if not self.ending:
            self.path.append((tr.actor, tr.label))
        run.stats.transitions += 1
        run.fired.add(action_family(tr.actor))
        run.visit(tr.state)
        if prop.kind == ALWAYS_TRANSITION and not prop.transition(before, tr.state):  # type: ignore[misc]
            self.state = tr.state
            self._fail(_explain(prop, before, tr.state))
        self._enter(tr.state)

    def forced(self, data: st.DataObject) -> None:
        """Take the steps that leave no choice of family: while a single family is enabled, and
        it is not the faults, one of its transitions (drawn by Hypothesis if there are several).
        No rule has to be picked for them, so Hypothesis' swarm testing, which switches rules
        off for a whole example, cannot leave such a state without a rule to run."""
        for _ in range(FORCED_LIMIT):
            if len(self.steps) > self.run.max_length or self.at_depth():
                return
            groups = self._groups()
            if len(groups) != 1 or any(tr.fault for tr in self.enabled):
                return
            options = self.enabled
            index = data.draw(st.integers(0, len(options) - 1), label="forced family") if len(options) > 1 else 0
            self.take(options[index])

    # -- end of run: eventually ------------------------------------------------------------------

    def _first_component_step(self) -> Transition | None:
        self._groups()
        return next((tr for tr in self.enabled if not tr.fault), None)

    def stop_faults(self) -> int | None:
        """The start of the end-of-run drive: play out the timeline (the first enabled component
        step, again and again) until the model can stop its faults, then stop them. The model
        time they stopped at, or None when they never can in this run."""
        model = self.run.model
        self.ending = True
        healed = model.stop_faults(self.state)  # type: ignore[attr-defined]
        for _ in range(DRIVE_LIMIT):
            if healed is not None:
                break
            tr = self._first_component_step()  # the scenario's timeline still has events ahead
            if tr is None:
                return None  # nothing moves: the faults can never stop in this run
            self.take(tr)
            healed = model.stop_faults(self.state)  # type: ignore[attr-defined]
        else:
            return None
        self.take(Transition("adversary", "faults stop: every fault undone, no more", healed, fault=True))
        return model.clock(healed)

    def finish(self) -> None:
        """At the end of a run, check ``eventually``: play out the timeline, stop the faults,
        then let the components run fairly until the goal holds or its bound has passed."""
        prop, model = self.run.prop, self.run.model
        if prop.kind != EVENTUALLY or self.over or self.run.timed_out or self.run.state_limited or self.state is None:
            return
        goal = prop.predicate
        assert goal is not None
        since = self.stop_faults()
        if since is None:
            return
        for _ in range(DRIVE_LIMIT):
            if goal(self.state):
                return
            if model.clock(self.state) - since > prop.bound:
                self._fail(_join(f"not reached within {prop.bound}s after faults stopped", _explain(prop, self.state)))
            tr = self._first_component_step()
            if tr is None:
                return  # stuck before the bound has passed: as in the explorer, no verdict
            self.take(tr)


def _replay(run: _Run, init: int, path: tuple[tuple[str, str], ...]) -> None:
    """Run the model again along ``path`` (each step found by actor and label among those
    enabled), then the end-of-run check; a failing replay is recorded like any failing run. A
    step that is not enabled ends the replay."""
    walk = _Walk(run)
    try:
        walk.start(init)
        for actor, label in path:
            walk._groups()
            tr = next((t for t in walk.enabled if t.actor == actor and t.label == label), None)
            if tr is None:
                return
            walk.take(tr)
        walk.finish()
    except _Violation:
        pass


def _polish(run: _Run, steps: int) -> None:
    """Shorten the best counterexample further by leaving out steps, in chunks halving in size
    down to single steps (delta debugging), keeping each shorter run that still fails.

    Hypothesis shrinks the choices it drew: it deletes rules and lowers indices, but it cannot
    see that leaving out a step and taking the next one's neighbour fails the same way (a
    heartbeat before the kubelet step that matters), nor leave out a step that was forced.
    Replaying by action label can."""
    assert run.best is not None
    budget = run.stats.transitions + steps
    size = max(1, len(run.best.path) // 2)
    while size >= 1:
        i = len(run.best.path) - size
        while i >= 0 and run.stats.transitions < budget:
            best = run.best
            _replay(run, best.init, best.path[:i] + best.path[i + size :])
            if run.best.key() < best.key():
                i = min(i, len(run.best.path) - size)
            else:
                i -= size
        size //= 2


class _Machine(RuleBasedStateMachine):
    """One Hypothesis example: a walk through the model. Subclassed per check, with the rules
    of its families."""

    run: ClassVar[_Run]

    def __init__(self) -> None:
        super().__init__()
        self.walk = self.run.walk(self.run)
        run = self.run
        run.stats.examples += 1
        if run.shrink_until is not None and (
            run.stats.examples > run.shrink_until[0] or time.monotonic() > run.shrink_until[1]
        ):
            run.shrink_cut = True
            raise _Stop

    def teardown(self) -> None:
        self.walk.finish()


def _rule_for(family: str, name: str) -> Callable[..., None]:
    """The rule that takes one enabled transition of ``family``, the index drawn by Hypothesis."""

    @precondition(lambda self: bool(self.walk.group(family)))
    @rule(data=st.data())
    def act(self: _Machine, data: st.DataObject) -> None:
        options = self.walk.group(family)
        index = data.draw(st.integers(0, len(options) - 1), label=f"{family} transition") if len(options) > 1 else 0
        self.walk.take(options[index])
        self.walk.forced(data)

    act.__name__ = act.__qualname__ = name
    return act


def _machine_class(run: _Run) -> type[_Machine]:
    """A state machine class for this check: the initialize rule, one rule per family, one for
    the families found only later and one that idles where nothing is enabled."""

    @initialize(data=st.data())
    def begin(self: _Machine, data: st.DataObject) -> None:
        inits = self.run.inits
        index = data.draw(st.integers(0, len(inits) - 1), label="initial state") if len(inits) > 1 else 0
        self.walk.start(index)
        self.walk.forced(data)

    @precondition(lambda self: self.walk.stuck())
    @rule()
    def idle(self: _Machine) -> None:
        """Nothing is enabled: the run can only stay where it is."""

    namespace: dict[str, Any] = {"run": run, "begin": begin, "idle": idle}
    for family in [*run.known, OTHER]:
        name = "step_" + (re.sub(r"\W", "_", family) if family != OTHER else "other_families")
        while name in namespace:
            name += "_"
        namespace[name] = _rule_for(family, name)
    return type("KubeModelRuns", (_Machine,), namespace)


def _families(model: Model, inits: list[Any], expected: list[str]) -> list[str]:
    """The families to give a rule each: those expected, fault, clock and timeline, and every
    family enabled along a short fair walk from each initial state."""
    found = {*expected, FAULT, "repair", "clock", "timeline"}
    for init in inits[:10]:
        state = init
        for _ in range(DISCOVERY_STEPS):
            enabled = list(model.transitions(state))
            found.update(_family(tr) for tr in enabled)
            step = next((tr for tr in enabled if not tr.fault), None)
            if step is None:
                break
            state = step.state
    return sorted(found)


def _database(path: str | None, model: Model, prop: Property, families: list[str]) -> ExampleDatabase | None:
    if path is None:
        return None
    scenario = getattr(model, "scenario", None)
    source = getattr(scenario, "path", None)
    key = repr(
        (
            type(model).__qualname__,
            os.path.abspath(source) if source else None,
            getattr(scenario, "name", None),
            getattr(model, "budget", None),
            getattr(model, "horizon", None),
            prop.name,
            prop.kind,
            prop.bound,
            families,
        )
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return _Namespaced(DirectoryBasedExampleDatabase(Path(path)), f"kmodel-{digest}:".encode())


def _stopped(err: BaseException) -> bool:
    """Whether ``err`` is Hypothesis complaining about a run cut short by :class:`_Stop` (it
    records the unfinished run, which can contradict what it knows of an earlier one)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, _Stop):
            return isinstance(err, HypothesisException)
        seen = seen.__context__
    return False


def _only_violations(err: BaseException) -> bool:
    """Whether ``err`` is our violation, or a Hypothesis error wrapping nothing but violations
    (an inconsistent replay, say)."""
    if isinstance(err, _Violation):
        return True
    if isinstance(err, BaseExceptionGroup):
        return all(_only_violations(e) for e in err.exceptions)
    return isinstance(err, HypothesisException)


def _hypothesis(machine: type[_Machine], config: hypothesis.settings) -> Exception | None:
    """Let Hypothesis run the machine; what it raised (other than our stops), if anything."""
    try:
        run_state_machine_as_test(machine, settings=config)
    except _Stop:
        pass
    except Exception as err:
        if not _stopped(err):
            return err
    return None


def _shrinkable(run: _Run, error: Exception | None) -> bool:
    """Whether there is a counterexample to shorten, and time to do it."""
    return run.best is not None and not run.timed_out and (error is None or _only_violations(error))


def _setup(
    run: _Run,
    profile: str,
    max_examples: int | None,
    steps: int | None,
    seed: int | None,
    max_states: int | None,
    max_depth: int | None,
    database: str | None,
    db: ExampleDatabase | None = None,
) -> tuple[type[_Machine], hypothesis.settings]:
    """The machine class and Hypothesis settings of a check (see :func:`check`); ``db``, when
    given, is the example database instead of ``database``'s."""
    examples, length = PROFILES[profile]
    examples = examples if max_examples is None else max_examples
    length = length if steps is None else steps
    run.max_length = length * FORCED_FACTOR
    run.max_states = max_states
    run.max_depth = max_depth
    if max_depth is not None:
        length = max(1, min(length, max_depth))  # each rule takes at least one action
    machine = _machine_class(run)
    if seed is not None:
        machine = hypothesis.seed(seed)(machine)
    config = hypothesis.settings(
        parent=hypothesis.settings.get_profile("default"),
        max_examples=examples,
        stateful_step_count=length,
        deadline=None,
        database=db if db is not None else _database(database, run.model, run.prop, run.known),
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
        phases=(Phase.explicit, Phase.reuse, Phase.generate)
        + ((Phase.shrink,) if length <= HYPOTHESIS_SHRINK_RULES else ()),
    )
    return machine, config


def fairness_warnings(model: Model, prop: Property) -> list[str]:
    """What a verdict on ``prop`` must say about the model's fairness."""
    if prop.kind == EVENTUALLY and prop.needs_fairness and not getattr(model, "fair", False):
        return [
            f"{prop.name} is a liveness property, but this model does not guarantee fairness: "
            "a run that starves a component can miss it without any bug"
        ]
    return []


def check(
    model: Model,
    prop: Property,
    *,
    seed: int | None = None,
    profile: str = "ci",
    max_examples: int | None = None,
    steps: int | None = None,
    database: str | None = None,
    timeout: float | None = None,
    max_states: int | None = None,
    max_depth: int | None = None,
    progress: Progress | None = None,
    families: list[str] | None = None,
) -> Result:
    """Check ``prop`` on random runs of ``model``, shrinking the first failing run found.

    ``timeout`` (seconds), ``max_states`` (distinct states reached, the check then inconclusive)
    and ``max_depth`` (actions of one run) are the limits described in the module's docstring.

    ``profile`` sets the number of runs and their length (see :data:`PROFILES`);
    ``max_examples`` and ``steps`` override either. The same ``seed`` gives the same runs.
    With a ``database`` directory, a failure found once is replayed first by the next check of
    the same property on the same model. ``families`` are the action families expected to act,
    for coverage: those that never did are listed in the statistics.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown Hypothesis profile {profile!r}: use one of {', '.join(PROFILES)}")
    if prop.kind not in (ALWAYS, ALWAYS_TRANSITION, WITHIN, EVENTUALLY):
        raise ValueError(f"the Hypothesis engine cannot check {prop.kind!r} properties")
    if prop.kind == EVENTUALLY and not hasattr(model, "stop_faults"):
        raise ValueError(f"{prop.name}: this model cannot stop its faults, so 'eventually' cannot be checked")
    run = _Run(model, prop, list(families or []), timeout, SHRINK_LIMITS[profile], progress)
    machine, config = _setup(run, profile, max_examples, steps, seed, max_states, max_depth, database)
    warnings = fairness_warnings(model, prop)
    error = _hypothesis(machine, config)
    run.shrink_until = None
    run.max_states = None  # shortening a counterexample found may visit new states
    if _shrinkable(run, error):
        try:
            _polish(run, POLISH_STEPS[profile])
        except _Stop:
            pass
    stats = run.stats
    stats.seconds = time.monotonic() - run.start
    stats.never_fired = sorted(set(families or []) - run.fired)
    if run.timed_out:
        stats.limit = f"timeout {timeout:g}s"
    elif run.state_limited:
        stats.limit = f"max states {max_states}"
    if error is not None and not (run.best is not None and _only_violations(error)):
        raise error
    if run.best is not None:
        if run.timed_out:
            warnings.append("the time ran out before shrinking was done: the counterexample may not be the shortest")
        return Result(VIOLATED, ENGINE, prop.name, stats, run.best.trace, run.best.message, warnings)
    if run.timed_out:
        return Result(INCONCLUSIVE, ENGINE, prop.name, stats, None, f"stopped after {timeout:g}s", warnings)
    if run.state_limited:
        return Result(INCONCLUSIVE, ENGINE, prop.name, stats, None, f"stopped at {max_states:,} states", warnings)
    return Result(HOLDS, ENGINE, prop.name, stats, None, "", warnings)
