with source as (
    select * from {{ source('raw_jira', 'versions') }}
),

latest as (
    select * from source
    qualify {{ latest_version('record_id', updated='_loaded_at') }}
)

select
    record_id as version_id,
    payload ->> 'projectId' as project_id,
    payload ->> 'name' as version_name,
    try_cast(payload ->> 'startDate' as date) as start_date,
    try_cast(payload ->> 'releaseDate' as date) as release_date,
    coalesce((payload ->> 'released')::boolean, false) as is_released,
    coalesce((payload ->> 'archived')::boolean, false) as is_archived
from latest
