"""What `northstar bench --tier T` keeps: ``benchmarks/results/T.json`` and a row in ``BENCHMARKS.md``.

The JSON holds the figures of the latest bench of a tier (with the machine and commit they were measured on);
``BENCHMARKS.md`` keeps every bench, a table per tier, newest first, under a row of the targets.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from config.settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
BENCHMARKS_MD = PROJECT_ROOT / "BENCHMARKS.md"

# (column title, how to show a record's figure, the target per tier: "" where the issue sets none)
COLUMNS: list[tuple[str, str, dict[str, str]]] = [
    ("date", "date", {}),
    ("commit", "commit", {}),
    ("simulate s", "simulate_s", {"medium": "≤ 60", "large": "≤ 600"}),
    ("first refresh s", "first_refresh_s", {"medium": "≤ 180", "large": "≤ 1800"}),
    ("extract µs CPU/row (hubspot, jira, zendesk)", "extract_cpu", {"medium": "≤ 20", "large": "≤ 20"}),
    ("extract rows/s (hubspot, jira, zendesk)", "extract_rate", {"medium": "≥ 50k", "large": "≥ 50k"}),
    ("next-day dbt % of full", "dbt_incremental_pct", {"medium": "≤ 10 %", "large": "≤ 10 %"}),
    ("no-change refresh s", "no_change_refresh_s", {"medium": "≤ 15", "large": "≤ 30"}),
    ("dbt full / floor", "dbt_over_floor", {"large": "≤ 3×"}),
    ("peak RSS MB", "peak_rss_mb", {"medium": "≤ 2048", "large": "≤ 4096"}),
    ("page p95 ms", "page_p95_ms", {"medium": "≤ 300", "large": "≤ 300"}),
    ("20 users p95 ms", "load_20_users_p95_ms", {"medium": "≤ 1500", "large": "≤ 1500"}),
]
SOURCES = ("hubspot", "jira", "zendesk")


def machine() -> dict:
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))
    return {"cpus": os.cpu_count(), "memory_gib": round(memory_kb / 1024**2, 1),
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}",
            "processor": platform.processor() or platform.machine()}


def commit() -> str:
    """The commit measured, ``+changes`` when the working tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def _shown(record: dict, key: str) -> str:
    if key == "extract_cpu":
        return " / ".join(_number(record["extract_cpu_us_per_row"].get(s)) for s in SOURCES)
    if key == "extract_rate":
        return " / ".join(_number(record["extract_rows_per_s"].get(s)) for s in SOURCES)
    if key == "dbt_incremental_pct":
        full, incremental = record.get("dbt_full_s"), record.get("dbt_incremental_s")
        return f"{incremental / full * 100:.0f} %" if full and incremental is not None else "—"
    if key == "dbt_over_floor":
        full, floor = record.get("dbt_full_s"), record.get("floor_s")
        return f"{full / floor:.0f}×" if full and floor else "—"
    if key == "load_20_users_p95_ms" and record.get(key) is None and record.get("load_20_users"):
        load = record["load_20_users"]  # measured, but no click finished: say so rather than "not measured"
        return f"no click done ({load['errors']} errors)"
    return _number(record.get(key)) if key not in ("date", "commit") else str(record[key])


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def table_row(record: dict) -> str:
    return "| " + " | ".join(_shown(record, key) for _, key, _ in COLUMNS) + " |"


def _section(tier: str) -> list[str]:
    return [f"## {tier}", "", "| " + " | ".join(title for title, _, _ in COLUMNS) + " |",
            "|" + "---|" * len(COLUMNS),
            "| target | | " + " | ".join(targets.get(tier, "—") for _, _, targets in COLUMNS[2:]) + " |"]


def add_to_benchmarks_md(record: dict, path: Path = BENCHMARKS_MD) -> None:
    """Insert the record's row at the top of its tier's table (the table is made if the tier has none)."""
    text = path.read_text() if path.exists() else _header()
    lines = text.splitlines()
    tier = record["tier"]
    if f"## {tier}" not in lines:
        lines += ["", *_section(tier)]
    start = lines.index(f"## {tier}")
    target_row = next(i for i in range(start, len(lines)) if lines[i].startswith("| target |"))
    lines.insert(target_row + 1, table_row(record))
    path.write_text("\n".join(lines) + "\n")


def _header() -> str:
    return ("# Benchmarks\n\n"
            "Written by `northstar bench --tier <tier>` (the full figures of a tier's latest bench are in "
            "`benchmarks/results/<tier>.json`). Each tier's table lists benches newest first, under the targets of "
            "issue 14. Measured on the machine named in the JSON (2 cores, 24 GiB); a dash is a figure the bench "
            "did not measure.\n")


def save(record: dict, table: bool = True) -> Path:
    """Write the tier's results; ``table``: also add the row to BENCHMARKS.md (a finished bench: a bench's figures
    so far, kept after each stage, only replace the JSON, which says ``"complete": false``)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{record['tier']}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    if table:
        add_to_benchmarks_md(record)
    return path


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

