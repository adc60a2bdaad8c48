-- Every KPI per employee and per org unit (whole subtree, KPI rule 3), per month, quarter and year.
--
-- Incremental by affected period, so a daily refresh costs what changed, not the history: the months whose
-- attributed records differ from those the table was built from (a digest per KPI and month, kept beside the
-- table by the post-hook: macros/incremental.sql) are recomputed from their records, with their quarters and
-- years; a quarter or year of a summed or ratio KPI is added up from its months' exact numerators and
-- denominators (recomputed and kept), of a median KPI taken over its records. A changed org tree or catalogue
-- recomputes every period. `--full`, a first build or missing digests compute everything; a backfill (`--since`)
-- keeps the periods that ended before its day and recomputes the rest (and the next refresh all, as before).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ kpi_values_delete_recomputed() }}",
    post_hook="{{ kpi_values_keep_digests() }}",
) }}

{%- set mode = kpi_values_mode() %}

with events as (
    select events.*, kpis.measure
    from {{ ref('int_kpi_events') }} as events
    join {{ ref('kpi_catalogue') }} as kpis using (kpi_key)
    where events.employee_id is not null
),

{% if mode == 'periods' %}
affected as (
    {{ kpi_affected_periods(kpi_values_digests()) }}
),

month_events as (
    select events.*, 'month' as period_type, cast({{ dbt.date_trunc('month', 'event_date') }} as date) as period_start
    from events
    join affected
        on affected.kpi_key = events.kpi_key and affected.period_type = 'month'
        and affected.period_start = cast({{ dbt.date_trunc('month', 'events.event_date') }} as date)
),

median_events as (
    -- a median over a quarter or year needs its records; sums and ratios add up from months below
    select * from (
        select events.*, 'quarter' as period_type, cast({{ dbt.date_trunc('quarter', 'event_date') }} as date)
            as period_start
        from events where measure = 'median'
        union all
        select events.*, 'year', cast({{ dbt.date_trunc('year', 'event_date') }} as date)
        from events where measure = 'median'
    ) as periods
    where exists (select 1 from affected
                  where affected.kpi_key = periods.kpi_key and affected.period_type = periods.period_type
                    and affected.period_start = periods.period_start)
),

by_period as (
    select * from month_events
    union all
    select * from median_events
),
{% else %}
by_period as (
    {{ by_period('events') }}
),
{% endif %}

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

{% if mode == 'periods' %}
,

additive_months as (
    -- the months of every affected quarter and year of a summed or ratio KPI: recomputed ones and kept ones
    select new_rows.kpi_key, subject_type, subject_id, period_start, numerator, denominator, record_count
    from new_rows join {{ ref('kpi_catalogue') }} as kpis using (kpi_key)
    where period_type = 'month' and kpis.measure <> 'median'
    union all
    select kept.kpi_key, subject_type, subject_id, period_start, numerator, denominator, record_count
    from {{ this }} as kept join {{ ref('kpi_catalogue') }} as kpis using (kpi_key)
    where kept.period_type = 'month' and kpis.measure <> 'median'
      and not exists (select 1 from affected where affected.kpi_key = kept.kpi_key
                      and affected.period_type = 'month' and affected.period_start = kept.period_start)
),

additive_periods as (
    select additive_months.*, 'quarter' as period_type,
           cast({{ dbt.date_trunc('quarter', 'period_start') }} as date) as rolled_start
    from additive_months
    union all
    select additive_months.*, 'year', cast({{ dbt.date_trunc('year', 'period_start') }} as date)
    from additive_months
),

rolled_up as (
    -- months' numerators were exact decimals cast to double; cast back so sums do not depend on addition order
    select
        rolled.kpi_key, subject_type, subject_id, rolled.period_type, rolled_start as period_start,
        case max(kpis.measure)
            when 'sum' then sum(cast(numerator as decimal(38, 6)))
            else sum(cast(numerator as decimal(38, 6))) / nullif(sum(cast(denominator as decimal(38, 6))), 0)
        end::double as value,
        sum(cast(numerator as decimal(38, 6)))::double as numerator,
        sum(cast(denominator as decimal(38, 6)))::double as denominator,
        sum(record_count)::bigint as record_count
    from additive_periods as rolled
    join {{ ref('kpi_catalogue') }} as kpis using (kpi_key)
    where exists (select 1 from affected where affected.kpi_key = rolled.kpi_key
                  and affected.period_type = rolled.period_type and affected.period_start = rolled.rolled_start)
    group by rolled.kpi_key, subject_type, subject_id, rolled.period_type, rolled_start
)

select * from new_rows
union all
select * from rolled_up
{% elif mode == 'since' %}
select * from new_rows where not ({{ kpi_values_ended_before_since() }})
{% else %}
select * from new_rows
{% endif %}
