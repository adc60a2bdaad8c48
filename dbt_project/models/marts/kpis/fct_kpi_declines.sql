-- Early warning (team view): for each person and the KPI of each of their goals, how many months in a row the KPI
-- got worse, ending at the latest complete month (a month still running would always look like a decline).
-- "Worse" follows the KPI's direction. Computed once here; the dashboards select from it.
with as_of as (
    select as_of_date from {{ ref('int_data_as_of') }}
),

goal_kpis as (
    select distinct owner_id as employee_id, kpi_key
    from {{ ref('dim_goal') }}
    where owner_type = 'employee' and kpi_key is not null
),

monthly as (
    select
        values_.subject_id as employee_id,
        values_.kpi_key,
        values_.period_start,
        case when kpis.direction = 'lower_is_better' then -values_.value else values_.value end as goodness
    from goal_kpis
    join {{ ref('fct_kpi_values') }} as values_
        on values_.subject_id = goal_kpis.employee_id and values_.kpi_key = goal_kpis.kpi_key
    join {{ ref('dim_kpi') }} as kpis on kpis.kpi_key = values_.kpi_key
    cross join as_of
    where values_.subject_type = 'employee' and values_.period_type = 'month'
      and last_day(values_.period_start) <= as_of.as_of_date
),

steps as (
    select
        *,
        goodness < lag(goodness) over (partition by employee_id, kpi_key order by period_start) as declined,
        row_number() over (partition by employee_id, kpi_key order by period_start desc) as recency
    from monthly
)

select
    employee_id::varchar as employee_id,
    kpi_key::varchar as kpi_key,
    max(period_start)::date as latest_month,
    -- the run of declines ending at the latest month
    (coalesce(min(recency) filter (where not declined or declined is null), max(recency) + 1) - 1)::integer
        as declines
from steps
group by employee_id, kpi_key
