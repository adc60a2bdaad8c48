"""The pipeline at its edges: sources with no file yet, and bad numbers already in raw from older loads."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.helpers import refresh

# whole refreshes of companies of their own: `make test-scenarios` (run by .ci/run), out of `make test`'s 10 min
pytestmark = pytest.mark.scenario


def test_a_company_with_only_the_hr_export_and_goal_workbook_builds_and_publishes(fresh_company: Path):
    home = fresh_company
    for path in (home / "inbox").iterdir():
        if not path.name.startswith(("hr_", "goals_")):
            path.unlink()
    outcome = refresh(home)
    assert outcome.success
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        for kpi in ("mgmt_one_on_one_coverage", "mgmt_review_completion", "manual_points"):
            values = con.execute("select count(*) from marts.fct_kpi_values where kpi_key = ?", [kpi]).fetchall()
            assert values == [(0,)], kpi
        assert con.execute("select count(*) from marts.fct_kpi_values where kpi_key = 'support_tickets_solved'"
                           ).fetchall()[0][0] > 0
        files = con.execute("select distinct split_part(file_name, '_2', 1) from pipeline.inbox_files").fetchall()
    assert {f for (f,) in files} <= {"hr", "goals"}
    with duckdb.connect(str(home / "warehouse" / "northstar.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_manual__manual_entries").fetchall() == [(0,)]
        assert con.execute("select count(*) from staging.stg_one_on_ones__one_on_ones").fetchall() == [(0,)]


def test_a_non_finite_value_already_in_raw_builds_but_is_named_by_the_audit_and_not_published(refreshed_copy: Path):
    home = refreshed_copy
    warehouse = home / "warehouse" / "northstar.duckdb"
    serving = home / "serving" / "northstar.duckdb"
    before = serving.read_bytes()
    with duckdb.connect(str(warehouse)) as con:
        # an older load (before the inbox rejected such values) left 'inf' as the latest version of one entry
        con.execute("""insert into raw_manual.manual_entries
                       select * replace ('inf'::double as value, now() as _loaded_at, 'manual_old.xlsx' as _file)
                       from raw_manual.manual_entries order by entry_id limit 1""")
        entry = con.execute("select entry_id from raw_manual.manual_entries where isinf(value)").fetchall()[0][0]
    outcome = refresh(home)
    assert not outcome.success  # blocked by the audit, not by dbt failing to cast
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select value from staging.stg_manual__manual_entries where entry_id = ?",
                           [entry]).fetchall() == [(None,)]
        [(success, sample)] = con.execute(
            """select success, sample from audit.expectation_results where suite = 'hand_entered_values'
               and run_id = (select run_id from audit.runs order by audited_at desc limit 1)""").fetchall()
    assert success is False and entry in sample and "inf" in sample.lower()
    assert serving.read_bytes() == before
    status = json.loads((home / "serving" / "status.json").read_text())
    assert status["last_attempt"]["decision"] == "blocked"
    assert any("Numbers typed into files" in f for f in status["last_attempt"]["blocking_failures"])


def test_cascade_consistency_is_audited_as_a_warning(refreshed_company):
    """Issue 11 item 6 on the small company: the simulated workbook has departments whose yearly closed-won target is
    below their own teams' and goals for people in quarters before their hire; both are named, as warnings."""
    from expectations.suites.goals import cascade_suite

    home, _ = refreshed_company
    with duckdb.connect(str(home / "warehouse" / "northstar.duckdb"), read_only=True) as con:
        frame = con.execute(cascade_suite().sql).pl()
        not_employed = con.execute("select count(*) from intermediate.int_goal_employment e join "
                                   "staging.stg_goals__goals g using (goal_id) where g.owner_type = 'employee' "
                                   "and e.employed_days = 0 and g.revision = 1").fetchall()[0][0]
        [(success, severity, sample)] = con.execute(
            """select success, severity, sample::varchar from audit.expectation_results where suite = 'goal_cascade'
               and run_id = (select run_id from audit.runs order by audited_at desc limit 1)""").fetchall()
    failing = frame.filter(~frame["consistent"])
    kinds = {d.split(" ")[0] for d in failing["detail"]}
    assert {"department", "goal"} <= kinds
    assert failing.filter(failing["detail"].str.starts_with("goal of")).height == not_employed > 0
    assert success is False and severity == "warning" and "below the target" in sample
