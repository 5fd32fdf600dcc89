"""Shared helpers for the tests: run the CLI, build small clusters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmodel.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DATA = Path(__file__).resolve().parent / "data"

# A two-replica Deployment manifest that several tests put into their scenario files.
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: nginx
"""


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Any:
        return self.runner.invoke(main, list(args), catch_exceptions=False)

    def simulate_json(self, scenario: str | Path, *extra: str, until: str | None = None) -> dict[str, Any]:
        args = ["simulate", str(scenario), "--output", "json"]
        if until:
            args += ["--until", until]
        for e in extra:
            args += ["--event", e]
        result = self(*args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def cli() -> Cli:
    return Cli()
