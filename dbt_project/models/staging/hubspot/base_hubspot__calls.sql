{{ config(materialized='incremental', unique_key='call_id', incremental_strategy='delete+insert') }}

with latest as (
    {{ latest_changed_versions(source('raw_hubspot', 'calls')) }}
),

final as (
    select
        record_id as call_id,
        payload -> 'properties' ->> 'hubspot_owner_id' as owner_id,
        {{ to_local("payload -> 'properties' ->> 'hs_timestamp'") }} as occurred_at,
        try_cast(payload -> 'properties' ->> 'hs_call_duration' as bigint) / 1000 as duration_seconds,
        payload -> 'properties' ->> 'hs_call_direction' as direction,
        {{ to_local('updated_at') }} as updated_at,
        coalesce((payload ->> 'archived')::boolean, false) as is_archived,
        _last_loaded_at
    from latest
)

select * from final
