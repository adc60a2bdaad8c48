"""Inbox files: validated whole, loaded all-or-nothing, rejected with a reason that names the place."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from config.settings import PROJECT_ROOT
from connectors.inbox import kpi_keys_from_catalogue, process_inbox
from connectors.landing import RawStore

KPI_KEYS = kpi_keys_from_catalogue(PROJECT_ROOT / "dbt_project" / "seeds" / "kpi_catalogue.csv")
ORG_UNITS = [
    {"org_unit_id": "OU-1", "name": "Co", "unit_type": "company", "parent_id": "", "manager_employee_id": "E1"},
    {"org_unit_id": "OU-2", "name": "Sales", "unit_type": "department", "parent_id": "OU-1",
     "manager_employee_id": "E2"},
]
EMPLOYEES = [
    {"employee_id": "E1", "full_name": "A B", "email": "a@x.com", "title": "CEO", "hire_date": "2020-01-01",
     "termination_date": "", "desk": "3F"},
    {"employee_id": "E2", "full_name": "C D", "email": "c@x.com", "title": "VP", "hire_date": "2021-05-01",
     "termination_date": "", "desk": "4F"},
]
ASSIGNMENTS = [
    {"employee_id": "E1", "org_unit_id": "OU-1", "manager_id": "", "effective_from": "2020-01-01"},
    {"employee_id": "E2", "org_unit_id": "OU-2", "manager_id": "E1", "effective_from": "2021-05-01"},
]
GOAL = {"goal_id": "G1", "parent_goal_id": "", "goal_type": "kpi", "title": "Win", "owner_type": "employee",
        "owner_id": "E2", "kpi_key": "sales_win_rate", "period": "2026-Q1", "baseline": "", "target": "0.3",
        "weight": "100", "revision": "1", "revised_on": "2026-01-05"}


def write_xlsx(path: Path, sheets: dict[str, list[dict]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    # a fixed creation time: xlsxwriter stamps the current second into the file, so two writes of the same
    # rows a second apart would not be the identical file the re-drop test means
    wb.set_properties({"created": datetime(2026, 11, 30, 9, 0, 0)})
    for name, rows in sheets.items():
        if rows:
            pl.DataFrame(rows).write_excel(workbook=wb, worksheet=name)
        else:  # the header of the template, no rows
            wb.add_worksheet(name).write_row(0, 0, list(ORG_UNITS[0]))
    wb.close()
    return path


def write_csv(path: Path, rows: list[dict]) -> Path:
    pl.DataFrame(rows).write_csv(path)
    return path


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def store(tmp_path: Path):
    with RawStore(tmp_path / "w.duckdb") as s:
        yield s


def hr(inbox: Path, **override: list[dict]) -> Path:
    sheets = {"org_units": ORG_UNITS, "employees": EMPLOYEES, "assignments": ASSIGNMENTS} | override
    return write_xlsx(inbox / "hr_2026-11-30.xlsx", sheets)


def test_a_good_hr_workbook_loads_every_row_and_keeps_extra_columns(inbox, store):
    hr(inbox)
    [result] = process_inbox(store, inbox, KPI_KEYS)
    assert result.status == "loaded"
    assert result.rows == {"raw_hr.org_units": 2, "raw_hr.employees": 2, "raw_hr.assignments": 2}
    row = store.con.execute("select hire_date, extra->>'desk', _file, _sheet, _row from raw_hr.employees "
                            "where employee_id = 'E2'").fetchall()[0]
    assert str(row[0]) == "2021-05-01" and row[1:] == ("4F", "hr_2026-11-30.xlsx", "employees", 3)
    assert (inbox / "loaded" / "hr_2026-11-30.xlsx").exists()


def test_a_re_dropped_identical_file_is_not_loaded_twice(inbox, store):
    hr(inbox)
    process_inbox(store, inbox, KPI_KEYS)
    hr(inbox)
    [again] = process_inbox(store, inbox, KPI_KEYS)
    assert again.status == "skipped"
    assert store.con.execute("select count(*) from raw_hr.employees").fetchall()[0][0] == 2


def test_csv_goal_file_loads_typed(inbox, store):
    write_csv(inbox / "goals_2026_r1.csv", [GOAL])
    [result] = process_inbox(store, inbox, KPI_KEYS)
    assert result.status == "loaded", result.reason
    assert store.con.execute("select target, weight, revision from raw_goals.goals").fetchall() == [(0.3, 100.0, 1)]


MANUAL = {"entry_id": "M1", "employee_id": "E2", "kpi_key": "manual_points", "entry_date": "2026-11-02",
          "value": "5", "category": "mentoring", "note": "", "entered_by": "E1"}
REVIEW = {"review_id": "R1", "employee_id": "E2", "reviewer_id": "E1", "cycle": "2026-H1", "self_score": "4.0",
          "manager_score": "3.5", "submitted_on": "2026-07-01"}


def write_text_csv(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _csv_text(rows: list[dict], sep: str = ",") -> str:
    return "\n".join([sep.join(rows[0]), *(sep.join(str(v) for v in r.values()) for r in rows)]) + "\n"


BAD_FILES = {
    "missing column": (
        lambda inbox: hr(inbox, employees=[{k: v for k, v in e.items() if k != "email"} for e in EMPLOYEES]),
        "sheet 'employees': required column 'email' is missing (row 1, the header)"),
    "wrong type": (
        lambda inbox: hr(inbox, employees=[EMPLOYEES[0], EMPLOYEES[1] | {"hire_date": "01/05/2021"}]),
        "sheet 'employees', row 3, column 'hire_date': '01/05/2021' is not a date YYYY-MM-DD"),
    "unknown enumeration": (
        lambda inbox: hr(inbox, org_units=[ORG_UNITS[0], ORG_UNITS[1] | {"unit_type": "division"}]),
        "sheet 'org_units', row 3, column 'unit_type': 'division' is not one of company, department, team"),
    "duplicate key": (
        lambda inbox: hr(inbox, employees=[EMPLOYEES[0], EMPLOYEES[1] | {"employee_id": "E1"}]),
        "sheet 'employees', row 3, column 'employee_id': duplicate key 'E1' (first on row 2)"),
    "empty sheet": (
        lambda inbox: hr(inbox, org_units=[]),
        "sheet 'org_units': has a header but no rows"),
    "missing required value": (
        lambda inbox: write_csv(inbox / "goals_2026_r1.csv", [GOAL, GOAL | {"goal_id": "G2", "weight": ""}]),
        "table 'goals', row 3, column 'weight': a value is required"),
    "unknown KPI key": (
        lambda inbox: write_csv(inbox / "goals_2026_r1.csv", [GOAL | {"kpi_key": "happiness"}]),
        "table 'goals', row 2, column 'kpi_key': 'happiness' is not a KPI key of the catalogue"),
    "missing sheet": (
        lambda inbox: write_xlsx(inbox / "hr_2026-11-30.xlsx", {"org_units": ORG_UNITS}),
        "sheet 'employees' is missing"),
    "unrecognised name": (
        lambda inbox: write_csv(inbox / "payroll_2026.csv", [GOAL]),
        "unrecognised name; expected a prefix of hr_"),
    "infinite manual value": (
        lambda inbox: write_csv(inbox / "manual_2026-11.csv", [MANUAL, MANUAL | {"entry_id": "M2", "value": "inf"}]),
        "table 'manual_entries', row 3, column 'value': 'inf' is not a finite number"),
    "negative infinity spelled out": (
        lambda inbox: write_csv(inbox / "manual_2026-11.csv", [MANUAL | {"value": "-Infinity"}]),
        "row 2, column 'value': '-Infinity' is not a finite number"),
    "nan review score": (
        lambda inbox: write_csv(inbox / "reviews_2026-H1.csv", [REVIEW | {"manager_score": "NaN"}]),
        "table 'reviews', row 2, column 'manager_score': 'NaN' is not a finite number"),
    "review score off the scale": (
        lambda inbox: write_csv(inbox / "reviews_2026-H1.csv", [REVIEW | {"self_score": "45"}]),
        "row 2, column 'self_score': '45' is outside the allowed range 1 to 5"),
    "absurd manual value": (
        lambda inbox: write_csv(inbox / "manual_2026-11.csv", [MANUAL | {"value": "1e12"}]),
        "row 2, column 'value': '1e12' is outside the allowed range -1000 to 1000"),
    "GBK csv": (
        lambda inbox: write_text_csv(inbox / "manual_2026-11.csv", _csv_text([MANUAL | {"note": "带教新人"}]), "gbk"),
        "file is not UTF-8"),
    "Latin-1 csv": (
        lambda inbox: write_text_csv(inbox / "manual_2026-11.csv", _csv_text([MANUAL | {"note": "café crème"}]),
                                     "latin-1"),
        "save it as 'CSV UTF-8 (comma delimited)'"),
    "semicolon csv": (
        lambda inbox: write_text_csv(inbox / "manual_2026-11.csv", _csv_text([MANUAL], ";"), "utf-8"),
        "the header has one column (found ';'): use ',' as delimiter"),
    "not a spreadsheet": (
        lambda inbox: (inbox / "hr_2026-11-30.xlsx").write_bytes(b"this is not a zip file"),
        "cannot be read as .xlsx"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_files_are_rejected_whole_with_the_place_named(kind, inbox, store):
    hr(inbox)
    process_inbox(store, inbox, KPI_KEYS)  # a good earlier load that must stay as it was
    before = _raw(store)
    make, expected = BAD_FILES[kind]
    make(inbox)
    [result] = process_inbox(store, inbox, KPI_KEYS)
    assert result.status == "rejected"
    assert expected in result.reason
    name = result.file
    assert name in result.reason.splitlines()[0]
    reason_file = inbox / "rejected" / f"{name}.reason.txt"
    assert expected in reason_file.read_text()
    assert (inbox / "rejected" / name).exists() and not (inbox / name).exists()
    assert _raw(store) == before
    assert str(inbox.parent) not in result.reason, "a reason never shows the server's folders"
    assert len(result.reason.splitlines()) <= 3, "one clear reason, not one line per column"


def test_a_legacy_encoding_is_named_for_what_it_looks_like(inbox, store):
    write_text_csv(inbox / "manual_2026-11.csv", _csv_text([MANUAL | {"note": "带教新人"}]), "gb18030")
    [result] = process_inbox(store, inbox, KPI_KEYS)
    assert "it looks like GBK/GB18030" in result.reason


def test_reader_errors_lose_the_servers_paths():
    from connectors.inbox import scrub_paths

    message = "Failed to open /srv/northstar/.northstar/inbox/hr_x.xlsx: see /tmp/abc/log.txt"
    assert scrub_paths(message, Path("/srv/northstar/.northstar/inbox/hr_x.xlsx")) == \
        "Failed to open hr_x.xlsx: see log.txt"


def test_every_template_table_exists_after_an_inbox_pass_even_without_files(inbox, store):
    assert process_inbox(store, inbox, KPI_KEYS) == []
    for table in ("raw_manual.manual_entries", "raw_reviews.reviews", "raw_one_on_ones.one_on_ones",
                  "raw_hr.employees", "raw_goals.goals"):
        assert store.con.execute(f"select count(*) from {table}").fetchall() == [(0,)]


def _raw(store: RawStore) -> dict[str, list]:
    tables = store.con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema like 'raw_%' and table_schema <> 'raw_meta' order by 1").fetchall()
    return {t: sorted(store.con.execute(f"select * from {t}").fetchall(), key=str) for (t,) in tables}


def test_one_bad_row_keeps_the_whole_file_out(inbox, store):
    rows = [GOAL | {"goal_id": f"G{i}"} for i in range(500)]
    rows[437]["period"] = "Q1 2026"
    write_csv(inbox / "goals_2026_r1.csv", rows)
    [result] = process_inbox(store, inbox, KPI_KEYS)
    assert result.status == "rejected"
    assert "row 439, column 'period': 'Q1 2026' is not a period" in result.reason
    assert store.con.execute("select count(*) from raw_goals.goals").fetchall()[0][0] == 0
