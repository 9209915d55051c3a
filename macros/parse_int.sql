{#-
    Parses contract integer text (optional sign, up to 18 digits) to bigint, else null. An integral
    value written as a float (`1995.0`, `3.00`, as pandas writes an integer column holding nulls)
    is accepted; a fraction (`1995.5`) or an exponent does not parse.
-#}
{% macro parse_int(expr) -%}
    case when {{ regex_full_match(expr, "'[+-]?[0-9]{1,18}([.]0*)?'") }}
        then cast(regexp_extract({{ expr }}, '^[+-]?[0-9]+', 0) as bigint) end
{%- endmacro %}
