"""Hypothesis profiles for the whole test run (tests/ and properties/).

The default run is reproducible: every ``@given`` test draws the same examples each time
(``derandomize``: the seed comes from the test itself) and no example database replays earlier
failures. ``-m thorough`` (or ``KMODEL_HYPOTHESIS=thorough``) draws random examples and keeps
the database, to find what the fixed examples miss. ``--hypothesis-profile`` or
``--hypothesis-seed`` on the command line win over both.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import settings

settings.register_profile("kmodel-default", derandomize=True, database=None, print_blob=True)
settings.register_profile("kmodel-thorough", derandomize=False, print_blob=True)


def selects_thorough(markexpr: str) -> bool:
    """Does a ``-m`` expression select the thorough tests (``thorough``, ``thorough or x``), as
    opposed to leaving them out (``not thorough``)?"""
    return re.search(r"(?<!not )\bthorough\b", markexpr) is not None


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("hypothesis_profile", None) or config.getoption("hypothesis_seed", None):
        return
    thorough = os.environ.get("KMODEL_HYPOTHESIS") == "thorough" or selects_thorough(config.option.markexpr or "")
    settings.load_profile("kmodel-thorough" if thorough else "kmodel-default")


# The property files' shared runs (properties/seedruns.py, properties/rolloutruns.py): every test
# of one run must land on the xdist worker that computes it, or the other worker sits waiting on
# the run's lock. xdist's loadgroup would group them by their xdist_group mark, but under pytest
# 9.2 it no longer can (it renames item._nodeid, which pytest 9.2 ignores), so this scheduler
# groups them by their node id instead: the test function and its parameters
# (``test_on_seed_timeline[seed-no-workers.yaml-explore]`` from every property file), every other
# test being a group of its own.
_SHARED_RUNS = ("test_on_seed_timeline", "test_on_seed_with_declared_faults", "test_on_rollout_scenarios")
_SHARED_RUN = re.compile(rf"::({'|'.join(_SHARED_RUNS)})(\[.*\])$")


# Tests that share an expensive module-scoped fixture or a cached search: on one worker, or each
# worker computes it (measured: each of these is a 5-15 s search).
_SHARED_SETUP = (
    # a committed trace's .dot and .json come from one search (diagrams/regenerate.py's cache)
    re.compile(r"(tests/test_diagrams_current\.py)::test_committed_file_is_current\[(.+)\.(?:dot|json)\]$"),
    # one exported trace per parameter (the module fixture `doc`)
    re.compile(
        r"(tests/test_itf\.py)::test_(?:the_export_is_valid_itf|export_then_import_gives_the_same_trace)\[(.+)\]$"
    ),
    # the module fixtures nf_pod, nf_node, ow_node: three state diagrams
    re.compile(r"(tests/test_statediagram\.py)::()"),
    # the module fixture two_workers_one_failure: one search for every safety built-in
    re.compile(r"(tests/test_properties\.py)::test_safety_builtins_hold_through_a_node_failure\[()"),
)


def shared_run_group(nodeid: str) -> str:
    """The xdist work unit of a test: its shared run, its shared setup, or the test alone."""
    m = _SHARED_RUN.search(nodeid)
    if m:
        return f"shared-run:{m.group(1)}{m.group(2)}"
    for pattern in _SHARED_SETUP:
        d = pattern.search(nodeid)
        if d:
            return f"shared-setup:{d.group(1)}:{d.group(2)}"
    return nodeid


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The shared runs first: they are the run's longest units (a seed's exhaustive check takes up
    to a minute), and collected last (properties/ after tests/) one of them kept a worker busy
    after the other had run out of tests. A stable sort: the order is otherwise the collection's."""
    items.sort(key=lambda item: 0 if _SHARED_RUN.search(item.nodeid) else 1)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getoption("dist", None) != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedRunScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return shared_run_group(nodeid)

    return SharedRunScheduling(config, log)
