"""Jobs: what each kind of run materialises. A job that rebuilds part of the warehouse still runs the whole
audit (the publish gate judges the warehouse, not the part) and publishes."""

from dagster import AssetChecksDefinition, AssetSelection, OpExecutionContext, define_asset_job, job, op

from config import settings
from orchestration.assets.extract import api_assets_of, extract_inbox


def build_jobs(audit: AssetChecksDefinition, freshness: list[AssetChecksDefinition]) -> dict[str, object]:
    # the audit is one step over every checked model: a partial run rebuilds those models too (views, mostly)
    whole_audit = AssetSelection.assets(*{key.asset_key for key in audit.check_keys})
    return {
        "refresh": define_asset_job(
            "refresh", selection=AssetSelection.all(),
            description="Extract every source into raw, then build, audit and publish everything downstream."),
        "ticket_desk": define_asset_job(
            "ticket_desk", selection=AssetSelection.assets(*api_assets_of("zendesk")).downstream() | whole_audit,
            description="Zendesk (tickets change by the hour) and only what depends on it, audited and published."),
        "inbox": define_asset_job(
            "inbox", selection=AssetSelection.assets(extract_inbox).downstream() | whole_audit,
            description="The files waiting in the inbox and everything downstream of them, audited and published."),
        "freshness": define_asset_job(
            "freshness", selection=AssetSelection.checks(*freshness),
            description="Every source's freshness check, on its own."),
        "backup": backup_job,
        "period_close": period_close_job,
    }


@op(name="backup_raw")
def backup_raw(context: OpExecutionContext) -> None:
    """Raw, its cursors and load log, and the settings, copied from one snapshot (see orchestration/backup.py)."""
    from orchestration.backup import backup

    wait = settings.load_settings().schedules.wait_for_manual_refresh_minutes * 60
    result = backup(wait_seconds=wait)
    context.log.info(f"backup {result.folder}: {result.tables} tables, {result.rows:,} rows; "
                     f"{len(result.removed)} older copies removed")


@job(name="backup", description="Copy raw (with its cursors and load log) and the settings; keep the newest N.")
def backup_job() -> None:
    backup_raw()


@op(name="close_month")
def close_previous_month(context: OpExecutionContext) -> None:
    """Freeze the month that ended, as published (see orchestration/close.py)."""
    from orchestration.close import close_month

    wait = settings.load_settings().schedules.wait_for_manual_refresh_minutes * 60
    result = close_month(wait_seconds=wait)
    context.log.info(f"{result.month:%Y-%m} was already closed" if result.already_closed else
                     f"closed {result.month:%Y-%m}: {result.kpi_values} KPI values, {result.goal_statuses} goal "
                     f"statuses, {result.records} records frozen")


@job(name="period_close", description="Freeze the KPI values, goal statuses and records of the month that ended.")
def period_close_job() -> None:
    close_previous_month()
