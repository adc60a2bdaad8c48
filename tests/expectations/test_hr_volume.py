"""The HR volume rule compares loads, not file names, and people in force, not rows (a delta export is no collapse)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.inbox import process_inbox
from connectors.landing import RawStore
from expectations.suites.hr import VOLUME_SQL
from tests.connectors.test_inbox import KPI_KEYS, write_xlsx

PEOPLE = [{"employee_id": f"E{i}", "full_name": f"Person {i}", "email": f"p{i}@x.com", "title": "Engineer",
           "hire_date": "2022-01-01", "termination_date": ""} for i in range(1, 21)]
UNITS = [{"org_unit_id": "OU-1", "name": "Co", "unit_type": "company", "parent_id": "", "manager_employee_id": "E1"}]


def drop(inbox: Path, store: RawStore, name: str, people: list[dict]) -> None:
    assignments = [{"employee_id": p["employee_id"], "org_unit_id": "OU-1", "manager_id": "E1",
                    "effective_from": p["hire_date"]} for p in people]
    write_xlsx(inbox / name, {"org_units": UNITS, "employees": people, "assignments": assignments})
    [result] = process_inbox(store, inbox, KPI_KEYS)
    assert result.status == "loaded", result.reason


def volume(store: RawStore) -> dict:
    return store.con.execute(VOLUME_SQL).pl().to_dicts()[0]


@pytest.fixture
def loaded(tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with RawStore(tmp_path / "w.duckdb") as store:
        drop(inbox, store, "hr_2026-11-29.xlsx", PEOPLE)
        yield inbox, store


def test_the_first_export_passes(loaded):
    _, store = loaded
    assert volume(store)["load_kind"] == "first" and volume(store)["ratio"] == 1.0


@pytest.mark.parametrize("name", ["hr_2026-11-29.xlsx", "hr_2026-11-30.xlsx"])
def test_a_truncated_full_export_trips_the_rule_under_the_same_name_or_a_new_one(loaded, name):
    inbox, store = loaded
    drop(inbox, store, name, PEOPLE[:8])  # a full export cut off after 8 people: their rows repeat unchanged
    figures = volume(store)
    assert figures["load_kind"] == "full" and figures["latest_file"] == name
    assert figures["ratio"] == pytest.approx(8 / 20) and figures["ratio"] < 0.7


def test_a_delta_export_with_one_new_hire_is_not_a_collapse(loaded):
    inbox, store = loaded
    hire = PEOPLE[0] | {"employee_id": "E99", "email": "new@x.com", "full_name": "New Hire", "hire_date": "2026-11-30"}
    drop(inbox, store, "hr_delta_2026-11-30.xlsx", [hire])
    figures = volume(store)
    assert figures["load_kind"] == "delta"
    assert figures["after_in_force"] == 21 and figures["ratio"] >= 1


def test_a_delta_export_that_terminates_most_people_trips_the_rule(loaded):
    inbox, store = loaded
    leavers = [p | {"termination_date": "2026-01-31"} for p in PEOPLE[:15]]
    hire = PEOPLE[0] | {"employee_id": "E99", "email": "new@x.com", "hire_date": "2026-11-30"}
    drop(inbox, store, "hr_delta_2026-11-30.xlsx", [*leavers, hire])
    figures = volume(store)
    assert figures["load_kind"] == "delta" and figures["ratio"] < 0.7


def test_a_full_export_with_one_new_hire_passes(loaded):
    inbox, store = loaded
    hire = PEOPLE[0] | {"employee_id": "E99", "email": "new@x.com", "hire_date": "2026-11-30"}
    drop(inbox, store, "hr_2026-11-30.xlsx", [*PEOPLE, hire])
    figures = volume(store)
    assert figures["load_kind"] == "full" and figures["ratio"] == pytest.approx(21 / 20)
