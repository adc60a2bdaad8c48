with source as (
    select * from {{ source('raw_reviews', 'reviews') }}
),

latest as (
    -- each drop is a new version of its rows: the row of the latest drop wins
    select * from source
    qualify row_number() over (partition by review_id order by _loaded_at desc, _file desc, _row desc) = 1
)

select
    review_id,
    employee_id,
    reviewer_id,
    cycle,
    {{ finite_or_null('self_score') }} as self_score,
    {{ finite_or_null('manager_score') }} as manager_score,
    submitted_on
from latest
