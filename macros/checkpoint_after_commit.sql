{#-
    DuckDB only: a checkpoint once the model's transaction committed (an after-commit hook).
-#}
{% macro checkpoint_after_commit() -%}
    {%- if target.type == 'duckdb' -%}
        force checkpoint
    {%- endif -%}
{%- endmacro %}
