{#-
    A timestamp setting (`text`, e.g. var build_clock) as canonical UTC text
    `YYYY-MM-DD HH:MM:SS.ffffff`, or a compile error in one sentence naming `setting`.

    Accepted: the contract's timestamp form (date, optional `T`/space time with optional seconds
    and fraction, offset `Z`, `+HH:MM`, `+HHMM`, `+HH` or none = UTC), years 1000-9998, a real
    calendar date. The fraction is cut to microseconds. The result is rebuilt from numbers, so
    nothing of the input reaches SQL text (no quote, no injection). `livetier/settings.py` applies
    the same rule before dbt starts; this copy guards plain `dbt build`.
-#}
{% macro setting_timestamp(text, setting) -%}
    {%- set value = text | string | trim -%}
    {%- set pattern = '([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.]([0-9]+))?)?(?:(Z)|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?' -%}
    {%- set match = modules.re.fullmatch(pattern, value) -%}
    {%- set problem = [] -%}
    {%- if match is none -%}
        {%- do problem.append('it is not of the form YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM]') -%}
    {%- else -%}
        {%- set year = match.group(1) | int -%}
        {%- set month = match.group(2) | int -%}
        {%- set day = match.group(3) | int -%}
        {%- set hour = (match.group(4) or '0') | int -%}
        {%- set minute = (match.group(5) or '0') | int -%}
        {%- set second = (match.group(6) or '0') | int -%}
        {%- set micro = ((match.group(7) or '') ~ '000000')[:6] | int -%}
        {%- set offset_hour = (match.group(10) or '0') | int -%}
        {%- set offset_minute = (match.group(11) or '0') | int -%}
        {%- set is_leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
        {%- set month_days = [31, 29 if is_leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- if year < 1000 or year > 9998 -%}
            {%- do problem.append('the year must be between 1000 and 9998') -%}
        {%- elif month < 1 or month > 12 or day < 1 or day > month_days[month - 1] -%}
            {%- do problem.append('that day does not exist') -%}
        {%- elif hour > 23 or minute > 59 or second > 59 or offset_hour > 23 or offset_minute > 59 -%}
            {%- do problem.append('the time of day or the offset is out of range') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(
            setting ~ " must be an ISO-8601 timestamp such as 2025-04-20T00:00:00Z, but "
            ~ problem[0] ~ " (got \"" ~ (value[:40] | replace("\n", " ")) ~ "\")."
        ) }}
    {%- endif -%}
    {%- set sign = -1 if match.group(9) == '-' else 1 -%}
    {%- set local = modules.datetime.datetime(year, month, day, hour, minute, second, micro) -%}
    {%- set utc = local - modules.datetime.timedelta(minutes=sign * (offset_hour * 60 + offset_minute)) -%}
    {{- return(utc.isoformat(sep=' ', timespec='microseconds')) -}}
{%- endmacro %}
