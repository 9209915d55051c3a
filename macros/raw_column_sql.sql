{#-
    The one place where a raw view's column is built: `value_sql` is the column's text (trimmed,
    empty = null) read from one file of `table`. Every column of every raw view goes through here,
    so a rule for one column (say hashing personal data) wraps `value_sql` in this macro only.
-#}
{% macro raw_column_sql(table, column, value_sql) -%}
    {{ value_sql }} as {{ column }}
{%- endmacro %}
