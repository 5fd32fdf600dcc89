"""Manifests are validated as the apiserver of the scenario's kubernetesVersion would.

Each case is an object the real apiserver rejects; the expected message is the apiserver's
(pkg/apis/core/validation, pkg/apis/apps/validation, strict decoding). At load the error is one
line naming the file and line (exit 2); in a timeline ``apply`` the load succeeds and the apply
refuses that object when it runs, with a ``Refused`` event, while the file's valid objects apply.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

import pytest

from kmodel import apivalidation
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.manifests import load_documents
from kmodel.scenario import load
from tests.conftest import DEPLOYMENT, Cli

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: web}}\n"
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: nginx\n"


SPREAD = (
    "  topologySpreadConstraints:\n    - maxSkew: {skew}\n      topologyKey: topology.kubernetes.io/zone\n"
    "      whenUnsatisfiable: {action}\n{extra}      labelSelector: {{matchLabels: {{app: web}}}}\n"
)


class Case(NamedTuple):
    id: str
    text: str
    message: str  # the apiserver's message (a prefix of it, for the long ones)
    line: int


STRATEGY = "  strategy:\n    rollingUpdate:\n      maxSurge: {surge}\n      maxUnavailable: {unavailable}\n"


def with_strategy(surge: str, unavailable: str) -> str:
    return DEPLOYMENT.replace(
        "  replicas: 2\n", "  replicas: 2\n" + STRATEGY.format(surge=surge, unavailable=unavailable)
    )


CASES = [
    Case(
        "surge-and-unavailable-zero",
        with_strategy("0", "0"),
        'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: '
        "may not be 0 when `maxSurge` is 0",
        10,
    ),
    Case(
        "zero-percent-both",
        with_strategy('"0%"', "0"),
        'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: '
        "may not be 0 when `maxSurge` is 0",
        10,
    ),
    Case(
        "unavailable-over-100",
        with_strategy("1", '"150%"'),
        'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": '
        "must not be greater than 100%",
        10,
    ),
    Case(
        "bad-percent",
        with_strategy('"25"', "1"),
        'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxSurge: Invalid value: "25": '
        "a valid percent string must be a numeric string followed by an ending '%'",
        9,
    ),
    Case(
        "negative-replicas",
        DEPLOYMENT.replace("replicas: 2", "replicas: -1"),
        'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
        6,
    ),
    Case(
        "negative-min-ready-seconds",
        DEPLOYMENT.replace("replicas: 2", "replicas: 2\n  minReadySeconds: -5"),
        'The Deployment "web" is invalid: spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0',
        7,
    ),
    Case(
        "string-replicas",
        DEPLOYMENT.replace("replicas: 2", "replicas: two"),
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go '
        "struct field DeploymentSpec.spec.replicas of type int32",
        6,
    ),
    Case(
        "unknown-field",
        DEPLOYMENT.replace("replicas: 2", "replica: 2"),
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.replica"',
        6,
    ),
    Case(
        "missing-selector",
        DEPLOYMENT.replace("  selector:\n    matchLabels:\n      app: web\n", ""),
        'The Deployment "web" is invalid: spec.selector: Required value',
        5,
    ),
    Case(
        "selector-not-matching",
        DEPLOYMENT.replace("    matchLabels:\n      app: web\n", "    matchLabels:\n      app: api\n"),
        'The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"web"}: `selector` does not match template `labels`',
        12,
    ),
    Case(
        "upper-case-deployment-name",
        DEPLOYMENT.replace("name: web", "name: Web"),
        'The Deployment "Web" is invalid: metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain',
        4,
    ),
    Case(
        "service-name-with-dot",
        SERVICE.format(name="web.app"),
        'The Service "web.app" is invalid: metadata.name: Invalid value: "web.app": a DNS-1035 label',
        4,
    ),
    Case(
        "service-name-starting-with-digit",
        SERVICE.format(name="1web"),
        'The Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label',
        4,
    ),
    Case(
        "label-value-with-space",
        DEPLOYMENT.replace("  name: web\n", "  name: web\n  labels:\n    tier: front end\n", 1),
        'The Deployment "web" is invalid: metadata.labels: Invalid value: "front end": a valid label must be',
        6,
    ),
    Case(
        "label-key-bad",
        DEPLOYMENT.replace("  name: web\n", "  name: web\n  labels:\n    -tier: front\n", 1),
        'The Deployment "web" is invalid: metadata.labels: Invalid value: "-tier": name part must consist',
        6,
    ),
    Case(
        "toleration-exists-with-value",
        POD + "  tolerations:\n    - key: dedicated\n      operator: Exists\n      value: gpu\n",
        'The Pod "p" is invalid: spec.tolerations[0].operator: Invalid value: ',
        11,
    ),
    Case(
        "toleration-seconds-without-noexecute",
        POD
        + "  tolerations:\n    - key: k\n      operator: Exists\n"
        + "      effect: NoSchedule\n      tolerationSeconds: 5\n",
        'The Pod "p" is invalid: spec.tolerations[0].effect: Invalid value: "NoSchedule": effect must be '
        "'NoExecute' when `tolerationSeconds` is set",
        12,
    ),
    Case(
        "toleration-empty-key-equal",
        POD + "  tolerations:\n    - operator: Equal\n      value: x\n",
        'The Pod "p" is invalid: spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists '
        "when `key` is empty",
        10,
    ),
    Case(
        "taint-effect",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nspec:\n  taints:\n    - key: k\n      effect: NoRun\n",
        'The Node "n1" is invalid: spec.taints[0].effect: Unsupported value: "NoRun": supported values: '
        '"NoSchedule", "PreferNoSchedule", "NoExecute"',
        8,
    ),
    Case(
        "bad-quantity",
        POD + "      resources:\n        requests:\n          cpu: two\n",
        'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression',
        11,
    ),
    Case(
        "negative-quantity",
        POD + "      resources:\n        requests:\n          memory: -1Gi\n",
        'The Pod "p" is invalid: spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be '
        "greater than or equal to 0",
        11,
    ),
    Case(
        "request-above-limit",
        POD + "      resources:\n        requests:\n          cpu: 2\n        limits:\n          cpu: 1\n",
        'The Pod "p" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less '
        "than or equal to cpu limit of 1",
        11,
    ),
    Case(
        "spread-max-skew-zero",
        POD + SPREAD.format(extra="", skew=0, action="DoNotSchedule"),
        'The Pod "p" is invalid: spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater '
        "than zero",
        10,
    ),
    Case(
        "spread-when-unsatisfiable",
        POD + SPREAD.format(extra="", skew=1, action="Maybe"),
        'The Pod "p" is invalid: spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": '
        'supported values: "DoNotSchedule", "ScheduleAnyway"',
        12,
    ),
    Case(
        "spread-min-domains-schedule-anyway",
        POD + SPREAD.format(extra="      minDomains: 2\n", skew=1, action="ScheduleAnyway"),
        'The Pod "p" is invalid: spec.topologySpreadConstraints[0].minDomains: Invalid value: 2: can only use '
        "minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
        13,
    ),
    Case(
        "spread-min-domains-zero",
        POD + SPREAD.format(extra="      minDomains: 0\n", skew=1, action="DoNotSchedule"),
        'The Pod "p" is invalid: spec.topologySpreadConstraints[0].minDomains: Invalid value: 0: must be greater '
        "than zero",
        13,
    ),
    Case(
        "spread-taints-policy",
        POD + SPREAD.format(extra="      nodeTaintsPolicy: Always\n", skew=1, action="DoNotSchedule"),
        'The Pod "p" is invalid: spec.topologySpreadConstraints[0].nodeTaintsPolicy: Unsupported value: "Always": '
        'supported values: "Honor", "Ignore"',
        13,
    ),
    Case(
        "spread-duplicate",
        POD
        + SPREAD.format(extra="", skew=1, action="DoNotSchedule")
        + SPREAD.format(extra="", skew=2, action="DoNotSchedule").split("\n", 1)[1],
        'The Pod "p" is invalid: spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate '
        'value: "{topology.kubernetes.io/zone, DoNotSchedule}"',
        10,
    ),
    Case(
        "spread-match-label-keys-without-selector",
        POD + "  topologySpreadConstraints:\n    - maxSkew: 1\n      topologyKey: zone\n"
        "      whenUnsatisfiable: DoNotSchedule\n      matchLabelKeys: [app]\n",
        'The Pod "p" is invalid: spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be '
        "specified when labelSelector is not set",
        13,
    ),
    Case(
        "spread-match-label-keys-in-selector",
        POD + SPREAD.format(extra="      matchLabelKeys: [app]\n", skew=1, action="DoNotSchedule"),
        'The Pod "p" is invalid: spec.topologySpreadConstraints[0].matchLabelKeys[0]: Invalid value: "app": '
        "exists in both matchLabelKeys and labelSelector",
        13,
    ),
    Case(
        "template-restart-never",
        DEPLOYMENT.replace("      containers:\n", "      restartPolicy: Never\n      containers:\n"),
        'The Deployment "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": '
        'supported values: "Always"',
        15,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_apiserver_message_at_the_right_line(cli: Cli, tmp_path: Path, case: Case) -> None:
    path = tmp_path / f"{case.id}.yaml"
    path.write_text(case.text)
    result = cli("simulate", str(path), "--until", "10s")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"kmodel: error: {path}:{case.line}: {case.message}"), lines[0]
    assert "(fix: " in lines[0]


def test_long_values_are_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(DEPLOYMENT.replace("name: web", "name: " + "W" * 300, 1))
    with pytest.raises(KmodelError) as err:
        load(path)
    assert "W" * 60 not in str(err.value)


def test_schema_follows_kubernetes_version(tmp_path: Path) -> None:
    """spec.hostnameOverride is a field of 1.34 on; an older apiserver does not know it."""
    text = POD + "  hostnameOverride: web-0\n"
    scenario = "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: v}}\n"
    scenario += "settings: {{kubernetesVersion: '{v}'}}\n"
    old = tmp_path / "old.yaml"
    old.write_text(scenario.format(v="1.30") + "---\n" + text)
    with pytest.raises(KmodelError, match=r'unknown field "spec\.hostnameOverride"'):
        load(old)
    new = tmp_path / "new.yaml"
    new.write_text(scenario.format(v="1.34") + "---\n" + text)
    assert load(new).warnings == ()


def test_versions_older_than_the_schemas_use_the_oldest() -> None:
    assert apivalidation.schema_minor("v1.16") == 25
    assert apivalidation.schema_minor("1.34.2") == 34
    assert apivalidation.schema_minor("1.37") == 37


@pytest.mark.parametrize(
    ("text", "value"),
    [("500m", 0.5), ("2", 2), ("1.5Gi", 1.5 * 2**30), ("129e6", 129e6), ("128974848", 128974848), ("1k", 1000)],
)
def test_quantities(text: str, value: float) -> None:
    assert apivalidation.parse_quantity(text) == pytest.approx(value)


def test_an_invalid_object_in_an_applied_file_is_refused_when_the_apply_runs(tmp_path: Path) -> None:
    bad = with_strategy("0", "0").replace("name: web", "name: bad").replace("app: web", "app: bad")
    good = DEPLOYMENT.replace("name: web", "name: extra").replace("app: web", "app: extra")
    (tmp_path / "more.yaml").write_text(good + "---\n" + bad)
    main = tmp_path / "main.yaml"
    main.write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {name: m}\nuntil: 1m\n"
        "timeline: ['30s apply more.yaml']\n---\n" + DEPLOYMENT
    )
    scen = load(main)  # the load succeeds
    sim = simulate(scen)
    refused = [e for e in sim.events if e.reason == "Refused"]
    assert len(refused) == 1
    assert refused[0].object == "deployment/bad" and refused[0].t == 30
    assert refused[0].message == (
        'The Deployment "bad" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: '
        "may not be 0 when `maxSurge` is 0"
    )
    applied = [e.object for e in sim.events if e.reason == "Applied"]
    assert applied == ["deployment/extra"]
    assert sim.final is not None and sim.final.deployment("bad") is None and sim.final.deployment("extra") is not None


def test_validation_is_quick(tmp_path: Path) -> None:
    """Once a release's schemas are loaded, a manifest validates in a few milliseconds."""
    path = tmp_path / "d.yaml"
    path.write_text(DEPLOYMENT)
    doc = load_documents(path)[0]
    apivalidation.validate(doc, str(path), "1.37")
    start = time.perf_counter()
    for _ in range(20):
        apivalidation.validate(doc, str(path), "1.37")
    assert (time.perf_counter() - start) / 20 < 0.05
