-- Every raw event with its parsed values, the first contract check it fails and its copy rank.
with source as (
    select * from {{ source('live', 'events') }}
),

parsed as (
    select
        event_id,
        user_id,
        event_type,
        stream_id,
        product_id,
        {{ pii_hash('text') }} as text_hash,
        event_at as event_at_text,
        value as value_text,
        _source_file,
        {{ parse_timestamp('event_at') }} as event_at,
        {{ parse_decimal('value') }} as event_value
    from source
),

checked as (
    select
        *,
        case
            when event_id is null then 'missing_key'
            when user_id is null then 'missing_user_id'
            when event_type is null or event_at_text is null then 'missing_value'
            when event_at is null or (value_text is not null and event_value is null) then 'unparseable'
            when event_type not in (
                'enter_room', 'leave_room', 'like', 'comment', 'share', 'follow', 'gift',
                'product_impression', 'product_click', 'add_to_cart', 'favorite', 'coupon_claim'
            ) then 'unknown_event_type'
            when event_at > {{ build_clock() }} + interval 1 day then 'future_timestamp'
        end as reject_reason
    from parsed
),

final as (
    select
        *,
        {{ copy_rank(['event_id'], ['user_id', 'event_type', 'event_at_text', 'stream_id', 'product_id',
            'value_text', 'text_hash']) }} > 1
        and reject_reason is null as is_duplicate
    from checked
)

select * from final
