{#-
    The start of this dbt run as a timestamp literal: the `_loaded_at` / `_changed_at` stamp every
    incremental model writes on its new rows, and the value a later statement of the same run
    compares them with. The same text for every model of one run (dbt's run_started_at, UTC).
-#}
{% macro run_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}
