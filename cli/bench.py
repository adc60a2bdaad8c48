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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
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
    step_peak_rss_mb: dict[str, float] = field(default_factory=dict)  # the pipeline and dbt, sampled
    step_cpu_seconds: dict[str, float] = field(default_factory=dict)  # this process (dbt's child not counted)
    peak_rss_mb: float = 0.0


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
    floor: FloorFigures | None = None
    pages: dict | None = None  # dashboards.bench.bench_pages
    load: dict | None = None  # benchmarks.load.run_load


class TreeSampler(threading.Thread):
    """Samples, every ``interval`` seconds, the resident memory of this process and its children (dbt), the
    sandbox servers excluded, and this process's CPU time: per-step peaks and CPU come from these samples
    cut at the steps' start and end times (steps run one after another in the in-process executor)."""

    def __init__(self, exclude: set[int], interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.exclude, self.interval = exclude, interval
        self.samples: list[tuple[float, float, float]] = []  # (unix time, tree RSS MB, process CPU s)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.time(), _tree_rss_mb(os.getpid(), self.exclude), time.process_time()))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def window(self, start: float, end: float) -> tuple[float, float]:
        """(peak tree RSS MB, process CPU seconds) between two unix times."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if not inside:
            return 0.0, 0.0
        return max(s[1] for s in inside), inside[-1][2] - inside[0][2]


def _tree_rss_mb(pid: int, exclude: set[int]) -> float:
    """Resident memory of ``pid`` and its descendants, MB (0 for a process that ended meanwhile)."""
    try:
        rss = next((int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("VmRSS:")), 0) / 1024
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return rss + sum(_tree_rss_mb(c, exclude) for c in children if c not in exclude)


LOAD_USERS, LOAD_SECONDS = 20, 90.0


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
        sampler = TreeSampler(exclude={servers.pid})
        sampler.start()
        started = time.perf_counter()
        try:
            result = run_refresh(full=full, instance=instance)
        finally:
            sampler.stop()
        seconds = time.perf_counter() - started
        sandbox_peak = _peak_rss_mb(servers.pid)
    if not result.success:
        from orchestration.refresh import run_log_path, step_failures

        failed = "; ".join(f"{f.step}: {f.cause}" for f in step_failures(result)) or "no step failed"
        raise RuntimeError(f"the bench refresh failed (run {result.run_id}): {failed} "
                           f"(traces: {run_log_path(result.run_id)})")
    figures = RunFigures(seconds, rows_by_table=landed_rows(result), sandbox_peak_rss_mb=sandbox_peak,
                         peak_rss_mb=round(max((s[1] for s in sampler.samples), default=0.0), 1))
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
            start = starts[event.step_key]
            figures.step_seconds[event.step_key] = round(entry.timestamp - start, 3)
            peak, cpu = sampler.window(start, entry.timestamp)
            figures.step_peak_rss_mb[event.step_key] = round(peak, 1)
            figures.step_cpu_seconds[event.step_key] = round(cpu, 3)
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


RUNS = ("first_refresh", "next_day_incremental", "full_rebuild", "no_change_refresh")


def run_bench(tier: str, seed: int, folder: Path, report: Callable[[str], None],
              reuse: bool = False, with_pages: bool = True, with_load: bool = True,
              runs_wanted: tuple[str, ...] = RUNS,
              on_progress: Callable[[BenchResult], None] | None = None) -> BenchResult:
    """Simulate (or reuse) a company and time the runs; ``on_progress`` gets the figures so far after each stage
    (a long tier's bench may be stopped before its end)."""
    from sandbox import generator

    unknown = set(runs_wanted) - set(RUNS)
    if unknown or "first_refresh" not in runs_wanted:
        raise ValueError(f"bench runs are {', '.join(RUNS)} (first_refresh always); unknown: {sorted(unknown)}")

    os.environ["NORTHSTAR_HOME"] = str(folder)
    state = folder / "sandbox" / "state.json"
    if reuse and state.exists() and json.loads(state.read_text())["tier"] == tier \
            and json.loads(state.read_text())["clock"] == json.loads(state.read_text())["history_end"]:
        simulated = json.loads(state.read_text()).get("simulate_seconds")
        report(f"reusing the {tier} company simulated in {folder} (simulate took {simulated} s then)")
        _reset_to_simulated(folder)
        simulate_seconds = -(simulated or 0.0)  # negative: measured by that simulate, not by this bench
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

    def so_far(floor: FloorFigures | None = None) -> BenchResult:
        # the high-water marks of the pipeline's runs; taken before the dashboards' stages, since the pages render
        # in this process and the load test's Chromium is a child of it
        self_peak, child_peak = (round(resource.getrusage(who).ru_maxrss / 1024, 1)
                                 for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return BenchResult(
            tier=tier,
            simulate_seconds=round(simulate_seconds, 2),  # negative when reused: see record()
            runs=dict(runs),
            rows_per_second=_rows_per_second(runs["first_refresh"]),
            peak_rss_mb=self_peak,
            peak_child_rss_mb=child_peak,
            peak_sandbox_rss_mb=max(run.sandbox_peak_rss_mb for run in runs.values()),
            floor=floor,
        )

    def stage(name: str, message: str, full: bool = False) -> None:
        if name not in runs_wanted:
            report(f"{name} left out (--runs)")
            return
        report(message)
        runs[name] = _run(full=full)
        # long tiers take a while: what is measured so far is kept as it comes
        progress_file.write_text(json.dumps({"simulate_seconds": simulate_seconds,
                                             "runs": {k: asdict(v) for k, v in runs.items()}}, indent=2))
        if on_progress:
            on_progress(so_far())

    # the figures the warehouse is judged on come first (long tiers may be stopped before the end)
    stage("first_refresh", "first refresh (everything is new)")
    if "next_day_incremental" in runs_wanted:
        generator.next_day(settings.sandbox_dir(), settings.inbox_dir())
    stage("next_day_incremental", "incremental refresh after the next day")
    stage("full_rebuild", "full rebuild of the same data (--full)", full=True)
    report("the floor: benchmarks/floor.sql on the same warehouse")
    floor = run_floor(settings.warehouse_path())
    if floor.mismatches:
        raise RuntimeError(f"the floor and fct_kpi_values disagree (values per KPI): {floor.mismatches}")
    stage("no_change_refresh", "refresh with no new source data")
    pipeline = so_far(floor)
    if on_progress:
        on_progress(pipeline)
    pages = None
    if with_pages:
        from dashboards.bench import bench_pages

        report("every dashboard page for every role, after the publish (server side)")
        pages = bench_pages(folder)
        if on_progress:
            on_progress(replace(pipeline, pages=pages))
    load = None
    if with_load:
        from benchmarks.load import CHROMIUM, THINK_SECONDS, run_load

        if not CHROMIUM.exists():
            report(f"no Chromium at {CHROMIUM}: the load test is left out (scripts/system-packages --browser)")
            with_load = False
    if with_load:
        report(f"{LOAD_USERS} signed-in users clicking through pages for {LOAD_SECONDS:.0f} s (Chromium), "
               f"reading each page {THINK_SECONDS:.0f} s on average")
        load = run_load(folder, LOAD_USERS, LOAD_SECONDS)
    return replace(pipeline, pages=pages, load=load)


def save(result: BenchResult, folder: Path) -> Path:
    path = folder / f"bench-{result.tier}.json"
    path.write_text(json.dumps(asdict(result), indent=2))
    return path


def record(result: BenchResult, simulated: bool) -> dict:
    """The figures issue 14 asks for, from one bench (``benchmarks/results/<tier>.json``); a run left out
    (``--runs``) gives None for its figures. Without a ``--full`` rebuild, the first refresh's dbt build (every
    model from nothing) stands for the full build."""
    from cli import bench_results

    runs = result.runs
    first = runs["first_refresh"]
    nxt, full, same = (runs.get(k) for k in ("next_day_incremental", "full_rebuild", "no_change_refresh"))

    def seconds(run: RunFigures | None) -> float | None:
        return round(run.seconds, 2) if run else None
    step_peaks: dict[str, float] = {}
    for run in runs.values():
        for step, peak in run.step_peak_rss_mb.items():
            step_peaks[step] = max(peak, step_peaks.get(step, 0.0))
    p95 = None
    if result.pages:
        cold = sorted(row["cold_ms"] for row in result.pages["pages"])
        p95 = round(cold[max(0, -(-95 * len(cold) // 100) - 1)], 1)  # nearest rank
    return {
        "tier": result.tier, "date": bench_results.now(), "commit": bench_results.commit(),
        "machine": bench_results.machine(),
        "memory_limit": settings.load_settings().memory_limit,  # DuckDB's, for dbt, the audit, publish and floor
        "simulate_s": abs(result.simulate_seconds) if simulated else None,
        "simulate_reused": result.simulate_seconds < 0,  # measured by the simulate that made the reused company
        "first_refresh_s": seconds(first),
        "incremental_refresh_s": seconds(nxt),
        "no_change_refresh_s": seconds(same),
        "full_rebuild_s": seconds(full),
        "dbt_full_s": (full or first).step_seconds.get("northstar_dbt"),
        "dbt_full_from": "full_rebuild" if full else "first_refresh",
        "dbt_incremental_s": nxt.step_seconds.get("northstar_dbt") if nxt else None,
        "floor_s": result.floor.seconds if result.floor else None,
        "floor_values": result.floor.values if result.floor else None,
        "audit_s": first.step_seconds.get("audit"),
        "publish_s": first.step_seconds.get("serving__northstar"),
        "peak_rss_mb": max(run.peak_rss_mb for run in runs.values()),
        "step_peak_rss_mb": dict(sorted(step_peaks.items())),
        "sandbox_peak_rss_mb": result.peak_sandbox_rss_mb,
        "extract_rows_per_s": result.rows_per_second,
        "extract_cpu_us_per_row": _cpu_per_row(first),
        "rows_landed_first_refresh": first.rows_landed,
        "page_p95_ms": p95,
        "load_20_users_p95_ms": result.load["p95_ms"] if result.load else None,
        "load_20_users": result.load,
        "runs": {name: asdict(run) for name, run in runs.items()},
    }


def _cpu_per_row(run: RunFigures) -> dict[str, float | None]:
    """Pipeline CPU (this process) per landed row in each source's extract steps, microseconds."""
    out: dict[str, float | None] = {}
    for source in ("hubspot", "jira", "zendesk"):
        rows = sum(n for t, n in run.rows_by_table.items() if t.startswith(f"raw_{source}."))
        cpu = sum(s for step, s in run.step_cpu_seconds.items() if step.startswith(f"extract_{source}__"))
        out[source] = round(cpu / rows * 1e6, 1) if rows else None
    return out


# --------------------------------------------------------------------------- the floor

FLOOR_SQL = Path(__file__).resolve().parent.parent / "benchmarks" / "floor.sql"


@dataclass
class FloorFigures:
    seconds: float
    values: int  # (KPI, subject, period) values the floor computed
    mismatches: dict[str, int]  # KPI -> values missing on one side or different (empty: equal to the mart)


def run_floor(warehouse: Path) -> FloorFigures:
    """Run ``benchmarks/floor.sql`` on a built warehouse (read-only) and compare every value with the mart's.
    Under the pipeline's ``memory_limit``, as dbt's build is: with DuckDB's default (80 % of RAM) the floor held
    6.7 GB at medium, and the ratio compared a bounded build with an unbounded script."""
    import duckdb

    loaded = settings.load_settings()
    with duckdb.connect(str(warehouse), read_only=True, config={"memory_limit": loaded.memory_limit}) as con:
        con.execute("set variable tz = ?", [loaded.timezone])
        con.execute("set variable as_of_date = ?", [loaded.as_of_date])
        con.execute("set variable story_points_field = ?", [loaded.jira_story_points_field])
        started = time.perf_counter()
        con.execute(f"create temp table floor as {FLOOR_SQL.read_text()}")
        seconds = time.perf_counter() - started
        (values,) = con.execute("select count(*) from floor").fetchone()
        mismatches = dict(con.execute("""
            with mart as (
                select kpi_key, subject_type, subject_id, period_type, period_start, value
                from marts.fct_kpi_values join seeds.kpi_catalogue using (kpi_key)
                where measure in ('sum', 'ratio')
            )
            select kpi_key, count(*)
            from mart full join floor using (kpi_key, subject_type, subject_id, period_type, period_start)
            where mart.value is distinct from floor.value
              and not abs(mart.value - floor.value) <= 1e-9 * greatest(1, abs(mart.value))
            group by kpi_key order by kpi_key""").fetchall())
    return FloorFigures(round(seconds, 3), values, mismatches)
