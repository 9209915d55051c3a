{#-
    var business_timezone, checked against the IANA time zone names (pytz), or a compile error
    in one sentence: only a known name (letters, digits, `/`, `_`, `+`, `-`) reaches SQL text.
-#}
{% macro business_timezone() -%}
    {%- set value = var('business_timezone', 'Asia/Shanghai') | string | trim -%}
    {%- if value not in modules.pytz.all_timezones_set
        or modules.re.fullmatch('[A-Za-z0-9/_+-]+', value) is none -%}
        {{ exceptions.raise_compiler_error(
            "var business_timezone must be an IANA time zone name such as Asia/Shanghai (got \""
            ~ (value[:40] | replace("\n", " ")) ~ "\")."
        ) }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}
