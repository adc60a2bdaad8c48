"""Seed data defects into the sandbox, one switch per audit rule family, to prove the audit catches them.

Each defect is what really goes wrong upstream: a CRM record edited badly (new record versions at
the sandbox clock), an HR export or goal workbook dropped with errors, a source that stopped
exporting. ``apply_defects`` returns, per defect, the keys it touched, so a test can check the
audit's sample names them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from sandbox import activity, workbooks
from sandbox.generator import _write_xlsx, company_for, load_state, next_day, save_state

BLOCKING = ("null_ids", "duplicate_ids", "negative_amount", "goal_weights", "goal_cycle", "volume_drop",
            "mart_mismatch")
WARNING = ("orphan_assignee", "closed_before_created", "stale_source")
DEFECTS = BLOCKING + WARNING
UNKNOWN_ACCOUNT = "5b10ac8d0000000000000000"
UNKNOWN_UNIT = "OU-9999"
STALE_DAYS = 3


def parse(spec: str) -> list[str]:
    names = list(DEFECTS) if spec.strip() == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    unknown = sorted(set(names) - set(DEFECTS))
    if unknown:
        raise ValueError(f"unknown defect(s) {unknown}; known: {', '.join(DEFECTS)}")
    return names


def apply_defects(sandbox: Path, inbox: Path, names: list[str]) -> dict[str, list[str]]:
    """Seed the named defects at the sandbox clock; returns the keys each defect touched."""
    seeded: dict[str, list[str]] = {}
    if "stale_source" in names:  # first: it moves the clock on while Zendesk stays behind
        seeded["stale_source"] = _stale_source(sandbox, inbox)
    state = load_state(sandbox)
    clock = state.clock_ms()
    record_defects = {"null_ids": _null_ids, "negative_amount": _negative_amount,
                      "closed_before_created": _closed_before_created, "orphan_assignee": _orphan_assignee}
    for name, seed in record_defects.items():
        if name in names:
            seeded[name] = seed(sandbox, clock)
    company = company_for(state)
    if {"duplicate_ids", "volume_drop", "mart_mismatch"} & set(names):
        seeded |= _hr_file(company, state.clock_date, inbox, names)
    if {"goal_weights", "goal_cycle"} & set(names):
        seeded |= _goal_file(company, state.clock_date, inbox, names)
    return seeded


# --------------------------------------------------------------------------- record versions


def _latest(sandbox: Path, system: str, obj: str, clock: int) -> list[tuple[str, dict]]:
    frame = (pl.read_parquet(sandbox / system / f"{obj}.parquet").filter(pl.col("ts") <= clock)
             .sort(["ts", "id"]).group_by("id", maintain_order=True).last().sort("id"))
    return [(i, json.loads(p)) for i, p in zip(frame["id"], frame["payload"], strict=True)]


def _add_versions(sandbox: Path, system: str, obj: str, clock: int, records: list[tuple[str, dict]]) -> None:
    path = sandbox / system / f"{obj}.parquet"
    extra = pl.DataFrame({"id": [i for i, _ in records], "ts": [clock] * len(records),
                          "payload": [json.dumps(p, separators=(",", ":")) for _, p in records]},
                         schema={"id": pl.Utf8, "ts": pl.Int64, "payload": pl.Utf8})
    # stable: a version added at a time the record already has sorts after it, so it is the one shown
    pl.concat([pl.read_parquet(path), extra]).sort(["ts", "id"], maintain_order=True).write_parquet(path)


def _touch_hubspot(record: dict, clock: int) -> dict:
    record["updatedAt"] = activity.iso_z(clock)
    record["properties"]["hs_lastmodifieddate"] = activity.iso_z(clock)
    return record


def _null_ids(sandbox: Path, clock: int) -> list[str]:
    calls = _latest(sandbox, "hubspot", "calls", clock)[:5]
    for _, call in calls:
        _touch_hubspot(call, clock)["properties"]["hubspot_owner_id"] = None
    _add_versions(sandbox, "hubspot", "calls", clock, calls)
    return [i for i, _ in calls]


def _open_deals(sandbox: Path, clock: int) -> list[tuple[str, dict]]:
    return [(i, d) for i, d in _latest(sandbox, "hubspot", "deals", clock)
            if not d["archived"] and d["properties"]["dealstage"] not in ("closedwon", "closedlost")]


def _negative_amount(sandbox: Path, clock: int) -> list[str]:
    deals = _open_deals(sandbox, clock)[:3]
    for _, deal in deals:
        _touch_hubspot(deal, clock)["properties"]["amount"] = "-500.00"
    _add_versions(sandbox, "hubspot", "deals", clock, deals)
    return [i for i, _ in deals]


def _closed_before_created(sandbox: Path, clock: int) -> list[str]:
    deals = _open_deals(sandbox, clock)[3:6]
    for _, deal in deals:
        props = _touch_hubspot(deal, clock)["properties"]
        created = datetime.fromisoformat(props["createdate"])
        props |= {"dealstage": "closedlost",
                  "closedate": (created - timedelta(days=5)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    _add_versions(sandbox, "hubspot", "deals", clock, deals)
    return [i for i, _ in deals]


def _orphan_assignee(sandbox: Path, clock: int) -> list[str]:
    issues = _latest(sandbox, "jira", "issues", clock)[:3]
    for _, issue in issues:
        issue["fields"]["assignee"] = {"accountId": UNKNOWN_ACCOUNT, "emailAddress": "ghost@northstar-demo.com",
                                       "displayName": "Deleted user", "active": False}
        issue["fields"]["updated"] = activity.jira_time(clock)
    _add_versions(sandbox, "jira", "issues", clock, issues)
    return [issue["key"] for _, issue in issues]


def _stale_source(sandbox: Path, inbox: Path) -> list[str]:
    """Zendesk stops exporting: its clock stays while the others move on ``STALE_DAYS`` days."""
    state = load_state(sandbox)
    state.frozen = {"zendesk": state.clock_ms()}
    save_state(sandbox, state)
    for _ in range(STALE_DAYS):
        next_day(sandbox, inbox)
    return ["zendesk"]


# --------------------------------------------------------------------------- files


def _hr_file(company, clock: date, inbox: Path, names: list[str]) -> dict[str, list[str]]:
    tables = workbooks.hr_tables(company, clock)
    employees, seeded = tables["employees"], {}
    reps = [e for e in employees if e["title"] == "Account Executive" and not e["termination_date"]
            and e["hire_date"] < f"{clock.year}-01-01"]
    if "duplicate_ids" in names:
        first, second = reps[0], reps[1]
        second["email"] = first["email"]
        seeded["duplicate_ids"] = [first["email"]]
    if "mart_mismatch" in names:
        moved = reps[2]
        tables["assignments"].append({"employee_id": moved["employee_id"], "org_unit_id": UNKNOWN_UNIT,
                                      "manager_id": "", "effective_from": f"{clock.year}-06-01"})
        seeded["mart_mismatch"] = ["sales_closed_won_amount"]
    if "volume_drop" in names:  # a truncated export: every other employee missing
        keep = {e["employee_id"] for e in reps[:3]}
        tables["employees"] = [e for n, e in enumerate(employees) if n % 2 == 0 or e["employee_id"] in keep]
        kept = {e["employee_id"] for e in tables["employees"]}
        tables["assignments"] = [a for a in tables["assignments"] if a["employee_id"] in kept]
        seeded["volume_drop"] = [f"hr_{clock}_defects.xlsx"]
    _write_xlsx(inbox / f"hr_{clock}_defects.xlsx", tables)
    return seeded


def _goal_file(company, clock: date, inbox: Path, names: list[str]) -> dict[str, list[str]]:
    rows = workbooks.goals(company, clock.year, 2)
    seeded = {}
    if "goal_weights" in names:
        person_goals = [g for g in rows if g["owner_type"] == "employee" and g["period"] == f"{clock.year}-Q4"]
        victim = person_goals[0]
        victim |= {"weight": victim["weight"] - 10, "revision": 3, "revised_on": clock.isoformat()}
        seeded["goal_weights"] = [f"owner {victim['owner_id']} {victim['period']} kpi"]
    if "goal_cycle" in names:
        objective = next(g for g in rows if g["goal_id"] == f"G{clock.year}-C-O1")
        objective |= {"parent_goal_id": f"G{clock.year}-C-O1-KR1", "revision": 3, "revised_on": clock.isoformat()}
        seeded["goal_cycle"] = [objective["goal_id"], f"G{clock.year}-C-O1-KR1"]
    _write_xlsx(inbox / f"goals_{clock.year}_r3.xlsx", {"goals": rows})
    return seeded
