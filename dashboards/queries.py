"""Every query the dashboards run: SELECTs from the published serving database, parameters bound, scope applied here.

Each function takes the signed-in ``User`` and returns only rows that user may see, so a page (or a crafted
call) cannot widen its scope: filters a caller passes are intersected with the user's scope, never trusted.
KPI values, attainment, status, scores and grades come from the marts as dbt computed them; nothing here
recomputes a KPI (cross-analysis by title shows the distribution of people's mart values, labelled as such).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from dashboards.access import AccessDenied, User, require_employee, visible_employees


def _scope_filter(column: str, scope: set[str] | None) -> tuple[str, list]:
    """SQL and parameters restricting ``column`` to ``scope`` (None: no restriction)."""
    if scope is None:
        return "true", []
    # a semi-join on the unnested list (hashed), not list_contains per row: scopes hold thousands of ids
    return f"{column} in (select unnest(?::varchar[]))", [sorted(scope)]


def _deny_unless(allowed: bool, user: User, what: str) -> None:
    if not allowed:
        raise AccessDenied(f"{user.username} ({user.role}) may not see {what}")


# -- scope -----------------------------------------------------------------------------------------

def visible_units(con: duckdb.DuckDBPyConnection, user: User) -> set[str] | None:
    """Org units whose aggregates ``user`` may see: all for HR, executives, auditors; a manager's own subtree."""
    if user.role in ("hr", "executive", "auditor"):
        return None
    if user.role == "employee":
        return set()
    rows = con.execute(
        """select s.descendant_id from marts.dim_org_subtree s
           join marts.dim_org_unit u on u.org_unit_id = s.ancestor_id where u.manager_employee_id = ?""",
        [user.employee_id]).fetchall()
    return {r[0] for r in rows}


def goal_units(con: duckdb.DuckDBPyConnection, user: User) -> set[str] | None:
    """Org units whose *goals* ``user`` may see: the aggregates they see plus the chain above their own unit
    (an employee sees the company, department and team goals their own goals ladder up to)."""
    units = visible_units(con, user)
    if units is None:
        return None
    rows = con.execute(
        """select s.ancestor_id from marts.dim_org_subtree s
           join marts.dim_employee e on e.org_unit_id = s.descendant_id where e.employee_id = ?""",
        [user.employee_id]).fetchall()
    return units | {r[0] for r in rows}


_SUBTREE = "select descendant_id from marts.dim_org_subtree where ancestor_id = ?"  # a unit and everything below


def _individuals(con: duckdb.DuckDBPyConnection, user: User) -> set[str] | None:
    return visible_employees(con, user) if user.sees_individuals else set()


# -- reference lists -------------------------------------------------------------------------------

def data_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    return con.execute("select max(as_of_date) from marts.fct_goal_progress").fetchall()[0][0]


def kpis(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.execute("select * from marts.dim_kpi order by domain, kpi_key").pl()


def goal_periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("select distinct period from marts.dim_goal order by period").fetchall()]


def current_quarter(con: duckdb.DuckDBPyConnection) -> str | None:
    as_of = data_as_of(con)
    return f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}" if as_of else None


def units(con: duckdb.DuckDBPyConnection, user: User) -> pl.DataFrame:
    """The org units ``user`` may pick (aggregates scope), tree order."""
    scope_sql, params = _scope_filter("org_unit_id", visible_units(con, user))
    return con.execute(f"""select org_unit_id, name, unit_type, parent_id, path, depth, manager_employee_id
                           from marts.dim_org_unit where {scope_sql} order by path""", params).pl()


def people(con: duckdb.DuckDBPyConnection, user: User, unit_id: str | None = None) -> pl.DataFrame:
    """People ``user`` may see individually (optionally those now in ``unit_id``'s subtree)."""
    scope_sql, params = _scope_filter("e.employee_id", _individuals(con, user))
    unit_sql = "true"
    if unit_id is not None:
        unit_sql = f"e.org_unit_id in ({_SUBTREE})"
        params = [*params, unit_id]
    return con.execute(
        f"""select e.employee_id, e.full_name, e.title, e.org_unit_id, u.name as unit_name, e.manager_id, e.is_active
            from marts.dim_employee e left join marts.dim_org_unit u using (org_unit_id)
            where {scope_sql} and {unit_sql} order by e.full_name""", params).pl()


# -- KPI values ------------------------------------------------------------------------------------

def kpi_values(con: duckdb.DuckDBPyConnection, user: User, kpi_key: str | list[str], subject_type: str = "employee",
               period_type: str = "quarter", subject_ids: list[str] | None = None) -> pl.DataFrame:
    """One KPI (or several) per subject and period, for the subjects ``user`` may see (``subject_ids`` narrows,
    never widens)."""
    kpi_keys = [kpi_key] if isinstance(kpi_key, str) else list(kpi_key)
    if subject_type == "employee":
        _deny_unless(user.sees_individuals, user, "individual KPI values")
        scope = visible_employees(con, user)
    elif subject_type == "org_unit":
        scope = visible_units(con, user)
    else:
        raise ValueError(f"subject_type must be employee or org_unit, not {subject_type!r}")
    scope_sql, scope_params = _scope_filter("v.subject_id", scope)
    narrow_sql, narrow_params = _scope_filter("v.subject_id", set(subject_ids) if subject_ids is not None else None)
    return con.execute(
        f"""select v.kpi_key, k.name_en, k.name_zh, v.subject_type, v.subject_id, v.period_type, v.period_start,
                   v.value, v.numerator, v.denominator, v.record_count
            from marts.fct_kpi_values v join marts.dim_kpi k using (kpi_key)
            where v.kpi_key in (select unnest(?::varchar[])) and v.subject_type = ? and v.period_type = ?
              and {scope_sql} and {narrow_sql}
            order by v.kpi_key, v.subject_id, v.period_start""",
        [kpi_keys, subject_type, period_type, *scope_params, *narrow_params]).pl()


# -- goals -----------------------------------------------------------------------------------------

def _period_window(con: duckdb.DuckDBPyConnection, period: str) -> tuple[date, date]:
    rows = con.execute("select min(period_start), max(period_end) from marts.dim_goal where period = ?",
                       [period]).fetchall()
    if not rows or rows[0][0] is None:
        raise ValueError(f"no goals for period {period!r}")
    return rows[0][0], rows[0][1]


def goal_map(con: duckdb.DuckDBPyConnection, user: User, period: str) -> pl.DataFrame:
    """The org → person tree for ``period``: one row per node with the mart's roll-up (``fct_goal_rollup``, rule 16).

    A unit's status is its own goals' (objectives roll up their key results), or the worst beneath it when it has
    none; ``needs_attention`` marks a unit with more than the set share of people beneath off track. Person nodes
    appear only for users who see individuals, and only people in their scope.
    """
    unit_sql, unit_params = _scope_filter("u.org_unit_id", goal_units(con, user))
    person_sql, person_params = _scope_filter("e.employee_id", _individuals(con, user))
    return con.execute(
        f"""with nodes as (
                select u.org_unit_id as node_id, u.parent_id as parent_node_id, u.name as label,
                       u.unit_type as node_type, u.path as sort_key, 'org_unit' as subject_type
                from marts.dim_org_unit u where {unit_sql}
                union all
                select e.employee_id, e.org_unit_id, e.full_name, 'person', u.path || '/' || e.full_name, 'employee'
                from marts.dim_employee e join marts.dim_org_unit u using (org_unit_id)
                where e.is_active and {person_sql} and {unit_sql})
            select n.node_id, n.parent_node_id, n.label, n.node_type, coalesce(r.own_goals, 0) as goals,
                   coalesce(r.own_status, r.worst_status_beneath) as status,
                   coalesce(r.needs_attention, false) and n.node_type <> 'person' as needs_attention,
                   r.people_beneath, r.people_off_track
            from nodes n
            left join marts.fct_goal_rollup r
                on r.subject_type = n.subject_type and r.subject_id = n.node_id and r.period = ?
            order by n.sort_key""",
        [*unit_params, *person_params, *unit_params, period]).pl()


def unit_rollup(con: duckdb.DuckDBPyConnection, user: User, unit_id: str, period: str) -> dict:
    """The roll-up mart's row for one unit the user may see (its own status and the people and goals beneath)."""
    scope = visible_units(con, user)
    if scope is not None and unit_id not in scope:
        raise AccessDenied(f"{user.username} ({user.role}) may not see unit {unit_id}")
    rows = con.execute("""select * from marts.fct_goal_rollup
                          where subject_type = 'org_unit' and subject_id = ? and period = ?""",
                       [unit_id, period]).pl().to_dicts()
    return rows[0] if rows else {}


def _require_goal_owner(con: duckdb.DuckDBPyConnection, user: User, owner_type: str, owner_id: str) -> None:
    """Raise ``AccessDenied`` unless ``user`` may see the goals of this person or unit."""
    if owner_type == "employee":
        _deny_unless(user.sees_individuals, user, "individual goals")
        require_employee(con, user, owner_id)
    elif owner_type == "org_unit":
        scope = goal_units(con, user)
        _deny_unless(scope is None or owner_id in scope, user, f"the goals of unit {owner_id}")
    else:
        raise ValueError(f"owner_type must be employee or org_unit, not {owner_type!r}")


def owner_goals(con: duckdb.DuckDBPyConnection, user: User, owner_type: str, owner_id: str,
                period: str | None = None) -> pl.DataFrame:
    """An owner's goals (current revision, original target kept) with their latest progress."""
    _require_goal_owner(con, user, owner_type, owner_id)
    period_sql, period_params = "true", []
    if period is not None:
        start, end = _period_window(con, period)
        period_sql, period_params = "g.period_start <= ? and g.period_end >= ?", [start, end]
    return con.execute(
        f"""select g.goal_id, g.parent_goal_id, g.goal_type, g.title, g.kpi_key, g.period, g.period_start, g.period_end,
                   g.weight, g.baseline, g.original_target, g.target, g.revision, g.as_of_date, g.actual,
                   g.attainment, g.expected_attainment, g.status, g.forecast_value, g.forecast_attainment
            from marts.fct_goal_status g
            where g.owner_type = ? and g.owner_id = ? and {period_sql}
            order by g.period, g.goal_type, g.goal_id""", [owner_type, owner_id, *period_params]).pl()


def person_goals(con: duckdb.DuckDBPyConnection, user: User, employee_id: str,
                 period: str | None = None) -> pl.DataFrame:
    return owner_goals(con, user, "employee", employee_id, period)


def goal_alignment(con: duckdb.DuckDBPyConnection, user: User, period: str) -> pl.DataFrame:
    """The goal cascade in force during ``period``: the year's company, department and team objectives and key
    results, and the people's goals of ``period`` aligned under them, each with owner, weight, attainment, status
    and (key results) contribution to the parent. Org goals of the units whose goals ``user`` may see; people's
    goals only for users who see individuals, within their scope."""
    start, end = _period_window(con, period)
    unit_sql, unit_params = _scope_filter("g.owner_id", goal_units(con, user))
    person_sql, person_params = _scope_filter("g.owner_id", _individuals(con, user))
    return con.execute(
        # one equi-join on (owner_type, owner_id): two conditional joins made DuckDB take 8x longer (186 vs 24 ms
        # for 13,910 goals at the medium tier)
        f"""with owners as (
                select 'employee' as owner_type, employee_id as owner_id, full_name as owner, '' as path
                from marts.dim_employee
                union all
                select 'org_unit', org_unit_id, name, path from marts.dim_org_unit)
            select g.goal_id, g.parent_goal_id, g.goal_type, g.title, g.kpi_key, g.owner_type, g.owner_id,
                   coalesce(o.owner, g.owner_id) as owner, g.period, g.weight, g.target, g.actual,
                   g.attainment, g.expected_attainment, g.status, g.contribution
            from marts.fct_goal_status g
            left join owners o using (owner_type, owner_id)
            where g.period_start <= ? and g.period_end >= ?
              and ((g.owner_type = 'org_unit' and {unit_sql}) or (g.owner_type = 'employee' and {person_sql}))
            order by coalesce(o.path, ''), g.goal_type, g.goal_id""",
        [start, end, *unit_params, *person_params]).pl()


def goal_history(con: duckdb.DuckDBPyConnection, user: User, goal_id: str) -> pl.DataFrame:
    """One goal's progress snapshots (month ends and the as-of day) for its story chart, if ``user`` may see the
    goal's owner; with the KPI's pacing and the goal's original target."""
    owner = con.execute("select owner_type, owner_id from marts.dim_goal where goal_id = ? limit 1",
                        [goal_id]).fetchall()
    if not owner:
        raise AccessDenied(f"{user.username} ({user.role}) asked for goal {goal_id}, which does not exist")
    _require_goal_owner(con, user, owner[0][0], owner[0][1])  # the same scope as the owner's goal list
    return con.execute(
        """select p.as_of_date, p.actual, p.target, p.attainment, p.expected_attainment, p.status, p.forecast_value,
                  p.forecast_attainment, p.target_revision, s.original_target, s.period_start, s.period_end,
                  k.pacing, k.direction
           from marts.fct_goal_progress p
           join marts.fct_goal_status s using (goal_id)
           left join marts.dim_kpi k on k.kpi_key = s.kpi_key
           where p.goal_id = ? order by p.as_of_date""", [goal_id]).pl()


def team_goal_matrix(con: duckdb.DuckDBPyConnection, user: User, unit_id: str, period: str) -> pl.DataFrame:
    """Members now in ``unit_id``'s subtree × their KPI goals in ``period``, with the latest progress."""
    _deny_unless(user.sees_individuals, user, "team members' goals")
    unit_scope = visible_units(con, user)
    _deny_unless(unit_scope is None or unit_id in unit_scope, user, f"unit {unit_id}")
    scope_sql, scope_params = _scope_filter("g.owner_id", visible_employees(con, user))
    start, end = _period_window(con, period)
    return con.execute(
        f"""select e.employee_id, e.full_name, g.goal_id, g.kpi_key, k.name_en, k.name_zh, k.direction, g.weight,
                   g.target, g.actual, g.attainment, g.expected_attainment, g.status, g.forecast_attainment
            from marts.fct_goal_status g
            join marts.dim_employee e on e.employee_id = g.owner_id
            join marts.dim_kpi k using (kpi_key)
            where g.owner_type = 'employee' and g.period_start <= ? and g.period_end >= ?
              and e.org_unit_id in ({_SUBTREE}) and {scope_sql}
            order by e.full_name, g.kpi_key""", [start, end, unit_id, *scope_params]).pl()


def consecutive_declines(con: duckdb.DuckDBPyConnection, user: User, employee_ids: list[str],
                         min_run: int = 3) -> pl.DataFrame:
    """People whose goal KPI got worse ``min_run`` complete months in a row up to the latest (``fct_kpi_declines``)."""
    _deny_unless(user.sees_individuals, user, "individual KPI values")
    scope_sql, scope_params = _scope_filter("d.employee_id", visible_employees(con, user))
    return con.execute(
        f"""select d.employee_id, d.kpi_key, k.name_en, k.name_zh, d.declines, d.latest_month, e.full_name
            from marts.fct_kpi_declines d
            join marts.dim_kpi k using (kpi_key)
            join marts.dim_employee e using (employee_id)
            where {scope_sql} and d.employee_id in (select unnest(?::varchar[])) and d.declines >= ?
            order by d.declines desc, e.full_name""",
        [*scope_params, employee_ids, min_run]).pl()


# -- scores ----------------------------------------------------------------------------------------

def scorecards(con: duckdb.DuckDBPyConnection, user: User, period: str, unit_id: str | None = None) -> pl.DataFrame:
    """Scores, ranks and the grade proposal per person (optionally those now in ``unit_id``); PIP columns for HR."""
    _deny_unless(user.sees_individuals, user, "individual scores")
    scope_sql, scope_params = _scope_filter("s.employee_id", visible_employees(con, user))
    if unit_id is not None:
        scope_sql += f" and e.org_unit_id in ({_SUBTREE})"
        scope_params = [*scope_params, unit_id]
    hr_columns = ", s.consecutive_low_periods, s.pip_candidate" if user.sees_pip else ""
    return con.execute(
        f"""select s.employee_id, e.full_name, e.title, s.period, s.weighted_score, s.rank_in_unit, s.unit_size,
                   s.grade, s.unit_id, u.name as unit_name{hr_columns}
            from marts.fct_scorecard s join marts.dim_employee e using (employee_id)
            left join marts.dim_org_unit u on u.org_unit_id = s.unit_id
            where s.period = ? and {scope_sql}
            order by u.path, s.rank_in_unit""", [period, *scope_params]).pl()


def score_periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("select distinct period from marts.fct_scorecard order by 1").fetchall()]


def calibration(con: duckdb.DuckDBPyConnection, user: User, period: str) -> pl.DataFrame:
    """HR only: every score with its department, grade proposal and the consecutive-low / PIP flags, beside the
    manager's review score and the person's tenure (whole months from hire to the scoring day)."""
    _deny_unless(user.sees_pip, user, "calibration and PIP flags")
    return con.execute(
        """select s.employee_id, e.full_name, e.title, d.name as department, s.period, s.weighted_score,
                  s.rank_in_unit, s.unit_size, s.grade, s.consecutive_low_periods, s.pip_candidate,
                  s.review_score, s.review_cycle, e.hire_date,
                  date_diff('month', e.hire_date, s.scored_on) as tenure_months
           from marts.fct_scorecard s join marts.dim_employee e using (employee_id)
           left join marts.dim_org_unit d on d.org_unit_id = s.unit_id
           where s.period = ? order by d.name, s.rank_in_unit""", [period]).pl()


# -- drill-through ---------------------------------------------------------------------------------

def record_link(source_object: str, source: str, record_id: str, label: str, links: dict[str, str]) -> str | None:
    """A URL shaped like the source system's own, from the configured bases; None for inbox records and for a
    system whose base is not set (no link beats a link to a tenant that is not the company's).

    ``record_id`` is the id in the source system (``fct_kpi_records.source_record_id``)."""
    if source == "inbox":
        return None
    portal, jira, zendesk = (links.get(k, "").rstrip("/") for k in
                             ("hubspot_portal_id", "jira_base_url", "zendesk_base_url"))
    hubspot = f"https://app.hubspot.com/contacts/{portal}/record"
    shapes = {
        "deal": portal and f"{hubspot}/0-3/{record_id}",
        "call": portal and f"{hubspot}/0-48/{record_id}",
        "meeting": portal and f"{hubspot}/0-47/{record_id}",
        "issue": jira and f"{jira}/browse/{label.split(' ')[0]}",
        "version": jira and f"{jira}/projects/{label.split(' ')[0]}/versions/{record_id}",
        "ticket": zendesk and f"{zendesk}/agent/tickets/{record_id}",
        "rating": zendesk and f"{zendesk}/agent/reporting/satisfaction",
    }
    return shapes.get(source_object) or None


def kpi_records(con: duckdb.DuckDBPyConnection, user: User, employee_id: str, kpi_key: str,
                period_start: date, period_end: date, links: dict[str, str] | tuple, limit: int = 5000) -> pl.DataFrame:
    """The records behind a person's KPI value in [period_start, period_end]: what made the number.

    ``links`` holds the URL bases (``[dashboards]`` settings: hubspot_portal_id, jira_base_url, zendesk_base_url).
    """
    links = dict(links)
    _deny_unless(user.sees_individuals, user, "individual records")
    require_employee(con, user, employee_id)
    frame = con.execute(
        """select r.event_date, r.source, r.source_object, r.label, r.detail, r.record_id, r.source_record_id,
                  r.project_key, r.numerator, r.denominator, r.value
           from marts.fct_kpi_records r
           where r.employee_id = ? and r.kpi_key = ? and r.event_date between ? and ?
           order by r.event_date, r.record_id limit ?""", [employee_id, kpi_key, period_start, period_end, limit]).pl()
    urls = [record_link(o, s, r, lb, links) for o, s, r, lb in
            zip(frame["source_object"], frame["source"], frame["source_record_id"], frame["label"], strict=True)]
    return frame.with_columns(pl.Series("link", urls, dtype=pl.Utf8))


# -- cross-analysis --------------------------------------------------------------------------------

DIMENSIONS = ("department", "title", "project", "period")


def _period_end(start: date, period_type: str) -> date:
    """The last day of the month, quarter or year that begins on ``start``."""
    months = {"month": 1, "quarter": 3, "year": 12}[period_type]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def cross_analysis(con: duckdb.DuckDBPyConnection, user: User, kpi_key: str, dimension: str, period_type: str,
                   period_start: date | None) -> pl.DataFrame:
    """One KPI compared across a dimension.

    department: the mart's org-unit values (subtree aggregates) of the departments (or a manager's units);
    project: the mart's per-project values (HR, executives, auditors); title: people's own values with their
    title (the page plots their distribution; roles that see individuals, within scope); period: the top
    visible unit's value over every period.
    """
    if dimension == "department":
        scope_sql, params = _scope_filter("v.subject_id", visible_units(con, user))
        _deny_unless(user.role != "employee", user, "org aggregates")
        return con.execute(
            f"""select u.name as group_label, u.unit_type, v.value, v.record_count
                from marts.fct_kpi_values v join marts.dim_org_unit u on u.org_unit_id = v.subject_id
                where v.kpi_key = ? and v.subject_type = 'org_unit' and v.period_type = ? and v.period_start = ?
                  and (u.unit_type = 'department' or ? = 'manager') and {scope_sql}
                order by v.value desc nulls last""",
            [kpi_key, period_type, period_start, user.role, *params]).pl()
    if dimension == "project":
        _deny_unless(user.role in ("hr", "executive", "auditor"), user, "project aggregates")
        return con.execute(
            """select project_key as group_label, value, record_count from marts.fct_kpi_project_values
               where kpi_key = ? and period_type = ? and period_start = ? order by value desc nulls last""",
            [kpi_key, period_type, period_start]).pl()
    if dimension == "title":
        _deny_unless(user.sees_individuals, user, "individual values by title")
        scope_sql, params = _scope_filter("v.subject_id", visible_employees(con, user))
        # everyone in scope who held a job in the period: with no records a summed KPI is 0 (nothing was done),
        # a ratio or median has no value (nothing to divide) and is left out of the distribution
        return con.execute(
            f"""select e.title as group_label, e.employee_id, e.full_name,
                       case when k.measure = 'sum' then coalesce(v.value, 0) else v.value end as value,
                       coalesce(v.record_count, 0) as record_count
                from marts.dim_employee e
                cross join (select measure from marts.dim_kpi where kpi_key = ?) as k
                left join marts.fct_kpi_values v
                    on v.subject_id = e.employee_id and v.kpi_key = ? and v.subject_type = 'employee'
                   and v.period_type = ? and v.period_start = ?
                where {scope_sql.replace('v.subject_id', 'e.employee_id')}
                  and e.hire_date <= ? and coalesce(e.termination_date, ?) >= ?
                  and (v.value is not null or k.measure = 'sum')
                order by e.title, value""",
            [kpi_key, kpi_key, period_type, period_start, *params, _period_end(period_start, period_type),
             period_start, period_start]).pl()
    if dimension == "period":
        _deny_unless(user.role != "employee", user, "org aggregates")
        top = units(con, user).sort("depth").head(1)
        if top.is_empty():
            return pl.DataFrame()
        return con.execute(
            """select v.period_start::varchar as group_label, v.value, v.record_count
               from marts.fct_kpi_values v
               where v.kpi_key = ? and v.subject_type = 'org_unit' and v.subject_id = ? and v.period_type = ?
               order by v.period_start""", [kpi_key, top["org_unit_id"][0], period_type]).pl()
    raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}, not {dimension!r}")


def default_cross_kpi(con: duckdb.DuckDBPyConnection, user: User) -> str:
    """The KPI cross-analysis opens on: a manager's own unit's key-result KPI, else the company's first key result."""
    unit = []
    if user.role == "manager":
        unit = con.execute("""select org_unit_id from marts.dim_org_unit where manager_employee_id = ?
                              order by depth limit 1""", [user.employee_id]).fetchall()
    rows = con.execute(
        """select g.kpi_key from marts.fct_goal_status g join marts.dim_org_unit u on u.org_unit_id = g.owner_id
           where g.owner_type = 'org_unit' and g.kpi_key is not null
             and (u.org_unit_id = ? or (? is null and u.depth = 0))
           order by g.period desc, g.goal_id limit 1""", [unit[0][0] if unit else None] * 2).fetchall()
    if rows:
        return rows[0][0]
    return con.execute("select min(kpi_key) from marts.dim_kpi").fetchall()[0][0]


def kpi_period_starts(con: duckdb.DuckDBPyConnection, kpi_key: str, period_type: str) -> list[date]:
    return [r[0] for r in con.execute(
        """select distinct period_start from marts.fct_kpi_values where kpi_key = ? and period_type = ?
           order by 1 desc""", [kpi_key, period_type]).fetchall()]


# -- data quality and pipeline ---------------------------------------------------------------------

def audit_runs(con: duckdb.DuckDBPyConnection, user: User, limit: int = 20) -> pl.DataFrame:
    """The latest audit runs and their decisions (auditors, HR, executives)."""
    _deny_unless(user.sees_quality, user, "data-quality reports")
    return con.execute("select * from audit.runs order by audited_at desc limit ?", [limit]).pl()


def audit_results(con: duckdb.DuckDBPyConnection, user: User, run_id: str, failed_only: bool = True) -> pl.DataFrame:
    """One run's expectation results with what their tables feed (area, KPI domains, pages)."""
    _deny_unless(user.sees_quality, user, "data-quality reports")
    return con.execute(
        f"""select r.suite, f.area_title, r.table_name, r.expectation, r.column_name, r.family, r.severity, r.success,
                   r.observed_value, r.unexpected_count, {_sample_column(user)} as sample, r.description_en,
                   r.description_zh, r.error, f.kpi_domains, f.pages
            from audit.expectation_results r left join audit.suite_feeds f using (suite)
            where r.run_id = ? and {'not r.success' if failed_only else 'true'}
            order by r.severity, f.area_title, r.suite, r.expectation""", [run_id]).pl()


def _sample_column(user: User) -> str:
    """Which failing-record samples a role reads: HR all of them; auditors all but those of personal data (HR
    export, reviews, manual entries: names, e-mails, scores), which they see counted, not quoted; executives none.
    (The auditor's report applies the auditor's rule.) Which suites quote personal data is published with the
    audit (``audit.suite_feeds.personal_data``), so the app never imports the audit code (Great Expectations)."""
    if user.role == "hr":
        return "r.sample"
    if user.role == "auditor":
        return "case when coalesce(f.personal_data, true) then null else r.sample end"
    return "null::json"


def restatements(con: duckdb.DuckDBPyConnection, user: User) -> pl.DataFrame:
    """KPI values of closed months that changed since their close (rule 17). HR sees every row; auditors every
    row but those of hand-entered KPIs about people (manual points), which they see counted in the report;
    executives the units' rows (aggregates), not single people's."""
    _deny_unless(user.sees_quality, user, "data-quality reports")
    where = {"hr": "true", "auditor": "k.domain <> 'manual'"}.get(user.role, "r.subject_type = 'org_unit'")
    return con.execute(
        f"""select r.close_month, r.closed_at, r.kpi_key, k.name_en, k.name_zh, r.subject_type, r.subject_id,
                   coalesce(e.full_name, u.name, r.subject_id) as subject, r.closed_value, r.current_value,
                   r.difference, r.changed_records, r.changed_record_labels
            from marts.fct_kpi_restatements r
            join marts.dim_kpi k using (kpi_key)
            left join marts.dim_employee e on r.subject_type = 'employee' and e.employee_id = r.subject_id
            left join marts.dim_org_unit u on r.subject_type = 'org_unit' and u.org_unit_id = r.subject_id
            where {where}
            order by r.close_month desc, abs(r.difference) desc""").pl()


def check_history(con: duckdb.DuckDBPyConnection, user: User, suite: str, expectation: str,
                  column_name: str | None) -> pl.DataFrame:
    _deny_unless(user.sees_quality, user, "data-quality reports")
    return con.execute(
        """select audited_at, run_id, success, observed_value, unexpected_count
           from audit.expectation_results
           where suite = ? and expectation = ? and column_name is not distinct from ?
           order by audited_at""", [suite, expectation, column_name]).pl()


def checks(con: duckdb.DuckDBPyConnection, user: User) -> pl.DataFrame:
    """The expectations of the latest run, each once, worded as that run words them."""
    _deny_unless(user.sees_quality, user, "data-quality reports")
    return con.execute(
        """select r.suite, r.expectation, r.column_name, r.severity, r.description_en, r.description_zh,
                  f.area_title
           from audit.expectation_results r left join audit.suite_feeds f using (suite)
           where r.run_id = (select run_id from audit.runs order by audited_at desc limit 1)
           order by f.area_title, r.suite, r.expectation, r.column_name""").pl()


def affected_kpis(con: duckdb.DuckDBPyConnection, user: User, run_id: str) -> pl.DataFrame:
    """KPIs whose domain is fed by a suite with a failing check in ``run_id``."""
    _deny_unless(user.sees_quality, user, "data-quality reports")
    return con.execute(
        """with failing as (
               select distinct unnest(f.kpi_domains) as domain, r.suite, r.severity
               from audit.expectation_results r join audit.suite_feeds f using (suite)
               where r.run_id = ? and not r.success)
           select k.kpi_key, k.name_en, k.name_zh, string_agg(distinct failing.suite, ', ') as failing_suites,
                  bool_or(failing.severity = 'blocking') as blocking
           from marts.dim_kpi k join failing using (domain) group by all order by k.kpi_key""", [run_id]).pl()


def pipeline_loads(con: duckdb.DuckDBPyConnection, user: User) -> pl.DataFrame:
    """Last load per API source object: when, status, rows landed, calls, hours since, error."""
    del user  # operational metadata, no personal data: every role may see it
    return con.execute(
        """select source, object, finished_at as last_load, status, rows_landed, calls, rows_quarantined,
                  round(epoch(now() - finished_at) / 3600.0, 1) as hours_since, error,
                  sum(rows_landed) over (partition by source, object) as rows_landed_total
           from pipeline.loads
           qualify row_number() over (partition by source, object order by started_at desc) = 1
           order by source, object""").pl()


def source_freshness(con: duckdb.DuckDBPyConnection, user: User) -> pl.DataFrame:
    """Each source object's last successful load in the published load log against its allowed lag
    (``[freshness]``; the same rule as the Dagster freshness checks)."""
    from config.settings import load_settings
    from expectations.freshness import freshness

    del user  # operational metadata
    rows = freshness(con, "pipeline", load_settings().freshness)
    return pl.DataFrame([{"source": r.source, "object": r.object, "last_load": r.last_loaded_at,
                          "lag_hours": r.lag_hours, "allowed_lag": r.max_lag_hours, "fresh": r.fresh} for r in rows],
                        schema={"source": pl.Utf8, "object": pl.Utf8, "last_load": pl.Datetime("us", "UTC"),
                                "lag_hours": pl.Float64, "allowed_lag": pl.Float64, "fresh": pl.Boolean})


def inbox_files(con: duckdb.DuckDBPyConnection, user: User) -> pl.DataFrame:
    """Inbox files and what became of them. A rejection reason quotes cells of HR, review and manual files (a
    PIP note, a salary): HR reads it whole; every other role sees its first line, "<file> rejected (N problem(s))"
    (the data team reads the whole reason beside the file in ``inbox/rejected/``)."""
    return con.execute("""select file_name, loaded_at, status, row_count,
                                 case when ? then reason else split_part(reason, chr(10), 1) end as reason
                          from pipeline.inbox_files order by loaded_at desc""", [user.role == "hr"]).pl()


def inbox_templates(con: duckdb.DuckDBPyConnection, user: User) -> pl.DataFrame:
    """Each inbox template with its newest loaded file, or none yet (a source the company has not dropped)."""
    from connectors.inbox import TEMPLATES

    del user
    prefixes = pl.DataFrame({"template": [t.prefix for t in TEMPLATES],
                             "tables": [", ".join(tb.name for tb in t.tables) for t in TEMPLATES]})
    loaded = con.execute("""select file_name, loaded_at, row_count from pipeline.inbox_files
                            where status = 'loaded' order by loaded_at desc""").pl()
    rows = []
    for row in prefixes.iter_rows(named=True):
        hits = loaded.filter(pl.col("file_name").str.starts_with(row["template"]))
        # "one_on_ones_" is not "one_" of another template: prefixes are distinct, longest is matched first
        first = hits.row(0, named=True) if hits.height else {"file_name": None, "loaded_at": None}
        rows.append(row | {"last_file": first["file_name"], "loaded_at": first["loaded_at"], "files": hits.height})
    return pl.DataFrame(rows, schema={"template": pl.Utf8, "tables": pl.Utf8, "last_file": pl.Utf8,
                                      "loaded_at": loaded.schema.get("loaded_at", pl.Datetime("us", "UTC")),
                                      "files": pl.Int64})


def publication(con: duckdb.DuckDBPyConnection) -> dict:
    rows = con.execute("select run_id, published_at from meta.publication").fetchall()
    return {"run_id": rows[0][0], "published_at": rows[0][1]} if rows else {}
