with source as (
    select * from {{ source('raw_zendesk', 'users') }}
),

latest as (
    select * from source
    qualify {{ latest_version('record_id') }}
)

select
    record_id as user_id,
    payload ->> 'name' as name,
    payload ->> 'email' as email,
    payload ->> 'role' as role,
    coalesce((payload ->> 'active')::boolean, true) as is_active
from latest
