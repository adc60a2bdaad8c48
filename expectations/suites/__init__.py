"""Audit suites as code, one module per source area; ``all_suites()`` lists every one."""

from __future__ import annotations

from expectations.rules import Suite
from expectations.suites import crm, goals, hr, marts, people, projects, sources, tickets

MODULES = {"crm": crm, "projects": projects, "tickets": tickets, "hr": hr, "goals": goals, "people": people,
           "sources": sources, "marts": marts}


def areas() -> dict[str, list[Suite]]:
    """Suites per source area (the auditor report groups by these)."""
    return {area: module.suites() for area, module in MODULES.items()}


def all_suites() -> list[Suite]:
    return [suite for suites in areas().values() for suite in suites]
