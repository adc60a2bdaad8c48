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
            when kpi_key = 'support_csat' then 'rating'
            when kpi_key = 'mgmt_one_on_one_coverage' then 'one_on_one_slot'
            when kpi_key = 'mgmt_review_completion' then 'review'
            when kpi_key = 'manual_points' then 'manual_entry'
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

-- label: what the record is called where people work with it; detail: what they recognise it by (amount and
-- stage, summary and status, subject and status, when a call or meeting took place)
labels as (
    select 'deal' as label_kind, deal_id::varchar as label_id, 'deal' as source_object, deal_name as label,
           {{ dbt.concat(["coalesce(format('{:,.2f}', amount), '–')", "' · '", "coalesce(deal_stage, '–')"]) }}
               as detail,
           null::varchar as project_key
    from {{ ref('stg_hubspot__deals') }}
    union all
    select 'call', call_id::varchar, 'call', 'Call ' || call_id,
           {{ dbt.concat(["strftime(occurred_at, '%Y-%m-%d %H:%M')", "' · '", "coalesce(direction, '')"]) }}, null
    from {{ ref('stg_hubspot__calls') }}
    union all
    select 'meeting', meeting_id::varchar, 'meeting', 'Meeting ' || meeting_id,
           {{ dbt.concat(["strftime(occurred_at, '%Y-%m-%d %H:%M')", "' · '", "coalesce(outcome, '')"]) }}, null
    from {{ ref('stg_hubspot__meetings') }}
    union all
    select 'issue', issue_id::varchar, 'issue', issue_key,
           {{ dbt.concat(["coalesce(summary, '')", "' · '", "coalesce(status, '')"]) }}, project_key
    from {{ ref('stg_jira__issues') }}
    union all
    select 'version', versions.version_id::varchar, 'version', projects.project_key || ' ' || versions.version_name,
           {{ dbt.concat(["'release '", "coalesce(versions.release_date::varchar, '–')"]) }}, projects.project_key
    from {{ ref('stg_jira__versions') }} as versions
    left join {{ ref('stg_jira__projects') }} as projects using (project_id)
    union all
    select 'ticket', ticket_id::varchar, 'ticket', 'Ticket #' || ticket_id,
           {{ dbt.concat(["coalesce(subject, '')", "' · '", "coalesce(status, '')"]) }}, null
    from {{ ref('stg_zendesk__tickets') }}
    union all
    select 'rating', ratings.rating_id::varchar, 'rating', 'Ticket #' || ratings.ticket_id,
           {{ dbt.concat(["coalesce(ratings.score, '')", "' · '", "coalesce(tickets.subject, '')"]) }}, null
    from {{ ref('stg_zendesk__satisfaction_ratings') }} as ratings
    left join {{ ref('stg_zendesk__tickets') }} as tickets using (ticket_id)
    union all
    -- inbox records: whose 1:1 or review it is, and what a hand entry was for
    select 'one_on_one_slot', slots.record_id, 'one_on_one_slot', {{ dbt.concat(["'1:1 · '", "people.full_name"]) }},
           strftime(slots.slot_month, '%Y-%m'), null
    from (select distinct record_id, split_part(record_id, ':', 2) as employee_id,
                 try_cast(split_part(record_id, ':', 3) as date) as slot_month
          from {{ ref('int_kpi_events') }} where kpi_key = 'mgmt_one_on_one_coverage') as slots
    join {{ ref('stg_hr__employees') }} as people using (employee_id)
    union all
    select 'review', reviews.review_id, 'review', {{ dbt.concat(["'Review · '", "people.full_name"]) }},
           {{ dbt.concat(["reviews.cycle", "' · '", "coalesce(reviews.submitted_on::varchar, 'not submitted')"]) }},
           null
    from {{ ref('stg_reviews__reviews') }} as reviews
    join {{ ref('stg_hr__employees') }} as people using (employee_id)
    union all
    select 'manual_entry', entry_id, 'manual_entry', category, note, null
    from {{ ref('stg_manual__manual_entries') }}
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
        labels.detail::varchar as detail,
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
