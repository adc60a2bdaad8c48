-- Every revision of every goal as a validity range (SCD2 by revision): the revision valid on a day
-- is the one with valid_from <= day < valid_to; the first revision also covers the days before it.
with goals as (
    select *, left(period, 4)::int as period_year from {{ ref('stg_goals__goals') }}
),

periods as (
    select
        *,
        case
            when length(period) = 4 then make_date(period_year, 1, 1)
            when substr(period, 6, 1) = 'H' then make_date(period_year, 6 * (substr(period, 7, 1)::int - 1) + 1, 1)
            when substr(period, 6, 1) = 'Q' then make_date(period_year, 3 * substr(period, 7, 1)::int - 2, 1)
            else make_date(period_year, substr(period, 6, 2)::int, 1)
        end as period_start,
        case
            when length(period) = 4 then 12
            when substr(period, 6, 1) = 'H' then 6
            when substr(period, 6, 1) = 'Q' then 3
            else 1
        end as period_months
    from goals
)

select
    goal_id,
    parent_goal_id,
    goal_type,
    title,
    owner_type,
    owner_id,
    kpi_key,
    period,
    period_start,
    (period_start + to_months(period_months) - interval 1 day)::date as period_end,
    baseline,
    target,
    weight,
    revision,
    revised_on as valid_from,
    lead(revised_on) over (partition by goal_id order by revision) as valid_to,
    row_number() over (partition by goal_id order by revision) = 1 as is_first_revision
from periods
