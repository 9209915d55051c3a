{#-
    m of an incremental event model, read once at run time as date text: the earliest of the start
    of its lookback (incremental_watermark on `date_column`) and the earliest events partition
    written since its last run (stg_live__event_partitions), and with `also_rewritten` (a relation
    with `_loaded_at`) the earliest `rewritten_date_column` of its rows written since then, as
    changed_dates_since_watermark counts them. A literal lets the filter on the
    events' date reach the scan of the base table: compared with a CTE's value, every event is
    read first. none on a full build (every date). The model must ref stg_live__event_partitions
    (a `-- depends_on:` line).
-#}
{% macro recount_start_date(date_column, also_rewritten=none, rewritten_date_column=none) -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with

        event_partitions as (
            select * from {{ ref('stg_live__event_partitions') }}
        ),

        watermark as (
            {{ incremental_watermark(date_column) }}
        ),
        {%- if also_rewritten is not none %}

        rewritten as (
            select * from {{ also_rewritten }}
        ),
        {%- endif %}

        changed_dates as (
            {{ changed_dates_since_watermark(
                also_rewritten=('rewritten' if also_rewritten is not none else none),
                rewritten_date_column=rewritten_date_column
            ) }}
        )

        select
            cast(least(
                watermark.lookback_start_date,
                (select min(changed_dates.changed_date) from changed_dates)
            ) as {{ dbt.type_string() }}) as start_date
        from watermark
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}
