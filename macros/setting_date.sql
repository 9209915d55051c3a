{#-
    A date setting (`text`, e.g. var as_of_date) as `YYYY-MM-DD` text, empty when `text` is
    empty, or a compile error in one sentence naming `setting`: the form YYYY-MM-DD and a real
    calendar date (`2025-13-01`, `2025-02-30` fail). The result is rebuilt from numbers, so
    nothing of the input reaches SQL text. `livetier/settings.py` applies the same rule first.
-#}
{% macro setting_date(text, setting) -%}
    {%- set value = text | string | trim -%}
    {%- if value == '' -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set match = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})', value) -%}
    {%- set is_real = false -%}
    {%- if match is not none -%}
        {%- set year = match.group(1) | int -%}
        {%- set month = match.group(2) | int -%}
        {%- set day = match.group(3) | int -%}
        {%- set is_leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
        {%- set month_days = [31, 29 if is_leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- set is_real = year >= 1 and month >= 1 and month <= 12 and day >= 1 and day <= month_days[month - 1] -%}
    {%- endif -%}
    {%- if not is_real -%}
        {{ exceptions.raise_compiler_error(
            setting ~ " must be a real calendar date written YYYY-MM-DD, such as 2025-03-31 (got \""
            ~ (value[:40] | replace("\n", " ")) ~ "\")."
        ) }}
    {%- endif -%}
    {{- return('%04d-%02d-%02d' | format(year, month, day)) -}}
{%- endmacro %}
