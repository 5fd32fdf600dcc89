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
