{{ config(materialized='incremental', unique_key='ticket_id', incremental_strategy='delete+insert',
          on_schema_change='append_new_columns') }}

with latest as (
    {{ latest_changed_versions(source('raw_zendesk', 'tickets')) }}
)

select
    record_id as ticket_id,
    payload ->> 'subject' as subject,
    payload ->> 'status' as status,
    payload ->> 'priority' as priority,
    payload ->> 'requester_id' as requester_id,
    payload ->> 'assignee_id' as assignee_id,
    {{ to_local("payload ->> 'created_at'") }} as created_at,
    {{ to_local('updated_at') }} as updated_at,
    payload ->> 'status' = 'deleted' as is_deleted,
    _last_loaded_at
from latest
