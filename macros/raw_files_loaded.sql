{#-
    An incremental model that reads a raw table file by file and keeps each row's file and that
    file's content hash when it was read (`_source_file`, `_source_sha256`, from `raw._files`):
    base_live__orders, base_live__order_items on DuckDB. Returns what its next run reads:
    - `loaded`: the files already in the table (the run reads only the others);
    - `rebuild`: true when a stored file is no longer in `raw._files` with the same hash (removed,
      or rewritten: a snapshot export delivered whole each night) or the table predates
      `_source_sha256`. Then the run reads every file as a full build does, and the pre-hook
      `delete_rows_if_raw_files_changed` empties the table first.
    On a full build (or at parse time): nothing loaded, no rebuild.
-#}
{% macro raw_files_loaded(table_name) %}
    {%- set state = {'loaded': [], 'rebuild': false} -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(state) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if '_source_sha256' not in columns -%}
        {%- do state.update({'rebuild': true}) -%}
        {{ return(state) }}
    {%- endif -%}
    {%- if livetier.raw_files_manifest() is none -%}
        {%- do state.update({'rebuild': true}) -%}
        {{ return(state) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select stored._source_file, count(current.source_file) = 0 as is_changed"
        ~ " from (select distinct _source_file, _source_sha256 from " ~ this ~ ") as stored"
        ~ " left join raw._files as current"
        ~ " on current.raw_table = " ~ livetier.sql_string_literal(table_name)
        ~ " and current.source_file = stored._source_file and current.sha256 = stored._source_sha256"
        ~ " group by stored._source_file order by 1"
    ) -%}
    {%- for row in rows -%}
        {%- do state['loaded'].append(row[0]) -%}
        {%- if row[1] -%}
            {%- do state.update({'rebuild': true}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if state['rebuild'] -%}
        {%- do state.update({'loaded': []}) -%}
    {%- endif -%}
    {{ return(state) }}
{% endmacro %}

{#-
    The pre-hook of such a model: empties the stored table before a run that rebuilds it
    (`raw_files_loaded(table_name)['rebuild']`), so that no row of a removed or rewritten file
    stays. Nothing on a full build.
-#}
{% macro delete_rows_if_raw_files_changed(table_name) -%}
    {%- if execute and this is not none and is_incremental() and livetier.raw_files_loaded(table_name)['rebuild'] -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- The view `raw._files` (the pre-pass manifest) when registered in this database, else none. -#}
{% macro raw_files_manifest() %}
    {{ return(adapter.get_relation(database=target.database, schema='raw', identifier='_files')) }}
{% endmacro %}

{#-
    A relation `(source_file, sha256)` of the raw files of `table_name` as the pre-pass found them
    (DuckDB, from `raw._files`), for a model to stamp each row with its file's content hash: a
    list of values, so that the rows join it by hash (a per-file CASE over 365 daily files
    compares each row 365 times). Empty on Spark (whose models are rebuilt whole) and wherever
    the manifest is not registered (parsing, linting).
-#}
{% macro raw_file_hashes(table_name) %}
    {%- set pairs = [] -%}
    {%- if execute and target.type == 'duckdb' and livetier.raw_files_manifest() is not none -%}
        {%- for row in run_query("select source_file, sha256 from raw._files where raw_table = "
                ~ livetier.sql_string_literal(table_name) ~ " and sha256 is not null order by 1") -%}
            {%- do pairs.append('(' ~ livetier.sql_string_literal(row[0]) ~ ', '
                ~ livetier.sql_string_literal(row[1]) ~ ')') -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if pairs -%}
        (select * from (values {{ pairs | join(', ') }}) as file_hashes (source_file, sha256))
    {%- else -%}
        (select cast(null as {{ dbt.type_string() }}) as source_file, cast(null as {{ dbt.type_string() }}) as sha256
            where 1 = 0)
    {%- endif -%}
{% endmacro %}
