"""Run history: what started each run, its outcome, seconds per step, rows landed and first cause."""

from __future__ import annotations

import stat

import dagster as dg

from orchestration.history import KEPT_RUNS, read_runs, record_run, run_record


def _job(fail: bool):
    @dg.multi_asset(name="extract_hubspot__deals", specs=[dg.AssetSpec(["raw_hubspot", "deals"])])
    def extract_hubspot__deals():
        return dg.MaterializeResult(metadata={"rows_landed": 42})

    @dg.asset(deps=[dg.AssetKey(["raw_hubspot", "deals"])], name="northstar_dbt")
    def dbt_build():
        if fail:
            raise dg.Failure(description="dbt build failed: model stg_x: boom")

    defs = dg.Definitions(assets=[extract_hubspot__deals, dbt_build],
                          jobs=[dg.define_asset_job("refresh", selection=dg.AssetSelection.all())])
    return defs.resolve_job_def("refresh")


def test_a_run_record_names_its_trigger_steps_rows_and_first_cause():
    instance = dg.DagsterInstance.ephemeral()
    ok = _job(False).execute_in_process(instance=instance, tags={"dagster/schedule_name": "daily_refresh"})
    record = run_record(ok.run_id, "refresh", ok.dagster_run.tags, instance.all_logs(ok.run_id))
    assert record["trigger"] == "schedule daily_refresh" and record["outcome"] == "succeeded"
    assert record["rows_landed"] == 42 and record["first_cause"] == ""
    assert set(record["step_seconds"]) == {"extract hubspot", "dbt"}
    assert record["seconds"] is not None and record["seconds"] >= 0
    failed = _job(True).execute_in_process(instance=instance, raise_on_error=False,
                                           tags={"dagster/sensor_name": "inbox_files"})
    record = run_record(failed.run_id, "inbox", failed.dagster_run.tags, instance.all_logs(failed.run_id))
    assert record["trigger"] == "sensor inbox_files" and record["outcome"] == "failed"
    assert record["first_cause"].endswith("dbt build failed: model stg_x: boom")


def test_the_history_keeps_the_newest_runs_once_each_owner_only(tmp_path):
    path = tmp_path / "runs.json"
    for i in range(KEPT_RUNS + 5):
        record_run({"run_id": f"r{i:03d}", "started_at": f"2026-11-{1 + i // 24:02d}T{i % 24:02d}:00:00+00:00",
                    "outcome": "succeeded"}, path)
    record_run({"run_id": "r054", "started_at": "2026-11-03T06:00:00+00:00", "outcome": "failed"}, path)
    runs = read_runs(path)
    assert len(runs) == KEPT_RUNS and runs[0]["run_id"] == "r005"
    assert [r["outcome"] for r in runs if r["run_id"] == "r054"] == ["failed"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
