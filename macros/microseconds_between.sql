{#-
    Exact microseconds from timestamp `start_expr` to timestamp `end_expr` (UTC timestamps
    without zone), a bigint. dbt.datediff(..., 'second') counts second boundaries crossed
    (0.2 s across a boundary is 1), so exact lengths go through the epoch in microseconds.
-#}
{% macro microseconds_between(start_expr, end_expr) %}
    {{ return(adapter.dispatch('microseconds_between', 'livetier')(start_expr, end_expr)) }}
{% endmacro %}

{% macro default__microseconds_between(start_expr, end_expr) -%}
    (epoch_us({{ end_expr }}) - epoch_us({{ start_expr }}))
{%- endmacro %}

{% macro spark__microseconds_between(start_expr, end_expr) -%}
    (unix_micros(cast({{ end_expr }} as timestamp)) - unix_micros(cast({{ start_expr }} as timestamp)))
{%- endmacro %}
