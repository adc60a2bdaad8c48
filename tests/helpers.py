"""Shared test helpers: run a refresh against a NORTHSTAR_HOME and read what landed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from config.settings import environment

RAW_SCHEMAS = ("raw_hubspot", "raw_jira", "raw_zendesk", "raw_hr", "raw_goals", "raw_one_on_ones", "raw_reviews",
               "raw_manual")


@contextmanager
def northstar_env(home: Path, **extra: str) -> Iterator[None]:
    """Point settings at ``home`` (and set extra NORTHSTAR_* variables) for the block."""
    values = {"NORTHSTAR_HOME": str(home), **{f"NORTHSTAR_{k.upper()}": v for k, v in extra.items()}}
    with environment(values):
        yield


@dataclass
class RefreshOutcome:
    success: bool
    landed: dict[str, int]
    calls: dict[str, int]  # API calls per extract step


def refresh(home: Path, faults: str = "", full: bool = False, extract_only: bool = False, **env: str) -> RefreshOutcome:
    """A refresh of ``home`` as `northstar refresh [--full]` runs it; ``extract_only`` skips dbt onwards."""
    from cli.sandbox_location import sources_for_home
    from orchestration.refresh import api_calls, landed_rows, run_refresh

    with northstar_env(home, **env):
        result = run_refresh(full=full, sources=sources_for_home(faults), extract_only=extract_only)
    return RefreshOutcome(result.success, landed_rows(result), api_calls(result))


def raw_tables(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema like 'raw_%' and table_schema <> 'raw_meta' and table_name not like '\\_%' escape '\\' "
            "order by 1").fetchall()
    return [r[0] for r in rows]


def table_rows(warehouse: Path, table: str, exclude: tuple[str, ...] = ("_load_id", "_loaded_at")) -> list[tuple]:
    """Every row of a table (minus load bookkeeping), sorted: for comparing two warehouses."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cols = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema || '.' || table_name = ? "
            "order by ordinal_position", [table]).fetchall() if r[0] not in exclude]
        select = ", ".join(f"{c}::varchar" for c in cols)
        return sorted(con.execute(f"select {select} from {table}").fetchall(), key=lambda r: tuple(map(str, r)))


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """The whole raw layer, load bookkeeping included (for 'nothing changed' checks)."""
    return {t: table_rows(warehouse, t, exclude=()) for t in raw_tables(warehouse)}
