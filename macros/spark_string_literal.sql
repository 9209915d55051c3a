{#- A Spark SQL string literal of `text` (Spark reads backslash escapes inside quotes). -#}
{% macro spark_string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
