"""Simulate the company: fill the sandbox source stores and drop the inbox files.

``simulate()`` writes every record version of every source system under
``<home>/sandbox/<system>/<object>.parquet`` and sets the sandbox clock to the
end of the history; the sandbox servers show what is visible at the clock.
``next_day()`` moves the clock one day and drops that day's files, which is
how an incremental refresh is exercised.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import orjson
import polars as pl
import xlsxwriter

from sandbox import activity, workbooks
from sandbox.company import TIERS, Company, build_company

DEFAULT_HISTORY_END = date(2026, 11, 30)
SYSTEMS = {
    "hubspot": activity.hubspot_versions,
    "jira": activity.jira_versions,
    "zendesk": activity.zendesk_versions,
}


@dataclass
class SandboxState:
    tier: str
    seed: int
    history_end: str
    clock: str  # the simulated "today": sources show what happened up to its end
    dropped: list[str] = field(default_factory=list)
    frozen: dict[str, int] = field(default_factory=dict)  # system -> clock (ms) it stopped exporting at
    simulate_seconds: float | None = None  # how long simulate took (a bench reusing this company reports it)

    @property
    def clock_date(self) -> date:
        return date.fromisoformat(self.clock)

    def clock_ms(self) -> int:
        """End of the clock day in the company's zone, as UTC epoch ms."""
        return activity.local_ts(self.clock_date + timedelta(days=1), 0) - 1


def state_path(sandbox: Path) -> Path:
    return sandbox / "state.json"


def load_state(sandbox: Path) -> SandboxState:
    path = state_path(sandbox)
    if not path.exists():
        raise FileNotFoundError(f"no simulated company in {sandbox}: run `northstar simulate` first")
    return SandboxState(**json.loads(path.read_text()))


def save_state(sandbox: Path, state: SandboxState) -> None:
    tmp = state_path(sandbox).with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2))
    tmp.replace(state_path(sandbox))


def company_for(state: SandboxState) -> Company:
    return build_company(TIERS[state.tier], state.seed, date.fromisoformat(state.history_end))


def simulate(sandbox: Path, inbox: Path, tier: str = "small", seed: int = 42,
             history_end: date = DEFAULT_HISTORY_END) -> dict[str, int]:
    """Generate the company and its sources; return record versions per source object."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}: choose one of {', '.join(TIERS)}")
    started = time.perf_counter()
    sandbox.mkdir(parents=True, exist_ok=True)
    company = build_company(TIERS[tier], seed, history_end)
    state = SandboxState(tier, seed, history_end.isoformat(), history_end.isoformat())
    counts = write_source_stores(company, sandbox, meanwhile=lambda: drop_files(company, state, inbox, since=None))
    write_demo_people(company, sandbox, history_end)
    state.simulate_seconds = round(time.perf_counter() - started, 2)
    save_state(sandbox, state)
    return counts


def demo_people_path(sandbox: Path) -> Path:
    return sandbox / "demo_people.json"


def write_demo_people(company: Company, sandbox: Path, on: date) -> dict[str, str]:
    """Pick the people the demo accounts sign in as: the CEO, a sales team lead with a team, one of their reports."""
    active = [p for p in company.people if p.active_on(on)]
    ceo = next(p for p in active if p.level == 3)
    members_by_unit: dict[str, list] = defaultdict(list)
    for p in active:
        if p.level == 0:
            members_by_unit[p.unit_on(on)].append(p)
    leads = sorted((p for p in active if p.level == 1), key=lambda p: (p.role != "sales", p.employee_id))
    lead = next(p for p in leads if len(members_by_unit[p.unit_on(on)]) >= 3)
    # The employee account is someone with a record to show (a quarter or more of tenure), not this week's hire.
    team = sorted(members_by_unit[lead.unit_on(on)], key=lambda p: p.employee_id)
    member = next((p for p in team if (on - p.hire_date).days >= 90), team[0])
    people = {"executive": ceo.employee_id, "manager": lead.employee_id, "employee": member.employee_id}
    demo_people_path(sandbox).write_text(json.dumps(people, indent=2))
    return people


def next_day(sandbox: Path, inbox: Path) -> dict[str, int]:
    """Advance the sandbox clock by one day and drop that day's files."""
    state = load_state(sandbox)
    company = company_for(state)
    previous = state.clock_date
    if previous + timedelta(days=1) > company.end:
        raise ValueError(f"the simulation horizon ends on {company.end}; simulate again with a later end")
    state.clock = (previous + timedelta(days=1)).isoformat()
    counts = drop_files(company, state, inbox, since=previous)
    save_state(sandbox, state)
    return counts


def write_source_stores(company: Company, sandbox: Path,
                        meanwhile: Callable[[], dict[str, int]] | None = None) -> dict[str, int]:
    """Every system's store, each written by a process of its own (``python -m sandbox.generator``: they share
    nothing but the company's seed), while this process does ``meanwhile`` (the inbox files)."""
    project = Path(__file__).resolve().parent.parent
    workers = {system: subprocess.Popen(
        [sys.executable, "-m", "sandbox.generator", company.tier.name, str(company.seed),
         company.history_end.isoformat(), system, str(sandbox)], stdout=subprocess.PIPE, text=True, cwd=project)
        for system in SYSTEMS}
    try:
        counts = meanwhile() if meanwhile else {}
        for system, worker in workers.items():
            out, _ = worker.communicate()
            if worker.returncode:
                raise RuntimeError(f"simulating {system} failed (exit code {worker.returncode}): see the error above")
            counts |= json.loads(out)
    finally:
        for worker in workers.values():  # a failure stops the other systems' writers too
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    (sandbox / "jira" / "projects.json").write_text(json.dumps(activity.jira_projects(company)))
    return counts


CHUNK_VERSIONS = 200_000  # record versions held in memory per object before they go to a part file


def write_system(company: Company, system: str, sandbox: Path) -> dict[str, int]:
    """One system's record versions, written in chunks, then each object sorted by time into its store."""
    folder = sandbox / system
    parts = folder / ".parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    buffers: dict[str, dict[str, list]] = defaultdict(lambda: {"id": [], "ts": [], "payload": []})
    written: dict[str, int] = defaultdict(int)

    def flush(obj: str) -> None:
        cols = buffers.pop(obj)
        frame = pl.DataFrame(cols, schema={"id": pl.Utf8, "ts": pl.Int64, "payload": pl.Utf8})
        frame.with_columns(seq=pl.int_range(written[obj], written[obj] + frame.height, dtype=pl.Int64)) \
            .write_parquet(parts / f"{obj}.{written[obj]:012d}.parquet")
        written[obj] += frame.height

    for v in SYSTEMS[system](company):
        cols = buffers[v.object]
        cols["id"].append(v.id)
        cols["ts"].append(v.ts)
        payload = v.payload
        cols["payload"].append((payload if isinstance(payload, bytes) else orjson.dumps(payload)).decode())
        if len(cols["id"]) >= CHUNK_VERSIONS:
            flush(v.object)
    for obj in list(buffers):
        flush(obj)
    for obj in written:
        sort_parts(parts, obj, folder / f"{obj}.parquet")
    shutil.rmtree(parts)
    return {f"{system}.{obj}": n for obj, n in written.items()}


SORT_MEMORY = "3GB"  # per system's writer (three run at once); at 1GB the large tier's Jira sort ran out of memory


def sort_parts(parts: Path, obj: str, store: Path) -> None:
    """An object's part files, sorted by (ts, id, version) into its store, out of core: the large tier's objects do
    not fit in memory whole. One thread: a sort of 1.5 KB rows (Jira issues) needs buffers per thread."""
    folder, target = (str(p).replace("'", "''") for p in (parts, store))  # a quote in the data folder's path
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{SORT_MEMORY}'; set threads = 1; set temp_directory = '{folder}'; "
                    "set preserve_insertion_order = false")
        con.execute(f"""copy (select id, ts, payload from read_parquet('{folder}/{obj}.*.parquet')
                              order by ts, id, seq)
                        to '{target}' (format parquet, row_group_size 32768)""")


# --------------------------------------------------------------------------- inbox files


def drop_files(company: Company, state: SandboxState, inbox: Path, since: date | None) -> dict[str, int]:
    """Write the inbox files that appear in (since, clock]; all history when ``since`` is None."""
    inbox.mkdir(parents=True, exist_ok=True)
    clock = state.clock_date

    def in_window(iso: str) -> bool:
        if not iso:
            return False
        d = date.fromisoformat(iso)
        return d <= clock and (since is None or d > since)

    written: dict[str, int] = {}
    hr = workbooks.hr_tables(company, clock)
    written |= _write_xlsx(inbox / f"hr_{clock}.xlsx", hr)
    for rev, revised_on in workbooks.goal_revision_dates(clock.year).items():
        if in_window(revised_on.isoformat()):
            rows = workbooks.goals(company, clock.year, rev)
            written |= _write_xlsx(inbox / f"goals_{clock.year}_r{rev}.xlsx", {"goals": rows})
    meetings = [r for r in workbooks.one_on_ones(company) if in_window(r["held_on"])]
    if meetings:
        written |= _write_csv(inbox / f"one_on_ones_{clock}.csv", meetings)
    forms = [_form_as_of(r, clock) for r in workbooks.reviews(company)
             if in_window(r["_available_on"]) or in_window(r["submitted_on"])]
    if forms:
        written |= _write_csv(inbox / f"reviews_{clock}.csv", forms)
    entries = [r for r in workbooks.manual_entries(company) if in_window(r["entry_date"])]
    if entries:
        written |= _write_xlsx(inbox / f"manual_{clock}.xlsx", {"manual_entries": entries})
    state.dropped.extend(sorted(name.split(":")[0] for name in written if name.endswith(":file")))
    return {k: v for k, v in written.items() if not k.endswith(":file")}


def _form_as_of(form: dict, clock: date) -> dict:
    """A review form as the export shows it on ``clock``: scores only once submitted."""
    submitted = bool(form["submitted_on"]) and form["submitted_on"] <= clock.isoformat()
    row = {k: v for k, v in form.items() if not k.startswith("_")}
    if not submitted:
        row |= {"submitted_on": "", "self_score": None, "manager_score": None}
    return row


def _write_csv(path: Path, rows: list[dict]) -> dict[str, int]:
    tmp = path.with_suffix(".partial")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    tmp.replace(path)  # a reader never sees half a file
    return {f"{path.name}:file": 1, f"inbox.{path.name}": len(rows)}


def _write_xlsx(path: Path, sheets: dict[str, list[dict]]) -> dict[str, int]:
    tmp = path.with_name(path.name + ".partial")
    workbook = xlsxwriter.Workbook(str(tmp))
    for name, rows in sheets.items():
        pl.DataFrame(rows, infer_schema_length=None).write_excel(workbook=workbook, worksheet=name, autofit=False)
    workbook.close()
    tmp.replace(path)
    return {f"{path.name}:file": 1, f"inbox.{path.name}": sum(len(r) for r in sheets.values())}


if __name__ == "__main__":  # one system's store, for write_source_stores: tier seed history_end system sandbox
    tier_name, seed_text, end_text, system_name, sandbox_dir = sys.argv[1:6]
    built = build_company(TIERS[tier_name], int(seed_text), date.fromisoformat(end_text))
    print(json.dumps(write_system(built, system_name, Path(sandbox_dir))))
