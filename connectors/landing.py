"""Append-only raw landing in DuckDB: one row per record version, cursor committed with the rows.

Every API page is landed in one transaction that inserts the page's new record
versions, its quarantined records and the object's cursor. A run killed between
pages resumes from the last committed cursor; versions already landed are
skipped, so re-reading a page (a retry, a repeated page, a rerun) never
duplicates a version.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import polars as pl

META_SCHEMA = "raw_meta"


@dataclass
class RawRecord:
    record_id: str
    record_version: str
    updated_at: datetime | None
    payload: dict


@dataclass
class Quarantined:
    reason: str
    payload_text: str


@dataclass
class PageResult:
    landed: int = 0
    quarantined: int = 0
    rows: int = 0  # records read, landed or not


@dataclass
class LoadStats:
    source: str
    object: str
    load_id: str
    pages: int = 0
    landed: int = 0
    quarantined: int = 0
    calls: int = 0
    landed_by_table: dict[str, int] = field(default_factory=dict)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def payload_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def _payload_text(payload: dict) -> str:
    """The record as compact JSON text. orjson writes NaN as null; integers beyond 64 bits (which the client's
    standard-parser fallback reads) go through the standard writer, still valid JSON."""
    try:
        return orjson.dumps(payload).decode()
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


CHECKPOINT_THRESHOLD = "256MB"


def new_load_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


class RawStore:
    """The raw layer of the build warehouse."""

    def __init__(self, path: Path, memory_limit: str = "1GB") -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Checkpoint every CHECKPOINT_THRESHOLD of WAL, not DuckDB's default 16 MB: each checkpoint rewrites the
        # table's open row group (up to 122,880 rows), so with small checkpoints a long landing recompresses the
        # same rows over and over (Jira issues at medium: 34 µs of landing CPU a record, 17 at 256 MB). Every batch
        # is still committed to the WAL, so a killed run loses nothing it reported landed.
        self.con = duckdb.connect(str(path), config={"memory_limit": memory_limit,
                                                     "checkpoint_threshold": CHECKPOINT_THRESHOLD})
        self.con.execute(f"create schema if not exists {META_SCHEMA}")
        self.con.execute(f"""
            create table if not exists {META_SCHEMA}.cursors (
                source varchar, object varchar, cursor varchar, updated_at timestamptz,
                primary key (source, object))""")
        self.con.execute(f"""
            create table if not exists {META_SCHEMA}.loads (
                load_id varchar, source varchar, object varchar, started_at timestamptz,
                finished_at timestamptz, status varchar, pages integer, calls integer,
                rows_landed integer, rows_quarantined integer, error varchar)""")
        self._ready: set[str] = set()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> RawStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- tables ------------------------------------------------------------------------------

    def ensure_api_table(self, source: str, obj: str) -> str:
        table = f"raw_{source}.{obj}"
        if table not in self._ready:
            self.con.execute(f"create schema if not exists raw_{source}")
            self.con.execute(f"""
                create table if not exists {table} (
                    record_id varchar not null, record_version varchar not null, updated_at timestamptz,
                    payload varchar not null, _load_id varchar not null, _loaded_at timestamptz not null,
                    _source varchar not null)""")
            self.con.execute(f"""
                create table if not exists raw_{source}._quarantine (
                    object varchar, reason varchar, payload_text varchar, _load_id varchar,
                    _loaded_at timestamptz)""")
            self._ready.add(table)
        return table

    # -- cursors -----------------------------------------------------------------------------

    def cursor(self, source: str, obj: str) -> str | None:
        row = self.con.execute(
            f"select cursor from {META_SCHEMA}.cursors where source = ? and object = ?", [source, obj]
        ).fetchall()
        return row[0][0] if row else None

    def set_cursor(self, source: str, obj: str, cursor: str | None) -> None:
        """Move an object's cursor (a backfill); None forgets it, so the next read starts from the beginning."""
        if cursor is None:
            self.con.execute(f"delete from {META_SCHEMA}.cursors where source = ? and object = ?", [source, obj])
        else:
            self._save_cursor(source, obj, cursor)

    def _save_cursor(self, source: str, obj: str, cursor: str) -> None:
        self.con.execute(
            f"""insert into {META_SCHEMA}.cursors values (?, ?, ?, now())
                on conflict (source, object) do update set cursor = excluded.cursor, updated_at = now()""",
            [source, obj, cursor],
        )

    # -- landing -----------------------------------------------------------------------------

    def land_page(
        self,
        stats: LoadStats,
        pages: dict[str, tuple[list[RawRecord], list[Quarantined]]],
        cursor: str | None,
        page_count: int = 1,
    ) -> PageResult:
        """Land API pages (possibly several objects, e.g. tickets + side-loaded metrics) atomically.

        ``cursor`` is saved for ``stats.object`` in the same transaction, so it never runs ahead of the rows.
        """
        result = PageResult()
        now = datetime.now(UTC)
        self.con.execute("begin transaction")
        try:
            for obj, (records, quarantined) in pages.items():
                table = self.ensure_api_table(stats.source, obj)
                landed = self._insert_new_versions(table, records, stats, now)
                stats.landed_by_table[table] = stats.landed_by_table.get(table, 0) + landed
                result.landed += landed
                result.rows += len(records) + len(quarantined)
                for q in quarantined:
                    self.con.execute(
                        f"insert into raw_{stats.source}._quarantine values (?, ?, ?, ?, ?)",
                        [obj, q.reason, q.payload_text[:20_000], stats.load_id, now],
                    )
                result.quarantined += len(quarantined)
            if cursor is not None:
                self._save_cursor(stats.source, stats.object, cursor)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        stats.pages += page_count
        stats.landed += result.landed
        stats.quarantined += result.quarantined
        return result

    def _insert_new_versions(self, table: str, records: list[RawRecord], stats: LoadStats, now: datetime) -> int:
        if not records:
            return 0
        page = pl.DataFrame(
            {
                "record_id": [r.record_id for r in records],
                "record_version": [r.record_version for r in records],
                "updated_at": [r.updated_at for r in records],
                # compact JSON text, written here by orjson (or the standard writer), so valid by construction:
                # the column is varchar, because a json column re-validates every record on insert (13 µs for a
                # 1.5 KB Jira issue). DuckDB's JSON operators (->, ->>) read varchar the same.
                "payload": [_payload_text(r.payload) for r in records],
            },
            schema={"record_id": pl.Utf8, "record_version": pl.Utf8, "updated_at": pl.Datetime("us", "UTC"),
                    "payload": pl.Utf8},
        ).unique(subset=["record_id", "record_version"], keep="first", maintain_order=True)
        self.con.register("_page", page)
        try:
            # Objects versioned by time: probing only the page's time range lets DuckDB skip old row groups.
            since = page["updated_at"].min()
            time_filter = "and t.updated_at >= ?" if since is not None else ""
            (landed,) = self.con.execute(
                f"""insert into {table}
                    select p.record_id, p.record_version, p.updated_at, p.payload, ?, ?, ?
                    from _page p
                    where not exists (
                        select 1 from {table} t
                        where t.record_id = p.record_id and t.record_version = p.record_version {time_filter})""",
                [stats.load_id, now, stats.source, *([since] if since is not None else [])],
            ).fetchone()  # an insert answers with the number of rows it wrote
        finally:
            self.con.unregister("_page")
        return landed

    def record_load(self, stats: LoadStats, status: str, error: str | None = None) -> None:
        self.con.execute(
            f"insert into {META_SCHEMA}.loads values (?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?)",
            [stats.load_id, stats.source, stats.object, stats.started_at, status, stats.pages, stats.calls,
             stats.landed, stats.quarantined, error],
        )
