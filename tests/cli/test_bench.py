"""The bench's record: issue 14's fields from the runs, and BENCHMARKS.md rows newest first under the targets."""

from __future__ import annotations

import pytest

from cli.bench import BenchResult, FloorFigures, RunFigures, record
from cli.bench_results import add_to_benchmarks_md


def _result(dbt_full: float, dbt_next: float) -> BenchResult:
    def run(dbt: float, cpu: float = 0.5) -> RunFigures:
        return RunFigures(10.0, rows_by_table={"raw_hubspot.deals": 1000}, step_seconds={
            "extract_hubspot__deals": 1.0, "northstar_dbt": dbt, "audit": 2.0, "serving__northstar": 1.0},
            step_cpu_seconds={"extract_hubspot__deals": cpu}, step_peak_rss_mb={"northstar_dbt": 900.0,
                                                                                 "audit": 300.0}, peak_rss_mb=900.0)
    runs = {"first_refresh": run(dbt_full), "next_day_incremental": run(dbt_next),
            "full_rebuild": run(dbt_full), "no_change_refresh": run(0.1)}
    pages = {"pages": [{"cold_ms": float(ms)} for ms in range(1, 101)]}
    return BenchResult("small", 5.0, runs, {"hubspot": 1000.0}, 0, 0, floor=FloorFigures(2.0, 10, {}), pages=pages,
                       load={"p95_ms": 700.0})


def test_the_record_holds_the_issue_fields_and_the_table_lists_benches_newest_first(tmp_path):
    rec = record(_result(dbt_full=40.0, dbt_next=4.0), simulated=True)
    assert {"tier", "date", "commit", "machine", "simulate_s", "first_refresh_s", "incremental_refresh_s",
            "no_change_refresh_s", "dbt_full_s", "dbt_incremental_s", "floor_s", "audit_s", "publish_s",
            "peak_rss_mb", "step_peak_rss_mb", "extract_rows_per_s", "extract_cpu_us_per_row", "page_p95_ms",
            "load_20_users_p95_ms"} <= set(rec)
    assert rec["extract_cpu_us_per_row"]["hubspot"] == 500.0  # 0.5 s of CPU for 1,000 rows
    assert rec["page_p95_ms"] == 95.0 and rec["load_20_users_p95_ms"] == 700.0
    assert rec["step_peak_rss_mb"] == {"audit": 300.0, "northstar_dbt": 900.0}
    md = tmp_path / "BENCHMARKS.md"
    add_to_benchmarks_md(rec, md)
    add_to_benchmarks_md(record(_result(dbt_full=40.0, dbt_next=20.0), simulated=True), md)
    lines = md.read_text().splitlines()
    target = next(i for i, line in enumerate(lines) if line.startswith("| target |"))
    assert "50 %" in lines[target + 1] and "10 %" in lines[target + 2]  # newest first: 20/40, then 4/40
    assert "20×" in lines[target + 1]  # dbt full 40 s / floor 2 s


def test_a_bench_without_some_runs_records_none_for_them_and_the_first_build_as_the_full_one(tmp_path):
    result = _result(dbt_full=40.0, dbt_next=4.0)
    del result.runs["full_rebuild"], result.runs["no_change_refresh"]
    result.simulate_seconds = -300.0  # the company was reused: its simulate took 300 s
    rec = record(result, simulated=True)
    assert rec["full_rebuild_s"] is None and rec["no_change_refresh_s"] is None
    assert rec["dbt_full_s"] == 40.0 and rec["dbt_full_from"] == "first_refresh"
    assert rec["simulate_s"] == 300.0 and rec["simulate_reused"] is True
    assert rec["memory_limit"] == "1GB"  # the setting the figures were measured under (northstar.toml)
    md = tmp_path / "BENCHMARKS.md"
    add_to_benchmarks_md(rec, md)
    row = md.read_text().splitlines()[-1]
    assert "| 10 % |" in row and "| — |" in row  # next-day share shown, the no-change refresh not measured


def test_bench_runs_must_include_the_first_refresh(tmp_path):
    from cli.bench import run_bench

    with pytest.raises(ValueError, match="first_refresh always"):
        run_bench("small", 42, tmp_path / "b", print, reuse=True, runs_wanted=("next_day_incremental",))


def test_a_bench_keeps_its_figures_after_each_stage_and_leaves_out_the_runs_not_asked_for(tmp_path, monkeypatch):
    import json

    from cli import bench
    from sandbox import generator

    folder = tmp_path / "large"
    (folder / "sandbox").mkdir(parents=True)
    (folder / "sandbox" / "state.json").write_text(json.dumps(
        {"tier": "large", "seed": 42, "history_end": "2026-11-30", "clock": "2026-11-30", "simulate_seconds": 900.0}))
    timed: list[bool] = []

    def fake_run(full: bool = False) -> RunFigures:
        timed.append(full)
        return _result(40.0, 4.0).runs["first_refresh"]

    monkeypatch.setattr(bench, "_run", fake_run)
    monkeypatch.setattr(bench, "run_floor", lambda warehouse: FloorFigures(2.0, 10, {}))
    monkeypatch.setattr(generator, "next_day", lambda *a: pytest.fail("the next day was not asked for"))
    kept: list[BenchResult] = []
    result = bench.run_bench("large", 42, folder, print, reuse=True, with_pages=False, with_load=False,
                             runs_wanted=("first_refresh", "no_change_refresh"), on_progress=kept.append)
    assert timed == [False, False]  # the first refresh and the no-change refresh; no --full rebuild
    assert [list(k.runs) for k in kept] == [["first_refresh"], ["first_refresh", "no_change_refresh"],
                                            ["first_refresh", "no_change_refresh"]]
    assert kept[-1].floor is not None and kept[0].floor is None
    rec = record(result, simulated=True)
    assert rec["simulate_s"] == 900.0 and rec["simulate_reused"] and rec["incremental_refresh_s"] is None
