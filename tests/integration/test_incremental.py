"""Marts built incrementally by affected period equal a `--full` rebuild, day after day, through a backdated team
move, a goal revision and a late-arriving record; and a day's refresh recomputes the periods it touched only."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from tests.helpers import refresh
from tests.integration.test_warehouse import mart_rows, warehouse

# whole refreshes of companies of their own: `make test-scenarios` (run by .ci/run), out of `make test`'s 10 min
pytestmark = pytest.mark.scenario


def _team_move(home, clock) -> str:
    """Today's HR export, with a sales rep moved to another sales team since 45 days ago (a backdated move:
    their past records of those days now count for the new team)."""
    from sandbox import workbooks
    from sandbox.generator import _write_xlsx, company_for, load_state

    company = company_for(load_state(home / "sandbox"))
    tables = workbooks.hr_tables(company, clock)
    rows_of: dict[str, list[dict]] = {}
    for row in tables["assignments"]:
        rows_of.setdefault(row["employee_id"], []).append(row)
    # a rep who never moved (calls nearly every workday), and a sales team of someone else's
    reps = [e["employee_id"] for e in tables["employees"] if e["title"] == "Account Executive"
            and not e["termination_date"] and e["hire_date"] < f"{clock.year}-01-01"]
    mover = next(r for r in reps if len(rows_of[r]) == 1)
    other = next(rows_of[r][-1] for r in reps if rows_of[r][-1]["org_unit_id"] != rows_of[mover][0]["org_unit_id"])
    tables["assignments"].append({"employee_id": mover, "org_unit_id": other["org_unit_id"],
                                  "manager_id": other["manager_id"],
                                  "effective_from": (clock - timedelta(days=45)).isoformat()})
    _write_xlsx(home / "inbox" / f"hr_{clock}_move.xlsx", tables)
    return mover


def _late_deal(home, clock_ms: int) -> str:
    """An open deal that the CRM now shows as won 40 days ago: a record arriving late into a past month."""
    from sandbox.defects import _add_versions, _open_deals, _touch_hubspot

    deal_id, deal = next((i, d) for i, d in _open_deals(home / "sandbox", clock_ms)
                         if int(d["properties"]["hubspot_owner_id"]) < 900)  # a staff member's, not a contractor's
    closed = datetime.fromtimestamp(clock_ms / 1000, UTC) - timedelta(days=40)
    props = _touch_hubspot(deal, clock_ms)["properties"]
    props |= {"dealstage": "closedwon", "closedate": closed.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    _add_versions(home / "sandbox", "hubspot", "deals", clock_ms, [(deal_id, deal)])
    return deal_id


def _revised_goals(home, clock) -> None:
    """A third revision of the goal workbook: every person's Q4 targets raised by 5 %."""
    from sandbox import workbooks
    from sandbox.generator import _write_xlsx, company_for, load_state

    rows = workbooks.goals(company_for(load_state(home / "sandbox")), clock.year, 2)
    for goal in rows:
        if goal["owner_type"] == "employee" and goal["period"] == f"{clock.year}-Q4":
            goal |= {"target": round(goal["target"] * 1.05, 3), "revision": 3, "revised_on": clock.isoformat()}
    _write_xlsx(home / "inbox" / f"goals_{clock.year}_r3.xlsx", {"goals": rows})


def _built_by_period(home) -> bool:
    """The newest build deleted and recomputed fct_kpi_values' affected periods (not the whole table)."""
    newest = max((home / "logs" / "dbt").iterdir(), key=lambda p: p.stat().st_mtime)
    log = (newest / "dbt.log").read_text()
    return 'delete from \\"northstar\\".\\"marts\\".\\"fct_kpi_values\\" as kept' in log


def test_incremental_marts_equal_a_full_rebuild_after_several_days(refreshed_copy, tmp_path):
    from sandbox.generator import load_state, next_day

    home = refreshed_copy
    sandbox = home / "sandbox"
    # day 1: an ordinary day
    next_day(sandbox, home / "inbox")
    assert refresh(home).success and _built_by_period(home)
    # day 2: a backdated team move in the HR export, and a deal won 40 days ago arriving today
    next_day(sandbox, home / "inbox")
    state = load_state(sandbox)
    mover = _team_move(home, state.clock_date)
    late = _late_deal(home, state.clock_ms())
    assert refresh(home).success
    # day 3: the goal workbook revised
    next_day(sandbox, home / "inbox")
    _revised_goals(home, load_state(sandbox).clock_date)
    assert refresh(home).success and _built_by_period(home)

    with duckdb.connect(str(warehouse(home)), read_only=True) as con:
        # the late deal counts in its past month, for the team the mover joined
        (month,) = con.execute("select cast(date_trunc('month', event_date) as date) from marts.fct_kpi_records "
                               "where kpi_key = 'sales_closed_won_amount' and record_id = ?", [late]).fetchone()
        assert month < datetime.fromtimestamp(state.clock_ms() / 1000, UTC).date().replace(day=1)
        assert con.execute("select count(distinct org_unit_id) from marts.fct_kpi_records where employee_id = ?",
                           [mover]).fetchone()[0] >= 2
        digests = con.execute("select count(*) from intermediate.fct_kpi_values__built_from").fetchone()[0]
    assert digests > 0  # the last build kept what it was made from: it was incremental by period

    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(home, rebuilt)
    assert refresh(rebuilt, full=True).success
    assert mart_rows(rebuilt) == mart_rows(home)
