with source as (
    select * from {{ source('raw_one_on_ones', 'one_on_ones') }}
),

latest as (
    -- each drop is a new version of its rows: the row of the latest drop wins
    select * from source
    qualify row_number() over (partition by meeting_id order by _loaded_at desc, _file desc, _row desc) = 1
)

select
    meeting_id,
    manager_id,
    employee_id,
    held_on
from latest
