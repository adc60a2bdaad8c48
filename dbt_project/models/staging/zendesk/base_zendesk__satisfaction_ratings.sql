{{ config(materialized='incremental', unique_key='rating_id', incremental_strategy='delete+insert') }}

with source as (
    {{ changed_versions(source('raw_zendesk', 'satisfaction_ratings')) }}
),

latest as (
    select *, max(_loaded_at) over (partition by record_id) as _last_loaded_at
    from source
    qualify {{ latest_version('record_id') }}
)

select
    record_id as rating_id,
    payload ->> 'ticket_id' as ticket_id,
    payload ->> 'assignee_id' as assignee_id,
    payload ->> 'score' as score,
    {{ to_local("payload ->> 'created_at'") }} as created_at,
    {{ to_local('updated_at') }} as updated_at,
    _last_loaded_at
from latest
