"""Goal workbook integrity: targets present, KRs with parents, weights summing to 100 %, no cycles."""

from __future__ import annotations

import great_expectations as gx

from expectations.rules import Suite, rule

E = gx.expectations
CURRENT = """(select * from intermediate.int_goal_revisions
              qualify row_number() over (partition by goal_id order by revision desc) = 1)"""


def suites() -> list[Suite]:
    goals = Suite(
        "goals", "staging.stg_goals__goals (current revisions)", ["staging", "stg_goals__goals"],
        f"""select g.*, p.goal_id is not null as parent_exists
            from {CURRENT} g left join {CURRENT} p on p.goal_id = g.parent_goal_id""",
        key=["goal_id"],
    )
    goals.expectations = [
        rule(E.ExpectColumnValuesToBeUnique, column="goal_id", family="uniqueness", severity="blocking",
             en="A goal appears once per revision.", zh="每个目标每个版本只出现一次。"),
        rule(E.ExpectColumnValuesToBeInSet, column="goal_type", value_set=["objective", "key_result", "kpi"],
             family="enumeration", severity="blocking", en="Goals are objectives, key results or KPIs.",
             zh="目标类型为目标、关键结果或KPI。"),
    ]
    measurable = Suite(
        "goals_measurable", "staging.stg_goals__goals (key results and KPIs)", ["staging", "stg_goals__goals"],
        f"""select g.*, g.parent_goal_id is null or p.goal_id is not null as parent_exists
            from {CURRENT} g left join {CURRENT} p on p.goal_id = g.parent_goal_id
            where g.goal_type in ('key_result', 'kpi')""",
        key=["goal_id"],
    )
    measurable.expectations = [
        rule(E.ExpectColumnValuesToNotBeNull, column="target", family="goal_integrity", severity="blocking",
             en="Every key result and KPI goal has a target.", zh="每个关键结果和KPI目标都有目标值。"),
        rule(E.ExpectColumnValuesToNotBeNull, column="kpi_key", family="goal_integrity", severity="blocking",
             en="Every key result and KPI goal names the KPI it is measured by.", zh="每个关键结果和KPI目标都指定了KPI。"),
        rule(E.ExpectColumnValuesToBeInSet, column="parent_exists", value_set=[True], family="referential",
             severity="blocking", en="A goal's parent exists in the workbook.", zh="目标的上级目标存在。"),
    ]
    key_results = Suite(
        "goals_key_results", "staging.stg_goals__goals (key results)", ["staging", "stg_goals__goals"],
        f"select * from {CURRENT} where goal_type = 'key_result'", key=["goal_id"],
    )
    key_results.expectations = [
        rule(E.ExpectColumnValuesToNotBeNull, column="parent_goal_id", family="referential", severity="blocking",
             en="Every key result belongs to an objective.", zh="每个关键结果都隶属于一个目标。"),
    ]
    weights = Suite(
        "goal_weights", "goal weights per owner and period", ["staging", "stg_goals__goals"],
        f"""select 'owner ' || owner_id || ' ' || period || ' ' || goal_type as weight_group, sum(weight) as total_weight
            from {CURRENT} where goal_type in ('objective', 'kpi') group by owner_id, period, goal_type
            union all
            select 'key results of ' || parent_goal_id, sum(weight)
            from {CURRENT} where goal_type = 'key_result' group by parent_goal_id""",
        key=["weight_group"],
    )
    weights.expectations = [
        rule(E.ExpectColumnValuesToBeBetween, column="total_weight", min_value=99.99, max_value=100.01,
             family="goal_integrity", severity="blocking",
             en="Weights of an owner's goals in a period (and of an objective's key results) add up to 100 %.",
             zh="同一负责人同一周期的目标权重(以及同一目标下关键结果的权重)合计为100%。"),
    ]
    cycles = Suite(
        "goal_tree", "goal tree (parent links)", ["staging", "stg_goals__goals"],
        f"""with recursive goals as {CURRENT},
            walk as (
                select goal_id as start_id, parent_goal_id as at_id, 1 as depth from goals
                where parent_goal_id is not null
                union all
                select walk.start_id, goals.parent_goal_id, walk.depth + 1
                from walk join goals on goals.goal_id = walk.at_id
                where goals.parent_goal_id is not null and walk.depth < 25 and walk.at_id <> walk.start_id)
            select goals.goal_id,
                   exists (select 1 from walk where walk.start_id = goals.goal_id and walk.at_id = goals.goal_id)
                       as in_cycle
            from goals""",
        key=["goal_id"],
    )
    cycles.expectations = [
        rule(E.ExpectColumnValuesToBeInSet, column="in_cycle", value_set=[False], family="goal_integrity",
             severity="blocking", en="No goal is its own ancestor (no cycles in the goal tree).",
             zh="目标树中没有循环(目标不是自己的上级)。"),
    ]
    return [goals, measurable, key_results, weights, cycles]
