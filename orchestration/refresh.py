"""Helpers around a refresh run: full-refresh reset, and what a run landed."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import ExecuteInProcessResult

from connectors.landing import META_SCHEMA


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


def landed_rows(result: ExecuteInProcessResult) -> dict[str, int]:
    """Rows landed per raw table, from the materialisations' metadata."""
    counts: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        value = materialization.metadata.get("rows_landed")
        if value is not None:
            name = ".".join(materialization.asset_key.path)
            counts[name] = counts.get(name, 0) + int(value.value)
    return counts
