"""Namespaces end to end (kmodel.namespaces): objects keyed by namespace and name, selectors
scoped to their namespace, ``-n`` in the timeline verbs, the NAMESPACE columns, invariants.

Times come from the settings: pods of a Deployment are created, bound and Running within a few
ticks; the windows below give them ``SETTLE`` (well over the controller, scheduler and kubelet
steps of Settings()). The Go tests these behaviours come from are translated in
tests/k8s/test_namespaces.py and tests/k8s/test_interpodaffinity.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel import namespaces
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.expr import compile_invariant
from kmodel.exprview import environment
from kmodel.scenario import load
from kmodel.settings import Settings
from kmodel.state import Cluster
from tests.conftest import SCENARIOS

S = Settings()
SETTLE = 30  # seconds: create, bind and start a pod (a few ticks of S.step)
assert S.step <= 10

HEADER = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {{name: ns}}
until: {until}
timeline:
{timeline}
"""


def deployment(name: str, namespace: str | None, replicas: int = 2, app: str = "web") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{ns}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec:
      containers: [{{name: app, image: nginx}}]
"""


def service(name: str, namespace: str | None, app: str = "web") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""---
apiVersion: v1
kind: Service
metadata:
  name: {name}{ns}
spec:
  selector: {{app: {app}}}
  ports: [{{port: 80}}]
"""


def write(tmp_path: Path, events: list[str], *docs: str, until: str = "2m") -> Path:
    timeline = "".join(f"  - {e!r}\n" for e in events) or "  []\n"
    path = tmp_path / "ns.yaml"
    path.write_text(HEADER.format(until=until, timeline=timeline) + "".join(docs))
    return path


def run(path: Path) -> tuple[list[Cluster], list]:
    seen: list[Cluster] = []
    sim = simulate(load(path), on_tick=seen.append)
    return seen, sim.events


def at(seen: list[Cluster], t: int) -> Cluster:
    return next(c for c in seen if c.now >= t)


def pods_in(c: Cluster, ns: str) -> list[str]:
    return sorted(p.name for p in c.pods if namespaces.namespace_of(p.name) == ns and not p.terminating)


TWO_TEAMS = (
    deployment("web", "team-a"),
    service("web", "team-a"),
    deployment("web", "team-b"),
    service("web", "team-b"),
)


# --- the keys -----------------------------------------------------------------------------------


def test_keys() -> None:
    assert namespaces.key("default", "web") == "web" and namespaces.key(None, "web") == "web"
    assert namespaces.key("team-a", "web") == "team-a/web"
    assert namespaces.key("team-a", "team-a/web") == "team-a/web"  # already keyed
    assert namespaces.namespace_of("web") == "default" and namespaces.namespace_of("team-a/web-1") == "team-a"
    assert namespaces.local_name("team-a/web-1") == "web-1" and namespaces.local_name("web-1") == "web-1"


# --- two namespaces, same names -----------------------------------------------------------------


def test_same_named_deployments_and_services_coexist_and_select_their_own_pods(tmp_path: Path) -> None:
    """The issue's bug: each Service selects only its own namespace's pods, though both select
    app=web and both namespaces' pods carry it."""
    seen, _ = run(write(tmp_path, [], *TWO_TEAMS, until="1m"))
    c = at(seen, SETTLE)
    assert {d.name for d in c.deployments} == {"team-a/web", "team-b/web"}
    assert len(pods_in(c, "team-a")) == 2 and len(pods_in(c, "team-b")) == 2
    for ns in ("team-a", "team-b"):
        rs = [r for r in c.replicasets if r.owner == f"{ns}/web"]
        assert len(rs) == 1 and rs[0].name.startswith(f"{ns}/web-")
        assert all(c.pod(p).owner == rs[0].name for p in pods_in(c, ns))  # type: ignore[union-attr]
        svc = c.service(f"{ns}/web")
        assert svc is not None and sorted(svc.endpoints) == pods_in(c, ns)


def test_a_service_in_another_namespace_selects_none_of_the_pods(tmp_path: Path) -> None:
    seen, _ = run(write(tmp_path, [], deployment("web", "shop"), service("web", None), until="1m"))
    c = at(seen, SETTLE)
    assert len(pods_in(c, "shop")) == 2
    assert c.service("web").endpoints == ()  # type: ignore[union-attr]


def test_a_namespace_written_default_is_the_default_namespace(tmp_path: Path) -> None:
    seen, _ = run(write(tmp_path, [], deployment("web", "default"), service("web", None), until="1m"))
    c = at(seen, SETTLE)
    assert len(c.service("web").endpoints) == 2  # type: ignore[union-attr]
    assert all("/" not in p.name for p in c.pods)


def test_an_object_defined_twice_in_one_namespace_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, [], deployment("web", "team-a"), deployment("web", "team-a"))
    with pytest.raises(KmodelError, match="deployment/web is defined twice in namespace team-a"):
        load(path)


# --- -n in the timeline --------------------------------------------------------------------------


def test_scale_with_n_scales_that_namespace_only_and_without_n_finds_nothing(tmp_path: Path) -> None:
    events = ["30s scale deployment/web 4 -n team-a", "40s scale deployment/web 3"]
    seen, evs = run(write(tmp_path, events, *TWO_TEAMS, until="2m"))
    c = at(seen, 40 + SETTLE)
    assert len(pods_in(c, "team-a")) == 4 and len(pods_in(c, "team-b")) == 2
    assert not [p for p in c.pods if "/" not in p.name]
    scaled = [e for e in evs if e.reason == "Scaled"]
    assert [(e.object, e.message) for e in scaled] == [("deployment/team-a/web", "deployment.apps/web scaled")]
    missing = [e for e in evs if e.reason == "NotFound"]
    assert [e.message for e in missing] == ['Error from server (NotFound): deployments.apps "web" not found']


def test_delete_with_n_garbage_collects_within_that_namespace(tmp_path: Path) -> None:
    seen, evs = run(write(tmp_path, ["30s delete deployment/web -n team-b"], *TWO_TEAMS, until="2m"))
    c = at(seen, 30 + SETTLE + 30)  # the GC, then the pods' grace period (30 s)
    assert [d.name for d in c.deployments] == ["team-a/web"]
    assert [r.owner for r in c.replicasets] == ["team-a/web"]
    assert pods_in(c, "team-b") == [] and len(pods_in(c, "team-a")) == 2
    assert c.service("team-b/web").endpoints == ()  # type: ignore[union-attr]
    gc = [e for e in evs if e.source == "garbage-collector"]
    assert gc and all(e.object.startswith("replicaset/team-b/") or "team-b/" in e.object for e in gc)


def test_pod_globs_rollout_label_and_probes_act_in_their_namespace(tmp_path: Path) -> None:
    events = [
        "30s delete pod/web-* -n team-a",
        "30s label pod/web-* tier=x -n team-b",
        "40s rollout restart deployment/web -n team-b",
        "50s fail-probe readiness deployment/web -n team-a",
    ]
    seen, evs = run(write(tmp_path, events, *TWO_TEAMS, until="2m"))
    before = at(seen, 30 - S.step)  # the state just before the events at 30s
    # the glob deleted team-a's pods only; team-b's were labelled (and so released and replaced)
    deleted = {e.object for e in evs if e.source == "kubectl" and e.reason == "Deleted"}
    assert deleted == {f"pod/{p}" for p in pods_in(before, "team-a")}
    labelled = {e.object for e in evs if e.source == "kubectl" and e.reason == "Labeled"}
    assert labelled == {f"pod/{p}" for p in pods_in(before, "team-b")}
    assert {p.name for p in at(seen, 30).pods if ("tier", "x") in p.labels} == set(pods_in(before, "team-b"))
    b_before, b_after = at(seen, 40 - S.step).deployment("team-b/web"), at(seen, 40).deployment("team-b/web")
    a_before, a_after = at(seen, 40 - S.step).deployment("team-a/web"), at(seen, 40).deployment("team-a/web")
    assert b_before is not None and b_after is not None and b_after.template != b_before.template
    assert a_before is not None and a_after is not None and a_after.template == a_before.template
    # the pods have no readiness probe: nothing changes, and the event names team-a's pods only
    (probed,) = [e for e in evs if e.t == 50 and e.source == "fault"]
    team_a = [namespaces.local_name(p) for p in pods_in(at(seen, 50), "team-a")]
    assert probed.object == "deployment/team-a/web"
    assert probed.message.startswith(f"readiness probe of {', '.join(team_a)} fails")
    assert not any(e.reason == "NotFound" for e in evs)


def test_apply_with_n_puts_a_second_namespace_beside_the_first(tmp_path: Path) -> None:
    (tmp_path / "more.yaml").write_text(deployment("web", None) + service("web", None))
    path = write(tmp_path, ["30s apply more.yaml -n team-b"], deployment("web", "team-a"), service("web", "team-a"))
    seen, evs = run(path)
    c = at(seen, 30 + SETTLE)
    assert len(pods_in(c, "team-a")) == 2 and len(pods_in(c, "team-b")) == 2
    assert sorted(c.service("team-b/web").endpoints) == pods_in(c, "team-b")  # type: ignore[union-attr]
    applied = [e for e in evs if e.reason == "Applied"]
    assert ("deployment/team-b/web", "deployment.apps/web created") in [(e.object, e.message) for e in applied]


# --- what the user sees -------------------------------------------------------------------------


def test_views_name_objects_as_kubectl_does_with_a_namespace_column(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = cli.simulate_json(write(tmp_path, [], *TWO_TEAMS, until="1m"))
    last = doc["snapshots"][-1]
    assert {(d["namespace"], d["name"]) for d in last["deployments"]} == {("team-a", "web"), ("team-b", "web")}
    for s in last["services"]:
        ns_pods = {p["name"] for p in last["pods"] if p["namespace"] == s["namespace"]}
        assert set(s["endpoints"]) == ns_pods and all("/" not in e for e in s["endpoints"])
    text = cli("simulate", str(tmp_path / "ns.yaml")).output
    assert "NAMESPACE   NAME" in text and "team-a      deployment.apps/web" in text


def test_a_default_namespace_scenario_shows_no_namespace(cli) -> None:  # type: ignore[no-untyped-def]
    doc = cli.simulate_json(SCENARIOS / "seed-scaling.yaml", until="1m")
    assert all("namespace" not in p for s in doc["snapshots"] for p in s["pods"])
    assert "NAMESPACE" not in cli("simulate", str(SCENARIOS / "seed-scaling.yaml"), "--until", "1m").output


def test_invariants_read_the_namespace(tmp_path: Path) -> None:
    seen, _ = run(write(tmp_path, [], *TWO_TEAMS, until="1m"))
    env = environment(at(seen, SETTLE))
    holds = compile_invariant("all(p.namespace in ('team-a', 'team-b') for p in pods)")
    assert holds.evaluate(env)
    per_ns = compile_invariant("count(p for p in pods if p.namespace == 'team-a' and p.deployment == 'web') == 2")
    assert per_ns.evaluate(env)
    svc = compile_invariant("all(len(s.endpoints) == 2 for s in services)")
    assert svc.evaluate(env)


# --- the shipped scenario -----------------------------------------------------------------------


def test_the_shipped_namespaces_scenario(cli) -> None:  # type: ignore[no-untyped-def]
    """scenarios/namespaces.yaml's header: one pod in each namespace, each Service its own
    namespace's; 1m: team-a to 2; 2m: NotFound without -n; 3m: team-b's Deployment deleted, its
    pod garbage collected."""
    doc = cli.simulate_json(SCENARIOS / "namespaces.yaml")

    def snap(t: int) -> dict:
        best = [s for s in doc["snapshots"] if s["t"] <= t]
        return best[-1]

    def count(t: int, ns: str) -> int:
        return sum(1 for p in snap(t)["pods"] if p["namespace"] == ns and p["status"] == "Running")

    assert count(60 - 1, "team-a") == 1 and count(60 - 1, "team-b") == 1
    assert count(60 + SETTLE, "team-a") == 2 and count(60 + SETTLE, "team-b") == 1
    for s in snap(120)["services"]:
        ns_pods = {p["name"] for p in snap(120)["pods"] if p["namespace"] == s["namespace"]}
        assert set(s["endpoints"]) == ns_pods
    assert [e["message"] for e in doc["events"] if e["reason"] == "NotFound"] == [
        'Error from server (NotFound): deployments.apps "web" not found'
    ]
    end = snap(300)
    assert {p["namespace"] for p in end["pods"]} == {"team-a"} and count(300, "team-a") == 2
    assert [s["endpoints"] for s in end["services"] if s["namespace"] == "team-b"] == [[]]


# --- the HPA's scaleTargetRef ---------------------------------------------------------------------

HPA_DOCS = (
    """---
apiVersion: v1
kind: Node
metadata: {name: worker}
status:
  capacity: {cpu: "8", memory: 8Gi}
"""
    + "".join(
        f"""---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
        - name: app
          image: web:1
          resources: {{requests: {{cpu: 100m}}}}
"""
        for ns in ("team-a", "team-b")
    )
    + """---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: team-a}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 4
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 60}
"""
)


def test_an_hpa_scales_the_deployment_of_its_own_namespace(tmp_path: Path) -> None:
    """scaleTargetRef names an object of the HPA's namespace: team-a's HPA (load 600m over two
    100m pods: 300% of the request, target 60%) scales team-a's web to its maximum 4; team-b's web,
    same name and labels, stays at 2 and its pods are not counted in the metric."""
    path = tmp_path / "hpa.yaml"
    path.write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {name: hpa-ns}\nuntil: 3m\n"
        "load:\n  deployment/team-a/web:\n    total: {cpu: 600m}\n" + HPA_DOCS
    )
    scenario = load(path)
    seen = []
    simulate(scenario, on_tick=seen.append)
    c = seen[-1]
    (hpa,) = c.hpas
    assert hpa.name == "team-a/web" and hpa.target_name == "team-a/web"
    assert c.deployment("team-a/web").replicas == 4  # type: ignore[union-attr]
    assert c.deployment("team-b/web").replicas == 2  # type: ignore[union-attr]


def test_a_load_names_a_deployment_by_namespace(tmp_path: Path) -> None:
    path = tmp_path / "hpa.yaml"
    path.write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {name: hpa-ns}\nuntil: 3m\n"
        "load:\n  deployment/web:\n    total: {cpu: 600m}\n" + HPA_DOCS
    )
    with pytest.raises(KmodelError, match=r"no Deployment named 'web'.*team-a/web, team-b/web"):
        load(path)


def test_kubectl_get_hpa_names_its_target_without_the_namespace(tmp_path: Path) -> None:
    path = tmp_path / "hpa.yaml"
    path.write_text(
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata: {name: hpa-ns}\nuntil: 30s\n"
        "load:\n  deployment/team-a/web:\n    total: {cpu: 600m}\n" + HPA_DOCS
    )
    sim = simulate(load(path))
    (row,) = sim.snapshots[-1]["horizontalpodautoscalers"]
    assert (row["namespace"], row["name"], row["reference"]) == ("team-a", "web", "Deployment/web")


def test_check_finds_the_namespaced_service_without_endpoints(cli) -> None:  # type: ignore[no-untyped-def]
    """The header's fault run: a pod deletion leaves team-a/web without endpoints (team-b's pod,
    with the same labels, never counts), found in a few states."""
    r = cli("check", str(SCENARIOS / "namespaces.yaml"), "-p", "service-has-endpoint", "--faults", "deletePod=1")
    assert r.exit_code == 1, r.output
    assert "service team-a/web has no ready endpoint" in r.output
    # the trace's change lines tell the two Services named web apart
    assert "~ service/team-a/web endpoints [web-" in r.output and "service/team-b/web" not in r.output


@pytest.mark.thorough
def test_check_holds_on_the_shipped_namespaces_scenario(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("check", str(SCENARIOS / "namespaces.yaml"))
    assert r.exit_code == 0, r.output
    assert "12,339 states" in r.output


def test_a_disruption_budget_covers_only_its_own_namespace(tmp_path: Path) -> None:
    """A PodDisruptionBudget lists pods of its own namespace (the disruption controller's
    ``getPodsForPdb`` and the eviction API's ``getPodDisruptionBudgets`` list with the
    namespace): team-a's budget (minAvailable 2 of team-a's 2 pods) counts 2 pods, not 4, and
    refuses the eviction of a team-a pod with a 429, while a team-b pod of the same labels is
    evicted."""
    from kmodel.components import eviction

    pdb = """---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: team-a}
spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
"""
    seen, _ = run(write(tmp_path, [], *TWO_TEAMS, pdb, until="1m"))
    c = at(seen, SETTLE)
    budget = c.pdb("team-a/web")
    assert budget is not None and (budget.expected_pods, budget.current_healthy) == (2, 2)
    assert budget.disruptions_allowed == 0
    refused = eviction.evict(c, pods_in(c, "team-a")[0])
    assert isinstance(refused, eviction.Refusal) and refused.code == 429
    assert not isinstance(eviction.evict(c, pods_in(c, "team-b")[0]), eviction.Refusal)


def test_explain_takes_the_pod_namespace_as_kubectl_does(cli) -> None:  # type: ignore[no-untyped-def]
    # both workers cordoned before team-a scales to 2: its new pod stays Pending
    cordon = ["--event", "50s cordon node/kind-worker", "--event", "50s cordon node/kind-worker2"]
    scen = load(SCENARIOS / "namespaces.yaml", [e for e in cordon if e != "--event"])
    final = simulate(scen, until=90).final
    assert final is not None
    pending = [p.name for p in final.pods if p.node_name is None]
    assert len(pending) == 1 and pending[0].startswith("team-a/")
    local = namespaces.local_name(pending[0])
    args = ["explain", str(SCENARIOS / "namespaces.yaml"), f"pod/{local}", "--at", "90s", *cordon]
    answer = cli(*args, "-n", "team-a")
    assert answer.exit_code == 0 and "no-room" in answer.output.splitlines()[0]
    # without -n (default) or with the wrong namespace, kubectl's NotFound, pointing at the right one
    for extra in ([], ["-n", "team-b"]):
        refused = cli(*args, *extra)
        assert refused.exit_code != 0 and f"fix: name its namespace: pod/{local} -n team-a" in refused.output
