"""Every page for every role through Streamlit's AppTest, on the published small company."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import access_log, ui
from dashboards.access import User
from dashboards.navigation import PAGES

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")
ROLES = ("employee", "manager", "hr", "executive", "auditor")


def user_for(role: str, people: dict[str, str]) -> User:
    return User(f"demo-{role}", role, people.get(role) if role in ("employee", "manager", "executive") else None)


def app_as(user: User | None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if user is not None:
        at.session_state["user"] = user
    at.session_state["lang"] = lang
    return at.run()


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def serving_rows(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def frames(at: AppTest) -> list:
    return [df.value for df in at.dataframe]


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [w.value for w in at.warning]
    for df in frames(at):
        parts.append(df.to_csv())
    return "\n".join(str(p) for p in parts)


def test_sign_in_with_a_demo_account_and_a_wrong_password(home):
    _, people, credentials = home
    at = app_as(None)
    at.text_input(key="sign_in_username").input("demo-manager")
    at.text_input(key="sign_in_password").input("not the password")
    at.button[0].click().run()
    assert "Unknown user or wrong password." in [e.value for e in at.error]
    assert "user" not in at.session_state
    at.text_input(key="sign_in_password").input(credentials["demo-manager"])
    at.button[0].click().run()
    assert at.session_state["user"] == User("demo-manager", "manager", people["manager"])
    assert [h.value for h in at.header] == ["Goal map"]
    events = [v for v in access_log.read_views() if v.get("event") == "sign_in" and v["user"] == "demo-manager"]
    assert [e["outcome"] for e in events][-2:] == ["bad_credentials", "ok"]  # every sign-in and failure is logged


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_pages(home, role):
    _, people, _ = home
    at = app_as(user_for(role, people))
    for key, (page, roles) in PAGES.items():
        if role in roles:
            assert not open_page(at, page).exception
            assert at.header[0].value == ui.t(key, "en")
        else:
            # not in this role's navigation: AppTest refuses the switch, or Streamlit serves the default page
            try:
                at.switch_page(page).run()
            except ValueError as exc:
                assert "Could not find a navigation page" in str(exc)
            else:
                # or the page itself refuses: no data drawn, only the refusal
                assert ui.t("access_denied", "en") in [w.value for w in at.warning], (role, page)
                assert not at.dataframe and not at.get("plotly_chart")


def test_goal_map_shows_the_tree_in_scope(home):
    path, people, _ = home
    at = open_page(app_as(user_for("employee", people)), "views/goal_map.py")
    assert at.get("plotly_chart"), "the sunburst is drawn"
    nodes = at.selectbox(key="goal_map_node").options
    employee_name = serving_rows(path, "select full_name from marts.dim_employee where employee_id = ?",
                                 [people["employee"]])[0][0]
    others = [n for n, in serving_rows(path, "select full_name from marts.dim_employee where employee_id <> ?",
                                       [people["employee"]])]
    assert any(employee_name in n for n in nodes) and "Northstar Demo Co." in " ".join(nodes)
    assert not any(o in n for o in others for n in nodes if o != employee_name and o not in employee_name)


def test_goal_map_centres_on_a_unit_and_hides_people_above_the_cap(home, monkeypatch):
    path, people, _ = home
    monkeypatch.setenv("NORTHSTAR_DASHBOARDS_GOAL_MAP_MAX_PEOPLE", "30")
    at = open_page(app_as(user_for("hr", people)), "views/goal_map.py")
    company_people = serving_rows(path, "select count(*) from marts.dim_employee where is_active")[0][0]
    assert ui.t("people_hidden", "en", n=company_people) in [c.value for c in at.caption]
    units = {n for n, in serving_rows(path, "select name from marts.dim_org_unit")}
    assert all(any(option.startswith(f"{u} (") for u in units) for option in at.selectbox(key="goal_map_node").options)
    # centring on the manager's team draws its people, and only the units at or below it
    team_id, team_name = serving_rows(
        path, "select org_unit_id, name from marts.dim_org_unit where manager_employee_id = ? and unit_type = 'team'",
        [people["manager"]])[0]
    at.selectbox(key="goal_map_focus").set_value(team_id).run()
    options = at.selectbox(key="goal_map_node").options
    members = {n for n, in serving_rows(path, """select full_name from marts.dim_employee
                                                 where org_unit_id = ? and is_active""", [team_id])}
    assert options[0].startswith(f"{team_name} (") and 0 < len(members) <= 30 < company_people
    assert {o.rsplit(" (", 1)[0] for o in options[1:]} == members
    assert not at.caption


def test_a_rerun_of_the_team_view_is_served_from_the_cache(home, monkeypatch):
    from dashboards import queries

    _, people, _ = home
    at = open_page(app_as(user_for("manager", people)), "views/team.py")
    calls = []
    for name in ("team_goal_matrix", "kpi_values", "consecutive_declines", "scorecards"):
        original = getattr(queries, name)
        monkeypatch.setattr(queries, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    at.run()
    assert not at.exception and at.dataframe
    assert calls == [], f"a rerun with the same filters queried again: {calls}"


def test_team_view_lists_the_managers_team_with_warnings(home):
    path, people, _ = home
    at = open_page(app_as(user_for("manager", people)), "views/team.py")
    ids = dict(serving_rows(
        path, """select full_name, employee_id from marts.dim_employee where is_active and org_unit_id =
                 (select org_unit_id from marts.dim_org_unit where manager_employee_id = ? order by depth limit 1)
                 and employee_id <> ?""", [people["manager"], people["manager"]]))
    team = set(ids)
    grid = frames(at)[0]
    # each row's name is a link to that member's person view (the text after '#' is what the grid shows)
    links = {ui.shown_text(cell): cell.split("#", 1)[0] for cell in grid.iloc[:, 0]}
    assert team and team <= set(links), "every member is a row of the members × KPIs grid"
    assert all(links[name].startswith(f"person?person={ids[name]}&period=") for name in team)
    assert any("%" in str(v) for v in grid.iloc[0, 1:]), "cells carry attainment"
    detail = frames(at)[1]
    assert "Trend" in detail.columns
    # each actual links to the records behind it, and shows the value, rates ("45.0%") included, never the URL
    shown = [ui.shown_text(cell) for cell in detail["Actual"] if isinstance(cell, str)]
    assert shown and not any("person?" in text for text in shown)
    assert any(text.endswith("%") for text in shown), "the team's rate KPIs (win rate) show their values"
    assert at.subheader[2].value == "Early warnings"


def test_person_view_drills_through_to_records(home):
    path, people, _ = home
    at = open_page(app_as(user_for("employee", people)), "views/person.py")
    name = serving_rows(path, "select full_name from marts.dim_employee where employee_id = ?",
                        [people["employee"]])[0][0]
    assert at.selectbox(key="person_select").options == [f"{name} ({people['employee']})"], "an employee sees only self"
    goals, records = frames(at)[0], frames(at)[1]
    assert len(goals) >= 1 and "Status" in goals.columns
    # the records of the chosen goal, with what people recognise them by; no link column while no vendor is set
    assert "Detail" in records.columns and "Link" not in records.columns and len(records) >= 1
    goal_id = at.selectbox(key="person_goal").value
    kpi_key, start, end = serving_rows(path, "select kpi_key, period_start, period_end from marts.fct_goal_status "
                                             "where goal_id = ?", [goal_id])[0]
    behind = serving_rows(path, """select count(*) from marts.fct_kpi_records where employee_id = ? and kpi_key = ?
                                   and event_date between ? and ?""", [people["employee"], kpi_key, start, end])[0][0]
    assert len(records) == min(behind, 5000)
    # each goal's number links to its records: the goal it names is in the link
    assert all(f"goal={g}" in cell for g, cell in zip(
        serving_rows(path, "select goal_id from marts.fct_goal_status where owner_id = ? and period = ? "
                           "order by period, goal_type, goal_id", [people["employee"], at.query_params["period"][0]]),
        goals["Actual"], strict=False) for g in g)
    # the trend chart (the last one) plots the mart's monthly values of the goal's KPI
    monthly = [v for v, in serving_rows(path, """select value from marts.fct_kpi_values where kpi_key = ?
        and subject_type = 'employee' and subject_id = ? and period_type = 'month' order by period_start""",
        [kpi_key, people["employee"]])]
    (trace,) = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"]
    assert monthly and trace["y"] == pytest.approx(monthly)


def test_cross_analysis_calibration_quality_pipeline(home):
    path, people, _ = home
    at = open_page(app_as(user_for("hr", people)), "views/cross_analysis.py")
    assert len(at.get("plotly_chart")) == 2
    # HR opens on the company's first key result across departments
    first_kr = serving_rows(path, """select kpi_key from marts.fct_goal_status g join marts.dim_org_unit u
                                     on u.org_unit_id = g.owner_id where u.depth = 0 and g.kpi_key is not null
                                     order by g.period desc, g.goal_id limit 1""")[0][0]
    assert at.selectbox(key="cross_kpi").value == first_kr and at.selectbox(key="cross_dimension").value == "department"
    at.selectbox(key="cross_kpi").set_value("delivery_story_points_done").run()  # projects are Jira's
    at.selectbox(key="cross_dimension").set_value("project").run()
    assert not at.exception and "Project" in frames(at)[0].columns
    at = open_page(at, "views/calibration.py")
    assert any("PIP candidate" in frame.columns and len(frame) > 0 for frame in frames(at))
    at = open_page(at, "views/data_quality.py")
    checks = serving_rows(path, "select checks from audit.runs order by audited_at desc limit 1")[0][0]
    assert at.metric[1].value == str(checks)
    at = open_page(at, "views/pipeline_status.py")
    objects = serving_rows(path, "select count(distinct (source, object)) from pipeline.loads")[0][0]
    [loads] = [frame for frame in frames(at) if "API calls" in frame.columns]
    assert len(loads) == objects


def test_chinese_labels_and_formats(home):
    _, people, _ = home
    at = open_page(app_as(user_for("manager", people), lang="zh"), "views/team.py")
    assert at.header[0].value == "团队视图"
    assert any(status in text_of(at) for status in ("正常", "有风险", "偏离", "已达成"))
    assert "姓名" in frames(at)[0].columns


def test_page_views_are_logged_outside_the_serving_database(home):
    path, people, _ = home
    open_page(app_as(user_for("hr", people)), "views/calibration.py")
    views = access_log.read_views(path / "logs" / "access.jsonl")
    last = views[-1]
    assert last["user"] == "demo-hr" and last["page"] == "calibration" and "period" in last["filters"]


def test_banner_when_the_last_refresh_was_blocked(home):
    path, people, _ = home
    status_file = path / "serving" / "status.json"
    before = status_file.read_text()
    status = json.loads(before)
    status["last_attempt"] = {"run_id": "blocked-run", "decision": "blocked", "audited_at": "2026-12-01T01:00:00+00:00",
                              "blocking_failures": ["staging.stg_hubspot__deals: Deal amounts are not negative."]}
    status_file.write_text(json.dumps(status))
    try:
        at = open_page(app_as(user_for("auditor", people)), "views/pipeline_status.py")
        assert any("Deal amounts are not negative" in e.value and "blocked" in e.value for e in at.error), \
            [e.value for e in at.error]
    finally:
        status_file.write_text(before)
    assert not app_as(user_for("auditor", people)).error


def test_a_new_publication_shows_without_a_restart(home, tmp_path):
    path, people, _ = home
    serving = path / "serving" / "northstar.duckdb"
    original = tmp_path / "original.duckdb"
    shutil.copy(serving, original)
    at = open_page(app_as(user_for("employee", people)), "views/person.py")
    assert "Renamed Person" not in at.selectbox(key="person_select").options[0]
    new_version = serving.with_name(".next.duckdb")
    shutil.copy(serving, new_version)
    with duckdb.connect(str(new_version)) as con:
        con.execute("update marts.dim_employee set full_name = 'Renamed Person' where employee_id = ?",
                    [people["employee"]])
    try:
        os.replace(new_version, serving)  # what a publish does
        at.run()
        assert "Renamed Person" in at.selectbox(key="person_select").options[0]
    finally:
        os.replace(original, serving)


def test_exports_carry_the_rows_on_screen_in_csv_and_xlsx():
    frame = pl.DataFrame({"employee_id": ["E1", "E2"], "value": [1.5, None],
                          "sample": [["a", "b"], None],
                          "at": pl.Series([None, None], dtype=pl.Datetime("us", "UTC"))})
    export = ui._exportable(frame)
    assert pl.read_csv(io.BytesIO(export.write_csv().encode())).height == 2
    back = pl.read_excel(io.BytesIO(ui._xlsx(export)))
    assert back.height == 2 and back["employee_id"].to_list() == ["E1", "E2"]


def test_pipeline_status_says_which_inbox_templates_have_no_file_yet(home, tmp_path, monkeypatch):
    path, people, _ = home
    copy = tmp_path / "home"
    shutil.copytree(path, copy)
    with duckdb.connect(str(copy / "serving" / "northstar.duckdb")) as con:
        con.execute("delete from pipeline.inbox_files where file_name like 'manual\\_%' escape '\\'")
    monkeypatch.setenv("NORTHSTAR_HOME", str(copy))
    at = open_page(app_as(user_for("employee", people)), "views/pipeline_status.py")
    [shown] = [df for df in frames(at) if "Template" in df.columns]
    templates = {row["Template"]: row for row in shown.to_dict("records")}
    assert templates["manual_"]["Last file"] == "no file yet"
    assert templates["hr_"]["Last file"].startswith("hr_") and templates["reviews_"]["Last file"] != "no file yet"


def test_pipeline_status_shows_recent_runs_and_each_sources_freshness(home, tmp_path, monkeypatch):
    """Issue 12 item 8 and 5: the last runs (trigger, outcome, seconds per step, rows, first cause) and a stale
    source named with its allowed lag."""
    path, people, _ = home
    copy = tmp_path / "home"
    shutil.copytree(path, copy)
    runs = json.loads((copy / "serving" / "runs.json").read_text())
    assert runs and runs[-1]["job"] == "refresh" and runs[-1]["outcome"] == "succeeded"
    runs.append({"run_id": "f" * 36, "job": "ticket_desk", "trigger": "schedule ticket_desk_hourly",
                 "outcome": "failed", "started_at": "2099-01-01T00:00:00+00:00", "seconds": 3.2,
                 "step_seconds": {"extract zendesk": 3.1}, "rows_landed": 0,
                 "first_cause": "extract_zendesk__tickets: zendesk.tickets: connection refused"})
    (copy / "serving" / "runs.json").write_text(json.dumps(runs))
    with duckdb.connect(str(copy / "serving" / "northstar.duckdb")) as con:
        con.execute("update pipeline.loads set finished_at = finished_at - interval 3 day where source = 'zendesk'")
    monkeypatch.setenv("NORTHSTAR_HOME", str(copy))
    at = open_page(app_as(user_for("employee", people)), "views/pipeline_status.py")
    [history] = [df for df in frames(at) if "Started by" in df.columns]
    newest = history.to_dict("records")[0]
    assert newest["Started by"] == "schedule ticket_desk_hourly" and newest["Outcome"] == "failed"
    assert newest["First cause"] == "extract_zendesk__tickets: zendesk.tickets: connection refused"
    assert any(row["Started by"] == "manual" and "dbt" in row["Seconds per step"] for row in history.to_dict("records"))
    [freshness] = [df for df in frames(at) if "Allowed lag (hours)" in df.columns]
    status = {(r["Source"], r["Object"]): r["Status"] for r in freshness.to_dict("records")}
    assert status[("Zendesk", "tickets")] == "stale" and status[("HubSpot", "deals")] == "fresh"
    assert any("Zendesk · tickets: stale" in w.value.replace("\\", "") for w in at.warning)
    zh = open_page(app_as(user_for("employee", people), lang="zh"), "views/pipeline_status.py")
    [history_zh] = [df for df in frames(zh) if "触发方式" in df.columns]
    newest = history_zh.to_dict("records")[0]
    assert newest["触发方式"] == "定时 ticket_desk_hourly" and newest["结果"] == "失败"
    assert newest["开始时间"].startswith("2099年1月1日")


def test_the_goal_map_reads_the_roll_up_and_marks_units_with_many_people_off_track(home):
    path, people, _ = home
    at = open_page(app_as(user_for("hr", people)), "views/goal_map.py")
    period = at.selectbox(key="goal_map_period").value
    rollup = serving_rows(path, """select u.name, coalesce(r.own_status, r.worst_status_beneath), r.needs_attention,
                                          r.people_off_track, r.people_beneath
                                   from marts.fct_goal_rollup r
                                   join marts.dim_org_unit u on u.org_unit_id = r.subject_id
                                   where r.subject_type = 'org_unit' and r.period = ?""", [period])
    options = at.selectbox(key="goal_map_node").options
    marked = 0
    for name, status, needs_attention, off, beneath in rollup:
        [option] = [o for o in options if o.startswith(f"{name} (")]
        assert ui.status_label(status, "en") in option, (name, status, option)
        marker = ui.t("off_track_beneath", "en", n=off, of=beneath)
        assert (marker in option) == bool(needs_attention), option
        marked += bool(needs_attention)
    assert marked > 0, "the simulated company has units with many people off track beneath"


def test_the_team_view_heads_with_the_same_roll_up(home):
    path, people, _ = home
    at = open_page(app_as(user_for("manager", people)), "views/team.py")
    unit_id, period = at.selectbox(key="team_unit").value, at.selectbox(key="team_period").value
    [(off, beneath)] = serving_rows(path, """select people_off_track, people_beneath from marts.fct_goal_rollup
                                             where subject_type = 'org_unit' and subject_id = ? and period = ?""",
                                    [unit_id, period])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["People off track"] == f"{off} / {beneath}"


def test_a_link_opens_its_view_and_one_outside_the_scope_is_refused_with_the_reason(home):
    path, people, _ = home
    at = app_as(user_for("manager", people))
    team_member = serving_rows(path, """select employee_id from marts.dim_employee where manager_id = ? and is_active
                                        order by employee_id limit 1""", [people["manager"]])[0][0]
    at.query_params["person"], at.query_params["period"] = team_member, "2026-Q3"
    at = open_page(at, "views/person.py")
    assert at.selectbox(key="person_select").value == team_member and at.selectbox(key="person_period").value \
        == "2026-Q3", "the URL's person and period open"
    outsider = serving_rows(path, """select employee_id from marts.dim_employee where employee_id not in (
                                         select employee_id from marts.dim_reporting_chain where manager_id = ?)
                                     and employee_id <> ? limit 1""", [people["manager"], people["manager"]])[0][0]
    refused = app_as(user_for("manager", people))
    refused.query_params["person"] = outsider
    refused = open_page(refused, "views/person.py")
    warnings = " ".join(w.value for w in refused.warning)
    assert "You do not have access" in warnings and outsider in warnings, warnings
    assert not refused.dataframe, "nothing of the outsider is drawn"


def test_the_goal_story_draws_the_pace_target_and_forecast_and_a_single_point(home):
    path, people, _ = home
    at = open_page(app_as(user_for("employee", people)), "views/person.py")
    goal_id = at.selectbox(key="person_goal").value
    start, end, target = serving_rows(path, "select period_start, period_end, target from marts.fct_goal_status "
                                            "where goal_id = ?", [goal_id])[0]
    snapshots = serving_rows(path, "select as_of_date, actual from marts.fct_goal_progress where goal_id = ? "
                                   "order by as_of_date", [goal_id])
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    traces = {t["name"]: t for t in spec["data"]}
    assert set(traces) >= {"Expected pace", "Actual"}
    assert traces["Expected pace"]["y"][-1] == pytest.approx(target)
    assert traces["Actual"]["y"][-len(snapshots):] == pytest.approx([a for _, a in snapshots])
    assert "markers" in traces["Actual"]["mode"], "a one-point series is still drawn"
    assert spec["layout"]["xaxis"]["range"] == [str(start), str(end)], "the axis spans the whole period"
    assert any("Status history" in c.value for c in at.caption)


def test_early_warnings_say_why_and_calibration_shows_review_score_and_tenure(home):
    path, people, _ = home
    at = open_page(app_as(user_for("manager", people)), "views/team.py")
    warnings = [m.value for m in at.markdown if "expected by today" in m.value]
    assert warnings, "each status warning compares attainment with the pace expected by today"
    assert "% of target where" in warnings[0] and "goal=" in warnings[0]
    hr = open_page(app_as(user_for("hr", people)), "views/calibration.py")
    [scores] = [f for f in frames(hr) if "Rank in unit" in f.columns]
    assert {"Manager's review score", "Tenure"} <= set(scores.columns)
    reviewed = serving_rows(path, "select count(*) from marts.fct_scorecard where period = ? and review_score "
                                  "is not null", [hr.selectbox(key="calibration_period").value])[0][0]
    assert reviewed > 0 and (scores["Manager's review score"] != "–").sum() == reviewed
    assert all(re.search(r".+ \(E\d+\)$", ui.shown_text(cell)) for cell in scores["Name"]), "names carry the id"


def test_the_goal_maps_buttons_open_the_chosen_person_even_after_another_was_viewed(home):
    path, people, _ = home
    at = open_page(app_as(user_for("manager", people)), "views/person.py")
    first = at.selectbox(key="person_select").value
    at = open_page(at, "views/goal_map.py")
    other = serving_rows(path, """select employee_id from marts.dim_employee where manager_id = ? and is_active
                                  and employee_id <> ? order by employee_id limit 1""",
                         [people["manager"], first])[0][0]
    at.selectbox(key="goal_map_node").set_value(other).run()
    at.button(key="goal_map_open_person").click().run()
    assert not at.exception and at.header[0].value == "Person view"
    assert at.selectbox(key="person_select").value == other != first


def test_a_period_the_page_does_not_offer_falls_back_to_its_default(home):
    path, people, _ = home
    at = app_as(user_for("manager", people))
    at.query_params["period"] = "2026"  # a year, from the goal map; the team view offers quarters
    at = open_page(at, "views/team.py")
    current = serving_rows(path, "select max(as_of_date) from marts.fct_goal_progress")[0][0]
    assert at.selectbox(key="team_period").value == f"{current.year}-Q{(current.month - 1) // 3 + 1}"
    assert frames(at), "the team view draws for its default quarter"
