"""Every kind of bad file in one refresh: the good files land, the bad are rejected with their reasons, the
pipeline publishes, and nothing of the rejected files reaches raw or serving."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.helpers import refresh

# whole refreshes of companies of their own: `make test-scenarios` (run by .ci/run), out of `make test`'s 10 min
pytestmark = pytest.mark.scenario

GOOD = ("manual_2026-12-01_good.csv", "one_on_ones_2026-12-01_good.csv")


def manual_row(entry_id: str, employee_id: str, value: str, note: str = "") -> dict:
    return {"entry_id": entry_id, "employee_id": employee_id, "kpi_key": "manual_points", "entry_date": "2026-11-30",
            "value": value, "category": "mentoring", "note": note, "entered_by": employee_id}


def drop_files(inbox: Path, employee: str, manager: str) -> dict[str, str]:
    """Write the good and the bad files; returns {bad file: a phrase its reason must hold}."""
    pl.DataFrame([manual_row("HOSTILE-GOOD-1", employee, "8")]).write_csv(inbox / GOOD[0])
    pl.DataFrame([{"meeting_id": "HOSTILE-1on1", "manager_id": manager, "employee_id": employee,
                   "held_on": "2026-11-30"}]).write_csv(inbox / GOOD[1])
    bad = {
        "manual_2026-12-01_inf.csv": ([manual_row("HOSTILE-INF", employee, "inf")], "'inf' is not a finite number"),
        "manual_2026-12-01_big.csv": ([manual_row("HOSTILE-BIG", employee, "1e9")], "outside the allowed range"),
        "reviews_2026-12-01_nan.csv": ([{"review_id": "HOSTILE-NAN", "employee_id": employee, "reviewer_id": manager,
                                         "cycle": "2026-H2", "self_score": "nan", "manager_score": "4",
                                         "submitted_on": "2026-11-30"}], "'nan' is not a finite number"),
    }
    reasons = {}
    for name, (rows, phrase) in bad.items():
        pl.DataFrame(rows).write_csv(inbox / name)
        reasons[name] = phrase
    header = ",".join(manual_row("x", "x", "1"))
    line = ",".join(manual_row("HOSTILE-GBK", employee, "3", "带教新人").values())
    (inbox / "manual_2026-12-01_gbk.csv").write_bytes(f"{header}\n{line}\n".encode("gb18030"))
    reasons["manual_2026-12-01_gbk.csv"] = "file is not UTF-8"
    (inbox / "manual_2026-12-01_semicolon.csv").write_text(
        header.replace(",", ";") + "\n" + ";".join(manual_row("HOSTILE-SEMI", employee, "3").values()) + "\n")
    reasons["manual_2026-12-01_semicolon.csv"] = "use ',' as delimiter"
    (inbox / "hr_2026-12-01_broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    reasons["hr_2026-12-01_broken.xlsx"] = "cannot be read as .xlsx"
    (inbox / "payroll_2026-12.csv").write_text("name,salary\nA,1\n")
    reasons["payroll_2026-12.csv"] = "unrecognised name"
    return reasons


def test_one_refresh_with_every_bad_file(refreshed_copy: Path):
    home = refreshed_copy
    warehouse, serving = home / "warehouse" / "northstar.duckdb", home / "serving" / "northstar.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        manager, employee = con.execute(
            """select manager_id, employee_id from staging.stg_hr__assignments
               where manager_id is not null order by effective_from desc limit 1""").fetchall()[0]
    reasons = drop_files(home / "inbox", employee, manager)
    outcome = refresh(home)
    assert outcome.success, "the good files publish; the bad ones do not hold the pipeline up"
    for name in GOOD:
        assert (home / "inbox" / "loaded" / name).exists()
    for name, phrase in reasons.items():
        assert (home / "inbox" / "rejected" / name).exists(), name
        reason = (home / "inbox" / "rejected" / f"{name}.reason.txt").read_text()
        assert phrase in reason and str(home) not in reason, (name, reason)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        landed = {f for (f,) in con.execute(
            """select _file from raw_manual.manual_entries union select _file from raw_reviews.reviews
               union select _file from raw_one_on_ones.one_on_ones
               union select _file from raw_hr.employees""").fetchall()}
        assert set(GOOD) <= landed and not set(reasons) & landed
    with duckdb.connect(str(serving), read_only=True) as con:
        files = dict(con.execute("select file_name, status from pipeline.inbox_files").fetchall())
        records = {r for (r,) in con.execute("select record_id from marts.fct_kpi_records where source = 'inbox'"
                                             " and record_id like 'HOSTILE%'").fetchall()}
    assert {files[name] for name in GOOD} == {"loaded"} and {files[name] for name in reasons} == {"rejected"}
    assert records == {"HOSTILE-GOOD-1"}, "only the good file's entry reaches the marts"
