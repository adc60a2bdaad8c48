"""The pipeline runs itself: schedules, sensors and freshness checks exist with their settings and behave."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from connectors.landing import META_SCHEMA, RawStore
from orchestration.definitions import build_definitions
from tests.helpers import northstar_env


def test_schedules_run_at_the_configured_times_in_the_configured_zone(monkeypatch, tmp_path):
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    monkeypatch.setenv("NORTHSTAR_SCHEDULES_DAILY_REFRESH", "30 5 * * 1-5")
    defs = build_definitions()
    schedules = {s.name: s for s in defs.schedules}
    assert {"daily_refresh", "ticket_desk_hourly", "freshness_checks"} <= set(schedules)
    assert schedules["daily_refresh"].cron_schedule == "30 5 * * 1-5"
    assert schedules["ticket_desk_hourly"].cron_schedule == "15 * * * *"
    assert {s.execution_timezone for s in schedules.values()} == {"Asia/Shanghai"}  # the company's zone
    assert schedules["daily_refresh"].job_name == "refresh"
    assert schedules["ticket_desk_hourly"].job_name == "ticket_desk"
    monkeypatch.setenv("NORTHSTAR_SCHEDULES_TIMEZONE", "Europe/Berlin")
    assert {s.execution_timezone for s in build_definitions().schedules} == {"Europe/Berlin"}


def test_the_ticket_desk_job_rebuilds_only_what_depends_on_zendesk(monkeypatch, tmp_path):
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    selected = defs.resolve_job_def("ticket_desk").asset_layer.selected_asset_keys
    assert dg.AssetKey(["raw_zendesk", "tickets"]) in selected and dg.AssetKey(["serving", "northstar"]) in selected
    assert not {k for k in selected if k.path[0] in ("raw_hubspot", "raw_jira", "raw_hr")}
    sales_only = dg.AssetKey(["intermediate", "int_sales_records"])
    if sales_only in graph.get_all_asset_keys():
        assert sales_only not in selected
    assert len(selected) < len(defs.resolve_job_def("refresh").asset_layer.selected_asset_keys)


def test_sensors_and_freshness_checks_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    monkeypatch.setenv("NORTHSTAR_SCHEDULES_INBOX_POLL_SECONDS", "45")
    defs = build_definitions()
    sensors = {s.name: s for s in defs.sensors}
    assert {"inbox_files", "alert_on_run_failure", "alert_on_stale_source"} <= set(sensors)
    assert sensors["inbox_files"].minimum_interval_seconds == 45
    checks = {key for key in defs.resolve_asset_graph().asset_check_keys if key.name == "freshness"}
    assert dg.AssetCheckKey(dg.AssetKey(["raw_hubspot", "deals"]), "freshness") in checks
    assert dg.AssetCheckKey(dg.AssetKey(["raw_hr", "employees"]), "freshness") in checks
    assert len(checks) == 10 + 1  # every API object, and the HR export


def test_a_dropped_file_starts_one_run_and_the_same_file_none(monkeypatch, tmp_path):
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    sensor = {s.name: s for s in build_definitions().sensors}["inbox_files"]
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    assert isinstance(sensor(dg.build_sensor_context()), dg.SkipReason)
    (inbox / "hr_2026-11-30.xlsx").write_bytes(b"first export")
    (inbox / "goals_2026_r1.xlsx.partial").write_bytes(b"still being written")
    first = sensor(dg.build_sensor_context())
    assert len(first.run_requests) == 1 and first.run_requests[0].tags["northstar/inbox_files"] == "hr_2026-11-30.xlsx"
    again = sensor(dg.build_sensor_context(cursor=first.cursor))
    assert isinstance(again, dg.SkipReason)
    shutil.copy(inbox / "hr_2026-11-30.xlsx", inbox / "hr_copy.xlsx")  # the same content under another name
    assert isinstance(sensor(dg.build_sensor_context(cursor=first.cursor)), dg.SkipReason)
    (inbox / "one_on_ones_2026-11-30.csv").write_text("meeting_id,manager_id,employee_id,held_on\n")
    second = sensor(dg.build_sensor_context(cursor=first.cursor))
    assert len(second.run_requests) == 1
    assert second.run_requests[0].tags["northstar/inbox_files"] == "one_on_ones_2026-11-30.csv"
    assert second.run_requests[0].run_key != first.run_requests[0].run_key


def _loads(warehouse: Path, ages_hours: dict[tuple[str, str], float], hr_age_hours: float | None) -> None:
    from connectors.inbox import ensure_inbox_log

    now = datetime.now(UTC)
    with RawStore(warehouse) as store:
        ensure_inbox_log(store)
        for (source, obj), age in ages_hours.items():
            at = now - timedelta(hours=age)
            store.con.execute(f"insert into {META_SCHEMA}.loads values (?, ?, ?, ?, ?, 'succeeded', 1, 1, 1, 0, null)",
                              [f"load-{source}-{obj}", source, obj, at, at])
        store.con.execute(f"insert into {META_SCHEMA}.loads values ('l-old', 'zendesk', 'users', ?, ?, 'failed', 1, 1,"
                          " 0, 0, 'boom')", [now, now])  # a failed load does not make a source fresh
        if hr_age_hours is not None:
            store.con.execute(f"insert into {META_SCHEMA}.inbox_files values ('hr_x.xlsx', 'abc', 'l1', ?, 'loaded', 3,"
                              " null)", [now - timedelta(hours=hr_age_hours)])


def test_a_stale_source_fails_its_freshness_check(tmp_path):
    home = tmp_path / "home"
    with northstar_env(home, freshness_hubspot_hours="26"):
        from config import settings

        _loads(settings.warehouse_path(), {("hubspot", "deals"): 30, ("hubspot", "owners"): 2,
                                           ("zendesk", "tickets"): 1.5, ("zendesk", "users"): 3}, hr_age_hours=72)
        result = build_definitions().resolve_job_def("freshness").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success  # a stale source warns; the checks' run itself succeeds
    outcome = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            outcome["/".join(evaluation.asset_key.path)] = (evaluation.passed, evaluation.description)
    assert outcome["raw_hubspot/deals"][0] is False and "30" in outcome["raw_hubspot/deals"][1]
    assert outcome["raw_hubspot/owners"][0] is True
    assert outcome["raw_zendesk/tickets"][0] is True  # 1.5 h of the 2 h allowed
    assert outcome["raw_zendesk/users"][0] is False  # 3 h; its newer load failed
    assert outcome["raw_jira/issues"] == (False, "jira.issues: never loaded (allowed lag 26 h)")
    assert outcome["raw_hr/employees"][0] is True  # 3 days of the 8 allowed


@pytest.mark.parametrize("schema", ["pipeline"])
def test_freshness_reads_the_published_load_log_as_well(tmp_path, schema):
    from expectations.freshness import freshness

    with duckdb.connect(str(tmp_path / "serving.duckdb")) as con:
        con.execute(f"create schema {schema}")
        con.execute(f"create table {schema}.loads (source varchar, object varchar, finished_at timestamptz, "
                    "status varchar)")
        con.execute(f"insert into {schema}.loads values ('zendesk', 'tickets', now() - interval 5 hour, 'succeeded')")
        rows = {(r.source, r.object): r for r in freshness(con, schema, type("L", (), {
            "hubspot_hours": 26, "jira_hours": 26, "zendesk_hours": 2, "hr_hours": 192})())}
    assert rows[("zendesk", "tickets")].fresh is False and rows[("zendesk", "tickets")].lag_hours >= 5
    assert rows[("hr", "export")].last_loaded_at is None  # no inbox log published: never loaded


def test_dagster_definitions_validate_passes_in_the_checkout(tmp_path):
    """Plain `dagster definitions validate` (the [tool.dagster] code location) loads without a data folder's
    sandbox and without parsing dbt at load."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    dagster = Path(sys.executable).parent / "dagster"
    env = os.environ | {"NORTHSTAR_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir()
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([str(dagster), "definitions", "validate"], cwd=root, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Validation successful for code location northstar" in run.stdout + run.stderr
