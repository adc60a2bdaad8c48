{{ config(materialized='incremental', unique_key='rating_id', incremental_strategy='delete+insert') }}

with latest as (
    {{ latest_changed_versions(source('raw_zendesk', 'satisfaction_ratings')) }}
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
