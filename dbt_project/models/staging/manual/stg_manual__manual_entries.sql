with source as (
    select * from {{ source('raw_manual', 'manual_entries') }}
),

latest as (
    -- each drop is a new version of its rows: the row of the latest drop wins
    select * from source
    qualify row_number() over (partition by entry_id order by _loaded_at desc, _file desc, _row desc) = 1
)

select
    entry_id,
    employee_id,
    kpi_key,
    entry_date,
    {{ finite_or_null('value') }} as value,
    category,
    note,
    entered_by
from latest
