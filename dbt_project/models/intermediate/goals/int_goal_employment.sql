-- Tenure (KPI rule 14): the part of each goal's period its owner was employed, from the HR export's hire and
-- termination dates (termination inclusive). Org-unit goals span their whole period. A person's goal for a period
-- they were not employed in has no employed days: it is not measured, scored or shown.
with goals as (
    select goal_id, owner_type, owner_id, period_start, period_end
    from {{ ref('int_goal_revisions') }}
    qualify row_number() over (partition by goal_id order by revision desc) = 1
),

spans as (
    select
        goals.goal_id,
        goals.period_start,
        goals.period_end,
        -- greatest/least skip nulls: an owner unknown to HR counts as employed the whole period
        case when goals.owner_type = 'employee'
            then greatest(goals.period_start, employees.hire_date) else goals.period_start end as employed_from,
        case when goals.owner_type = 'employee'
            then least(goals.period_end, employees.termination_date) else goals.period_end end as employed_to
    from goals
    left join {{ ref('stg_hr__employees') }} as employees
        on goals.owner_type = 'employee' and employees.employee_id = goals.owner_id
)

select
    goal_id,
    employed_from,
    employed_to,
    greatest({{ dbt.datediff('employed_from', 'employed_to', 'day') }} + 1, 0) as employed_days,
    {{ dbt.datediff('period_start', 'period_end', 'day') }} + 1 as period_days
from spans
