"""Pod affinity and anti-affinity end to end: manifests (apiserver validation, the field policy),
the scheduler's FailedScheduling message, matchLabelKeys, the anti-affinity-respected property
(holds with the real scheduler, violated with one that ignores the terms) and the two scenarios.
The plugin itself is tested against the Go tests in tests/k8s/test_interpodaffinity.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.components import scheduler
from kmodel.components.plugins import interpodaffinity as ipa
from kmodel.components.plugins.framework import CycleState
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.labels import IN, NOT_IN, LabelSelector, Requirement
from kmodel.scenario import Scenario, load
from kmodel.schedulingspec import PodAffinity, PodAffinityTerm, SchedulingSpec
from kmodel.settings import Settings
from kmodel.state import Node, Pod, labels_of
from tests import broken
from tests.conftest import DEPLOYMENT, SCENARIOS, Cli
from tests.k8s.conftest import mkcluster

ANTI = """\
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
{terms}"""
HOSTNAME_TERM = """\
            - labelSelector:
                matchLabels:
                  app: web
              topologyKey: kubernetes.io/hostname
"""


def with_pod_spec(extra: str) -> str:
    return DEPLOYMENT.replace("    spec:\n      containers:\n", "    spec:\n" + extra + "      containers:\n")


def load_text(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- manifests --------------------------------------------------------------------------------------


def test_required_and_preferred_terms_are_read(tmp_path: Path) -> None:
    text = with_pod_spec(
        ANTI.format(terms=HOSTNAME_TERM)
        + """\
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 40
              podAffinityTerm:
                labelSelector:
                  matchExpressions: [{key: app, operator: In, values: [web]}]
                namespaceSelector: {}
                topologyKey: topology.kubernetes.io/zone
                matchLabelKeys: [pod-template-hash]
        podAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - labelSelector: {matchLabels: {app: cache}}
              namespaces: [default]
              topologyKey: topology.kubernetes.io/zone
"""
    )
    scen = load(load_text(tmp_path, text))
    spec = scen.initial_state().deployments[0].template.scheduling
    assert spec.pod_anti_affinity is not None and spec.pod_affinity is not None
    (hard,) = spec.pod_anti_affinity.required
    assert hard == PodAffinityTerm("kubernetes.io/hostname", LabelSelector((("app", "web"),)))
    (soft,) = spec.pod_anti_affinity.preferred
    assert soft.weight == 40 and soft.term.namespace_selector == LabelSelector()
    assert soft.term.match_label_keys == ("pod-template-hash",)
    assert soft.term.label_selector == LabelSelector((), (Requirement("app", IN, ("web",)),))
    (aff,) = spec.pod_affinity.required
    assert aff.namespaces == ("default",) and aff.label_selector == LabelSelector((("app", "cache"),))


TERM_PATH = "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"


@pytest.mark.parametrize(
    ("case", "terms", "message"),
    [
        (
            "topology-key-empty",
            '            - labelSelector: {matchLabels: {app: web}}\n              topologyKey: ""\n',
            f"{TERM_PATH}.topologyKey: Required value: can not be empty",
        ),
        (
            "topology-key-invalid",
            '            - labelSelector: {matchLabels: {app: web}}\n              topologyKey: "a b"\n',
            f'{TERM_PATH}.topologyKey: Invalid value: "a b": name part must consist of alphanumeric characters',
        ),
        (
            "match-label-keys-without-selector",
            "            - topologyKey: kubernetes.io/hostname\n              matchLabelKeys: [pod-template-hash]\n",
            f"{TERM_PATH}.matchLabelKeys: Forbidden: must not be specified when labelSelector is not set",
        ),
        (
            "match-and-mismatch",
            HOSTNAME_TERM + "              matchLabelKeys: [tier]\n              mismatchLabelKeys: [tier]\n",
            f'{TERM_PATH}.matchLabelKeys[0]: Invalid value: "tier": exists in both matchLabelKeys and '
            "mismatchLabelKeys",
        ),
        (
            "namespace-name",
            HOSTNAME_TERM + "              namespaces: [Team_A]\n",
            f'{TERM_PATH}.namespace: Invalid value: "Team_A": a lowercase RFC 1123 label must consist of',
        ),
    ],
)
def test_invalid_terms_get_the_apiservers_message(
    cli: Cli, tmp_path: Path, case: str, terms: str, message: str
) -> None:
    path = load_text(tmp_path, with_pod_spec(ANTI.format(terms=terms)), f"{case}.yaml")
    result = cli("simulate", str(path), "--until", "10s")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert f'The Deployment "web" is invalid: {message}' in line, line


def test_weight_out_of_range(cli: Cli, tmp_path: Path) -> None:
    extra = """\
      affinity:
        podAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 0
              podAffinityTerm:
                labelSelector: {matchLabels: {app: web}}
                topologyKey: kubernetes.io/hostname
"""
    result = cli("simulate", str(load_text(tmp_path, with_pod_spec(extra))), "--until", "10s")
    assert result.exit_code == 2
    assert (
        "spec.template.spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: "
        "Invalid value: 0: must be in the range 1-100"
    ) in result.stderr


def test_a_namespace_selector_with_labels_is_refused_and_an_empty_one_accepted(cli: Cli, tmp_path: Path) -> None:
    terms = HOSTNAME_TERM + "              namespaceSelector: {matchLabels: {team: a}}\n"
    result = cli("simulate", str(load_text(tmp_path, with_pod_spec(ANTI.format(terms=terms)))), "--until", "10s")
    assert result.exit_code == 2
    assert "namespaceSelector" in result.stderr and "Namespace objects" in result.stderr
    terms = HOSTNAME_TERM + "              namespaceSelector: {}\n"
    result = cli(
        "simulate", str(load_text(tmp_path, with_pod_spec(ANTI.format(terms=terms)), "ok.yaml")), "--until", "5s"
    )
    assert result.exit_code == 0, result.output


# --- the scheduler --------------------------------------------------------------------------------


def anti_pod(name: str, node: str | None, *, labels: dict[str, str], term: PodAffinityTerm) -> Pod:
    spec = SchedulingSpec(pod_anti_affinity=PodAffinity(required=(term,)))
    return Pod(name=name, labels=labels_of(labels), node_name=node, scheduling=spec)


HOST_APART = PodAffinityTerm("kubernetes.io/hostname", LabelSelector((("app", "web"),)))


def hosts(*names: str) -> list[Node]:
    return [Node(name=n, labels=labels_of({"kubernetes.io/hostname": n})) for n in names]


def test_a_pod_without_terms_in_a_cluster_without_any_skips_the_plugin() -> None:
    c = mkcluster(*hosts("a"), pods=(Pod(name="p1", node_name="a", labels=labels_of({"app": "web"})),))
    state = CycleState.of(c, Pod(name="new", labels=labels_of({"app": "web"})))
    assert ipa.prefilter(state) is None
    assert ipa.score(state, list(c.nodes)) == {"a": 0}


def test_terminating_pods_still_count_finished_ones_do_not() -> None:
    """The scheduler's cache keeps a Terminating pod until the object is gone; its pod informer
    leaves out Succeeded and Failed pods."""
    old = anti_pod("old", "a", labels={"app": "web"}, term=HOST_APART)
    new = anti_pod("new", None, labels={"app": "web"}, term=HOST_APART)
    terminating = attrs.evolve(old, deletion_timestamp=0)
    c = mkcluster(*hosts("a"), pods=(terminating,))
    assert scheduler.filter_reasons(c, new, c.nodes[0]) == [ipa.REASON_ANTI_AFFINITY]
    c = mkcluster(*hosts("a"), pods=(attrs.evolve(old, phase="Succeeded"),))
    assert scheduler.filter_reasons(c, new, c.nodes[0]) == []


def test_match_label_keys_keep_revisions_apart_from_1_31() -> None:
    """matchLabelKeys: [pod-template-hash] makes the term select only the pod's own revision
    (the apiserver adds ``pod-template-hash In (<its value>)`` at creation), from 1.31 on."""
    term = attrs.evolve(HOST_APART, match_label_keys=("pod-template-hash",))
    old = anti_pod("old", "a", labels={"app": "web", "pod-template-hash": "v1"}, term=term)
    new = anti_pod("new", None, labels={"app": "web", "pod-template-hash": "v2"}, term=term)
    c = mkcluster(*hosts("a"), pods=(old,))
    assert scheduler.filter_reasons(c, new, c.nodes[0]) == []
    older = attrs.evolve(c, settings=Settings(kubernetes_version="1.30"))
    assert scheduler.filter_reasons(older, new, c.nodes[0]) == [ipa.REASON_ANTI_AFFINITY]
    mismatch = attrs.evolve(HOST_APART, mismatch_label_keys=("pod-template-hash",))
    assert ipa.term_of(mismatch, new).selector == LabelSelector(
        (("app", "web"),), (Requirement("pod-template-hash", NOT_IN, ("v2",)),)
    )


def test_failed_scheduling_message_on_the_scenario(cli: Cli) -> None:
    result = cli("simulate", str(SCENARIOS / "anti-affinity-too-few-nodes.yaml"), "--until", "10s")
    assert result.exit_code == 0, result.output
    assert (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match pod anti-affinity "
        "rules. no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for "
        "scheduling, 2 No preemption victims found for incoming pod."
    ) in result.output


# --- the property ---------------------------------------------------------------------------------


def _check(name: str, replace: dict[str, Any] | None = None, settle: bool = True) -> tuple[Any, Scenario, Any]:
    scen = load(SCENARIOS / "anti-affinity-too-few-nodes.yaml")
    prop = props.to_property(props.BUILTINS[name], scen.settings)
    model = KubeModel(scen, faults=(), replace=replace, settle=settle)
    return explore(model, prop, max_states=50_000), scen, prop


def test_anti_affinity_respected_holds_with_the_real_scheduler() -> None:
    r, _, _ = _check("anti-affinity-respected")
    assert r.verdict == HOLDS, r.message


def test_anti_affinity_respected_violated_by_a_scheduler_ignoring_pod_affinity() -> None:
    replace = {"scheduler": broken.scheduler_ignoring_pod_affinity}
    r, scen, prop = _check("anti-affinity-respected", replace, settle=False)  # it shows while coming up
    assert r.verdict == VIOLATED and r.trace is not None
    last = r.trace.steps[-1]
    assert last.actor == "scheduler" and last.label.startswith("bind web-")
    text = prop.explain(last.state)
    assert "whose required anti-affinity selects it" in text and "kubernetes.io/hostname=worker-" in text
    # shortest: nothing shorter violates it
    model = KubeModel(scen, faults=(), replace=replace, settle=False)
    shorter = explore(model, prop, max_states=50_000, max_depth=len(r.trace) - 1)
    assert shorter.verdict != VIOLATED


def test_replica_convergence_is_violated_when_replicas_outnumber_the_domains() -> None:
    r, _, prop = _check("replica-convergence")
    assert r.verdict == VIOLATED and r.trace is not None
    text = prop.explain(r.trace.steps[-1].state)
    assert "deployment web: 2 of 3 owed pods Running and ready" in text and "Pending, not ready, no node" in text
