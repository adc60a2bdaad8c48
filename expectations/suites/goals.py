"""Goal workbook integrity: targets present, KRs with parents, weights summing to 100 %, no cycles."""

from __future__ import annotations

from expectations.rules import E, Suite, rule, settings

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
    return [goals, measurable, key_results, weights, cycles, cascade_suite()]


def cascade_suite() -> Suite:
    """Cascades whose numbers disagree (warnings: a workbook can be right to differ, but someone should look)."""
    low, high = settings().cascade_sum_min, settings().cascade_sum_max
    cascade = Suite(
        "goal_cascade", "goal cascade numbers (current revisions)", ["staging", "stg_goals__goals"],
        f"""with goals as (select g.*, k.pacing, k.direction from {CURRENT} g
                           left join seeds.kpi_catalogue k using (kpi_key)),
            children as (
                -- a key result's child goals measured by the same cumulative KPI: their targets should add up to it
                select parent.goal_id, 'children of ' || parent.goal_id || ' sum to ' || round(sum(child.target), 2)
                           || ' against its ' || parent.target as detail,
                       sum(child.target) / nullif(parent.target, 0) between {low} and {high} as consistent
                from goals parent join goals child on child.parent_goal_id = parent.goal_id
                    and child.kpi_key = parent.kpi_key
                where parent.goal_type = 'key_result' and parent.pacing = 'cumulative' and parent.target is not null
                group by parent.goal_id, parent.target),
            units as (
                -- a department's target for a cumulative KPI is at least each of its own teams' for the same period
                select dept.goal_id, 'department target ' || dept.target || ' below the target ' || team.target
                           || ' of its team ' || team.owner_id as detail,
                       dept.target >= team.target as consistent
                from goals dept
                join intermediate.int_org_units_pathed dept_unit on dept_unit.org_unit_id = dept.owner_id
                    and dept_unit.unit_type = 'department'
                join intermediate.int_org_subtree tree on tree.ancestor_id = dept.owner_id and tree.distance > 0
                join goals team on team.owner_type = 'org_unit' and team.owner_id = tree.descendant_id
                    and team.kpi_key = dept.kpi_key and team.period = dept.period
                where dept.owner_type = 'org_unit' and dept.pacing = 'cumulative'
                  and dept.direction = 'higher_is_better' and dept.target is not null and team.target is not null),
            tenure as (
                -- a person's goal for a period they were not employed in at all
                select e.goal_id, 'goal of ' || g.owner_id || ' for ' || g.period || ', not employed then' as detail,
                       e.employed_days > 0 as consistent
                from intermediate.int_goal_employment e join goals g using (goal_id)
                where g.owner_type = 'employee')
            select * from children union all select * from units union all select * from tenure""",
        key=["goal_id", "detail"],
    )
    cascade.expectations = [
        rule(E.ExpectColumnValuesToBeInSet, column="consistent", value_set=[True], family="goal_integrity",
             severity="warning",
             en=f"Cascades agree: a key result's child goals on the same cumulative KPI sum to {low:g}-{high:g}x its "
                "target, no department target is below one of its teams', and nobody has goals for a period they "
                "were not employed in.",
             zh=f"目标分解一致:关键结果下同一累计指标的子目标之和为其目标的{low:g}-{high:g}倍;部门目标不低于其下属团队;"
                "员工不在职的周期没有目标。"),
    ]
    return cascade
