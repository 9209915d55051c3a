{#- Parses contract integer text (optional sign, digits, no fraction) to bigint, else null. -#}
{% macro parse_int(expr) -%}
    case when {{ regex_full_match(expr, "'^[+-]?[0-9]{1,18}$'") }}
        then cast({{ expr }} as bigint) end
{%- endmacro %}
