"""`northstar bench`: time the pipeline on a simulated tier, in a folder of its own.

Measures simulate, a first full refresh (rows per second per source), the next day's incremental refresh,
a `--full` rebuild of the same data, and a refresh with no new data (API calls); with peak memory of the
pipeline (this process), of the sandbox's API servers and of the largest child process (dbt or the servers).

The sandbox servers run in a process of their own, started before each refresh is timed, as a real tenant's
APIs would be elsewhere: in process they would add every simulated record to the pipeline's memory.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from config import settings


@dataclass
class RunFigures:
    seconds: float
    rows_landed: int = 0
    api_calls: int = 0
    step_seconds: dict[str, float] = field(default_factory=dict)
    rows_by_table: dict[str, int] = field(default_factory=dict)
    sandbox_peak_rss_mb: float = 0.0


@dataclass
class BenchResult:
    tier: str
    simulate_seconds: float
    runs: dict[str, RunFigures]
    rows_per_second: dict[str, float]
    peak_rss_mb: float  # the pipeline: this process (Dagster, connectors, audit, publish)
    # the largest child's high-water mark: dbt or the sandbox servers; a forked child's includes the pipeline's
    # size at the fork, so this is an upper bound for dbt, not its own peak
    peak_child_rss_mb: float
    peak_sandbox_rss_mb: float = 0.0


def _peak_rss_mb(pid: int) -> float:
    """A live process's peak resident memory (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


@contextmanager
def sandbox_process(sandbox: Path) -> Iterator[tuple[subprocess.Popen, dict[str, str]]]:
    """The sandbox's API servers in a child process, and the URLs they listen on."""
    from config.settings import PROJECT_ROOT

    process = subprocess.Popen([sys.executable, "-m", "sandbox.servers", str(sandbox)], cwd=PROJECT_ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox servers did not start (exit code {process.wait()})")
        yield process, json.loads(line)
    finally:
        process.stdin.close()  # the servers stop when their input closes
        process.wait(timeout=60)


@contextmanager
def _sources_at(urls: dict[str, str]) -> Iterator[None]:
    """Point the pipeline at ``urls`` with the sandbox's credentials, as a deployment points it at vendors."""
    from sandbox.servers import SANDBOX_TOKENS

    values = {f"NORTHSTAR_{system.upper()}_URL": url for system, url in urls.items()}
    values |= {f"NORTHSTAR_{key.upper()}": value for key, value in SANDBOX_TOKENS.items()}
    with settings.environment(values):
        yield


def _run(full: bool = False) -> RunFigures:
    from dagster import DagsterInstance

    from orchestration.refresh import api_calls, landed_rows, run_refresh

    instance = DagsterInstance.ephemeral()
    with sandbox_process(settings.sandbox_dir()) as (servers, urls), _sources_at(urls):
        started = time.perf_counter()
        result = run_refresh(full=full, instance=instance)
        seconds = time.perf_counter() - started
        sandbox_peak = _peak_rss_mb(servers.pid)
    if not result.success:
        raise RuntimeError(f"the bench refresh failed (run {result.run_id}); see `northstar refresh` for why")
    figures = RunFigures(seconds, rows_by_table=landed_rows(result), sandbox_peak_rss_mb=sandbox_peak)
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
        peak_sandbox_rss_mb=max(run.sandbox_peak_rss_mb for run in runs.values()),
    )


def save(result: BenchResult, folder: Path) -> Path:
    path = folder / f"bench-{result.tier}.json"
    path.write_text(json.dumps(asdict(result), indent=2))
    return path
