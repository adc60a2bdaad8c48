"""Raw landing: dedup of versions, quarantine, and the cursor committed with the rows."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import ClassVar

import duckdb
import pytest

from connectors.base import ApiConnector, ObjectSpec, Page, collection_paused
from connectors.landing import RawStore

SPEC = ObjectSpec("things", lambda r: r.get("id"), lambda r: r["updated_at"])


class FakeConnector(ApiConnector):
    """Serves scripted pages; ``fail_after`` raises after that many pages (a crash mid-extract)."""

    source = "fake"
    objects = ("things",)
    specs: ClassVar[dict] = {"things": SPEC}

    def __init__(self, pages: list[Page], fail_after: int | None = None) -> None:
        self._pages, self.fail_after = pages, fail_after

        class _Calls:
            calls = 0

            def start_object(self, obj: str) -> None:
                pass

        self.client = _Calls()

    def read_things(self, cursor: str | None) -> Iterator[Page]:
        self.started_from = cursor
        for n, page in enumerate(self._pages):
            if self.fail_after is not None and n == self.fail_after:
                raise ConnectionError("killed")
            yield page


def thing(i: int, ts: str = "2026-01-01T00:00:00Z", **extra) -> dict:
    return {"id": i, "updated_at": ts, **extra}


def rows(store: RawStore) -> list[tuple]:
    return store.con.execute("select record_id, record_version from raw_fake.things order by 1, 2").fetchall()


def test_bad_records_are_quarantined_and_the_rest_of_the_page_lands(tmp_path):
    page = Page({"things": [thing(1), {"updated_at": "2026-01-01T00:00:00Z"}, thing(2, ts="not a time"),
                            thing(3)]}, "c1")
    with RawStore(tmp_path / "w.duckdb") as store:
        stats = FakeConnector([page]).extract(store, "things")
        assert [r[0] for r in rows(store)] == ["1", "3"]
        reasons = store.con.execute("select reason from raw_fake._quarantine order by 1").fetchall()
        assert reasons == [("things: Invalid isoformat string: 'not a time'",), ("things: missing id",)]
        assert (stats.landed, stats.quarantined) == (2, 2)
        assert store.cursor("fake", "things") == "c1"


def test_payloads_land_as_valid_json_text_big_integers_and_unicode_kept(tmp_path):
    """Payloads go in as orjson's text without a `::json` re-parse; what orjson cannot write (integers beyond
    64 bits, which the client's fallback parser reads) goes through the standard writer."""
    page = Page({"things": [thing(1, amount=2**70, name="Zoë 李"), thing(2, ratio=float("nan"))]}, "c1")
    with RawStore(tmp_path / "w.duckdb") as store:
        FakeConnector([page]).extract(store, "things")
        landed = store.con.execute("""select record_id, json_valid(payload), payload->>'$.amount',
                                      payload->>'$.name', payload->>'$.ratio'
                                      from raw_fake.things order by 1""").fetchall()
    assert landed == [("1", True, str(2**70), "Zoë 李", None), ("2", True, None, None, None)]


def test_versions_already_landed_are_skipped_within_and_across_pages(tmp_path):
    p1 = Page({"things": [thing(1), thing(1), thing(2)]}, "c1")
    p2 = Page({"things": [thing(2), thing(1, ts="2026-01-02T00:00:00Z")]}, "c2")
    with RawStore(tmp_path / "w.duckdb") as store:
        stats = FakeConnector([p1, p2]).extract(store, "things")
        assert rows(store) == [("1", "2026-01-01T00:00:00+00:00"), ("1", "2026-01-02T00:00:00+00:00"),
                               ("2", "2026-01-01T00:00:00+00:00")]
        assert stats.landed == 3
        again = FakeConnector([p1, p2]).extract(store, "things")
        assert again.landed == 0 and len(rows(store)) == 3


def test_a_crash_keeps_committed_pages_and_their_cursor_only(tmp_path):
    pages = [Page({"things": [thing(i)]}, f"c{i}") for i in range(1, 5)]
    with RawStore(tmp_path / "w.duckdb") as store:
        with pytest.raises(ConnectionError):
            FakeConnector(pages, fail_after=2).extract(store, "things")
        assert [r[0] for r in rows(store)] == ["1", "2"]
        assert store.cursor("fake", "things") == "c2"
        status = store.con.execute("select status, rows_landed, error from raw_meta.loads").fetchall()
        assert status == [("failed", 2, "ConnectionError: killed")]
        rerun = FakeConnector(pages)
        rerun.extract(store, "things")
        assert rerun.started_from == "c2"
        assert [r[0] for r in rows(store)] == ["1", "2", "3", "4"]


def test_pages_land_in_batches_with_the_cursor_of_the_last_page_read(tmp_path, monkeypatch):
    import connectors.base

    monkeypatch.setattr(connectors.base, "BATCH_ROWS", 3)
    pages = [Page({"things": [thing(i)]}, f"c{i}" if i != 6 else None) for i in range(1, 8)]
    with RawStore(tmp_path / "w.duckdb") as store:
        committed: list[tuple[str | None, list[str]]] = []
        land = store.land_page

        def spy(stats, split, cursor, page_count=1):
            committed.append((cursor, [r.record_id for r in split["things"][0]]))
            return land(stats, split, cursor, page_count)

        monkeypatch.setattr(store, "land_page", spy)
        stats = FakeConnector(pages).extract(store, "things")
        # three transactions, not seven; a page without a cursor (c6) leaves the newest one before it
        assert committed == [("c3", ["1", "2", "3"]), ("c5", ["4", "5", "6"]), ("c7", ["7"])]
        assert (stats.pages, stats.landed) == (7, 7)
        assert store.cursor("fake", "things") == "c7"


def test_a_failing_insert_rolls_back_rows_and_cursor(tmp_path, monkeypatch):
    with RawStore(tmp_path / "w.duckdb") as store:
        FakeConnector([Page({"things": [thing(1)]}, "c1")]).extract(store, "things")

        def broken(*args, **kwargs):
            raise duckdb.IOException("disk full")

        monkeypatch.setattr(store, "_save_cursor", broken)
        with pytest.raises(duckdb.IOException):
            FakeConnector([Page({"things": [thing(2)]}, "c2")]).extract(store, "things")
        assert [r[0] for r in rows(store)] == ["1"]
        monkeypatch.undo()
        assert store.cursor("fake", "things") == "c1"


def test_read_ahead_keeps_the_order_raises_after_the_pages_read_and_stops_when_the_caller_stops():
    import threading

    from connectors.base import read_ahead

    def pages(n: int, fail_at: int | None = None):
        for i in range(n):
            if i == fail_at:
                raise ConnectionError("reset")
            yield Page({"things": [thing(i)]}, f"c{i}")

    assert [p.cursor for p in read_ahead(pages(20), "t")] == [f"c{i}" for i in range(20)]
    seen = []
    with pytest.raises(ConnectionError):
        for page in read_ahead(pages(10, fail_at=7), "t"):
            seen.append(page.cursor)
    assert seen == [f"c{i}" for i in range(7)]
    endless = read_ahead(pages(10**9), "t")
    assert next(endless).cursor == "c0"
    endless.close()  # the caller stops: the reader thread ends instead of reading a billion pages
    assert not [t for t in threading.enumerate() if t.name.startswith("read-ahead")]


class CollectorWatcher(FakeConnector):
    """Records whether the cyclic collector was on while each page was read."""

    def read_things(self, cursor: str | None) -> Iterator[Page]:
        self.collector_on: list[bool] = []
        for page in super().read_things(cursor):
            self.collector_on.append(gc.isenabled())
            yield page


@pytest.mark.parametrize("fail_after", [None, 1])
def test_the_cyclic_collector_is_off_while_pages_are_read_and_on_again_after(tmp_path, fail_after):
    """Parsing pages makes millions of objects; the collector walking everything the process holds on each
    pass cost 90 % of orjson's time on Jira pages. It must come back afterwards, a failed extract included."""
    assert gc.isenabled()
    connector = CollectorWatcher([Page({"things": [thing(i)]}, f"c{i}") for i in range(3)], fail_after=fail_after)
    with RawStore(tmp_path / "w.duckdb") as store:
        if fail_after is None:
            connector.extract(store, "things")
        else:
            with pytest.raises(ConnectionError):
                connector.extract(store, "things")
    assert connector.collector_on and not any(connector.collector_on)
    assert gc.isenabled()


def test_overlapping_pauses_bring_the_collector_back_only_when_the_last_ends():
    outer, inner = collection_paused(), collection_paused()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert not gc.isenabled(), "another extract is still under way"
    inner.__exit__(None, None, None)
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled(), "a collector switched off by someone else stays off"
    finally:
        gc.enable()
