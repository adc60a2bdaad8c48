"""The query layer's access matrix on the published small company: no row outside a user's scope."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl
import pytest

from dashboards import queries
from dashboards.access import AccessDenied, User, visible_employees

KPIS = ["sales_closed_won_amount", "delivery_story_points_done", "support_csat", "mgmt_one_on_one_coverage"]


@pytest.fixture(scope="module")
def serving(refreshed_company):
    home, _ = refreshed_company
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def people(serving):
    """One of each kind: a team member, a team lead, a department head, and an outsider to the lead."""
    units = {r[0]: r for r in serving.execute(
        "select org_unit_id, unit_type, parent_id, manager_employee_id from marts.dim_org_unit order by org_unit_id"
    ).fetchall()}
    team = next(u for u in units.values() if u[1] == "team")
    lead = team[3]
    # an active member (a leaver is in no goal map): ordered, since an unordered `limit 1` picks any row
    member = serving.execute("select employee_id from marts.dim_employee where org_unit_id = ? and employee_id <> ? "
                             "and is_active order by employee_id limit 1", [team[0], lead]).fetchall()[0][0]
    head = units[team[2]][3]
    outsider = serving.execute("select employee_id from marts.dim_employee where org_unit_id <> ? and "
                               "employee_id not in (?, ?) and is_active order by employee_id limit 1",
                               [team[0], lead, head]).fetchall()[0][0]
    return {"member": member, "lead": lead, "head": head, "outsider": outsider, "team": team[0]}


def users(people) -> list[User]:
    return [User("emp", "employee", people["member"]), User("lead", "manager", people["lead"]),
            User("head", "manager", people["head"]), User("hr", "hr"), User("exec", "executive"),
            User("audit", "auditor")]


def test_scopes_follow_the_reporting_lines(serving, people):
    member, lead, head = (User("x", r, people[k]) for r, k in
                          (("employee", "member"), ("manager", "lead"), ("manager", "head")))
    assert visible_employees(serving, member) == {people["member"]}
    team_scope = visible_employees(serving, lead)
    dept_scope = visible_employees(serving, head)
    assert {people["member"], people["lead"]} <= team_scope < dept_scope
    assert people["outsider"] not in team_scope
    assert visible_employees(serving, User("hr", "hr")) is None


@pytest.mark.parametrize("kpi", KPIS)
@pytest.mark.parametrize("period_type", ["month", "quarter", "year"])
def test_no_kpi_row_outside_a_users_scope(serving, people, kpi, period_type):
    for user in users(people):
        scope = visible_employees(serving, user)
        if user.sees_individuals:
            rows = queries.kpi_values(serving, user, kpi, "employee", period_type)
            assert scope is None or set(rows["subject_id"]) <= scope, user
        else:
            with pytest.raises(AccessDenied):
                queries.kpi_values(serving, user, kpi, "employee", period_type)
        units = queries.kpi_values(serving, user, kpi, "org_unit", period_type)
        allowed = queries.visible_units(serving, user)
        assert allowed is None or set(units["subject_id"]) <= allowed, user


def test_crafted_requests_cannot_widen_the_scope(serving, people):
    lead = User("lead", "manager", people["lead"])
    with pytest.raises(AccessDenied):
        queries.person_goals(serving, lead, people["outsider"])
    with pytest.raises(AccessDenied):
        queries.person_goals(serving, User("emp", "employee", people["member"]), "E00001' or '1'='1")
    assert queries.person_goals(serving, User("hr", "hr"), "E00001' or '1'='1").height == 0  # bound, not spliced
    assert queries.person_goals(serving, lead, people["member"]).height > 0
    # several KPIs in one request (the team view's sparklines) with everyone named: still only the subtree
    everyone = _everyone(serving)
    several = queries.kpi_values(serving, lead, list(KPIS), "employee", "month", subject_ids=everyone)
    assert several.height > 0 and set(several["kpi_key"]) <= set(KPIS)
    assert set(several["subject_id"]) <= visible_employees(serving, lead)


def test_pip_flags_reach_hr_only_and_scores_never_reach_auditors_or_executives(serving, people):
    hr = queries.scorecards(serving, User("hr", "hr"), "2026-Q3")
    assert "pip_candidate" in hr.columns and hr.height > 100
    lead = queries.scorecards(serving, User("lead", "manager", people["lead"]), "2026-Q3")
    assert "pip_candidate" not in lead.columns and set(lead["employee_id"]) <= visible_employees(
        serving, User("lead", "manager", people["lead"]))
    for role in ("executive", "auditor"):
        with pytest.raises(AccessDenied):
            queries.scorecards(serving, User(role, role), "2026-Q3")
    assert queries.audit_runs(serving, User("audit", "auditor")).height >= 1
    with pytest.raises(AccessDenied):
        queries.audit_runs(serving, User("emp", "employee", people["member"]))


# -- every page's queries × every role × the filter choices a page offers (and crafted ones it does not) ---------

LINKS = {"hubspot_portal_id": "1", "jira_base_url": "https://j", "zendesk_base_url": "https://z"}


def _allowed(query, *args, **kwargs):
    """The query's rows, or None when the role is refused (AccessDenied): refusing is also in scope."""
    try:
        return query(*args, **kwargs)
    except AccessDenied:
        return None


def _assert_people_in_scope(frame, scope, columns=("employee_id", "subject_id")):
    if frame is None or scope is None:
        return
    for column in columns:
        if column in frame.columns:
            assert set(frame[column].drop_nulls()) <= scope, (column, set(frame[column]) - scope)


def _assert_units_in_scope(frame, scope, column):
    if frame is None or scope is None or column not in frame.columns:
        return
    assert set(frame[column].drop_nulls()) <= scope, set(frame[column]) - scope


def _everyone(serving):
    return [r[0] for r in serving.execute("select employee_id from marts.dim_employee").fetchall()]


def _every_unit(serving):
    return [r[0] for r in serving.execute("select org_unit_id from marts.dim_org_unit").fetchall()]


def test_goal_map_and_goals_stay_in_scope(serving, people):
    periods = queries.goal_periods(serving)
    for user in users(people):
        scope = visible_employees(serving, user) if user.sees_individuals else set()
        goal_units = queries.goal_units(serving, user)
        for period in periods:
            nodes = queries.goal_map(serving, user, period)
            persons = nodes.filter(nodes["node_type"] == "person")
            assert scope is None or set(persons["node_id"]) <= scope
            _assert_units_in_scope(nodes.filter(nodes["node_type"] != "person"), goal_units, "node_id")
        # every goal owner a crafted request could name: only the ones in scope answer
        for employee_id in _everyone(serving):
            goals = _allowed(queries.owner_goals, serving, user, "employee", employee_id)
            if goals is not None:
                assert scope is None or employee_id in scope, (user, employee_id)
        for unit_id in _every_unit(serving):
            goals = _allowed(queries.owner_goals, serving, user, "org_unit", unit_id)
            if goals is not None:
                assert goal_units is None or unit_id in goal_units, (user, unit_id)
        # the alignment tree and any goal's story: the same scopes as the goal lists
        quarter = queries.current_quarter(serving)
        tree = queries.goal_alignment(serving, user, quarter)
        people_goals = tree.filter(tree["owner_type"] == "employee")
        assert scope is None or set(people_goals["owner_id"]) <= scope, user
        _assert_units_in_scope(tree.filter(tree["owner_type"] == "org_unit"), goal_units, "owner_id")
        every_goal = serving.execute("""select goal_id, owner_type, owner_id from marts.dim_goal
                                        qualify row_number() over (partition by owner_type, owner_id) = 1""").fetchall()
        for goal_id, owner_type, owner_id in every_goal:
            history = _allowed(queries.goal_history, serving, user, goal_id)
            if history is not None:
                in_scope = (scope is None or owner_id in scope) if owner_type == "employee" else \
                    (goal_units is None or owner_id in goal_units)
                assert in_scope, (user, goal_id)
    auditor_nodes = queries.goal_map(serving, User("audit", "auditor"), periods[-1])
    assert auditor_nodes.filter(auditor_nodes["node_type"] == "person").is_empty()
    member_nodes = queries.goal_map(serving, User("emp", "employee", people["member"]), periods[-1])
    assert set(member_nodes.filter(member_nodes["node_type"] == "person")["node_id"]) == {people["member"]}


def test_team_view_stays_in_scope_for_every_unit(serving, people):
    period = queries.current_quarter(serving)
    for user in users(people):
        scope = visible_employees(serving, user)
        units = queries.visible_units(serving, user)
        for unit_id in _every_unit(serving):
            matrix = _allowed(queries.team_goal_matrix, serving, user, unit_id, period)
            if matrix is None:
                continue
            assert user.sees_individuals and (units is None or unit_id in units), (user, unit_id)
            _assert_people_in_scope(matrix, scope)
            members = matrix["employee_id"].unique().to_list()
            _assert_people_in_scope(queries.scorecards(serving, user, period, unit_id), scope)
            # a crafted employee list with everyone in it still returns only people in scope
            _assert_people_in_scope(queries.consecutive_declines(serving, user, _everyone(serving), min_run=1), scope)
            assert set(members) <= set(queries.people(serving, user, unit_id)["employee_id"])
    lead = User("lead", "manager", people["lead"])
    assert queries.team_goal_matrix(serving, lead, people["team"], period).height > 0
    with pytest.raises(AccessDenied):
        queries.team_goal_matrix(serving, lead, next(u for u in _every_unit(serving)
                                                     if u not in queries.visible_units(serving, lead)), period)


def test_person_view_and_drill_through_stay_in_scope(serving, people):
    for user in users(people):
        scope = visible_employees(serving, user) if user.sees_individuals else set()
        listed = queries.people(serving, user)
        assert scope is None or set(listed["employee_id"]) <= scope
        for employee_id in [people["member"], people["lead"], people["head"], people["outsider"]]:
            for kpi in KPIS:
                records = _allowed(queries.kpi_records, serving, user, employee_id, kpi, date(2025, 1, 1),
                                   date(2027, 1, 1), LINKS)
                if records is not None:
                    assert scope is None or employee_id in scope, (user, employee_id)
                narrowed = _allowed(queries.kpi_values, serving, user, kpi, "employee", "month",
                                    subject_ids=[employee_id, people["outsider"]])
                _assert_people_in_scope(narrowed, scope)


def test_drill_through_records_make_the_number(serving, people):
    """The records behind a value are the ones that sum to it (sum KPIs), with links shaped per source."""
    hr = User("hr", "hr")
    row = serving.execute(
        """select subject_id, period_start, value, record_count from marts.fct_kpi_values
           where kpi_key = 'delivery_story_points_done' and subject_type = 'employee' and period_type = 'quarter'
           order by record_count desc limit 1""").fetchall()[0]
    records = queries.kpi_records(serving, hr, row[0], "delivery_story_points_done", row[1],
                                  date(row[1].year + (row[1].month + 2) // 12, (row[1].month + 2) % 12 + 1, 1)
                                  - timedelta(days=1), LINKS)
    assert records.height == row[3]
    assert records["value"].sum() == pytest.approx(row[2])
    assert all(link.startswith("https://j/browse/") for link in records["link"])


def test_vendor_links_only_where_the_vendor_is_configured():
    unset = {"hubspot_portal_id": "", "jira_base_url": "", "zendesk_base_url": ""}
    assert queries.record_link("deal", "hubspot", "8000001", "Acme – renewal", unset) is None
    assert queries.record_link("issue", "jira", "100060", "PAY1-60", unset) is None
    assert queries.record_link("ticket", "zendesk", "500019", "Ticket #500019", unset) is None
    assert queries.record_link("deal", "hubspot", "8000001", "x", LINKS) == \
        "https://app.hubspot.com/contacts/1/record/0-3/8000001"
    assert queries.record_link("issue", "jira", "100060", "PAY1-60", LINKS) == "https://j/browse/PAY1-60"
    assert queries.record_link("one_on_one_slot", "inbox", "E1:E2:2026-10-01", "1:1 · Ann", LINKS) is None


def test_drill_through_keeps_calls_and_meetings_apart(serving):
    """Each activity is one record, labelled and linked by its own HubSpot object and id."""
    hr = User("hr", "hr")
    row = serving.execute(
        """select subject_id, period_start, value, record_count from marts.fct_kpi_values
           where kpi_key = 'sales_activities' and subject_type = 'employee' and period_type = 'year'
           order by record_count desc limit 1""").fetchall()[0]
    records = queries.kpi_records(serving, hr, row[0], "sales_activities", row[1], date(row[1].year, 12, 31), LINKS)
    assert records.height == row[3] and records["value"].sum() == pytest.approx(row[2])
    assert set(records["source_object"]) == {"call", "meeting"}
    for record in records.iter_rows(named=True):
        object_id = record["source_record_id"]
        assert record["record_id"] == f"{record['source_object']}:{object_id}"
        assert record["label"] == f"{record['source_object'].title()} {object_id}"
        assert record["link"].endswith(("/0-48/" if record["source_object"] == "call" else "/0-47/") + object_id)


def test_cross_analysis_stays_in_scope_for_every_filter(serving, people):
    for user in users(people):
        scope = visible_employees(serving, user) if user.sees_individuals else set()
        units = queries.visible_units(serving, user)
        for dimension in queries.DIMENSIONS:
            for period_type in ("month", "quarter", "year"):
                starts = queries.kpi_period_starts(serving, KPIS[1], period_type)
                frame = _allowed(queries.cross_analysis, serving, user, KPIS[1], dimension, period_type, starts[0])
                if frame is None:
                    continue
                assert not (dimension == "title" and not user.sees_individuals)
                assert not (dimension == "project" and user.role in ("employee", "manager"))
                _assert_people_in_scope(frame, scope)
                if dimension == "department" and units is not None:
                    names = {r[0] for r in serving.execute(
                        "select name from marts.dim_org_unit where list_contains(?, org_unit_id)",
                        [sorted(units)]).fetchall()}
                    assert set(frame["group_label"]) <= names


def test_calibration_quality_and_pipeline_by_role(serving, people):
    period = queries.score_periods(serving)[-1]
    for user in users(people):
        calibration = _allowed(queries.calibration, serving, user, period)
        assert (calibration is not None) == (user.role == "hr")
        run_id = queries.audit_runs(serving, User("a", "auditor"))["run_id"][0]
        quality = _allowed(queries.audit_results, serving, user, run_id, failed_only=False)
        assert (quality is not None) == (user.role in ("hr", "executive", "auditor"))
        assert queries.pipeline_loads(serving, user).height > 0
    assert queries.calibration(serving, User("hr", "hr"), period)["pip_candidate"].dtype == pl.Boolean


SECRET_CELL = "salary 98765; PIP note: missed every deadline"


@pytest.fixture
def quarrelsome_serving(refreshed_company, tmp_path):
    """The published small company plus a rejected HR file quoting a cell, and failing checks with samples of a
    personal-data suite (HR export) and of a CRM suite, in the latest audit run."""
    import shutil

    home, _ = refreshed_company
    path = tmp_path / "serving.duckdb"
    shutil.copy(home / "serving" / "northstar.duckdb", path)
    with duckdb.connect(str(path)) as con:
        con.execute("""insert into pipeline.inbox_files values ('hr_2026-12-01.xlsx', 'x', null, now(), 'rejected', 0,
                       'hr_2026-12-01.xlsx rejected (1 problem(s)):' || chr(10) || '  - sheet ''employees'', row 7, '
                       || 'column ''title'': ''' || ? || ''' is not one of …')""", [SECRET_CELL])
        run_id = con.execute("select run_id from audit.runs order by audited_at desc limit 1").fetchall()[0][0]
        for suite, sample in (("hr_employees", '[{"email_normalized": "ana.secret@example.com"}]'),
                              ("hubspot_deals", '[{"deal_id": "16002355"}]')):
            con.execute("""insert into audit.expectation_results (run_id, audited_at, suite, table_name, expectation,
                               column_name, family, severity, success, unexpected_count, sample, description_en,
                               description_zh)
                           values (?, now(), ?, 't', 'expect_x', 'c', 'uniqueness', 'warning', false, 1, ?,
                                   'd', 'd')""",
                        [run_id, suite, sample])
    with duckdb.connect(str(path), read_only=True) as con:
        yield con, run_id


def test_rejection_reasons_and_audit_samples_reach_only_the_roles_allowed(quarrelsome_serving, people):
    serving, run_id = quarrelsome_serving
    for user in users(people):
        reasons = queries.inbox_files(serving, user).filter(pl.col("status") == "rejected")["reason"].to_list()
        assert reasons and all("rejected (1 problem(s))" in r for r in reasons), user
        assert any(SECRET_CELL in r for r in reasons) == (user.role == "hr"), user
        if not user.sees_quality:
            with pytest.raises(AccessDenied):
                queries.audit_results(serving, user, run_id)
            continue
        samples = dict(queries.audit_results(serving, user, run_id).select("suite", "sample").iter_rows())
        shown = {suite for suite, sample in samples.items() if sample}
        expected = {"hr": {"hr_employees", "hubspot_deals"}, "auditor": {"hubspot_deals"}, "executive": set()}
        assert shown & {"hr_employees", "hubspot_deals"} == expected[user.role], user


def test_unit_roll_ups_stay_in_scope(serving, people):
    period = serving.execute("select max(period) from marts.fct_goal_rollup where length(period) = 7").fetchall()[0][0]
    all_units = [r[0] for r in serving.execute("select org_unit_id from marts.dim_org_unit").fetchall()]
    for user in users(people):
        allowed = queries.visible_units(serving, user)
        for unit_id in all_units:
            if allowed is None or unit_id in allowed:
                queries.unit_rollup(serving, user, unit_id, period)
            else:
                with pytest.raises(AccessDenied):
                    queries.unit_rollup(serving, user, unit_id, period)
