with source as (
    select * from {{ source('raw_jira', 'projects') }}
),

latest as (
    select * from source
    qualify {{ latest_version('record_id', updated='_loaded_at') }}
)

select
    record_id as project_id,
    payload ->> 'key' as project_key,
    payload ->> 'name' as project_name
from latest
