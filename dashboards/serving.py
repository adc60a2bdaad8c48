"""The serving database as the dashboards see it: read-only connections, a version key, the publish status.

A publish replaces ``serving/northstar.duckdb`` by an atomic rename, so the file's inode and mtime change
exactly when a new version is published: that pair is the cache key, and a running app picks up the new
data on the next rerun without a restart.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from orchestration import settings


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


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection: many readers may hold one while the pipeline writes its own build file.

    Close it after use: DuckDB shares one open database per path within a process, so a connection kept open
    would keep serving the replaced file's data to every later connect (a new publication would not show)."""
    return duckdb.connect(str(path or serving_file()), read_only=True)


def status(path: Path | None = None) -> dict:
    """``serving/status.json``: the last publish and the last attempt (blocked or not, and why)."""
    status_file = (path or serving_file()).with_name("status.json")
    try:
        return json.loads(status_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def stale_notice(path: Path | None = None) -> dict | None:
    """When the last refresh attempt was blocked after the data being served was published: what and why."""
    current = status(path)
    attempt = current.get("last_attempt") or {}
    if attempt.get("decision") != "blocked":
        return None
    published = current.get("last_published") or {}
    if published.get("run_id") == attempt.get("run_id"):
        return None
    return {"attempted": attempt.get("audited_at"), "published": published.get("published_at"),
            "failures": attempt.get("blocking_failures") or []}
