-- One row per Jira issue (or version and assignee) and KPI it feeds.
-- Due records (rule 15): an issue counts for the on-time rate once it is done, or once its due date has passed
-- undone (late, on its due date); a milestone once its release date has passed; rework and cycle time once done.
with done as (
    select * from {{ ref('stg_jira__issues') }}
    where status_category = 'done' and resolved_at is not null
),

issue_versions as (
    -- one row per issue and fix version, so that versions join on equality: a join on list_contains compared
    -- every issue with every version (4.8 M x 74 k at the large tier: 884 s and unfinished; unnested: 60 s)
    select issue_id, assignee_account_id, status_category, resolved_at, unnest(fix_version_ids) as version_id
    from {{ ref('stg_jira__issues') }}
    where assignee_account_id is not null
),

version_work as (
    -- a milestone counts once per assignee who had issues in it: on time when all of theirs were done by release
    -- (an issue listing a version twice gives the same rows twice: bool_and is unchanged)
    select
        versions.version_id,
        versions.release_date,
        issues.assignee_account_id,
        bool_and(issues.status_category = 'done' and issues.resolved_at::date <= versions.release_date) as on_time
    from {{ ref('stg_jira__versions') }} as versions
    join issue_versions as issues on issues.version_id = versions.version_id
    where versions.release_date <= (select as_of_date from {{ ref('int_data_as_of') }})
    group by all
)

select 'delivery_story_points_done' as kpi_key, 'jira' as source, issue_id as record_id,
       assignee_account_id as source_user_id, resolved_at::date as event_date,
       coalesce(story_points, 0) as numerator, null::double as denominator, coalesce(story_points, 0) as value
from done
union all
select 'delivery_on_time_rate', 'jira', issue_id, assignee_account_id, resolved_at::date,
       case when resolved_at::date <= due_date then 1 else 0 end, 1, null
from done
where due_date is not null
union all
-- overdue and not done: already late, whatever happens next (when it is done its row moves to the done date)
select 'delivery_on_time_rate', 'jira', issue_id, assignee_account_id, due_date, 0, 1, null
from {{ ref('stg_jira__issues') }}
where not (status_category = 'done' and resolved_at is not null) and due_date is not null
  and due_date < (select as_of_date from {{ ref('int_data_as_of') }})
union all
select 'delivery_rework_rate', 'jira', issue_id, assignee_account_id, resolved_at::date,
       case when reopen_count > 0 then 1 else 0 end, 1, null
from done
union all
select 'delivery_cycle_time_days', 'jira', issue_id, assignee_account_id, resolved_at::date, null, null,
       (epoch(resolved_at) - epoch(started_at)) / 86400.0
from done
where started_at is not null
union all
select 'delivery_milestone_on_time_rate', 'jira', version_id || ':' || assignee_account_id, assignee_account_id,
       release_date, case when on_time then 1 else 0 end, 1, null
from version_work
