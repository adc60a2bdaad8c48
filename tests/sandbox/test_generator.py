"""The simulated company is deterministic and believable."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from itertools import islice

import polars as pl

from sandbox import activity, workbooks
from sandbox.company import EMAIL_DOMAIN, TIERS, Tier, build_company
from sandbox.generator import load_state

TINY = Tier("tiny", 60, 1)
END = date(2026, 11, 30)


def test_same_seed_same_company_and_records_other_seed_differs():
    a, b, c = (build_company(TINY, s, END) for s in (7, 7, 8))
    assert [(p.employee_id, p.email, p.hire_date) for p in a.people] == \
           [(p.employee_id, p.email, p.hire_date) for p in b.people]
    first = [(v.id, v.ts) for v in islice(activity.hubspot_versions(a), 300)]
    assert first == [(v.id, v.ts) for v in islice(activity.hubspot_versions(b), 300)]
    assert [p.email for p in a.people] != [p.email for p in c.people]


def test_a_later_end_date_keeps_earlier_records_identical():
    """Records are generated from their own seeds, so extending the simulation never rewrites history."""
    short = build_company(TINY, 3, END, future_days=0)
    long = build_company(TINY, 3, END, future_days=30)
    cutoff = activity.local_ts(END, 0)
    old = {(v.id, v.ts) for v in activity.zendesk_versions(short) if v.ts < cutoff}
    new = {(v.id, v.ts) for v in activity.zendesk_versions(long) if v.ts < cutoff}
    assert old == new and old


def test_org_tree_people_and_changes_are_believable():
    company = build_company(TIERS["small"], 42, END)
    kinds = Counter(u.unit_type for u in company.units)
    assert kinds["company"] == 1 and kinds["department"] == 4 and kinds["team"] >= 15
    units = {u.org_unit_id: u for u in company.units}
    for u in company.units:
        parent = units.get(u.parent_id or "")
        assert (u.unit_type, parent.unit_type if parent else None) in {
            ("company", None), ("department", "company"), ("team", "department")}
        assert u.manager_employee_id
    assert 190 <= len(company.people) <= 215
    window = (company.start, END)
    assert sum(1 for p in company.people if p.termination_date) >= 5  # leavers
    assert sum(1 for p in company.people if window[0] <= p.hire_date <= window[1]) >= 5  # hires
    assert sum(1 for p in company.people if len(p.assignments) > 1) >= 5  # team moves
    assert len({p.email for p in company.people}) == len(company.people)


def test_some_people_have_another_email_in_a_source_and_contractors_have_none_in_hr():
    company = build_company(TIERS["small"], 42, END)
    reps = company.by_role("sales")
    emails = [activity.source_email(company, p, "hubspot") for p in reps]
    hr = {p.email for p in company.people}
    assert any(e != e.strip().lower() and e.strip().lower() in hr for e in emails)  # case / whitespace
    assert any(e.strip().lower() not in hr and e.endswith(EMAIL_DOMAIN) for e in emails)  # alias
    assert all(c["email"] not in hr for c in activity.contractors(company, "hubspot"))


def test_goal_workbook_weights_sum_to_100_and_the_revision_raises_targets():
    company = build_company(TIERS["small"], 42, END)
    r1, r2 = workbooks.goals(company, 2026, 1), workbooks.goals(company, 2026, 2)
    weights = defaultdict(float)
    for g in r2:
        group = g["parent_goal_id"] if g["goal_type"] == "key_result" else (g["owner_id"], g["period"], g["goal_type"])
        weights[str(group)] += g["weight"]
    assert set(weights.values()) == {100.0}
    ids = {g["goal_id"] for g in r2}
    assert all(g["parent_goal_id"] in ids for g in r2 if g["parent_goal_id"])
    before = {g["goal_id"]: g for g in r1}
    changed = [g for g in r2 if g["target"] != before[g["goal_id"]]["target"]]
    assert changed and all(g["revision"] == 2 and g["revised_on"] == "2026-07-01" for g in changed)
    assert all(g["target"] > before[g["goal_id"]]["target"] for g in changed)
    assert not any(g["period"] in ("2026-Q1", "2026-Q2") for g in changed)  # the past is not revised


def test_simulate_writes_every_source_and_inbox_file(small_company):
    state = load_state(small_company / "sandbox")
    assert (state.tier, state.clock) == ("small", "2026-11-30")
    for system, objects in {"hubspot": ["owners", "deals", "calls", "meetings"],
                            "jira": ["users", "issues", "versions"],
                            "zendesk": ["users", "tickets", "ticket_metrics", "satisfaction_ratings"]}.items():
        for obj in objects:
            assert pl.read_parquet(small_company / "sandbox" / system / f"{obj}.parquet").height > 0
    names = sorted(p.name for p in (small_company / "inbox").iterdir())
    assert names == ["goals_2026_r1.xlsx", "goals_2026_r2.xlsx", "hr_2026-11-30.xlsx", "manual_2026-11-30.xlsx",
                     "one_on_ones_2026-11-30.csv", "reviews_2026-11-30.csv"]


def test_jira_times_are_the_zones_wall_clock_including_its_past_summer_times():
    from datetime import datetime

    def by_datetime(ts: int) -> str:
        local = datetime.fromtimestamp(ts / 1000, activity.COMPANY_TZ)
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts % 1000:03d}" + local.strftime("%z")

    # 1986-1991 had summer time in Shanghai (+0900): the fast path must follow the zone's rules, not a constant
    instants = [517_000_000_000 + i * 7_777_777 for i in range(20_000)] + [1_790_000_000_123 + i * 999_999_937
                                                                            for i in range(500)]
    assert {activity.jira_time(ts)[-5:] for ts in instants} >= {"+0800", "+0900"}
    assert [activity.jira_time(ts) for ts in instants] == [by_datetime(ts) for ts in instants]


def test_hubspot_owner_ids_are_unique_when_the_sales_force_passes_800():
    company = build_company(TIERS["medium"], 42, date(2026, 11, 30))
    owners: dict[str, set[str]] = defaultdict(set)
    for v in activity.hubspot_versions(company):
        if v.object != "owners":
            break
        owners[v.id].add(v.payload["email"])
    assert len(owners) > 1_500  # 1,499 reps and 50 contractors
    assert all(len(emails) == 1 for emails in owners.values())  # one person per id


def test_a_deal_is_reassigned_among_the_colleagues_present_that_day():
    company = build_company(TIERS["small"], 42, date(2026, 11, 30))
    reps = [p for p in company.by_role("sales") if p.level <= 1]
    owners = [(str(100 + i), p, {}) for i, p in enumerate(reps)] + [("900", None, {})]
    colleagues = activity._Colleagues(owners)
    for day in (date(2025, 1, 6), date(2025, 12, 1), date(2026, 11, 27)):
        for owner_id in ("100", "120", "158", "900"):
            expected = [o for o, p, _ in owners if p is not None and o != owner_id and p.active_on(day)]
            chosen = colleagues.of(owner_id, day)
            assert len(chosen) == len(expected) and list(chosen) == expected


def test_a_stores_sort_orders_by_ts_id_and_write_order_in_a_folder_whose_path_has_a_quote(tmp_path):
    """The part files of an object are sorted into its store by (ts, id, version written), out of core; the data
    folder's path is text to the SQL, even with a quote in it."""
    from sandbox.generator import sort_parts

    parts = tmp_path / "O'Brien's data" / "parts"
    parts.mkdir(parents=True)
    rows = [("b", 20, "b1", 0), ("a", 20, "a1", 1), ("a", 10, "a0", 2), ("a", 20, "a2", 3), ("c", 5, "c0", 4)]
    for n, chunk in enumerate((rows[:2], rows[2:])):
        pl.DataFrame(chunk, schema={"id": pl.Utf8, "ts": pl.Int64, "payload": pl.Utf8, "seq": pl.Int64},
                     orient="row").write_parquet(parts / f"deals.{n}.parquet")
    store = parts.parent / "deals.parquet"
    sort_parts(parts, "deals", store)
    assert pl.read_parquet(store)["payload"].to_list() == ["c0", "a0", "a1", "a2", "b1"]
