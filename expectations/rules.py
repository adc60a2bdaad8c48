"""How an audit rule is written: a Great Expectations expectation plus what an auditor needs to know.

Every expectation carries a severity (``blocking`` stops publishing, ``warning`` publishes and
reports), its rule family, and a plain-language description in English and Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx
from great_expectations.expectations.expectation import Expectation

FAMILIES = ("completeness", "uniqueness", "enumeration", "range", "ordering", "freshness", "volume",
            "referential", "goal_integrity", "reconciliation")
SEVERITIES = ("blocking", "warning")


def settings():
    """The one settings place (``northstar.toml`` + ``NORTHSTAR_*``), the same values dbt receives as vars: a rule
    never hard-codes a threshold that a setting holds (read when the suites are built, never at import)."""
    from config.settings import load_settings

    return load_settings()


def rule(expectation: type[Expectation], *, family: str, severity: str, en: str, zh: str,
         **kwargs: Any) -> Expectation:
    """One audit rule: ``rule(gx.expectations.ExpectColumnValuesToNotBeNull, column=..., family=..., ...)``."""
    if family not in FAMILIES:
        raise ValueError(f"unknown rule family {family!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
    return expectation(
        **kwargs,
        severity="critical" if severity == "blocking" else "warning",
        meta={"severity": severity, "family": family, "description_en": en, "description_zh": zh},
    )


@dataclass
class Suite:
    """A GX suite over one frame (a table or a derived check), and the Dagster asset it validates."""

    name: str
    table: str  # what the auditor sees: the table (or derived check) validated
    asset_key: list[str]  # the Dagster asset the suite's checks attach to
    sql: str  # the frame, selected from the build warehouse
    key: list[str]  # columns naming a failing record in the sample
    expectations: list[Expectation] = field(default_factory=list)

    def gx_suite(self) -> gx.ExpectationSuite:
        suite = gx.ExpectationSuite(name=self.name)
        for expectation in self.expectations:
            suite.add_expectation(expectation)
        return suite
