{{ config(materialized='incremental', unique_key='deal_id', incremental_strategy='delete+insert') }}

-- Latest version per deal. Incremental: only deals with a version landed since the last run are
-- recomputed (from all their versions, so a late-arriving older version never wins).
with latest as (
    {{ latest_changed_versions(source('raw_hubspot', 'deals')) }}
),

final as (
    select
        record_id as deal_id,
        payload -> 'properties' ->> 'dealname' as deal_name,
        try_cast(payload -> 'properties' ->> 'amount' as decimal(18, 2)) as amount,
        payload -> 'properties' ->> 'dealstage' as deal_stage,
        payload -> 'properties' ->> 'pipeline' as pipeline,
        payload -> 'properties' ->> 'hubspot_owner_id' as owner_id,
        {{ to_local("payload -> 'properties' ->> 'createdate'") }} as created_at,
        {{ to_local("nullif(payload -> 'properties' ->> 'closedate', '')") }} as closed_at,
        {{ to_local('updated_at') }} as updated_at,
        coalesce((payload ->> 'archived')::boolean, false) as is_archived,
        _last_loaded_at
    from latest
)

select * from final
