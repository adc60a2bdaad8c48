"""Freshness: how long since each source last loaded successfully, against the lag the settings allow.

One definition read three ways: the Dagster freshness checks (on the build warehouse's load log), the
freshness alert sensor and the pipeline-status page (on the serving copy of the load log, i.e. what the
dashboards show). An API source is as fresh as its last successful load of each object; the HR export as
its last loaded file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

API_SOURCES = ("hubspot", "jira", "zendesk")
FILE_SOURCES = {"hr": "hr_"}  # source -> inbox file prefix


@dataclass(frozen=True)
class Freshness:
    source: str
    object: str  # an API object, or "export" for a file source
    last_loaded_at: datetime | None
    max_lag_hours: float
    now: datetime

    @property
    def lag_hours(self) -> float | None:
        if self.last_loaded_at is None:
            return None
        return round((self.now - self.last_loaded_at).total_seconds() / 3600, 2)

    @property
    def fresh(self) -> bool:
        return self.lag_hours is not None and self.lag_hours <= self.max_lag_hours

    def describe(self) -> str:
        if self.last_loaded_at is None:
            return f"{self.source}.{self.object}: never loaded (allowed lag {self.max_lag_hours:g} h)"
        return (f"{self.source}.{self.object}: last loaded {self.lag_hours:g} h ago at "
                f"{self.last_loaded_at:%Y-%m-%d %H:%M} UTC (allowed {self.max_lag_hours:g} h)")


def max_lag_hours(limits: object, source: str) -> float:
    """The allowed lag of a source from the ``[freshness]`` settings (``<source>_hours``)."""
    return float(getattr(limits, f"{source}_hours"))


def freshness(con: duckdb.DuckDBPyConnection, schema: str, limits: object, now: datetime | None = None,
              objects: dict[str, list[str]] | None = None) -> list[Freshness]:
    """Each API source object's and file source's freshness, from the load log in ``schema`` (``raw_meta`` in
    the build warehouse, ``pipeline`` in the serving database). ``objects`` lists the API objects expected
    (an object never loaded is stale); by default those the log has seen."""
    now = now or datetime.now(UTC)
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()}
    loads: dict[tuple[str, str], datetime] = {}
    if "loads" in tables:
        for source, obj, at in con.execute(
                f"select source, object, max(finished_at) from {schema}.loads where status = 'succeeded' "
                "group by source, object").fetchall():
            loads[(source, obj)] = _utc(at)
    expected = objects or {}
    out = []
    for source in API_SOURCES:
        names = sorted(set(expected.get(source, [])) | {o for s, o in loads if s == source})
        out += [Freshness(source, obj, loads.get((source, obj)), max_lag_hours(limits, source), now) for obj in names]
    for source, prefix in FILE_SOURCES.items():
        last = None
        if "inbox_files" in tables:
            last = con.execute(f"select max(loaded_at) from {schema}.inbox_files where status = 'loaded' "
                               "and file_name like ?", [f"{prefix}%"]).fetchone()[0]
        out.append(Freshness(source, "export", _utc(last) if last else None, max_lag_hours(limits, source), now))
    return out


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
