with source as (
    select * from {{ source('raw_goals', 'goals') }}
),

latest as (
    -- each drop is a new version of its rows: the row of the latest drop wins
    select * from source
    qualify row_number() over (partition by goal_id, revision order by _loaded_at desc, _file desc, _row desc) = 1
)

select
    goal_id,
    nullif(parent_goal_id, '') as parent_goal_id,
    goal_type,
    title,
    owner_type,
    owner_id,
    nullif(kpi_key, '') as kpi_key,
    period,
    {{ finite_or_null('baseline') }} as baseline,
    {{ finite_or_null('target') }} as target,
    {{ finite_or_null('weight') }} as weight,
    revision,
    revised_on
from latest
