"""Sensors: a file dropped into the inbox starts a run; a failed run, a blocked publish or a source gone
stale raises an alert on every channel in ``[alerts]``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from config import settings
from connectors.inbox import file_sha256
from expectations.freshness import freshness
from expectations.publish import read_status
from orchestration.alerts import Alert, run_failure_alert, send
from orchestration.history import record_run, run_record
from orchestration.refresh import failures_in, record_run_failures

HISTORY_JOBS = {"refresh", "ticket_desk", "inbox", "period_close"}  # the hourly freshness checks would drown them
INBOX_SKIP_SUFFIXES = (".partial", ".tmp", ".crdownload")  # files still being written


def inbox_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox (not its loaded/ and rejected/ folders, not half-written or hidden files)."""
    return sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")
                  and not p.name.endswith(INBOX_SKIP_SUFFIXES))


def build_inbox_sensor(poll_seconds: int, inbox_job):
    @sensor(name="inbox_files", job=inbox_job, minimum_interval_seconds=poll_seconds,
            default_status=DefaultSensorStatus.RUNNING,
            description="A file dropped into the inbox starts one run of the inbox and everything downstream.")
    def inbox_files_sensor(context: SensorEvaluationContext):
        files = inbox_files(settings.inbox_dir())
        if not files:
            return SkipReason("the inbox is empty")
        # A file is known by its content: seen on every tick until it is loaded, or dropped again under another
        # name, it is in one run. The cursor keeps the contents already asked for (the newest 1,000).
        seen = json.loads(context.cursor or "[]")
        new = {}
        for path in files:
            digest = file_sha256(path)  # the inbox log knows a file by the same digest
            if digest not in seen and digest not in new:
                new[digest] = path.name
        if not new:
            return SkipReason(f"{len(files)} file(s) waiting, each already has a run")
        # One run for every file new on this tick: each run loads everything waiting, so a run per file would
        # leave the later ones nothing to do.
        batch = hashlib.sha256("".join(sorted(new)).encode()).hexdigest()
        return SensorResult(
            run_requests=[RunRequest(run_key=f"inbox:{batch}",
                                     tags={"northstar/inbox_files": ", ".join(sorted(new.values()))[:200]})],
            cursor=json.dumps([*seen, *new][-1000:]))

    return inbox_files_sensor


@run_failure_sensor(name="alert_on_run_failure", default_status=DefaultSensorStatus.RUNNING,
                    description="A failed run, or a publish the audit blocked, alerts every configured channel.")
def alert_on_run_failure(context: RunFailureSensorContext):
    run = context.dagster_run
    records = context.instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
    failures = failures_in(r.dagster_event for r in records if r.dagster_event is not None)
    if run.job_name in HISTORY_JOBS:  # a data run: the dashboards' banner says so, the history keeps it
        record_run_failures(run.run_id, failures, f"Dagster run {run.run_id}")
        record_run(run_record(run.run_id, run.job_name, run.tags, context.instance.all_logs(run.run_id)))
    alert = run_failure_alert(run.run_id, run.job_name, [(f.step, f.cause) for f in failures],
                              read_status(settings.serving_path()))
    for delivery in send(alert):
        log = context.log.info if delivery.ok else context.log.warning
        log(f"alert to {delivery.channel}: {'sent' if delivery.ok else 'not sent'} ({delivery.detail})")


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, name="record_run_history",
                   default_status=DefaultSensorStatus.RUNNING,
                   description="Each finished run's trigger, time per step and rows landed, for the pipeline page.")
def record_run_history(context: RunStatusSensorContext):
    run = context.dagster_run
    if run.job_name in HISTORY_JOBS:
        record_run(run_record(run.run_id, run.job_name, run.tags, context.instance.all_logs(run.run_id)))


def build_freshness_sensor(poll_seconds: int):
    @sensor(name="alert_on_stale_source", minimum_interval_seconds=poll_seconds,
            default_status=DefaultSensorStatus.RUNNING,
            description="A source whose published data is older than [freshness] allows alerts once, when it turns "
                        "stale.")
    def alert_on_stale_source(context: SensorEvaluationContext):
        serving = settings.serving_path()
        if not serving.exists():
            return SkipReason("nothing published yet")
        with duckdb.connect(str(serving), read_only=True) as con:
            rows = freshness(con, "pipeline", settings.load_settings().freshness)
        stale = {f"{r.source}.{r.object}": r for r in rows if not r.fresh}
        before = set(json.loads(context.cursor or "[]"))
        newly = sorted(set(stale) - before)
        context.update_cursor(json.dumps(sorted(stale)))
        if not newly:
            return SkipReason(f"{len(stale)} stale source object(s), none newly stale")
        alerts = settings.load_settings().alerts
        alert = Alert(f"Northstar: {len(newly)} source object(s) stale", [stale[k].describe() for k in newly],
                      {"Dagster": alerts.dagster_url})
        for delivery in send(alert, alerts):
            context.log.info(f"alert to {delivery.channel}: {'sent' if delivery.ok else 'not sent'} "
                             f"({delivery.detail})")
        return SkipReason(f"alerted: {', '.join(newly)}")

    return alert_on_stale_source
