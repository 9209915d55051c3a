-- The incremental manifest of the events: one row per business-date partition of the base table.
{#-
    Incremental on DuckDB (Spark rebuilds it). base_live__events rewrites whole partitions and
    stamps every row it writes with its run's `_loaded_at`, so the partitions written since this
    table's last run are exactly those with rows loaded after its latest `loaded_at`: a run counts
    only those rows (a literal bound, answered from the zone maps of `_loaded_at` without reading
    the older row groups) and replaces their partitions. A rebuilt base table (every row loaded
    after this table's last run) empties this one first (pre-hook), so no partition outlives it.
    Config: dbt_project.yml, one block with int_event_outcomes_counted.
-#}
{%- set watermark = event_partitions_watermark() %}
with

base as (
    {{ event_rows_loaded_after(ref('base_live__events'), watermark) }}
),

final as (
    select
        _partition_date as partition_date,
        count(*) as raw_rows,
        sum(case when reject_reason is null and not is_duplicate then 1 else 0 end) as kept_rows,
        max(_loaded_at) as loaded_at
    from base
    group by _partition_date
)

select * from final
