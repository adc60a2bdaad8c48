"""The monthly period close: freeze a month's KPI values, goal statuses and the records behind them as they were
published, so a later correction of that month shows as a restatement (``marts.fct_kpi_restatements``) instead
of silently changing a number people already acted on.

Closes live in the warehouse's ``closes`` schema, beside raw and like it outside dbt's reach (dbt reads them as
sources; backups copy them). A month closes once; closing it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

from config import settings
from orchestration.lock import refresh_lock

CLOSE_TABLES = [
    """create table if not exists closes.periods (
           close_month date primary key, closed_at timestamptz, published_run_id varchar)""",
    """create table if not exists closes.kpi_values (
           close_month date, kpi_key varchar, subject_type varchar, subject_id varchar, value double,
           numerator double, denominator double, record_count bigint)""",
    """create table if not exists closes.goal_status (
           close_month date, goal_id varchar, as_of_date date, actual double, target double, attainment double,
           status varchar)""",
    """create table if not exists closes.kpi_records (
           close_month date, kpi_key varchar, record_id varchar, label varchar, employee_id varchar,
           org_unit_id varchar, event_date date, value double, numerator double, denominator double)""",
]


class CloseRefused(RuntimeError):
    """The month cannot be closed yet (or there is nothing published); names why."""


@dataclass(frozen=True)
class CloseResult:
    month: date
    already_closed: bool
    kpi_values: int = 0
    goal_statuses: int = 0
    records: int = 0


def ensure_close_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists closes")
    for ddl in CLOSE_TABLES:
        con.execute(ddl)


def previous_month(now: datetime | None = None) -> date:
    """The month that ended last, in the company's time zone."""
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(settings.load_settings().timezone)).date()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def close_month(month: date | None = None, wait_seconds: float = 0.0) -> CloseResult:
    """Freeze ``month`` (default: the previous one) from the serving database, i.e. as published."""
    month = (month or previous_month()).replace(day=1)
    last_day = month_end(month)
    serving = settings.serving_path()
    if not serving.exists():
        raise CloseRefused("nothing is published yet: a month closes on published data")
    with refresh_lock(settings.northstar_home(), wait_seconds=wait_seconds), \
            duckdb.connect(str(settings.warehouse_path())) as con:
        ensure_close_tables(con)
        if con.execute("select 1 from closes.periods where close_month = ?", [month]).fetchone():
            return CloseResult(month, already_closed=True)
        con.execute("attach '{}' as published (read_only)".format(str(serving).replace("'", "''")))
        try:
            as_of = con.execute("select max(as_of_date) from published.marts.fct_goal_progress").fetchone()[0]
            if as_of is None or as_of < last_day:
                raise CloseRefused(f"the published data reach {as_of or 'no date'}: {month:%Y-%m} closes once its "
                                   f"last day ({last_day}) is published")
            run_id = con.execute("select run_id from published.meta.publication").fetchone()[0]
            con.execute("begin transaction")
            values = _insert(con, month, """
                insert into closes.kpi_values select ?, kpi_key, subject_type, subject_id, value, numerator,
                       denominator, record_count
                from published.marts.fct_kpi_values where period_type = 'month' and period_start = ?""", [month])
            goals = _insert(con, month, """
                insert into closes.goal_status select ?, goal_id, as_of_date, actual, target, attainment, status
                from published.marts.fct_goal_progress where as_of_date = ?""", [last_day])
            records = _insert(con, month, """
                insert into closes.kpi_records select ?, kpi_key, record_id, label, employee_id, org_unit_id,
                       event_date, value, numerator, denominator
                from published.marts.fct_kpi_records where event_date between ? and ?""", [month, last_day])
            con.execute("insert into closes.periods values (?, ?, ?)", [month, datetime.now(UTC), run_id])
            con.execute("commit")
        finally:
            con.execute("detach published")
    return CloseResult(month, False, values, goals, records)


def _insert(con: duckdb.DuckDBPyConnection, month: date, sql: str, params: list) -> int:
    return con.execute(sql, [month, *params]).fetchone()[0]
