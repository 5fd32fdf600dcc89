"""The timeline verbs label, annotate, taint (kubectl's whole syntax), fail-probe / pass-probe,
and apply of every kind mid-run: parse errors (one line naming the event and the fix) and
effects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kmodel.engines.simulate import Simulation, simulate
from kmodel.errors import KmodelError
from kmodel.scenario import load
from kmodel.state import Cluster, Node, Pod, Taint
from kmodel.timeline import parse_event
from kmodel.useractions import APPLY_HOOKS, register_apply

BASE = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {{name: verbs}}
until: {until}
{timeline}
---
apiVersion: v1
kind: Node
metadata: {{name: worker-1}}
---
apiVersion: v1
kind: Node
metadata: {{name: worker-2}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
        - name: app
          image: nginx
{probes}---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80}}]
"""

PROBES = """\
          readinessProbe:
            httpGet: {path: /, port: 80}
            failureThreshold: 1
"""


def scenario(tmp_path: Path, events: list[str], until: str = "3m", probes: str = "") -> Path:
    timeline = "timeline:\n" + "".join(f"  - {e!r}\n" for e in events) if events else "timeline: []"
    path = tmp_path / "verbs.yaml"
    path.write_text(BASE.format(until=until, timeline=timeline, probes=probes))
    return path


def run(tmp_path: Path, events: list[str], until: str = "3m", probes: str = "") -> tuple[Simulation, list[Cluster]]:
    seen: list[Cluster] = []
    sim = simulate(load(scenario(tmp_path, events, until, probes)), on_tick=seen.append)
    return sim, seen


def parse(text: str, tmp_path: Path) -> None:
    parse_event(text, file="s.yaml", line=3, where="timeline[0]", base_dir=tmp_path)


def at(seen: list[Cluster], t: int) -> Cluster:
    return next(c for c in seen if c.now >= t)


def web_pods(c: Cluster) -> list[Pod]:
    return [p for p in c.pods if p.name.startswith("web-") and not p.terminating]


# --- parse errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("60s fail-probe pod/x", "fail-probe needs a probe kind"),
        ("60s fail-probe readiness", "takes one target"),
        ("60s pass-probe liveness node/worker-1", "pass-probe cannot take"),
        ("60s label node/worker-1", "needs at least one key=value"),
        ("60s label node/worker-1 --overwrite", "needs at least one key=value"),
        ("60s label node/worker-1 disk", "bad label argument"),
        ("60s label node/worker-1 disk=a/b", "bad label value"),
        ("60s label node/worker-1 -bad=x", "bad key"),
        ("60s label deployment/web tier=x", "label cannot take"),
        ("60s annotate pod/x controller.kubernetes.io/pod-deletion-cost=abc", "must be a 32-bit integer"),
        ("60s annotate pod/x controller.kubernetes.io/pod-deletion-cost=99999999999", "must be a 32-bit integer"),
        ("60s annotate deployment/web deployment.kubernetes.io/revision=3", "is not modelled"),
        ("60s annotate configmap/x a=b", "annotate cannot take"),
        ("60s taint node/worker-1 dedicated", "bad taint"),
        ("60s taint node/worker-1 dedicated=x:Sometimes", "bad taint"),
        ("60s taint pod/x a=b:NoSchedule", "taint cannot take"),
    ],
)
def test_parse_errors_are_one_line(tmp_path: Path, event: str, message: str) -> None:
    with pytest.raises(KmodelError) as err:
        parse(event, tmp_path)
    text = str(err.value)
    assert message in text and "\n" not in text and "s.yaml:3" in text


@pytest.mark.parametrize(
    "event",
    [
        "60s fail-probe readiness pod/web-*",
        "60s pass-probe startup deployment/web",
        "60s fail-probe liveness replicaset/web-abc",
        "60s label node/worker-1 disk=ssd zone- --overwrite",
        "60s label pod/web-* tier=front",
        "60s annotate node/worker-1 note=hello other-",
        "60s annotate pod/x controller.kubernetes.io/pod-deletion-cost=-5",
        "60s taint node/worker-1 a=b:NoSchedule c:NoExecute --overwrite",
        "60s taint node/worker-1 a:NoSchedule- c-",
    ],
)
def test_kubectl_syntax_parses(tmp_path: Path, event: str) -> None:
    parse(event, tmp_path)


# --- label -------------------------------------------------------------------------------------------


def test_label_node_sets_overwrites_and_removes(tmp_path: Path) -> None:
    sim, seen = run(
        tmp_path,
        [
            "10s label node/worker-1 disk=ssd",
            "20s label node/worker-1 disk=hdd",
            "30s label node/worker-1 disk=hdd --overwrite",
            "40s label node/worker-1 disk-",
        ],
    )

    def disk(t: int) -> str | None:
        node = at(seen, t).node("worker-1")
        assert node is not None
        return dict(node.labels).get("disk")

    assert (disk(10), disk(20), disk(30), disk(40)) == ("ssd", "ssd", "hdd", None)
    refused = [e for e in sim.events if e.reason == "Refused" and e.t == 20]
    assert refused and refused[0].message == "error: 'disk' already has a value (ssd), and --overwrite is false"
    assert any(e.message == "node/worker-1 labeled" and e.t == 10 for e in sim.events)


def test_label_node_steers_the_scheduler(tmp_path: Path) -> None:
    """A nodeSelector pod applied after the label lands on the labelled node."""
    pod = tmp_path / "pinned.yaml"
    pod.write_text(
        textwrap.dedent(
            """\
            apiVersion: v1
            kind: Pod
            metadata: {name: pinned}
            spec:
              nodeSelector: {disk: ssd}
              containers: [{name: app, image: nginx}]
            """
        )
    )
    _, seen = run(tmp_path, ["10s label node/worker-2 disk=ssd", "20s apply pinned.yaml"], until="1m")
    placed = seen[-1].pod("pinned")
    assert placed is not None and placed.node_name == "worker-2"


def test_relabelling_a_pod_releases_it_and_the_replicaset_replaces_it(tmp_path: Path) -> None:
    """ClaimPods releases a pod whose labels no longer match; the Service drops it too."""
    _, seen = run(tmp_path, [], until="30s")
    victim = sorted(p.name for p in web_pods(seen[-1]))[0]
    _, seen = run(tmp_path, [f"30s label pod/{victim} app=debug --overwrite"], until="1m")
    final = seen[-1]
    released = final.pod(victim)
    assert released is not None and released.owner is None
    assert len([p for p in web_pods(final) if p.owner is not None]) == 3
    svc = final.service("web")
    assert svc is not None and victim not in svc.endpoints


def test_label_missing_pod_is_not_found(tmp_path: Path) -> None:
    sim, _ = run(tmp_path, ["10s label pod/nope a=b"], until="20s")
    assert any(e.reason == "NotFound" and 'pods "nope" not found' in e.message for e in sim.events)


# --- annotate ------------------------------------------------------------------------------------------


def test_annotate_descriptive_changes_nothing(tmp_path: Path) -> None:
    sim, seen = run(tmp_path, ["10s annotate node/worker-1 note=hello", "10s annotate deployment/web owner=me"])
    (tmp_path / "base").mkdir()
    _, base_seen = run(tmp_path / "base", [])
    assert seen[-1].nodes == base_seen[-1].nodes and seen[-1].deployments == base_seen[-1].deployments
    assert any(e.message == "node/worker-1 annotated" for e in sim.events)


def test_pod_deletion_cost_decides_which_pod_a_scale_down_deletes(tmp_path: Path) -> None:
    """controller.kubernetes.io/pod-deletion-cost (PodDeletionCost, on since 1.22): on scale
    down the ReplicaSet controller deletes the pod with the lowest cost first, before the
    newest-first rule that would otherwise pick another."""
    _, seen = run(tmp_path, [], until="30s")
    names = sorted(p.name for p in web_pods(seen[-1]))
    for cheapest in names:
        events = [f"30s annotate pod/{n} controller.kubernetes.io/pod-deletion-cost=100" for n in names]
        events.append(f"30s annotate pod/{cheapest} controller.kubernetes.io/pod-deletion-cost=-1 --overwrite")
        events.append("40s scale deployment/web 2")
        _, seen = run(tmp_path, events, until="1m")
        gone = set(names) - {p.name for p in web_pods(seen[-1])}
        assert gone == {cheapest}


def test_pod_deletion_cost_is_ignored_before_1_22(tmp_path: Path) -> None:
    path = scenario(tmp_path, [])
    text = path.read_text().replace("until: 3m\n", 'until: 3m\nsettings: {kubernetesVersion: "1.21"}\n', 1)
    path.write_text(text)
    first = simulate(load(path), until=30).final
    assert first is not None
    victim = sorted(p.name for p in web_pods(first))[0]
    text = text.replace(
        "timeline: []\n", f"timeline:\n  - 30s annotate pod/{victim} controller.kubernetes.io/pod-deletion-cost=7\n"
    )
    path.write_text(text)
    final = simulate(load(path), until=40).final
    assert final is not None and final.pod(victim) is not None and final.pod(victim).deletion_cost == 0  # type: ignore[union-attr]


# --- taint ---------------------------------------------------------------------------------------------


def taints(c: Cluster, node: str = "worker-1") -> list[str]:
    n = c.node(node)
    assert n is not None
    return sorted(t.show() for t in n.taints)


def test_taint_kubectl_syntax(tmp_path: Path) -> None:
    sim, seen = run(
        tmp_path,
        [
            "10s taint node/worker-1 a=1:NoSchedule a=1:PreferNoSchedule",
            "20s taint node/worker-1 a=2:NoSchedule",
            "30s taint node/worker-1 a=2:NoSchedule --overwrite",
            "40s taint node/worker-1 a:PreferNoSchedule-",
            "50s taint node/worker-1 b:NoSchedule-",
            "60s taint node/worker-1 a-",
        ],
    )
    assert taints(at(seen, 10)) == ["a=1:NoSchedule", "a=1:PreferNoSchedule"]
    assert taints(at(seen, 20)) == ["a=1:NoSchedule", "a=1:PreferNoSchedule"]  # refused
    assert taints(at(seen, 30)) == ["a=1:PreferNoSchedule", "a=2:NoSchedule"]
    assert taints(at(seen, 40)) == ["a=2:NoSchedule"]
    assert taints(at(seen, 60)) == []
    errors = {e.t: e.message for e in sim.events if e.reason == "Refused"}
    assert errors[20] == "error: node worker-1 already has a taint(s) with same effect(s) and --overwrite is false"
    assert errors[50] == 'error: taint "b:NoSchedule" not found'


def test_no_execute_taint_evicts(tmp_path: Path) -> None:
    _, seen = run(tmp_path, ["30s taint node/worker-1 maintenance=now:NoExecute"], until="1m")
    on_1 = [p for p in seen[-1].pods if p.node_name == "worker-1" and not p.terminating]
    assert on_1 == []
    n = seen[-1].node("worker-1")
    assert isinstance(n, Node) and any(t.key == "maintenance" and t.time_added == 30 for t in n.taints)
    assert isinstance(n.taints[0], Taint)


# --- fail-probe / pass-probe ---------------------------------------------------------------------------


def test_fail_probe_on_a_deployment_fails_every_pod(tmp_path: Path) -> None:
    sim, seen = run(
        tmp_path,
        ["60s fail-probe readiness deployment/web", "90s pass-probe readiness deployment/web"],
        until="2m",
        probes=PROBES,
    )
    assert all(not p.ready for p in web_pods(at(seen, 75)))
    svc = at(seen, 75).service("web")
    assert svc is not None and svc.endpoints == ()
    assert all(p.ready for p in web_pods(seen[-1]))
    assert sum(e.reason == "Fault" for e in sim.events) == 2


def test_fail_probe_without_such_probe_changes_nothing(tmp_path: Path) -> None:
    sim, _ = run(tmp_path, ["60s fail-probe liveness deployment/web", "60s fail-probe readiness pod/nope"], until="70s")
    reasons = [e.reason for e in sim.events if e.t == 60]
    assert reasons == ["NoChange", "NotFound"]


# --- apply of every kind mid-run -----------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(textwrap.dedent(text))


def test_apply_mid_run_node_service_priorityclass_pod(tmp_path: Path) -> None:
    write(tmp_path, "node.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: worker-3}\n")
    write(
        tmp_path,
        "svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: web-2}\n"
        "spec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
    )
    write(
        tmp_path,
        "pc.yaml",
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n",
    )
    write(
        tmp_path,
        "pod.yaml",
        """\
        apiVersion: v1
        kind: Pod
        metadata: {name: solo}
        spec:
          priorityClassName: high
          nodeSelector: {kubernetes.io/hostname: worker-3}
          containers: [{name: app, image: nginx}]
        """,
    )
    sim, seen = run(
        tmp_path, ["30s apply node.yaml", "40s apply svc.yaml", "50s apply pc.yaml", "60s apply pod.yaml"], until="2m"
    )
    final = seen[-1]
    joined = final.node("worker-3")
    assert joined is not None and joined.ready == "True" and joined.created == 30
    svc = final.service("web-2")
    assert svc is not None and len(svc.endpoints) == 3
    assert final.priority_class("high") is not None
    solo = final.pod("solo")
    assert solo is not None and solo.node_name == "worker-3" and solo.priority == 1000 and solo.ready
    applied = [e.message for e in sim.events if e.reason == "Applied"]
    assert "node/worker-3 created" in applied and "priorityclass.scheduling.k8s.io/high created" in applied


def test_apply_hook_for_a_new_kind(tmp_path: Path) -> None:
    """register_apply: a kind another module adds needs only its hook."""

    class Widget:
        name = "w"

    def hook(cluster: Cluster, m: object) -> tuple[Cluster, str]:
        return cluster, "created"

    register_apply(Widget, hook, "widget.example.com")
    try:
        from kmodel.manifests import Manifest
        from kmodel.useractions import apply

        out = apply(
            Cluster(settings=load(scenario(tmp_path, [])).settings), (Manifest("Widget", "w", Widget(), "f", 1),), "f"
        )  # type: ignore[arg-type]
        assert out.events[0].message == "widget.example.com/w created"
    finally:
        del APPLY_HOOKS[Widget]


def test_apply_updates_a_service_and_a_pods_labels(tmp_path: Path) -> None:
    """kubectl apply of changed objects: a Service's publishNotReadyAddresses and selector, a
    pod's labels (its spec is immutable)."""
    write(
        tmp_path,
        "svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec:\n  publishNotReadyAddresses: true\n  selector: {app: web}\n  ports: [{port: 80}]\n",
    )
    write(
        tmp_path,
        "solo.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: solo, labels: {app: solo}}\n"
        "spec:\n  containers: [{name: app, image: nginx}]\n",
    )
    write(
        tmp_path,
        "solo2.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: solo, labels: {app: web}}\n"
        "spec:\n  containers: [{name: app, image: nginx}]\n",
    )
    sim, seen = run(tmp_path, ["10s apply svc.yaml", "20s apply solo.yaml", "40s apply solo2.yaml"], until="1m")
    svc = seen[-1].service("web")
    assert svc is not None and svc.publish_not_ready_addresses
    solo = seen[-1].pod("solo")
    assert solo is not None and dict(solo.labels) == {"app": "web"}
    applied = [e.message for e in sim.events if e.reason == "Applied"]
    assert "service/web configured" in applied and "pod/solo configured" in applied
