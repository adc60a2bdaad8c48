select
    employee_id::varchar as employee_id,
    org_unit_id::varchar as org_unit_id,
    manager_id::varchar as manager_id,
    valid_from::date as valid_from,
    valid_to::date as valid_to
from {{ ref('int_employee_history') }}
