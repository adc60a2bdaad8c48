with source as (
    select * from {{ source('raw_hr', 'org_units') }}
),

latest as (
    -- each drop is a new version of its rows: the row of the latest drop wins
    select * from source
    qualify row_number() over (partition by org_unit_id order by _loaded_at desc, _file desc, _row desc) = 1
)

select
    org_unit_id,
    name,
    unit_type,
    nullif(parent_id, '') as parent_id,
    nullif(manager_employee_id, '') as manager_employee_id
from latest
