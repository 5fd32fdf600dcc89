"""Issue 18 beyond the fuzz suite: what the defences do when they let an input through.

Init containers counted as the scheduler counts them, kinds that are ignored or refused, ``-n``
in timeline events, the input limits and how to raise them, numbers of other scripts, and the
run-wide ``--timeout`` and the Hypothesis engine's ``--max-states`` / ``--max-depth``.
(``tests/test_fuzz_input.py`` runs the hostile corpus and the generated inputs.)
"""

from __future__ import annotations

import math
import re
import textwrap
import time
from pathlib import Path

import pytest

from kmodel import limits
from kmodel.checkrun import CheckOptions, execute, prepare
from kmodel.engines.base import ALWAYS, HOLDS, INCONCLUSIVE, Property
from kmodel.engines.hypothesis_engine import check as hypothesis_check
from kmodel.errors import KmodelError, shown
from kmodel.render.itf import _Bad, decode, from_itf
from kmodel.safeyaml import parse_documents
from kmodel.scenario import load
from kmodel.settings import Settings, SettingsError, model_duration, parse_duration
from kmodel.state import Resources
from tests.conftest import DATA, DEPLOYMENT, Cli
from tests.test_explore import Counters

SCENARIO = "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\n"


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def pod_with(tmp_path: Path, spec: str) -> Resources:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + textwrap.indent(textwrap.dedent(spec), "  ")
    (m,) = load(write(tmp_path, text)).manifests
    return m.obj.requests  # type: ignore[union-attr]


# --- init containers --------------------------------------------------------------------------------


def test_the_largest_init_container_counts_when_it_needs_more_than_the_containers(tmp_path: Path) -> None:
    requests = pod_with(
        tmp_path,
        """
        initContainers:
          - {name: migrate, image: m, resources: {requests: {cpu: 1500m, memory: 32Mi}}}
          - {name: warm, image: w, resources: {limits: {cpu: 700m}}}
        containers:
          - {name: app, image: a, resources: {requests: {cpu: 100m, memory: 64Mi}}}
          - {name: side, image: s, resources: {requests: {cpu: 100m, memory: 16Mi}}}
        """,
    )
    # per resource: cpu from the largest init container, memory from the sum of the containers
    assert requests == Resources(cpu=1500, memory=80 * 2**20)


def test_init_containers_that_need_less_change_nothing(tmp_path: Path) -> None:
    requests = pod_with(
        tmp_path,
        """
        initContainers: [{name: i, image: i, resources: {requests: {cpu: 50m}}}]
        containers: [{name: a, image: a, resources: {requests: {cpu: 100m}}}, {name: b, image: b}]
        """,
    )
    assert requests == Resources(cpu=100)


def test_a_pod_that_only_its_init_container_makes_too_big_stays_pending(cli: Cli) -> None:
    r = cli("simulate", str(DATA / "hostile" / "init-containers.yaml"), "--until", "1m", "-o", "events")
    assert r.exit_code == 0, r.output
    assert "0/1 nodes are available: 1 Insufficient cpu" in r.output


def test_sidecar_init_containers_stay_refused(tmp_path: Path) -> None:
    spec = "initContainers: [{name: s, image: s, restartPolicy: Always}]\ncontainers: [{name: a, image: a}]\n"
    with pytest.raises(KmodelError, match="restartPolicy"):
        pod_with(tmp_path, spec)


# --- kinds -------------------------------------------------------------------------------------------


def test_ignored_kinds_are_named_and_change_nothing(tmp_path: Path) -> None:
    extra = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata: {a: b}\n---\n"
    alone, together = load(write(tmp_path, DEPLOYMENT, "a.yaml")), load(write(tmp_path, extra + DEPLOYMENT, "b.yaml"))
    assert together.initial_state() == alone.initial_state()
    assert not together.ignored and not together.ignoring()  # verdicts do not rest on it
    (warning,) = together.warnings
    assert warning.startswith("ignoring configmap/cfg at ") and "b.yaml:2 " in warning


def test_a_refused_kind_is_left_out_with_allow_unmodelled_and_named_in_every_verdict(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: once\n---\n" + DEPLOYMENT)
    r = cli("check", str(path), "--faults", "none", "-p", "no-over-replication")
    assert r.exit_code == 2 and "needs the CronJob controller" in r.stderr
    r = cli("check", str(path), "--faults", "none", "-p", "no-over-replication", "--allow-unmodelled")
    assert r.exit_code == 0, r.output
    assert "warning: ignoring cronjob/once at" in r.output
    assert "(ignoring cronjob/once at" in r.output  # on the verdict line


def test_priority_classes_are_read_and_a_second_global_default_is_refused(tmp_path: Path) -> None:
    pc = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\n"
    plain = load(write(tmp_path, pc + "---\n" + DEPLOYMENT, "plain.yaml"))
    assert not plain.warnings and plain.initial_state().priority_class("high") is not None
    default = load(write(tmp_path, pc + "globalDefault: true\n---\n" + DEPLOYMENT, "default.yaml"))
    assert default.initial_state().priority_class("high").global_default  # type: ignore[union-attr]
    other = pc.replace("high", "other") + "globalDefault: true\n"
    with pytest.raises(
        KmodelError, match=re.escape("PriorityClass high is already marked as default. Only one default can exist")
    ):
        load(write(tmp_path, pc + "globalDefault: true\n---\n" + other + "---\n" + DEPLOYMENT, "two.yaml"))


def test_kinds_command_lists_the_three_columns(cli: Cli) -> None:
    r = cli("kinds")
    assert r.exit_code == 0
    assert "ConfigMap (v1)" in r.output and "StatefulSet (apps/v1)" in r.output
    assert r.output.index("modelled:") < r.output.index("ignored:") < r.output.index("refused:")


# --- namespaces ---------------------------------------------------------------------------------------


def test_events_find_nothing_in_a_namespace_without_objects(cli: Cli) -> None:
    r = cli("simulate", str(DATA / "hostile" / "namespace-flag.yaml"), "--until", "2m", "-o", "events")
    assert r.exit_code == 0, r.output
    assert "deployment.apps/web scaled" in r.output  # -n shop: the Deployment's namespace
    assert 'Error from server (NotFound): deployments.apps "web" not found' in r.output  # -n elsewhere


def test_apply_with_a_namespace_puts_the_objects_there(tmp_path: Path) -> None:
    write(tmp_path, DEPLOYMENT.replace("name: web", "name: api"), "more.yaml")
    base = DEPLOYMENT.replace("  name: web\n", "  name: web\n  namespace: shop\n", 1)
    ok = load(write(tmp_path, SCENARIO + "timeline: ['10s apply more.yaml -n shop']\n---\n" + base, "ok.yaml"))
    assert ok.timeline[0].manifests[0].namespace == "shop"
    # a second namespace is modelled (kmodel.namespaces): api lands in "other"
    two = load(write(tmp_path, SCENARIO + "timeline: ['10s apply more.yaml -n other']\n---\n" + base, "two.yaml"))
    assert two.timeline[0].manifests[0].namespace == "other"


def test_apply_refuses_an_object_of_another_namespace_as_kubectl_does(tmp_path: Path) -> None:
    write(tmp_path, DEPLOYMENT.replace("  name: web\n", "  name: api\n  namespace: a\n", 1), "more.yaml")
    with pytest.raises(KmodelError, match='the namespace from the provided object "a" does not match'):
        load(write(tmp_path, SCENARIO + "timeline: ['10s apply more.yaml -n b']\n---\n" + DEPLOYMENT))


@pytest.mark.parametrize("event", ["10s scale deployment/web 3 -n", "10s scale deployment/web 3 -n Bad_NS"])
def test_bad_namespace_options(tmp_path: Path, event: str) -> None:
    with pytest.raises(KmodelError, match="namespace"):
        load(write(tmp_path, DEPLOYMENT), [event])


# --- limits ---------------------------------------------------------------------------------------------


def test_limits_parse_units_and_refuse_nonsense() -> None:
    got = limits.parse("maxFileSize=8Mi, maxDuration=2d ,maxReplicas=7")
    assert (got.max_file_size, got.max_duration, got.max_replicas) == (8 * 2**20, 2 * 86400, 7)
    for bad in ("maxReplicas=²", "maxReplicas=-1", "maxReplicas=0", "maxReplicas=1h", "maxBogus=1", "maxReplicas"):
        with pytest.raises(KmodelError):
            limits.parse(bad)


def test_limits_from_the_environment_and_the_option(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    dep = str(DATA / "check-web.yaml")
    monkeypatch.setenv(limits.ENV, "maxReplicas=1")
    r = cli("simulate", dep)
    assert r.exit_code == 2 and "maxReplicas=1" in r.stderr
    r = cli("--limit", "maxReplicas=10", "simulate", dep, "--until", "10s")
    assert r.exit_code == 0, r.output
    assert limits.current().max_replicas == 1  # the option held for its command only


def test_limits_command_shows_defaults_and_changes(cli: Cli) -> None:
    r = cli("--limit", "maxPods=7", "limits")
    assert r.exit_code == 0
    assert "maxDuration" in r.output and "24h" in r.output and "1000 (now 7)" in r.output


def test_pods_over_the_limit_across_the_timeline(tmp_path: Path) -> None:
    big = DEPLOYMENT.replace("replicas: 2", "replicas: 400")
    write(tmp_path, big.replace("name: web", "name: api"), "more.yaml")
    path = write(tmp_path, SCENARIO + "timeline: ['10s apply more.yaml']\n---\n" + big)
    assert len(load(path).timeline) == 1  # 800 pods: within the default of 1000
    with limits.using(limits.Limits(max_pods=700)), pytest.raises(KmodelError, match="maxPods=700"):
        load(path)


# --- numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["٣s", "²", "１０s", "1e9s", "9" * 13, "nan", "inf", math.inf, math.nan, "-0s"])
def test_durations_take_ascii_digits_and_finite_numbers_only(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_model_time_is_within_max_duration() -> None:
    assert model_duration("24h") == 86400
    with pytest.raises(ValueError, match="maxDuration=24h"):
        model_duration("24h1s")
    assert parse_duration("48h") == 2 * 86400  # a wall-clock --timeout may be longer


@pytest.mark.parametrize("rate", [math.nan, math.inf, 1e-300])
def test_eviction_rates_must_be_finite_and_not_vanishing(rate: float) -> None:
    with pytest.raises(SettingsError, match="nodeEvictionRate"):
        Settings(node_eviction_rate=rate)


def test_yaml_keys_become_strings_as_kubectl_sends_them() -> None:
    (doc,) = parse_documents("1: a\ntrue: b\nnull: c\n2024-01-01: d\nx: 2024-01-01\n", "f.yaml")
    assert doc == {"1": "a", "true": "b", "null": "c", "2024-01-01": "d", "x": "2024-01-01"}


def test_whole_numbers_are_64_bit() -> None:
    assert parse_documents(f"a: {2**63 - 1}\n", "f")[0]["a"] == 2**63 - 1
    for text in (f"a: {2**63}\n", "a: 0x" + "f" * 17 + "\n", "a: " + "1" * 400 + "\n"):
        with pytest.raises(KmodelError, match="64-bit"):
            parse_documents(text, "f")


def test_itf_integers_have_at_most_40_digits() -> None:
    assert decode({"#bigint": "9" * 40}) == int("9" * 40)
    with pytest.raises(_Bad, match="at most 40 digits"):
        decode({"#bigint": "9" * 41})
    with pytest.raises(KmodelError, match="41 digits is too large"):
        from_itf("[" + "9" * 41 + "]")


def test_shown_values_stay_short() -> None:
    assert len(shown("x" * 10**6)) <= 40
    assert "digits" in shown(7**6000)  # str() of it would be refused past 4300 digits
    assert shown([1, 2]) == "a list" and shown({"a": 1}) == "a mapping"


# --- time and state limits --------------------------------------------------------------------------


def test_timeout_bounds_the_whole_run_not_each_property() -> None:
    options = CheckOptions(faults=(("killPod", 2), ("powerOffNode", 1)), max_states=10**7, timeout=1.5)
    names = ("replica-convergence", "no-over-replication", "service-has-endpoint")
    run = prepare(DATA / "props-two-workers.yaml", names, options=options)
    start = time.monotonic()
    execute(run, options)
    took = time.monotonic() - start
    assert took < 1.5 + 2.0, took  # one bound for all (each property alone would take 1.5 s)
    assert all(r.verdict == INCONCLUSIVE for r in run.results)
    assert all("timeout" in r.stats.limit for r in run.results)


def test_hypothesis_honours_max_states_and_max_depth() -> None:
    prop = Property("small", ALWAYS, "", predicate=lambda s: True)
    r = hypothesis_check(Counters(limit=50), prop, seed=1, max_states=20)
    assert r.verdict == INCONCLUSIVE and r.stats.limit == "max states 20" and r.stats.states <= 20
    r = hypothesis_check(Counters(limit=50), prop, seed=1, max_depth=7)
    assert r.verdict == HOLDS and r.stats.depth <= 7


def test_smt_says_that_max_states_does_not_bound_it(cli: Cli) -> None:
    args = ("check", str(DATA / "props-two-workers.yaml"), "--engine", "smt", "-p", "bound-pods-stay-put")
    r = cli(*args, "--max-depth", "2", "--max-states", "10")
    assert "note: --max-states does not bound the smt engine" in r.output
    r = cli(*args, "--max-depth", "5000")
    assert r.exit_code == 2 and "maxSmtDepth" in r.stderr
