"""An apiserver watch cache that lags etcd and the kubelet relist that reads it (kmodel/watchcache.py):
the settings, the view and the writes, the checkers' transitions, and the regression of kubernetes
issue 59848 (a restarted kubelet starts a StatefulSet pod that moved to another node) on the
explorer and Hypothesis; Z3 refuses the feature.

The Kubernetes unit tests of the cache's freshness and the Reflector's resource versions are
translated in tests/k8s/test_watch_cache.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import properties as props
from kmodel import watchcache
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED, Property
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.render.view import view
from kmodel.scenario import Scenario, load
from kmodel.settings import Settings, SettingsError, settings_from
from kmodel.state import RUNNING, Cluster
from tests.builders import manifest_scenario
from tests.conftest import SCENARIOS
from tests.k8s.conftest import mkcluster, mknode, mkpod

RELIST = SCENARIOS / "watch-cache-relist.yaml"
FIXED = SCENARIOS / "watch-cache-relist-fixed.yaml"
HA_SEED = SCENARIOS / "topology-ha-stacked.yaml"
ORDINAL = "at-most-one-pod-per-ordinal"


def prop(name: str, scen: Scenario) -> Property:
    return props.to_property(props.BUILTINS[name], scen.settings)


# -- settings -----------------------------------------------------------------------------------


def test_settings_default_off_and_parsed() -> None:
    s = Settings()
    assert (s.watch_cache_lag, s.consistent_initial_list) == (0, True)
    s = settings_from({"watchCacheLag": 3, "consistentInitialList": False})
    assert (s.watch_cache_lag, s.consistent_initial_list) == (3, False)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"watchCacheLag": -1}, "watchCacheLag must not be negative"),
        ({"watchCacheLag": "2s"}, "watchCacheLag: expected a whole number"),
        ({"consistentInitialList": "no"}, "consistentInitialList: expected true or false"),
    ],
)
def test_bad_settings_are_refused(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from(raw)


def test_lag_without_two_apiservers_is_one_line_naming_file_and_line(cli: Any, tmp_path: Path) -> None:
    text = RELIST.read_text()
    start, end = text.index("controlPlane:\n"), text.index("until:")
    path = tmp_path / "single.yaml"
    path.write_text(text[:start] + text[end:])
    line_no = 1 + text[:start].splitlines().index("  watchCacheLag: 3")
    r = cli("simulate", str(path))
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and f"{path}:{line_no}" in line, line
    assert "watchCacheLag 3 needs two or more apiservers" in line and "controlPlane" in line, line


# -- the view and the writes --------------------------------------------------------------------

LAG = Settings(watch_cache_lag=3, consistent_initial_list=False)


def moved() -> tuple[Cluster, Cluster]:
    """web-0 Running on n1 (before), then deleted and created again, Running on n2 (after)."""
    old = mkpod("web-0", "n1", owner="web", owner_kind="StatefulSet", created=0)
    new = mkpod("web-0", "n2", owner="web", owner_kind="StatefulSet", created=30)
    before = mkcluster(mknode("n1"), mknode("n2"), pods=[old], settings=LAG)
    after = attrs.evolve(before, pods=(new,))
    return before, after


def test_a_binding_change_is_a_revision_and_a_status_change_is_not() -> None:
    before, after = moved()
    c = watchcache.observe(before, after)
    assert c.watch_cache is not None and len(c.watch_cache.behind) == 1
    assert c.watch_cache.behind[0].bound == before.pods
    new = c.pods[0]
    ready = attrs.evolve(c, pods=(attrs.evolve(new, ready=not new.ready),))
    assert watchcache.observe(c, ready).watch_cache == c.watch_cache


def test_at_most_lag_revisions_behind() -> None:
    c = attrs.evolve(moved()[0], settings=attrs.evolve(LAG, watch_cache_lag=1))
    for i in range(3):
        c = watchcache.observe(c, attrs.evolve(c, pods=(*c.pods, mkpod(f"p{i}", "n1"))))
    assert c.watch_cache is not None and len(c.watch_cache.behind) == 1
    assert [p.name for p in c.watch_cache.behind[0].bound] == ["p0", "p1", "web-0"]


@pytest.mark.parametrize("settings", [Settings(), Settings(watch_cache_lag=3)], ids=["no-lag", "safeguard-on"])
def test_off_records_nothing(settings: Settings) -> None:
    """No lag, or a lag nothing reads (a consistent first list, the default): no record."""
    before, after = moved()
    off = attrs.evolve(after, settings=settings)
    assert not watchcache.enabled(off)
    assert watchcache.observe(attrs.evolve(before, settings=settings), off) is off


def pinned(c: Cluster, node: str) -> Cluster:
    return attrs.evolve(c, watch_cache=attrs.evolve(c.watch_cache, pinned=frozenset({node})))


def test_a_pinned_kubelet_sees_the_old_pod_and_not_the_new_one() -> None:
    before, after = moved()
    c = pinned(watchcache.observe(before, after), "n1")
    seen = watchcache.view(c, "n1")
    assert [(p.name, p.node_name, p.created) for p in seen.pods_on("n1")] == [("web-0", "n1", 0)]
    assert seen.pods_on("n2") == []  # its name is taken by the old object in this view
    assert watchcache.view(c, "n2") is c  # n2's kubelet reads an up-to-date apiserver


def test_writes_to_a_pod_that_is_now_another_object_change_nothing() -> None:
    before, after = moved()
    c = pinned(watchcache.observe(before, after), "n1")
    seen = watchcache.view(c, "n1")
    old = seen.pod("web-0")
    assert old is not None
    wrote = seen.with_pod(attrs.evolve(old, restarts=5)).with_node(
        attrs.evolve(seen.node("n1"), running=frozenset({"web-0"}))  # type: ignore[arg-type]
    )
    out = watchcache.apply_writes(c, seen, wrote)
    assert out.pods == c.pods  # the new web-0 on n2 is untouched (the UID precondition)
    assert out.node("n1").running == frozenset({"web-0"})  # type: ignore[union-attr]
    gone = watchcache.apply_writes(c, seen, seen.without_pod("web-0"))
    assert gone.pods == c.pods  # the kubelet finishing a delete of the old object deletes nothing


def test_catch_up_moves_the_view_and_clears_the_pin() -> None:
    before, after = moved()
    c = pinned(watchcache.observe(before, after), "n1")
    c = watchcache.catch_up(c)
    assert c.watch_cache is None
    assert watchcache.view(c, "n1") is c


# -- the scenario ------------------------------------------------------------------------------


def test_simulate_runs_web_0_on_cp_2_only() -> None:
    """simulate never lags: the restarted kubelet on cp-1 lists the current pods. With a 5 s tick:
    the delete at 30s, cp-1's kubelet removes the object at the next sync, the new web-0 is bound
    to cp-2 in the same tick and Running by the tick after."""
    scen = load(RELIST)
    step = scen.settings.step
    sim = simulate(scen)
    assert sim.final is not None
    (web,) = sim.final.pods
    assert (web.name, web.node_name, web.phase) == ("web-0", "cp-2", RUNNING)
    assert {n.name: n.running for n in sim.final.nodes} == {"cp-1": frozenset(), "cp-2": frozenset({"web-0"})}
    bound = [e.t for e in sim.events if e.reason == "Scheduled" and e.object == "pod/web-0"]
    assert bound[-1] <= 30 + 2 * step


def test_explorer_finds_the_second_web_0() -> None:
    scen = load(RELIST)
    r = explore(KubeModel(scen), prop(ORDINAL, scen), max_states=20_000)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None
    labels = [s.label for s in r.trace.steps]
    assert any("lists its pods from a lagging apiserver's watch cache" in x for x in labels), labels
    assert "from a lagging watch cache" in labels[-1]
    last = r.trace.last.cluster
    assert {n.name for n in last.nodes if "web-0" in n.running} == {"cp-1", "cp-2"}
    assert last.pod("web-0").node_name == "cp-2"  # type: ignore[union-attr]
    # the picture and the ITF trace show the containers cp-1 runs with no API pod there
    nodes = {n["name"]: n for n in view(last)["nodes"]}
    assert nodes["cp-1"].get("stillRuns") == ["web-0"] and "stillRuns" not in nodes["cp-2"]
    actions = len(r.trace.steps) - 1  # steps[0] is the initial state
    assert actions == 16
    shorter = explore(KubeModel(scen), prop(ORDINAL, scen), max_states=20_000, max_depth=actions - 1)
    assert shorter.verdict != VIOLATED


def test_explorer_holds_with_a_consistent_first_list(tmp_path: Path) -> None:
    """With the safeguard nothing reads the lagging cache, and the checkers keep no record of
    it: the same states as with no lag at all."""
    scen = load(FIXED)
    r = explore(KubeModel(scen), prop(ORDINAL, scen), max_states=50_000)
    assert r.verdict == HOLDS, r.message
    no_lag = manifest_scenario(tmp_path, FIXED.read_text().replace("  watchCacheLag: 3\n", "  watchCacheLag: 0\n"))
    r0 = explore(KubeModel(no_lag), prop(ORDINAL, no_lag), max_states=50_000)
    assert r0.verdict == HOLDS and r.stats.states == r0.stats.states > 1000


@pytest.mark.parametrize("lag", [0, 2])
def test_holds_without_enough_lag(tmp_path: Path, lag: int) -> None:
    """With no lag nothing is stale; with 2 revisions the oldest answer already shows web-0
    Terminating, which the restarted kubelet only finishes deleting."""
    text = RELIST.read_text().replace("  watchCacheLag: 3\n", f"  watchCacheLag: {lag}\n")
    scen = manifest_scenario(tmp_path, text)
    r = explore(KubeModel(scen), prop(ORDINAL, scen), max_states=50_000)
    assert r.verdict == HOLDS, r.message


def test_hypothesis_finds_the_second_web_0() -> None:
    scen = load(RELIST)
    r = hypothesis_engine.check(KubeModel(scen), prop(ORDINAL, scen), seed=0, profile="ci", max_examples=100, steps=30)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None
    assert {n.name for n in r.trace.last.cluster.nodes if "web-0" in n.running} == {"cp-1", "cp-2"}


def test_off_by_default_leaves_the_seed_state_count_unchanged() -> None:
    """scenarios/topology-ha-stacked.yaml (three control-plane machines, stopComponent: 1): the
    explorer visits exactly the 10,328 states it visited before the feature existed (measured on
    the commit before it, `kmodel check scenarios/topology-ha-stacked.yaml -p one-leader-acting`),
    and no state carries a watch cache."""
    scen = load(HA_SEED)
    assert scen.settings.watch_cache_lag == 0
    seen: list[Cluster] = []
    base = prop("one-leader-acting", scen)

    assert base.predicate is not None
    predicate = base.predicate

    def check(state: Any) -> bool:
        seen.append(state.cluster)
        return predicate(state)

    r = explore(KubeModel(scen), attrs.evolve(base, predicate=check), max_states=20_000)
    assert r.verdict == HOLDS, r.message
    assert r.stats.states == 10_328
    assert all(getattr(c, "watch_cache", None) is None for c in seen)


# -- Z3 refuses the feature ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("check", str(RELIST), "--engine", "smt", "-p", "no-over-replication"),
        ("prove", str(RELIST), "-p", "no-over-replication"),
        ("prove", str(RELIST), "-p", "bound-pods-stay-put"),
    ],
    ids=["smt-workload", "prove-workload", "prove-scheduling"],
)
def test_z3_refuses_watch_cache_lag(cli: Any, args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and "watchCacheLag 3 (an apiserver watch cache that lags etcd" in line, line
    assert "not encoded in Z3" in line, line


def test_the_node_health_slice_refuses_watch_cache_lag(cli: Any, tmp_path: Path) -> None:
    """The node-health slice takes no delete events: the same scenario without its delete."""
    path = tmp_path / "no-delete.yaml"
    path.write_text(RELIST.read_text().replace("  - 30s delete pod/web-0\n", ""))
    r = cli("check", str(path), "--engine", "smt", "--smt-slice", "node-health", "-p", "eviction-after-timeout")
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and "node-health" in line and "watchCacheLag 3 (an apiserver watch cache" in line, line


def test_the_committed_counterexample_replays(cli: Any) -> None:
    """diagrams/cex-watch-cache-relist.json (the explorer's shortest trace, as `kmodel check
    --trace-out` writes it) replays against the model, to the same violation."""
    r = cli("replay", str(SCENARIOS.parent / "diagrams" / "cex-watch-cache-relist.json"))
    assert "replayed all 16 action(s)" in r.output and "still VIOLATED: at-most-one-pod-per-ordinal" in r.output, (
        r.output
    )


def test_the_checker_s_own_kubelet_restart_finds_it_too(tmp_path: Path) -> None:
    """Without the timeline's restart, a `stopKubelet: 1` budget: the checker stops cp-1's kubelet
    and starts it again (the repair), and the first list of the new process is the stale one."""
    text = RELIST.read_text().replace("  - 40s stop kubelet/cp-1\n  - 40s start kubelet/cp-1\n", "")
    scen = manifest_scenario(tmp_path, text.replace("\nfaults: {}\n", "\nfaults: {stopKubelet: 1}\n"))
    assert scen.faults == (("stopKubelet", 1),)
    r = explore(KubeModel(scen), prop(ORDINAL, scen), max_states=20_000)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None
    labels = [s.label for s in r.trace.steps]
    assert "stop kubelet on cp-1" in labels
    assert any(x.startswith("start kubelet on cp-1; kubelet on cp-1 lists its pods from a lagging") for x in labels)
