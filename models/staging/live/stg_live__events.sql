with base as (
    select * from {{ ref('base_live__events') }}
),

final as (
    select
        event_id,
        user_id,
        event_type,
        stream_id,
        product_id,
        event_value,
        text_hash is not null as has_text,
        text_hash,
        event_at,
        -- business date and hour, computed once in the base model (its partition key)
        event_date,
        event_hour
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
