-- The records behind every attributed KPI value (drill-through): which deal, ticket, issue, 1:1 slot, review
-- or manual entry made a number, for whom, in which unit and on which local date. Labels and the source
-- object are joined here once; links are shaped from them by the dashboards' query layer (URL bases are settings).
-- One equi-join on (label_kind, label_id): conditional joins per source made DuckDB fall back to nested loops.
with events as (
    select
        *,
        case
            when kpi_key = 'sales_activities' then split_part(record_id, ':', 1)  -- call or meeting
            when source = 'hubspot' then 'deal'
            when kpi_key = 'delivery_milestone_on_time_rate' then 'version'
            when source = 'jira' then 'issue'
            when source = 'zendesk' and kpi_key <> 'support_csat' then 'ticket'
        end as label_kind,
        -- the id in the source system: milestone records are (version, assignee) pairs, activities (object, id)
        case
            when kpi_key = 'delivery_milestone_on_time_rate' then split_part(record_id, ':', 1)
            when kpi_key = 'sales_activities' then split_part(record_id, ':', 2)
            else record_id
        end as label_id
    from {{ ref('int_kpi_events') }}
    where employee_id is not null
),

labels as (
    select 'deal' as label_kind, deal_id::varchar as label_id, 'deal' as source_object, deal_name as label,
           null::varchar as project_key
    from {{ ref('stg_hubspot__deals') }}
    union all
    select 'call', call_id::varchar, 'call', 'Call ' || call_id, null from {{ ref('stg_hubspot__calls') }}
    union all
    select 'meeting', meeting_id::varchar, 'meeting', 'Meeting ' || meeting_id, null
    from {{ ref('stg_hubspot__meetings') }}
    union all
    select 'issue', issue_id::varchar, 'issue', issue_key, project_key from {{ ref('stg_jira__issues') }}
    union all
    select 'version', versions.version_id::varchar, 'version', projects.project_key || ' ' || versions.version_name,
           projects.project_key
    from {{ ref('stg_jira__versions') }} as versions
    left join {{ ref('stg_jira__projects') }} as projects using (project_id)
    union all
    select 'ticket', ticket_id::varchar, 'ticket', 'Ticket #' || ticket_id, null from {{ ref('stg_zendesk__tickets') }}
),

new_rows as (
    select
        events.kpi_key::varchar as kpi_key,
        events.source::varchar as source,
        events.record_id::varchar as record_id,
        events.label_id::varchar as source_record_id,
        coalesce(
            labels.source_object,
            case
                when events.kpi_key = 'delivery_milestone_on_time_rate' then 'version'
                when events.kpi_key = 'support_csat' then 'rating'
                when events.kpi_key = 'mgmt_one_on_one_coverage' then 'one_on_one_slot'
                when events.kpi_key = 'mgmt_review_completion' then 'review'
                else 'manual_entry'
            end)::varchar as source_object,
        coalesce(labels.label, events.record_id)::varchar as label,
        labels.project_key::varchar as project_key,
        events.employee_id::varchar as employee_id,
        events.org_unit_id::varchar as org_unit_id,
        events.event_date::date as event_date,
        events.numerator::double as numerator,
        events.denominator::double as denominator,
        events.value::double as value
    from events
    left join labels
        on labels.label_kind = events.label_kind
        and labels.label_id = events.label_id
)

-- a backfill keeps the records of days before its day
{{ keep_before_backfill('new_rows', 'event_date < {since}') }}
