-- Every KPI per employee and per org unit (whole subtree, KPI rule 3), per month, quarter and year.
with events as (
    select events.*, kpis.measure
    from {{ ref('int_kpi_events') }} as events
    join {{ ref('kpi_catalogue') }} as kpis using (kpi_key)
    where events.employee_id is not null
),

by_period as (
    {{ by_period('events') }}
),

subjects as (
    select by_period.*, 'employee' as subject_type, employee_id as subject_id from by_period
    union all
    select by_period.*, 'org_unit', subtree.ancestor_id
    from by_period
    join {{ ref('int_org_subtree') }} as subtree on subtree.descendant_id = by_period.org_unit_id
),

new_rows as (
    select
        kpi_key::varchar as kpi_key,
        subject_type::varchar as subject_type,
        subject_id::varchar as subject_id,
        period_type::varchar as period_type,
        period_start::date as period_start,
        ({{ kpi_value() }})::double as value,
        sum(numerator)::double as numerator,
        sum(denominator)::double as denominator,
        count(*)::bigint as record_count
    from subjects
    group by kpi_key, subject_type, subject_id, period_type, period_start, measure
)

-- a backfill keeps the values of periods that ended before its day
{{ keep_before_backfill('new_rows', dbt.dateadd("month", "case period_type when 'quarter' then 3 when 'year' then 12 else 1 end", 'period_start') ~ ' <= {since}') }}
