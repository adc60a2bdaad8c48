-- The as-of dates progress is measured on: every month end of a goal's period that has passed,
-- and the data's as-of day while the period is running.
with goals as (
    select goal_id, period_start, period_end
    from {{ ref('int_goal_revisions') }}
    qualify row_number() over (partition by goal_id order by revision desc) = 1
),

days as (
    select goal_id, period_end, as_of.as_of_date as data_as_of,
           unnest(generate_series(period_start, least(period_end, as_of.as_of_date), interval 1 day))::date as day
    from goals
    cross join {{ ref('int_data_as_of') }} as as_of
    where period_start <= as_of.as_of_date
)

select goal_id, day as as_of_date
from days
where day = last_day(day) or day = least(period_end, data_as_of)
