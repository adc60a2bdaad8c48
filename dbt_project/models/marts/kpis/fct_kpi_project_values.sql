-- Delivery KPIs per Jira project and period, aggregated over the project's attributed records with the same
-- rule as every other KPI value (kpi_value macro: ratio of sums, median over records). Cross-analysis reads it.
with records as (
    select records.*, kpis.measure
    from {{ ref('fct_kpi_records') }} as records
    join {{ ref('kpi_catalogue') }} as kpis using (kpi_key)
    where records.project_key is not null
),

by_period as (
    {{ by_period('records') }}
)

select
    kpi_key::varchar as kpi_key,
    project_key::varchar as project_key,
    period_type::varchar as period_type,
    period_start::date as period_start,
    ({{ kpi_value() }})::double as value,
    sum(numerator)::double as numerator,
    sum(denominator)::double as denominator,
    count(*)::bigint as record_count
from by_period
group by kpi_key, project_key, period_type, period_start, measure
