"""The known-hostile inputs of issue 18, each with the command it is given to and what must
come of it: the exit code and a piece of the message (or of the output).

Most are small files checked in under ``tests/data/hostile``; :func:`generated` writes the
ones that are big or special (a 5 MB name, a 100,000-deep JSON trace, a FIFO, a sparse file of
100 MB) into a directory at test time. Cases with ``process=True`` run in a subprocess (under an
address-space limit), because a regression there would take the test process down with it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.harness import ROOT

HOSTILE = ROOT / "tests" / "data" / "hostile"
SMALL = ROOT / "tests" / "data" / "props-two-workers.yaml"
TRACE = ROOT / "diagrams" / "cex-replicaset-one-too-many.json"


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]  # {hostile}, {gen} and {small} are replaced by their paths
    code: int
    needle: str = ""  # in stderr (exit 2) or stdout (otherwise)
    process: bool = False  # run in a subprocess

    def argv(self, gen: Path) -> list[str]:
        values = {"hostile": str(HOSTILE), "gen": str(gen), "small": str(SMALL), "trace": str(TRACE)}
        return [a.format(**values) for a in self.args]


def _sim(name: str, code: int, needle: str = "", *more: str) -> Case:
    return Case(name, ("simulate", f"{{hostile}}/{name}", "--until", "2m", "-o", "events", *more), code, needle)


CASES: tuple[Case, ...] = (
    # --- YAML -------------------------------------------------------------------------------------
    _sim("alias-bomb.yaml", 2, "maxYamlAliasNodes"),
    _sim("deep-flow.yaml", 2, "maxYamlDepth"),
    _sim("deep-block.yaml", 2, "maxYamlDepth"),
    _sim("unhashable-key.yaml", 2, "a mapping key must be a string, not a list"),
    _sim("bigint-5000-digits.yaml", 2, "64-bit"),
    _sim("binary-tag.yaml", 2, "no JSON form"),
    _sim("python-tag.yaml", 2, "could not determine a constructor"),
    _sim("not-utf8.yaml", 2, "not UTF-8"),
    _sim("nul-byte.yaml", 2, "control characters"),
    _sim("only-empty-documents.yaml", 2, "no Kubernetes objects"),
    _sim("timestamp-label.yaml", 0, "1 Pod"),
    _sim("merge-keys.yaml", 0, "1 Pod"),
    # --- numbers and limits ---------------------------------------------------------------------------
    _sim("until-inf.yaml", 2, "not a finite number"),
    _sim("until-100000h.yaml", 2, "maxDuration"),
    _sim("eviction-rate-nan.yaml", 2, "not a finite number"),
    _sim("eviction-rate-tiny.yaml", 2, "nodeEvictionRate"),
    _sim("replicas-int32-max.yaml", 2, "maxReplicas"),
    Case("labels-1000", ("simulate", "{gen}/labels-1000.yaml"), 2, "maxLabels"),
    _sim("scale-superscript.yaml", 2, "replica count must be a whole number"),
    _sim("time-arabic-digits.yaml", 2, "expected a duration"),
    _sim("quantity-huge-exponent.yaml", 2, "quantities must match"),
    _sim("quantities.yaml", 0, "Scheduled"),
    # --- kinds, init containers, namespaces ------------------------------------------------------------
    _sim("ignored-kinds.yaml", 0, "ignoring configmap/settings"),
    _sim("refused-kind.yaml", 2, "needs the CronJob controller"),
    _sim("init-containers.yaml", 0, "Insufficient cpu"),
    # namespaces are modelled: the Service in default selects none of shop's pods (NAMESPACE column)
    _sim("two-namespaces.yaml", 0, "shop        pod/web-"),
    _sim("namespace-flag.yaml", 0, 'deployments.apps "web" not found'),
    # --- generated files ---------------------------------------------------------------------------
    Case("long-name", ("simulate", "{gen}/long-name.yaml"), 2, "must be no more than 253 characters"),
    Case("long-event", ("simulate", "{small}", "--event", "LONG-EVENT"), 2, "characters long"),
    Case("sparse-100MB", ("simulate", "{gen}/sparse.yaml"), 2, "maxFileSize"),
    Case("directory", ("simulate", "{gen}"), 2, "directory"),
    Case("missing", ("simulate", "{gen}/missing.yaml"), 2, "not found"),
    Case("trace-deep", ("render", "{gen}/deep.json", "-o", "{gen}/out.dot"), 2, "nested too deeply"),
    Case("apply-dev-zero", ("simulate", "{gen}/apply-dev-zero.yaml"), 2, "character device"),
    # --- special files, in a process of their own ------------------------------------------------------
    Case("dev-zero", ("simulate", "/dev/zero"), 2, "character device", process=True),
    Case("dev-urandom", ("simulate", "/dev/urandom"), 2, "character device", process=True),
    Case("fifo", ("simulate", "{gen}/fifo"), 2, "FIFO", process=True),
    Case("trace-dev-zero", ("replay", "/dev/zero"), 2, "character device", process=True),
    Case(
        "property-file-dev-zero",
        ("check", "{small}", "--property-file", "/dev/zero"),
        2,
        "character device",
        process=True,
    ),
    # --- traces ----------------------------------------------------------------------------------
    Case("trace-bigint", ("render", "{hostile}/trace-bigint-5000-digits.json", "-o", "{gen}/o.dot"), 2, "#bigint"),
    Case("trace-int", ("render", "{hostile}/trace-int-5000-digits.json", "-o", "{gen}/o.dot"), 2, "5000 digits"),
    Case("trace-nan", ("render", "{hostile}/trace-nan.json", "-o", "{gen}/o.dot"), 2, "NaN"),
    Case("trace-not-utf8", ("render", "{hostile}/trace-not-utf8.json", "-o", "{gen}/o.dot"), 2, "UTF-8"),
    Case("trace-lone-surrogate", ("replay", "{hostile}/trace-lone-surrogate.json"), 2, "lone surrogate"),
    Case("render-nul-name", ("render", "{trace}", "-o", "{gen}/a\x00b.dot"), 2, "NUL"),
    Case("render-unwritable", ("render", "{trace}", "-o", "/proc/kmodel-out.dot"), 2, "cannot write"),
    Case(
        "database-name-too-long",
        ("check", "{small}", "--engine", "hypothesis", "--database", "{gen}/" + "d" * 5000),
        2,
        "File name too long",
    ),
    Case("trace-set-of-lists", ("replay", "{hostile}/trace-unhashable-set.json"), 2, "cannot be a map key"),
    Case("trace-source-dev-zero", ("replay", "{hostile}/trace-source-dev-zero.json"), 2, "character device"),
    Case("trace-long-names", ("replay", "{gen}/long-names.json"), 4, "DIVERGED"),
    # --- invariants ----------------------------------------------------------------------------------
    Case("invariant-tower", ("check", "{small}", "-i", "9**9**9 > 0", "--faults", "none"), 2, "exponent"),
    Case("invariant-huge-string", ("check", "{small}", "-i", "'a' * 10**9 == ''", "--faults", "none"), 2, "length"),
    Case("invariant-deep", ("check", "{small}", "-i", "(" * 400 + "1" + ")" * 400 + " == 1"), 2, "nested"),
    Case("invariant-dunder", ("check", "{small}", "-i", "().__class__ == 1", "--faults", "none"), 2, ""),
    # --- flags -----------------------------------------------------------------------------------------
    Case("faults-superscript", ("check", "{small}", "--faults", "powerOffNode=²"), 2, "is not a count"),
    Case("faults-huge", ("check", "{small}", "--faults", "powerOffNode=" + "9" * 5000), 2, "is not a count"),
    Case("faults-over-limit", ("check", "{small}", "--faults", "killPod=1000"), 2, "maxFaults"),
    Case("pod-slots", ("check", "{small}", "--engine", "smt", "--pod-slots", "100000"), 2, "maxPodSlots"),
    Case("max-states-arabic", ("check", "{small}", "--max-states", "٣٠٠"), 2, "not a whole number"),
    Case("until-inf-flag", ("simulate", "{small}", "--until", "inf"), 2, "expected a duration"),
    Case("until-huge-flag", ("simulate", "{small}", "--until", "100000h"), 2, "maxDuration"),
    Case("at-huge", ("explain", "{small}", "pod/x", "--at", "9" * 400), 2, "expected a duration"),
    Case("limit-superscript", ("--limit", "maxReplicas=²", "simulate", "{small}"), 2, "maxReplicas"),
    Case("limit-raised", ("--limit", "maxLabels=1000", "simulate", "{gen}/labels-1000.yaml", "--until", "1m"), 0),
    Case("limit-lowered", ("--limit", "maxDuration=10m", "simulate", "{small}", "--until", "20m"), 2, "maxDuration"),
    Case("smt-depth", ("check", "{small}", "--engine", "smt", "--max-depth", "100000"), 2, "maxSmtDepth"),
    Case("prove-k", ("prove", "--property", "bound-pods-stay-put", "--k", "100000"), 2, "maxSmtDepth"),
    Case(
        "timeout-whole-run",
        ("check", "{small}", "--faults", "powerOffNode=1,killPod=2", "--timeout", "2s", "--max-states", "10000000"),
        3,
        "timeout",
    ),
    Case(
        "hypothesis-max-states",
        (
            "check",
            "{small}",
            "--engine",
            "hypothesis",
            "--max-states",
            "40",
            "--database",
            "none",
            "-p",
            "bound-pods-stay-put",
        ),
        3,
        "stopped at 40 states",
    ),
)


def generated(gen: Path) -> None:
    """Write the big and special inputs of :data:`CASES` into ``gen``."""
    gen.mkdir(parents=True, exist_ok=True)
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers: [{{name: a, image: b}}]\n"
    (gen / "long-name.yaml").write_text(pod.format(name="x" * 3_000_000))
    labels = "".join(f"    k{i}: v{i}\n" for i in range(1000))
    (gen / "labels-1000.yaml").write_text(
        pod.format(name="p").replace("  name: p\n", "  name: p\n  labels:\n" + labels)
    )
    with (gen / "sparse.yaml").open("wb") as f:
        f.truncate(100 * 2**20)
    (gen / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (gen / "apply-dev-zero.yaml").write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\ntimeline: ['0s apply /dev/zero']\n---\n"
        + pod.format(name="p")
    )
    fifo = gen / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    doc = json.loads(TRACE.read_text())
    for state in doc["states"]:
        for p in state["pods"]:
            p["name"] = "x" * 100_000
    (gen / "long-names.json").write_text(json.dumps(doc))


def argv(case: Case, gen: Path) -> list[str]:
    """The case's command line, with an event of 5 MB for LONG-EVENT."""
    return ["10s delete pod/" + "x" * 5_000_000 if a == "LONG-EVENT" else a for a in case.argv(gen)]
