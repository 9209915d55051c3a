{#-
    Run first in `on-run-start`: checks every var that reaches SQL text (as_of_date, build_clock,
    business_timezone, history_period, lookback_days, restate_history) and stops a plain `dbt build` with one
    sentence before any hook or model runs. The CLI checks the same settings in Python
    (`livetier/settings.py`) before it starts dbt at all. Renders no SQL.
-#}
{% macro validate_settings() -%}
    {%- do setting_date(var('as_of_date', ''), 'var as_of_date (env AS_OF_DATE)') -%}
    {%- if var('build_clock', '') | string | trim -%}
        {%- do setting_timestamp(var('build_clock'), 'var build_clock (env BUILD_CLOCK)') -%}
    {%- endif -%}
    {%- do business_timezone() -%}
    {%- if (var('history_period', 'week') | string | trim | lower) not in ['week', 'month'] -%}
        {{ exceptions.raise_compiler_error(
            "var history_period must be week or month (got \"" ~ ((var('history_period') | string)[:40] | replace("\n", " ")) ~ "\")."
        ) }}
    {%- endif -%}
    {%- do restate_history() -%}
    {%- set lookback = var('lookback_days', 3) -%}
    {%- if lookback is not number or lookback is not integer or lookback < 1 -%}
        {{ exceptions.raise_compiler_error(
            "var lookback_days must be a whole number of days, at least 1 (got \"" ~ ((lookback | string)[:40] | replace("\n", " ")) ~ "\")."
        ) }}
    {%- endif -%}
{%- endmacro %}
