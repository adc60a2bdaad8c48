"""The monthly close freezes a month as published; a later correction of it shows as a restatement for auditors
(data-quality page and auditor report), naming the records that changed."""

from __future__ import annotations

import json
import os
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


def _correct_an_october_deal(warehouse: Path) -> tuple[str, str, float]:
    """A new raw version of a deal won in October with 2,000 more: a correction made in the CRM after the close."""
    with duckdb.connect(str(warehouse)) as con:
        deal_id, owner = con.execute(
            """select d.deal_id, e.employee_id from staging.stg_hubspot__deals d
               join marts.fct_kpi_records e on e.record_id = d.deal_id and e.kpi_key = 'sales_closed_won_amount'
               where d.deal_stage = 'closedwon' and e.event_date between '2026-10-05' and '2026-10-25'
               order by d.deal_id limit 1""").fetchone()
        newest = "select * from raw_hubspot.deals where record_id = ? order by updated_at desc limit 1"
        record_id, _, _, payload, _, _, source = con.execute(newest, [deal_id]).fetchone()
        body = json.loads(payload)
        amount = float(body["properties"]["amount"]) + 2000
        body["properties"] |= {"amount": f"{amount:.2f}", "hs_lastmodifieddate": "2026-11-30T10:00:00.000Z"}
        body["updatedAt"] = "2026-11-30T10:00:00.000Z"
        con.execute("insert into raw_hubspot.deals values (?, 'correction-1', '2026-11-30 10:00:00+00', ?, "
                    "'test-correction', now(), ?)", [record_id, json.dumps(body), source])
    return deal_id, owner, amount


def test_a_correction_of_a_closed_month_is_a_restatement_and_the_close_stays_frozen(refreshed_copy):
    home = refreshed_copy
    closed = _northstar(home, "close", "--month", "2026-10")
    assert closed.returncode == 0 and "Closed 2026-10:" in closed.stdout, closed.stdout + closed.stderr
    again = _northstar(home, "close", "--month", "2026-10")
    assert again.returncode == 0 and "2026-10 is already closed: nothing changed" in again.stdout
    early = _northstar(home, "close", "--month", "2026-12")
    assert early.returncode == 2 and "2026-12 closes once its last day (2026-12-31) is published" in early.stdout
    warehouse = home / "warehouse" / "northstar.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frozen = con.execute("select count(*), sum(value) from closes.kpi_values").fetchone()
        goals = con.execute("select count(*) from closes.goal_status where as_of_date = '2026-10-31'").fetchone()[0]
    assert frozen[0] > 500 and goals > 300

    deal_id, owner, _ = _correct_an_october_deal(warehouse)
    from orchestration.refresh import published, run_refresh

    with northstar_env(home):
        assert published(run_refresh(build_only=True))
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        rows = con.execute("""select subject_type, subject_id, difference, changed_records, changed_record_labels
                              from marts.fct_kpi_restatements where kpi_key = 'sales_closed_won_amount'""").fetchall()
        label = con.execute("select label from marts.fct_kpi_records where record_id = ? limit 1",
                            [deal_id]).fetchone()[0]
    by_subject = {(kind, subject): (diff, n, which) for kind, subject, diff, n, which in rows}
    assert by_subject[("employee", owner)] == (2000.0, 1, label)
    assert by_subject[("org_unit", "OU-0001")][0] == 2000.0  # the company total is restated too
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*), sum(value) from closes.kpi_values").fetchone() == frozen

    status = json.loads((home / "serving" / "status.json").read_text())["last_attempt"]
    report = Path(status["report_html"]).read_text()
    assert "Restatements of closed months" in report and label in report and "2026-10" in report


def test_the_auditor_sees_restatements_and_an_executive_only_the_units(refreshed_copy):
    home = refreshed_copy
    assert _northstar(home, "close", "--month", "2026-10").returncode == 0
    _, owner, _ = _correct_an_october_deal(home / "warehouse" / "northstar.duckdb")
    from dashboards import queries
    from dashboards.access import User
    from orchestration.refresh import run_refresh

    with northstar_env(home):
        run_refresh(build_only=True)
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        auditor = queries.restatements(con, User("a", "auditor", None))
        executive = queries.restatements(con, User("x", "executive", None))
    assert owner in auditor["subject_id"].to_list()
    assert set(executive["subject_type"]) == {"org_unit"} and owner not in executive["subject_id"].to_list()
