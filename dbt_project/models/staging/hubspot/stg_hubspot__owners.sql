with source as (
    select * from {{ source('raw_hubspot', 'owners') }}
),

latest as (
    select * from source
    qualify {{ latest_version('record_id') }}
),

final as (
    select
        record_id as owner_id,
        payload ->> 'email' as email,
        payload ->> 'firstName' as first_name,
        payload ->> 'lastName' as last_name,
        -- archived owners are people who left: kept, so their past deals stay attributed
        coalesce((payload ->> 'archived')::boolean, false) as is_archived,
        {{ to_local('updated_at') }} as updated_at
    from latest
)

select * from final
