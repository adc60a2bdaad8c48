with source as (
    select * from {{ source('raw_hr', 'assignments') }}
),

latest as (
    -- each drop is a new version of its rows: the row of the latest drop wins
    select * from source
    qualify row_number() over (partition by employee_id, effective_from order by _loaded_at desc, _file desc, _row desc) = 1
)

select
    employee_id,
    org_unit_id,
    nullif(manager_id, '') as manager_id,
    effective_from
from latest
