{{ config(materialized='incremental', unique_key='meeting_id', incremental_strategy='delete+insert') }}

with latest as (
    {{ latest_changed_versions(source('raw_hubspot', 'meetings')) }}
),

final as (
    select
        record_id as meeting_id,
        payload -> 'properties' ->> 'hubspot_owner_id' as owner_id,
        {{ to_local("payload -> 'properties' ->> 'hs_timestamp'") }} as occurred_at,
        payload -> 'properties' ->> 'hs_meeting_outcome' as outcome,
        {{ to_local('updated_at') }} as updated_at,
        coalesce((payload ->> 'archived')::boolean, false) as is_archived,
        _last_loaded_at
    from latest
)

select * from final
