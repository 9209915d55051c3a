{#- The build clock as a UTC timestamp: var('build_clock') when set (reproducible builds), else now. -#}
{% macro build_clock() -%}
    {%- set pinned = var('build_clock', '') | string -%}
    {%- if pinned | trim -%}
        cast('{{ pinned | replace("T", " ") | replace("Z", "") }}' as timestamp)
    {%- else -%}
        {{ adapter.dispatch('utc_now', 'livetier')() }}
    {%- endif -%}
{%- endmacro %}

{% macro default__utc_now() -%}
    cast(now() at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro spark__utc_now() -%}
    to_utc_timestamp(current_timestamp(), current_timezone())
{%- endmacro %}
