{#-
    Parses contract money text (digits, optional sign and point; no exponent, separators or signs) to
    decimal(18,2), else null. Money has two decimals: a value with a third non-zero decimal (`1.005`)
    does not parse (null: set aside as unparseable, never rounded); trailing zeros past the second
    (`1.500`) change no value and are accepted. Too large for decimal(18,2) is null too (`try_cast`:
    a plain cast stops the whole build on DuckDB and gives null on Spark).
-#}
{% macro parse_decimal(expr) -%}
    case when {{ regex_full_match(expr, "'[+-]?([0-9]+([.][0-9]{0,2}0*)?|[.][0-9]{1,2}0*)'") }}
        then try_cast({{ expr }} as decimal(18, 2)) end
{%- endmacro %}
