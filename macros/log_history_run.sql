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
            cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp),
            max(as_of_date),
            {{ "cast('" ~ recomputed_from ~ "' as date)" if recomputed_from is not none else "cast(null as date)" }}
        from {{ ref('int_as_of_date') }}
    {%- endif -%}
{%- endmacro %}
