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
        cast({{ to_business_timestamp('ordered_at') }} as date) as ordered_date,
        cast({{ to_business_timestamp('paid_at') }} as date) as paid_date,
        cast(extract(hour from {{ to_business_timestamp('ordered_at') }}) as integer) as ordered_hour
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
