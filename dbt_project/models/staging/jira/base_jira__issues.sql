{{ config(materialized='incremental', unique_key='issue_id', incremental_strategy='delete+insert',
          on_schema_change='append_new_columns') }}

-- Latest version per issue, with what its changelog says about its flow (first start, reopenings).
with latest as (
    {{ latest_changed_versions(source('raw_jira', 'issues')) }}
),

histories as (
    select record_id, unnest(json_extract(payload, '$.changelog.histories[*]')) as history
    from latest
),

status_changes as (
    select
        record_id,
        {{ to_local("history ->> 'created'") }} as changed_at,
        item ->> 'fromString' as from_status,
        item ->> 'toString' as to_status
    from (select record_id, history, unnest(json_extract(history, '$.items[*]')) as item from histories)
    where item ->> 'field' = 'status'
),

flow as (
    select
        record_id,
        min(changed_at) filter (where to_status = 'In Progress') as started_at,
        count(*) filter (where from_status = 'Done' and to_status <> 'Done') as reopen_count
    from status_changes
    group by record_id
),

final as (
    select
        latest.record_id as issue_id,
        payload ->> 'key' as issue_key,
        payload -> 'fields' -> 'project' ->> 'id' as project_id,
        payload -> 'fields' -> 'project' ->> 'key' as project_key,
        payload -> 'fields' ->> 'summary' as summary,
        payload -> 'fields' -> 'issuetype' ->> 'name' as issue_type,
        payload -> 'fields' -> 'status' ->> 'name' as status,
        payload -> 'fields' -> 'status' -> 'statusCategory' ->> 'key' as status_category,
        payload -> 'fields' -> 'assignee' ->> 'accountId' as assignee_account_id,
        try_cast(payload -> 'fields' ->> '{{ var("jira_story_points_field") }}' as double) as story_points,
        {{ to_local("payload -> 'fields' ->> 'created'") }} as created_at,
        {{ to_local('updated_at') }} as updated_at,
        try_cast(payload -> 'fields' ->> 'duedate' as date) as due_date,
        {{ to_local("nullif(payload -> 'fields' ->> 'resolutiondate', '')") }} as resolved_at,
        json_extract_string(payload, '$.fields.fixVersions[*].id') as fix_version_ids,
        flow.started_at,
        coalesce(flow.reopen_count, 0) as reopen_count,
        _last_loaded_at
    from latest
    left join flow on flow.record_id = latest.record_id
)

select * from final
