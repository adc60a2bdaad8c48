-- The floor: every sum- and ratio-type KPI of fct_kpi_values, per person and per org unit (whole subtree), per
-- month, quarter and year, computed in one DuckDB statement straight from the raw tables, with the same rules as
-- the dbt project (KPI rules 1-5 and 15 of DESIGN.md): the latest version of every record, archived and deleted
-- records left out, times cut into days in the company's time zone, source users matched to employees by the
-- override table then by e-mail (trimmed, case-insensitive), each record counted for the org unit the person
-- belonged to on its day, due-record rules as of the newest activity day (or the as_of_date setting).
--
-- `northstar bench` runs it on the warehouse a refresh built and checks every value equals the mart's; the
-- ratio "full dbt build / floor" says how much of the build is overhead and repeated work rather than
-- arithmetic. Variables, set by the bench before running it (SET VARIABLE):
--   tz                  the company's time zone (setting `timezone`)
--   as_of_date          the as_of_date setting, '' for "the newest activity day"
--   story_points_field  the Jira story points field (setting `jira_story_points_field`)
-- Seeds (identity_overrides, sla_policies, kpi_catalogue) are configuration and read from the `seeds` schema.

with recursive

-- ------------------------------------------------------------------ latest versions of the API records
deals as (
    select record_id as deal_id,
           payload -> 'properties' ->> 'hubspot_owner_id' as owner_id,
           payload -> 'properties' ->> 'dealstage' as stage,
           try_cast(payload -> 'properties' ->> 'amount' as decimal(18, 2)) as amount,
           timezone(getvariable('tz'), (payload -> 'properties' ->> 'createdate')::timestamptz)::date as created_on,
           timezone(getvariable('tz'), nullif(payload -> 'properties' ->> 'closedate', '')::timestamptz)::date
               as closed_on,
           coalesce((payload ->> 'archived')::boolean, false) as archived
    from raw_hubspot.deals
    qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
),

activities as (
    select 'call:' || record_id as record_id, payload -> 'properties' ->> 'hubspot_owner_id' as owner_id,
           timezone(getvariable('tz'), (payload -> 'properties' ->> 'hs_timestamp')::timestamptz)::date as day,
           coalesce((payload ->> 'archived')::boolean, false) as archived, true as counts
    from raw_hubspot.calls
    qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
    union all
    select 'meeting:' || record_id, payload -> 'properties' ->> 'hubspot_owner_id',
           timezone(getvariable('tz'), (payload -> 'properties' ->> 'hs_timestamp')::timestamptz)::date,
           coalesce((payload ->> 'archived')::boolean, false),
           payload -> 'properties' ->> 'hs_meeting_outcome' = 'COMPLETED'
    from raw_hubspot.meetings
    qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
),

issues_latest as (
    select * from raw_jira.issues
    qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
),

issue_flow as (
    -- reopenings: status changes out of Done in the changelog
    select record_id, count(*) filter (where from_status = 'Done' and to_status <> 'Done') as reopens
    from (
        select record_id, item ->> 'field' as field, item ->> 'fromString' as from_status,
               item ->> 'toString' as to_status
        from (select record_id, unnest(json_extract(history, '$.items[*]')) as item
              from (select record_id, unnest(json_extract(payload, '$.changelog.histories[*]')) as history
                    from issues_latest) as histories) as items
    ) as changes
    where field = 'status'
    group by record_id
),

issues as (
    select i.record_id as issue_id,
           i.payload -> 'fields' -> 'assignee' ->> 'accountId' as account_id,
           i.payload -> 'fields' -> 'status' -> 'statusCategory' ->> 'key' = 'done' as status_done,
           i.payload -> 'fields' -> 'status' -> 'statusCategory' ->> 'key' = 'done'
               and nullif(i.payload -> 'fields' ->> 'resolutiondate', '') is not null as done,
           timezone(getvariable('tz'), nullif(i.payload -> 'fields' ->> 'resolutiondate', '')::timestamptz)::date
               as resolved_on,
           try_cast(i.payload -> 'fields' ->> 'duedate' as date) as due_on,
           try_cast(i.payload -> 'fields' ->> getvariable('story_points_field') as double) as points,
           coalesce(f.reopens, 0) as reopens,
           json_extract_string(i.payload, '$.fields.fixVersions[*].id') as fix_versions
    from issues_latest as i
    left join issue_flow as f using (record_id)
),

versions as (
    select record_id as version_id, try_cast(payload ->> 'releaseDate' as date) as release_on
    from raw_jira.versions
    qualify row_number() over (partition by record_id order by _loaded_at desc, _loaded_at desc) = 1
),

tickets as (
    select t.record_id as ticket_id, t.payload ->> 'assignee_id' as agent_id, t.payload ->> 'status' as status,
           t.payload ->> 'priority' as priority,
           timezone(getvariable('tz'), (t.payload ->> 'created_at')::timestamptz) as created_local,
           timezone(getvariable('tz'), t.updated_at) as updated_local,
           m.first_reply, m.solved_on
    from (select * from raw_zendesk.tickets
          qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
    ) as t
    left join (
        select payload ->> 'ticket_id' as ticket_id,
               try_cast(payload -> 'reply_time_in_minutes' ->> 'calendar' as double) as first_reply,
               timezone(getvariable('tz'), nullif(payload ->> 'solved_at', '')::timestamptz)::date as solved_on
        from raw_zendesk.ticket_metrics
        qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
    ) as m on m.ticket_id = t.record_id
    where t.payload ->> 'status' <> 'deleted'
),

ratings as (
    select record_id, payload ->> 'assignee_id' as agent_id, payload ->> 'score' as score,
           timezone(getvariable('tz'), (payload ->> 'created_at')::timestamptz)::date as day
    from raw_zendesk.satisfaction_ratings
    qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
),

-- ------------------------------------------------------------------ HR: the latest drop of every row
employees as (
    select employee_id, lower(trim(email)) as email, hire_date, termination_date
    from raw_hr.employees
    qualify row_number() over (partition by employee_id order by _loaded_at desc, _file desc, _row desc) = 1
),

assignments as (
    select employee_id, org_unit_id, nullif(manager_id, '') as manager_id, effective_from as valid_from,
           coalesce(lead(effective_from) over (partition by employee_id order by effective_from),
                    date '9999-12-31') as valid_until
    from (select * from raw_hr.assignments
          qualify row_number() over (partition by employee_id, effective_from
                                     order by _loaded_at desc, _file desc, _row desc) = 1)
),

units as (
    select org_unit_id, nullif(parent_id, '') as parent_id
    from raw_hr.org_units
    qualify row_number() over (partition by org_unit_id order by _loaded_at desc, _file desc, _row desc) = 1
),

pathed (org_unit_id, parent_id, depth) as (
    -- the units reachable from the root (a cycle in the export cannot loop forever)
    select org_unit_id, parent_id, 0 from units where parent_id is null
    union all
    select units.org_unit_id, units.parent_id, pathed.depth + 1
    from units join pathed on units.parent_id = pathed.org_unit_id
    where pathed.depth < 20
),

subtree (ancestor_id, descendant_id, distance) as (
    -- every (ancestor, descendant) pair, each unit its own ancestor
    select org_unit_id, org_unit_id, 0 from pathed
    union all
    select subtree.ancestor_id, pathed.org_unit_id, subtree.distance + 1
    from subtree join pathed on pathed.parent_id = subtree.descendant_id
    where subtree.distance < 20
),

-- ------------------------------------------------------------------ who is who
identities as (
    select i.source, i.user_id, coalesce(o.employee_id, e.employee_id) as employee_id
    from (
        select 'hubspot' as source, record_id as user_id, payload ->> 'email' as email from raw_hubspot.owners
        qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
        union all
        select 'jira', record_id, payload ->> 'emailAddress' from raw_jira.users
        qualify row_number() over (partition by record_id order by _loaded_at desc, _loaded_at desc) = 1
        union all
        select 'zendesk', user_id, email from (
            select record_id as user_id, payload ->> 'email' as email, payload ->> 'role' as role from raw_zendesk.users
            qualify row_number() over (partition by record_id order by updated_at desc nulls last, _loaded_at desc) = 1
        ) where role in ('agent', 'admin')
    ) as i
    left join seeds.identity_overrides as o on o.source = i.source and o.source_user_id = i.user_id
    left join employees as e on e.email = lower(trim(i.email))
    union all
    select 'inbox', employee_id, employee_id from employees
),

as_of as (
    select coalesce(
        try_cast(nullif(getvariable('as_of_date'), '') as date),
        greatest((select max(day) from activities where record_id like 'call:%' and not archived),
                 (select max(timezone(getvariable('tz'), updated_at)) from issues_latest)::date,
                 (select max(updated_local) from tickets)::date)
    ) as day
),

meetings as (
    select manager_id, employee_id, held_on from raw_one_on_ones.one_on_ones
    qualify row_number() over (partition by meeting_id order by _loaded_at desc, _file desc, _row desc) = 1
),

-- ------------------------------------------------------------------ one row per record and KPI
records (kpi_key, source, user_id, day, numerator, denominator) as (
    select 'sales_closed_won_amount', 'hubspot', owner_id, closed_on, amount, null
    from deals where not archived and stage = 'closedwon' and closed_on is not null
    union all
    select 'sales_win_rate', 'hubspot', owner_id, closed_on, (stage = 'closedwon')::int, 1
    from deals where not archived and stage in ('closedwon', 'closedlost') and closed_on is not null
    union all
    select 'sales_pipeline_created_amount', 'hubspot', owner_id, created_on, amount, null from deals where not archived
    union all
    select 'sales_activities', 'hubspot', owner_id, day, 1, null from activities where not archived and counts
    union all
    select 'delivery_story_points_done', 'jira', account_id, resolved_on, coalesce(points, 0), null
    from issues where done
    union all
    select 'delivery_on_time_rate', 'jira', account_id, resolved_on, (resolved_on <= due_on)::int, 1
    from issues where done and due_on is not null
    union all
    select 'delivery_on_time_rate', 'jira', account_id, due_on, 0, 1
    from issues where not done and due_on is not null and due_on < (select day from as_of)
    union all
    select 'delivery_rework_rate', 'jira', account_id, resolved_on, (reopens > 0)::int, 1 from issues where done
    union all
    select 'delivery_milestone_on_time_rate', 'jira', account_id, release_on, bool_and(status_done and resolved_on <= release_on)::int, 1
    from versions join issues on list_contains(issues.fix_versions, versions.version_id)
    where release_on <= (select day from as_of) and account_id is not null
    group by version_id, release_on, account_id
    union all
    select 'support_tickets_solved', 'zendesk', agent_id, solved_on, 1, null
    from tickets where status in ('solved', 'closed') and solved_on is not null
    union all
    select 'support_sla_met_rate', 'zendesk', agent_id, created_local::date, (first_reply <= s.first_reply_minutes)::int, 1
    from tickets join seeds.sla_policies as s using (priority) where first_reply is not null
    union all
    select 'support_sla_met_rate', 'zendesk', agent_id, created_local::date, 0, 1
    from tickets join seeds.sla_policies as s using (priority)
    where first_reply is null and status not in ('solved', 'closed')
      and created_local + to_minutes(s.first_reply_minutes::bigint) < (select day from as_of)
    union all
    select 'support_csat', 'zendesk', agent_id, day, (score = 'good')::int, 1 from ratings where score in ('good', 'bad')
    union all
    select 'mgmt_review_completion', 'inbox', reviewer_id,
           case when cycle like '%-H1' then make_date(left(cycle, 4)::int, 7, 1)
                else make_date(left(cycle, 4)::int + 1, 1, 1) end,
           (submitted_on is not null)::int, 1
    from raw_reviews.reviews
    qualify row_number() over (partition by review_id order by _loaded_at desc, _file desc, _row desc) = 1
    union all
    select kpi_key, 'inbox', employee_id, entry_date,
           case when value between -1.0e308 and 1.0e308 then value end, null
    from raw_manual.manual_entries
    qualify row_number() over (partition by entry_id order by _loaded_at desc, _file desc, _row desc) = 1
    union all
    -- 1:1 coverage: a (manager, report, month) slot, due once its month has ended or as soon as it is met
    select 'mgmt_one_on_one_coverage', 'inbox', slots.manager_id, slots.month_start, slots.met::int, 1
    from (
        select m.month_start, a.manager_id, a.employee_id,
               exists (select 1 from meetings
                       where meetings.manager_id = a.manager_id and meetings.employee_id = a.employee_id
                         and date_trunc('month', meetings.held_on) = m.month_start) as met,
               last_day(m.month_start) <= (select day from as_of) as ended
        from (select unnest(generate_series((select date_trunc('month', min(held_on)) from meetings),
                                            (select date_trunc('month', day) from as_of), interval 1 month))::date
                     as month_start) as m
        cross join as_of
        join assignments as a
            on a.valid_from <= least(last_day(m.month_start), as_of.day)
            and a.valid_until > least(last_day(m.month_start), as_of.day)
        join employees as e
            on e.employee_id = a.employee_id and e.hire_date <= least(last_day(m.month_start), as_of.day)
            and coalesce(e.termination_date, date '9999-12-31') > least(last_day(m.month_start), as_of.day)
        where a.manager_id is not null
    ) as slots
    where slots.met or slots.ended
),

-- ------------------------------------------------------------------ attribute, cut into periods, add up
attributed as (
    select r.kpi_key, k.measure, r.day, r.numerator::decimal(38, 6) as numerator,
           r.denominator::decimal(38, 6) as denominator, i.employee_id, a.org_unit_id
    from records as r
    join seeds.kpi_catalogue as k on k.kpi_key = r.kpi_key and k.measure in ('sum', 'ratio')
    join identities as i on i.source = r.source and i.user_id = r.user_id and i.employee_id is not null
    left join assignments as a
        on a.employee_id = i.employee_id and r.day >= a.valid_from and r.day < a.valid_until
),

periods as (
    select *, 'month' as period_type, date_trunc('month', day)::date as period_start from attributed
    union all
    select *, 'quarter', date_trunc('quarter', day)::date from attributed
    union all
    select *, 'year', date_trunc('year', day)::date from attributed
),

subjects as (
    select periods.*, 'employee' as subject_type, employee_id as subject_id from periods
    union all
    select periods.*, 'org_unit', subtree.ancestor_id
    from periods join subtree on subtree.descendant_id = periods.org_unit_id
)

select kpi_key, subject_type, subject_id, period_type, period_start,
       case any_value(measure) when 'sum' then sum(numerator)
                               else sum(numerator) / nullif(sum(denominator), 0) end::double as value
from subjects
group by kpi_key, subject_type, subject_id, period_type, period_start
