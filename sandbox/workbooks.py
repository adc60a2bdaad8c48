"""The files people drop in the inbox: HR export, goal workbook, 1:1s, reviews, manual KPIs.

Each function returns plain rows (lists of dicts) in the documented templates
(README "Inbox files"); ``generator.py`` writes them as CSV or XLSX.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from sandbox.company import Company, Person

# Personal KPI goals per role: (kpi_key, weight %, quarterly target).
ROLE_KPIS = {
    "sales": [("sales_closed_won_amount", 50, 50_000.0), ("sales_win_rate", 30, 0.35),
              ("sales_activities", 20, 80.0)],
    "engineering": [("delivery_story_points_done", 50, 45.0), ("delivery_on_time_rate", 30, 0.8),
                    ("delivery_cycle_time_days", 20, 6.0)],
    "support": [("support_tickets_solved", 40, 60.0), ("support_csat", 30, 0.9),
                ("support_first_reply_minutes", 30, 60.0)],
    "operations": [("manual_points", 100, 30.0)],
}
MANAGER_KPIS = [("mgmt_one_on_one_coverage", 60, 0.9), ("mgmt_review_completion", 40, 1.0)]
# Company objectives and their key results: (title, weight, [(kpi_key, weight, annual target, baseline)]).
COMPANY_OKRS = [
    ("Grow revenue", 35, [("sales_closed_won_amount", 70, 3_000_000.0, 1_800_000.0),
                          ("sales_win_rate", 30, 0.35, 0.25)]),
    ("Ship reliably", 30, [("delivery_on_time_rate", 60, 0.85, 0.7),
                           ("delivery_story_points_done", 40, 9_000.0, None)]),
    ("Delight customers", 25, [("support_csat", 50, 0.9, 0.8),
                               ("support_first_reply_minutes", 50, 45.0, 90.0)]),
    ("Grow our people", 10, [("mgmt_one_on_one_coverage", 50, 0.9, None),
                             ("mgmt_review_completion", 50, 1.0, None)]),
]
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


def goal_revision_dates(year: int) -> dict[int, date]:
    return {rev: date(year, m, d) for rev, (m, d) in REVISION_DATES.items()}


def goals(company: Company, year: int, revision: int) -> list[dict]:
    """The goal workbook of ``year`` as of workbook ``revision`` (2 = the mid-year revision)."""
    revised_on = goal_revision_dates(year)
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

    company_id = company.units[0].org_unit_id
    objective_ids = []
    for i, (title, weight, krs) in enumerate(COMPANY_OKRS, start=1):
        oid = f"G{year}-C-O{i}"
        objective_ids.append(oid)
        add(oid, "", "objective", title, "org_unit", company_id, "", str(year), None, weight)
        for j, (kpi, kr_weight, target, baseline) in enumerate(krs, start=1):
            revised = kpi == "sales_closed_won_amount"  # the mid-year revision raises the revenue KR
            add(f"{oid}-KR{j}", oid, "key_result", f"{title}: {kpi}", "org_unit", company_id, kpi, str(year),
                target * (1.1 if revised and revision >= 2 else 1), kr_weight, baseline, revised=revised)
    departments = [u for u in company.units if u.unit_type == "department"]
    for dept in departments:
        c_index = DEPARTMENT_OBJECTIVE.get(dept.department, 3)
        oid = f"G{year}-{dept.org_unit_id}-O1"
        add(oid, objective_ids[c_index], "objective", f"{dept.name} contributes to {COMPANY_OKRS[c_index][0]}",
            "org_unit", dept.org_unit_id, "", str(year), None, 100)
        krs = COMPANY_OKRS[c_index][2]
        n_people = sum(1 for p in company.people if p.unit_on(date(year, 1, 1)) and
                       _dept_of_unit(company, p.unit_on(date(year, 1, 1))) == dept.org_unit_id)
        share = max(0.05, n_people / max(1, len(company.people)))
        for j, (kpi, kr_weight, target, baseline) in enumerate(krs, start=1):
            is_sum = kpi in {"sales_closed_won_amount", "delivery_story_points_done"}
            add(f"{oid}-KR{j}", oid, "key_result", f"{dept.name}: {kpi}", "org_unit", dept.org_unit_id, kpi,
                str(year), round(target * share, 2) if is_sum else target, kr_weight,
                round(baseline * share, 2) if (baseline and is_sum) else baseline)
        for team in (u for u in company.units if u.parent_id == dept.org_unit_id):
            tid = f"G{year}-{team.org_unit_id}-O1"
            add(tid, oid, "objective", f"{team.name} objective", "org_unit", team.org_unit_id, "", str(year), None, 100)
            kpi, _, quarterly = ROLE_KPIS.get(_role_of(dept.department), ROLE_KPIS["operations"])[0]
            members = sum(1 for p in company.people if p.unit_on(date(year, 1, 1)) == team.org_unit_id)
            add(f"{tid}-KR1", tid, "key_result", f"{team.name}: {kpi}", "org_unit", team.org_unit_id, kpi,
                str(year), round(quarterly * 4 * max(1, members) * 0.9, 2), 100)
    for person in company.people:
        rows.extend(_person_goals(company, person, year, revision, revised_on))
    return rows


def _person_goals(company: Company, person: Person, year: int, revision: int,
                  revised_on: dict[int, date]) -> Iterator[dict]:
    year_start = date(year, 1, 1)
    unit = person.unit_on(year_start) or person.assignments[0].org_unit_id
    if person.level == 3 or (person.hire_date > date(year, 12, 31)):
        return
    kpis = MANAGER_KPIS if person.level >= 1 else ROLE_KPIS[person.role]
    for quarter in range(1, 5):
        q_start = date(year, 3 * quarter - 2, 1)
        if person.termination_date and person.termination_date < q_start:
            continue
        for kpi, weight, target in kpis:
            # The mid-year revision raises sales targets for the second half (rule 13).
            revised = quarter >= 3 and kpi == "sales_closed_won_amount"
            rev = 2 if (revised and revision >= 2) else 1
            rng = random.Random(f"{company.seed}:target:{person.employee_id}:{kpi}:{quarter}")
            base_target = round(target * rng.uniform(0.9, 1.1), 2) if target > 1.5 else target
            yield {
                "goal_id": f"G{year}-{person.employee_id}-Q{quarter}-{kpi}",
                "parent_goal_id": f"G{year}-{unit}-O1", "goal_type": "kpi",
                "title": f"{kpi} Q{quarter}", "owner_type": "employee", "owner_id": person.employee_id,
                "kpi_key": kpi, "period": f"{year}-Q{quarter}", "baseline": None,
                "target": round(base_target * 1.15, 2) if rev == 2 else base_target,
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
                for person in reports:
                    rng = random.Random(f"{company.seed}:1on1:{manager_id}:{person.employee_id}:{day}")
                    # Roughly every other week per report, on a day of that report's own rhythm.
                    if rng.random() < 0.085:
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
                for person in reports:
                    rng = random.Random(f"{company.seed}:review:{person.employee_id}:{year}H{half}")
                    submitted = window_start + timedelta(days=rng.randint(0, 20)) if rng.random() < 0.93 else None
                    rows.append({
                        "review_id": f"R{year}H{half}-{person.employee_id}", "employee_id": person.employee_id,
                        "reviewer_id": manager_id, "cycle": f"{year}-H{half}",
                        "self_score": round(rng.uniform(2.5, 5.0), 1) if submitted else None,
                        "manager_score": round(rng.uniform(2.0, 5.0), 1) if submitted else None,
                        "submitted_on": _iso(submitted), "_available_on": _iso(cycle_end + timedelta(days=1)),
                    })
    return rows


def manual_entries(company: Company) -> list[dict]:
    rows = []
    for person in company.people:
        per_month = 1.2 if person.role == "operations" else 0.25
        day = company.start
        while day <= company.end:
            rng = random.Random(f"{company.seed}:manual:{person.employee_id}:{day}")
            if day.weekday() < 5 and person.active_on(day) and rng.random() < per_month / 21:
                rows.append({
                    "entry_id": f"ME-{person.employee_id}-{day:%Y%m%d}", "employee_id": person.employee_id,
                    "kpi_key": "manual_points", "entry_date": day.isoformat(), "value": rng.choice([2, 3, 5, 8, 10]),
                    "category": rng.choice(MANUAL_CATEGORIES), "note": "",
                    "entered_by": person.assignments[-1].manager_id or person.employee_id,
                })
            day += timedelta(days=1)
    return rows
