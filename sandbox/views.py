"""What a source object shows at the sandbox clock, kept on disk rather than in the servers' memory.

A store (``<system>/<object>.parquet``) holds every version of every record, sorted by (ts, id, version).
The view at a clock is the latest version per id among those with ``ts <= clock``, in (ts, id) order: what a
vendor's API lists. It is built once per (store, clock) into flat files under ``<sandbox>/.views/`` and read
through ``mmap``, so a server process holds only the pages it is answering (the large tier's views are tens of
GB of JSON; held as Python strings they were 3.5 GB at the medium tier already).

Files of a view (all integers little-endian int64):
``ts`` per row; ``id.off``/``id.bin`` and ``payload.off``/``payload.bin`` (row ``i`` is
``bin[off[i]:off[i+1]]``); ``active``/``archived``: the rows whose payload is (not) ``"archived":true``;
``key``/``key.row``: an optional lookup field, sorted, with the row that holds it.
"""

from __future__ import annotations

import mmap
import os
import shutil
import tempfile
from array import array
from bisect import bisect_left
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BATCH_ROWS = 65_536
MMAP_FROM_BYTES = 4 << 20  # smaller files are read whole: a test run opens hundreds of small views
ARCHIVED_MARK = '"archived":true'


class View:
    """One object's records as visible at a clock: latest version per id, ordered by (ts, id)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ts = _ints(folder / "ts")
        self._id_off, self._id_bin = _ints(folder / "id.off"), _bytes(folder / "id.bin")
        self._off, self._bin = _ints(folder / "payload.off"), _bytes(folder / "payload.bin")
        # HubSpot lists active and archived records separately: both indexed once, not per request
        self.active = _ints(folder / "active")
        self.archived = _ints(folder / "archived")
        self._keys = _ints(folder / "key") if (folder / "key").exists() else None
        self._key_rows = _ints(folder / "key.row") if self._keys is not None else None

    @classmethod
    def at(cls, store: Path, clock_ms: int, key_field: str | None = None) -> View:
        """The view of ``store`` at ``clock_ms``, built on first use and shared by later servers."""
        return cls(_built(store, clock_ms, key_field))

    def __len__(self) -> int:
        return len(self.ts)

    def id(self, row: int) -> str:
        return bytes(self._id_bin[self._id_off[row]: self._id_off[row + 1]]).decode()

    def payload(self, row: int) -> bytes:
        return bytes(self._bin[self._off[row]: self._off[row + 1]])

    def records(self, start: int, stop: int) -> list[dict]:
        stop = min(stop, len(self))
        return [orjson.loads(self._bin[self._off[i]: self._off[i + 1]]) for i in range(start, stop)]

    def first_at_or_after(self, ts: int) -> int:
        return bisect_left(self.ts, ts)

    def by_key(self, key: int) -> bytes | None:
        """The payload whose ``key_field`` is ``key`` (None if no visible record has it)."""
        if self._keys is None:
            raise LookupError(f"the view {self.folder.name} was built without a key field")
        i = bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            return self.payload(self._key_rows[i])
        return None


# --------------------------------------------------------------------------- reading


def _bytes(path: Path) -> bytes | memoryview:
    size = path.stat().st_size
    if size < MMAP_FROM_BYTES:
        return path.read_bytes()
    with path.open("rb") as fh:  # the map keeps its own handle
        return memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))


def _ints(path: Path) -> memoryview:
    return memoryview(_bytes(path)).cast("q")


# --------------------------------------------------------------------------- building


def _built(store: Path, clock_ms: int, key_field: str | None) -> Path:
    stat = store.stat()
    name = f"{store.parent.name}.{store.stem}@{clock_ms}.{stat.st_size}.{stat.st_mtime_ns}"
    if key_field:  # a view without the key cannot answer lookups by it: a different view
        name += f".by-{key_field}"
    root = store.parent.parent / ".views"
    folder = root / name
    if folder.exists():
        return folder
    root.mkdir(mode=0o700, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}."))  # 0700; renamed whole, so never seen half-built
    try:
        _write(store, clock_ms, key_field, work)
        os.rename(work, folder)
    except OSError:
        if not folder.exists():  # another server built the same view meanwhile: use theirs
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for stale in root.glob(f"{store.parent.name}.{store.stem}@*"):  # earlier clocks' views of this store
        if stale.name != name:
            shutil.rmtree(stale, ignore_errors=True)  # a server still reading one keeps its open maps
    return folder


def _latest_rows(store: Path, clock_ms: int, spill: Path) -> pa.Array:
    """Row numbers (in the store) of the latest version per id at the clock, ascending: the store is sorted by
    (ts, id, version), so these rows in store order are the view in (ts, id) order."""
    with duckdb.connect() as con:
        spill_sql = str(spill).replace("'", "''")  # SET takes no parameters: a quote in the path stays text
        con.execute(f"set memory_limit = '1GB'; set temp_directory = '{spill_sql}'; set threads = 2")
        table = con.execute(
            "select max(file_row_number) as row from read_parquet(?, file_row_number = true) "
            "where ts <= ? group by id order by row", [str(store), clock_ms]).to_arrow_table()
    return table.column("row").combine_chunks().cast(pa.int64())


def _write(store: Path, clock_ms: int, key_field: str | None, out: Path) -> None:
    keep = _latest_rows(store, clock_ms, out)
    keep_list = memoryview(keep.buffers()[1] if len(keep) else b"").cast("q")[keep.offset: keep.offset + len(keep)]
    files = {name: (out / name).open("wb") for name in ("ts", "id.off", "id.bin", "payload.off", "payload.bin",
                                                         "active", "archived")}
    keys = array("q")  # 8 bytes a key (a Python int in a list takes ~36): the large tier has 10.5 M ticket metrics
    ends = {"id": 0, "payload": 0}
    for name in ("id", "payload"):
        files[f"{name}.off"].write((0).to_bytes(8, "little", signed=True))
    seen = row = 0
    try:
        for batch in pq.ParquetFile(store).iter_batches(batch_size=BATCH_ROWS, columns=["id", "ts", "payload"]):
            lo, hi = bisect_left(keep_list, seen), bisect_left(keep_list, seen + batch.num_rows)
            seen += batch.num_rows
            if lo == hi:
                continue
            picked = batch.take(pc.subtract(keep[lo:hi], pa.scalar(seen - batch.num_rows, pa.int64())))
            files["ts"].write(_int64_bytes(picked.column("ts")))
            for name in ("id", "payload"):
                ends[name] = _write_strings(picked.column(name), ends[name], files[f"{name}.off"],
                                            files[f"{name}.bin"])
            archived = pc.match_substring(picked.column("payload"), ARCHIVED_MARK)
            rows = pa.array(range(row, row + picked.num_rows), pa.int64())
            files["archived"].write(_int64_bytes(rows.filter(archived)))
            files["active"].write(_int64_bytes(rows.filter(pc.invert(archived))))
            if key_field:
                keys.extend(orjson.loads(p)[key_field] for p in picked.column("payload").to_pylist())
            row += picked.num_rows
    finally:
        for fh in files.values():
            fh.close()
    if key_field:
        key_values = pa.Array.from_buffers(pa.int64(), len(keys), [None, pa.py_buffer(keys)])
        order = pc.sort_indices(key_values)
        (out / "key").write_bytes(_int64_bytes(key_values.take(order)))
        (out / "key.row").write_bytes(_int64_bytes(order.cast(pa.int64())))


def _int64_bytes(values: pa.Array) -> bytes:
    values = values.cast(pa.int64())
    if values.null_count:
        raise ValueError("a store's ts column has nulls")
    return memoryview(values.buffers()[1])[values.offset * 8: (values.offset + len(values)) * 8].tobytes()


def _write_strings(values: pa.Array, end: int, offsets_file, data_file) -> int:
    """Append strings to a data file and their end offsets (from ``end`` on) to an offsets file."""
    values = values.cast(pa.large_string())
    offsets = pa.Array.from_buffers(pa.int64(), len(values) + 1, [None, values.buffers()[1]],
                                   offset=values.offset)
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    data_file.write(memoryview(values.buffers()[2])[first:last])
    offsets_file.write(_int64_bytes(pc.add(offsets[1:], pa.scalar(end - first, pa.int64()))))
    return end + last - first
