"""The files people drop in the inbox: HR export, goal workbook, 1:1s, reviews, manual KPIs.

Each function returns plain rows (lists of dicts) in the documented templates
(README "Inbox files"); ``generator.py`` writes them as CSV or XLSX.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from sandbox.company import Company, Person
from sandbox.performance import (
    MANUAL_PER_MONTH,
    MANUAL_PER_MONTH_OTHERS,
    MANUAL_VALUES,
    SALES_H2_LIFT,
    Cadence,
    performance,
    usual_result,
)

# Personal KPI goals per role: (kpi_key, weight %). Targets come from each person's usual result (performance.py).
ROLE_KPIS = {
    "sales": [("sales_closed_won_amount", 50), ("sales_win_rate", 30), ("sales_activities", 20)],
    "engineering": [("delivery_story_points_done", 50), ("delivery_on_time_rate", 30),
                    ("delivery_cycle_time_days", 20)],
    "support": [("support_tickets_solved", 40), ("support_csat", 30), ("support_first_reply_minutes", 30)],
    "operations": [("manual_points", 100)],
}
MANAGER_KPIS = [("mgmt_one_on_one_coverage", 60), ("mgmt_review_completion", 40)]
SUMMED = {"sales_closed_won_amount", "delivery_story_points_done", "support_tickets_solved", "sales_activities",
          "manual_points"}  # cumulative KPIs: a unit's target is its people's summed
LOWER_IS_BETTER = {"delivery_cycle_time_days", "support_first_reply_minutes"}
STRETCH = (0.0, 0.04)  # a target is the person's usual result plus this much
# Company objectives and their key results: (title, weight, [(kpi_key, weight, baseline as a share of target)]).
# Key-result targets are their departments' (summed KPIs) or the company's people's usual level plus a stretch.
COMPANY_OKRS = [
    ("Grow revenue", 35, [("sales_closed_won_amount", 70, 0.6), ("sales_win_rate", 30, 0.8)]),
    ("Ship reliably", 30, [("delivery_on_time_rate", 60, 0.9), ("delivery_story_points_done", 40, None)]),
    ("Delight customers", 25, [("support_csat", 50, 0.95), ("support_first_reply_minutes", 50, 1.5)]),
    ("Grow our people", 10, [("mgmt_one_on_one_coverage", 50, None), ("mgmt_review_completion", 50, None)]),
]
# One typo the audit should catch (rule 6, goal_cascade): a department target typed a digit short.
TYPO_DEPARTMENT_KR = ("Engineering", "delivery_story_points_done", 0.1)
DEPARTMENT_OBJECTIVE = {"Sales": 0, "Engineering": 1, "Support": 2, "Operations": 3}
MANUAL_CATEGORIES = ["mentoring", "knowledge_sharing", "recruiting", "innovation", "process_improvement"]
REVISION_DATES = {1: (1, 5), 2: (7, 1)}  # workbook revision -> (month, day) it is re-dropped


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def hr_tables(company: Company, as_of: date) -> dict[str, list[dict]]:
    """The HR export as of a day: org units, employees hired by then, job history up to then."""
    hired = [p for p in company.people if p.hire_date <= as_of]
    org_units = [
        {"org_unit_id": u.org_unit_id, "name": u.name, "unit_type": u.unit_type,
         "parent_id": u.parent_id or "", "manager_employee_id": u.manager_employee_id or ""}
        for u in company.units
    ]
    employees = [
        {"employee_id": p.employee_id, "full_name": p.full_name, "email": p.email, "title": p.title,
         "hire_date": _iso(p.hire_date),
         "termination_date": _iso(p.termination_date if p.termination_date and p.termination_date <= as_of else None)}
        for p in hired
    ]
    assignments = [
        {"employee_id": p.employee_id, "org_unit_id": a.org_unit_id, "manager_id": a.manager_id or "",
         "effective_from": _iso(a.effective_from)}
        for p in hired for a in p.assignments if a.effective_from <= as_of
    ]
    return {"org_units": org_units, "employees": employees, "assignments": assignments}


KPI_CATALOGUE = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "kpi_catalogue.csv"


@cache
def kpi_name(kpi_key: str) -> str:
    """The KPI's English name, as a goal owner would type it into a title ("Closed-won amount")."""
    with KPI_CATALOGUE.open(encoding="utf-8") as handle:
        return {row["kpi_key"]: row["name_en"] for row in csv.DictReader(handle)}.get(kpi_key, kpi_key)


def goal_revision_dates(year: int) -> dict[int, date]:
    return {rev: date(year, m, d) for rev, (m, d) in REVISION_DATES.items()}


def goals(company: Company, year: int, revision: int) -> list[dict]:
    """The goal workbook of ``year`` as of workbook ``revision`` (2 = the mid-year revision).

    People's quarterly targets come first (their usual result plus a stretch); a team's key result is its
    members' summed, a department's its teams' summed, the company's its departments' summed; rates are
    the company's people's usual level plus a stretch.
    """
    revised_on = goal_revision_dates(year)
    person_rows = [row for person in company.people for row in _person_goals(company, person, year, revision,
                                                                            revised_on)]
    rows: list[dict] = []

    def add(goal_id: str, parent: str, goal_type: str, title: str, owner_type: str, owner_id: str,
            kpi_key: str, period: str, target: float | None, weight: float, baseline: float | None = None,
            revised: bool = False) -> None:
        rev = 2 if (revised and revision >= 2) else 1
        rows.append({
            "goal_id": goal_id, "parent_goal_id": parent, "goal_type": goal_type, "title": title,
            "owner_type": owner_type, "owner_id": owner_id, "kpi_key": kpi_key, "period": period,
            "baseline": baseline, "target": target, "weight": weight, "revision": rev,
            "revised_on": revised_on[rev].isoformat(),
        })

    plan = person_rows if revision == 1 else [row for person in company.people
                                              for row in _person_goals(company, person, year, 1, revised_on)]

    rows_of: dict[str, list[int]] = defaultdict(list)  # owner -> positions of their rows in the plan
    for position, r in enumerate(plan):
        rows_of[r["owner_id"]].append(position)

    def summed(kpi: str, owners: set[str]) -> float:
        """The yearly sum of the people's quarterly targets in the plan the year started with (revision 1), added
        in the plan's order (a scan of the whole plan per team made the large company's workbook quadratic)."""
        positions = sorted(i for owner in owners for i in rows_of.get(owner, ()))
        return sum(plan[i]["target"] for i in positions if plan[i]["kpi_key"] == kpi)

    departments = [u for u in company.units if u.unit_type == "department"]
    members_of: dict[str, set[str]] = {u.org_unit_id: set() for u in company.units}
    for p in company.people:
        unit = p.unit_on(date(year, 1, 1))
        if unit in members_of:
            members_of[unit].add(p.employee_id)
    team_targets: dict[str, float] = {}
    dept_targets: dict[tuple[str, str], float] = {}
    for dept in departments:
        teams = [u for u in company.units if u.parent_id == dept.org_unit_id]
        kpi = ROLE_KPIS[_role_of(dept.department)][0][0]
        for team in teams:
            team_targets[team.org_unit_id] = round(summed(kpi, members_of[team.org_unit_id]), 2)
        dept_targets[(dept.org_unit_id, kpi)] = round(sum(team_targets[t.org_unit_id] for t in teams), 2)
    company_rate = _company_rate_targets(company, year)

    company_id = company.units[0].org_unit_id
    objective_ids = []
    for i, (title, weight, krs) in enumerate(COMPANY_OKRS, start=1):
        oid = f"G{year}-C-O{i}"
        objective_ids.append(oid)
        add(oid, "", "objective", title, "org_unit", company_id, "", str(year), None, weight)
        for j, (kpi, kr_weight, baseline_share) in enumerate(krs, start=1):
            target = (round(sum(v for (_, k), v in dept_targets.items() if k == kpi), 2) if kpi in SUMMED
                      else company_rate[kpi])
            revised = kpi == "sales_closed_won_amount"  # the mid-year revision raises the revenue KR
            add(f"{oid}-KR{j}", oid, "key_result", f"{title}: {kpi_name(kpi).lower()}",
                "org_unit", company_id, kpi, str(year),
                round(target * (1.1 if revised and revision >= 2 else 1), 2), kr_weight,
                round(target * baseline_share, 3) if baseline_share else None, revised=revised)
    for dept in departments:
        c_index = DEPARTMENT_OBJECTIVE.get(dept.department, 3)
        oid = f"G{year}-{dept.org_unit_id}-O1"
        add(oid, objective_ids[c_index], "objective", f"{dept.name} contributes to {COMPANY_OKRS[c_index][0]}",
            "org_unit", dept.org_unit_id, "", str(year), None, 100)
        for j, (kpi, kr_weight, baseline_share) in enumerate(COMPANY_OKRS[c_index][2], start=1):
            target = dept_targets.get((dept.org_unit_id, kpi), company_rate.get(kpi))
            if target is None:  # a summed KPI this department's people do not work on
                target = round(sum(v for (_, k), v in dept_targets.items() if k == kpi) * 0.05, 2)
            if (dept.department, kpi) == TYPO_DEPARTMENT_KR[:2]:
                target = round(target * TYPO_DEPARTMENT_KR[2], 2)
            add(f"{oid}-KR{j}", oid, "key_result", f"{dept.name}: {kpi_name(kpi).lower()}",
                "org_unit", dept.org_unit_id, kpi,
                str(year), target, kr_weight, round(target * baseline_share, 3) if baseline_share else None)
        for team in (u for u in company.units if u.parent_id == dept.org_unit_id):
            tid = f"G{year}-{team.org_unit_id}-O1"
            add(tid, oid, "objective", f"{team.name}: {COMPANY_OKRS[c_index][0].lower()}",
                "org_unit", team.org_unit_id, "", str(year), None, 100)
            kpi = ROLE_KPIS[_role_of(dept.department)][0][0]
            add(f"{tid}-KR1", tid, "key_result", f"{team.name}: {kpi_name(kpi).lower()}",
                "org_unit", team.org_unit_id, kpi,
                str(year), team_targets[team.org_unit_id], 100)
    return rows + person_rows


def _company_rate_targets(company: Company, year: int) -> dict[str, float]:
    """Rate KPIs' company targets: the people's average usual level over the year, plus the mean stretch."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    stretch = 1 + sum(STRETCH) / 2
    targets = {}
    for role, kpis in [*ROLE_KPIS.items(), ("manager", MANAGER_KPIS)]:
        people = [p for p in company.people if (p.level >= 1 and role == "manager") or
                  (p.level == 0 and p.role == role)]
        for kpi, _ in kpis:
            if kpi in SUMMED or not people:
                continue
            usual = sum(usual_result(performance(company, p), kpi, start, end) for p in people) / len(people)
            targets[kpi] = round(usual / stretch if kpi in LOWER_IS_BETTER else min(0.99, usual * stretch), 3)
    return targets


def _person_goals(company: Company, person: Person, year: int, revision: int,
                  revised_on: dict[int, date]) -> Iterator[dict]:
    """A person's quarterly KPI goals: their usual result (what their trailing record shows) plus a stretch."""
    year_start = date(year, 1, 1)
    unit = person.unit_on(year_start) or person.assignments[0].org_unit_id
    if person.level == 3 or (person.hire_date > date(year, 12, 31)):
        return
    kpis = MANAGER_KPIS if person.level >= 1 else ROLE_KPIS[person.role]
    perf = performance(company, person)
    for quarter in range(1, 5):
        q_start = date(year, 3 * quarter - 2, 1)
        q_end = date(year + quarter // 4, 3 * quarter % 12 + 1, 1) - timedelta(days=1)
        if person.termination_date and person.termination_date < q_start:
            continue
        for kpi, weight in kpis:
            # The mid-year revision raises sales targets for the second half (rule 13) by the launch's lift.
            revised = quarter >= 3 and kpi == "sales_closed_won_amount"
            rev = 2 if (revised and revision >= 2) else 1
            rng = random.Random(f"{company.seed}:target:{person.employee_id}:{kpi}:{quarter}")
            usual, stretch = usual_result(perf, kpi, q_start, q_end), 1 + rng.uniform(*STRETCH)
            if kpi in LOWER_IS_BETTER:
                target = round(usual / stretch, 2)
            elif kpi in SUMMED:
                target = round(usual * stretch, 2)
            else:
                target = round(min(0.99, usual * stretch), 3)
            yield {
                "goal_id": f"G{year}-{person.employee_id}-Q{quarter}-{kpi}",
                "parent_goal_id": f"G{year}-{unit}-O1", "goal_type": "kpi",
                "title": kpi_name(kpi), "owner_type": "employee", "owner_id": person.employee_id,
                "kpi_key": kpi, "period": f"{year}-Q{quarter}", "baseline": None,
                "target": round(target * SALES_H2_LIFT, 2) if rev == 2 else target,
                "weight": weight, "revision": rev, "revised_on": revised_on[rev].isoformat(),
            }


def _role_of(department: str) -> str:
    return {"Sales": "sales", "Engineering": "engineering", "Support": "support"}.get(department, "operations")


def _dept_of_unit(company: Company, unit_id: str) -> str | None:
    units = {u.org_unit_id: u for u in company.units}
    unit = units.get(unit_id)
    while unit is not None and unit.unit_type == "team":
        unit = units.get(unit.parent_id or "")
    return unit.org_unit_id if unit else None


def _direct_reports(company: Company, day: date) -> dict[str, list[Person]]:
    reports: dict[str, list[Person]] = {}
    for p in company.people:
        if not p.active_on(day):
            continue
        current = None
        for a in p.assignments:
            if a.effective_from <= day:
                current = a
        if current and current.manager_id:
            reports.setdefault(current.manager_id, []).append(p)
    return reports


def one_on_ones(company: Company) -> list[dict]:
    """Every 1:1 over the whole simulated span (filter by ``held_on`` for a clock)."""
    rows = []
    day = company.start
    while day <= company.end:
        if day.weekday() < 5:
            for manager_id, reports in sorted(_direct_reports(company, day).items()):
                rate = performance(company, company.person(manager_id)).one_on_one_rate()
                for person in reports:
                    rng = random.Random(f"{company.seed}:1on1:{manager_id}:{person.employee_id}:{day}")
                    # Roughly every other week per report, on a day of that report's own rhythm.
                    if rng.random() < rate:
                        rows.append({"meeting_id": f"M{len(rows) + 1:07d}", "manager_id": manager_id,
                                     "employee_id": person.employee_id, "held_on": day.isoformat()})
        day += timedelta(days=1)
    return rows


def reviews(company: Company) -> list[dict]:
    """Half-year review forms; a form exists once its cycle closes; ``submitted_on`` empty until submitted."""
    rows = []
    for year in range(company.start.year, company.end.year + 1):
        for half, cycle_end, window_start in ((1, date(year, 6, 30), date(year, 7, 5)),
                                              (2, date(year, 12, 31), date(year + 1, 1, 10))):
            if cycle_end < company.start or window_start > company.end:
                continue
            for manager_id, reports in sorted(_direct_reports(company, cycle_end).items()):
                submit_share = performance(company, company.person(manager_id)).review_submitted()
                for person in reports:
                    rng = random.Random(f"{company.seed}:review:{person.employee_id}:{year}H{half}")
                    submitted = (window_start + timedelta(days=rng.randint(0, 20))
                                 if rng.random() < submit_share else None)
                    rows.append({
                        "review_id": f"R{year}H{half}-{person.employee_id}", "employee_id": person.employee_id,
                        "reviewer_id": manager_id, "cycle": f"{year}-H{half}",
                        "self_score": round(rng.uniform(2.5, 5.0), 1) if submitted else None,
                        "manager_score": round(rng.uniform(2.0, 5.0), 1) if submitted else None,
                        "submitted_on": _iso(submitted), "_available_on": _iso(cycle_end + timedelta(days=1)),
                    })
    return rows


def manual_entries(company: Company) -> list[dict]:
    """Points entered by hand: operations people earn them steadily (their KPI), everyone else now and then."""
    rows = []
    for person in company.people:
        cadence = Cadence(random.Random(f"{company.seed}:manual-pace:{person.employee_id}"))
        per_workday = MANUAL_PER_MONTH.get(person.role, MANUAL_PER_MONTH_OTHERS) / 21 * performance(
            company, person).volume()
        day = company.start
        while day <= company.end:
            if day.weekday() >= 5 or not person.active_on(day):  # no entry, and no random stream to seed
                day += timedelta(days=1)
                continue
            rng = random.Random(f"{company.seed}:manual:{person.employee_id}:{day}")
            if cadence.events(per_workday, rng) if person.role == "operations" else rng.random() < per_workday:
                rows.append({
                    "entry_id": f"ME-{person.employee_id}-{day:%Y%m%d}", "employee_id": person.employee_id,
                    "kpi_key": "manual_points", "entry_date": day.isoformat(), "value": rng.choice(MANUAL_VALUES),
                    "category": rng.choice(MANUAL_CATEGORIES), "note": "",
                    "entered_by": person.assignments[-1].manager_id or person.employee_id,
                })
            day += timedelta(days=1)
    return rows
