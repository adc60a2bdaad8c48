-- The records behind every attributed KPI value (drill-through): which deal, ticket, issue, 1:1 slot, review
-- or manual entry made a number, for whom, in which unit and on which local date. Labels and the source
-- object are joined here once; links are shaped from them by the dashboards' query layer (URL bases are settings).
with events as (
    select * from {{ ref('int_kpi_events') }}
    where employee_id is not null
),

deals as (select deal_id as record_id, 'deal' as source_object, deal_name as label from {{ ref('stg_hubspot__deals') }}),
calls as (select call_id as record_id, 'call' as source_object, 'Call ' || call_id as label from {{ ref('stg_hubspot__calls') }}),
meetings as (select meeting_id as record_id, 'meeting' as source_object, 'Meeting ' || meeting_id as label
             from {{ ref('stg_hubspot__meetings') }}),
issues as (select issue_id as record_id, 'issue' as source_object, issue_key as label, project_key
           from {{ ref('stg_jira__issues') }}),
versions as (
    -- milestone records are (version, assignee) pairs
    select versions.version_id, 'version' as source_object, projects.project_key || ' ' || versions.version_name as label,
           projects.project_key
    from {{ ref('stg_jira__versions') }} as versions
    left join {{ ref('stg_jira__projects') }} as projects using (project_id)
),
tickets as (select ticket_id as record_id, 'ticket' as source_object, 'Ticket #' || ticket_id as label
            from {{ ref('stg_zendesk__tickets') }})

select
    events.kpi_key::varchar as kpi_key,
    events.source::varchar as source,
    events.record_id::varchar as record_id,
    coalesce(
        deals.source_object, calls.source_object, meetings.source_object, issues.source_object,
        tickets.source_object, versions.source_object,
        case
            when events.kpi_key = 'support_csat' then 'rating'
            when events.kpi_key = 'mgmt_one_on_one_coverage' then 'one_on_one_slot'
            when events.kpi_key = 'mgmt_review_completion' then 'review'
            else 'manual_entry'
        end)::varchar as source_object,
    coalesce(deals.label, calls.label, meetings.label, issues.label, versions.label, tickets.label, events.record_id)::varchar as label,
    coalesce(issues.project_key, versions.project_key)::varchar as project_key,
    events.employee_id::varchar as employee_id,
    events.org_unit_id::varchar as org_unit_id,
    events.event_date::date as event_date,
    events.numerator::double as numerator,
    events.denominator::double as denominator,
    events.value::double as value
from events
left join deals on events.source = 'hubspot' and events.kpi_key like 'sales\_%' escape '\'
    and events.kpi_key <> 'sales_activities' and deals.record_id = events.record_id
left join calls on events.kpi_key = 'sales_activities' and calls.record_id = events.record_id
left join meetings on events.kpi_key = 'sales_activities' and meetings.record_id = events.record_id
left join issues on events.source = 'jira' and issues.record_id = events.record_id
left join versions on events.kpi_key = 'delivery_milestone_on_time_rate'
    and versions.version_id = split_part(events.record_id, ':', 1)
left join tickets on events.source = 'zendesk' and events.kpi_key <> 'support_csat' and tickets.record_id = events.record_id
