{#-
    An expression that stops the query with `message` (a SQL string expression, so it may join
    in counts) on the rows where `condition` holds, and is null elsewhere. Use it in a CTE that
    the model's result depends on (e.g. `where fail_when(...) is null`), so the engine cannot
    prune it. DuckDB `error()`, Spark `raise_error()`.
-#}
{% macro fail_when(condition, message) %}
    {{ return(adapter.dispatch('fail_when', 'livetier')(condition, message)) }}
{% endmacro %}

{% macro default__fail_when(condition, message) -%}
    case when {{ condition }} then error({{ message }}) end
{%- endmacro %}

{% macro spark__fail_when(condition, message) -%}
    case when {{ condition }} then raise_error({{ message }}) end
{%- endmacro %}
