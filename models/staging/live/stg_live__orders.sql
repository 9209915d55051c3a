with base as (
    select * from {{ ref('base_live__orders') }}
),

final as (
    select
        order_id,
        user_id,
        coupon_id,
        stream_id,
        status,
        coalesce(currency, 'CNY') as currency,
        amount,
        coalesce(discount_amount, 0) as discount_amount,
        ordered_at,
        paid_at,
        ordered_date,
        paid_date,
        ordered_hour,
        -- when base_live__orders last wrote the row (int_order_net_amounts_versioned recomputes
        -- the orders written since its own last run)
        _loaded_at
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
