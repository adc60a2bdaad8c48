{# Incremental marts by affected period (see fct_kpi_values).

   kpi_month_digests(): per KPI and month, the count and a digest of the attributed records (who, which unit, which
   day, which numbers), plus one row '__org__' digesting the org tree and the KPI catalogue's measures (a change
   there changes values without any record changing). Equal digests: the month's values come out the same. #}
{% macro row_digest(columns) -%}
    {{ return(adapter.dispatch('row_digest')(columns)) }}
{%- endmacro %}

{% macro default__row_digest(columns) -%}
    cast(xxhash64({{ columns | join(', ') }}) as decimal(38, 0))
{%- endmacro %}

{% macro duckdb__row_digest(columns) -%}
    cast(hash({{ columns | join(', ') }}) as decimal(38, 0))
{%- endmacro %}

{% macro kpi_month_digests() -%}
    select kpi_key, cast({{ dbt.date_trunc('month', 'event_date') }} as date) as month, count(*) as records,
           sum({{ row_digest(['source', 'record_id', 'employee_id', 'org_unit_id', 'event_date', 'numerator',
                              'denominator', 'value']) }}) as digest
    from {{ ref('int_kpi_events') }}
    where employee_id is not null
    group by 1, 2
    union all
    select '__org__', cast('1900-01-01' as date), count(*),
           sum({{ row_digest(['subtree.ancestor_id', 'subtree.descendant_id']) }})
           + (select sum({{ row_digest(['kpi_key', 'measure']) }}) from {{ ref('kpi_catalogue') }})
    from {{ ref('int_org_subtree') }} as subtree
{%- endmacro %}

{# The (kpi_key, period_type, period_start) whose values must be recomputed: the months whose digest differs from
   the one the table was last built from (kept in `digests`), with their quarters and years; every period when the
   org tree or the catalogue changed. #}
{% macro kpi_affected_periods(digests) -%}
    with now_digests as (select * from {{ kpi_values_now() }}),
    changed as (
        select coalesce(now_digests.kpi_key, built.kpi_key) as kpi_key, coalesce(now_digests.month, built.month) as month
        from now_digests
        full outer join {{ digests }} as built
            on built.kpi_key = now_digests.kpi_key and built.month = now_digests.month
        where now_digests.records is distinct from built.records or now_digests.digest is distinct from built.digest
    ),
    months as (
        select kpi_key, month from changed where kpi_key <> '__org__'
        union
        -- the org tree or the catalogue changed: every month of every KPI
        select kpi_key, month from now_digests
        where kpi_key <> '__org__' and exists (select 1 from changed where kpi_key = '__org__')
        union
        select kpi_key, month from {{ digests }}
        where kpi_key <> '__org__' and exists (select 1 from changed where kpi_key = '__org__')
    )
    select distinct kpi_key, 'month' as period_type, cast(month as date) as period_start from months
    union
    select distinct kpi_key, 'quarter', cast({{ dbt.date_trunc('quarter', 'month') }} as date) from months
    union
    select distinct kpi_key, 'year', cast({{ dbt.date_trunc('year', 'month') }} as date) from months
{%- endmacro %}

{# fct_kpi_values' build mode: 'full' (a first build or --full), 'since' (a backfill), 'periods' (the affected
   periods only), 'all' (incremental, but no digests to compare with: every period recomputed). #}
{% macro kpi_values_mode() -%}
    {#- a unit test renders the hooks without a relation: it builds from its fixtures, as a full build -#}
    {%- if this is none or not execute or not is_incremental() -%}{{ return('full') }}{%- endif -%}
    {%- if var('rebuild_since', '') -%}{{ return('since') }}{%- endif -%}
    {%- if kpi_values_digests() is none -%}{{ return('all') }}{%- endif -%}
    {{ return('periods') }}
{%- endmacro %}

{% macro kpi_values_digests() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(database=this.database, schema='intermediate',
                                   identifier='fct_kpi_values__built_from')) }}
{%- endmacro %}

{% macro kpi_values_ended_before_since() -%}
    {{ dbt.dateadd("month", "case period_type when 'quarter' then 3 when 'year' then 12 else 1 end", 'period_start') }}
        <= cast('{{ var("rebuild_since") }}' as date)
{%- endmacro %}

{# The digests of what the build is made from, computed once by the pre-hook (the pass over every event is the
   costly part) and read by the model and the post-hook. #}
{% macro kpi_values_now() -%}
    {{ this.database }}.intermediate.fct_kpi_values__now
{%- endmacro %}

{# pre-hook: the digests now, then remove the rows the build recomputes (none on a full build: the table is new) #}
{% macro kpi_values_delete_recomputed() -%}
    {%- if this is none -%}{{ return('select 1') }}{%- endif -%}
    create or replace table {{ kpi_values_now() }} as {{ kpi_month_digests() }};
    {%- set mode = kpi_values_mode() -%}
    {%- if mode == 'periods' -%}
        delete from {{ this }} as kept
        where exists (select 1 from ({{ kpi_affected_periods(kpi_values_digests()) }}) as affected
                      where affected.kpi_key = kept.kpi_key and affected.period_type = kept.period_type
                        and affected.period_start = kept.period_start)
    {%- elif mode == 'since' -%}
        delete from {{ this }} where not ({{ kpi_values_ended_before_since() }})
    {%- elif mode == 'all' -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{# post-hook: what the table is now built from; a backfill kept old periods as they were, so it leaves no digests
   and the next refresh recomputes every period #}
{% macro kpi_values_keep_digests() -%}
    {%- if this is none -%}{{ return('select 1') }}{%- endif -%}
    {%- if kpi_values_mode() == 'since' -%}
        drop table if exists {{ this.database }}.intermediate.fct_kpi_values__built_from;
    {%- else -%}
        create or replace table {{ this.database }}.intermediate.fct_kpi_values__built_from as
        select * from {{ kpi_values_now() }};
    {%- endif %}
    drop table if exists {{ kpi_values_now() }}
{%- endmacro %}
