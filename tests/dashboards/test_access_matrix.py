"""The query layer's access matrix on the published small company: no row outside a user's scope."""

from __future__ import annotations

import duckdb
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
        "select org_unit_id, unit_type, parent_id, manager_employee_id from marts.dim_org_unit").fetchall()}
    team = next(u for u in units.values() if u[1] == "team")
    lead = team[3]
    member = serving.execute("select employee_id from marts.dim_employee where org_unit_id = ? and employee_id <> ? "
                             "limit 1", [team[0], lead]).fetchall()[0][0]
    head = units[team[2]][3]
    outsider = serving.execute("select employee_id from marts.dim_employee where org_unit_id <> ? and "
                               "employee_id not in (?, ?) limit 1", [team[0], lead, head]).fetchall()[0][0]
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
