"""Mutation check: plant one small bug at a time in kmodel/components/*.py (and plugins/*.py) and
see whether the tests notice.

    python benchmarks/mutation.py [--module scheduler,podgc,plugins/nodeaffinity] [--limit N]
                                  [--tests "tests/a.py tests/b.py"] [--timeout SECONDS]
                                  [--output benchmarks/results/mutation.txt] [--list] [--rerun FILE]

A module is a file of kmodel/components/ (``scheduler``, ``kubeletadmission``) or of its
plugins/ folder (``plugins/nodeaffinity``); ``--module plugins`` names all the scheduler's
plugins. Each mutant changes one spot of one component's source (parsed with :mod:`ast`, written back
with ``ast.unparse``):

- a comparison: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``in`` <-> ``not in``,
  ``is`` <-> ``is not``;
- arithmetic: ``+`` <-> ``-``, ``*`` -> ``//``, ``//`` and ``/`` -> ``*`` (also in ``+=``, ``-=``);
- logic: ``and`` <-> ``or``, ``not x`` -> ``x``, ``True`` <-> ``False``;
- a whole-number constant ``n`` -> ``n + 1``;
- a swap of names that are easy to confuse: NoSchedule / NoExecute, the not-ready / unreachable
  taint keys, the Ready statuses, the zone states, ``min`` / ``max``, ``any`` / ``all``.

Strings, docstrings, f-strings and annotations are left alone (a wrong event message is not a
behaviour this check is about). The mutated package is a copy of the repository in a temporary
directory, put first on ``PYTHONPATH``; for each mutant pytest runs the module's test subset
(``SUBSETS``, plus ``COMMON``) with ``-x`` and a time limit. A mutant is *killed* when the tests
fail (or time out), *survived* when they pass. A surviving mutant whose spot is listed in
``EQUIVALENT`` is reported with the reason it cannot change behaviour (an equivalent mutant);
any other survivor is a gap in the tests and is listed as such.

The score is killed / (killed + survived - equivalent). The run prints one line per mutant and
a summary, and writes the summary with every survivor to ``--output``.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "kmodel" / "components"
# The scheduler's plugins live in kmodel/components/plugins/; their module names carry the folder.
PLUGINS = (
    "plugins/framework",
    "plugins/queuesort",
    "plugins/nodeunschedulable",
    "plugins/tainttoleration",
    "plugins/nodeaffinity",
    "plugins/nodeports",
    "plugins/noderesources",
    "plugins/podtopologyspread",
    "plugins/interpodaffinity",
    "plugins/defaultpreemption",
)
MODULES = (
    "apiserver",
    "daemonset",
    "deployment",
    "endpoints",
    "garbagecollector",
    "kubelet",
    "nodelifecycle",
    "podgc",
    "replicaset",
    "scheduler",
    "tainteviction",
    "kubeletadmission",
    "prober",
    "disruption",
    "eviction",
    "drain",
    *PLUGINS,
)
# --module plugins stands for every scheduler plugin.
GROUPS = {"plugins": list(PLUGINS)}

# The fast tests that exercise each component (a few seconds per run), the sharpest first since
# pytest stops at the first failure. Every module also runs COMMON. The Z3, explorer and property
# suites take minutes and are left out (pass --tests to use them).
COMMON = ["tests/test_notice_properties.py"]
SUBSETS: dict[str, list[str]] = {
    "apiserver": [
        "tests/test_notice_controllers.py",
        "tests/k8s/test_admission.py",
        "tests/k8s/test_priority_admission.py",
        "tests/test_priority.py",
        "tests/test_controllers.py",
        "tests/test_template_hash.py",
        "tests/test_deployment.py",
    ],
    "deployment": [
        "tests/test_notice_controllers.py",
        "tests/test_deployment.py",
        "tests/k8s/test_deployment_util.py",
        "tests/k8s/test_deployment_controller.py",
    ],
    "endpoints": ["tests/k8s/test_endpoints.py", "tests/test_controllers.py"],
    "prober": [
        "tests/k8s/test_prober.py",
        "tests/test_probe_fingerprint.py",
        "tests/test_timeline_verbs.py",
        "tests/test_probe_manifests.py",
    ],
    "daemonset": ["tests/k8s/test_daemonset.py", "tests/test_daemonset.py"],
    "garbagecollector": ["tests/test_controllers.py", "tests/test_seeds.py", "tests/test_daemonset.py"],
    "kubelet": [
        "tests/test_notice_controllers.py",
        "tests/k8s/test_kubelet_admission.py",
        "tests/test_controllers.py",
        "tests/k8s/test_nodelifecycle.py",
        "tests/test_nodelifecycle.py",
    ],
    "nodelifecycle": [
        "tests/test_notice_nodelifecycle.py",
        "tests/test_nodelifecycle.py",
        "tests/k8s/test_nodelifecycle.py",
    ],
    "podgc": ["tests/test_notice_controllers.py", "tests/k8s/test_podgc.py", "tests/test_controllers.py"],
    "replicaset": [
        "tests/test_notice_replicaset.py",
        "tests/test_replicaset.py",
        "tests/k8s/test_replicaset.py",
        "tests/k8s/test_controller_utils.py",
        "tests/test_deployment.py",
    ],
    "scheduler": [
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
        "tests/k8s/test_scheduler_plugins.py",
        "tests/k8s/test_defaultpreemption.py",
        "tests/test_priority.py",
        "tests/k8s/test_nodeaffinity.py",
        "tests/test_scheduler_manifests.py",
    ],
    "tainteviction": [
        "tests/k8s/test_tainteviction.py",
        "tests/test_notice_controllers.py",
        "tests/test_controllers.py",
        "tests/test_nodelifecycle.py",
    ],
    "kubeletadmission": [
        "tests/k8s/test_kubelet_admission.py",
        "tests/test_notice_controllers.py",
        "tests/test_controllers.py",
    ],
    # The plugins: their own Go-test translation first, then the scheduler's tests that go
    # through the whole framework.
    "plugins/framework": [
        "tests/k8s/test_scheduler_plugins.py",
        "tests/k8s/test_nodeaffinity.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
        "tests/k8s/test_defaultpreemption.py",
    ],
    "plugins/queuesort": [
        "tests/k8s/test_prioritysort.py",
        "tests/test_notice_scheduler.py",
        "tests/test_priority.py",
        "tests/test_scheduler.py",
    ],
    "plugins/nodeunschedulable": [
        "tests/k8s/test_scheduler_plugins.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
    ],
    "plugins/tainttoleration": [
        "tests/k8s/test_scheduler_plugins.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
    ],
    "plugins/nodeaffinity": [
        "tests/k8s/test_nodeaffinity.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
        "tests/k8s/test_podtopologyspread.py",
    ],
    "plugins/nodeports": [
        "tests/k8s/test_nodeports.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
    ],
    "plugins/noderesources": [
        "tests/k8s/test_noderesources.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
        "tests/k8s/test_scheduler_plugins.py",
    ],
    "plugins/podtopologyspread": [
        "tests/k8s/test_podtopologyspread.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
    ],
    "plugins/interpodaffinity": [
        "tests/k8s/test_interpodaffinity.py",
        "tests/test_interpodaffinity.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
    ],
    "disruption": ["tests/k8s/test_disruption.py", "tests/k8s/test_eviction.py"],
    "eviction": ["tests/k8s/test_eviction.py", "tests/k8s/test_drain.py"],
    "drain": ["tests/k8s/test_drain.py"],
    "plugins/defaultpreemption": [
        "tests/k8s/test_defaultpreemption.py",
        "tests/test_priority.py",
        "tests/test_notice_scheduler.py",
        "tests/test_scheduler.py",
    ],
}

# Survivors that cannot change behaviour. Key: (module, function, the stripped source line,
# the mutation); value: why the mutant is equivalent.
EQUIVALENT: dict[tuple[str, str, str, str], str] = {
    (
        "nodelifecycle",
        "zone_state",
        "if ready == 0 and not_ready > 0:",
        "> -> >=",
    ): "differs only for a zone with no node at all, and zones are made from the nodes",
    (
        "nodelifecycle",
        "step",
        "if current.ready != node.ready:",
        "!= -> ==",
    ): "guards a note in the step's label only",
    (
        "nodelifecycle",
        "step",
        "if old_states.get(z, NORMAL) != st:",
        "!= -> ==",
    ): "guards a note in the step's label only",
    (
        "nodelifecycle",
        "_update_health",
        "record = NodeHealth(node.name, record.probe_time, current.last_heartbeat, COND_UNKNOWN, lease)",
        "COND_UNKNOWN -> COND_FALSE",
    ): "the record's seen_ready is overwritten with the node's current Ready status before it is returned",
    (
        "nodelifecycle",
        "step",
        "if old_states.get(z, NORMAL) != st:",
        "NORMAL -> PARTIAL",
    ): "guards a note in the step's label only",
    (
        "kubelet",
        "step",
        "if not status_due and not lease_due and (not node.runtime_ready or len(bound) == len(node.running)):",
        "or -> and",
    ): "only turns the fast path off (with the runtime up, or down with containers listed); the full sync then "
    "finds nothing to start, stop, restart or report and returns no outcome, as the fast path does",
    (
        "scheduler",
        "resolvable_by_preemption",
        "return False",
        "False -> True",
    ): "only reached for an empty reason list, which no caller passes: it is asked about nodes that failed a filter",
    (
        "scheduler",
        "resolvable_by_preemption",
        "if not all(noderesources.is_fit_reason(r) for r in reasons):",
        "all -> any",
    ): "the reasons are one filter plugin's (the filters stop at the first failure), so they are either all "
    "NodeResourcesFit reasons or none",
    (
        "scheduler",
        "nominated_pods",
        "if p.nominated_node_name and not p.terminating:",
        "and -> or",
    ): "an unbound pod is never terminating (the apiserver deletes an unscheduled pod at once), and the pods it "
    "adds without a nomination go under the key None or '', which no node name looks up",
    (
        "scheduler",
        "_fits",
        "status = run_filters(CycleState.of(crowded, pod), crowded.node(node_name) or node)",
        "or -> and",
    ): "crowded.node(node_name) is never None (placing pods leaves the nodes as they are) and is the same node",
    (
        "scheduler",
        "unschedulable",
        "if result.nominate is not None and pod.nominated_node_name != (result.nominate or None):",
        "or -> and",
    ): "with no candidate, nominate is None or ''; comparing with '' instead of None differs only for a pod with "
    "no nomination, which is then written back unchanged",
    (
        "scheduler",
        "unschedulable",
        "if len(result.candidates) > 1:",
        "> -> >=",
    ): "guards the tie note in the step's label only",
    (
        "scheduler",
        "unschedulable",
        "if len(result.candidates) > 1:",
        "1 -> 2",
    ): "guards the tie note in the step's label only",
    (
        "deployment",
        "sync",
        "if unhealthy < 0:",
        "< -> <=",
    ): "unhealthy == 0 was skipped on the line before, so < 0 and <= 0 agree here",
    (
        "deployment",
        "sync",
        "if unhealthy < 0:",
        "0 -> 1",
    ): "unhealthy == 0 was skipped on the line before, so < 1 and < 0 agree here",
    (
        "plugins/framework",
        "normalize",
        "high = max(raw.values(), default=0)",
        "0 -> 1",
    ): "the default is only used for an empty node list, where there is no node to score",
    (
        "plugins/noderesources",
        "least_allocated",
        "scores.append(0 if requested > capacity else (capacity - requested) * MAX_NODE_SCORE // capacity)",
        "> -> >=",
    ): "at requested == capacity the formula gives (capacity - requested) * 100 // capacity = 0 as well",
    (
        "plugins/noderesources",
        "node_usage",
        "nz = nz + pod_request(p, nonzero=True) + Resources(pods=1)",
        "1 -> 2",
    ): "the pod count of the non-zero usage is never read (LeastAllocated scores cpu and memory)",
    (
        "plugins/tainttoleration",
        "raw_score",
        "1",
        "1 -> 2",
    ): "every raw count doubles, and the normalisation 100 - 100 * v // max divides by the doubled max",
    (
        "plugins/queuesort",
        "less",
        "return p1.priority > p2.priority",
        "> -> >=",
    ): "the line is reached only when the priorities differ, where > and >= agree",
    (
        "plugins/nodeaffinity",
        "raw_score",
        "return 0",
        "0 -> 1",
    ): "raw_score's only caller, score, returns before calling it when the pod has no node affinity",
    (
        "plugins/defaultpreemption",
        "dry_run",
        "if status is None and victims:",
        "and -> or",
    ): "only the nodes that failed a filter are dry-run; if every lower-priority pod could be put back the pod "
    "would fit with all of them, which that failure rules out, so a success always has victims",
    (
        "apiserver",
        "uid",
        "return str(uuid.UUID(bytes=hashlib.sha256(name.encode()).digest()[:16], version=4))",
        "4 -> 5",
    ): "another stand-in for the random metadata.uid: other values (still unique per name), the same behaviour",
    (
        "apiserver",
        "template_hash",
        "return name_suffix(text, 0, length=10)",
        "0 -> 1",
    ): "picks another stand-in for the random pod-template-hash: other names, the same behaviour",
    (
        "podgc",
        "step",
        'return [Outcome("podgc", "; ".join(notes) or "quarantine orphaned pods", out, tuple(events))]',
        "or -> and",
    ): "changes only the step's label text (strings are left alone by this check)",
    (
        "deployment",
        "step",
        'return [Outcome("deployment", "; ".join(notes) or "update deployment status", out, tuple(events))]',
        "or -> and",
    ): "changes only the step's label text (strings are left alone by this check)",
    (
        "deployment",
        "_scale",
        'verb = "up" if to > rs.replicas else "down"',
        "> -> >=",
    ): "_scale returns before this line when to == rs.replicas",
    (
        "deployment",
        "sync",
        "if new.replicas > d.replicas:",
        "> -> >=",
    ): "at new.replicas == d.replicas both branches leave the new ReplicaSet as it is",
    (
        "deployment",
        "sync",
        "elif total < d.replicas + surge:",
        "< -> <=",
    ): "at total == replicas + surge the growth is min(0, ...) = 0",
    (
        "deployment",
        "sync",
        "new = out.replicaset(new.name) or new",
        "or -> and",
    ): "for the status at the end of sync: only status fields of the new ReplicaSet are read, and sync never "
    "changes them",
    (
        "deployment",
        "sync",
        "old = out.replicaset(old.name) or old",
        "or -> and",
    ): "in the cleanup loop each old ReplicaSet is read before anything in this sync scaled it",
    (
        "deployment",
        "sync",
        "if budget <= 0:",
        "<= -> <",
    ): "at budget == 0 every further cut is min(replicas, 0) = 0, a no-op",
    (
        "deployment",
        "sync",
        "if cut > 0:",
        "> -> >=",
    ): "a cut of 0 scales to the same size, which _scale ignores",
}

# deletion_order's comparator goes to functools.cmp_to_key, which reads only the sign of what it
# returns: -2 and 2 order exactly as -1 and 1 do.
_SIGN_ONLY = "cmp_to_key reads only the sign of the comparison: -2 / 2 order as -1 / 1 do"
for _line in (
    "return -1 if a.node_name is None else 1",
    "return -1 if pa < pb else 1",
    "return -1 if not a.ready else 1",
    "return -1 if rank(a) > rank(b) else 1",
    "return -1 if a.ready_since is None else 1",
    "return -1 if diff < 0 else 1",
    "return -1 if a.name < b.name else 1",
    "return -1 if a.restarts > b.restarts else 1",
    "return -1 if a.name < b.name else (1 if a.name > b.name else 0)",
):
    EQUIVALENT[("replicaset", "deletion_order", _line, "1 -> 2")] = _SIGN_ONLY
_INSIDE_NOT_EQUAL = "the line is reached only when the two differ, where < and <= (or > and >=) agree"
for _line, _change in (
    ("return -1 if pa < pb else 1", "< -> <="),
    ("return -1 if rank(a) > rank(b) else 1", "> -> >="),
    ("return -1 if a.restarts > b.restarts else 1", "> -> >="),
    ("return -1 if diff < 0 else 1", "< -> <="),
    ("return -1 if diff < 0 else 1", "0 -> 1"),
):
    EQUIVALENT[("replicaset", "deletion_order", _line, _change)] = _INSIDE_NOT_EQUAL
_UNIQUE_NAMES = "pod names are unique, so two pods never compare equal by name"
for _line, _change in (
    ("return -1 if a.name < b.name else 1", "< -> <="),
    ("return -1 if a.name < b.name else (1 if a.name > b.name else 0)", "< -> <="),
    ("return -1 if a.name < b.name else (1 if a.name > b.name else 0)", "> -> >="),
    ("return -1 if a.name < b.name else (1 if a.name > b.name else 0)", "0 -> 1"),
):
    EQUIVALENT[("replicaset", "deletion_order", _line, _change)] = _UNIQUE_NAMES
_RANK = "return -1 if d <= 0 else (d * 1_000_000_000).bit_length() - 1"
EQUIVALENT.update(
    {
        ("replicaset", "_log_rank_diff", _RANK, "<= -> <"): "at d == 0 the formula gives (0).bit_length() - 1 = -1 too",
        ("replicaset", "_log_rank_diff", _RANK, "1000000000 -> 1000000001"): "floor(log2(d * 1e9)) and "
        "floor(log2(d * (1e9 + 1))) agree for every whole number of seconds d below 10^7 (115 days; checked)",
        (
            "replicaset",
            "deletion_order",
            "per_node[p.node_name] = per_node.get(p.node_name, 0) + 1",
            "1 -> 2",
        ): "doubles every node's count: the ranks keep their order and their ties",
        ("replicaset", "deletion_order", "per_node[p.node_name] = per_node.get(p.node_name, 0) + 1", "0 -> 1"): "adds "
        "one to every node's count: the ranks keep their order and their ties",
        ("replicaset", "deletion_order", "return per_node.get(p.node_name, 0) if p.node_name else 0", "0 -> 1"): "the "
        "default is never used (sync ranks active pods that are all among the related ones), and the rank of an "
        "unassigned pod is only compared with another unassigned pod's, after rule 1",
        ("replicaset", "<module>", '_PHASE_ORDER = {PENDING: 0, "Unknown": 1, RUNNING: 2}', "2 -> 3"): "only "
        "active pods are ranked, and an active pod is Pending, Unknown or Running: Running stays last",
        (
            "replicaset",
            "deletion_order",
            "pa, pb = _PHASE_ORDER.get(a.phase, 3), _PHASE_ORDER.get(b.phase, 3)",
            "3 -> 4",
        ): ("the default is for Succeeded / Failed, and only active pods are ranked"),
        ("replicaset", "sync", "if diff < 0:", "< -> <="): "at diff == 0 the create loop runs zero times and the "
        "status is written as before",
        ("replicaset", "sync", "if diff < 0:", "0 -> 1"): "diff < 1 is diff <= 0: at diff == 0 the create loop runs "
        "zero times",
        ("replicaset", "sync", "created = 0", "0 -> 1"): "the count only words the step's label",
        ("replicaset", "sync", "created += 1", "+ -> -"): "the count only words the step's label",
        ("replicaset", "sync", "created += 1", "1 -> 2"): "the count only words the step's label",
        ("replicaset", "new_pod", "rs = attrs.evolve(rs, next_pod=rs.next_pod + 1)", "+ -> -"): "the counter stands "
        "in for generateName's random suffix and the loop retries until the name is free: other names, the same "
        "behaviour",
        ("replicaset", "new_pod", "rs = attrs.evolve(rs, next_pod=rs.next_pod + 1)", "1 -> 2"): "the counter stands "
        "in for generateName's random suffix and the loop retries until the name is free: other names, the same "
        "behaviour",
    }
)

# defaultpreemption's PDB violation counts: the spots no test can reach
EQUIVALENT[("plugins/defaultpreemption", "Candidate", "pdb_violations: int = 0", "0 -> 1")] = (
    "dry_run always builds a Candidate with its count: the default is never used"
)
for _line in ("return [], 0, Status(NAME, (NO_VICTIMS,), UNRESOLVABLE)", "return [], 0, status"):
    EQUIVALENT[("plugins/defaultpreemption", "select_victims_on_node", _line, "0 -> 1")] = (
        "dry_run reads the count only of a node without a status"
    )
_CAP = "cap = spec.horizon() + 2 * step"
_EXIT_AGE = "age(rt.exited, MAX_BACKOFF + 2 * step),"
_UPDATE_AGE = "None if expired else age(rt.backoff_updated, EXPIRY + 2 * step),"
_TRIGGER = "if triggered and since == not_before and not_before >= grid0:"
EQUIVALENT.update(
    {
        ("prober", "first_probe_at", "if t <= grid0:", "<= -> <"): "at t == grid0 the formula gives grid0 too",
        (
            "prober",
            "relative",
            "def relative(pod: Pod, now: int, step: int, more_failures: bool = True) -> object:",
            "True -> False",
        ): "every caller passes more_failures",
        ("prober", "relative", _CAP, "* -> //"): "a cap of the horizon alone still covers every look-back: the "
        "horizon has a spare period and a spare success run",
        ("prober", "relative", "if d <= limit:", "<= -> <"): "every cap is at least a tick past the look-back",
        ("prober", "relative", _EXIT_AGE, "* -> //"): "a container down 300 s or more is restarted whatever its "
        "back-off: ages past 300 s behave alike",
        ("prober", "relative", _EXIT_AGE, "2 -> 3"): "a larger cap only keeps more ages apart",
        ("prober", "relative", _UPDATE_AGE, "* -> //"): "an entry older than 600 s is expired and left out before "
        "its age is read",
        ("prober", "relative", _UPDATE_AGE, "2 -> 3"): "a larger cap only keeps more ages apart",
        ("prober", "relative", "0 if expired else rt.backoff,", "0 -> 1"): "another constant for an expired "
        "entry: states still merge exactly when they did",
        ("prober", "counts_at", _TRIGGER, ">= -> >"): "when the startup probe succeeds at grid0 itself the first "
        "probe on the grid is grid0 too",
        ("prober", "backoff_wait", "return 0", "0 -> 1"): "a 1 s wait ends before the kubelet's next sync, a tick "
        "(at least 1 s) later",
        (
            "prober",
            "backoff_wait",
            "if rt.exited is None or rt.backoff == 0 or rt.backoff_updated is None:",
            "0 -> 1",
        ): "an entry has a delay of 10 s or more, and without one backoff_updated is None as well",
        (
            "prober",
            "_next_backoff",
            "if rt.backoff == 0 or rt.backoff_updated is None or rt.exited - rt.backoff_updated > EXPIRY:",
            "0 -> 1",
        ): "an entry has a delay of 10 s or more, and without one backoff_updated is None as well",
    }
)
EQUIVALENT[("plugins/defaultpreemption", "select_victims_on_node", "if violating and non_violating:", "and -> or")] = (
    "the victims are appended group by group, each group in importance order: when one group is empty they are "
    "in importance order already, and sorting them again changes nothing"
)

# the disruption controller, the eviction API and kubectl drain
EQUIVALENT.update(
    {
        ("disruption", "sync", "if expected <= 0 or allowed <= 0:", "<= -> <"): "for allowed: 0 is set to 0 "
        "either way (the mutant of the expected count is killed)",
        ("drain", "filter_pod", "status = PodStatus(True)", "True -> False"): "every pod goes through the first "
        "filter, which replaces the initial status",
        ("drain", "_unreplicated_filter", "return PodStatus(False, ERROR, UNMANAGED_FATAL)", "False -> True"): "a "
        "pod with an error ends the drain before anything is evicted, marked for deletion or not",
        ("drain", "advance", "if at is not None and at > now:", "is not -> is"): "start gives every pending pod a "
        "retry time, so it is never None",
        (
            "drain",
            "step",
            'return [Outcome(ACTOR, "; ".join(notes) or "kubectl drain", out, tuple(events))]',
            "or -> and",
        ): "only the step's label",
        (
            "drain",
            "advance",
            "else eviction.Refusal(503 if not out.apiserver_available else 404, apiserver.REFUSED_MESSAGE)",
            "503 -> 504",
        ): "advance tells only 404 and 429 apart: any other code is an error",
        (
            "drain",
            "relative",
            "tuple(sorted((rename(p), max(t - now, 0)) for p, t in d.retry_at)),",
            "0 -> 1",
        ): "every retry time already reached maps to one value either way",
    }
)

_PTS = "plugins/podtopologyspread"
_NO_DOMAIN_LINE = "_NO_DOMAIN = 2**31 - 1  # criticalPaths' MatchNum before any domain is seen (math.MaxInt32)"
for _change in ("- -> +", "1 -> 2", "2 -> 3", "31 -> 32"):
    EQUIVALENT[(_PTS, "<module>", _NO_DOMAIN_LINE, _change)] = (
        "the default of min() over the domains, used only when there is none; but then len(counts) = 0 < "
        "minDomains (at least 1) and global_min returns 0 first"
    )
_COUNTS_LINE = "return self.selector is not None and not self.counts_none and self.selector.matches(labels)"
for _change in ("and -> or", "is not -> is", "not x -> x"):
    EQUIVALENT[(_PTS, "Constraint", _COUNTS_LINE, _change)] = (
        "Constraint.counts is never called: the existing pods are counted by _matching_per_node"
    )
for _change in ("0 -> 1",):
    EQUIVALENT[(_PTS, "score", "high, low = max(kept, default=0), min(kept, default=0)", _change)] = (
        "the defaults are used only when every candidate is ignored, and ignored nodes score 0 whatever the maximum"
    )
EQUIVALENT.update(
    {
        (_PTS, "Constraint", "min_domains: int = 1", "1 -> 2"): "minDomains is read only by the DoNotSchedule "
        "constraints' global minimum, and those are built by _resolve, which always passes it; the default "
        "constraints that rely on the default are ScheduleAnyway",
        (_PTS, "_prefilter", "for h, on_node in zip(hard, matching, strict=True):", "True -> False"): "both "
        "lists have one entry per constraint, so zip never meets lists of different lengths to object to",
        (_PTS, "soft_constraints", "return [], False", "False -> True"): "with no scoring constraint raw_scores "
        "returns before reading the flag",
        (_PTS, "raw_scores", "raw[n.name] = 0", "0 -> 1"): "the raw score of an ignored node is never read: score "
        "gives ignored nodes 0 and leaves them out of the maximum and minimum",
    }
)

_COUNTED = "the counts are only compared with 0 (and tested for emptiness), so counting 2 per pod changes nothing"
for _line in (
    "existing_anti[(t.topology_key, value)] += 1",
    "anti_counts[(t.topology_key, labels[t.topology_key])] += 1",
    "affinity_counts[(t.topology_key, labels[t.topology_key])] += 1",
):
    EQUIVALENT[("plugins/interpodaffinity", "prefilter", _line, "1 -> 2")] = _COUNTED

_COMPARE_SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
}
_SYMBOL = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.FloorDiv: "//",
    ast.Div: "/",
    ast.And: "and",
    ast.Or: "or",
}
_NAME_SWAP = {
    "NO_SCHEDULE": "NO_EXECUTE",
    "NO_EXECUTE": "NO_SCHEDULE",
    "PREFER_NO_SCHEDULE": "NO_SCHEDULE",
    "TAINT_NOT_READY": "TAINT_UNREACHABLE",
    "TAINT_UNREACHABLE": "TAINT_NOT_READY",
    "COND_TRUE": "COND_FALSE",
    "COND_FALSE": "COND_UNKNOWN",
    "COND_UNKNOWN": "COND_FALSE",
    "NORMAL": "PARTIAL",
    "PARTIAL": "FULL",
    "FULL": "PARTIAL",
    "min": "max",
    "max": "min",
    "any": "all",
    "all": "any",
}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # the n-th mutation site of the module, in ast.walk order
    line: int
    function: str
    source_line: str
    change: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.module, self.function, self.source_line, self.change)

    def show(self) -> str:
        return f"{self.module}.py:{self.line} {self.function}: {self.change}   [{self.source_line}]"


def _skipped_ranges(tree: ast.Module) -> set[int]:
    """ids of nodes not to mutate: docstrings, f-strings, annotations."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            mark(node)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        elif isinstance(node, ast.arg):
            mark(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            mark(node.returns)
    return skip


def _functions(tree: ast.Module) -> dict[int, str]:
    """node id -> name of the innermost enclosing top-level def (or <module>)."""
    owner: dict[int, str] = {}
    for top in tree.body:
        name = top.name if isinstance(top, ast.FunctionDef | ast.ClassDef) else "<module>"
        for n in ast.walk(top):
            owner[id(n)] = name
    return owner


def _sites(tree: ast.Module) -> Iterator[tuple[ast.AST, int, str]]:
    """(node, which variant, description) for every mutation the module offers, in a fixed order."""
    skip = _skipped_ranges(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _COMPARE_SWAP:
                    yield node, i, f"{_SYMBOL[type(op)]} -> {_SYMBOL[_COMPARE_SWAP[type(op)]]}"
        elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in _BINOP_SWAP:
            yield node, 0, f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[_BINOP_SWAP[type(node.op)]]}"
        elif isinstance(node, ast.BoolOp):
            other = "or" if isinstance(node.op, ast.And) else "and"
            yield node, 0, f"{_SYMBOL[type(node.op)]} -> {other}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, 0, "not x -> x"
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            yield node, 0, f"{node.value} -> {not node.value}"
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield node, 0, f"{node.value} -> {node.value + 1}"
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in _NAME_SWAP:
            yield node, 0, f"{node.id} -> {_NAME_SWAP[node.id]}"


def _apply(node: ast.AST, variant: int) -> ast.AST:
    """The replacement for ``node`` (a new node; the tree is a deep copy)."""
    if isinstance(node, ast.Compare):
        node.ops[variant] = _COMPARE_SWAP[type(node.ops[variant])]()
        return node
    if isinstance(node, ast.BinOp | ast.AugAssign):
        node.op = _BINOP_SWAP[type(node.op)]()
        return node
    if isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node
    if isinstance(node, ast.UnaryOp):
        return node.operand
    if isinstance(node, ast.Constant) and type(node.value) is bool:
        return ast.Constant(not node.value)
    if isinstance(node, ast.Constant):
        return ast.Constant(node.value + 1)
    if isinstance(node, ast.Name):
        return ast.Name(_NAME_SWAP[node.id], ast.Load())
    raise AssertionError(node)


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST) -> None:
        self.target, self.replacement = target, replacement

    def visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return self.replacement
        return super().visit(node)


def mutants(module: str) -> list[Mutant]:
    source = (COMPONENTS / f"{module}.py").read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    owner = _functions(tree)
    out = []
    for i, (node, _variant, change) in enumerate(_sites(tree)):
        line = getattr(node, "lineno", 0)
        out.append(Mutant(module, i, line, owner.get(id(node), "<module>"), lines[line - 1].strip(), change))
    return out


def mutated_source(module: str, index: int) -> str:
    tree = ast.parse((COMPONENTS / f"{module}.py").read_text())
    tree = copy.deepcopy(tree)
    for i, (node, variant, _change) in enumerate(_sites(tree)):
        if i == index:
            replacement = _apply(node, variant)
            tree = _Replace(node, replacement).visit(tree)
            return ast.unparse(ast.fix_missing_locations(tree))
    raise IndexError(index)


def _copy_repo(dest: Path) -> None:
    for part in ("kmodel", "tests", "properties", "scenarios", "pyproject.toml", "conftest.py"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis"))
        elif src.exists():
            shutil.copy2(src, dest / part)


_PRELOAD = ("attrs", "click", "rich", "yaml", "jsonschema", "z3", "hypothesis", "hypothesis.strategies", "pytest")


def _preload(workdir: Path) -> None:
    """Import the heavy third-party packages once, in the parent, so that each forked child only
    imports kmodel (from ``workdir``) and the tests. kmodel itself must not be imported here."""
    import importlib

    sys.path.insert(0, str(workdir))
    sys.dont_write_bytecode = True
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ.pop("CI", None)
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    assert not any(m == "kmodel" or m.startswith("kmodel.") for m in sys.modules), "kmodel imported too early"


def _pytest_args(tests: list[str]) -> list[str]:
    return ["-p", "no:cacheprovider", "-n", "0", "-x", "-q", "--no-header", "-m", "not thorough", *tests]


def _run_tests(workdir: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    """Run pytest on ``tests`` in a forked child: 'pass', 'fail' or 'timeout', and the seconds."""
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: run the tests and leave without cleanup
        code = 3
        try:
            os.chdir(workdir)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest

            code = int(pytest.main(_pytest_args(tests)))
        finally:
            os._exit(code)
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            took = time.monotonic() - start
            if done:
                pid = 0
                code = os.waitstatus_to_exitcode(status)
                return ("pass" if code == 0 else "fail"), took
            if took > timeout:
                return "timeout", took
            time.sleep(0.05)
    finally:
        if pid:  # timed out, or interrupted: the child goes too
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)  # so that a killed run also stops its test child
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", default="", help="comma-separated component modules (default: all)")
    ap.add_argument("--limit", type=int, default=0, help="at most this many mutants per module (0: all)")
    ap.add_argument("--tests", default="", help="space-separated test files instead of the module's subset")
    ap.add_argument("--timeout", type=float, default=0, help="seconds per mutant (default: 5 x the clean run + 10)")
    ap.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "mutation.txt"))
    ap.add_argument("--list", action="store_true", help="only list the mutants")
    ap.add_argument(
        "--rerun",
        default="",
        help="an earlier --output file: run only the mutants it lists as survivors (after adding tests)",
    )
    args = ap.parse_args()
    modules = [x for m in args.module.split(",") if m for x in GROUPS.get(m, [m])] or list(MODULES)
    for m in modules:
        if m not in MODULES:
            ap.error(f"unknown module {m!r} (known: {', '.join([*MODULES, *GROUPS])})")

    plan = {m: mutants(m) for m in modules}
    if args.rerun:
        listed = {line.strip() for line in Path(args.rerun).read_text().splitlines()}
        plan = {m: [mu for mu in ms if mu.show() in listed] for m, ms in plan.items()}
    if args.limit:
        plan = {m: ms[: args.limit] for m, ms in plan.items()}
    if args.list:
        for ms in plan.values():
            for mu in ms:
                print(mu.show())
        return 0

    report: list[str] = []
    totals = {"killed": 0, "survived": 0, "equivalent": 0}
    survivors: list[tuple[Mutant, str | None]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kmodel-mutation-") as tmp:
        work = Path(tmp)
        _copy_repo(work)
        _preload(work)
        for module, ms in plan.items():
            tests = args.tests.split() if args.tests else [*SUBSETS[module], *COMMON]
            tests = [t for t in dict.fromkeys(tests) if (ROOT / t).exists()]
            target = work / "kmodel" / "components" / f"{module}.py"
            original = target.read_text()
            verdict, clean = _run_tests(work, tests, timeout=600)
            if verdict != "pass":
                print(f"{module}: the clean run of {' '.join(tests)} does not pass; fix that first", flush=True)
                return 2
            timeout = args.timeout or 5 * clean + 10
            print(f"== {module}: {len(ms)} mutants, clean run {clean:.1f}s, tests: {' '.join(tests)}", flush=True)
            counts = {"killed": 0, "survived": 0, "equivalent": 0}
            try:
                for mu in ms:
                    target.write_text(mutated_source(module, mu.index))
                    verdict, took = _run_tests(work, tests, timeout)
                    if verdict == "pass":
                        why = EQUIVALENT.get(mu.key)
                        counts["equivalent" if why else "survived"] += 1
                        survivors.append((mu, why))
                        state = "EQUIVALENT" if why else "SURVIVED"
                    else:
                        counts["killed"] += 1
                        state = "killed" if verdict == "fail" else "killed (timeout)"
                    print(f"  {state:<16} {mu.show()} ({took:.1f}s)", flush=True)
            finally:
                target.write_text(original)
            real = counts["killed"] + counts["survived"]
            score = counts["killed"] / real if real else 1.0
            line = (
                f"{module:<16} mutants {len(ms):>4}  killed {counts['killed']:>4}  survived {counts['survived']:>3}  "
                f"equivalent {counts['equivalent']:>3}  score {score:.1%}"
            )
            report.append(line)
            print(line, flush=True)
            for k in totals:
                totals[k] += counts[k]
    real = totals["killed"] + totals["survived"]
    score = totals["killed"] / real if real else 1.0
    n = totals["killed"] + totals["survived"] + totals["equivalent"]
    summary = (
        f"{'total':<16} mutants {n:>4}  killed {totals['killed']:>4}  survived {totals['survived']:>3}  "
        f"equivalent {totals['equivalent']:>3}  score {score:.1%}"
    )
    report.append(summary)
    out = ["# python benchmarks/mutation.py " + " ".join(sys.argv[1:]), *report, ""]
    out.append(
        f"# {time.monotonic() - started:.0f}s; score = killed / (killed + survived), equivalent mutants left out"
    )
    if survivors:
        out.append("")
        out.append("Survivors:")
        for mu, why in survivors:
            out.append(f"  {mu.show()}")
            out.append(
                f"      equivalent because: {why}" if why else "      NOT EXPLAINED: no test notices this change"
            )
    print("\n".join(out[1:]))
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
