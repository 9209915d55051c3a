{#- The wall-clock time in var('business_timezone') (checked by `business_timezone()`) of a UTC timestamp without zone. -#}
{% macro to_business_timestamp(expr) %}
    {{ return(adapter.dispatch('to_business_timestamp', 'livetier')(expr)) }}
{% endmacro %}

{% macro default__to_business_timestamp(expr) -%}
    cast(({{ expr }} at time zone 'UTC') at time zone '{{ business_timezone() }}' as timestamp)
{%- endmacro %}

{% macro spark__to_business_timestamp(expr) -%}
    from_utc_timestamp({{ expr }}, '{{ business_timezone() }}')
{%- endmacro %}
