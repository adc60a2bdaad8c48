"""The Dagster Definitions load whole, and dbt models sit downstream of the raw tables they read."""

from __future__ import annotations

from dagster import AssetKey

from config.settings import load_settings
from orchestration.definitions import build_definitions


def test_definitions_wire_raw_tables_into_the_dbt_models():
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    raw = {AssetKey(["raw_hubspot", "deals"]), AssetKey(["raw_zendesk", "ticket_metrics"]),
           AssetKey(["raw_hr", "employees"])}
    assert raw <= keys
    marts = {AssetKey(["marts", name]) for name in
             ("fct_kpi_values", "fct_goal_progress", "fct_scorecard", "dim_employee", "fct_identity_unmatched")}
    assert marts <= keys
    assert AssetKey(["raw_hubspot", "deals"]) in graph.get(AssetKey(["staging", "base_hubspot__deals"])).parent_keys
    assert AssetKey(["raw_hr", "assignments"]) in graph.get(AssetKey(["staging", "stg_hr__assignments"])).parent_keys
    upstream = graph.upstream_key_iterator(AssetKey(["marts", "fct_kpi_values"]))
    assert {AssetKey(["raw_jira", "issues"]), AssetKey(["raw_zendesk", "satisfaction_ratings"])} <= set(upstream)
    assert defs.resolve_job_def("refresh") is not None


def test_settings_reach_dbt_as_vars(monkeypatch):
    monkeypatch.setenv("NORTHSTAR_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("NORTHSTAR_MIN_UNIT_SIZE", "7")
    dbt_vars = load_settings().dbt_vars()
    assert dbt_vars["timezone"] == "Europe/Berlin" and dbt_vars["min_unit_size"] == 7
    assert dbt_vars["attainment_cap"] == 1.5 and dbt_vars["grade_quota_a"] == 0.2


def test_only_the_newest_dbt_run_folders_are_kept(tmp_path, monkeypatch):
    import os

    from orchestration.assets.dbt import dbt_run_dir, prune_dbt_runs

    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    for age, run_id in enumerate(f"run-{i:02d}" for i in range(12)):
        folder = dbt_run_dir(run_id)
        folder.mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1_000_000 + age, 1_000_000 + age))  # run-11 is the newest
    deleted = prune_dbt_runs(keep=10)
    assert sorted(p.name for p in deleted) == ["run-00", "run-01"]
    assert sorted(p.name for p in (tmp_path / "logs" / "dbt").iterdir()) == [f"run-{i:02d}" for i in range(2, 12)]
