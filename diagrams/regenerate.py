"""Regenerate the pictures in diagrams/: ``python diagrams/regenerate.py`` (from the repository root).

What is drawn:

- state diagrams of the shipped seed scenarios (``kmodel diagram``): the pod life cycle and the
  node life cycle of ``seed-node-failure`` under one worker powered off, and its Deployment;
- one counterexample per deliberately broken component of ``tests/broken.py`` (the explorer's
  shortest trace, as ``kmodel check --trace-out`` writes it): the ITF trace (``.json``) and its
  picture;
- the same for each regression from real history that a shipped scenario reproduces
  (:data:`REGRESSIONS`, e.g. ``scenarios/stale-cache-over-creation.yaml``).

Every picture is kept as DOT source (``.dot``, which the up-to-date test compares) and as SVG drawn
from it. The SVG carries the SHA-256 of its DOT source in a comment, so a test can tell a stale
picture without needing the same Graphviz version as the machine that drew it.
``--check`` regenerates in memory and exits 1 listing the files that are out of date.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script: make `kmodel` and `tests` importable
    sys.path.insert(0, str(ROOT))

from kmodel import properties as props  # noqa: E402
from kmodel.checkmodel import KubeModel  # noqa: E402
from kmodel.checkrun import CheckRun  # noqa: E402
from kmodel.engines.explore import explore  # noqa: E402
from kmodel.render.dotfile import render_dot  # noqa: E402
from kmodel.render.graphviz import trace_dot  # noqa: E402
from kmodel.render.itf import to_itf  # noqa: E402
from kmodel.render.statediagram_dot import diagram_dot  # noqa: E402
from kmodel.statediagram import diagram_for  # noqa: E402
from kmodel.tracedoc import from_result  # noqa: E402
from tests import broken  # noqa: E402

SEED = ROOT / "scenarios" / "seed-node-failure.yaml"
# (file stem, scenario, view, fault budget): the seed as written (its timeline powers a worker off
# at 60s and on again later; no checker faults), explored completely in about a second. With
# powerOffNode=1 on top, 20,000 states stop short of the eviction 300s later.
NO_FAULTS: tuple[tuple[str, int], ...] = ()
STATE_DIAGRAMS = (
    ("seed-node-failure-pod", SEED, "pod", NO_FAULTS),
    ("seed-node-failure-node", SEED, "node", NO_FAULTS),
    ("seed-node-failure-deployment", SEED, "deployment", NO_FAULTS),
    ("seed-node-failure-full", SEED, "full", NO_FAULTS),
)
DIAGRAM_MAX_STATES = 20_000
TRACE_MAX_STATES = 200_000


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def state_diagram(scenario: Path, view: str, faults: tuple[tuple[str, int], ...]) -> str:
    diagram = diagram_for(scenario, view, faults=faults, max_states=DIAGRAM_MAX_STATES)
    return diagram_dot(diagram, f"{scenario.name}: {view} view")


def counterexample(case: broken.BrokenCase) -> tuple[str, str]:
    """The explorer's shortest trace for a broken component: (ITF JSON text, DOT source)."""
    scen = case.load()
    model: KubeModel = case.model(scen)
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    result = explore(model, prop, max_states=TRACE_MAX_STATES)
    if result.trace is None:
        raise SystemExit(f"{case.slug}: expected a violation of {case.property}, got {result.verdict}")
    why = CheckRun(scen, model, [prop], [result]).explanation(result)
    doc = from_result(
        result,
        explanation=why,
        scenario=relative(case.scenario),
        faults=model.budget,
        from_start=not case.settle,
    )
    itf = json.dumps(to_itf(doc), indent=1, sort_keys=True) + "\n"
    return itf, trace_dot(doc)


# regressions from real history (issue 16): (file stem, scenario, property), each the explorer's
# shortest trace of the scenario as shipped (its own settings, faults and timeline)
REGRESSIONS = (
    ("cex-stale-cache-over-creation", ROOT / "scenarios" / "stale-cache-over-creation.yaml", "no-over-replication"),
    ("cex-mass-eviction-partition", ROOT / "scenarios" / "mass-eviction-partition.yaml", "no-mass-eviction"),
    ("cex-node-join-before-taint", ROOT / "scenarios" / "node-join-before-taint.yaml", "no-schedule-to-unready-node"),
    ("cex-watch-cache-relist", ROOT / "scenarios" / "watch-cache-relist.yaml", "at-most-one-pod-per-ordinal"),
)


def regression(scenario: Path, prop_name: str) -> tuple[str, str]:
    """The explorer's shortest trace of a shipped regression scenario: (ITF JSON text, DOT source)."""
    from kmodel.scenario import load

    scen = load(scenario)
    model = KubeModel(scen)
    prop = props.to_property(props.BUILTINS[prop_name], scen.settings)
    result = explore(model, prop, max_states=TRACE_MAX_STATES)
    if result.trace is None:
        raise SystemExit(f"{scenario.name}: expected a violation of {prop_name}, got {result.verdict}")
    why = CheckRun(scen, model, [prop], [result]).explanation(result)
    doc = from_result(result, explanation=why, scenario=relative(scenario), faults=model.budget)
    itf = json.dumps(to_itf(doc), indent=1, sort_keys=True) + "\n"
    return itf, trace_dot(doc)


def sources() -> dict[str, Callable[[], str]]:
    """Every generated text file by name, as a function that builds it."""
    out: dict[str, Callable[[], str]] = {}
    for stem, scenario, view, faults in STATE_DIAGRAMS:
        out[f"{stem}.dot"] = lambda s=scenario, v=view, f=faults: state_diagram(s, v, f)
    for case in broken.CASES:
        memo: dict[str, tuple[str, str]] = {}

        def both(c: broken.BrokenCase = case, m: dict[str, tuple[str, str]] = memo) -> tuple[str, str]:
            if "v" not in m:
                m["v"] = counterexample(c)
            return m["v"]

        out[f"cex-{case.slug}.json"] = lambda b=both: b()[0]
        out[f"cex-{case.slug}.dot"] = lambda b=both: b()[1]
    for stem, scenario, prop_name in REGRESSIONS:
        memo_r: dict[str, tuple[str, str]] = {}

        def built(s: Path = scenario, n: str = prop_name, m: dict[str, tuple[str, str]] = memo_r) -> tuple[str, str]:
            if "v" not in m:
                m["v"] = regression(s, n)
            return m["v"]

        out[f"{stem}.json"] = lambda b=built: b()[0]
        out[f"{stem}.dot"] = lambda b=built: b()[1]
    return out


def digest(dot_source: str) -> str:
    return hashlib.sha256(dot_source.encode("utf-8")).hexdigest()


def stamped(dot_source: str) -> str:
    """The DOT source with its own digest as a graph comment (Graphviz copies it into the SVG)."""
    head, brace, rest = dot_source.partition("{")
    return f'{head}{brace}\n  comment="kmodel-dot-sha256: {digest(dot_source)}";{rest}'


def svg_digest(svg_text: str) -> str | None:
    marker = "kmodel&#45;dot&#45;sha256: "
    start = svg_text.find(marker)
    if start < 0:
        return None
    return svg_text[start + len(marker) : start + len(marker) + 64]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, build in sources().items():
        text = build()
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        path.write_text(text, encoding="utf-8")
        if name.endswith(".dot"):
            render_dot(stamped(text), path.with_suffix(".svg"))
        print(f"wrote diagrams/{name}")
    if stale:
        print("out of date (run `python diagrams/regenerate.py`): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
