"""Hand-filled files (reviews, manual KPI entries, the goal workbook): numbers already in raw that no KPI can use.

The inbox rejects non-finite and out-of-range values since they were added; this suite finds the ones
landed by older loads, on each record's latest version (a corrected re-drop clears it). Staging turns
such a value into null so the build never fails on it; this rule stops it from being published unseen.
"""

from __future__ import annotations

from expectations.rules import E, Suite, rule, settings


def _latest(table: str, key: str) -> str:
    return (f"(select * from {table} qualify row_number() over "
            f"(partition by {key} order by _loaded_at desc, _file desc, _row desc) = 1)")


def _values_sql() -> str:
    bounds = settings().inbox  # the same bounds the inbox uses
    review = (bounds.review_score_min, bounds.review_score_max)
    manual = (bounds.manual_value_min, bounds.manual_value_max)
    parts = [
        ("raw_manual.manual_entries", "entry_id", "entry_id", "value", manual),
        ("raw_reviews.reviews", "review_id", "review_id", "self_score", review),
        ("raw_reviews.reviews", "review_id", "review_id", "manager_score", review),
        ("raw_goals.goals", "goal_id, revision", "goal_id || ' r' || revision", "baseline", None),
        ("raw_goals.goals", "goal_id, revision", "goal_id || ' r' || revision", "target", None),
        ("raw_goals.goals", "goal_id, revision", "goal_id || ' r' || revision", "weight", None),
    ]
    selects = []
    for table, key, record, column, limits in parts:
        low, high = limits or (-1.0e308, 1.0e308)
        selects.append(
            f"select '{table}' as table_name, {record} as record_id, '{column}' as column_name, _file, _row, "
            f"{column}::varchar as value_text, {column} is null or {column} between {low} and {high} as value_ok "
            f"from {_latest(table, key)}")
    return "\nunion all\n".join(selects)


def suites() -> list[Suite]:
    values = Suite("hand_entered_values", "reviews, manual entries and goals (numbers as typed)",
                   ["staging", "stg_manual__manual_entries"], _values_sql(),
                   key=["table_name", "record_id", "column_name", "_file", "_row", "value_text"])
    values.expectations = [
        rule(E.ExpectColumnValuesToBeInSet, column="value_ok", value_set=[True], family="range", severity="blocking",
             en="Numbers typed into files are finite and within their allowed range (review scale, manual-value "
                "bounds); re-drop a corrected file to replace a bad value.",
             zh="文件中填写的数字为有限值且在允许范围内(评分量表、手工录入上下限);请重新投递更正后的文件。"),
    ]
    return [values]
