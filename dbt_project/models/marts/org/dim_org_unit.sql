select
    org_unit_id::varchar as org_unit_id,
    name::varchar as name,
    unit_type::varchar as unit_type,
    parent_id::varchar as parent_id,
    path::varchar as path,
    depth::integer as depth,
    manager_employee_id::varchar as manager_employee_id
from {{ ref('int_org_units_pathed') }}
