{#- The wall-clock time in var('business_timezone') of a UTC timestamp without zone. -#}
{% macro to_business_timestamp(expr) %}
    {{ return(adapter.dispatch('to_business_timestamp', 'livetier')(expr)) }}
{% endmacro %}

{% macro default__to_business_timestamp(expr) -%}
    cast(({{ expr }} at time zone 'UTC') at time zone '{{ var("business_timezone") }}' as timestamp)
{%- endmacro %}

{% macro spark__to_business_timestamp(expr) -%}
    from_utc_timestamp({{ expr }}, '{{ var("business_timezone") }}')
{%- endmacro %}
