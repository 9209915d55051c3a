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
        cast({{ to_business_timestamp('event_at') }} as date) as event_date,
        cast(extract(hour from {{ to_business_timestamp('event_at') }}) as integer) as event_hour
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
