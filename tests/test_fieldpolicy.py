"""The field policy: every field of the objects kmodel reads is modelled, descriptive or refused.

The first tests walk the Kubernetes OpenAPI schemas (the ones :mod:`kmodel.apivalidation` checks
manifests with) from each kind kmodel reads, and fail on any field the table of
:mod:`kmodel.fieldpolicy` does not list: a field Kubernetes adds is a test failure, never a silent
drop. The others run manifests through the CLI: each refused field is refused with one line
naming the field and its line, and accepted with ``--allow-unmodelled``, the warning then shown
in the report header, on every verdict line and in the JSON.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from kmodel import apivalidation, fieldpolicy
from kmodel.fieldpolicy import POLICY, REFUSED
from kmodel.scenario import load
from tests.conftest import Cli

MINORS = range(apivalidation.OLDEST_SCHEMA_MINOR, apivalidation.NEWEST_SCHEMA_MINOR + 1)


def _target(minor: int, schema: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    """The definition a property points to, directly or through its list items."""
    name, target = apivalidation.resolve(minor, schema)
    if name is None and "items" in target:
        name, target = apivalidation.resolve(minor, target["items"])
    return name, target


def schema_fields(minor: int) -> Iterator[tuple[str, str, str, str | None]]:
    """(policy part, field, field path from the kind, the definition it points to) for every
    field the policy must decide about, following the policy's parts through the schema."""
    seen: set[str] = set()
    todo: list[tuple[str, Mapping[str, Any], str]] = [
        (kind, apivalidation.object_schema(minor, kind), kind) for kind in fieldpolicy.KINDS
    ]
    while todo:
        part, schema, path = todo.pop()
        if part in seen:
            continue
        seen.add(part)
        for field, prop in schema.get("properties", {}).items():
            name, target = _target(minor, prop)
            yield part, field, f"{path}.{field}", name
            rule = POLICY.get(part, {}).get(field)
            if rule is not None and rule.part is not None and rule.part in POLICY:
                todo.append((rule.part, target, f"{path}.{field}"))


@pytest.mark.parametrize("minor", MINORS, ids=[f"1.{m}" for m in MINORS])
def test_every_schema_field_is_in_the_policy(minor: int) -> None:
    missing = [path for part, field, path, _ in schema_fields(minor) if field not in POLICY.get(part, {})]
    assert not missing, f"fields of Kubernetes 1.{minor} that kmodel/fieldpolicy.py does not list: {missing}"


def test_parts_are_the_schema_definitions_they_claim() -> None:
    """A rule's part names the table of the definition the field really holds."""
    minor = apivalidation.NEWEST_SCHEMA_MINOR
    for part, field, path, name in schema_fields(minor):
        rule = POLICY[part][field]
        if rule.part is not None:
            assert name is not None and name.endswith(f".{rule.part}"), (path, name, rule.part)


def test_the_policy_lists_no_field_kubernetes_does_not_have() -> None:
    present: dict[str, set[str]] = {}
    for minor in MINORS:
        for part, field, _, _ in schema_fields(minor):
            present.setdefault(part, set()).add(field)
    for part, table in POLICY.items():
        stale = set(table) - present.get(part, set())
        assert not stale, f"{part} lists fields no Kubernetes release from 1.25 on has: {sorted(stale)}"


def test_every_refused_entry_says_what_kmodel_would_need() -> None:
    for part, table in POLICY.items():
        for field, rule in table.items():
            if rule.status == REFUSED:
                assert rule.note.startswith("needs "), (part, field)
            if rule.accepts is not None:
                assert rule.need.startswith("needs ") and rule.assumed, (part, field)


# --- refusals through the CLI --------------------------------------------------------------------

MARK = "# <-"

BASE_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
{template_meta}    spec:
{pod_spec}      containers:
        - name: app
          image: nginx
{container}{spec}"""


def deployment(spec: str = "", template_meta: str = "", pod_spec: str = "", container: str = "") -> str:
    def block(text: str, indent: int) -> str:
        return textwrap.indent(textwrap.dedent(text).lstrip("\n"), " " * indent) if text else ""

    return BASE_DEPLOYMENT.format(
        spec=block(spec, 2),
        template_meta=block(template_meta, 6),
        pod_spec=block(pod_spec, 6),
        container=block(container, 10),
    )


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: app
      image: nginx
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
"""


class Case(NamedTuple):
    id: str
    text: str
    path: str  # the field path the error must name


CASES = [
    Case(
        "pod-affinity-namespace-selector",
        deployment(
            pod_spec="""
            affinity:
              podAffinity:
                requiredDuringSchedulingIgnoredDuringExecution:
                  - labelSelector: {matchLabels: {app: web}}
                    topologyKey: kubernetes.io/hostname
                    namespaceSelector: {matchLabels: {team: a}}  # <-
            """
        ),
        "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespaceSelector",
    ),
    Case("host-network", deployment(pod_spec="hostNetwork: true  # <-\n"), "spec.template.spec.hostNetwork"),
    Case(
        "scheduler-name", deployment(pod_spec="schedulerName: my-scheduler  # <-\n"), "spec.template.spec.schedulerName"
    ),
    Case(
        "sidecar-init-container",
        deployment(pod_spec="initContainers:\n  - name: init\n    image: busybox\n    restartPolicy: Always  # <-\n"),
        "spec.template.spec.initContainers[0].restartPolicy",
    ),
    Case(
        "runtime-class", deployment(pod_spec="runtimeClassName: gvisor  # <-\n"), "spec.template.spec.runtimeClassName"
    ),
    Case(
        "readiness-gates",
        deployment(pod_spec="readinessGates:  # <-\n  - conditionType: example.com/ready\n"),
        "spec.template.spec.readinessGates",
    ),
    Case(
        "scheduling-gates",
        deployment(pod_spec="schedulingGates:  # <-\n  - name: example.com/wait\n"),
        "spec.template.spec.schedulingGates",
    ),
    Case(
        "pvc-volume",
        deployment(pod_spec="volumes:\n  - name: data\n    persistentVolumeClaim:  # <-\n      claimName: data\n"),
        "spec.template.spec.volumes[0].persistentVolumeClaim",
    ),
    Case(
        "post-start",
        deployment(container="lifecycle:\n  postStart:  # <-\n    exec: {command: [sh, -c, 'true']}\n"),
        "spec.template.spec.containers[0].lifecycle.postStart",
    ),
    Case(
        "pre-stop",
        deployment(container="lifecycle:\n  preStop:  # <-\n    exec: {command: [sleep, '5']}\n"),
        "spec.template.spec.containers[0].lifecycle.preStop",
    ),
    Case(
        "deletion-cost",
        deployment(template_meta="annotations:\n  controller.kubernetes.io/pod-deletion-cost: '10'  # <-\n"),
        "spec.template.metadata.annotations[controller.kubernetes.io/pod-deletion-cost]",
    ),
    Case(
        "owner-references",
        POD.replace("  name: p\n", "  name: p\n  ownerReferences:  # <-\n") + "",
        "metadata.ownerReferences",
    ),
    Case(
        "finalizers",
        POD.replace("  name: p\n", "  name: p\n  finalizers: [example.com/keep]  # <-\n"),
        "metadata.finalizers",
    ),
    Case("pod-restart-never", POD + "  restartPolicy: Never  # <-\n", "spec.restartPolicy"),
    Case(
        "named-target-port",
        SERVICE + "  ports:\n    - port: 80\n      targetPort: http  # <-\n",
        "spec.ports[0].targetPort",
    ),
    Case(
        "node-not-ready",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  conditions:  # <-\n"
        "    - {type: Ready, status: 'False'}\n",
        "status.conditions",
    ),
]

# an ownerReference needs its required fields to pass validation first
CASES = [
    c._replace(
        text=c.text.replace(
            "  ownerReferences:  # <-\n",
            "  ownerReferences:  # <-\n"
            "    - {apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u1, controller: true}\n",
        )
    )
    for c in CASES
]


def marked_line(text: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if MARK in line]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_refused_field_is_one_line_naming_it(cli: Cli, tmp_path: Path, case: Case) -> None:
    path = tmp_path / f"{case.id}.yaml"
    path.write_text(case.text)
    result = cli("simulate", str(path), "--until", "10s")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith(f"kmodel: error: {path}:{marked_line(case.text)}: "), message
    assert f" {case.path}" in message, message
    assert "kmodel needs" in message, message
    assert "(fix: remove it, or pass --allow-unmodelled to check without it)" in message, message


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_allow_unmodelled_leaves_it_out_and_says_so(cli: Cli, tmp_path: Path, case: Case) -> None:
    path = tmp_path / f"{case.id}.yaml"
    path.write_text(case.text)
    result = cli("simulate", str(path), "--until", "10s", "--allow-unmodelled")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1]
    assert header.startswith("warning: ignoring "), result.stdout
    assert f" {case.path}" in header and f"{path}:{marked_line(case.text)}" in header, header


def test_check_names_what_it_ignored_on_every_verdict(cli: Cli, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "runtime-class")
    path = tmp_path / "app.yaml"
    path.write_text(case.text)
    line = marked_line(case.text)
    args = ["check", str(path), "--faults", "none", "--max-states", "300", "-p", "bound-pods-stay-put"]
    args += ["-p", "no-over-replication", "--allow-unmodelled"]
    text = cli(*args)
    assert text.exit_code in (0, 3), text.output
    assert f"warning: ignoring deployment/web spec.template.spec.runtimeClassName at {path}:{line}" in text.stdout
    verdicts = [v for v in text.stdout.splitlines() if "bound-pods-stay-put" in v or "no-over-replication" in v]
    assert len(verdicts) == 2
    for v in verdicts:
        assert v.endswith(f"(ignoring runtimeClassName at {path}:{line})"), v
    doc = json.loads(cli(*args, "--output", "json").stdout)
    assert len(doc["warnings"]) == 1 and "spec.template.spec.runtimeClassName" in doc["warnings"][0]
    for r in doc["results"]:
        assert r["warnings"][0] == doc["warnings"][0]


def test_without_the_flag_check_refuses(cli: Cli, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "post-start")
    path = tmp_path / "app.yaml"
    path.write_text(case.text)
    result = cli("check", str(path), "--faults", "none", "--max-states", "10")
    assert result.exit_code == 2
    assert "containers[0].lifecycle.postStart" in result.stderr


def test_accepted_values_pass_silently(tmp_path: Path) -> None:
    """Value-dependent entries accept the value kmodel assumes."""
    text = deployment(
        spec="minReadySeconds: 10\nprogressDeadlineSeconds: 600\npaused: false\nstrategy: {type: RollingUpdate}\n",
        pod_spec="restartPolicy: Always\nschedulerName: default-scheduler\nhostNetwork: false\npriority: 0\n",
        container="ports:\n  - {containerPort: 80, name: http}\nenv: [{name: A, value: b}]\nimagePullPolicy: Always\n",
    )
    path = tmp_path / "ok.yaml"
    path.write_text(text + "---\n" + SERVICE + "  type: NodePort\n  ports:\n    - port: 80\n      targetPort: 8080\n")
    assert load(path).warnings == ()


def test_rollout_fields_are_modelled(tmp_path: Path) -> None:
    """revisionHistoryLimit, progressDeadlineSeconds, paused and the Recreate strategy are read
    (issue 14), not refused."""
    text = deployment(
        spec="revisionHistoryLimit: 3\nprogressDeadlineSeconds: 120\npaused: true\nstrategy: {type: Recreate}\n"
    )
    path = tmp_path / "d.yaml"
    path.write_text(text)
    scen = load(path)
    assert scen.warnings == ()
    (d,) = [m.obj for m in scen.manifests if m.kind == "Deployment"]
    assert (d.revision_history_limit, d.progress_deadline_seconds, d.paused, d.strategy) == (3, 120, True, "Recreate")


def test_a_field_missing_from_the_table_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A field in neither column (as a new Kubernetes field would be) is refused, never accepted."""
    pod_spec = dict(POLICY["PodSpec"])
    del pod_spec["dnsPolicy"]
    monkeypatch.setitem(POLICY, "PodSpec", pod_spec)  # type: ignore[index]
    path = tmp_path / "p.yaml"
    path.write_text(POD + "  dnsPolicy: ClusterFirst\n")
    with pytest.raises(Exception, match="does not know this field"):
        load(path)
    scen = load(path, allow_unmodelled=True)
    assert "spec.dnsPolicy" in scen.warnings[0]


def test_timeline_apply_files_follow_the_same_policy(cli: Cli, tmp_path: Path) -> None:
    applied = tmp_path / "v2.yaml"
    applied.write_text(deployment(container="lifecycle:\n  postStart:\n    exec: {command: [sh, -c, 'true']}\n"))
    main = tmp_path / "main.yaml"
    main.write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {name: m}\ntimeline: ['30s apply v2.yaml']\n"
    )
    refused = cli("simulate", str(main), "--until", "1m")
    assert refused.exit_code == 2 and f"{applied}:" in refused.stderr and "postStart" in refused.stderr
    allowed = cli("simulate", str(main), "--until", "1m", "--allow-unmodelled")
    assert allowed.exit_code == 0
    assert "warning: ignoring deployment/web spec.template.spec.containers[0].lifecycle.postStart" in allowed.stdout


def test_pytest_fixture_takes_allow_unmodelled(tmp_path: Path) -> None:
    from kmodel.pytest_plugin import KmodelFixture

    path = tmp_path / "app.yaml"
    path.write_text(next(c for c in CASES if c.id == "post-start").text)
    fixture = KmodelFixture("ci", tmp_path)
    outcome = fixture.check(
        path, property="bound-pods-stay-put", engine="explore", faults="none", max_states=200, allow_unmodelled=True
    )
    assert "postStart" in outcome.warnings[0]
    assert "(ignoring postStart at" in outcome.report()


def test_policy_size() -> None:
    counts = fieldpolicy.counts()
    # refused shrinks as features land; the table still covers every column
    assert counts["modelled"] > 30 and counts["descriptive"] > 80 and counts["refused"] > 10, counts


def test_objects_in_two_namespaces_are_modelled(tmp_path: Path) -> None:
    """Namespaces are modelled (kmodel.namespaces; tests/test_namespaces.py): a Service in
    another namespace than the pods loads without a finding (it selects none of them)."""
    text = deployment().replace("  name: web\n", "  name: web\n  namespace: shop\n", 1)
    text += "---\n" + SERVICE.replace("  name: web\n", "  name: web\n  namespace: default\n")
    path = tmp_path / "ns.yaml"
    path.write_text(text)
    assert load(path).warnings == ()


@pytest.mark.parametrize("command", ["simulate", "check", "diagram", "explain", "synth", "prove", "replay"])
def test_every_command_that_loads_a_scenario_takes_the_flag(cli: Cli, command: str) -> None:
    assert "--allow-unmodelled" in cli(command, "--help").stdout


def test_explain_and_diagram_print_what_they_left_out(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(next(c for c in CASES if c.id == "post-start").text)
    simulated = cli("simulate", str(path), "--until", "10s", "--output", "json")
    assert simulated.exit_code == 2
    doc = json.loads(cli("simulate", str(path), "--until", "10s", "--output", "json", "--allow-unmodelled").stdout)
    assert "postStart" in doc["warnings"][0]
    pending = cli("explain", str(path), "pod/nope", "--at", "0s", "--allow-unmodelled")
    assert pending.exit_code == 2  # no such pod, but the load went through
    assert "no pod named 'nope'" in pending.stderr
    out = tmp_path / "d.dot"
    drawn = cli("diagram", str(path), "--allow-unmodelled", "--faults", "none", "--max-states", "50", "-o", str(out))
    assert drawn.exit_code == 0, drawn.output
    warning = "warning: ignoring deployment/web spec.template.spec.containers[0].lifecycle.postStart"
    assert drawn.stdout.startswith(warning)
    assert "ignoring postStart at" in out.read_text()
