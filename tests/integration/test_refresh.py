"""The whole extract on the small company: landing, incremental, faults, crash-safety."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sandbox.generator import load_state
from tests.helpers import RAW_SCHEMAS, raw_tables, refresh, snapshot, table_rows

EXPECTED_TABLES = {
    "raw_hubspot.owners", "raw_hubspot.deals", "raw_hubspot.calls", "raw_hubspot.meetings",
    "raw_jira.users", "raw_jira.issues", "raw_jira.projects", "raw_jira.versions",
    "raw_zendesk.users", "raw_zendesk.tickets", "raw_zendesk.ticket_metrics", "raw_zendesk.satisfaction_ratings",
    "raw_hr.org_units", "raw_hr.employees", "raw_hr.assignments", "raw_goals.goals",
    "raw_one_on_ones.one_on_ones", "raw_reviews.reviews", "raw_manual.manual_entries",
}
FAST_HTTP = {"http_timeout_seconds": "1", "http_backoff_seconds": "0.05"}


def warehouse(home: Path) -> Path:
    return home / "warehouse" / "northstar.duckdb"


def visible_versions(home: Path, system: str, obj: str, clock_ms: int, lag: int = 0) -> set[tuple[str, int]]:
    """(id, ts) of the latest version per id at ``clock_ms``: what the source shows.

    ``lag``: records whose current version changed within it are held back (Zendesk's last minute).
    """
    frame = (pl.read_parquet(home / "sandbox" / system / f"{obj}.parquet")
             .filter(pl.col("ts") <= clock_ms).sort("ts").group_by("id").last()
             .filter(pl.col("ts") <= clock_ms - lag))
    return set(zip(frame["id"].to_list(), frame["ts"].to_list(), strict=True))


def test_refresh_lands_every_raw_table_and_says_so(refreshed_company):
    home, printed = refreshed_company
    assert set(raw_tables(warehouse(home))) >= EXPECTED_TABLES
    for table in EXPECTED_TABLES:
        landed = re.search(rf"│ {re.escape(table)}\s+│ ([\d,]+)", printed)
        assert landed and int(landed.group(1).replace(",", "")) > 0, table
    assert "Refresh succeeded: the audit passed; published to" in printed
    # one vocabulary: the audit's expectations as the report and the dashboards count them, dbt's tests apart
    summary = re.search(r"Audit: ([\d,]+) expectations, 0 failed blocking, (\d+) failed warning · "
                        r"dbt: (\d+) data tests \(\d+ warned\), (\d+) unit tests \(0 failed\)", printed)
    assert summary, printed[-2000:]
    with duckdb.connect(str(warehouse(home)), read_only=True) as con:
        expectations = con.execute("select checks from audit.runs order by audited_at desc limit 1").fetchone()[0]
    assert int(summary.group(1).replace(",", "")) == expectations and int(summary.group(4)) >= 20
    assert "NaN" not in printed  # samples are readable records
    # What landed is exactly what the sources show at the clock: one row per visible record.
    clock = load_state(home / "sandbox").clock_ms()
    with duckdb.connect(str(warehouse(home)), read_only=True) as con:
        for system, obj in [("hubspot", "calls"), ("jira", "issues"), ("zendesk", "satisfaction_ratings")]:
            ids = {r[0] for r in con.execute(f"select record_id from raw_{system}.{obj}").fetchall()}
            assert ids == {i for i, _ in visible_versions(home, system, obj, clock)}, obj
        deals = con.execute("select count(*), count(distinct record_id) from raw_hubspot.deals").fetchall()[0]
        archived = con.execute("select count(*) from raw_hubspot.deals where payload->>'archived' = 'true'").fetchall()
    assert deals[0] == deals[1]  # one version per deal on a first load
    assert archived[0][0] > 0  # archived deals came in through the archived sweep
    assert not (home / "inbox" / "rejected").exists()


def test_dbt_artifacts_of_a_refresh_stay_in_its_home(refreshed_company):
    home, _ = refreshed_company
    runs = list((home / "logs" / "dbt").glob("*/run_results.json"))
    assert runs, "the build's run_results.json is kept under $NORTHSTAR_HOME/logs/dbt/<run id>"
    results = json.loads(runs[0].read_text())["results"]
    assert any(r["unique_id"] == "model.northstar.fct_kpi_values" and r["status"] == "success" for r in results)


def test_second_refresh_lands_nothing_with_one_call_per_object(refreshed_copy):
    before = snapshot(warehouse(refreshed_copy))
    outcome = refresh(refreshed_copy, extract_only=True)
    assert outcome.success
    assert sum(outcome.landed.values()) == 0
    n_projects = len(json.loads((refreshed_copy / "sandbox" / "jira" / "projects.json").read_text()))
    assert outcome.calls == {
        # HubSpot's search never returns archived records: owners and deals add one archived-list call.
        "extract_hubspot__owners": 2, "extract_hubspot__deals": 2,
        "extract_hubspot__calls": 1, "extract_hubspot__meetings": 1,
        "extract_jira__users": 1, "extract_jira__issues": 1,
        "extract_jira__versions": 1 + n_projects,  # project list, then each project's versions
        "extract_zendesk__users": 1, "extract_zendesk__tickets": 1, "extract_zendesk__satisfaction_ratings": 1,
    }
    after = snapshot(warehouse(refreshed_copy))
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items()}


def test_next_day_lands_only_the_changes(next_day_company):
    home, outcome, old_clock, _ = next_day_company
    new_clock = load_state(home / "sandbox").clock_ms()
    delay = 60_000  # Zendesk exports nothing changed in its last minute
    cases = [("hubspot", "deals", 0), ("hubspot", "calls", 0), ("jira", "issues", 0), ("zendesk", "tickets", delay)]
    with duckdb.connect(str(warehouse(home)), read_only=True) as con:
        for system, obj, lag in cases:
            expected = (visible_versions(home, system, obj, new_clock, lag)
                        - visible_versions(home, system, obj, old_clock, lag))
            assert expected, f"the next day should change some {obj}"
            newest_load = con.execute(f"select max(_load_id) from raw_{system}.{obj}").fetchall()[0][0]
            landed = con.execute(
                f"select record_id, epoch_ms(updated_at) from raw_{system}.{obj} where _load_id = ?",
                [newest_load]).fetchall()
            assert set(landed) == expected, obj
            assert outcome.landed[f"raw_{system}.{obj}"] == len(expected)
    # The next day's HR export lands as a new version of every HR row; nothing else is re-landed.
    assert outcome.landed["raw_hr.employees"] > 0
    assert outcome.landed["raw_goals.goals"] == 0


@pytest.mark.scenario  # a fault matrix / a whole refresh: `make test-scenarios`
def test_all_faults_land_exactly_the_same_rows(refreshed_company, fresh_company):
    clean_home, _ = refreshed_company
    faults = "rate_limit,server_errors,slow,truncated,duplicate_page"
    outcome = refresh(fresh_company, faults=faults, extract_only=True, **FAST_HTTP)
    assert outcome.success
    for table in EXPECTED_TABLES:
        assert table_rows(warehouse(fresh_company), table) == table_rows(warehouse(clean_home), table), table


def test_schema_drift_lands_the_same_records_and_keeps_the_new_field(refreshed_company, fresh_company):
    clean_home, _ = refreshed_company
    assert refresh(fresh_company, faults="schema_drift", extract_only=True).success
    for table in ("raw_hubspot.deals", "raw_jira.issues", "raw_zendesk.tickets"):
        key = "select record_id, record_version from " + table
        with duckdb.connect(str(warehouse(fresh_company)), read_only=True) as drifted, \
                duckdb.connect(str(warehouse(clean_home)), read_only=True) as clean:
            assert sorted(drifted.execute(key).fetchall()) == sorted(clean.execute(key).fetchall()), table
    with duckdb.connect(str(warehouse(fresh_company)), read_only=True) as con:
        deal = json.loads(con.execute("select payload from raw_hubspot.deals limit 1").fetchall()[0][0])
        ticket = json.loads(con.execute("select payload from raw_zendesk.tickets limit 1").fetchall()[0][0])
    assert deal["properties"]["x_northstar_added_field"] == "added by the vendor"
    assert "pipeline" not in deal["properties"]
    assert "tags" not in ticket and "x_northstar_added_field" in ticket


def test_bad_records_are_quarantined_and_the_rest_lands(refreshed_company, fresh_company):
    clean_home, _ = refreshed_company
    assert refresh(fresh_company, faults="bad_record", extract_only=True).success
    with duckdb.connect(str(warehouse(fresh_company)), read_only=True) as con:
        quarantined = con.execute("select object, reason from raw_zendesk._quarantine").fetchall()
        tickets = con.execute("select count(*) from raw_zendesk.tickets").fetchall()[0][0]
    with duckdb.connect(str(warehouse(clean_home)), read_only=True) as con:
        clean_tickets = con.execute("select count(*) from raw_zendesk.tickets").fetchall()[0][0]
    assert ("tickets", "tickets: missing id") in quarantined
    assert tickets == clean_tickets - 1  # one record of the first page lost its id; its page still landed


@pytest.mark.scenario  # a fault matrix / a whole refresh: `make test-scenarios`
def test_killed_refresh_then_rerun_leaves_no_duplicate_versions(refreshed_company, fresh_company):
    clean_home, _ = refreshed_company
    env = os.environ | {"NORTHSTAR_HOME": str(fresh_company)}
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "-v", "refresh"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Kill it hard once some objects are landed and others are still being read.
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if "hubspot.calls:" in line or time.monotonic() > deadline:
            time.sleep(0.7)
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    partial = {t: len(table_rows(warehouse(fresh_company), t)) for t in raw_tables(warehouse(fresh_company))}
    assert partial.get("raw_hubspot.calls", 0) > 0  # it really was killed mid-extract
    assert not set(partial) >= EXPECTED_TABLES or any(
        partial[t] < len(table_rows(warehouse(clean_home), t)) for t in EXPECTED_TABLES if t in partial)
    assert refresh(fresh_company, extract_only=True).success
    with duckdb.connect(str(warehouse(fresh_company)), read_only=True) as con:
        for schema in RAW_SCHEMAS[:3]:
            for (table,) in con.execute(
                    "select table_name from information_schema.tables where table_schema = ? "
                    "and table_name not like '\\_%' escape '\\'", [schema]).fetchall():
                total, distinct = con.execute(
                    f"select count(*), count(distinct (record_id, record_version)) from {schema}.{table}"
                ).fetchall()[0]
                assert total == distinct, f"{schema}.{table} has duplicate versions"
    for table in EXPECTED_TABLES:
        assert table_rows(warehouse(fresh_company), table) == table_rows(warehouse(clean_home), table), table


def test_cli_simulates_the_next_day(refreshed_copy):
    env = os.environ | {"NORTHSTAR_HOME": str(refreshed_copy), "COLUMNS": "200"}
    sim = subprocess.run([sys.executable, "-m", "cli.main", "simulate", "--next-day"], env=env,
                         capture_output=True, text=True, check=True)
    assert "Sandbox clock: 2026-12-01" in sim.stdout and "inbox.hr_2026-12-01.xlsx" in sim.stdout
    assert (refreshed_copy / "inbox" / "hr_2026-12-01.xlsx").exists()
