"""Audit suites as code, one module per area; ``all_suites()`` lists every one."""

from __future__ import annotations

from expectations.rules import Suite
from expectations.suites import crm, goals, hr, marts, projects, sources, tickets


def all_suites() -> list[Suite]:
    return [*crm.suites(), *projects.suites(), *tickets.suites(), *hr.suites(), *goals.suites(),
            *sources.suites(), *marts.suites()]
