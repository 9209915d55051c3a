{#- A day-time interval of `minutes` (an integer expression) minutes, to add to or subtract from a timestamp. -#}
{% macro minutes_interval(minutes) %}
    {{ return(adapter.dispatch('minutes_interval', 'livetier')(minutes)) }}
{% endmacro %}

{% macro default__minutes_interval(minutes) -%}
    to_minutes(cast({{ minutes }} as integer))
{%- endmacro %}

{% macro spark__minutes_interval(minutes) -%}
    make_dt_interval(0, 0, cast({{ minutes }} as integer), 0)
{%- endmacro %}
