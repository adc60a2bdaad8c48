-- Who reports to whom, directly or through others, as of the data's as-of day (dim_employee's managers): a
-- manager's reporting subtree, each person their own at distance 0. The dashboards' access scope reads it.
with recursive chain as (
    select employee_id as manager_id, employee_id, 0 as distance
    from {{ ref('dim_employee') }}
    union all
    select chain.manager_id, employees.employee_id, chain.distance + 1
    from chain
    join {{ ref('dim_employee') }} as employees on employees.manager_id = chain.employee_id
    where chain.distance < 20 and employees.employee_id <> chain.manager_id
)

select distinct
    manager_id::varchar as manager_id,
    employee_id::varchar as employee_id,
    min(distance) over (partition by manager_id, employee_id)::integer as distance
from chain
