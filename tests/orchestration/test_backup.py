"""Backups: raw (with its cursors and load log) and the settings, restored into an empty data folder, give the
same marts; copies beyond the kept number go; a changed file or a non-empty folder is refused."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.helpers import northstar_env

# whole refreshes of companies of their own: `make test-scenarios` (run by .ci/run), out of `make test`'s 10 min
pytestmark = pytest.mark.scenario


def _northstar(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"NORTHSTAR_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True,
                          timeout=900)


def _marts_differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    with duckdb.connect() as con:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_catalog = "
                                            "'a' and table_schema = 'marts' order by 1").fetchall()]
        assert len(tables) >= 15
        out = {}
        for t in tables:
            only_a = con.execute(f"select count(*) from (from a.marts.{t} except all from b.marts.{t})").fetchone()[0]
            only_b = con.execute(f"select count(*) from (from b.marts.{t} except all from a.marts.{t})").fetchone()[0]
            if only_a or only_b:
                out[t] = (only_a, only_b)
        return out


def test_a_backup_restored_into_an_empty_folder_gives_identical_marts(refreshed_copy, tmp_path):
    backups = tmp_path / "backups"
    made = _northstar(refreshed_copy, "backup", "--to", str(backups))
    assert made.returncode == 0, made.stdout + made.stderr
    [copy] = list(backups.iterdir())
    assert (copy / "manifest.json").exists() and (copy / "northstar.toml").exists()
    assert (copy / "raw" / "raw_meta.cursors.parquet").exists() and (copy / "raw" / "raw_meta.loads.parquet").exists()
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in copy.rglob("*") if p.is_file())

    empty = tmp_path / "restored"
    restored = _northstar(empty, "restore", str(copy))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Built and published from the backup" in restored.stdout
    with duckdb.connect(str(refreshed_copy / "warehouse" / "northstar.duckdb"), read_only=True) as con:
        cursors = con.execute("select source, object, cursor from raw_meta.cursors order by 1, 2").fetchall()
    with duckdb.connect(str(empty / "warehouse" / "northstar.duckdb"), read_only=True) as con:
        assert con.execute("select source, object, cursor from raw_meta.cursors order by 1, 2").fetchall() == cursors
    assert _marts_differences(refreshed_copy / "serving" / "northstar.duckdb",
                              empty / "serving" / "northstar.duckdb") == {}


def test_only_the_newest_copies_are_kept_and_a_changed_file_is_refused(refreshed_copy, tmp_path):
    from orchestration.backup import BackupError, backup, restore

    with northstar_env(refreshed_copy):
        results = [backup(tmp_path / "b", keep=2) for _ in range(3)]
    kept = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert kept == sorted(r.folder.name for r in results[1:]) and results[2].removed == [results[0].folder]

    newest = results[2].folder
    victim = newest / "raw" / "raw_hubspot.deals.parquet"
    victim.write_bytes(victim.read_bytes()[:-10])
    with pytest.raises(BackupError, match=r"raw_hubspot\.deals\.parquet: missing or changed"):
        restore(newest, tmp_path / "target")
    assert not (tmp_path / "target" / "warehouse" / "northstar.duckdb").exists()
    with pytest.raises(BackupError, match="already holds a warehouse"):
        restore(results[1].folder, refreshed_copy)
    edited = tmp_path / "edited"  # a manifest edited by hand may not run other SQL on restore
    shutil.copytree(results[1].folder, edited)
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["tables"][0]["ddl"] += " copy (select 1) to '/tmp/owned.csv';"
    (edited / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="is not a raw or closes table as Northstar writes it"):
        restore(edited, tmp_path / "target2")
    assert not (tmp_path / "target2" / "warehouse" / "northstar.duckdb").exists()
