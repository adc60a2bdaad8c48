"""Backups of what only Northstar still has: the raw layer (versions sources no longer keep: archived and changed
records, files long deleted from the inbox), with its cursors and load log, and the settings.

``backup`` copies every ``raw_*`` table (``raw_meta`` holds the cursors, load log and inbox log) and the period
closes to Parquet from one snapshot of the warehouse, while holding the data folder's refresh lock, into a new
folder named by its time; the folder appears whole (written under a temporary name, then renamed) and carries
a manifest (each table's DDL, rows and SHA-256). ``restore`` checks the manifest and rebuilds a warehouse's raw
layer in an empty data folder; a build from it (dbt, audit, publish) gives the marts back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from config import settings
from connectors.inbox import file_sha256
from orchestration.lock import refresh_lock

MANIFEST = "manifest.json"
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
KEPT_SCHEMAS = "schema_name like 'raw\\_%' escape '\\' or schema_name = 'closes'"


class BackupError(RuntimeError):
    """A backup that cannot be made or restored; names the folder or file and why."""


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    tables: int
    rows: int
    removed: list[Path]  # older copies beyond the kept number


def backup_root() -> Path:
    configured = settings.load_settings().backup.folder
    return Path(configured).expanduser().resolve() if configured else settings.northstar_home() / "backups"


def backup(target_root: Path | None = None, keep: int | None = None, wait_seconds: float = 0.0) -> BackupResult:
    """A consistent copy of raw and the settings into ``<target_root>/<UTC time>/``; keeps the newest ``keep``."""
    config = settings.load_settings().backup
    target_root = target_root or backup_root()
    keep = config.keep if keep is None else keep
    warehouse = settings.warehouse_path()
    if not warehouse.exists():
        raise BackupError(f"no warehouse in {settings.northstar_home()}: nothing to back up yet")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target_root.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target_root / f".{stamp}.partial"
    (partial / "raw").mkdir(mode=0o700, parents=True)
    try:
        with refresh_lock(settings.northstar_home(), wait_seconds=wait_seconds):
            tables = _copy_raw(warehouse, partial / "raw")
        if settings.SETTINGS_FILE.exists():  # copied without its mode: everything in a backup is the owner's alone
            shutil.copyfile(settings.SETTINGS_FILE, partial / "northstar.toml")
            (partial / "northstar.toml").chmod(0o600)
        manifest = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "data_folder": str(settings.northstar_home()), "tables": tables}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1))
        final = target_root / stamp
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    removed = prune(target_root, keep)
    return BackupResult(final, len(tables), sum(t["rows"] for t in tables), removed)


def _copy_raw(warehouse: Path, folder: Path) -> list[dict]:
    tables = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("begin transaction")  # one snapshot for every table
        rows = con.execute(f"select schema_name, table_name, sql from duckdb_tables() where {KEPT_SCHEMAS} "
                           "order by 1, 2").fetchall()
        for schema, name, ddl in rows:
            path = folder / f"{schema}.{name}.parquet"
            quoted = str(path).replace("'", "''")  # a backup folder's name may hold a quote
            con.execute(f"copy {schema}.{name} to '{quoted}' (format parquet, compression zstd)")
            count = con.execute(f"select count(*) from {schema}.{name}").fetchone()[0]
            tables.append({"schema": schema, "table": name, "ddl": ddl, "rows": count,
                           "file": f"raw/{path.name}", "sha256": file_sha256(path)})
        con.execute("commit")
    return tables


def _check_entry(manifest_path: Path, table: dict) -> None:
    """The manifest's statements are run on restore: each must create the raw or closes table it names, from a
    file inside the backup, and nothing else (a manifest edited by hand must not run other SQL)."""
    schema, name = str(table.get("schema", "")), str(table.get("table", ""))
    kept = schema == "closes" or (schema.startswith("raw_") and IDENTIFIER.fullmatch(schema))
    ddl = " ".join(str(table.get("ddl", "")).split())
    if not (kept and IDENTIFIER.fullmatch(name) and ddl.upper().startswith(f"CREATE TABLE {schema}.{name}(".upper())
            and ";" not in ddl.rstrip(";") and table.get("file") == f"raw/{schema}.{name}.parquet"):
        raise BackupError(f"{manifest_path}: the entry for {schema}.{name} is not a raw or closes table as "
                          "Northstar writes it; nothing was restored")


def prune(target_root: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest complete backups (never a half-written one of another process)."""
    copies = sorted(p for p in target_root.iterdir() if p.is_dir() and (p / MANIFEST).exists()
                    and not p.name.startswith("."))
    stale = copies[:-keep] if keep > 0 else []
    for path in stale:
        shutil.rmtree(path)
    return stale


def restore(backup_folder: Path, home: Path | None = None) -> dict[str, int]:
    """Rebuild the raw layer of an empty data folder from a backup; returns rows per table."""
    home = home or settings.northstar_home()
    manifest_path = backup_folder / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{backup_folder} is not a Northstar backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    for table in manifest["tables"]:
        _check_entry(manifest_path, table)
        path = backup_folder / table["file"]
        if not path.exists() or file_sha256(path) != table["sha256"]:
            raise BackupError(f"{path}: missing or changed since the backup was made (SHA-256 differs); "
                              "nothing was restored")
    warehouse = home / "warehouse" / "northstar.duckdb"
    if warehouse.exists():
        raise BackupError(f"{home} already holds a warehouse: restore into an empty data folder")
    warehouse.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    building = warehouse.with_name(".restoring.duckdb")
    building.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    with refresh_lock(home):
        try:
            with duckdb.connect(str(building)) as con:
                for table in manifest["tables"]:
                    name = f"{table['schema']}.{table['table']}"
                    con.execute(f"create schema if not exists {table['schema']}")
                    con.execute(table["ddl"])
                    con.execute(f"insert into {name} select * from read_parquet(?)",
                                [str(backup_folder / table["file"])])
                    counts[name] = con.execute(f"select count(*) from {name}").fetchone()[0]
                    if counts[name] != table["rows"]:
                        raise BackupError(f"{name}: restored {counts[name]} rows, the backup holds {table['rows']}")
            os.rename(building, warehouse)
        finally:
            building.unlink(missing_ok=True)
    if (backup_folder / "northstar.toml").exists():
        shutil.copyfile(backup_folder / "northstar.toml", home / "northstar.toml.restored")
        (home / "northstar.toml.restored").chmod(0o600)
    return counts
