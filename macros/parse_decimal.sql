{#- Parses contract money text (digits, optional sign and point; no exponent, separators or signs) to decimal(18,2), else null. -#}
{% macro parse_decimal(expr) -%}
    case when {{ regex_full_match(expr, "'^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$'") }}
        then cast({{ expr }} as decimal(18, 2)) end
{%- endmacro %}
