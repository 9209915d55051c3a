-- The incremental manifest of the events: one row per business-date partition of the base table.
with base as (
    select * from {{ ref('base_live__events') }}
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
