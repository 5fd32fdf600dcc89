"""The rollout timeline verbs (kubectl rollout restart|pause|resume|undo, set image) and what the
Deployment controller does with them: pause, revision numbers and history clean-up, rollback,
the progress deadline. Times are derived from the settings (one tick = ``settings.step``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel.engines.simulate import Simulation, simulate
from kmodel.errors import KmodelError
from kmodel.scenario import load
from kmodel.state import Cluster, Deployment

HEAD = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {{name: verbs}}
until: {until}
timeline: {timeline}
---
apiVersion: v1
kind: Node
metadata: {{name: worker-1}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 2
{extra}  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: app, image: nginx:1.26}}]
"""


def run(tmp_path: Path, timeline: list[str], until: str = "3m", extra: str = "") -> Simulation:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD.format(until=until, timeline=timeline, extra=extra))
    return simulate(load(path))


def web(c: Cluster | None) -> Deployment:
    assert c is not None
    d = c.deployment("web")
    assert d is not None
    return d


def by_revision(c: Cluster | None) -> list[tuple[int, int, tuple[str, ...]]]:
    assert c is not None
    return sorted((rs.revision, rs.replicas, rs.template.images) for rs in c.replicasets)


def test_set_image_then_back_reuses_the_old_replicaset(tmp_path: Path) -> None:
    """Setting the image back gives the old template (and pod-template-hash) again: the old
    ReplicaSet becomes the new one, with revision 3 (getNewReplicaSet: max old revision + 1)."""
    sim = run(tmp_path, ["30s set image deployment/web app=nginx:1.27", "90s set image deployment/web app=nginx:1.26"])
    assert by_revision(sim.final) == [(2, 0, ("nginx:1.27",)), (3, 2, ("nginx:1.26",))]
    assert web(sim.final).revision == 3


def test_rollout_undo_and_to_revision(tmp_path: Path) -> None:
    sim = run(
        tmp_path,
        [
            "30s set image deployment/web app=nginx:1.27",
            "90s set image deployment/web app=nginx:1.28",
            "150s rollout undo deployment/web --to-revision=1",
        ],
        until="4m",
    )
    assert by_revision(sim.final) == [(2, 0, ("nginx:1.27",)), (3, 0, ("nginx:1.28",)), (4, 2, ("nginx:1.26",))]
    assert any(e.message == "deployment.apps/web rolled back" for e in sim.events)


def test_rollout_undo_errors_as_kubectl(tmp_path: Path) -> None:
    sim = run(tmp_path, ["30s rollout undo deployment/web", "40s rollout undo deployment/web --to-revision=7"])
    messages = [e.message for e in sim.events if e.source == "kubectl"]
    assert 'error: no rollout history found for deployment "web"' in messages
    assert "error: unable to find specified revision 7 in history" in messages


def test_rollout_restart_starts_a_rollout(tmp_path: Path) -> None:
    sim = run(tmp_path, ["30s rollout restart deployment/web"])
    revs = by_revision(sim.final)
    assert [r[:2] for r in revs] == [(1, 0), (2, 2)] and revs[0][2] == revs[1][2], "same image, new template"


def test_a_paused_deployment_scales_but_does_not_roll_out(tmp_path: Path) -> None:
    """sync.go: a paused Deployment goes through sync (scale only); the new template waits for
    resume. With a progress deadline the Progressing condition says DeploymentPaused
    (checkPausedConditions); the sync that sees the resume sets DeploymentResumed and then,
    creating the new ReplicaSet, NewReplicaSetCreated."""
    sim = run(
        tmp_path,
        [
            "30s rollout pause deployment/web",
            "40s set image deployment/web app=nginx:1.27",
            "50s scale deployment/web 3",
            "100s rollout resume deployment/web",
        ],
    )
    at = {s["t"]: s for s in sim.snapshots}
    paused = [s for t, s in at.items() if 50 <= t < 100]
    assert paused and all(s["deployments"][0]["upToDate"] == 0 for s in paused)
    assert "Progressing=Unknown DeploymentPaused" in at[40]["deployments"][0]["conditions"]
    assert any("Scaled up replica set" in e.message and e.message.endswith("from 2 to 3") for e in sim.events)
    assert by_revision(sim.final)[-1][1:] == (3, ("nginx:1.27",))
    assert "Progressing=True NewReplicaSetCreated" in at[100]["deployments"][0]["conditions"]


def test_revision_history_limit_deletes_the_oldest(tmp_path: Path) -> None:
    """cleanupDeployment: with revisionHistoryLimit 1, after three rollouts only the newest
    old ReplicaSet (and the current one) are left."""
    sim = run(
        tmp_path,
        [
            "30s set image deployment/web app=nginx:1.27",
            "90s set image deployment/web app=nginx:1.28",
            "150s set image deployment/web app=nginx:1.29",
        ],
        until="4m",
        extra="  revisionHistoryLimit: 1\n",
    )
    assert [r[:2] for r in by_revision(sim.final)] == [(3, 0), (4, 2)]


def test_progress_deadline_exceeded(tmp_path: Path) -> None:
    """progress.go: a rollout whose new pods never run (the new template asks for more CPU than
    the node has) stops progressing; once lastUpdateTime + progressDeadlineSeconds < now the
    Progressing condition turns False, ProgressDeadlineExceeded, and stays so."""
    path = tmp_path / "s.yaml"
    big = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n"
        "  progressDeadlineSeconds: 30\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
        "        - {name: app, image: nginx:1.27, resources: {requests: {cpu: '64'}}}\n"
    )
    (tmp_path / "v2.yaml").write_text(big)
    path.write_text(HEAD.format(until="3m", timeline=["30s apply v2.yaml"], extra="  progressDeadlineSeconds: 30\n"))
    scen = load(path)
    sim = simulate(scen)
    rows = [(s["t"], s["deployments"][0]["conditions"]) for s in sim.snapshots]
    updated = [t for t, c in rows if "ReplicaSetUpdated" in c or "NewReplicaSetCreated" in c]
    timed_out = [t for t, c in rows if "Progressing=False ProgressDeadlineExceeded" in c]
    assert updated and timed_out
    last_progress = max(updated)
    assert last_progress + 30 < timed_out[0] <= last_progress + 30 + scen.settings.step
    assert rows[-1][1].endswith("Progressing=False ProgressDeadlineExceeded")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("30s rollout frobnicate deployment/web", "unknown rollout subcommand"),
        ("30s rollout restart pod/web", "needs deployment/NAME"),
        ("30s set image deployment/web nginx", "CONTAINER=IMAGE"),
        ("30s rollout undo deployment/web --to-revision=x", "bad rollout undo arguments"),
        ("30s rollout pause deployment/web now", "takes no arguments"),
    ],
)
def test_bad_rollout_events_are_one_line_errors(tmp_path: Path, event: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD.format(until="1m", timeline=[event], extra=""))
    with pytest.raises(KmodelError, match=message):
        load(path)


def test_set_image_of_an_unknown_container(tmp_path: Path) -> None:
    sim = run(tmp_path, ["30s set image deployment/web sidecar=busybox"])
    assert any(e.message == 'error: unable to find container named "sidecar"' for e in sim.events)
    assert len(sim.final.replicasets) == 1  # type: ignore[union-attr]


def test_invariants_read_the_rollout_fields(tmp_path: Path) -> None:
    """--invariant expressions see a Deployment's Progressing reason, paused flag and revision."""
    from kmodel.expr import compile_invariant
    from kmodel.exprview import environment

    sim = run(tmp_path, ["30s set image deployment/web app=nginx:1.27", "90s rollout pause deployment/web"])
    env = environment(sim.final)  # type: ignore[arg-type]
    inv = compile_invariant(
        'all(d.revision == 2 and d.paused and d.progressing == "DeploymentPaused" for d in deployments)'
    )
    assert inv.evaluate(env) is True
