with allocated as (
    select * from {{ ref('base_live__refunds_allocated') }}
),

final as (
    select
        refund_id,
        order_id,
        amount,
        refunded_at,
        cast({{ to_business_timestamp('refunded_at') }} as date) as refunded_date
    from allocated
    where reject_reason is null and not is_duplicate
)

select * from final
