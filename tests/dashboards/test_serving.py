"""The serving snapshot: one version per connection, a new publication seen by the next snapshot."""

from __future__ import annotations

import os
import shutil

import duckdb

from dashboards import serving


def _publish_copy(serving_file, tmp_path, name: str) -> None:
    """What a publish does: write a new file beside the served one, then rename it over it."""
    new_version = tmp_path / "next.duckdb"
    shutil.copy(serving_file, new_version)
    with duckdb.connect(str(new_version)) as con:
        con.execute("update meta.publication set run_id = ?", [name])
    os.replace(new_version, serving_file)


def _run_id(con) -> str:
    return con.execute("select run_id from meta.publication").fetchall()[0][0]


def test_a_snapshot_keeps_its_version_and_the_next_one_sees_the_new_publication(dashboard_home, tmp_path):
    home, _, _ = dashboard_home
    serving_file = tmp_path / "northstar.duckdb"
    shutil.copy(home / "serving" / "northstar.duckdb", serving_file)
    _publish_copy(serving_file, tmp_path, "first")
    old_key = serving.version_key(serving_file)
    old = serving.open_snapshot(serving_file)
    # another reader in the process holds the path open: DuckDB's per-path instance cache would hand a
    # plain connect() this same (old) database after the publish below
    holder = duckdb.connect(str(serving_file), read_only=True)
    try:
        _publish_copy(serving_file, tmp_path, "second")
        assert serving.version_key(serving_file) != old_key
        with serving.reader(old) as con:
            assert _run_id(con) == "first"  # a query in flight on the old version reads it whole
        new = serving.open_snapshot(serving_file)
        with serving.reader(new) as con:
            assert _run_id(con) == "second"
            assert con.execute("select count(*) from marts.dim_employee").fetchall()[0][0] > 0
    finally:
        holder.close()
        old.close()


def test_cursors_of_one_snapshot_work_from_many_threads(dashboard_home):
    from concurrent.futures import ThreadPoolExecutor

    home, _, _ = dashboard_home
    snapshot = serving.open_snapshot(home / "serving" / "northstar.duckdb")

    def count(_: int) -> int:
        with serving.reader(snapshot) as con:
            return con.execute("select count(*) from marts.fct_goal_status").fetchall()[0][0]

    with ThreadPoolExecutor(4) as pool:
        counts = set(pool.map(count, range(32)))
    assert len(counts) == 1 and counts.pop() > 0
