"""Many sessions formatting tables at once: the 20-user load test hung every page "running" with the server
idle. polars ran the formatters (``map_elements``) on its thread pool, where they wait for the GIL, and with
sessions converting frames at the same time the pool and the GIL deadlocked (the whole process stops, so the
check runs in a child process with a timeout). ``ui.each`` formats in the session's own thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import polars as pl

from dashboards.ui import each

ROOT = Path(__file__).resolve().parents[2]

SESSIONS = textwrap.dedent("""
    import threading
    from datetime import date
    import polars as pl
    from dashboards.ui import localise, plot_frame, worded

    frame = pl.DataFrame({"name": [f"n{i}" for i in range(300)], "share": [i / 300 for i in range(300)],
                          "amount": [float(i) if i % 7 else None for i in range(300)],
                          "day": [date(2026, 1, 1 + i % 28) for i in range(300)],
                          "status": ["on_track", "at_risk", None] * 100, "flag": [True, False, True] * 100})
    failures = []

    def session():
        try:
            for _ in range(25):
                shown = localise(worded(frame, "flag"), {"name": "full_name", "share": "attainment",
                                 "amount": "actual", "day": "period", "status": "status", "flag": "blocking"},
                                 percent=("share",), numbers=("amount",), dates=("day",), statuses=("status",))
                shown.to_pandas()  # what st.dataframe and the charts do with it, meanwhile, in other sessions
                plot_frame(frame, "name")
        except Exception as exc:
            failures.append(repr(exc))

    threads = [threading.Thread(target=session) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("failures:", failures)
""")


def test_sixteen_sessions_formatting_at_once_all_finish():
    done = subprocess.run([sys.executable, "-c", SESSIONS], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "failures: []" in done.stdout


def test_each_formats_one_column_and_leaves_nulls_unread():
    frame = pl.DataFrame({"share": [0.5, None], "day": [date(2026, 3, 1), None]})
    read: list = []
    shown = each(frame, lambda v: read.append(v) or f"{v:.0%}", "share")
    assert shown.to_list() == ["50%", None] and read == [0.5]
    assert shown.name == "share" and shown.dtype == pl.Utf8


def test_each_hands_several_columns_as_a_row_and_keeps_the_dtype():
    frame = pl.DataFrame({"employee_id": ["E1", "E2"], "kpi_key": ["win_rate", None]})
    pairs = each(frame, lambda r: [1.0] if r["kpi_key"] else [], "employee_id", "kpi_key", dtype=pl.List(pl.Float64))
    assert pairs.to_list() == [[1.0], []] and pairs.dtype == pl.List(pl.Float64)
