"""Failure samples read as records: no NaN for a missing value, never cut inside a record."""

from __future__ import annotations

import json

from expectations.audit import _sample, sample_text


def test_a_missing_value_is_null_not_nan_and_the_line_holds_whole_records():
    stored = _sample({"unexpected_index_list": [{"owner_employee_id": float("nan"), "deal_id": str(i)}
                                                for i in range(20)]})
    assert "NaN" not in stored and json.loads(stored)[0] == {"owner_employee_id": None, "deal_id": "0"}
    line = sample_text(stored)
    assert line == "{owner_employee_id=–, deal_id=0}; {owner_employee_id=–, deal_id=1}; " \
                   "{owner_employee_id=–, deal_id=2}; …"
    assert sample_text(json.dumps([{"a": 1}])) == "{a=1}" and sample_text(None) == ""
