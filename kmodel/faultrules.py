"""State-dependent faults: rules in the Scenario document that fire when the cluster's own state
says so, so that load-driven cascades (a node packed too full crashes, its pods land on the next
node, which crashes in turn) can be simulated and checked.

::

    faultRules:
      - name: overload                        # names the rule in events and traces
        forEach: node                         # the rule ranges over the nodes (or: pod)
        as: n                                 # the name each node gets (default n; p for pods)
        when: n.cpu_requested_percent >= 98   # an invariant-language condition (kmodel.expr)
        action: crash                         # what happens to that node
        rebootAfter: 2m                       # optional: it powers on again 2m later
        max: 3                                # optional: the rule fires at most 3 times in a run
        may: false                            # optional: true lets the checkers choose

The condition is written in the invariant language (:mod:`kmodel.expr`, never ``eval``) over the
same names as an invariant (``nodes``, ``pods``, ``deployments``, ... ``now``) plus the subject
(``n``): a node's ``cpu_requested_percent``, ``memory_requested_percent``, ``pod_count``, ... are
listed in :class:`kmodel.exprview.NodeRecord`.

Actions, each one of :mod:`kmodel.faults`'s functions applied to the subject:

- on a node: ``crash`` (the machine powers off; ``rebootAfter`` powers it on again),
  ``stopKubelet`` and ``stopRuntime`` (``restartAfter`` starts it again), ``partition``
  (``healAfter`` heals it), ``killPods`` (every container running on it is killed; its kubelet
  restarts them);
- on a pod: ``killPod`` (its containers are killed), ``deletePod`` (a graceful delete through the
  apiserver, when it answers).

When a rule fires: a rule is *enabled* on a subject when its condition holds there, the action
would change something (a powered-off node cannot crash, a stopped kubelet cannot stop) and the
rule has fired fewer than ``max`` times. Rules fire at the end of a tick, once every component has
taken its step, before the clock advances; a condition that a component makes true in the middle
of a tick fires at the end of that tick.

- ``kmodel simulate`` fires every enabled rule at once, in the order of the file and of the
  subjects' names (re-evaluating the conditions after each firing), ``may`` rules included;
- the checkers (explorer, Hypothesis) offer each enabled firing as an action. For a rule without
  ``may`` the clock cannot tick while it is enabled: some firing must come first (so no run
  lets time pass over the condition). A ``may: true`` rule is the adversary's choice, as a fault
  in the budget is: its firing is offered next to the tick, and it stops once the faults stop
  (``eventually`` properties), whereas a ``may: false`` rule keeps firing then too.

A recovery (``rebootAfter``, ``restartAfter``, ``healAfter``) is a timed event kept in the state
(:attr:`kmodel.state.Cluster.rule_timers`): at the start of the first tick at or after its time
it happens before anything else, as a due timeline event does. ``max`` bounds the firings of a
rule in one run; only the count of a rule with a ``max`` is part of the state (a rule without one
needs no count, so its firings do not make the explored state space grow).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

import attrs
from attrs import frozen

from kmodel import faults
from kmodel.components import apiserver
from kmodel.errors import KmodelError, shown
from kmodel.expr import ExprError, Invariant, compile_invariant
from kmodel.exprview import NodeRecord, PodRecord, Record, environment
from kmodel.settings import LimitError, format_duration, model_duration
from kmodel.state import Cluster
from kmodel.transition import Event, Outcome

ACTOR = "faultRule"
SOURCE = "faultRule"

# subject kind -> (default variable, environment name, record class)
SUBJECTS: dict[str, tuple[str, str, type[Record]]] = {
    "node": ("n", "nodes", NodeRecord),
    "pod": ("p", "pods", PodRecord),
}


@frozen
class Action:
    subject: str  # "node" or "pod"
    apply: Callable[[Cluster, str], Cluster | None]
    recover_key: str | None = None  # the rule key that schedules the recovery
    recover: Callable[[Cluster, str], Cluster | None] | None = None
    recover_verb: str = ""  # "reboot", "restart the kubelet on", ...
    doc: str = ""


def _kill_pods(cluster: Cluster, node_name: str) -> Cluster | None:
    node = cluster.node(node_name)
    if node is None or not node.running:
        return None
    return cluster.with_node(attrs.evolve(node, running=frozenset()))


def _delete_pod(cluster: Cluster, pod_name: str) -> Cluster | None:
    pod = cluster.pod(pod_name)
    if pod is None or pod.terminating or not cluster.apiserver_available:
        return None
    after = apiserver.delete_pod(cluster, pod_name)
    return None if after == cluster else after


ACTIONS: dict[str, Action] = {
    "crash": Action("node", faults.power_off, "rebootAfter", faults.power_on, "power on", "the machine powers off"),
    "stopKubelet": Action(
        "node",
        lambda c, n: faults.set_kubelet(c, n, False),
        "restartAfter",
        lambda c, n: faults.set_kubelet(c, n, True),
        "start kubelet on",
        "the kubelet stops",
    ),
    "stopRuntime": Action(
        "node",
        lambda c, n: faults.set_runtime(c, n, False),
        "restartAfter",
        lambda c, n: faults.set_runtime(c, n, True),
        "start container runtime on",
        "the container runtime stops",
    ),
    "partition": Action(
        "node",
        lambda c, n: faults.set_partitioned(c, n, True),
        "healAfter",
        lambda c, n: faults.set_partitioned(c, n, False),
        "heal",
        "the node is cut off from the apiserver",
    ),
    "killPods": Action("node", _kill_pods, doc="every container running on the node is killed"),
    "killPod": Action("pod", faults.kill_pod, doc="the pod's containers are killed"),
    "deletePod": Action("pod", _delete_pod, doc="the pod is deleted (gracefully)"),
}
RULE_KEYS = ("name", "forEach", "as", "when", "action", "rebootAfter", "restartAfter", "healAfter", "max", "may")
RECOVER_KEYS = ("rebootAfter", "restartAfter", "healAfter")
MAX_RULES = 100  # rules in one scenario, at most (each is evaluated on every state the checker visits)


@frozen(eq=False)
class FaultRule:
    name: str
    subject: str  # "node" or "pod"
    var: str  # the name the subject has in the condition
    when: Invariant
    action: str
    recover_after: int | None = None
    max: int | None = None
    may: bool = False
    fields: tuple[str, ...] = ()  # the subject's fields the condition reads (shown when it fires)

    def describe(self) -> str:
        """One line for reports: ``overload: crash each node where n.cpu_requested_percent >= 98``."""
        act = ACTIONS[self.action]
        extra = f", {act.recover_key} {format_duration(self.recover_after)}" if self.recover_after else ""
        bound = f", at most {self.max} time{'s' if self.max != 1 else ''}" if self.max is not None else ""
        may = ", may fire (the checker chooses)" if self.may else ""
        return f"{self.name}: {self.action} each {self.subject} {self.var} where {self.when.text}{extra}{bound}{may}"


# --- parsing ------------------------------------------------------------------------------------


def parse(ctx: Any, raw: object) -> tuple[FaultRule, ...]:
    """The Scenario's ``faultRules`` list. ``ctx`` is a :class:`kmodel.manifests.Ctx` at the
    key; every error is one line naming the file, the key path (``faultRules[0].when``) and the
    fix."""
    from kmodel.manifests import mapping, sequence, string

    items = sequence(ctx, raw)
    if len(items) > MAX_RULES:
        raise ctx.error(f"{len(items)} rules; at most {MAX_RULES} are allowed", "keep the rules that matter")
    rules: list[FaultRule] = []
    for i, item in enumerate(items):
        ictx = ctx.item(items, i)
        spec = mapping(ictx, item, required=True)
        for key in spec:
            if key not in RULE_KEYS:
                raise ictx.at(spec, key).error(f"unknown field {shown(key)}", f"use {', '.join(RULE_KEYS)}")
        name = string(ictx.at(spec, "name"), spec.get("name"), required=True)
        if not name.strip():
            raise ictx.at(spec, "name").error("the rule's name is empty", "name the rule, e.g. name: overload")
        if any(r.name == name for r in rules):
            raise ictx.at(spec, "name").error(f"a second rule named {shown(name)}", "give each rule its own name")
        if "forEach" not in spec:
            raise ictx.error(
                "forEach is missing: a rule ranges over the nodes or the pods",
                "add forEach: node (the condition names each node n) or forEach: pod (p)",
            )
        subject = spec["forEach"]
        if not isinstance(subject, str) or subject not in SUBJECTS:
            raise ictx.at(spec, "forEach").error(
                f"unknown subject {shown(subject)}", f"write forEach: {' or forEach: '.join(SUBJECTS)}"
            )
        var = spec.get("as", SUBJECTS[subject][0])
        if not isinstance(var, str) or not var.isidentifier() or var.startswith("_"):
            raise ictx.at(spec, "as").error(
                f"{shown(var)} is not a name the condition can use", f"write a plain name, e.g. as: {var_hint(subject)}"
            )
        reserved = (*SUBJECTS_ENV, "now")
        if var in reserved:
            raise ictx.at(spec, "as").error(
                f"{shown(var)} is already a name of the invariant language",
                f"pick another, e.g. as: {var_hint(subject)}",
            )
        action_name = spec.get("action")
        if action_name is None:
            raise ictx.error("action is missing", f"add action: one of {', '.join(ACTIONS)}")
        if not isinstance(action_name, str) or action_name not in ACTIONS:
            raise ictx.at(spec, "action").error(
                f"unknown action {shown(action_name)}", f"use one of {', '.join(ACTIONS)}"
            )
        action = ACTIONS[action_name]
        if action.subject != subject:
            fitting = ", ".join(a for a, x in ACTIONS.items() if x.subject == subject)
            raise ictx.at(spec, "action").error(
                f"{action_name} acts on a {action.subject}, but the rule ranges over {subject}s",
                f"use forEach: {action.subject}, or one of {fitting}",
            )
        recover_after = None
        for key in RECOVER_KEYS:
            if key not in spec:
                continue
            kctx = ictx.at(spec, key)
            if key != action.recover_key:
                fix = (
                    f"use {action.recover_key}" if action.recover_key else f"{action_name} has nothing to undo; drop it"
                )
                raise kctx.error(f"{key} does not go with action {action_name}", fix)
            try:
                recover_after = model_duration(spec[key])
            except LimitError as err:
                raise kctx.error(str(err), err.fix) from None
            except ValueError as err:
                raise kctx.error(f"{err} (got {shown(spec[key])})", "write a duration like 60s or 5m") from None
            if recover_after <= 0:
                raise kctx.error("must be longer than 0s", "write a duration like 60s, or leave it out")
        bound = spec.get("max")
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int) or bound < 1):
            raise ictx.at(spec, "max").error(
                f"must be a whole number >= 1, got {shown(bound)}",
                "write how many times the rule may fire, e.g. max: 2",
            )
        may = spec.get("may", False)
        if not isinstance(may, bool):
            raise ictx.at(spec, "may").error(
                f"must be true or false, got {shown(may)}", "write may: true or may: false"
            )
        when, fields = _condition(ictx.at(spec, "when"), spec.get("when"), subject, var)
        rules.append(FaultRule(name, subject, var, when, action_name, recover_after, bound, may, fields))
    return tuple(rules)


SUBJECTS_ENV = ("nodes", "pods", "deployments", "replicasets", "services", "statefulsets")


def var_hint(subject: str) -> str:
    return SUBJECTS[subject][0]


def _condition(ctx: Any, text: object, subject: str, var: str) -> tuple[Invariant, tuple[str, ...]]:
    """Compile ``when`` with ``var`` bound to the subject; check that it names ``var`` and only
    fields the subject's record has."""
    example = f"{var}.cpu_requested_percent >= 98" if subject == "node" else f"{var}.restarts >= 3"
    if text is None:
        raise ctx.error("when is missing", f"write the condition, e.g. when: {example}")
    if not isinstance(text, str):
        raise ctx.error(f"must be a string, got {shown(text)}", f"write the condition, e.g. when: {example}")
    try:
        when = compile_invariant(text, names=(var,))
    except ExprError as err:
        raise KmodelError(err.message, file=ctx.file, line=ctx.line, where=_where(ctx), fix=err.fix) from None
    tree = ast.parse(when.text, mode="eval")
    record = SUBJECTS[subject][2]
    fields: list[str] = []
    named = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == var:
            named = True
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == var:
            if node.attr not in record.FIELDS:
                raise KmodelError(
                    f"{subject}s have no field {node.attr!r} (in {var}.{node.attr})",
                    file=ctx.file,
                    line=ctx.line,
                    where=_where(ctx),
                    fix=f"use one of {', '.join(record.FIELDS)}",
                )
            if node.attr not in fields:
                fields.append(node.attr)
    if not named:
        raise KmodelError(
            f"the condition never names {var}, the {subject} the rule ranges over, so it would fire on every "
            f"{subject} at once",
            file=ctx.file,
            line=ctx.line,
            where=_where(ctx),
            fix=f"say which {subject}s, e.g. when: {example}",
        )
    return when, tuple(fields)


def _where(ctx: Any) -> str:
    return f"{ctx.obj} {ctx.path}".strip()


def validate(rules: tuple[FaultRule, ...], cluster: Cluster, file: str) -> None:
    """Evaluate every rule on ``cluster`` (the initial state) once, so that a condition that cannot
    be evaluated (a comparison of a string with a number, a field of another record that does not
    exist) is bad input at load time rather than a failure in the middle of a check."""
    env = environment(cluster)
    for i, rule in enumerate(rules):
        try:
            for record in env[SUBJECTS[rule.subject][1]]:  # type: ignore[attr-defined]
                rule.when.evaluate({**env, rule.var: record})
        except ExprError as err:
            raise KmodelError(
                err.message, file=file, where=f"Scenario faultRules[{i}].when", fix=err.fix or "fix the condition"
            ) from None


# --- running ------------------------------------------------------------------------------------


def _fired(cluster: Cluster, name: str) -> int:
    return dict(cluster.rule_fired).get(name, 0)


def _holding(rule: FaultRule, cluster: Cluster, env: dict[str, object] | None = None) -> Iterator[Record]:
    """The subjects on which ``rule``'s condition holds, in name order."""
    env = environment(cluster) if env is None else env
    plural = SUBJECTS[rule.subject][1]
    for record in env[plural]:  # type: ignore[attr-defined]
        try:
            holds = rule.when.evaluate({**env, rule.var: record})
        except ExprError as err:
            raise KmodelError(
                f"{err.message} (on {rule.subject} {record.field('name')} at t={cluster.now}s)",
                where=f"Scenario faultRules {rule.name} when",
                fix=err.fix or "make the condition hold or fail on every state, e.g. test for None first",
            ) from None
        if holds:
            yield record


def _shown_values(rule: FaultRule, record: Record) -> str:
    parts = []
    for f in rule.fields:
        value = record.field(f)
        parts.append(f"{rule.var}.{f} = {value!r}" if isinstance(value, str) else f"{rule.var}.{f} = {value}")
    return ", ".join(parts)


def firings(cluster: Cluster, rules: tuple[FaultRule, ...]) -> list[tuple[FaultRule, Outcome]]:
    """Every enabled firing of every rule in ``cluster``: (rule, outcome), in rule and subject order."""
    if not rules:
        return []
    env = environment(cluster)
    out: list[tuple[FaultRule, Outcome]] = []
    for rule in rules:
        if rule.max is not None and _fired(cluster, rule.name) >= rule.max:
            continue
        for record in _holding(rule, cluster, env):
            outcome = fire(cluster, rule, record)
            if outcome is not None:
                out.append((rule, outcome))
    return out


def fire(cluster: Cluster, rule: FaultRule, record: Record) -> Outcome | None:
    """``rule`` firing on the subject ``record``; None when the action would change nothing."""
    subject = str(record.field("name"))
    action = ACTIONS[rule.action]
    after = action.apply(cluster, subject)
    if after is None:
        return None
    if rule.max is not None:
        counts = dict(after.rule_fired)
        counts[rule.name] = counts.get(rule.name, 0) + 1
        after = attrs.evolve(after, rule_fired=tuple(sorted(counts.items())))
    then = ""
    if rule.recover_after is not None:
        due = cluster.now + rule.recover_after
        timers = tuple(sorted({*after.rule_timers, (due, rule.action, subject)}))
        after = attrs.evolve(after, rule_timers=timers)
        after_text = format_duration(rule.recover_after)
        then = f", {action.recover_verb} {subject} at t={due}s ({action.recover_key} {after_text})"
    count = ""
    if rule.max is not None:
        count = f" [{_fired(after, rule.name)} of at most {rule.max}]"
    values = _shown_values(rule, record)
    message = (
        f"faultRule {rule.name} fired on {subject}: {rule.when.text}"
        + (f" with {values}" if values else "")
        + f"; {rule.action}{then}{count}"
    )
    event = Event(cluster.now, SOURCE, "FaultRule", f"{rule.subject}/{subject}", message, "Warning")
    return Outcome(ACTOR, message, after, (event,))


def due_recoveries(cluster: Cluster) -> list[Outcome]:
    """The recoveries whose time has come, each as an outcome (in time order); a recovery with
    nothing left to undo (someone powered the node on already) just leaves the state."""
    out = []
    for timer in cluster.rule_timers:
        at, action_name, subject = timer
        if at > cluster.now:
            continue
        action = ACTIONS[action_name]
        rest = tuple(t for t in cluster.rule_timers if t != timer)
        assert action.recover is not None
        undone = action.recover(cluster, subject)
        after = attrs.evolve(undone if undone is not None else cluster, rule_timers=rest)
        label = f"faultRule recovery: {action.recover_verb} {subject} ({action.recover_key} of {action_name} is up)"
        if undone is None:
            label += " (nothing to undo)"
        kind = "node" if action.subject == "node" else "pod"
        event = Event(cluster.now, SOURCE, "FaultRuleRecovery", f"{kind}/{subject}", label)
        out.append(Outcome(ACTOR, label, after, (event,)))
    return out


def start_of_tick(cluster: Cluster) -> Iterator[Outcome]:
    """What ``kmodel simulate`` (and the checker's settling) does at the start of a tick: every
    due recovery, one after the other."""
    while True:
        due = due_recoveries(cluster)
        if not due:
            return
        cluster = due[0].state
        yield due[0]


def end_of_tick(cluster: Cluster, rules: tuple[FaultRule, ...]) -> Iterator[Outcome]:
    """What ``kmodel simulate`` does at the end of a tick: fire the first enabled rule, evaluate
    again, until none is enabled (each firing changes the state, and a fired action is not
    enabled again on an unchanged subject, so this ends)."""
    for _ in range(10_000):
        found = firings(cluster, rules)
        if not found:
            return
        outcome = found[0][1]
        cluster = outcome.state
        yield outcome


def relative_timers(cluster: Cluster) -> tuple[tuple[int, str, str], ...]:
    """The recoveries as the fingerprint sees them: time left, action, subject."""
    return tuple((max(at - cluster.now, 0), a, s) for at, a, s in cluster.rule_timers)
