"""The ``northstar`` command: simulate the sandbox company and refresh the warehouse."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from config import settings

console = Console(stderr=False)


def _demo_accounts(sandbox: Path) -> None:
    """Dashboard accounts for the simulated company, one per role; passwords written once to a 0600 file."""
    from dashboards.auth import create_demo_accounts
    from sandbox.generator import demo_people_path

    people = json.loads(demo_people_path(sandbox).read_text())
    create_demo_accounts(settings.accounts_path(), people, demo_accounts_file())


def demo_accounts_file() -> Path:
    return settings.northstar_home() / "demo-accounts.txt"


def cmd_simulate(args: argparse.Namespace) -> int:
    from sandbox import generator

    sandbox, inbox = settings.sandbox_dir(), settings.inbox_dir()
    started = time.perf_counter()
    with console.status(f"Simulating the {args.tier} company…" if not args.next_day else "Simulating the next day…"):
        if args.next_day:
            counts = generator.next_day(sandbox, inbox)
        else:
            end = date.fromisoformat(args.end) if args.end else generator.DEFAULT_HISTORY_END
            counts = generator.simulate(sandbox, inbox, tier=args.tier, seed=args.seed, history_end=end)
        if args.defects:
            from sandbox.defects import apply_defects, parse

            seeded = apply_defects(sandbox, inbox, parse(args.defects))
            counts |= {f"defect.{name}": len(keys) for name, keys in seeded.items()}
    state = generator.load_state(sandbox)
    if not args.next_day:
        _demo_accounts(sandbox)
    table = Table("source object / inbox file", "record versions / rows", title="Simulated")
    for name, n in sorted(counts.items()):
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"Sandbox clock: {state.clock} · tier {state.tier} · seed {state.seed} · "
                  f"{time.perf_counter() - started:.1f}s · data in {settings.northstar_home()}")
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from cli.sandbox_location import sources_for_home
    from orchestration import progress
    from orchestration.refresh import failures_to_report, landed_rows, published, run_log_path, run_refresh

    since = date.fromisoformat(args.since) if args.since else None
    if since and args.full:
        raise ValueError("--since and --full exclude each other: --full re-reads everything and rebuilds every period")
    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=None),
                  TextColumn("{task.completed:,} records"), TimeElapsedColumn(), console=console,
                  transient=not console.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def report(label: str, rows: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=None)
            bar.advance(tasks[label], rows)

        progress.set_reporter(report)
        try:
            result = run_refresh(full=args.full, sources=sources_for_home(args.faults or ""), verbose=args.verbose,
                                 since=since, instance=_instance())
        finally:
            progress.set_reporter(None)
    elapsed = time.perf_counter() - started
    counts = landed_rows(result)
    table = Table("raw table", "rows landed", title="Refresh")
    for name, n in sorted(counts.items()):
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"Landed {sum(counts.values()):,} rows in {len(counts)} raw tables.")
    evaluations = result.get_asset_check_evaluations()
    for stale in (c for c in evaluations if c.check_name == "freshness" and not c.passed):
        console.print("[yellow]stale[/yellow] ", end="")
        console.print(stale.description or "/".join(stale.asset_key.path), markup=False, highlight=False,
                      soft_wrap=True)
    # the audit's checks (one per suite and severity) carry each failed expectation, described and sampled
    audit_checks = [c for c in evaluations if c.check_name.endswith(("__blocking", "__warning"))]
    for check in (c for c in audit_checks if not c.passed):
        colour, word = ("red", "blocking") if check.severity.value == "ERROR" else ("yellow", "warning")
        for failure in check.metadata["failed"].value if "failed" in check.metadata else [""]:
            console.print(f"[{colour}]audit {word}[/{colour}] {check.asset_key.path[-1]}: ", end="")
            console.print(failure, markup=False, highlight=False, soft_wrap=True)
    summary = _checks_summary(result.run_id)
    if summary:
        console.print(summary, soft_wrap=True)
    from expectations.publish import read_status

    attempt = read_status(settings.serving_path()).get("last_attempt", {})
    if attempt.get("run_id") == result.run_id and attempt.get("report_html"):  # this run's report, never an older one
        console.print(f"Audit report: {attempt['report_html']}", soft_wrap=True)
    log_file = run_log_path(result.run_id)
    check = read_status(settings.serving_path()).get("last_check", {})
    if result.success and check.get("run_id") == result.run_id and check.get("decision") == "nothing_new":
        console.print(f"Nothing new since run {check['since_run']}: no rows landed, no file arrived, no setting or "
                      f"model changed; build, audit and publish skipped, {elapsed:.1f}s", soft_wrap=True)
        return 0
    if published(result):
        console.print(f"Refresh succeeded: the audit passed; published to {settings.serving_path()}, {elapsed:.1f}s",
                      soft_wrap=True)
        return 0
    if any(c.severity.value == "ERROR" and not c.passed for c in audit_checks):
        console.print(f"[red]Refresh blocked by the audit[/red]: the dashboards keep the last published data. "
                      f"{elapsed:.1f}s", soft_wrap=True)
    failures = failures_to_report(result)
    for failure in failures:  # one line per failed step: what failed and why
        console.print(f"[red]failed[/red] {failure.step}: ", end="")
        console.print(failure.cause, markup=False, highlight=False, soft_wrap=True)
    if failures:
        console.print(f"[red]Refresh failed[/red] ({len(failures)} step(s)); the dashboards keep the last published "
                      f"data and show the failure. {elapsed:.1f}s", soft_wrap=True)
    console.print(f"Full log: {log_file}", soft_wrap=True)
    return 1


def _checks_summary(run_id: str) -> str:
    """One vocabulary for what was checked, as the report and the data-quality page count it: the audit's
    expectations (Great Expectations) and dbt's data tests and unit tests, never added together."""
    import duckdb

    from orchestration.assets.dbt import dbt_run_dir

    parts = []
    try:
        with duckdb.connect(str(settings.warehouse_path()), read_only=True) as con:
            row = con.execute("select checks, failed_blocking, failed_warning from audit.runs where run_id = ?",
                              [run_id]).fetchone()
    except duckdb.Error:
        row = None
    if row:
        parts.append(f"Audit: {row[0]:,} expectations, {row[1]} failed blocking, {row[2]} failed warning")
    try:
        results = json.loads((dbt_run_dir(run_id) / "run_results.json").read_text())["results"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        results = []
    tests = [r for r in results if r.get("unique_id", "").startswith("test.")]
    units = [r for r in results if r.get("unique_id", "").startswith("unit_test.")]
    if tests or units:
        flagged = sum(r.get("status") in ("warn", "fail", "error") for r in tests)
        unit_part = (f"{len(units)} unit tests ({sum(r.get('status') != 'pass' for r in units)} failed)" if units
                     else "unit tests not rerun (the models' code is unchanged)")
        parts.append(f"dbt: {len(tests)} data tests ({flagged} warned), {unit_part}")
    return " · ".join(parts)


def cmd_audit(args: argparse.Namespace) -> int:
    from expectations.audit import data_docs_index, run_audit
    from expectations.report import write_reports

    warehouse = settings.warehouse_path()
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `northstar refresh` first")
    with console.status("Auditing the build warehouse…"):
        outcome = run_audit(warehouse, docs_root=settings.gx_dir())
        html_report, pdf_report = write_reports(warehouse, outcome, settings.reports_dir(),
                                                data_docs_index(settings.gx_dir()))
    print_audit(outcome)
    console.print(f"Report: {html_report} (PDF: {pdf_report}); GX Data Docs: {data_docs_index(settings.gx_dir())}")
    return 0 if outcome.publishable else 1


def print_audit(outcome) -> None:
    table = Table("suite", "table", "checks", "failed (blocking)", "failed (warning)", title="Audit")
    for suite in dict.fromkeys(r.suite for r in outcome.results):
        rows = outcome.for_suite(suite)
        blocking = sum(1 for r in rows if not r.success and r.severity == "blocking")
        warning = sum(1 for r in rows if not r.success and r.severity == "warning")
        table.add_row(suite, rows[0].table_name, str(len(rows)), f"[red]{blocking}[/red]" if blocking else "0",
                      f"[yellow]{warning}[/yellow]" if warning else "0")
    console.print(table)
    for r in outcome.blocking_failures + outcome.warning_failures:
        colour = "red" if r.severity == "blocking" else "yellow"
        console.print(f"[{colour}]{r.severity}[/{colour}] {r.suite}: {r.description_en} "
                      f"({r.unexpected_count or 0} unexpected{'; e.g. ' + r.sample[:120] if r.sample else ''})"
                      + (f" {r.error}" if r.error else ""))
    verdict = "publishable" if outcome.publishable else "BLOCKED: the serving data stays as it was"
    console.print(f"Audit {outcome.run_id}: {len(outcome.results)} expectations, "
                  f"{len(outcome.blocking_failures)} blocking and {len(outcome.warning_failures)} warning failures, "
                  f"{outcome.seconds:.1f}s — {verdict}")


def _keep_bench_progress(so_far) -> None:
    """A long tier's figures so far, in benchmarks/results/<tier>.json (``"complete": false``) after each stage."""
    from cli import bench_results
    from cli.bench import record

    bench_results.save(record(so_far, simulated=so_far.simulate_seconds != 0) | {"complete": False}, table=False)


def cmd_bench(args: argparse.Namespace) -> int:
    from cli import bench_results
    from cli.bench import record, run_bench, save

    if args.pages:
        return _bench_pages()

    folder = Path(args.folder) if args.folder else settings.northstar_home() / "bench" / args.tier
    result = run_bench(args.tier, args.seed, folder.resolve(), lambda msg: console.print(f"[dim]…[/dim] {msg}"),
                       reuse=args.reuse, with_pages=not args.no_pages, with_load=not args.no_load,
                       runs_wanted=tuple(r.strip() for r in args.runs.split(",") if r.strip()),
                       on_progress=_keep_bench_progress)
    table = Table("run", "wall time (s)", "rows landed", "API calls", "extract (s)", "dbt (s)", "audit (s)",
                  "publish (s)", title=f"Bench: {args.tier} tier")
    for name, run in result.runs.items():
        extract = sum(v for k, v in run.step_seconds.items() if k.startswith("extract_"))
        table.add_row(name, f"{run.seconds:.1f}", f"{run.rows_landed:,}", f"{run.api_calls:,}", f"{extract:.1f}",
                      f"{run.step_seconds.get('northstar_dbt', 0):.1f}", f"{run.step_seconds.get('audit', 0):.1f}",
                      f"{run.step_seconds.get('serving__northstar', 0):.1f}")
    console.print(table)
    rates = ", ".join(f"{source} {rate:,.0f} rows/s" for source, rate in result.rows_per_second.items())
    console.print(f"simulate {abs(result.simulate_seconds):.1f}s · extract {rates}")
    console.print(f"peak memory: pipeline {result.peak_rss_mb:,.0f} MB, sandbox API servers "
                  f"{result.peak_sandbox_rss_mb:,.0f} MB, largest child {result.peak_child_rss_mb:,.0f} MB "
                  "(dbt or the servers; a forked child counts the pipeline's size at the fork)")
    console.print(f"figures saved to {save(result, folder)}")
    figures = record(result, simulated=result.simulate_seconds != 0)
    console.print(f"dbt full build {figures['dbt_full_s']:.1f}s / floor {figures['floor_s']:.2f}s "
                  f"({figures['floor_values']:,} values, equal to fct_kpi_values) · peak memory by step (MB): "
                  + ", ".join(f"{step} {mb:,.0f}" for step, mb in sorted(figures["step_peak_rss_mb"].items(),
                                                                         key=lambda kv: -kv[1])[:4]))
    console.print("extract CPU per row (µs): " + ", ".join(f"{s} {v}" for s, v in
                                                          figures["extract_cpu_us_per_row"].items()))
    if figures["page_p95_ms"] is not None:
        console.print(f"dashboard pages after a publish: p95 {figures['page_p95_ms']:.0f} ms")
    if result.load:
        console.print(f"{result.load['users']} users for {result.load['seconds']:.0f} s: {result.load['clicks']} "
                      f"clicks, p50 {result.load['p50_ms']} ms, p95 {result.load['p95_ms']} ms, "
                      f"{result.load['errors']} errors")
    console.print(f"results: {bench_results.save(figures | {'complete': True})} and BENCHMARKS.md")
    return 0


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    app = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
            "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--global.developmentMode", "false",
            # no "magic": it parses each page with ast in the session's thread, and on Python 3.11 parallel ast
            # parsing raised "AST constructor recursion depth mismatch" with 20 users signing in at once
            "--runner.magicEnabled", "false",
            "--client.toolbarMode", "viewer"]


def cmd_serve(args: argparse.Namespace) -> int:
    port = args.port or settings.load_settings().dashboards.port
    if not settings.serving_path().exists():
        console.print("[yellow]nothing is published yet[/yellow]: run `northstar refresh` first")
    console.print(f"Dashboards: [bold]http://{args.address}:{port}[/bold] (data in {settings.northstar_home()})")
    loopback = _is_loopback(args.address)
    if not loopback:
        console.print(f"[yellow]warning:[/yellow] serving on {args.address}, not loopback: local accounts and plain "
                      "HTTP are for trusted networks only; put an HTTPS proxy in front and use auth = \"oidc\" "
                      "elsewhere. Demo passwords are not printed.", soft_wrap=True)
    from sandbox.generator import demo_people_path

    simulated = demo_people_path(settings.sandbox_dir()).exists()
    if loopback and simulated and demo_accounts_file().exists():
        table = Table("username", "password", "role", "employee", title="Demo accounts")
        for line in demo_accounts_file().read_text().splitlines()[1:]:
            table.add_row(*line.split("\t"))
        console.print(table)
    env = {**os.environ, "NORTHSTAR_HOME": str(settings.northstar_home())}
    sys.stdout.flush()
    # replace this process with Streamlit: a signal to `northstar serve` (Ctrl-C, SIGTERM) reaches the server itself
    command = streamlit_command(port, args.address)
    os.execve(command[0], command, env)
    return 0  # not reached


def cmd_close(args: argparse.Namespace) -> int:
    from orchestration.close import close_month

    month = date.fromisoformat(f"{args.month}-01") if args.month else None
    result = close_month(month)
    if result.already_closed:
        console.print(f"{result.month:%Y-%m} is already closed: nothing changed")
    else:
        console.print(f"Closed {result.month:%Y-%m}: {result.kpi_values:,} KPI values, {result.goal_statuses:,} goal "
                      f"statuses and {result.records:,} records frozen as published; a later correction shows as a "
                      "restatement")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from orchestration.backup import backup

    result = backup(Path(args.to).resolve() if args.to else None, keep=args.keep)
    console.print(f"Backup {result.folder}: {result.tables} tables, {result.rows:,} rows (raw, its cursors and load "
                  f"log, the period closes) and the settings; {len(result.removed)} older copies removed",
                  soft_wrap=True)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Rebuild this data folder's raw layer from a backup, then build, audit and publish from it."""
    from orchestration.backup import restore
    from orchestration.refresh import published, run_refresh

    counts = restore(Path(args.folder).resolve())
    console.print(f"Restored {sum(counts.values()):,} rows in {len(counts)} tables into {settings.warehouse_path()}")
    result = run_refresh(build_only=True, instance=_instance())
    if not published(result):
        console.print("[red]the build from the restored raw layer did not publish[/red]: see `northstar refresh`")
        return 1
    console.print(f"Built and published from the backup: {settings.serving_path()}")
    return 0


def ui_command(port: int, address: str, simulated: bool) -> list[str]:
    """`dagster dev` on this checkout's code location: the simulated company's wiring for a simulated data
    folder, else the production one (``[tool.dagster]`` in pyproject.toml)."""
    module = "cli.sandbox_location" if simulated else "orchestration.definitions"
    dagster = str(Path(sys.executable).parent / "dagster")
    return [dagster, "dev", "-m", module, "-h", address, "-p", str(port)]


def cmd_ui(args: argparse.Namespace) -> int:
    from cli.sandbox_location import is_simulated
    from orchestration.assets.dbt import ensure_manifest
    from orchestration.instance import dagster_home

    port = args.port or settings.load_settings().ui.port
    if not _is_loopback(args.address):
        console.print(f"[yellow]warning:[/yellow] the Dagster UI on {args.address} has no sign-in: anyone who reaches "
                      "it can start runs and read run logs; keep it on loopback or behind an authenticating proxy",
                      soft_wrap=True)
    ensure_manifest()  # the code location loads a prepared manifest; `dagster dev` re-parses on load as well
    simulated = is_simulated()
    console.print(f"Dagster UI: [bold]http://{args.address}:{port}[/bold] · instance {dagster_home()} · "
                  f"{'the simulated company' if simulated else 'sources from NORTHSTAR_*_URL'} · schedules and "
                  "sensors run while this runs (Ctrl-C stops)")
    env = {**os.environ, "NORTHSTAR_HOME": str(settings.northstar_home()), "DAGSTER_HOME": str(dagster_home()),
           # this environment's dbt and dagster, whether or not the virtualenv is activated
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    sys.stdout.flush()
    command = ui_command(port, args.address, simulated)
    os.chdir(settings.PROJECT_ROOT)
    os.execve(command[0], command, env)  # signals (Ctrl-C, SIGTERM) reach dagster dev itself
    return 0  # not reached


def _is_loopback(address: str) -> bool:
    import ipaddress

    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name: not known to stay on this machine
        return False


def cmd_accounts(args: argparse.Namespace) -> int:
    from dashboards.auth import add_account, load_accounts

    path = settings.accounts_path()
    if args.action == "add" and not (args.username and args.role):
        raise ValueError("`northstar accounts add` needs a username and --role")
    if args.action == "list":
        table = Table("username", "role", "employee", "e-mail", title=str(path))
        for account in load_accounts(path).values():
            table.add_row(account.username, account.role, account.employee_id or "-", account.email or "-")
        console.print(table)
        return 0
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    add_account(path, args.username, args.role, password, args.employee_id, args.email)
    console.print(f"account {args.username} ({args.role}) saved in {path}")
    return 0


def _bench_pages() -> int:
    from dashboards.bench import bench_pages

    figures = bench_pages(settings.northstar_home())
    table = Table("role", "page", "after a publish (ms)", "first view (ms)", "warm (ms)",
                  title="Dashboard render times (server side)")
    for row in figures["pages"]:
        table.add_row(row["role"], row["page"], *(f"{row[k]:.0f}" for k in ("cold_ms", "first_view_ms", "warm_ms")))
    console.print(table)
    path = settings.northstar_home() / "bench-pages.json"
    path.write_text(json.dumps(figures, indent=2))
    console.print(f"figures saved to {path}")
    return 0


def _instance():
    from orchestration.instance import instance

    return instance()


def build_parser() -> argparse.ArgumentParser:
    from cli.bench import RUNS

    parser = argparse.ArgumentParser(prog="northstar", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="show connector and Dagster logs")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="generate the sandbox company, its sources and inbox files")
    sim.add_argument("--tier", default="small", choices=["small", "medium", "large"])
    sim.add_argument("--seed", type=int, default=42)
    sim.add_argument("--end", help="last day of the simulated history (YYYY-MM-DD, default 2026-11-30)")
    sim.add_argument("--next-day", action="store_true", help="advance the sandbox clock one day (new changes)")
    sim.add_argument("--defects", default="", help="seed audit defects: 'all' or a comma list (see README)")
    sim.set_defaults(func=cmd_simulate)
    ref = sub.add_parser("refresh", help="extract every source into the warehouse")
    ref.add_argument("--full", action="store_true", help="forget cursors and rebuild from the sources")
    ref.add_argument("--since", metavar="YYYY-MM-DD",
                     help="backfill: re-read each API source from that day and rebuild the periods that end on or "
                          "after it; earlier periods keep their values")
    ref.add_argument("--faults", default="", help="sandbox fault switches: 'all' or e.g. 'rate_limit,truncated'")
    ref.set_defaults(func=cmd_refresh)
    aud = sub.add_parser("audit", help="run the audit on the build warehouse; exit 1 if a blocking check fails")
    aud.set_defaults(func=cmd_audit)
    bench = sub.add_parser("bench", help="time simulate, refresh, incremental and full rebuild on a tier")
    bench.add_argument("--tier", default="small", choices=["small", "medium", "large"])
    bench.add_argument("--seed", type=int, default=42)
    bench.add_argument("--folder", help="where to simulate (default $NORTHSTAR_HOME/bench/<tier>; wiped first)")
    bench.add_argument("--reuse", action="store_true",
                       help="reuse the company already simulated in the folder (not advanced by --next-day)")
    bench.add_argument("--runs", default=",".join(RUNS),
                       help=f"the refreshes to time, a comma list of {', '.join(RUNS)} (default all; a long tier "
                            "can leave out the full rebuild, and the first refresh's dbt build stands for it)")
    bench.add_argument("--no-pages", action="store_true", help="leave out the dashboard page timings")
    bench.add_argument("--no-load", action="store_true",
                       help="leave out the 20-user load test (it needs Chromium: scripts/system-packages --browser)")
    bench.add_argument("--pages", action="store_true",
                       help="time every dashboard page for every role on the data already in $NORTHSTAR_HOME")
    bench.set_defaults(func=cmd_bench)
    serve = sub.add_parser("serve", help="serve the dashboards (Streamlit) on the published data")
    serve.add_argument("--port", type=int, help="default: [dashboards] port in northstar.toml")
    serve.add_argument("--address", default="127.0.0.1", help="interface to listen on (default loopback only)")
    serve.set_defaults(func=cmd_serve)
    close = sub.add_parser("close", help="freeze a month's KPI values and goal statuses as published (period close)")
    close.add_argument("--month", help="YYYY-MM (default: the month that ended last, in the company's time zone)")
    close.set_defaults(func=cmd_close)
    bak = sub.add_parser("backup", help="copy raw (with cursors and load log) and the settings to a backup folder")
    bak.add_argument("--to", help="the folder backups go to (default: [backup] folder, else $NORTHSTAR_HOME/backups)")
    bak.add_argument("--keep", type=int, help="newest copies kept (default: [backup] keep)")
    bak.set_defaults(func=cmd_backup)
    res = sub.add_parser("restore", help="rebuild an empty data folder from a backup, then build and publish")
    res.add_argument("folder", help="one backup: <backup folder>/<UTC time>")
    res.set_defaults(func=cmd_restore)
    ui = sub.add_parser("ui", help="the Dagster UI with its daemon: asset graph, runs, schedules, sensors, checks")
    ui.add_argument("--port", type=int, help="default: [ui] port in northstar.toml")
    ui.add_argument("--address", default="127.0.0.1", help="interface to listen on (default loopback only)")
    ui.set_defaults(func=cmd_ui)
    acc = sub.add_parser("accounts", help="dashboard sign-in accounts: list, or add one (password prompted)")
    acc.add_argument("action", choices=["list", "add"])
    acc.add_argument("username", nargs="?")
    acc.add_argument("--role", choices=["employee", "manager", "hr", "executive", "auditor"])
    acc.add_argument("--employee-id", help="the HR employee id (employees and managers)")
    acc.add_argument("--email", help="matched against the identity provider's e-mail when auth = oidc")
    acc.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    acc.set_defaults(func=cmd_accounts)
    return parser


def main(argv: list[str] | None = None) -> int:
    settings.owner_only_files()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.verbose:
        # Dagster forces its loggers to DEBUG (dagster-dbt logs each dbt command at INFO through them), so the
        # console handler itself keeps to errors: progress and the summary are this command's, the rest is in the
        # run's log file
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.ERROR)
    from orchestration.backup import BackupError
    from orchestration.close import CloseRefused
    from orchestration.lock import RefreshLocked

    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, RefreshLocked, BackupError, CloseRefused) as exc:
        console.print("[red]error:[/red] ", end="")
        console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
