"""The cascade rule on a hand-made workbook: child targets that do not add up to their key result are named."""

from __future__ import annotations

import duckdb

from expectations.suites.goals import cascade_suite


def test_child_targets_must_add_up_to_their_key_result(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for schema in ("intermediate", "seeds"):
        con.execute(f"create schema {schema}")
    con.execute("""create table intermediate.int_goal_revisions as select * from (values
        ('KR-OK', null, 'key_result', 'org_unit', 'D', 'sales_closed_won_amount', '2026', 100.0, 1),
        ('C1', 'KR-OK', 'key_result', 'org_unit', 'T1', 'sales_closed_won_amount', '2026', 60.0, 1),
        ('C2', 'KR-OK', 'key_result', 'org_unit', 'T2', 'sales_closed_won_amount', '2026', 50.0, 1),
        ('KR-BAD', null, 'key_result', 'org_unit', 'D', 'support_tickets_solved', '2026', 100.0, 1),
        ('C3', 'KR-BAD', 'kpi', 'employee', 'E1', 'support_tickets_solved', '2026', 300.0, 1),
        ('KR-RATE', null, 'key_result', 'org_unit', 'D', 'sales_win_rate', '2026', 0.3, 1),
        ('C4', 'KR-RATE', 'kpi', 'employee', 'E1', 'sales_win_rate', '2026', 0.9, 1))
        as t(goal_id, parent_goal_id, goal_type, owner_type, owner_id, kpi_key, period, target, revision)""")
    con.execute("""create table seeds.kpi_catalogue as select * from (values
        ('sales_closed_won_amount', 'cumulative', 'higher_is_better'),
        ('support_tickets_solved', 'cumulative', 'higher_is_better'),
        ('sales_win_rate', 'rate', 'higher_is_better')) as t(kpi_key, pacing, direction)""")
    con.execute("create table intermediate.int_org_units_pathed (org_unit_id varchar, unit_type varchar)")
    con.execute("create table intermediate.int_org_subtree (ancestor_id varchar, descendant_id varchar, distance int)")
    con.execute("create table intermediate.int_goal_employment as select 'C3' as goal_id, 200 as employed_days")
    rows = dict(con.execute(f"select goal_id, consistent from ({cascade_suite().sql}) as f "
                            "where detail like 'children of%'").fetchall())
    assert rows == {"KR-OK": True, "KR-BAD": False}, "1.1x passes, 3x is named; rates are not summed"
