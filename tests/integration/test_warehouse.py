"""The warehouse on the small company: marts built, KPIs checked independently, incremental == full."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from config.settings import PROJECT_ROOT
from tests.helpers import refresh

TZ = ZoneInfo("Asia/Shanghai")
MARTS = ["dim_org_unit", "dim_employee", "dim_employee_history", "dim_kpi", "fct_kpi_values", "dim_goal",
         "fct_goal_progress", "fct_goal_status", "fct_scorecard", "fct_identity_unmatched", "fct_kpi_records",
         "fct_kpi_project_values"]
KPI_KEYS = [r["kpi_key"] for r in pl.read_csv(PROJECT_ROOT / "dbt_project" / "seeds" / "kpi_catalogue.csv").to_dicts()]


def warehouse(home: Path) -> Path:
    return home / "warehouse" / "northstar.duckdb"


def query(home: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse(home)), read_only=True) as con:
        return con.execute(sql).pl()


def test_every_mart_is_built_with_every_kpi(refreshed_company):
    home, _ = refreshed_company
    for mart in MARTS:
        assert query(home, f"select count(*) as n from marts.{mart}")["n"][0] > 0, mart
    kpis = set(query(home, "select distinct kpi_key from marts.fct_kpi_values")["kpi_key"])
    assert kpis == set(KPI_KEYS)
    for subject in ("employee", "org_unit"):
        for period in ("month", "quarter", "year"):
            got = query(home, f"select count(distinct kpi_key) as n from marts.fct_kpi_values "
                              f"where subject_type = '{subject}' and period_type = '{period}'")["n"][0]
            assert got == len(KPI_KEYS), (subject, period)


def test_every_employee_with_a_kpi_goal_has_a_scorecard(refreshed_company):
    home, _ = refreshed_company
    missing = query(home, """
        select distinct g.owner_id, g.period from marts.dim_goal g
        join marts.dim_employee e on e.employee_id = g.owner_id
        where g.owner_type = 'employee' and g.goal_type in ('kpi', 'key_result') and g.period_start <= (
            select max(as_of_date) from marts.fct_goal_progress)
          and e.hire_date <= g.period_end and coalesce(e.termination_date, g.period_start) >= g.period_start
        except
        select employee_id, period from marts.fct_scorecard""")
    assert missing.height == 0, missing.head()
    statuses = set(query(home, "select distinct status from marts.fct_goal_progress")["status"])
    assert {"achieved", "on_track", "at_risk", "off_track"} <= statuses
    grades = query(home, "select grade, count(*) as n from marts.fct_scorecard group by 1").to_dicts()
    assert {g["grade"] for g in grades} >= {"A", "B", "C"}


def test_scores_exist_only_for_periods_people_were_employed_in(refreshed_company):
    """Rule 14 on the small company: no scorecard row, goal status or grade outside a person's employment; no PIP
    candidate without two graded periods; nobody graded on fewer than min_tenure_days (90) of a quarter."""
    home, _ = refreshed_company
    outside = query(home, """
        select s.employee_id, s.period from marts.fct_scorecard s
        join marts.dim_employee e using (employee_id)
        join (select distinct period, period_start, period_end from marts.dim_goal) g using (period)
        where g.period_end < e.hire_date or g.period_start > coalesce(e.termination_date, g.period_end)
        union all
        select g.owner_id, g.period from marts.fct_goal_status g join marts.dim_employee e on e.employee_id = g.owner_id
        where g.owner_type = 'employee' and (g.period_end < e.hire_date or g.period_start > coalesce(e.termination_date,
                                                                                                     g.period_end))""")
    assert outside.height == 0, outside.head()
    early_pip = query(home, """
        select employee_id, period from marts.fct_scorecard s where pip_candidate and (
            select count(*) from marts.fct_scorecard p where p.employee_id = s.employee_id and p.is_graded
              and length(p.period) = length(s.period) and p.period <= s.period) < 2""")
    assert early_pip.height == 0, early_pip.head()
    short = query(home, """select count(*) filter (where is_graded and employed_days < 90) as graded_short,
                                  count(*) filter (where not is_graded and employed_days < 90) as shown_short
                           from marts.fct_scorecard where length(period) = 7""").row(0, named=True)
    assert short["graded_short"] == 0 and short["shown_short"] > 0, short


def test_the_mid_year_revision_changes_the_future_only(refreshed_company):
    home, _ = refreshed_company
    rows = query(home, """
        select p.as_of_date, p.target, p.target_revision
        from marts.fct_goal_progress p
        where p.goal_id = 'G2026-C-O1-KR1' order by 1""").to_dicts()
    before = [r for r in rows if r["as_of_date"] < date(2026, 7, 1)]
    after = [r for r in rows if r["as_of_date"] >= date(2026, 7, 1)]
    assert {r["target_revision"] for r in before} == {1} and {r["target_revision"] for r in after} == {2}
    assert after[0]["target"] == pytest.approx(before[0]["target"] * 1.1)
    both = query(home, "select revision, target from marts.dim_goal where goal_id = 'G2026-C-O1-KR1' order by 1")
    assert both["revision"].to_list() == [1, 2]


# --------------------------------------------------------------------------- independent checks


def _raw(home: Path, table: str) -> pl.DataFrame:
    return query(home, f"select record_id, updated_at, _loaded_at, payload::varchar as payload from {table}")


def _latest(frame: pl.DataFrame) -> list[dict]:
    """Latest version per record (rule 5), the plain-Python way."""
    best: dict[str, dict] = {}
    for row in frame.sort(["updated_at", "_loaded_at"], nulls_last=False).to_dicts():
        best[row["record_id"]] = row
    return [json.loads(r["payload"]) for r in best.values()]


def _employees_by_email(home: Path) -> dict[str, str]:
    emp = query(home, "select employee_id, email, _loaded_at from raw_hr.employees")
    return {r["email"].strip().lower(): r["employee_id"] for r in emp.sort("_loaded_at").to_dicts()}


def _override(source: str, source_user_id: str) -> str | None:
    overrides = pl.read_csv(PROJECT_ROOT / "dbt_project" / "seeds" / "identity_overrides.csv", infer_schema=False)
    hits = overrides.filter((pl.col("source") == source) & (pl.col("source_user_id") == source_user_id))
    return hits["employee_id"][0] if hits.height else None


def _local_date(text: str) -> date:
    return datetime.fromisoformat(text).astimezone(TZ).date()


def _teams(home: Path) -> list[dict]:
    rows = query(home, "select distinct employee_id, org_unit_id, effective_from from raw_hr.assignments").to_dicts()
    return sorted(rows, key=lambda r: (r["employee_id"], r["effective_from"]))


def _team_on(assignments: list[dict], employee_id: str, day: date) -> str | None:
    unit = None
    for a in assignments:
        if a["employee_id"] == employee_id and a["effective_from"] <= day:
            unit = a["org_unit_id"]
    return unit


def test_closed_won_amount_per_employee_and_month_matches_an_independent_computation(refreshed_company):
    """Rules 1, 2, 4, 5 redone in Python: latest version, not archived, owner by e-mail or override, local month."""
    home, _ = refreshed_company
    owners = {o["id"]: o["email"] for o in _latest(_raw(home, "raw_hubspot.owners"))}
    by_email = _employees_by_email(home)
    expected: dict[tuple[str, date], float] = {}
    for deal in _latest(_raw(home, "raw_hubspot.deals")):
        props = deal["properties"]
        if deal["archived"] or props["dealstage"] != "closedwon":
            continue
        owner = props["hubspot_owner_id"]
        employee = _override("hubspot", owner) or by_email.get(owners.get(owner, "").strip().lower())
        if employee is None:
            continue
        month = _local_date(props["closedate"]).replace(day=1)
        expected[(employee, month)] = expected.get((employee, month), 0.0) + float(props["amount"])
    got = query(home, """select subject_id, period_start, value from marts.fct_kpi_values
                         where kpi_key = 'sales_closed_won_amount' and subject_type = 'employee'
                           and period_type = 'month'""")
    actual = {(r["subject_id"], r["period_start"]): r["value"] for r in got.to_dicts()}
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-12), key


def test_csat_per_department_and_quarter_matches_an_independent_computation(refreshed_company):
    home, _ = refreshed_company
    agents = {str(u["id"]): u["email"] for u in _latest(_raw(home, "raw_zendesk.users"))
              if u["role"] in ("agent", "admin")}
    by_email = _employees_by_email(home)
    assignments = _teams(home)
    units = query(home, "select org_unit_id, parent_id, unit_type from raw_hr.org_units").unique("org_unit_id")
    parent = {r["org_unit_id"]: r["parent_id"] for r in units.to_dicts()}
    kind = {r["org_unit_id"]: r["unit_type"] for r in units.to_dicts()}
    counts: dict[tuple[str, date], list[int]] = {}
    for rating in _latest(_raw(home, "raw_zendesk.satisfaction_ratings")):
        if rating["score"] not in ("good", "bad"):
            continue
        employee = by_email.get(agents.get(str(rating["assignee_id"]), "").strip().lower())
        day = _local_date(rating["created_at"])
        unit = _team_on(assignments, employee, day) if employee else None
        while unit and kind[unit] != "department":
            unit = parent[unit]
        if unit is None:
            continue
        quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        good_total = counts.setdefault((unit, quarter), [0, 0])
        good_total[0] += rating["score"] == "good"
        good_total[1] += 1
    got = query(home, """select v.subject_id, v.period_start, v.value from marts.fct_kpi_values v
                         join marts.dim_org_unit u on u.org_unit_id = v.subject_id
                         where v.kpi_key = 'support_csat' and u.unit_type = 'department'
                           and v.period_type = 'quarter'""")
    actual = {(r["subject_id"], r["period_start"]): r["value"] for r in got.to_dicts()}
    assert actual == {k: g / n for k, (g, n) in counts.items()}


def test_story_points_per_team_and_year_matches_an_independent_computation(refreshed_company):
    home, _ = refreshed_company
    users = {u["accountId"]: u["emailAddress"] for u in _latest(_raw(home, "raw_jira.users"))}
    by_email = _employees_by_email(home)
    assignments = _teams(home)
    expected: dict[tuple[str, date], float] = {}
    for issue in _latest(_raw(home, "raw_jira.issues")):
        fields = issue["fields"]
        if fields["status"]["statusCategory"]["key"] != "done" or not fields.get("resolutiondate"):
            continue
        employee = by_email.get(users.get((fields.get("assignee") or {}).get("accountId"), "").strip().lower())
        day = _local_date(fields["resolutiondate"])
        team = _team_on(assignments, employee, day) if employee else None
        if team is None:
            continue
        key = (team, date(day.year, 1, 1))
        expected[key] = expected.get(key, 0.0) + float(fields.get("customfield_10016") or 0)
    got = query(home, """select v.subject_id, v.period_start, v.value from marts.fct_kpi_values v
                         join marts.dim_org_unit u on u.org_unit_id = v.subject_id
                         where v.kpi_key = 'delivery_story_points_done' and u.unit_type = 'team'
                           and v.period_type = 'year'""")
    assert {(r["subject_id"], r["period_start"]): r["value"] for r in got.to_dicts()} == expected


# --------------------------------------------------------------------------- incremental


def mart_rows(home: Path) -> dict[str, list[tuple]]:
    out = {}
    with duckdb.connect(str(warehouse(home)), read_only=True) as con:
        for mart in MARTS:
            rows = con.execute(f"select * from marts.{mart}").fetchall()
            out[mart] = sorted((tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in rows), key=str)
    return out


def test_the_hand_written_floor_computes_every_sum_and_ratio_kpi_value_of_the_mart(refreshed_company, tmp_path):
    """benchmarks/floor.sql, written apart from the dbt models, gives the same value for every (KPI, person or
    unit, period) as fct_kpi_values: the bench's "dbt build / floor" compares like with like, and two
    computations of the KPI rules agree."""
    from cli.bench import run_floor

    copy = tmp_path / "w.duckdb"
    shutil.copy(warehouse(refreshed_company[0]), copy)
    figures = run_floor(copy)
    kpis = query(refreshed_company[0], "select count(distinct kpi_key) as n from seeds.kpi_catalogue "
                                       "where measure in ('sum', 'ratio')")["n"][0]
    assert figures.values > 10_000 and figures.mismatches == {}
    with duckdb.connect(str(copy)) as con:  # a wrong value in the mart is found
        con.execute("update marts.fct_kpi_values set value = value + 1 where kpi_key = 'support_csat' "
                    "and subject_type = 'org_unit' and period_type = 'quarter'")
    assert set(run_floor(copy).mismatches) == {"support_csat"}
    assert kpis == 14


def test_incremental_refresh_after_the_next_day_equals_a_full_rebuild(next_day_company, tmp_path):
    home, outcome, _, _ = next_day_company
    assert sum(outcome.landed.values()) > 0
    with duckdb.connect(str(warehouse(home)), read_only=True) as con:
        loads = con.execute("select count(distinct _load_id) from raw_hubspot.deals").fetchall()[0][0]
    assert loads == 2  # the deals base table was built from two loads: first the history, then the new day
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(home, rebuilt)
    assert refresh(rebuilt, full=True).success
    assert mart_rows(rebuilt) == mart_rows(home)


def test_the_data_is_dated_in_the_company_time_zone(refreshed_company):
    home, _ = refreshed_company
    late = query(home, """select deal_id, closed_at from staging.stg_hubspot__deals
                          where hour(closed_at) < 8 and closed_at is not null limit 1""").to_dicts()
    assert late, "the simulation has deals closed late in the UTC evening"
    raw = query(home, f"""select payload->'properties'->>'closedate' as closedate from raw_hubspot.deals
                          where record_id = '{late[0]["deal_id"]}' order by updated_at desc limit 1""")
    utc = datetime.fromisoformat(raw["closedate"][0]).astimezone(UTC)
    assert utc.astimezone(TZ).replace(tzinfo=None) == late[0]["closed_at"]


def test_no_model_joins_on_a_list_function():
    """A join on a list function (``on list_contains(...)``) cannot be a hash join: DuckDB compares every row with
    every row. Jira's milestones did so (4.8 M issues x 74 k versions at the large tier); models unnest instead."""
    models = PROJECT_ROOT / "dbt_project" / "models"
    quadratic = re.compile(r"\bon\s+(list|array)_\w+\s*\(", re.IGNORECASE)
    found = [f"{path.relative_to(models)}: {m.group(0)}" for path in sorted(models.rglob("*.sql"))
             for m in quadratic.finditer(path.read_text())]
    assert not found, found
