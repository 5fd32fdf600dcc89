"""kubectl drain, translated from staging/src/k8s.io/kubectl/pkg/cmd/drain/drain_test.go (TestDrain)
with the filters of staging/src/k8s.io/kubectl/pkg/drain/filters.go, and the retry loop of
staging/src/k8s.io/kubectl/pkg/drain/drain.go (evictPods).

TestDrain's fixtures: a node "node" and one pod "bar" on it, owned as the case says (a
ReplicationController there; a ReplicaSet here: kmodel has no ReplicationControllers, and for
drain any controller is the same), with an emptyDir volume where the case says so. Each case
runs twice, once evicting (the default) and once deleting (``--disable-eviction``), and checks
whether drain fails ("fatal"), whether the pod was evicted or deleted, the warning on stderr and
``node/node drained`` on stdout. Here the kubelet's part (removing a pod once it is being
deleted) is played by :func:`run`, so only kubectl acts.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import drain, eviction
from kmodel.labels import LabelSelector
from kmodel.state import FAILED, SUCCEEDED, Cluster, DaemonSet, Job, PodDisruptionBudget, PodTemplate, ReplicaSet
from kmodel.transition import Event
from tests.k8s.conftest import mkcluster, mknode, mkpod

SEL = (("app", "x"),)


def base(**pod_fields: object) -> Cluster:
    c = mkcluster(mknode("node"), pods=[mkpod("bar", "node", labels=SEL, **pod_fields)], now=100)  # type: ignore[arg-type]
    c = c.with_replicaset(ReplicaSet("rs", 1, SEL, PodTemplate(labels=SEL)))
    c = c.with_daemonset(DaemonSet("ds", SEL, PodTemplate(labels=SEL)))
    return c.with_job(Job("job", PodTemplate(labels=SEL), SEL))


def run(c: Cluster, opts: drain.DrainOptions, ticks: int = 10) -> tuple[Cluster, list[Event]]:
    """``kubectl drain node`` with ``opts``; each tick kubectl takes its step and then any pod
    being deleted is removed (its kubelet's confirmation)."""
    out = drain.start(c, "node", opts)
    c, events = out.state, list(out.events)
    for _ in range(ticks):
        d = c.drain("node")
        assert d is not None
        if not d.running:
            break
        for o in drain.step(c):
            c = o.state
            events += o.events
        for p in c.pods:
            if p.terminating:
                c = c.without_pod(p.name)
        c = attrs.evolve(c, now=c.now + 5)
    return c, events


CASES = [
    # description, pod fields, flags, fatal, delete, warning
    pytest.param({"owner": "rs"}, (), False, True, "", id="RC-managed pod"),
    pytest.param({"owner": "ds", "owner_kind": "DaemonSet"}, (), True, False, "", id="DS-managed pod"),
    pytest.param(
        {"owner": "ds", "owner_kind": "DaemonSet", "phase": SUCCEEDED, "ready": False},
        (),
        False,
        True,
        "",
        id="DS-managed terminated pod",
    ),
    pytest.param(
        {"owner": "ds", "owner_kind": "DaemonSet"},
        ("--ignore-daemonsets",),
        False,
        False,
        "",
        id="DS-managed pod with --ignore-daemonsets",
    ),
    pytest.param(
        {"owner": "ds", "owner_kind": "DaemonSet", "empty_dir": True},
        ("--ignore-daemonsets",),
        False,
        False,
        "Warning: ignoring DaemonSet-managed Pods: default/bar",
        id="DS-managed pod with emptyDir with --ignore-daemonsets",
    ),
    pytest.param(
        {"owner": "job", "owner_kind": "Job", "empty_dir": True},
        ("--force", "--delete-emptydir-data=true"),
        False,
        True,
        "",
        id="Job-managed pod with local storage",
    ),
    pytest.param(
        {"owner": "job", "owner_kind": "Job", "empty_dir": True, "phase": FAILED, "ready": False},
        (),
        False,
        True,
        "",
        id="Job-managed terminated pod",
    ),
    pytest.param({"owner": "rs"}, (), False, True, "", id="RS-managed pod"),
    pytest.param({}, (), True, False, "", id="naked pod"),
    pytest.param(
        {},
        ("--force",),
        False,
        True,
        "Warning: deleting Pods that declare no controller: default/bar",
        id="naked pod with --force",
    ),
    pytest.param({"empty_dir": True}, ("--force",), True, False, "", id="pod with EmptyDir"),
    pytest.param(
        {"owner": "rs", "empty_dir": True, "phase": SUCCEEDED, "ready": False},
        (),
        False,
        True,
        "",
        id="terminated pod with emptyDir",
    ),
    pytest.param(
        {"empty_dir": True},
        ("--force", "--delete-emptydir-data=true"),
        False,
        True,
        "",
        id="pod with EmptyDir and --delete-emptydir-data",
    ),
]


@pytest.mark.parametrize("disable_eviction", [False, True], ids=["eviction", "delete"])
@pytest.mark.parametrize(("fields", "flags", "fatal", "delete", "warning"), CASES)
def test_drain(
    fields: dict[str, object], flags: tuple[str, ...], fatal: bool, delete: bool, warning: str, disable_eviction: bool
) -> None:
    """TestDrain: the node is cordoned in every case; the filters decide whether drain fails and
    whether bar is evicted (or deleted), and the warning kubectl prints."""
    opts = drain.parse_flags(list(flags) + (["--disable-eviction"] if disable_eviction else []), int)
    c, events = run(base(**fields), opts)
    node = c.node("node")
    assert node is not None and node.unschedulable  # expected: cordonedNode
    d = c.drain("node")
    assert d is not None
    messages = [e.message for e in events]
    if fatal:
        assert d.outcome not in ("", "drained")
        assert c.pod("bar") is not None and not c.pod("bar").terminating  # type: ignore[union-attr]
        return
    assert d.outcome == "drained"
    assert "node/node drained" in messages
    assert (c.pod("bar") is None) == delete
    assert any(m.startswith("pod/bar ") for m in messages) == delete
    if delete:
        word = "deleted" if disable_eviction else "evicted"
        assert f"pod/bar {word}" in messages
    if warning:
        assert warning in messages


def test_drain_empty_node() -> None:
    """TestDrain/"empty node": cordoned, and drained at once."""
    c = mkcluster(mknode("node"), now=100)
    out = drain.start(c, "node", drain.DrainOptions())
    assert [e.message for e in out.events] == ["node/node cordoned", "node/node drained"]


@pytest.mark.parametrize(
    ("force", "fatal"),
    [pytest.param(False, True, id="without --force"), pytest.param(True, False, id="with --force")],
)
def test_daemonset_pod_whose_daemonset_is_gone(force: bool, fatal: bool) -> None:
    """filters.go daemonSetFilter: a pod whose DaemonSet is not found is an error, or deleted
    with a warning when --force is given (TestDrain's "orphaned DS-managed pod" cases)."""
    c = base(owner="missing-ds", owner_kind="DaemonSet")
    c, _ = run(c, drain.DrainOptions(force=force))
    d = c.drain("node")
    assert d is not None
    if fatal:
        assert 'daemonsets.apps "missing-ds" not found' in d.outcome
    else:
        assert d.outcome == "drained" and c.pod("bar") is None


def test_daemonset_error_text() -> None:
    """filters.go: the DaemonSet error as kubectl prints it (``cannot delete`` + the fatal
    message + the pods)."""
    out = drain.start(base(owner="ds", owner_kind="DaemonSet"), "node", drain.DrainOptions())
    assert out.state.drain("node").outcome == (  # type: ignore[union-attr]
        "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/bar"
    )
    assert out.events[-1].message == (
        'error: unable to drain node "node" due to error: cannot delete DaemonSet-managed Pods (use '
        "--ignore-daemonsets to ignore): default/bar, continuing command..."
    )


def _blocked() -> Cluster:
    pdb = PodDisruptionBudget(
        "b", LabelSelector(SEL), observed=True, disruptions_allowed=0, current_healthy=1, desired_healthy=1
    )
    return base(owner="rs").with_pdb(pdb)


def test_evict_retries_429_every_5s_until_timeout() -> None:
    """drain.go evictPods: a 429 prints ``error when evicting pods/"bar" -n "default" (will retry
    after 5s): ...`` and sleeps 5 s; the global --timeout ends it with ``global timeout
    reached``."""
    c, events = run(_blocked(), drain.DrainOptions(timeout=20), ticks=10)
    retries = [e for e in events if "will retry after 5s" in e.message]
    assert [e.t for e in retries] == [100, 105, 110, 115]
    assert retries[0].message == (
        'error when evicting pods/"bar" -n "default" (will retry after 5s): ' + eviction.TOO_MANY_REQUESTS
    )
    d = c.drain("node")
    assert d is not None and d.ended == 120
    assert d.outcome == 'error when evicting pods/"bar" -n "default": global timeout reached: 20s'
    assert c.pod("bar") is not None and not c.pod("bar").terminating  # type: ignore[union-attr]


def test_disable_eviction_ignores_budget() -> None:
    """drain.go deletePods: with --disable-eviction the pods are deleted, whatever the budget."""
    c, _ = run(_blocked(), drain.DrainOptions(disable_eviction=True))
    assert c.pod("bar") is None and c.drain("node").outcome == "drained"  # type: ignore[union-attr]


def test_go_duration() -> None:
    """time.Duration.String, as kubectl prints the timeout."""
    assert [drain.go_duration(s) for s in (20, 60, 90, 120, 3600)] == ["20s", "1m0s", "1m30s", "2m0s", "1h0m0s"]


# --- the command line and the loop, step by step ------------------------------------------------------


def test_flags() -> None:
    """kubectl drain's flags as the timeline writes them; the defaults are kubectl's (all off,
    --timeout 0: no timeout)."""
    assert drain.parse_flags([], int) == drain.DrainOptions()
    assert drain.DrainOptions().flags() == ""
    opts = drain.parse_flags(["--timeout=90", "--force", "--ignore-daemonsets=true", "--delete-local-data"], int)
    assert opts == drain.DrainOptions(timeout=90, ignore_daemonsets=True, force=True, delete_emptydir_data=True)
    assert opts.flags() == "--timeout=1m30s --ignore-daemonsets --force --delete-emptydir-data"
    assert drain.parse_flags(["--timeout=0", "--force=false"], int) == drain.DrainOptions()
    for bad, message in (
        (["--timeout"], "--timeout needs a duration"),
        (["--timeout="], "--timeout needs a duration"),
        (["--pod-selector=app=x"], "--pod-selector is not modelled"),
        (["--grace-period=10"], "--grace-period is not modelled"),
        (["--frobnicate"], "unknown flag"),
        (["--force=maybe"], "takes true or false"),
    ):
        with pytest.raises(ValueError, match=message):
            drain.parse_flags(bad, int)


def _steps(c: Cluster, n: int, dt: int = 5) -> tuple[Cluster, list[Event]]:
    """``n`` kubectl steps, ``dt`` seconds apart, with no kubelet: pods being deleted stay."""
    events: list[Event] = []
    for _ in range(n):
        for o in drain.step(c):
            c = o.state
            events += o.events
        c = attrs.evolve(c, now=c.now + dt)
    return c, events


def test_waits_for_the_pod_to_be_gone() -> None:
    """waitForDelete: an evicted pod that is still Terminating keeps the drain running; kubectl
    prints ``pod/bar evicted`` only once it is gone."""
    c = drain.start(base(owner="rs"), "node", drain.DrainOptions()).state
    c, events = _steps(c, 3)
    d = c.drain("node")
    assert d is not None and d.running and d.waiting == ("bar",) and d.pending == ()
    assert not any(e.message == "pod/bar evicted" for e in events)
    (out,) = drain.step(c.without_pod("bar"))
    assert [e.message for e in out.events] == ["pod/bar evicted", "node/node drained"]
    assert [e.reason for e in out.events] == ["Evicted", "Drained"]


def test_timeout_while_waiting() -> None:
    """The global timeout reached while waiting for an evicted pod to go (its kubelet never
    confirms): ``error when waiting for pod "bar" terminating: global timeout reached: 20s``."""
    c = drain.start(base(owner="rs"), "node", drain.DrainOptions(timeout=20)).state
    c, _ = _steps(c, 6)
    d = c.drain("node")
    assert d is not None
    assert d.outcome == 'error when waiting for pod "bar" terminating: global timeout reached: 20s'


def test_no_retry_before_5s() -> None:
    """After a 429 kubectl sleeps 5 s: a step 1 s later does not try again."""
    c = drain.start(_blocked(), "node", drain.DrainOptions()).state
    (first,) = drain.step(c)
    assert any("will retry after 5s" in e.message for e in first.events)
    assert drain.step(attrs.evolve(first.state, now=first.state.now + 1)) == []
    (again,) = drain.step(attrs.evolve(first.state, now=first.state.now + 5))
    assert any("will retry after 5s" in e.message for e in again.events)


def test_pod_gone_before_its_eviction() -> None:
    """A pod that is gone when kubectl evicts it (404) is done, with no error."""
    for opts in (drain.DrainOptions(), drain.DrainOptions(disable_eviction=True)):
        c = drain.start(base(owner="rs"), "node", opts).state.without_pod("bar")
        (out,) = drain.step(c)
        assert out.state.drain("node").outcome == "drained"  # type: ignore[union-attr]


def test_apiserver_down_fails_the_drain() -> None:
    """A request kubectl cannot make (connection refused) is that pod's error, for eviction and
    for delete alike."""
    for opts in (drain.DrainOptions(), drain.DrainOptions(disable_eviction=True)):
        c = drain.start(base(owner="rs"), "node", opts).state
        c = attrs.evolve(c, control_plane=attrs.evolve(c.control_plane, apiserver=False))
        (out,) = drain.step(c)
        d = out.state.drain("node")
        assert d is not None and d.outcome.startswith('error when evicting pods/"bar" -n "default": The connection')


def test_deleted_pod_event() -> None:
    """--disable-eviction: ``pod/bar deleted`` (reason Deleted) once the pod is gone."""
    c = drain.start(base(owner="rs"), "node", drain.DrainOptions(disable_eviction=True)).state
    (first,) = drain.step(c)
    (out,) = drain.step(first.state.without_pod("bar"))
    assert (out.events[0].reason, out.events[0].message) == ("Deleted", "pod/bar deleted")


def test_every_running_drain_steps() -> None:
    """Two drains, one over: the running one still takes its step."""
    c = base(owner="rs").with_node(mknode("other"))
    c = drain.start(c, "other", drain.DrainOptions()).state  # an empty node: drained at once
    c = drain.start(c, "node", drain.DrainOptions()).state
    (out,) = drain.step(c)
    assert "evict bar" in out.label


def test_relative() -> None:
    """The checkers' fingerprint of a drain: the start as an age capped past the timeout, the
    retry times as what is left of the wait."""
    d = attrs.evolve(drain.start(_blocked(), "node", drain.DrainOptions(timeout=20)).state.drain("node"))
    assert d is not None

    def rel(now: int, **changes: object) -> object:
        return drain.relative((attrs.evolve(d, **changes),), now, str)

    assert rel(121) == rel(300) != rel(120)  # started at 100: ages 21+ alike, 20 is the timeout
    assert rel(110) != rel(111)
    untimed = attrs.evolve(d, timeout=None)
    assert drain.relative((untimed,), 110, str) == drain.relative((untimed,), 500, str)
    assert rel(105, retry_at=(("bar", 108),)) != rel(105, retry_at=(("bar", 109),))
    assert rel(105, retry_at=(("bar", 100),)) == rel(105, retry_at=(("bar", 105),))
