-- KPI rule 13: on each as-of date a goal is measured against the revision valid on that date.
-- A mid-year revision changes the dates after it, never the ones before.
-- Rule 14: a person's goal is measured only from the day they were employed in its period (int_goal_employment).
select
    calendar.goal_id,
    calendar.as_of_date,
    revisions.revision,
    revisions.goal_type,
    revisions.parent_goal_id,
    revisions.owner_type,
    revisions.owner_id,
    revisions.kpi_key,
    revisions.period,
    revisions.period_start,
    revisions.period_end,
    revisions.baseline,
    revisions.target,
    revisions.weight,
    employment.employed_from,
    employment.employed_days,
    employment.period_days
from {{ ref('int_goal_calendar') }} as calendar
join {{ ref('int_goal_revisions') }} as revisions
    on revisions.goal_id = calendar.goal_id
    and (revisions.is_first_revision or revisions.valid_from <= calendar.as_of_date)
    and calendar.as_of_date < {{ valid_until('revisions.valid_to') }}
join {{ ref('int_goal_employment') }} as employment
    on employment.goal_id = calendar.goal_id
    and employment.employed_days > 0
    and calendar.as_of_date >= employment.employed_from
