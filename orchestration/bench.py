"""`northstar bench`: time the pipeline on a simulated tier, in a folder of its own.

Measures simulate, a first full refresh (rows per second per source), the next day's incremental refresh,
a `--full` rebuild of the same data, and a refresh with no new data (API calls);
with peak memory of this process and of its children (dbt).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from orchestration import settings


@dataclass
class RunFigures:
    seconds: float
    rows_landed: int = 0
    api_calls: int = 0
    step_seconds: dict[str, float] = field(default_factory=dict)
    rows_by_table: dict[str, int] = field(default_factory=dict)


@dataclass
class BenchResult:
    tier: str
    simulate_seconds: float
    runs: dict[str, RunFigures]
    rows_per_second: dict[str, float]
    peak_rss_mb: float
    peak_child_rss_mb: float


def _run(full: bool = False) -> RunFigures:
    from dagster import DagsterInstance

    from orchestration.refresh import api_calls, landed_rows, run_refresh

    instance = DagsterInstance.ephemeral()
    started = time.perf_counter()
    result = run_refresh(full=full, instance=instance)
    if not result.success:
        raise RuntimeError(f"the bench refresh failed (run {result.run_id}); see `northstar refresh` for why")
    figures = RunFigures(time.perf_counter() - started, rows_by_table=landed_rows(result))
    figures.rows_landed = sum(figures.rows_by_table.values())
    figures.api_calls = sum(api_calls(result).values())
    starts: dict[str, float] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value == "STEP_SUCCESS":
            figures.step_seconds[event.step_key] = round(entry.timestamp - starts[event.step_key], 3)
    return figures


def _rows_per_second(run: RunFigures) -> dict[str, float]:
    """Rows landed per second of extract step, per source."""
    out: dict[str, float] = {}
    for source in ("hubspot", "jira", "zendesk"):
        rows = sum(n for t, n in run.rows_by_table.items() if t.startswith(f"raw_{source}."))
        secs = sum(s for step, s in run.step_seconds.items() if step.startswith(f"extract_{source}__"))
        out[source] = round(rows / secs, 1) if secs else 0.0
    inbox_rows = sum(n for t, n in run.rows_by_table.items() if not t.startswith(("raw_hubspot", "raw_jira",
                                                                                    "raw_zendesk")))
    inbox_secs = run.step_seconds.get("extract_inbox", 0)
    out["inbox"] = round(inbox_rows / inbox_secs, 1) if inbox_secs else 0.0
    return out


def _reset_to_simulated(folder: Path) -> None:
    """Back to the state right after simulate: no warehouse, no publication, every inbox file undelivered."""
    for derived in ("warehouse", "serving", "dagster", "gx", "reports", "logs"):
        shutil.rmtree(folder / derived, ignore_errors=True)
    inbox = folder / "inbox"
    for done in ("loaded", "rejected"):
        for path in sorted((inbox / done).glob("*")) if (inbox / done).exists() else []:
            if not path.name.endswith(".reason.txt"):
                path.replace(inbox / path.name)
        shutil.rmtree(inbox / done, ignore_errors=True)


def run_bench(tier: str, seed: int, folder: Path, report: Callable[[str], None],
              reuse: bool = False) -> BenchResult:
    from sandbox import generator

    os.environ["NORTHSTAR_HOME"] = str(folder)
    state = folder / "sandbox" / "state.json"
    if reuse and state.exists() and json.loads(state.read_text())["tier"] == tier \
            and json.loads(state.read_text())["clock"] == json.loads(state.read_text())["history_end"]:
        report(f"reusing the {tier} company simulated in {folder} (simulate not timed)")
        _reset_to_simulated(folder)
        simulate_seconds = 0.0
    else:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        report(f"simulating the {tier} company in {folder}")
        started = time.perf_counter()
        generator.simulate(settings.sandbox_dir(), settings.inbox_dir(), tier=tier, seed=seed)
        simulate_seconds = round(time.perf_counter() - started, 2)
        report(f"simulated in {simulate_seconds:.1f}s")
    runs: dict[str, RunFigures] = {}
    progress_file = folder / "bench-progress.json"

    def stage(name: str, message: str, full: bool = False) -> None:
        report(message)
        runs[name] = _run(full=full)
        # long tiers take a while: what is measured so far is kept as it comes
        progress_file.write_text(json.dumps({"simulate_seconds": simulate_seconds,
                                             "runs": {k: asdict(v) for k, v in runs.items()}}, indent=2))

    # the figures the warehouse is judged on come first (long tiers may be stopped before the end)
    stage("first_refresh", "first refresh (everything is new)")
    generator.next_day(settings.sandbox_dir(), settings.inbox_dir())
    stage("next_day_incremental", "incremental refresh after the next day")
    stage("full_rebuild", "full rebuild of the same data (--full)", full=True)
    stage("no_change_refresh", "refresh with no new source data")
    return BenchResult(
        tier=tier,
        simulate_seconds=round(simulate_seconds, 2),
        runs=runs,
        rows_per_second=_rows_per_second(runs["first_refresh"]),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        peak_child_rss_mb=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    )


def save(result: BenchResult, folder: Path) -> Path:
    path = folder / f"bench-{result.tier}.json"
    path.write_text(json.dumps(asdict(result), indent=2))
    return path
