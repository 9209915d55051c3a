{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key='partition_date',
        pre_hook="{{ delete_event_partitions_if_rebuilt() }}",
        on_schema_change='fail',
    )
}}
-- The incremental manifest of the events: one row per business-date partition of the base table.
{#-
    Incremental on DuckDB (Spark rebuilds it). base_live__events rewrites whole partitions and
    stamps every row it writes with its run's `_loaded_at`, so the partitions written since this
    table's last run are exactly those with rows loaded after its latest `loaded_at`: a run counts
    only those rows (a literal bound, answered from the zone maps of `_loaded_at` without reading
    the older row groups) and replaces their partitions. A rebuilt base table (every row loaded
    after this table's last run) empties this one first (pre-hook), so no partition outlives it.
-#}
{%- set watermark = event_partitions_watermark() %}
with

base as (
    select * from {{ ref('base_live__events') }}
    {%- if watermark is not none %}
    where _loaded_at > cast('{{ watermark }}' as timestamp)
    {%- endif %}
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
