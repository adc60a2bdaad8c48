{# A number typed into a file, or null when it is not finite: older loads may hold inf or nan in raw (the inbox
   rejects them now), and one such cell would fail every later cast to DECIMAL. NaN and ±inf compare outside
   this range on DuckDB and Spark alike; the audit names every such cell (suite hand_entered_values). #}
{% macro finite_or_null(expr) -%}
    case when {{ expr }} between -1.0e308 and 1.0e308 then {{ expr }} end
{%- endmacro %}
