with source as (
    select * from {{ source('raw_jira', 'users') }}
),

latest as (
    -- users carry no change time: the version landed last wins
    select * from source
    qualify {{ latest_version('record_id', updated='_loaded_at') }}
),

final as (
    select
        record_id as account_id,
        payload ->> 'emailAddress' as email,
        payload ->> 'displayName' as display_name,
        coalesce((payload ->> 'active')::boolean, true) as is_active
    from latest
)

select * from final
