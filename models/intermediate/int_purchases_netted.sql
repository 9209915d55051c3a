with

order_net_amounts as (
    select * from {{ ref('int_order_net_amounts_versioned') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- the version of each order that holds on D
orders_as_of as (
    select
        order_net_amounts.*,
        as_of.as_of_date
    from order_net_amounts
    cross join as_of
    where
        order_net_amounts.valid_from_date <= as_of.as_of_date
        and (order_net_amounts.valid_to_date is null or order_net_amounts.valid_to_date > as_of.as_of_date)
),

-- the spec's purchase: placed and paid by D, not cancelled, net amount as of D above zero
purchases as (
    select *
    from orders_as_of
    where
        ordered_date <= as_of_date
        and paid_date <= as_of_date
        and status <> 'cancelled'
        and net_amount > 0
),

final as (
    select
        order_id,
        user_id,
        stream_id,
        coupon_id,
        status,
        amount,
        discount_amount,
        refunded_amount,
        net_amount,
        coupon_id is not null or discount_amount > 0 as has_discount,
        ordered_at,
        paid_at,
        ordered_date,
        paid_date,
        as_of_date,
        {{ dbt.datediff('paid_date', 'as_of_date', 'day') }}
            as days_before_as_of
    from purchases
)

select * from final
