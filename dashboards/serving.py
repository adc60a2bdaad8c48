"""The serving database as the dashboards see it: read-only snapshots, a version key, the publish status.

A publish replaces ``serving/northstar.duckdb`` by an atomic rename, so the file's inode and mtime change
exactly when a new version is published: that triple is the version key. The app opens one snapshot per
version (``open_snapshot``) and runs each query on its own cursor (``reader``); a running app picks up new
data on the next rerun without a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from config import settings


def serving_file() -> Path:
    return settings.serving_path()


def version_key(path: Path | None = None) -> str | None:
    """Changes whenever a new version is published; None when nothing is published yet."""
    path = path or serving_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


def open_snapshot(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the version published now; it keeps reading that version after a publish.

    The file is ATTACHed to an in-memory database instead of opened by path: DuckDB shares one database
    instance per path within a process, so ``duckdb.connect(path)`` after a publish could hand back the
    replaced file's instance (old data under the new version key). An attach opens the file the path names
    now, and the open handle keeps the old inode readable for queries still running on it.
    """
    con = duckdb.connect(":memory:")
    quoted = str(path or serving_file()).replace("'", "''")
    con.execute(f"attach '{quoted}' as serving (read_only)")
    con.execute("use serving")
    return con


@contextmanager
def reader(snapshot: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on ``snapshot`` for one query: DuckDB connections are not shared across threads, cursors are
    cheap (well under 1 ms) and each Streamlit session runs in its own thread."""
    cursor = snapshot.cursor()
    try:
        cursor.execute("use serving")
        yield cursor
    finally:
        cursor.close()


def status(path: Path | None = None) -> dict:
    """``serving/status.json``: the last publish and the last attempt (blocked or not, and why)."""
    status_file = (path or serving_file()).with_name("status.json")
    try:
        return json.loads(status_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def runs(path: Path | None = None) -> list[dict]:
    """``serving/runs.json``: the newest runs first (trigger, outcome, seconds per step, rows, first cause)."""
    runs_file = (path or serving_file()).with_name("runs.json")
    try:
        return list(reversed(json.loads(runs_file.read_text())))
    except (FileNotFoundError, json.JSONDecodeError):
        return []


def stale_notice(path: Path | None = None) -> dict | None:
    """When the last refresh attempt failed or was blocked after the data being served was published: what and why."""
    current = status(path)
    attempt = current.get("last_attempt") or {}
    if attempt.get("decision") not in ("blocked", "failed"):
        return None
    published = current.get("last_published") or {}
    if published.get("run_id") == attempt.get("run_id"):
        return None
    return {"decision": attempt["decision"], "attempted": attempt.get("audited_at") or attempt.get("attempted_at"),
            "published": published.get("published_at"), "failures": attempt.get("blocking_failures") or []}
