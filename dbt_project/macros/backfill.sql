{#
  A backfill (`northstar refresh --since DAY`, var rebuild_since) rebuilds only what ends on or after DAY: rows of
  `new_rows` for which `ended_before` holds (a condition on the model's columns, `{since}` standing for DAY) keep
  the values the model's table held before the build. Without a backfill, or on a first build, the model is built
  whole. `new_rows` must yield the model's columns in its contract's order.
#}
{% macro keep_before_backfill(new_rows, ended_before) -%}
    {%- set since = var('rebuild_since', '') -%}
    {%- set existing = load_relation(this) if (since and execute and this is not none) else none -%}
    {%- if since and existing is not none -%}
        {%- set condition = 'coalesce(' ~ (ended_before | replace('{since}', "cast('" ~ since ~ "' as date)")) ~ ', false)' -%}
select * from {{ this }} where {{ condition }}
union all
select * from {{ new_rows }} where not {{ condition }}
    {%- else -%}
select * from {{ new_rows }}
    {%- endif -%}
{%- endmacro %}
