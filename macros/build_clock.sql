{#-
    The build clock as a UTC timestamp: var('build_clock') when set (reproducible builds), else now.
    The var goes through `setting_timestamp()`: an offset is honoured, anything that is not a real
    timestamp stops the build in one sentence, and only the canonical text rebuilt from its numbers
    reaches SQL.
-#}
{% macro build_clock() -%}
    {%- set pinned = var('build_clock', '') | string | trim -%}
    {%- if pinned -%}
        cast('{{ setting_timestamp(pinned, "var build_clock (env BUILD_CLOCK)") }}' as timestamp)
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
