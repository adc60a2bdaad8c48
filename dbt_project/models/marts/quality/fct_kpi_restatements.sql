-- Restatements (rule 17): a monthly KPI value of a closed month that differs from the value frozen at its close
-- (orchestration/close.py), with the closed value, the current value, the difference and the records that
-- changed since (added, removed, or with another value). A value that appeared after the close counts, one that
-- disappeared too. Differences below a millionth are float noise, not restatements.
with closed_months as (
    select close_month, closed_at from {{ ref('stg_closes__periods') }}
),

closed as (
    select * from {{ ref('stg_closes__kpi_values') }}
),

current_values as (
    select values.kpi_key, values.subject_type, values.subject_id, values.period_start as close_month, values.value
    from {{ ref('fct_kpi_values') }} as values
    join closed_months on closed_months.close_month = values.period_start
    where values.period_type = 'month'
),

compared as (
    select
        coalesce(closed.close_month, current_values.close_month) as close_month,
        coalesce(closed.kpi_key, current_values.kpi_key) as kpi_key,
        coalesce(closed.subject_type, current_values.subject_type) as subject_type,
        coalesce(closed.subject_id, current_values.subject_id) as subject_id,
        closed.value as closed_value,
        current_values.value as current_value
    from closed
    full join current_values
        on current_values.close_month = closed.close_month and current_values.kpi_key = closed.kpi_key
        and current_values.subject_type = closed.subject_type and current_values.subject_id = closed.subject_id
),

restated as (
    select * from compared
    where (closed_value is null) <> (current_value is null)
       or abs(closed_value - current_value) > 1e-6
),

current_records as (
    select records.kpi_key, records.record_id, records.label, records.employee_id, records.org_unit_id,
           closed_months.close_month, records.value, records.numerator, records.denominator
    from {{ ref('fct_kpi_records') }} as records
    join closed_months on records.event_date >= closed_months.close_month
        and records.event_date < closed_months.close_month + interval 1 month
),

changed_records as (
    select
        coalesce(old.close_month, new.close_month) as close_month,
        coalesce(old.kpi_key, new.kpi_key) as kpi_key,
        coalesce(old.record_id, new.record_id) as record_id,
        coalesce(new.label, old.label) as label,
        coalesce(new.employee_id, old.employee_id) as employee_id,
        coalesce(new.org_unit_id, old.org_unit_id) as org_unit_id
    from {{ ref('stg_closes__kpi_records') }} as old
    full join current_records as new
        on new.close_month = old.close_month and new.kpi_key = old.kpi_key and new.record_id = old.record_id
        and new.employee_id is not distinct from old.employee_id
    where old.record_id is null or new.record_id is null
       or old.value is distinct from new.value or old.numerator is distinct from new.numerator
       or old.denominator is distinct from new.denominator
),

-- a record counts for its person and for every unit above the unit it was made in
record_subjects as (
    select close_month, kpi_key, record_id, label, 'employee' as subject_type, employee_id as subject_id
    from changed_records where employee_id is not null
    union all
    select changed_records.close_month, changed_records.kpi_key, changed_records.record_id, changed_records.label,
           'org_unit', tree.ancestor_id
    from changed_records
    join {{ ref('dim_org_subtree') }} as tree on tree.descendant_id = changed_records.org_unit_id
),

records_per_subject as (
    select close_month, kpi_key, subject_type, subject_id, count(distinct record_id) as changed_records,
           string_agg(distinct label, ', ' order by label) as changed_labels
    from record_subjects
    group by close_month, kpi_key, subject_type, subject_id
)

select
    restated.close_month::date as close_month,
    closed_months.closed_at::timestamptz as closed_at,
    restated.kpi_key::varchar as kpi_key,
    restated.subject_type::varchar as subject_type,
    restated.subject_id::varchar as subject_id,
    restated.closed_value::double as closed_value,
    restated.current_value::double as current_value,
    (coalesce(restated.current_value, 0) - coalesce(restated.closed_value, 0))::double as difference,
    coalesce(records_per_subject.changed_records, 0)::bigint as changed_records,
    left(records_per_subject.changed_labels, 500)::varchar as changed_record_labels
from restated
join closed_months using (close_month)
left join records_per_subject using (close_month, kpi_key, subject_type, subject_id)
