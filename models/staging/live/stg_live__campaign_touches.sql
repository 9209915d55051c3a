with base as (
    select * from {{ ref('base_live__campaign_touches') }}
),

final as (
    select
        touch_id,
        campaign_id,
        user_id,
        channel,
        is_control,
        sent_at,
        opened_at,
        cast({{ to_business_timestamp('sent_at') }} as date) as sent_date
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
