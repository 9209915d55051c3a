{#-
    What each user bought per category in the 365 days to D: items of purchases dated in the
    window (days_before_as_of < window_365d_days), weighed by quantity x unit price. Items of
    unknown products or products without a category are left out. Read by top_category_365d
    (int_user_purchases_summarized) and by the purchase signal of category affinity.
-#}
with

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

order_items as (
    select * from {{ ref('stg_live__order_items') }}
),

products as (
    select * from {{ ref('stg_live__products') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

final as (
    select
        purchases.user_id,
        products.category,
        count(*) as purchased_items,
        sum(order_items.quantity * order_items.unit_price) as purchase_amount
    from purchases
    inner join order_items
        on purchases.order_id = order_items.order_id
    inner join products
        on order_items.product_id = products.product_id
    where
        purchases.days_before_as_of < {{ threshold('window_365d_days') }}
        and products.category is not null
    group by purchases.user_id, products.category
)

select * from final
