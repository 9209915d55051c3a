{#-
    Exact microseconds from timestamp `start_expr` to timestamp `end_expr` (UTC timestamps
    without zone), a bigint. dbt.datediff(..., 'second') counts second boundaries crossed
    (0.2 s across a boundary is 1), so exact lengths go through the epoch in microseconds.
-#}
{% macro microseconds_between(start_expr, end_expr) -%}
    ({{ epoch_microseconds(end_expr) }} - {{ epoch_microseconds(start_expr) }})
{%- endmacro %}

{#-
    Microseconds since the epoch of timestamp `expr` (UTC, without zone), a bigint: an order key
    on which a window's RANGE frame can step by one microsecond (the instants strictly after
    the current row's are those 1 or more following).
-#}
{% macro epoch_microseconds(expr) %}
    {{ return(adapter.dispatch('epoch_microseconds', 'livetier')(expr)) }}
{% endmacro %}

{% macro default__epoch_microseconds(expr) -%}
    epoch_us({{ expr }})
{%- endmacro %}

{% macro spark__epoch_microseconds(expr) -%}
    unix_micros(cast({{ expr }} as timestamp))
{%- endmacro %}
