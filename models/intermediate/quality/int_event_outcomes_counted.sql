-- The raw events counted per business-date partition of base_live__events, raw file and outcome.
{#-
    int_raw_rows_outcomes_unioned sums these per file instead of counting every stored event on
    every run. Incremental on DuckDB (Spark rebuilds it), as the partition manifest
    stg_live__event_partitions: base_live__events rewrites whole partitions and stamps every row
    it writes with its run's `_loaded_at`, so a run counts only the rows loaded after the latest
    stored `loaded_at` (a literal bound the zone maps answer) and replaces those partitions. Every
    rewritten partition has rows here (set-aside rows are counted too), and a rebuilt base table
    empties this one first (pre-hook), so no count outlives its rows. Config: dbt_project.yml, one
    block with stg_live__event_partitions.
-#}
{%- set watermark = event_partitions_watermark() %}
with

events as (
    {{ event_rows_loaded_after(ref('base_live__events'), watermark) }}
),

outcomes as (
    select
        _partition_date as partition_date,
        _source_file as source_file,
        case
            when reject_reason is not null then 'set_aside'
            when is_duplicate then 'duplicate'
            else 'kept'
        end as outcome,
        _loaded_at
    from events
),

final as (
    select
        cast(partition_date as date) as partition_date,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(outcome as {{ dbt.type_string() }}) as outcome,
        cast(count(*) as bigint) as row_count,
        max(_loaded_at) as loaded_at
    from outcomes
    group by partition_date, source_file, outcome
)

select * from final
