"""Publish: copy the audited marts into a new serving file and rename it over the old one.

DuckDB lets one process write a file or many read it, never both, so dashboards never read the
build warehouse. A publish writes ``serving/.northstar-<run>.duckdb``, checkpoints and closes it,
then ``os.replace``s it over ``serving/northstar.duckdb``: a reader that opened the old file keeps
reading the old version whole, a reader that opens the path afterwards gets the new one whole.
``serving/status.json`` says what the last refresh attempt did (published, or blocked and why).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from config.settings import load_settings

PUBLISHED_SCHEMAS = ("marts", "audit")
# the load log, so the dashboards' pipeline page can say what was landed when (not the raw records themselves)
PIPELINE_TABLES = {"raw_meta.loads": "pipeline.loads", "raw_meta.inbox_files": "pipeline.inbox_files"}


@dataclass
class Publication:
    run_id: str
    path: Path
    tables: dict[str, int]


class PublishRefused(RuntimeError):
    """The audit of this run found blocking failures: the serving data stays as it was."""


def audit_decision(build: Path, run_id: str) -> str | None:
    with duckdb.connect(str(build), read_only=True) as con:
        rows = con.execute("select decision from audit.runs where run_id = ?", [run_id]).fetchall()
    return rows[0][0] if rows else None


def publish(build: Path, serving: Path, run_id: str) -> Publication:
    """Publish the build's marts and audit history if the audit of ``run_id`` allows it."""
    decision = audit_decision(build, run_id)
    if decision != "publish":
        raise PublishRefused(f"run {run_id} is not publishable (audit decision: {decision or 'no audit'})")
    serving.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(serving)
    staging_file = serving.with_name(f".{serving.stem}-{run_id}.duckdb")
    tables: dict[str, int] = {}
    con = duckdb.connect(str(staging_file), config={"memory_limit": load_settings().memory_limit})
    try:
        con.execute("attach '{}' as build (read_only)".format(str(build).replace("'", "''")))  # a quote in a path
        listing = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'build' "
            f"and schema_name in {PUBLISHED_SCHEMAS} order by 1, 2").fetchall()
        for schema, table in listing:
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from build.{schema}.{table}")
            tables[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchall()[0][0]
        con.execute("create schema if not exists pipeline")
        present = {f"{s}.{t}" for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'build'").fetchall()}
        for source_table, target in PIPELINE_TABLES.items():
            if source_table in present:
                con.execute(f"create table {target} as select * from build.{source_table}")
                tables[target] = con.execute(f"select count(*) from {target}").fetchall()[0][0]
        con.execute("create schema if not exists meta")
        con.execute("create table meta.publication (run_id varchar, published_at timestamptz)")
        con.execute("insert into meta.publication values (?, ?)", [run_id, datetime.now(UTC)])
        con.execute("create table meta.publication_tables (table_name varchar, row_count bigint)")
        con.executemany("insert into meta.publication_tables values (?, ?)", list(tables.items()))
        con.execute("detach build")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(staging_file, serving)  # atomic on POSIX: readers see the old file or the new one
    return Publication(run_id, serving, tables)


def remove_orphans(serving: Path) -> list[Path]:
    """Half-written serving files of publishes that were killed (one refresh runs at a time, so none is live)."""
    orphans = [*serving.parent.glob(f".{serving.stem}-*.duckdb"), *serving.parent.glob(f".{serving.stem}-*.duckdb.wal")]
    for path in orphans:
        path.unlink(missing_ok=True)
    return orphans


def write_status(serving: Path, **fields: object) -> dict:
    """Merge ``fields`` into ``status.json`` beside the serving file (atomically)."""
    path = serving.with_name("status.json")
    status = read_status(serving)
    status.update(fields)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, indent=2, default=str))
    os.replace(tmp, path)
    return status


def read_status(serving: Path) -> dict:
    path = serving.with_name("status.json")
    return json.loads(path.read_text()) if path.exists() else {}
