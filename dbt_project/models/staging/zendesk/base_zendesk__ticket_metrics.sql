{{ config(materialized='incremental', unique_key='ticket_metric_id', incremental_strategy='delete+insert') }}

with latest as (
    {{ latest_changed_versions(source('raw_zendesk', 'ticket_metrics')) }}
)

select
    record_id as ticket_metric_id,
    payload ->> 'ticket_id' as ticket_id,
    try_cast(payload -> 'reply_time_in_minutes' ->> 'calendar' as double) as first_reply_minutes,
    try_cast(payload -> 'full_resolution_time_in_minutes' ->> 'calendar' as double) as full_resolution_minutes,
    try_cast(payload ->> 'reopens' as integer) as reopens,
    {{ to_local("nullif(payload ->> 'solved_at', '')") }} as solved_at,
    {{ to_local('updated_at') }} as updated_at,
    _last_loaded_at
from latest
