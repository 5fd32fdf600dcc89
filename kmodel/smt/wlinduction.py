"""k-induction on the workload slice: ``kmodel prove SCENARIO -p no-over-replication``.

The counting property ``no-over-replication`` (a step that creates pods for a ReplicaSet leaves
it at most spec.replicas active pods; a step that raises a Deployment's ReplicaSet stays within
replicas + maxSurge) is proven for every reachable state of the scenario's workload slice
(:mod:`kmodel.smt.workload`: its nodes, its Deployments, the settled pods and ``pod_slots`` new
pods per ReplicaSet):

base case
    no run of at most ``k`` actions from the settled state breaks it: bounded model checking
    (:func:`kmodel.smt.bmc.check`), whose counterexamples are replayed on the Python model;
induction step
    for *any* states s0 .. sk related by k actions (not necessarily reachable), if the steps
    s0 -> .. -> s(k-1) keep the property, so does s(k-1) -> sk. The frames are free, except for
    the variables :meth:`Slice.invariants` proves constant in every reachable state.

When the step fails the answer is a counterexample to induction: the action and the variables it
changes, from a state that need not be reachable; raise k or check the property with
``kmodel check``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import z3

from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario, load
from kmodel.smt import bmc
from kmodel.smt.nodehealth import AND, NOT, OR, model_values
from kmodel.smt.workload import WorkloadSlice, dk, rk
from kmodel.state import Deployment

PROPERTIES = {
    "no-over-replication": "controllers never create more pods than asked for (the scenario's nodes and "
    "Deployments, a bounded number of new pods per ReplicaSet)",
}
SHOW_CHANGES = 24  # changed variables listed in a counterexample to induction


def prove_workload(
    scenario: str | Path | Scenario,
    prop: str,
    *,
    k: int = 1,
    timeout: float | None = None,
    pod_slots: int | None = None,
    sl: WorkloadSlice | None = None,
    domain: bool = True,
) -> dict[str, Any]:
    """Prove ``prop`` by ``k``-induction on the workload slice of ``scenario`` (or on ``sl``).

    Returns a dict: ``verdict`` ("proven", "violated", "not-inductive" or "unknown"), ``sizes``,
    ``cti`` (text, when not inductive), ``trace`` (the replayed run, when violated) and
    ``seconds``. ``domain``: assume (after proving it inductive) that every spec.replicas keeps
    to the values the scenario gives it; without it the step meets states with negative
    replicas (tests show the counterexample to induction)."""
    started = time.monotonic()
    if prop not in PROPERTIES:
        raise KmodelError(f"no workload-slice proof of {prop!r}", where="kmodel prove", fix="use no-over-replication")
    if sl is None:
        scen = load(scenario) if isinstance(scenario, str | Path) else scenario
        model = bmc.WorkloadModel(scen)
        sl = WorkloadSlice(model, **({"pod_slots": pod_slots} if pod_slots is not None else {}))
    spec = bmc.PROPERTIES[prop]
    c = sl.init_state.cluster
    sizes = (
        f"{len(c.nodes)} node(s) ({', '.join(n.name for n in c.nodes)}), {len(sl.deployment_names())} Deployment(s), "
        f"the {len(c.pods)} settled pods and up to {sl.pod_slots} new pods per ReplicaSet"
    )
    out: dict[str, Any] = {
        "verdict": "proven",
        "sizes": sizes,
        "cti": None,
        "trace": None,
        "rollouts": list(sl.rollouts),
    }

    def left() -> float | None:
        return None if timeout is None else max(0.001, timeout - (time.monotonic() - started))

    # base case: no violation in runs of at most k actions
    base = bmc.check(sl, prop, max_depth=k, timeout=left())
    if base.verdict == VIOLATED:
        out.update(verdict="violated", trace=base.trace)
    elif base.verdict != HOLDS:
        out.update(verdict="unknown", reason=base.message)
    else:
        out.update(_step(sl, spec, k, left(), domain))
    out["seconds"] = time.monotonic() - started
    return out


def replica_values(sl: WorkloadSlice) -> dict[str, set[int]]:
    """Every spec.replicas a Deployment or ReplicaSet can have: the settled ones (0 for those a
    timeline ``apply`` creates), those the timeline's scale and apply events set (the
    Deployment controller copies a Deployment's to its ReplicaSet); for a rollout's
    ReplicaSets every value up to spec.replicas, and their status counts."""
    c = sl.init_state.cluster
    values = {dk(d.name, "replicas"): {d.replicas} for d in c.deployments}
    values.update({rk(rs.name, "replicas"): {rs.replicas} for rs in c.replicasets})
    values.update({dk(name, "replicas"): {0} for name in sl.late})
    values.update({rk(name, "replicas"): {0} for name in sl.late_rs})
    for ev in sl.timeline:
        if ev.verb == "scale":
            key = dk(ev.name, "replicas") if ev.kind == "deployment" else rk(ev.name, "replicas")
            if key in values:
                values[key].add(int(ev.args[0]))
        elif ev.verb == "apply":
            for m in ev.manifests:
                if isinstance(m.obj, Deployment):  # the only kind the slice lets a file apply
                    values[dk(m.name, "replicas")].add(m.obj.replicas)
    for rs in sl.replicasets:
        owner = sl.deployment_of(rs)
        if owner is not None:
            values[rk(rs.name, "replicas")] |= values[dk(owner, "replicas")]
    # a rolling update moves both ReplicaSets through every value from 0 to spec.replicas, and
    # reads their status counts (which the ReplicaSet controller keeps within 0 .. their pods)
    for name, ro in sl.rollouts.items():
        top = max(values[dk(name, "replicas")])
        for rs_name in (ro.old, ro.new.name):
            values[rk(rs_name, "replicas")] |= set(range(top + 1))
            owned = len(next(rs for rs in sl.replicasets if rs.name == rs_name).owned)
            for field in ("status_replicas", "status_ready", "status_available"):
                values[rk(rs_name, field)] = set(range(owned + 1))
    return values


def _domain(values: dict[str, set[int]], view: dict[str, Any], sl: WorkloadSlice | None = None) -> Any:
    """The replicas of ``view`` are among their possible values; for a rollout (``sl``), the
    new ReplicaSet does not exist before the apply, and has no replicas while it does not."""
    facts = []
    for name, ro in sl.rollouts.items() if sl is not None else ():
        exists = view[rk(ro.new.name, "exists")]
        facts.append(OR(view[dk(name, "updated")], NOT(exists)))
        facts.append(OR(exists, view[rk(ro.new.name, "replicas")] == 0))
    return AND(*[OR(*[view[key] == v for v in sorted(vs)]) for key, vs in values.items()], *facts)


def _step(sl: WorkloadSlice, spec: bmc.SliceProperty, k: int, timeout: float | None, domain: bool) -> dict[str, Any]:
    fixed = sl.invariants()
    values = replica_values(sl) if domain else {}
    # the domain of the replicas is itself an invariant: it holds at the start and every action
    # keeps it (checked here, before it is assumed)
    if _domain(values, sl.project(sl.init_state), sl) is not True:
        return {"verdict": "unknown", "reason": "the settled state's replicas are outside their domain"}
    a, b = sl.frame("d0", fixed), sl.frame("d1", fixed)
    check = z3.Solver()
    check.add(*sl.compact(a, b, {name: z3.Bool(f"dom[{name}]") for name in sl.action_names}))
    check.add(_domain(values, a.vars, sl), NOT(_domain(values, b.vars, sl)))
    if check.check() != z3.unsat:
        return {"verdict": "unknown", "reason": "could not show that replicas keep to the scenario's values"}
    frames = [sl.frame(f"i{i}", fixed) for i in range(k + 1)]
    solver = z3.Solver()
    if timeout is not None:
        solver.set("timeout", max(1, int(timeout * 1000)))
    for f in frames:
        solver.add(_domain(values, f.vars, sl))
    chosen = []
    for i in range(k):
        sel = {name: z3.Bool(f"ind{i}[{name}]") for name in sl.action_names}
        solver.add(*sl.compact(frames[i], frames[i + 1], sel))
        chosen.append(sel)
    for i in range(k - 1):
        solver.add(spec.holds(sl, frames[i].vars, frames[i + 1].vars))
    solver.add(NOT(spec.holds(sl, frames[k - 1].vars, frames[k].vars)))
    r = solver.check()
    if r == z3.unsat:
        return {"verdict": "proven"}
    if r == z3.unknown:
        return {"verdict": "unknown", "reason": solver.reason_unknown()}
    m = solver.model()
    values = model_values(m)
    before = frames[k - 1].values(values)
    after = frames[k].values(values)
    names = [n for n, s in chosen[-1].items() if z3.is_true(m.eval(s, model_completion=True))]
    changed = [f"{v}: {before[v]} -> {after[v]}" for v in sl.schema if before[v] != after[v]]
    shown = changed[:SHOW_CHANGES]
    if len(changed) > SHOW_CHANGES:
        shown.append(f"... {len(changed) - SHOW_CHANGES} more")
    cti = "\n".join([f"a state (not necessarily reachable) where {', '.join(names) or 'an action'} breaks it:", *shown])
    return {"verdict": "not-inductive", "cti": cti}
