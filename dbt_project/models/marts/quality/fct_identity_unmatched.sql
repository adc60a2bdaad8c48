-- Source users no employee could be matched to (KPI rule 4), with the records left unattributed.
with unmatched as (
    select source, source_user_id, email
    from {{ ref('int_identities_resolved') }}
    where employee_id is null
),

records as (
    select source, source_user_id, count(distinct record_id) as record_count
    from {{ ref('int_kpi_events') }}
    where employee_id is null
    group by source, source_user_id
)

select
    unmatched.source::varchar as source,
    unmatched.source_user_id::varchar as source_user_id,
    unmatched.email::varchar as email,
    coalesce(records.record_count, 0)::bigint as record_count
from unmatched
left join records using (source, source_user_id)
union all
-- records naming a person no source or HR knows at all
select records.source, records.source_user_id, null, records.record_count
from records
where not exists (
    select 1 from unmatched
    where unmatched.source = records.source and unmatched.source_user_id = records.source_user_id
)
