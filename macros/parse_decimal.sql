{#-
    Parses contract money text (digits, optional sign and point; no exponent, separators or signs) to
    decimal(18,2), rounded half away from zero, else null; too large for decimal(18,2) is null too
    (`try_cast`: a plain cast stops the whole build on DuckDB and gives null on Spark).
-#}
{% macro parse_decimal(expr) -%}
    case when {{ regex_full_match(expr, "'^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$'") }}
        then try_cast({{ expr }} as decimal(18, 2)) end
{%- endmacro %}
