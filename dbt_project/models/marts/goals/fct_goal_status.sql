-- Where every goal stands now (and what each key result contributes to its objective): its current revision (with the original target kept, rule 13) and its
-- latest progress row. The dashboards read this instead of windowing over all of fct_goal_progress per query.
with revisions as (
    select * from {{ ref('dim_goal') }}
),

first_revision as (
    select goal_id, target as original_target
    from revisions
    qualify row_number() over (partition by goal_id order by revision) = 1
),

current_revision as (
    select *
    from revisions
    qualify row_number() over (partition by goal_id order by revision desc) = 1
),

latest_progress as (
    select *
    from {{ ref('fct_goal_progress') }}
    qualify row_number() over (partition by goal_id order by as_of_date desc) = 1
)

select
    goal.goal_id::varchar as goal_id,
    goal.parent_goal_id::varchar as parent_goal_id,
    goal.goal_type::varchar as goal_type,
    goal.title::varchar as title,
    goal.owner_type::varchar as owner_type,
    goal.owner_id::varchar as owner_id,
    goal.kpi_key::varchar as kpi_key,
    goal.period::varchar as period,
    goal.period_start::date as period_start,
    goal.period_end::date as period_end,
    goal.weight::double as weight,
    goal.baseline::double as baseline,
    first_revision.original_target::double as original_target,
    goal.target::double as target,
    goal.revision::integer as revision,
    progress.as_of_date::date as as_of_date,
    progress.actual::double as actual,
    progress.attainment::double as attainment,
    progress.expected_attainment::double as expected_attainment,
    progress.status::varchar as status,
    progress.forecast_value::double as forecast_value,
    progress.forecast_attainment::double as forecast_attainment,
    -- what a key result adds to its objective's attainment (rule 9: the objective is the weight-normalised mean of
    -- its key results with data), so the alignment view's contributions add up to the objective's attainment
    case when goal.goal_type = 'key_result' and progress.attainment is not null then
        goal.weight * progress.attainment / nullif(sum(goal.weight) filter (
            where goal.goal_type = 'key_result' and progress.attainment is not null)
            over (partition by goal.parent_goal_id), 0)
    end::double as contribution
from current_revision as goal
join first_revision using (goal_id)
left join latest_progress as progress using (goal_id)
-- rule 14: a person's goal for a period they were not employed in is not shown
where goal.goal_id in (select goal_id from {{ ref('int_goal_employment') }} where employed_days > 0)
