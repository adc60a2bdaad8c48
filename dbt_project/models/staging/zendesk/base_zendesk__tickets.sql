{{ config(materialized='incremental', unique_key='ticket_id', incremental_strategy='delete+insert') }}

with source as (
    {{ changed_versions(source('raw_zendesk', 'tickets')) }}
),

latest as (
    select *, max(_loaded_at) over (partition by record_id) as _last_loaded_at
    from source
    qualify {{ latest_version('record_id') }}
)

select
    record_id as ticket_id,
    payload ->> 'status' as status,
    payload ->> 'priority' as priority,
    payload ->> 'requester_id' as requester_id,
    payload ->> 'assignee_id' as assignee_id,
    {{ to_local("payload ->> 'created_at'") }} as created_at,
    {{ to_local('updated_at') }} as updated_at,
    payload ->> 'status' = 'deleted' as is_deleted,
    _last_loaded_at
from latest
