{#-
    Post-hook of a history mart (DuckDB only: Spark rebuilds the marts): logs this run (the mart, the run's start, D and the
    first period end it recomputed, 1900-01-01 for all) in int_history_runs_logged.
-#}
{% macro log_history_run() -%}
    {%- if execute and this is not none and target.type != 'spark' -%}
        {%- set from_date = history_recompute_from() -%}
        {{ log_mart_run(from_date if from_date is not none else '1900-01-01') }}
    {%- endif -%}
{%- endmacro %}

{#-
    Post-hook of a public mart kept incrementally on DuckDB (the history marts, anchor_fans,
    stream_minute_kpis): one row in int_history_runs_logged for this run (the mart, the run's
    start, D, and `recomputed_from`: a date string, or none for a mart not kept by date). The
    marts carry no bookkeeping column: the next run reads its watermark here.
-#}
{% macro log_mart_run(recomputed_from=none) -%}
    {%- if execute and this is not none and target.type != 'spark' -%}
        insert into {{ ref('int_history_runs_logged') }} (model_name, logged_at, as_of_date, recomputed_from)
        select
            '{{ this.name }}',
            {{ run_stamp() }},
            max(as_of_date),
            {{ "cast('" ~ recomputed_from ~ "' as date)" if recomputed_from is not none else "cast(null as date)" }}
        from {{ ref('int_as_of_date') }}
    {%- endif -%}
{%- endmacro %}

{#-
    The start of the mart's last run logged in int_history_runs_logged (log_mart_run), as
    timestamp text read once at run time, for a filter written as a literal: on a table written
    in load order the scan then skips the row groups written before it. none (no literal: the
    mart's own join to the log decides alone) when not executing, in a unit test, on Spark, on a
    full refresh, before the log exists and when the mart has no logged run.
-#}
{% macro mart_last_run_at() -%}
    {%- if not execute or model.resource_type == 'unit_test' or target.type == 'spark' or flags.FULL_REFRESH
            or load_relation(ref('int_history_runs_logged')) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(max(logged_at) as {{ dbt.type_string() }})
        from {{ ref('int_history_runs_logged') }}
        where model_name = '{{ this.name }}'
    {%- endset -%}
    {{ return(run_query(query).rows[0][0]) }}
{%- endmacro %}
