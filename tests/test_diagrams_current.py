"""The pictures committed in diagrams/ are what `python diagrams/regenerate.py` draws today.

The DOT sources and ITF traces are compared byte for byte with freshly generated ones; each SVG
must carry the digest of its DOT source (Graphviz versions differ between machines, so the SVG
bytes themselves are not compared)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT

DIAGRAMS = ROOT / "diagrams"


def _regenerate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kmodel_diagrams_regenerate", DIAGRAMS / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGENERATE = _regenerate()
SOURCES = REGENERATE.sources()  # one set of builders: a trace's .json and .dot share one search
NAMES = sorted(SOURCES)
HINT = "out of date: run `python diagrams/regenerate.py` and commit diagrams/"


@pytest.mark.parametrize("name", NAMES)
def test_committed_file_is_current(name: str) -> None:
    path = DIAGRAMS / name
    assert path.exists(), f"diagrams/{name} is missing: {HINT}"
    assert path.read_text(encoding="utf-8") == SOURCES[name](), f"diagrams/{name} {HINT}"


@pytest.mark.parametrize("name", [n for n in NAMES if n.endswith(".dot")])
def test_svg_is_drawn_from_the_committed_source(name: str) -> None:
    dot = (DIAGRAMS / name).read_text(encoding="utf-8")
    svg = DIAGRAMS / Path(name).with_suffix(".svg").name
    assert svg.exists(), f"diagrams/{svg.name} is missing: {HINT}"
    assert REGENERATE.svg_digest(svg.read_text(encoding="utf-8")) == REGENERATE.digest(dot), f"{svg.name} {HINT}"


def test_the_gallery_covers_every_broken_component_and_three_seed_views() -> None:
    from tests import broken

    for case in broken.CASES:
        assert f"cex-{case.slug}.dot" in NAMES and f"cex-{case.slug}.json" in NAMES
    assert {"seed-node-failure-pod.dot", "seed-node-failure-node.dot", "seed-node-failure-deployment.dot"} <= set(NAMES)
    assert {"cex-stale-cache-over-creation.dot", "cex-stale-cache-over-creation.json"} <= set(NAMES)
    for stem in ("cex-mass-eviction-partition", "cex-node-join-before-taint", "cex-watch-cache-relist"):
        assert {f"{stem}.dot", f"{stem}.json"} <= set(NAMES)


def test_a_stale_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--check` fails when a committed file differs (here: one file of a copy is edited)."""
    import shutil

    copy = tmp_path / "diagrams"
    shutil.copytree(DIAGRAMS, copy)
    (copy / "seed-node-failure-node.dot").write_text("digraph { stale }\n", encoding="utf-8")
    monkeypatch.setattr(REGENERATE, "HERE", copy)
    monkeypatch.setattr(REGENERATE, "sources", lambda: {"seed-node-failure-node.dot": lambda: "digraph { fresh }\n"})
    assert REGENERATE.main(["--check"]) == 1
