"""One truth for settings: the audit's thresholds follow the settings dbt receives."""

from __future__ import annotations

from config.settings import load_settings
from expectations.suites import all_suites


def _attainment_rule():
    [suite] = [s for s in all_suites() if s.name == "goal_progress"]
    [rule] = [e for e in suite.expectations if getattr(e, "column", None) == "attainment"]
    return rule


def test_the_attainment_cap_reaches_dbt_and_the_audit_alike(monkeypatch):
    assert _attainment_rule().max_value == load_settings().dbt_vars()["attainment_cap"] == 1.5
    monkeypatch.setenv("NORTHSTAR_ATTAINMENT_CAP", "2.0")
    assert load_settings().dbt_vars()["attainment_cap"] == 2.0
    assert _attainment_rule().max_value == 2.0  # a cap of 2.0 no longer blocks every publish


def test_the_inbox_bounds_reach_the_hand_entered_values_rule(monkeypatch):
    monkeypatch.setenv("NORTHSTAR_INBOX_MANUAL_VALUE_MAX", "50")
    [suite] = [s for s in all_suites() if s.name == "hand_entered_values"]
    assert "value between -1000 and 50.0 as value_ok" in suite.sql.replace("-1000.0", "-1000")
