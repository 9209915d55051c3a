{#-
    The rows of a raw table's files whose `_source_file` is not in `loaded_files` (an incremental
    model's read of new files only). DuckDB reads just those files, each by itself from the read
    plan: binding the view `raw.<table>` opens the footer of every file, seconds a night once a
    year of daily files has arrived. Spark filters the view by a literal list of names, which
    its reader prunes. With nothing loaded yet, the whole view.
-#}
{% macro raw_files_not_loaded(relation, table_name, loaded_files) -%}
    {%- if not loaded_files -%}
        select * from {{ relation }}
    {%- elif target.type == 'spark' -%}
        select * from {{ relation }}
        where _source_file not in (
            {%- for file in loaded_files %}{{ livetier.spark_string_literal(file) }}{{ ', ' if not loop.last }}{% endfor -%}
        )
    {%- else -%}
        {%- set plan_table = livetier.duckdb_raw_plan()['tables'] | selectattr('name', 'equalto', table_name) | first -%}
        {{ livetier.duckdb_raw_union(plan_table, skip_files=loaded_files) }}
    {%- endif -%}
{%- endmacro %}
