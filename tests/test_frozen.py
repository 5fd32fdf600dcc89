"""kmodel.frozen's evolve and equality mean what attrs' do, on kmodel's own classes."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel.frozen import evolve, identity_eq
from kmodel.scenario import load
from kmodel.settings import Settings
from kmodel.state import Cluster, ControllerMemory, Node, Pod, Resources, Service
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load(Path(SCENARIOS) / "seed-node-failure.yaml").initial_state()


def test_evolve_is_attrs_evolve(cluster: Cluster) -> None:
    node = cluster.nodes[0]
    cases = [
        (cluster, {"now": 35}),
        (cluster, {"nodes": cluster.nodes[1:], "ran": frozenset({"scheduler"})}),
        (node, {"ready": "False", "lease_renew_time": 20}),
        (cluster.memory, {"gc_quarantine": (("n", 3),)}),
        (Pod("default/p"), {"node_name": "n1", "requests": Resources(cpu=100)}),
        (cluster.settings, {}),
    ]
    for inst, changes in cases:
        got, want = evolve(inst, **changes), attrs.evolve(inst, **changes)
        assert type(got) is type(want) and got == want and hash(got) == hash(want)
        for f in attrs.fields(type(inst)):
            assert getattr(got, f.name) is getattr(want, f.name) or getattr(got, f.name) == getattr(want, f.name)
    assert evolve(node, ready="False") != node  # a change is a change


def test_evolve_refuses_an_unknown_field(cluster: Cluster) -> None:
    with pytest.raises(TypeError, match="no field 'nowt'"):
        evolve(cluster, nowt=1)


def test_evolve_leaves_classes_with_init_less_or_aliased_fields_to_attrs() -> None:
    @attrs.frozen
    class Private:
        _a: int
        b: int = attrs.field(default=0, init=False)

    got = evolve(Private(1), a=2)
    assert got == Private(2)


def test_identity_eq_means_attrs_eq(cluster: Cluster) -> None:
    for cls in (Cluster, Settings, ControllerMemory):
        assert cls.__eq__.__qualname__ == f"{cls.__qualname__}.__eq__"
    other = attrs.evolve(cluster, settings=attrs.evolve(cluster.settings))
    assert other.settings is not cluster.settings
    assert other == cluster and not (other != cluster) and hash(other) == hash(cluster)
    assert attrs.evolve(cluster, now=cluster.now + 5) != cluster
    assert attrs.evolve(cluster, settings=attrs.evolve(cluster.settings, node_monitor_period=7)) != cluster
    assert cluster.__eq__(Node("x")) is NotImplemented and cluster != Node("x")
    assert (
        ControllerMemory() == ControllerMemory() and ControllerMemory(gc_quarantine=(("n", 1),)) != ControllerMemory()
    )


def test_identity_eq_leaves_custom_comparisons_to_attrs() -> None:
    @identity_eq
    @attrs.frozen
    class Folded:
        a: str = attrs.field(eq=str.lower)
        b: int = 0

    assert Folded("A") == Folded("a")  # attrs' eq key, not the tuple of raw values


def test_services_in_a_fingerprint_keep_their_endpoints_in_canonical_order() -> None:
    from kmodel.checkmodel import _renamed_endpoints

    renames = {"default/web-b": "default/web-0"}
    s = Service("default/web", (("app", "web"),), endpoints=("default/web-a", "default/web-b"))
    renamed = _renamed_endpoints(s, lambda n: renames.get(n, n))
    assert renamed.endpoints == ("default/web-0", "default/web-a") and renamed.name == s.name
    assert _renamed_endpoints(s, lambda n: n) is s  # nothing renamed, nothing copied
