"""Rules name their GX expectation; GX is imported by the audit, not by the pipeline's definitions."""

from __future__ import annotations

import subprocess
import sys

import pytest

from expectations.rules import E, rule
from expectations.suites import all_suites


def test_every_rule_builds_its_expectation_with_its_severity_and_meta():
    """A misspelt expectation or argument fails here, not in the first audit after a change."""
    import great_expectations as gx

    rules = [r for suite in all_suites() for r in suite.expectations]
    assert len(rules) >= 50
    for r in rules:
        built = r.expectation
        assert isinstance(built, getattr(gx.expectations, r.kind)), r
        assert built.meta == r.meta
        assert built.severity == ("critical" if r.meta["severity"] == "blocking" else "warning")
        assert r.configuration.kwargs.get("column") == r.kwargs.get("column")  # read through to GX


def test_a_misspelt_expectation_is_named():
    blue = rule(E.ExpectColumnValuesToBeBlue, column="x", family="range", severity="warning", en="Blue.", zh="")
    with pytest.raises(ValueError, match=r"no expectation 'ExpectColumnValuesToBeBlue' \(rule: Blue\.\)"):
        _ = blue.expectation


def test_the_pipelines_definitions_do_not_import_great_expectations():
    """Importing GX held ~200 MB in the pipeline process through every step before the audit, dbt's included."""
    probe = ("import sys\nfrom orchestration.definitions import build_definitions\nbuild_definitions()\n"
             "print('great_expectations' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "False"
