"""Every query the dashboards run: SELECTs from the published marts, parameters bound, scope applied here.

Each function takes the signed-in ``User`` and returns only rows that user may see, so a page (or a
crafted call) cannot widen its scope. KPI values come from the marts as computed by dbt; nothing is
recomputed here.
"""

from __future__ import annotations

import duckdb
import polars as pl

from dashboards.access import AccessDenied, User, require_employee, visible_employees


def _scope_filter(column: str, scope: set[str] | None) -> tuple[str, list]:
    """SQL and parameters restricting ``column`` to ``scope`` (None: no restriction)."""
    if scope is None:
        return "true", []
    return f"list_contains(?::varchar[], {column})", [sorted(scope)]


def visible_units(con: duckdb.DuckDBPyConnection, user: User) -> set[str] | None:
    """Org units whose aggregates ``user`` may see: all for HR, executives, auditors; a manager's own subtree."""
    if user.role in ("hr", "executive", "auditor"):
        return None
    if user.role == "employee":
        return set()
    rows = con.execute(
        """with recursive units as (
               select org_unit_id, 0 as depth from marts.dim_org_unit where manager_employee_id = ?
               union all
               select u.org_unit_id, units.depth + 1 from marts.dim_org_unit u
               join units on u.parent_id = units.org_unit_id where units.depth < 20)
           select distinct org_unit_id from units""", [user.employee_id]).fetchall()
    return {r[0] for r in rows}


def kpi_values(con: duckdb.DuckDBPyConnection, user: User, kpi_key: str, subject_type: str = "employee",
               period_type: str = "quarter") -> pl.DataFrame:
    """One KPI per subject and period, for the subjects ``user`` may see."""
    if subject_type == "employee":
        if not user.sees_individuals:
            raise AccessDenied(f"{user.username} ({user.role}) sees aggregates only, not individual KPI values")
        scope_sql, scope_params = _scope_filter("v.subject_id", visible_employees(con, user))
    elif subject_type == "org_unit":
        scope_sql, scope_params = _scope_filter("v.subject_id", visible_units(con, user))
    else:
        raise ValueError(f"subject_type must be employee or org_unit, not {subject_type!r}")
    return con.execute(
        f"""select v.kpi_key, k.name_en, k.name_zh, v.subject_type, v.subject_id, v.period_type, v.period_start,
                   v.value, v.numerator, v.denominator, v.record_count
            from marts.fct_kpi_values v join marts.dim_kpi k using (kpi_key)
            where v.kpi_key = ? and v.subject_type = ? and v.period_type = ? and {scope_sql}
            order by v.subject_id, v.period_start""",
        [kpi_key, subject_type, period_type, *scope_params]).pl()


def person_goals(con: duckdb.DuckDBPyConnection, user: User, employee_id: str) -> pl.DataFrame:
    """A person's goals with their latest progress (target in force, attainment, status, forecast)."""
    require_employee(con, user, employee_id)
    return con.execute(
        """with current_goals as (
               select * from marts.dim_goal
               where owner_type = 'employee' and owner_id = ?
               qualify row_number() over (partition by goal_id order by revision desc) = 1),
           latest as (
               select * from marts.fct_goal_progress
               where goal_id in (select goal_id from current_goals)
               qualify row_number() over (partition by goal_id order by as_of_date desc) = 1)
           select g.goal_id, g.title, g.kpi_key, g.period, g.weight, g.revision, l.as_of_date, l.actual, l.target,
                  l.attainment, l.expected_attainment, l.status, l.forecast_value, l.forecast_attainment
           from current_goals g left join latest l using (goal_id)
           order by g.period, g.goal_id""", [employee_id]).pl()


def scorecards(con: duckdb.DuckDBPyConnection, user: User, period: str) -> pl.DataFrame:
    """Scores, ranks and the grade proposal per person; PIP columns for HR only."""
    if not user.sees_individuals:
        raise AccessDenied(f"{user.username} ({user.role}) may not see individual scores")
    scope_sql, scope_params = _scope_filter("s.employee_id", visible_employees(con, user))
    hr_columns = ", s.consecutive_low_periods, s.pip_candidate" if user.sees_pip else ""
    return con.execute(
        f"""select s.employee_id, e.full_name, s.period, s.weighted_score, s.rank_in_unit, s.unit_size, s.grade,
                   s.unit_id{hr_columns}
            from marts.fct_scorecard s join marts.dim_employee e using (employee_id)
            where s.period = ? and {scope_sql}
            order by s.unit_id, s.rank_in_unit""", [period, *scope_params]).pl()


def audit_runs(con: duckdb.DuckDBPyConnection, user: User, limit: int = 20) -> pl.DataFrame:
    """The latest audit runs and their decisions (auditors, HR, executives)."""
    if not user.sees_quality:
        raise AccessDenied(f"{user.username} ({user.role}) may not see data-quality reports")
    return con.execute("select * from audit.runs order by audited_at desc limit ?", [limit]).pl()
