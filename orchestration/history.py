"""Run history: one record per run (what started it, outcome, time per step, rows landed, first cause), kept in
``serving/runs.json`` beside ``status.json``, so the pipeline-status page shows the last runs without reading
Dagster's storage. Written at the end of `northstar refresh` and, for runs the daemon starts, by a sensor."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from dagster import DagsterEventType, EventLogEntry

from config import settings
from orchestration.refresh import failures_in

KEPT_RUNS = 50
RUN_END = {DagsterEventType.RUN_SUCCESS: "succeeded", DagsterEventType.RUN_FAILURE: "failed"}


def history_path() -> Path:
    return settings.serving_path().with_name("runs.json")


def trigger_of(tags: dict[str, str]) -> str:
    if tags.get("dagster/schedule_name"):
        return f"schedule {tags['dagster/schedule_name']}"
    if tags.get("dagster/sensor_name"):
        return f"sensor {tags['dagster/sensor_name']}"
    if tags.get("dagster/backfill"):
        return "backfill"
    return "manual"


def step_group(step: str) -> str:
    """extract_hubspot__deals -> extract hubspot; northstar_dbt -> dbt; serving__northstar -> publish."""
    if step.startswith("extract_"):
        return "extract " + step.removeprefix("extract_").split("__")[0]
    if step.endswith("_freshness"):
        return "freshness"
    return {"northstar_dbt": "dbt", "audit": "audit", "serving__northstar": "publish"}.get(step, step)


def run_record(run_id: str, job: str, tags: dict[str, str], entries: Iterable[EventLogEntry]) -> dict:
    entries = [e for e in entries if e.dagster_event is not None]
    started = ended = None
    outcome = "running"
    step_start: dict[str, float] = {}
    seconds: dict[str, float] = {}
    rows = 0
    publish_skipped = False
    for entry in entries:
        event, kind = entry.dagster_event, entry.dagster_event.event_type
        if kind == DagsterEventType.RUN_START:
            started = entry.timestamp
        elif kind in RUN_END:
            ended, outcome = entry.timestamp, RUN_END[kind]
        elif kind == DagsterEventType.STEP_START:
            step_start[event.step_key] = entry.timestamp
        elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE) and event.step_key in step_start:
            group = step_group(event.step_key)
            seconds[group] = round(seconds.get(group, 0.0) + entry.timestamp - step_start[event.step_key], 1)
        elif kind == DagsterEventType.STEP_SKIPPED and step_group(event.step_key) == "publish":
            publish_skipped = True  # the build found nothing new (a failed step fails the run instead)
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            landed = event.step_materialization_data.materialization.metadata.get("rows_landed")
            rows += int(landed.value) if landed is not None else 0
    failures = failures_in(e.dagster_event for e in entries)
    if outcome == "succeeded" and publish_skipped and not failures:
        outcome = "nothing_new"
    first = entries[0].timestamp if entries else None
    return {
        "run_id": run_id, "job": job, "trigger": trigger_of(tags), "outcome": outcome,
        "started_at": _iso(started or first), "finished_at": _iso(ended),
        "seconds": round(ended - (started or first), 1) if ended and (started or first) else None,
        "step_seconds": seconds, "rows_landed": rows,
        "first_cause": f"{failures[0].step}: {failures[0].cause}" if failures else "",
    }


def record_run(record: dict, path: Path | None = None) -> None:
    """Add (or replace) a run's record, keeping the newest ``KEPT_RUNS``; replaced whole by a rename."""
    path = path or history_path()
    runs = [r for r in read_runs(path) if r.get("run_id") != record["run_id"]]
    runs = sorted([*runs, record], key=lambda r: r.get("started_at") or "")[-KEPT_RUNS:]
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(runs, fh, indent=1)
    os.replace(tmp, path)


def read_runs(path: Path | None = None) -> list[dict]:
    try:
        return json.loads((path or history_path()).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return []


def _iso(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") if timestamp else None
