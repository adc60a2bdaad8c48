"""Running a refresh in-process (the CLI, the bench and the tests all go through here) and reading its results."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from dagster import AssetKey, ConfigurableResource, DagsterEvent, DagsterInstance, ExecuteInProcessResult

from config import settings
from connectors.landing import META_SCHEMA
from orchestration.lock import refresh_lock

# our own errors already name source, object, endpoint or file: their class name adds nothing
SELF_EXPLAINING = {"SourceError", "RejectedFile", "Failure", "RefreshLocked", "PublishRefused"}


@dataclass(frozen=True)
class StepFailure:
    step: str
    cause: str  # one line: what failed and why
    trace: str  # the whole error chain, for the log file


def run_refresh(*, full: bool = False, sources: ConfigurableResource | None = None, verbose: bool = False,
                extract_only: bool = False, build_only: bool = False, since: date | None = None,
                instance: DagsterInstance | None = None) -> ExecuteInProcessResult:
    """The `refresh` job: extract, dbt build, audit, publish. ``full`` re-reads sources and rebuilds models;
    ``extract_only`` stops after landing raw, ``build_only`` starts from raw as it is. ``since`` (a backfill)
    re-reads each API source from that day and rebuilds only the periods that end on or after it.

    Holds the data folder's refresh lock (``RefreshLocked`` at once if another refresh holds it). A failed
    step is recorded in ``serving/status.json`` (the dashboards' red banner) and its trace in the run's log.
    """
    from orchestration.assets.dbt import ensure_manifest
    from orchestration.assets.extract import BACKFILL_TAG, extract_assets
    from orchestration.definitions import build_definitions
    from orchestration.history import record_run, run_record

    settings.owner_only_files()
    with refresh_lock(settings.northstar_home()):
        if full:
            reset_for_full_refresh(settings.warehouse_path())
        # the console logger stays quiet unless -v: progress and the summary are the CLI's, traces go to the log file
        run_config: dict = {"loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}}}
        selection: list[AssetKey] | None = None
        extracted = [key for assets in extract_assets for key in assets.keys]
        if extract_only:
            selection = extracted
        else:
            run_config["ops"] = {"northstar_dbt": {"config": {"full_refresh": full, "echo": verbose}}}
        ensure_manifest()
        instance = instance or DagsterInstance.ephemeral()
        definitions = build_definitions(sources=sources)
        if build_only:  # from raw as it is (a restored backup): dbt, audit, publish; no source is read
            graph = definitions.resolve_asset_graph()
            selection = [key for key in graph.materializable_asset_keys if key not in extracted]
        tags = {BACKFILL_TAG: since.isoformat()} if since else None  # read by the extract and dbt steps
        result = definitions.resolve_job_def("refresh").execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config, asset_selection=selection, tags=tags)
        write_run_log(result)
        record_failures(result)
        record_run(run_record(result.run_id, "refresh", result.dagster_run.tags, instance.all_logs(result.run_id)))
    return result


def first_cause(error) -> str:
    """One line for a Dagster error chain: the first of our own errors in it (they name source, object, endpoint
    or file), else the innermost error; without module paths."""
    while error.cause is not None and error.cls_name not in SELF_EXPLAINING:
        error = error.cause
    lines = error.message.strip().splitlines()
    message = lines[0] if lines else error.cls_name or "unknown error"
    prefix, sep, rest = message.partition(": ")
    if sep and " " not in prefix:  # "connectors.http.SourceError: ..." -> "..." / "duckdb.IOException: ..."
        name = prefix.rsplit(".", 1)[-1]
        message = rest if name in SELF_EXPLAINING else f"{name}: {rest}"
    return message


def step_failures(result: ExecuteInProcessResult) -> list[StepFailure]:
    return failures_in(result.all_events)


def failures_in(events: Iterable[DagsterEvent]) -> list[StepFailure]:
    """Each failed step of a run's events, with its one-line first cause and its whole trace."""
    out = []
    for event in events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            out.append(StepFailure(event.step_key, first_cause(error), error.to_string()))
    return out


def run_log_path(run_id: str) -> Path:
    path = settings.logs_dir() / "refresh"
    path.mkdir(parents=True, exist_ok=True)
    return path / f"{run_id}.log"


def write_run_log(result: ExecuteInProcessResult) -> Path:
    """Every event of the run, and each failure's whole trace, in ``logs/refresh/<run id>.log`` (mode 0600)."""
    path = run_log_path(result.run_id)
    lines = [f"{event.event_type_value} {event.step_key or ''} {event.message or ''}".strip()
             for event in result.all_events]
    for failure in step_failures(result):
        lines += ["", f"=== {failure.step} failed: {failure.cause}", failure.trace]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def failures_to_report(result: ExecuteInProcessResult) -> list[StepFailure]:
    return unrecorded(result.run_id, step_failures(result))


def unrecorded(run_id: str, failures: list[StepFailure]) -> list[StepFailure]:
    """The failed steps that have not recorded their own outcome: the audit step "fails" when a blocking check
    does, and the audit and publish steps write status.json themselves; a crash before they could counts."""
    from expectations.publish import read_status

    recorded = read_status(settings.serving_path()).get("last_attempt", {}).get("run_id") == run_id
    return [f for f in failures if not (recorded and f.step in ("audit", "serving__northstar"))]


def record_failures(result: ExecuteInProcessResult) -> list[StepFailure]:
    return record_run_failures(result.run_id, step_failures(result), run_log_path(result.run_id))


def record_run_failures(run_id: str, failures: list[StepFailure], log: Path | str) -> list[StepFailure]:
    """A failed extract or dbt step says so where a blocked audit does: ``serving/status.json`` (the banner)."""
    from expectations.publish import write_status

    failures = unrecorded(run_id, failures)
    if failures:
        write_status(settings.serving_path(), last_attempt={
            "run_id": run_id, "attempted_at": datetime.now(UTC).isoformat(), "decision": "failed",
            "failed_steps": [{"step": f.step, "cause": f.cause} for f in failures],
            "blocking_failures": [f"{f.step}: {f.cause}" for f in failures],
            "log": str(log),
        })
    return failures


def reset_for_full_refresh(warehouse: Path) -> None:
    """Forget every cursor so the next extract re-reads each source from the start.

    Raw history stays: it holds versions a source no longer shows, and versions
    already landed are skipped, so a full re-read adds only what is missing.
    """
    if not warehouse.exists():
        return
    with duckdb.connect(str(warehouse)) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = 'cursors'",
            [META_SCHEMA]).fetchall()[0][0]
        if exists:
            con.execute(f"delete from {META_SCHEMA}.cursors")


def _metadata(result: ExecuteInProcessResult, key: str) -> list[tuple[str, str, int]]:
    """(step, asset, value) for every materialisation that carries ``key`` in its metadata."""
    out = []
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if key in materialization.metadata:
            out.append((event.step_key, ".".join(materialization.asset_key.path),
                        int(materialization.metadata[key].value)))
    return out


def landed_rows(result: ExecuteInProcessResult) -> dict[str, int]:
    """Rows landed per raw table."""
    return {asset: n for _, asset, n in _metadata(result, "rows_landed")}


def api_calls(result: ExecuteInProcessResult) -> dict[str, int]:
    """API calls per extract step."""
    return {step: n for step, _, n in _metadata(result, "api_calls")}


def published(result: ExecuteInProcessResult) -> bool:
    return any(asset == "serving.northstar" for _, asset, _ in _metadata(result, "tables"))
