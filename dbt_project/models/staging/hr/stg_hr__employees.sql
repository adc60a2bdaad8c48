with source as (
    select * from {{ source('raw_hr', 'employees') }}
),

latest as (
    -- each drop is a new version of its rows: the row of the latest drop wins
    select * from source
    qualify row_number() over (partition by employee_id order by _loaded_at desc, _file desc, _row desc) = 1
)

select
    employee_id,
    full_name,
    email,
    lower(trim(email)) as email_normalized,
    title,
    hire_date,
    termination_date
from latest
