"""How an audit rule is written: a Great Expectations expectation plus what an auditor needs to know.

Every expectation carries a severity (``blocking`` stops publishing, ``warning`` publishes and
reports), its rule family, and a plain-language description in English and Chinese.

A rule names its expectation (``E.ExpectColumnValuesToNotBeNull``) and Great Expectations is imported when
the audit first reads one, not when the suites are listed: the pipeline process lists them to declare its
asset checks, and importing GX there held ≈ 200 MB through every step before the audit, dbt's included (the
Definitions built in 427 MB of RSS with it, 223 MB without).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


class _ExpectationNames:
    """``E.ExpectColumnValuesToBeUnique`` is the name ``"ExpectColumnValuesToBeUnique"``: suites name their
    expectations as GX's namespace would, without importing it."""

    def __getattr__(self, name: str) -> str:
        if not name.startswith("Expect"):
            raise AttributeError(name)
        return name


E = _ExpectationNames()


class Rule:
    """One rule: the expectation's name and arguments, and its meta (severity, family, descriptions), readable
    without GX; anything else (``configuration``, ``expectation_type``, ``column``…) is the GX expectation's."""

    def __init__(self, kind: str, kwargs: dict[str, Any], meta: dict[str, str]) -> None:
        self.kind, self.kwargs, self.meta = kind, kwargs, meta

    @functools.cached_property
    def expectation(self) -> Expectation:
        import great_expectations as gx

        kind = getattr(gx.expectations, self.kind, None)
        if kind is None:  # a ValueError: an AttributeError here would read as a missing attribute of the rule
            raise ValueError(f"Great Expectations has no expectation {self.kind!r} "
                             f"(rule: {self.meta['description_en']})")
        return kind(
            **self.kwargs, severity="critical" if self.meta["severity"] == "blocking" else "warning", meta=self.meta)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "expectation":  # copy/pickle probes, and a failed build, stay errors
            raise AttributeError(name)
        return getattr(self.expectation, name)

    def __repr__(self) -> str:
        return f"Rule({self.kind}, {self.kwargs}, {self.meta['severity']})"


def rule(expectation: str | type, *, family: str, severity: str, en: str, zh: str, **kwargs: Any) -> Rule:
    """One audit rule: ``rule(E.ExpectColumnValuesToNotBeNull, column=..., family=..., ...)``."""
    if family not in FAMILIES:
        raise ValueError(f"unknown rule family {family!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
    kind = expectation if isinstance(expectation, str) else expectation.__name__
    return Rule(kind, kwargs, {"severity": severity, "family": family, "description_en": en, "description_zh": zh})


@dataclass
class Suite:
    """A GX suite over one frame (a table or a derived check), and the Dagster asset it validates."""

    name: str
    table: str  # what the auditor sees: the table (or derived check) validated
    asset_key: list[str]  # the Dagster asset the suite's checks attach to
    sql: str  # the frame, selected from the build warehouse
    key: list[str]  # columns naming a failing record in the sample
    expectations: list[Rule] = field(default_factory=list)

    def gx_suite(self) -> gx.ExpectationSuite:
        import great_expectations as gx

        suite = gx.ExpectationSuite(name=self.name)
        for rule_ in self.expectations:
            suite.add_expectation(rule_.expectation)
        return suite
