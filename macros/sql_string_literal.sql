{#- A DuckDB / standard SQL string literal of `text`: quotes doubled, backslashes kept as they are. -#}
{% macro sql_string_literal(text) -%}
    '{{ text | string | replace("'", "''") }}'
{%- endmacro %}
