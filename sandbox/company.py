"""The simulated company's people and org tree.

Everything is a pure function of (tier, seed): the same call always builds the
same company, so a regenerated sandbox lines up with an earlier one and the
"next day" only adds what changed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

FIRST_NAMES = [
    "Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Hui", "Tao", "Xin", "Li", "Chen", "Yu",
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Henry", "Iris", "Jack",
    "Kate", "Leo", "Maya", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tina",
]
LAST_NAMES = [
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
    "Sun", "Ma", "Zhu", "Hu", "Guo", "Smith", "Brown", "Miller", "Garcia", "Mueller",
    "Novak", "Rossi", "Silva", "Kim", "Tanaka", "Nguyen", "Khan", "Larsen", "Dubois",
]
EMAIL_DOMAIN = "northstar-demo.com"

# Department mix of the simulated company: (department, share of people, team names).
DEPARTMENTS = [
    ("Sales", 0.30, ["Enterprise", "Mid-Market", "SMB", "Partners", "Renewals", "APAC"]),
    ("Engineering", 0.40, ["Payments", "Platform", "Web", "Mobile", "Data", "Infra", "Search"]),
    ("Support", 0.22, ["Tier 1", "Tier 2", "Onboarding", "Escalations"]),
    ("Operations", 0.08, ["People", "Finance"]),
]
ROLE_OF_DEPARTMENT = {
    "Sales": "sales",
    "Engineering": "engineering",
    "Support": "support",
    "Operations": "operations",
}
TITLES = {
    "sales": ("Account Executive", "Sales Team Lead", "VP Sales"),
    "engineering": ("Software Engineer", "Engineering Manager", "VP Engineering"),
    "support": ("Support Agent", "Support Team Lead", "VP Support"),
    "operations": ("Operations Specialist", "Operations Lead", "COO"),
}


@dataclass(frozen=True)
class Tier:
    name: str
    people: int
    years: int


TIERS = {
    "small": Tier("small", 200, 1),
    "medium": Tier("medium", 5_000, 2),
    "large": Tier("large", 50_000, 3),
}


@dataclass
class OrgUnit:
    org_unit_id: str
    name: str
    unit_type: str  # company / department / team
    parent_id: str | None
    department: str
    manager_employee_id: str | None = None


@dataclass
class Assignment:
    effective_from: date
    org_unit_id: str
    manager_id: str | None


@dataclass
class Person:
    employee_id: str
    full_name: str
    email: str
    role: str  # sales / engineering / support / operations
    level: int  # 0 member, 1 team lead, 2 department head, 3 CEO
    hire_date: date
    termination_date: date | None
    assignments: list[Assignment] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.level == 3:
            return "Chief Executive Officer"
        return TITLES[self.role][self.level]

    def active_on(self, day: date) -> bool:
        return self.hire_date <= day and (self.termination_date is None or day < self.termination_date)

    def unit_on(self, day: date) -> str | None:
        current = None
        for a in self.assignments:
            if a.effective_from <= day:
                current = a.org_unit_id
        return current


@dataclass
class Company:
    tier: Tier
    seed: int
    start: date  # first day of simulated history
    end: date  # last day the simulation may reach (history end plus the "next days")
    units: list[OrgUnit]
    people: list[Person]
    history_end: date | None = None  # the simulated "today" it was built for (end = history_end + future days)

    def by_role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]

    def person(self, employee_id: str) -> Person:
        return self._index()[employee_id]

    def _index(self) -> dict[str, Person]:
        if not hasattr(self, "_people_index"):
            self._people_index = {p.employee_id: p for p in self.people}
        return self._people_index


def _name(rng: random.Random, used: set[str]) -> tuple[str, str]:
    while True:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first.lower()}.{last.lower()}"
        local, n = base, 1
        while local in used:
            n += 1
            local = f"{base}{n}"
        used.add(local)
        return f"{first} {last}", f"{local}@{EMAIL_DOMAIN}"


def build_company(tier: Tier, seed: int, history_end: date, future_days: int = 60) -> Company:
    """Org tree and people with hires, leavers and team moves over the history window."""
    rng = random.Random(f"{seed}:company:{tier.name}")
    start = history_end - timedelta(days=365 * tier.years) + timedelta(days=1)
    end = history_end + timedelta(days=future_days)
    units = [OrgUnit("OU-0001", "Northstar Demo Co.", "company", None, "")]
    people: list[Person] = []
    used: set[str] = set()
    next_unit, next_person = 2, 1

    def new_person(role: str, level: int, unit_id: str, manager_id: str | None) -> Person:
        nonlocal next_person
        full_name, email = _name(rng, used)
        long_ago = start - timedelta(days=rng.randint(30, 2500))
        # One in ten members joins during the window; leaders are there from the start.
        hire = long_ago
        if level == 0 and rng.random() < 0.10:
            hire = start + timedelta(days=rng.randint(0, (history_end - start).days))
        person = Person(
            employee_id=f"E{next_person:05d}",
            full_name=full_name,
            email=email,
            role=role,
            level=level,
            hire_date=hire,
            termination_date=None,
        )
        person.assignments.append(Assignment(max(hire, start - timedelta(days=400)), unit_id, manager_id))
        next_person += 1
        people.append(person)
        return person

    ceo = new_person("operations", 3, "OU-0001", None)
    units[0].manager_employee_id = ceo.employee_id
    for dept_name, share, team_names in DEPARTMENTS:
        role = ROLE_OF_DEPARTMENT[dept_name]
        dept = OrgUnit(f"OU-{next_unit:04d}", dept_name, "department", "OU-0001", dept_name)
        next_unit += 1
        units.append(dept)
        head = new_person(role, 2, dept.org_unit_id, ceo.employee_id)
        dept.manager_employee_id = head.employee_id
        dept_people = max(6, round(tier.people * share))
        n_teams = max(1, round(dept_people / 10))
        base_size, extra = divmod(dept_people - 1, n_teams)
        for t in range(n_teams):
            suffix = f" {t // len(team_names) + 1}" if n_teams > len(team_names) else ""
            team = OrgUnit(
                f"OU-{next_unit:04d}",
                f"{dept_name} {team_names[t % len(team_names)]}{suffix}",
                "team",
                dept.org_unit_id,
                dept_name,
            )
            next_unit += 1
            units.append(team)
            lead = new_person(role, 1, team.org_unit_id, head.employee_id)
            team.manager_employee_id = lead.employee_id
            for _ in range(base_size + (1 if t < extra else 0) - 1):
                new_person(role, 0, team.org_unit_id, lead.employee_id)

    _add_leavers_and_moves(rng, units, people, start, history_end)
    return Company(tier, seed, start, end, units, people, history_end)


def _add_leavers_and_moves(
    rng: random.Random, units: list[OrgUnit], people: list[Person], start: date, history_end: date
) -> None:
    teams_by_dept: dict[str, list[OrgUnit]] = {}
    for u in units:
        if u.unit_type == "team":
            teams_by_dept.setdefault(u.department, []).append(u)
    manager_of = {u.org_unit_id: u.manager_employee_id for u in units}
    window = (history_end - start).days
    for p in people:
        if p.level != 0:
            continue
        roll = rng.random()
        if roll < 0.07:  # leaver
            earliest = max(p.hire_date, start) + timedelta(days=30)
            if earliest < history_end:
                p.termination_date = earliest + timedelta(days=rng.randint(0, (history_end - earliest).days))
        elif roll < 0.13:  # moves to a sibling team mid-window
            dept_teams = [t for t in teams_by_dept[_dept_of(p, units)] if t.org_unit_id != p.assignments[0].org_unit_id]
            if dept_teams:
                target = rng.choice(dept_teams)
                move_day = start + timedelta(days=rng.randint(window // 4, 3 * window // 4))
                if move_day > p.hire_date:
                    p.assignments.append(Assignment(move_day, target.org_unit_id, manager_of[target.org_unit_id]))


def _dept_of(p: Person, units: list[OrgUnit]) -> str:
    unit = next(u for u in units if u.org_unit_id == p.assignments[0].org_unit_id)
    return unit.department
