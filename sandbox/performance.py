"""How each simulated person performs: their usual level, and how this year goes against it.

A real company sets a person's quarterly targets from their own trailing record plus a
stretch, and then the year goes well for most people, less well for some and badly for
a few. The sandbox models exactly that. ``usual`` levels are what a person's records
before the simulated window show (their trailing performance); ``form`` is how this
year compares with it. ``activity.py`` generates what people do at ``usual × form``;
``workbooks.py`` sets targets at ``usual × (1 + stretch)``; the statuses the warehouse
computes then come out as in a real company, without being written down anywhere.

Work arrives on a steady cadence with day-to-day jitter (``Cadence``) rather than as
independent daily coin flips, as real pipelines do: a rep who opens about one deal a
week opens 12-14 a quarter, not anywhere between 5 and 25.
"""

from __future__ import annotations

import functools
import math
import random
import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.company import Company, Person

# Typical rates (at a usual pace of 1) the generators and the targets share.
DEAL_RATE = 0.35  # deals a rep opens per workday
CLOSE_SHARE = 0.65  # of opened deals, closed (won or lost) at all
WIN_SHARE = 0.42  # of closed deals, won
AMOUNT_MU, AMOUNT_SIGMA = 9.0, 0.35  # deal amount, lognormal (about 8,600 on average)
SALES_H2_LIFT = 1.15  # a product launch lifts deal flow from July: why the mid-year revision raises sales targets
CALLS_PER_DAY = 1.0
MEETING_RATE, MEETING_COMPLETED = 0.3, 0.85
ISSUE_RATE = 0.3  # issues an engineer starts per workday
ISSUE_POINTS = [2, 3, 3, 5]
ISSUE_DONE_SHARE = 0.9  # the rest stay in progress (or are abandoned)
CYCLE_MU, CYCLE_SIGMA = 1.3, 0.6  # days from In Progress to In Review, lognormal
REOPEN_SHARE = 0.08  # of done issues, reopened for rework (1-6 days later, 1-4 more days to Done)
TICKETS_PER_WORKDAY, TICKETS_PER_WEEKEND_DAY = 1.15, 0.15
TICKET_SOLVED_SHARE = 0.94
CSAT_GOOD = 0.86
REPLY_MU, REPLY_SIGMA = 3.6, 0.9  # minutes to first reply, lognormal (median about 37)
ONE_ON_ONE_RATE = 0.085  # chance a manager meets a given report on a workday
REVIEW_SUBMITTED = 0.93
MANUAL_PER_MONTH = {"operations": 4.0}  # everyone else: MANUAL_PER_MONTH_OTHERS
MANUAL_PER_MONTH_OTHERS = 0.25
MANUAL_VALUES = [2, 3, 5, 8, 10]


@dataclass(frozen=True)
class Performance:
    pace: float  # usual volume against the role's typical (deals, calls, issues, tickets, 1:1s, entries)
    skill: float  # usual quality against typical (win share, CSAT, reply and cycle speed)
    form: float  # this year against the usual: most a little better, some a little worse, a few far worse

    def volume(self, now: bool = True) -> float:
        return self.pace * (self.form if now else 1.0)

    def quality(self, now: bool = True) -> float:
        return self.skill * (self.form if now else 1.0)

    def win_share(self, now: bool = True) -> float:
        return min(0.8, WIN_SHARE * self.quality(now))

    def csat_good(self, now: bool = True) -> float:
        return min(0.98, CSAT_GOOD * self.quality(now))

    def reply_mu(self, now: bool = True) -> float:
        return REPLY_MU - math.log(self.quality(now))

    def one_on_one_rate(self, now: bool = True) -> float:
        return min(0.25, ONE_ON_ONE_RATE * self.volume(now))

    def review_submitted(self, now: bool = True) -> float:
        return min(0.99, REVIEW_SUBMITTED * self.quality(now))


TYPICAL = Performance(1.0, 1.0, 1.0)  # contractors and anyone the sandbox does not model


def performance(company: Company, person: Person) -> Performance:
    """A person's usual level and this year's form, from their own seeded stream."""
    return _performance(company.seed, person.employee_id)


@functools.cache
def _performance(seed: int, employee_id: str) -> Performance:
    rng = random.Random(f"{seed}:performance:{employee_id}")
    pace = min(1.35, max(0.7, rng.lognormvariate(0, 0.15)))
    skill = min(1.12, max(0.88, rng.lognormvariate(0, 0.05)))
    roll = rng.random()
    if roll < 0.75:
        form = rng.uniform(1.06, 1.2)  # a good year
    elif roll < 0.95:
        form = rng.uniform(0.9, 0.98)  # a dip
    else:
        form = rng.uniform(0.6, 0.75)  # a bad year
    return Performance(round(pace, 3), round(skill, 3), round(form, 3))


class Cadence:
    """Events at a steady rate with day-to-day jitter: ``events(rate)`` per day adds up to about ``rate`` a day."""

    def __init__(self, rng: random.Random) -> None:
        self.credit = rng.random()

    def events(self, rate: float, rng: random.Random, jitter: float = 0.4) -> int:
        self.credit += rate * rng.uniform(1 - jitter, 1 + jitter)
        count = int(self.credit)
        self.credit -= count
        return count


@dataclass(frozen=True)
class IssueTiming:
    hours_to_start: int
    due_days: int
    cycle_days: float  # In Progress to In Review
    review_hours: int


def issue_timing(rng: random.Random, speed: float) -> IssueTiming:
    """How long an issue takes; ``speed`` is the engineer's quality (faster than typical above 1)."""
    return IssueTiming(hours_to_start=rng.randint(1, 48), due_days=rng.randint(3, 15),
                       cycle_days=rng.lognormvariate(CYCLE_MU, CYCLE_SIGMA) / speed, review_hours=rng.randint(2, 30))


# --------------------------------------------------------------------------- a person's usual quarter


@functools.cache  # pure: the same quarters are asked for every person
def _days(start: date, end: date) -> tuple[int, int]:
    """(workdays, weekend days) in [start, end]."""
    workdays = weekend = 0
    day = start
    while day <= end:
        if day.weekday() < 5:
            workdays += 1
        else:
            weekend += 1
        day += timedelta(days=1)
    return workdays, weekend


@functools.cache  # pure and seeded by the speed: every engineer of a speed shares one sampling
def _issue_expectations(speed: float, samples: int = 600) -> tuple[float, float]:
    """(on-time share of issues due, median In Progress → Done days) at a speed, by sampling ``issue_timing``."""
    rng = random.Random(f"issue-expectations:{speed:.3f}")
    on_time, cycles = 0, []
    for _ in range(samples):
        timing = issue_timing(rng, speed)
        if rng.random() >= ISSUE_DONE_SHARE:
            continue  # never done: late once due
        rework = rng.randint(1, 6) + rng.randint(1, 4) if rng.random() < REOPEN_SHARE else 0
        to_done = timing.hours_to_start / 24 + timing.cycle_days + timing.review_hours / 24 + rework
        on_time += to_done <= timing.due_days + 0.5
        cycles.append(timing.cycle_days + timing.review_hours / 24 + rework)
    return on_time / samples, statistics.median(cycles)


def usual_result(perf: Performance, role_kpi: str, start: date, end: date) -> float:
    """What a person's trailing record says they achieve on a KPI over [start, end] (their target's basis)."""
    workdays, weekend = _days(start, end)
    volume = perf.volume(now=False)
    if role_kpi == "sales_closed_won_amount":
        mean_amount = math.exp(AMOUNT_MU + AMOUNT_SIGMA**2 / 2)
        return workdays * DEAL_RATE * volume * CLOSE_SHARE * perf.win_share(now=False) * mean_amount
    if role_kpi == "sales_win_rate":
        return perf.win_share(now=False)
    if role_kpi == "sales_activities":
        return workdays * (CALLS_PER_DAY + MEETING_RATE * MEETING_COMPLETED) * volume
    if role_kpi == "delivery_story_points_done":
        return workdays * ISSUE_RATE * volume * ISSUE_DONE_SHARE * statistics.mean(ISSUE_POINTS)
    if role_kpi == "delivery_on_time_rate":
        return _issue_expectations(perf.quality(now=False))[0]
    if role_kpi == "delivery_cycle_time_days":
        return _issue_expectations(perf.quality(now=False))[1]
    if role_kpi == "support_tickets_solved":
        return (workdays * TICKETS_PER_WORKDAY + weekend * TICKETS_PER_WEEKEND_DAY) * volume * TICKET_SOLVED_SHARE
    if role_kpi == "support_csat":
        return perf.csat_good(now=False)
    if role_kpi == "support_first_reply_minutes":
        return math.exp(perf.reply_mu(now=False))
    if role_kpi == "manual_points":
        months = (workdays + weekend) / 30.4
        return months * MANUAL_PER_MONTH["operations"] * volume * statistics.mean(MANUAL_VALUES)
    if role_kpi == "mgmt_one_on_one_coverage":
        return 1 - (1 - perf.one_on_one_rate(now=False)) ** (261 / 12)  # a month's workdays without a 1:1
    if role_kpi == "mgmt_review_completion":
        return perf.review_submitted(now=False)
    raise ValueError(f"no usual result for KPI {role_kpi!r}")
