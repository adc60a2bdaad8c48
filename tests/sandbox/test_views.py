"""A view on disk shows exactly what the vendor's API would list at the clock, built once per store and clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import polars as pl
import pytest

from sandbox import views
from sandbox.views import View


def _reference(store: Path, clock: int) -> pl.DataFrame:
    """Latest version per id at the clock, in (ts, id) order: the rule the views must keep."""
    frame = pl.read_parquet(store).with_row_index("row")
    return (frame.filter(pl.col("ts") <= clock).sort("row").group_by("id", maintain_order=True).last()
            .sort(["ts", "id"]))


def _store(folder: Path, rows: list[tuple[str, int, dict]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "things.parquet"
    pl.DataFrame({"id": [r[0] for r in rows], "ts": [r[1] for r in rows],
                  "payload": [orjson.dumps(r[2]).decode() for r in rows]},
                 schema={"id": pl.Utf8, "ts": pl.Int64, "payload": pl.Utf8}).write_parquet(path)
    return path


@pytest.mark.parametrize("system, obj", [("hubspot", "deals"), ("jira", "issues"), ("zendesk", "tickets")])
def test_a_view_equals_latest_version_per_id_at_the_clock(small_company, tmp_path, system, obj,
                                                         monkeypatch):
    store = tmp_path / "sandbox" / system / f"{obj}.parquet"
    store.parent.mkdir(parents=True)
    shutil.copy(small_company / "sandbox" / system / f"{obj}.parquet", store)
    monkeypatch.setattr(views, "BATCH_ROWS", 997)  # many batches, with kept rows on both sides of each edge
    monkeypatch.setattr(views, "MMAP_FROM_BYTES", 1)  # read through mmap, as the large tier does
    ts = pl.read_parquet(store)["ts"]
    clock = int(ts.quantile(0.6))  # records with later versions after the clock show an older one
    view = View.at(store, clock)
    expected = _reference(store, clock)
    assert len(view) == expected.height > 0
    assert [view.id(i) for i in range(len(view))] == expected["id"].to_list()
    assert list(view.ts) == expected["ts"].to_list()
    assert [view.payload(i).decode() for i in range(len(view))] == expected["payload"].to_list()
    archived = [i for i, p in enumerate(expected["payload"]) if '"archived":true' in p]
    assert list(view.archived) == archived
    assert sorted(list(view.active) + archived) == list(range(len(view)))


def test_ties_keep_the_last_version_written_and_records_after_the_clock_are_hidden(tmp_path):
    store = _store(tmp_path / "sandbox" / "crm", [
        ("a", 10, {"v": 1}), ("b", 10, {"v": 1}), ("a", 20, {"v": 2}), ("a", 20, {"v": 3, "archived": True}),
        ("c", 30, {"v": 1}), ("b", 40, {"v": 2})])
    view = View.at(store, 30)
    assert [view.id(i) for i in range(len(view))] == ["b", "a", "c"]
    assert view.records(0, 10) == [{"v": 1}, {"v": 3, "archived": True}, {"v": 1}]
    assert list(view.archived) == [1] and list(view.active) == [0, 2]
    assert view.first_at_or_after(11) == 1 and view.first_at_or_after(31) == 3


def test_a_view_is_built_once_per_clock_and_rebuilt_when_the_store_changes(tmp_path):
    rows = [("1", 10, {"ticket_id": 7, "n": 1}), ("2", 20, {"ticket_id": 5, "n": 2})]
    store = _store(tmp_path / "sandbox" / "desk", rows)
    first = View.at(store, 100, key_field="ticket_id")
    assert orjson.loads(first.by_key(5)) == {"ticket_id": 5, "n": 2} and first.by_key(6) is None
    assert View.at(store, 100, key_field="ticket_id").folder == first.folder  # reused, not rebuilt
    _store(tmp_path / "sandbox" / "desk", [*rows, ("3", 30, {"ticket_id": 6, "n": 3})])
    changed = View.at(store, 100, key_field="ticket_id")
    assert changed.folder != first.folder and orjson.loads(changed.by_key(6))["n"] == 3
    assert not first.folder.exists()  # the stale view is removed
    assert [p.name for p in (tmp_path / "sandbox" / ".views").iterdir()] == [changed.folder.name]
    assert (tmp_path / "sandbox" / ".views").stat().st_mode & 0o077 == 0  # owner only, as the data folder


def test_a_view_asked_for_by_key_is_not_one_built_without_the_key(tmp_path):
    """A view without the key (built by someone listing the object) is not reused for lookups by key."""
    store = _store(tmp_path / "sand'box" / "desk", [("1", 10, {"ticket_id": 7, "n": 1})])
    plain = View.at(store, 100)
    with pytest.raises(LookupError, match="without a key field"):
        plain.by_key(7)
    keyed = View.at(store, 100, key_field="ticket_id")
    assert keyed.folder != plain.folder and orjson.loads(keyed.by_key(7))["n"] == 1
