"""The public marts: ranges and enumerations, and reconciliation of mart totals with staging totals."""

from __future__ import annotations

from expectations.rules import E, Suite, rule, settings


def suites() -> list[Suite]:
    cap = settings().attainment_cap
    ratios = Suite(
        "kpi_ratio_values", "marts.fct_kpi_values (ratio KPIs)", ["marts", "fct_kpi_values"],
        """select v.* from marts.fct_kpi_values v join marts.dim_kpi k using (kpi_key) where k.measure = 'ratio'""",
        key=["kpi_key", "subject_id", "period_type", "period_start"],
    )
    ratios.expectations = [
        rule(E.ExpectColumnValuesToBeBetween, column="value", min_value=0, max_value=1, family="range",
             severity="blocking", en="Rates lie between 0 and 1.", zh="比率在0到1之间。"),
    ]
    progress = Suite("goal_progress", "marts.fct_goal_progress", ["marts", "fct_goal_progress"],
                     "select * from marts.fct_goal_progress", key=["goal_id", "as_of_date"])
    progress.expectations = [
        rule(E.ExpectColumnValuesToBeInSet, column="status",
             value_set=["achieved", "on_track", "at_risk", "off_track", "no_data"], family="enumeration",
             severity="blocking", en="Goal statuses are the five the dashboards know.", zh="目标状态为五种已知取值。"),
        rule(E.ExpectColumnValuesToBeBetween, column="attainment", min_value=0, max_value=cap, family="range",
             severity="blocking", en=f"Attainment lies between 0 and the configured cap ({cap:.0%}).",
             zh=f"达成率在0到设定的上限({cap:.0%})之间。"),
    ]
    scorecard = Suite("scorecard", "marts.fct_scorecard", ["marts", "fct_scorecard"],
                      "select * from marts.fct_scorecard", key=["employee_id", "period"])
    scorecard.expectations = [
        rule(E.ExpectColumnValuesToBeInSet, column="grade", value_set=["A", "B", "C"], family="enumeration",
             severity="blocking", en="Grades are A, B or C.", zh="等级为A、B或C。"),
        rule(E.ExpectCompoundColumnsToBeUnique, column_list=["employee_id", "period"], family="uniqueness",
             severity="blocking", en="One score per person and period.", zh="每人每个周期一个得分。"),
    ]
    reconciliation = Suite(
        "reconciliation", "company totals in marts vs staging", ["marts", "fct_kpi_values"],
        """with matched as (
               select distinct source, source_user_id, employee_id from intermediate.int_identities_resolved
               where employee_id is not null),
           -- a record counts for a team only from its person's first assignment on (rule 2): deals reassigned
           -- to a new hire keep close dates from before the hire, and count for the person but no unit
           placed(employee_id, first_day) as (
               select employee_id, min(effective_from) from staging.stg_hr__assignments group by employee_id),
           staging_totals as (
               select 'sales_closed_won_amount' as kpi_key, sum(d.amount)::double as staging_total
               from staging.stg_hubspot__deals d join matched m on m.source = 'hubspot' and m.source_user_id = d.owner_id
               join placed p on p.employee_id = m.employee_id and p.first_day <= d.closed_at::date
               where d.deal_stage = 'closedwon' and d.closed_at is not null
               union all
               select 'delivery_story_points_done', sum(coalesce(i.story_points, 0))
               from staging.stg_jira__issues i join matched m on m.source = 'jira' and m.source_user_id = i.assignee_account_id
               join placed p on p.employee_id = m.employee_id and p.first_day <= i.resolved_at::date
               where i.status_category = 'done' and i.resolved_at is not null
               union all
               select 'support_tickets_solved', count(*)
               from staging.stg_zendesk__tickets t
               join staging.stg_zendesk__ticket_metrics x using (ticket_id)
               join matched m on m.source = 'zendesk' and m.source_user_id = t.assignee_id
               join placed p on p.employee_id = m.employee_id and p.first_day <= x.solved_at::date
               where t.status in ('solved', 'closed') and x.solved_at is not null),
           mart_totals as (
               select kpi_key, sum(value) as mart_total from marts.fct_kpi_values
               where subject_type = 'org_unit' and period_type = 'year'
                 and subject_id in (select org_unit_id from marts.dim_org_unit where parent_id is null)
               group by kpi_key)
           select s.kpi_key, coalesce(m.mart_total, 0) as mart_total, s.staging_total,
                  abs(coalesce(m.mart_total, 0) - coalesce(s.staging_total, 0)) as difference
           from staging_totals s left join mart_totals m using (kpi_key)""",
        key=["kpi_key"],
    )
    reconciliation.expectations = [
        rule(E.ExpectColumnValuesToBeBetween, column="difference", min_value=0, max_value=0.005,
             family="reconciliation", severity="blocking",
             en="The company's KPI totals in the marts equal the totals of the attributed staging records.",
             zh="集市中公司级KPI合计等于暂存层已归属记录的合计。"),
    ]
    return [ratios, progress, scorecard, reconciliation]
