{# KPI aggregation, defined once (KPI rule 3): ratios are sum(numerator)/sum(denominator) over the
   records, medians are taken over the records, sums add numerators. Never an average of averages. #}
{% macro kpi_value(measure_col='measure') -%}
    case {{ measure_col }}
        when 'sum' then sum(numerator)
        when 'ratio' then sum(numerator) / nullif(sum(denominator), 0)
        {#- the median's input is the median KPIs' values only: an aggregate in a case is computed for every
            group, and median keeps every value it is given, outside DuckDB's memory_limit -#}
        when 'median' then median(case when {{ measure_col }} = 'median' then value end)
    end
{%- endmacro %}

{# Attainment (KPI rule 6), clamped to [0, cap]. Null stays null: DuckDB's greatest() skips nulls. #}
{% macro attainment(actual, target, baseline, direction) -%}
    {%- set raw -%}
        case
            when {{ actual }} is null or {{ target }} is null then null
            when {{ baseline }} is not null then
                ({{ actual }} - {{ baseline }}) / nullif({{ target }} - {{ baseline }}, 0)
            when {{ direction }} = 'lower_is_better' then
                case when {{ actual }} = 0 then {{ var('attainment_cap') }} else {{ target }} / {{ actual }} end
            else {{ actual }} / nullif({{ target }}, 0)
        end
    {%- endset -%}
    case when ({{ raw }}) is null then null else least(greatest({{ raw }}, 0), {{ var('attainment_cap') }}) end
{%- endmacro %}

{# Every record once per period it falls in: its month, quarter and year (periods cut on the local event_date). #}
{% macro by_period(records) -%}
    select *, 'month' as period_type, date_trunc('month', event_date)::date as period_start from {{ records }}
    union all
    select *, 'quarter', date_trunc('quarter', event_date)::date from {{ records }}
    union all
    select *, 'year', date_trunc('year', event_date)::date from {{ records }}
{%- endmacro %}
