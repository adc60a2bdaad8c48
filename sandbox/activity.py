"""What the simulated people do in each source system, as record versions.

Every record is generated with its whole lifecycle (created, updated, closed…)
from its own seeded random stream, so the record is the same whatever the
simulation's end date. A source server at clock ``t`` shows, per id, the latest
version whose timestamp is ``<= t``; moving the clock forward one day is the
"next day" of changes.
"""

from __future__ import annotations

import functools
import hashlib
import random
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson

from sandbox import performance as perf_model
from sandbox.company import EMAIL_DOMAIN, Company, Person
from sandbox.performance import TYPICAL, Cadence, issue_timing, performance

COMPANY_TZ = ZoneInfo("Asia/Shanghai")
DEAL_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "contractsent"]


@dataclass(frozen=True, slots=True)
class Version:
    """One version of one record: visible in its source from ``ts`` (UTC ms) on. ``payload`` is the record, or
    its JSON already serialised (a snapshot of a record that keeps changing is serialised once, not copied)."""

    object: str
    id: str
    ts: int
    payload: dict | bytes


def local_ts(day: date, minutes_after_midnight: int) -> int:
    """UTC epoch milliseconds of a local wall-clock time in the company's zone."""
    local = datetime(day.year, day.month, day.day, tzinfo=COMPANY_TZ) + timedelta(
        minutes=minutes_after_midnight
    )
    return int(local.timestamp() * 1000)


def iso_z(ts: int) -> str:
    """HubSpot / Zendesk style: ``2026-01-09T02:00:00.000Z`` (Zendesk drops millis)."""
    return f"{iso_z_seconds(ts)[:-1]}.{ts % 1000:03d}Z"


def iso_z_seconds(ts: int) -> str:
    seconds = ts // 1000
    day, second = divmod(seconds, 86_400)
    return f"{_utc_day(day)}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"


@functools.cache
def _utc_day(day: int) -> str:
    """``YYYY-MM-DD`` of a UTC day number (formatting the date once per day, not once per record)."""
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def jira_time(ts: int) -> str:
    """Jira style: ``2026-01-09T10:00:00.000+0800`` in the company's zone."""
    offset_ms, offset_text = _zone_offset(ts // 900_000)
    seconds = (ts + offset_ms) // 1000
    day, second = divmod(seconds, 86_400)
    return (f"{_utc_day(day)}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}."
            f"{ts % 1000:03d}{offset_text}")


@functools.cache
def _zone_offset(quarter_hour: int) -> tuple[int, str]:
    """The company zone's UTC offset (ms, and as ``+0800``) in a quarter hour (zones change offset on one)."""
    minutes = int(datetime.fromtimestamp(quarter_hour * 900, COMPANY_TZ).utcoffset().total_seconds()) // 60
    return minutes * 60_000, f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _rng(company: Company, *key: object) -> random.Random:
    return random.Random(f"{company.seed}:" + ":".join(str(k) for k in key))


def _work_minutes(rng: random.Random) -> int:
    """A local time of day; mostly office hours, some late evenings (cross the UTC date)."""
    if rng.random() < 0.08:
        return rng.randint(21 * 60, 23 * 60 + 59)
    return rng.randint(8 * 60 + 30, 19 * 60)


def _days(company: Company) -> Iterator[date]:
    day = company.start
    while day <= company.end:
        yield day
        day += timedelta(days=1)


def _is_workday(day: date) -> bool:
    return day.weekday() < 5


def source_email(company: Company, person: Person, system: str) -> str:
    """The e-mail a system knows a person by: mostly HR's, sometimes another case or an alias."""
    rng = _rng(company, "identity", system, person.employee_id)
    roll = rng.random()
    if roll < 0.10:
        return person.email.title()  # Anna.Wang@Northstar-Demo.Com: matches after lower()
    if roll < 0.12:
        return f"  {person.email.upper()} "  # stray whitespace: matches after trim + lower()
    if roll < 0.14:
        first, last = person.email.split("@")[0].split(".", 1)
        return f"{first[0]}{last}@{EMAIL_DOMAIN}"  # alias: needs the identity override table
    return person.email


def contractors(company: Company, system: str) -> list[dict]:
    """People who work in a source system but are not in the HR export."""
    n = max(2, company.tier.people // 100)
    return [
        {"key": f"{system}-ext-{i}", "name": f"Contractor {system.title()} {i}",
         "email": f"contractor{i}.{system}@partner-agency.example"}
        for i in range(1, n + 1)
    ]


def _hash_id(*parts: object, digits: int = 24) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:digits]


# --------------------------------------------------------------------------- HubSpot


def hubspot_versions(company: Company) -> Iterator[Version]:
    reps = [p for p in company.by_role("sales") if p.level <= 1]
    owners: list[tuple[str, Person | None, dict]] = []
    for i, person in enumerate(reps):
        owners.append((str(100 + i), person, {}))
    first_contractor = max(900, 100 + len(reps))  # after the staff's ids: a medium company has 1,499 reps
    for j, ext in enumerate(contractors(company, "hubspot")):
        owners.append((str(first_contractor + j), None, ext))
    for owner_id, person, ext in owners:
        yield from _hubspot_owner(company, owner_id, person, ext)
    colleagues = _Colleagues(owners)
    deal_seq = 0
    for owner_id, person, _ext in owners:
        perf = performance(company, person) if person is not None else TYPICAL
        pace = _rng(company, "hubspot-pace", owner_id)
        opened, closing, winning, calls = Cadence(pace), Cadence(pace), Cadence(pace), Cadence(pace)
        for day in _days(company):
            if not _is_workday(day) or (person is not None and not person.active_on(day)):
                continue
            rng = _rng(company, "hubspot-day", owner_id, day)
            lift = perf_model.SALES_H2_LIFT if day.month >= 7 else 1.0
            for _ in range(opened.events(perf_model.DEAL_RATE * perf.volume() * lift, rng)):
                deal_seq += 1
                outcome = None
                if closing.events(perf_model.CLOSE_SHARE, rng, jitter=0.2):
                    outcome = "closedwon" if winning.events(perf.win_share(), rng, jitter=0.2) else "closedlost"
                deal_id = f"{7_000_000 + int(owner_id) * 10_000 + deal_seq}"
                yield from _deal(company, deal_id, owner_id, colleagues, day, outcome)
            for n in range(calls.events(perf_model.CALLS_PER_DAY * perf.volume(), rng, jitter=0.9)):
                yield from _engagement(company, "calls", owner_id, day, n)
            if rng.random() < perf_model.MEETING_RATE * perf.volume():
                yield from _engagement(company, "meetings", owner_id, day, 0)


def _hubspot_owner(company: Company, owner_id: str, person: Person | None, ext: dict) -> Iterator[Version]:
    if person is not None:
        first, last = person.full_name.split(" ", 1)
        email = source_email(company, person, "hubspot")
        created = local_ts(max(person.hire_date, company.start - timedelta(days=400)), 9 * 60)
    else:
        first, last = ext["name"].rsplit(" ", 1)
        email, created = ext["email"], local_ts(company.start, 9 * 60)
    payload = {
        "id": owner_id, "email": email, "type": "PERSON", "firstName": first, "lastName": last,
        "userId": 9_000_000 + int(owner_id), "teams": [], "archived": False,
        "createdAt": iso_z(created), "updatedAt": iso_z(created),
    }
    yield Version("owners", owner_id, created, payload)
    if person is not None and person.termination_date is not None:
        gone = local_ts(person.termination_date, 18 * 60)
        yield Version("owners", owner_id, gone, {**payload, "archived": True, "updatedAt": iso_z(gone)})


CUSTOMERS = ("Acme Logistics", "Blue Harbor Foods", "Cedar Health", "Delta Print", "Evergreen Retail", "Fjord Energy",
             "Golden Gate Textiles", "Harbin Machinery", "Iris Optics", "Jade River Tea", "Kestrel Air", "Lotus Bank",
             "Maple Schools", "Nimbus Cloud", "Orchid Hotels", "Pioneer Steel")
DEAL_KINDS = ("annual licence", "renewal", "seat expansion", "pilot", "support plan", "onboarding package")


def _deal_name(company: Company, deal_id: str) -> str:
    """A deal named as sales people name them (its own random stream: no other simulated value changes)."""
    rng = random.Random(f"{company.seed}:deal-name:{deal_id}")
    return f"{rng.choice(CUSTOMERS)} – {rng.choice(DEAL_KINDS)}"


class _Colleagues:
    """The staff owners a deal can be reassigned to on a day: present that day, its owner excepted, in owner order.
    Who is present is listed once per day (a scan of the sales force per reassignment made simulate quadratic)."""

    def __init__(self, owners: list[tuple[str, Person | None, dict]]) -> None:
        self.staff = [(o, p) for o, p, _ in owners if p is not None]
        self.index = {o: i for i, (o, _) in enumerate(self.staff)}
        self.present: dict[date, list[int]] = {}

    def of(self, owner_id: str, day: date) -> _Except:
        present = self.present.get(day)
        if present is None:
            present = self.present[day] = [i for i, (_, p) in enumerate(self.staff) if p.active_on(day)]
        return _Except(self, present, self.index.get(owner_id))


class _Except(Sequence[str]):
    """A day's present owners without one of them, as a sequence (what ``Random.choice`` needs), not a copy."""

    def __init__(self, colleagues: _Colleagues, present: list[int], owner: int | None) -> None:
        self.colleagues, self.present = colleagues, present
        at = bisect_left(present, owner) if owner is not None else len(present)
        self.skip = at if at < len(present) and present[at] == owner else None

    def __len__(self) -> int:
        return len(self.present) - (self.skip is not None)

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        if self.skip is not None and i >= self.skip:
            i += 1
        return self.colleagues.staff[self.present[i]][0]


def _deal(company: Company, deal_id: str, owner_id: str, colleagues: _Colleagues, day: date,
          outcome: str | None) -> Iterator[Version]:
    """One deal's life; ``outcome`` (closedwon / closedlost / None: stays open) comes from the owner's cadence."""
    rng = _rng(company, "deal", deal_id)
    created = local_ts(day, _work_minutes(rng))
    amount = round(rng.lognormvariate(perf_model.AMOUNT_MU, perf_model.AMOUNT_SIGMA), 2)
    props = {
        "dealname": _deal_name(company, deal_id), "amount": f"{amount:.2f}", "pipeline": "default",
        "dealstage": "appointmentscheduled", "hubspot_owner_id": owner_id,
        "createdate": iso_z(created), "closedate": None, "hs_object_id": deal_id,
    }

    def version(ts: int, archived: bool = False) -> Version:
        body = {
            "id": deal_id, "properties": {**props, "hs_lastmodifieddate": iso_z(ts)},
            "createdAt": iso_z(created), "updatedAt": iso_z(ts), "archived": archived,
        }
        if archived:
            body["archivedAt"] = iso_z(ts)
        return Version("deals", deal_id, ts, body)

    yield version(created)
    ts = created
    for stage in DEAL_STAGES[1 : rng.randint(1, 4)]:
        ts += rng.randint(2, 12) * 86_400_000 + rng.randint(0, 3_600_000)
        props["dealstage"] = stage
        # reassigned to a colleague who works here that day (who is present is only asked when it happens)
        if rng.random() < 0.04:
            present = colleagues.of(owner_id, datetime.fromtimestamp(ts / 1000, COMPANY_TZ).date())
            if present:
                props["hubspot_owner_id"] = rng.choice(present)
        yield version(ts)
    if outcome is not None:
        ts += rng.randint(3, 25) * 86_400_000 + rng.randint(0, 3_600_000)
        props["dealstage"] = outcome
        props["closedate"] = iso_z(ts)
        yield version(ts)
    if rng.random() < 0.02:  # archived (deleted in the CRM UI) later on
        yield version(ts + rng.randint(1, 20) * 86_400_000, archived=True)


def _engagement(company: Company, kind: str, owner_id: str, day: date, n: int) -> Iterator[Version]:
    rng = _rng(company, kind, owner_id, day, n)
    ts = local_ts(day, _work_minutes(rng))
    record_id = str(int(_hash_id(kind, owner_id, day, n, digits=12), 16) % 10**11)
    if kind == "calls":
        props = {
            "hs_timestamp": iso_z(ts), "hs_call_title": "Call",
            "hs_call_direction": rng.choice(["OUTBOUND", "INBOUND"]),
            "hs_call_duration": str(rng.randint(30, 3600) * 1000),
        }
    else:
        outcome = rng.choices(["COMPLETED", "NO_SHOW", "CANCELED"], [0.85, 0.08, 0.07])[0]
        props = {"hs_timestamp": iso_z(ts), "hs_meeting_title": "Customer meeting", "hs_meeting_outcome": outcome}
    props |= {"hubspot_owner_id": owner_id, "hs_createdate": iso_z(ts), "hs_lastmodifieddate": iso_z(ts),
              "hs_object_id": record_id}
    yield Version(kind, record_id, ts, {
        "id": record_id, "properties": props, "createdAt": iso_z(ts), "updatedAt": iso_z(ts), "archived": False,
    })


# --------------------------------------------------------------------------- Jira

VERBS = ["Add", "Fix", "Refactor", "Improve"]
FEATURES = ["checkout", "login", "search", "reports", "billing", "sync"]
JIRA_STATUS = {
    "To Do": ("1", "new"), "In Progress": ("3", "indeterminate"),
    "In Review": ("10001", "indeterminate"), "Done": ("10002", "done"),
}


def jira_projects(company: Company) -> list[dict]:
    teams = [u for u in company.units if u.unit_type == "team" and u.department == "Engineering"]
    projects = []
    for i, team in enumerate(teams):
        words = team.name.replace("Engineering ", "").upper().split()
        key = (words[0][:3] + (words[1] if len(words) > 1 else ""))[:5]
        projects.append({"id": str(10_000 + i), "key": key, "name": team.name, "team": team.org_unit_id})
    return projects


def jira_versions(company: Company) -> Iterator[Version]:
    engineers = [p for p in company.by_role("engineering") if p.level <= 1]
    accounts = [(f"5b10ac8d{_hash_id('jira', p.employee_id, digits=16)}", p, None) for p in engineers]
    accounts += [(f"5b10ac8d{_hash_id('jira', e['key'], digits=16)}", None, e)
                 for e in contractors(company, "jira")]
    for account_id, person, ext in accounts:
        yield from _jira_user(company, account_id, person, ext)
    projects = jira_projects(company)
    for project in projects:
        yield from _jira_project_versions(company, project)
    user_of = {p.employee_id: (a, p) for a, p, _ in accounts if p is not None}
    ext_accounts = [(a, e) for a, _, e in accounts if e is not None]
    issue_seq = 0
    for project in projects:
        members = [p for p in engineers if any(a.org_unit_id == project["team"] for a in p.assignments)]
        cadence = {p.employee_id: Cadence(_rng(company, "jira-pace", project["key"], p.employee_id)) for p in members}
        for day in _days(company):
            if not _is_workday(day):
                continue
            for person in members:
                if not person.active_on(day) or person.unit_on(day) != project["team"]:
                    continue
                rng = _rng(company, "jira-day", person.employee_id, day)
                rate = perf_model.ISSUE_RATE * performance(company, person).volume()
                for _ in range(cadence[person.employee_id].events(rate, rng)):
                    issue_seq += 1
                    account = user_of[person.employee_id]
                    yield from _issue(company, project, issue_seq, account, members, user_of, day)
            if ext_accounts and _rng(company, "jira-ext", project["key"], day).random() < 0.05:
                issue_seq += 1
                yield from _issue(company, project, issue_seq, ext_accounts[issue_seq % len(ext_accounts)],
                                  members, user_of, day)


def _jira_user(company: Company, account_id: str, person: Person | None, ext: dict | None) -> Iterator[Version]:
    if person is not None:
        email, name = source_email(company, person, "jira"), person.full_name
        joined = local_ts(max(person.hire_date, company.start - timedelta(days=400)), 9 * 60)
    else:
        email, name, joined = ext["email"], ext["name"], local_ts(company.start, 9 * 60)
    payload = {"accountId": account_id, "accountType": "atlassian", "emailAddress": email,
               "displayName": name, "active": True, "timeZone": "Asia/Shanghai"}
    yield Version("users", account_id, joined, payload)
    if person is not None and person.termination_date is not None:
        yield Version("users", account_id, local_ts(person.termination_date, 18 * 60), {**payload, "active": False})


def _jira_project_versions(company: Company, project: dict) -> Iterator[Version]:
    month = date(company.start.year, company.start.month, 1)
    while month <= company.end:
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        release = nxt - timedelta(days=1)
        version_id = f"{project['id']}{month:%y%m}"
        payload = {"id": version_id, "name": f"{project['key']} {month:%Y.%m}", "projectId": int(project["id"]),
                   "startDate": month.isoformat(), "releaseDate": release.isoformat(),
                   "released": False, "archived": False, "overdue": False}
        yield Version("versions", version_id, local_ts(month - timedelta(days=7), 10 * 60), payload)
        late = _rng(company, "release", version_id).choice([0, 0, 0, 2, 5])
        yield Version("versions", version_id, local_ts(release + timedelta(days=late), 17 * 60),
                      {**payload, "released": True})
        month = nxt


def _issue(company: Company, project: dict, seq: int, account: tuple, members: list[Person],
           user_of: dict, day: date) -> Iterator[Version]:
    rng = _rng(company, "issue", project["key"], seq)
    account_id, person = account
    issue_id, key = str(100_000 + seq), f"{project['key']}-{seq}"
    created = local_ts(day, _work_minutes(rng))
    points = rng.choice(perf_model.ISSUE_POINTS)
    speed = performance(company, person).quality() if isinstance(person, Person) else 1.0
    timing = issue_timing(rng, speed)
    due = day + timedelta(days=timing.due_days)
    fix_month = date(due.year, due.month, 1)
    fix_version = {"id": f"{project['id']}{fix_month:%y%m}", "name": f"{project['key']} {fix_month:%Y.%m}"}

    def user_ref(acc: str, p: Person | dict) -> dict:
        email = source_email(company, p, "jira") if isinstance(p, Person) else p["email"]
        name = p.full_name if isinstance(p, Person) else p["name"]
        return {"accountId": acc, "emailAddress": email, "displayName": name, "active": True}

    fields = {
        "summary": f"{rng.choice(VERBS)} {rng.choice(FEATURES)}",
        "issuetype": {"name": rng.choices(["Story", "Bug", "Task"], [0.6, 0.25, 0.15])[0]},
        "project": {"id": project["id"], "key": project["key"], "name": project["name"]},
        "status": {"name": "To Do", "id": "1", "statusCategory": {"key": "new"}},
        "assignee": user_ref(account_id, person), "reporter": user_ref(account_id, person),
        "created": jira_time(created), "updated": jira_time(created), "duedate": due.isoformat(),
        "resolutiondate": None, "customfield_10016": float(points), "fixVersions": [fix_version],
        "priority": {"name": rng.choice(["Medium", "Medium", "High", "Low"])},
    }
    histories: list[dict] = []

    def snapshot(ts: int) -> Version:
        fields["updated"] = jira_time(ts)
        return Version("issues", issue_id, ts, orjson.dumps({
            "id": issue_id, "key": key, "fields": fields,
            "changelog": {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                          "histories": histories},
        }))

    def transition(ts: int, field: str, old: str, new: str, old_id: str = "", new_id: str = "") -> Version:
        histories.append({
            "id": str(int(issue_id) * 100 + len(histories)), "author": {"accountId": account_id},
            "created": jira_time(ts),
            "items": [{"field": field, "fieldtype": "jira", "from": old_id, "fromString": old,
                       "to": new_id, "toString": new}],
        })
        return snapshot(ts)

    def set_status(ts: int, new: str) -> Version:
        old = fields["status"]["name"]
        sid, cat = JIRA_STATUS[new]
        fields["status"] = {"name": new, "id": sid, "statusCategory": {"key": cat}}
        fields["resolutiondate"] = jira_time(ts) if new == "Done" else None
        return transition(ts, "status", old, new, JIRA_STATUS[old][0], sid)

    yield snapshot(created)
    ts = created + timing.hours_to_start * 3_600_000
    yield set_status(ts, "In Progress")
    if rng.random() < 0.05 and isinstance(person, Person):
        on_day = datetime.fromtimestamp(ts / 1000, COMPANY_TZ).date()
        others = [m for m in members if m.employee_id in user_of and m is not person and m.active_on(on_day)
                  and m.unit_on(on_day) == project["team"]]
        if others:
            new_person = rng.choice(others)
            new_acc = user_of[new_person.employee_id][0]
            old_name = fields["assignee"]["displayName"]
            fields["assignee"] = user_ref(new_acc, new_person)
            ts += rng.randint(1, 24) * 3_600_000
            yield transition(ts, "assignee", old_name, new_person.full_name, account_id, new_acc)
    if rng.random() >= perf_model.ISSUE_DONE_SHARE:
        return  # still in progress (or abandoned)
    ts += int(timing.cycle_days * 86_400_000)
    yield set_status(ts, "In Review")
    ts += timing.review_hours * 3_600_000
    yield set_status(ts, "Done")
    if rng.random() < perf_model.REOPEN_SHARE:  # reopened: rework
        ts += rng.randint(1, 6) * 86_400_000
        yield set_status(ts, "In Progress")
        ts += rng.randint(1, 4) * 86_400_000
        yield set_status(ts, "Done")


# --------------------------------------------------------------------------- Zendesk


def zendesk_versions(company: Company) -> Iterator[Version]:
    agents = [p for p in company.by_role("support") if p.level <= 1]
    agent_ids = [(str(360_000_000 + i), p, None) for i, p in enumerate(agents)]
    agent_ids += [(str(369_000_000 + j), None, e) for j, e in enumerate(contractors(company, "zendesk"))]
    for zid, person, ext in agent_ids:
        yield from _zendesk_agent(company, zid, person, ext)
    n_customers = max(50, company.tier.people * 3)
    for c in range(n_customers):
        cid = str(380_000_000 + c)
        ts = local_ts(company.start - timedelta(days=30), 10 * 60)
        yield Version("users", cid, ts, {
            "id": int(cid), "name": f"Customer {c}", "email": f"customer{c}@example.org", "role": "end-user",
            "active": True, "created_at": iso_z_seconds(ts), "updated_at": iso_z_seconds(ts),
        })
    seq = 0
    cadence = {zid: Cadence(_rng(company, "zendesk-pace", zid)) for zid, _, _ in agent_ids}
    for day in _days(company):
        for zid, person, _ext in agent_ids:
            if person is not None and not person.active_on(day):
                continue
            rng = _rng(company, "zendesk-day", zid, day)
            perf = performance(company, person) if person is not None else TYPICAL
            if person is None:
                per_day = int(rng.random() < 0.2)
            elif _is_workday(day):
                per_day = cadence[zid].events(perf_model.TICKETS_PER_WORKDAY * perf.volume(), rng)
            else:
                per_day = int(rng.random() < perf_model.TICKETS_PER_WEEKEND_DAY * perf.volume())
            for _ in range(per_day):
                seq += 1
                yield from _ticket(company, 500_000 + seq, zid, n_customers, day, perf)


def _zendesk_agent(company: Company, zid: str, person: Person | None, ext: dict | None) -> Iterator[Version]:
    if person is not None:
        email, name = source_email(company, person, "zendesk"), person.full_name
        ts = local_ts(max(person.hire_date, company.start - timedelta(days=400)), 9 * 60)
    else:
        email, name, ts = ext["email"], ext["name"], local_ts(company.start, 9 * 60)
    payload = {"id": int(zid), "name": name, "email": email, "role": "agent", "active": True,
               "created_at": iso_z_seconds(ts), "updated_at": iso_z_seconds(ts)}
    yield Version("users", zid, ts, payload)
    if person is not None and person.termination_date is not None:
        gone = local_ts(person.termination_date, 18 * 60)
        yield Version("users", zid, gone, {**payload, "active": False, "updated_at": iso_z_seconds(gone)})


TICKET_SUBJECTS = ("Cannot sign in", "Invoice shows the wrong amount", "Export to Excel fails", "Password reset link "
                   "expired", "Add a user to our plan", "Report is empty since the update", "Change billing address",
                   "Sync with calendar stopped", "Refund for a double charge", "API returns 500 on upload")


def _ticket_subject(company: Company, ticket_id: int) -> str:
    """A subject as customers write them (its own random stream: adding it changes no other simulated value)."""
    return random.Random(f"{company.seed}:subject:{ticket_id}").choice(TICKET_SUBJECTS)


def _ticket(company: Company, ticket_id: int, agent_id: str, n_customers: int, day: date,
            perf: perf_model.Performance) -> Iterator[Version]:
    rng = _rng(company, "ticket", ticket_id)
    created = local_ts(day, rng.randint(0, 24 * 60 - 1))
    ticket = {
        "id": ticket_id, "url": f"/api/v2/tickets/{ticket_id}.json", "subject": _ticket_subject(company, ticket_id),
        "status": "new", "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
        "requester_id": 380_000_000 + rng.randrange(n_customers), "assignee_id": None, "group_id": 20_000_001,
        "created_at": iso_z_seconds(created), "updated_at": iso_z_seconds(created), "tags": [],
    }
    first_reply = max(1, int(rng.lognormvariate(perf.reply_mu(), perf_model.REPLY_SIGMA)))
    metric = {"id": 700_000 + ticket_id, "ticket_id": ticket_id, "created_at": iso_z_seconds(created),
              "reply_time_in_minutes": {"calendar": None, "business": None},
              "full_resolution_time_in_minutes": {"calendar": None, "business": None},
              "reopens": 0, "replies": 0, "solved_at": None, "assigned_at": None}

    def snap(ts: int) -> Iterator[Version]:
        ts -= ts % 1000  # Zendesk times have whole seconds
        ticket["updated_at"] = iso_z_seconds(ts)
        metric["updated_at"] = iso_z_seconds(ts)
        yield Version("tickets", str(ticket_id), ts, orjson.dumps(ticket))
        yield Version("ticket_metrics", str(metric["id"]), ts, orjson.dumps(metric))

    yield from snap(created)
    ts = created + first_reply * 60_000
    ticket |= {"status": "open", "assignee_id": int(agent_id)}
    metric |= {"reply_time_in_minutes": {"calendar": first_reply, "business": first_reply}, "replies": 1,
               "assigned_at": iso_z_seconds(ts)}
    yield from snap(ts)
    if rng.random() < 0.005:
        ticket["status"] = "deleted"
        yield from snap(ts + 3_600_000)
        return
    if rng.random() < 0.06:
        return  # still open
    ts += int(rng.lognormvariate(1.5, 1.0) * 3_600_000)
    solved = ts
    ticket["status"] = "solved"
    metric |= {"solved_at": iso_z_seconds(ts), "replies": rng.randint(1, 6),
               "full_resolution_time_in_minutes": {"calendar": (ts - created) // 60_000,
                                                   "business": (ts - created) // 60_000}}
    yield from snap(ts)
    if rng.random() < 0.05:  # reopened, then solved again
        ts += rng.randint(1, 48) * 3_600_000
        ticket["status"] = "open"
        metric["reopens"] = 1
        yield from snap(ts)
        ts += rng.randint(1, 24) * 3_600_000
        ticket["status"] = "solved"
        metric |= {"solved_at": iso_z_seconds(ts),
                   "full_resolution_time_in_minutes": {"calendar": (ts - created) // 60_000,
                                                       "business": (ts - created) // 60_000}}
        yield from snap(ts)
        solved = ts
    if rng.random() < 0.35:
        rated = solved + rng.randint(1, 72) * 3_600_000
        score = "good" if rng.random() < perf.csat_good() else "bad"
        yield Version("satisfaction_ratings", str(800_000 + ticket_id), rated, {
            "id": 800_000 + ticket_id, "url": f"/api/v2/satisfaction_ratings/{800_000 + ticket_id}.json",
            "assignee_id": int(agent_id), "group_id": 20_000_001, "requester_id": ticket["requester_id"],
            "ticket_id": ticket_id, "score": score, "comment": "", "created_at": iso_z_seconds(rated),
            "updated_at": iso_z_seconds(rated),
        })
    ticket["status"] = "closed"
    yield from snap(max(ts, solved) + 4 * 86_400_000)
