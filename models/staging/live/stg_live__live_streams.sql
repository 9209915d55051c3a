with base as (
    select * from {{ ref('base_live__live_streams') }}
),

final as (
    select
        stream_id,
        anchor_id,
        category,
        started_at,
        ended_at,
        cast({{ to_business_timestamp('started_at') }} as date) as started_date
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
