with employees as (
    select * from {{ ref('stg_hr__employees') }}
),

as_of as (
    select as_of_date from {{ ref('int_data_as_of') }}
),

current_assignment as (
    -- the job-history row in force on the data's as-of day (or the first one, for future hires)
    select history.*
    from {{ ref('int_employee_history') }} as history
    cross join as_of
    qualify row_number() over (
        partition by employee_id
        order by (history.valid_from <= as_of.as_of_date) desc, history.valid_from desc
    ) = 1
)

select
    employees.employee_id::varchar as employee_id,
    employees.full_name::varchar as full_name,
    employees.email::varchar as email,
    employees.title::varchar as title,
    current_assignment.org_unit_id::varchar as org_unit_id,
    current_assignment.manager_id::varchar as manager_id,
    employees.hire_date::date as hire_date,
    employees.termination_date::date as termination_date,
    (employees.termination_date is null or employees.termination_date > as_of.as_of_date)::boolean as is_active
from employees
cross join as_of
left join current_assignment on current_assignment.employee_id = employees.employee_id
