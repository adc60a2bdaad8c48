"""The project-local Dagster instance: run history, schedules, sensors and the run queue, in SQLite under the
data folder (``<home>/dagster``). Runs queue one at a time: DuckDB has one writer, so a schedule, a sensor and a
run started from the UI wait for each other instead of failing."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

from config import settings

DAGSTER_YAML = """\
# Written by Northstar (orchestration/instance.py); storage is SQLite in this folder.
concurrency:
  runs:
    max_concurrent_runs: 1  # one writer of the DuckDB warehouse at a time; the rest wait in the queue
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    """``<home>/dagster`` with its ``dagster.yaml`` (rewritten when this version's differs)."""
    path = settings.northstar_home() / "dagster"
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    return path


def instance() -> DagsterInstance:
    """The data folder's Dagster instance (``DAGSTER_HOME`` set to it for this process and its children)."""
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    return DagsterInstance.get()
