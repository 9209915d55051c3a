{#-
    The value of `value_expression` on the row where `order_columns` (a list, compared in
    order: the first decides, the next break ties) are greatest: one aggregate instead of a
    row_number() window sorted within each group. A null value is returned as it is (DuckDB's
    max_by skips rows whose value is null; arg_max_null does not, like Spark's max_by).
-#}
{% macro value_at_max(value_expression, order_columns) -%}
    {{ return(adapter.dispatch('value_at_max', 'livetier')(value_expression, order_columns)) }}
{%- endmacro %}

{% macro default__value_at_max(value_expression, order_columns) -%}
    max_by({{ value_expression }}, struct({{ order_columns | join(', ') }}))
{%- endmacro %}

{% macro duckdb__value_at_max(value_expression, order_columns) -%}
    arg_max_null({{ value_expression }}, row({{ order_columns | join(', ') }}))
{%- endmacro %}
