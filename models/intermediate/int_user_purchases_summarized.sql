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

purchases_windowed as (
    select
        *,
        days_before_as_of < {{ threshold('window_30d_days') }} as is_in_30d,
        days_before_as_of < {{ threshold('window_90d_days') }} as is_in_90d,
        days_before_as_of < {{ threshold('window_365d_days') }} as is_in_365d
    from purchases
),

purchase_totals as (
    select
        user_id,
        max(as_of_date) as as_of_date,
        sum(case when is_in_30d then 1 else 0 end) as purchases_30d,
        sum(case when is_in_90d then 1 else 0 end) as purchases_90d,
        sum(case when is_in_365d then 1 else 0 end) as purchases_365d,
        sum(case when is_in_30d then net_amount else 0 end) as net_gmv_30d,
        sum(case when is_in_90d then net_amount else 0 end) as net_gmv_90d,
        sum(case when is_in_365d then net_amount else 0 end) as net_gmv_365d,
        sum(case when is_in_365d and has_discount then 1 else 0 end) as discounted_purchases_365d,
        count(*) as lifetime_purchases,
        sum(net_amount) as lifetime_net_gmv,
        min(paid_date) as first_purchase_date,
        max(paid_date) as last_purchase_date
    from purchases_windowed
    group by user_id
),

-- "buy till you die" inputs work per purchase date: same-day purchases are one
purchase_dates as (
    select
        user_id,
        paid_date,
        sum(net_amount) as net_amount
    from purchases
    group by user_id, paid_date
),

purchase_dates_summarized as (
    select
        purchase_dates.user_id,
        count(*) as purchase_dates,
        sum(
            case when purchase_dates.paid_date > purchase_totals.first_purchase_date then purchase_dates.net_amount end
        ) as repeat_dates_net_amount
    from purchase_dates
    inner join purchase_totals
        on purchase_dates.user_id = purchase_totals.user_id
    group by purchase_dates.user_id
),

-- top category over 365 days: items weighed by quantity x unit price; items of unknown
-- products have no category and are left out
category_weights as (
    select
        purchases_windowed.user_id,
        products.category,
        sum(order_items.quantity * order_items.unit_price) as category_amount
    from purchases_windowed
    inner join order_items
        on purchases_windowed.order_id = order_items.order_id
    inner join products
        on order_items.product_id = products.product_id
    where
        purchases_windowed.is_in_365d
        and products.category is not null
    group by purchases_windowed.user_id, products.category
),

category_weights_ranked as (
    select
        *,
        max(category_amount) over (partition by user_id) as top_category_amount
    from category_weights
),

-- ties go to the alphabetically first category
top_categories as (
    select
        user_id,
        min(category) as top_category_365d
    from category_weights_ranked
    where category_amount = top_category_amount
    group by user_id
),

final as (
    select
        purchase_totals.user_id,
        cast(purchase_totals.purchases_30d as integer) as purchases_30d,
        cast(purchase_totals.purchases_90d as integer) as purchases_90d,
        cast(purchase_totals.purchases_365d as integer) as purchases_365d,
        cast(purchase_totals.net_gmv_30d as decimal(18, 2)) as net_gmv_30d,
        cast(purchase_totals.net_gmv_90d as decimal(18, 2)) as net_gmv_90d,
        cast(purchase_totals.net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(purchase_totals.discounted_purchases_365d as integer) as discounted_purchases_365d,
        cast(purchase_totals.lifetime_purchases as integer) as lifetime_purchases,
        cast(purchase_totals.lifetime_net_gmv as decimal(18, 2)) as lifetime_net_gmv,
        purchase_totals.first_purchase_date,
        purchase_totals.last_purchase_date,
        cast(
            {{ dbt.datediff('purchase_totals.last_purchase_date', 'purchase_totals.as_of_date', 'day') }}
            as integer
        ) as recency_days,
        cast(
            {{ divide_exact(
                dbt.datediff('purchase_totals.first_purchase_date', 'purchase_totals.last_purchase_date', 'day'),
                'purchase_dates_summarized.purchase_dates - 1'
            ) }} as decimal(18, 6)
        ) as avg_days_between_purchases,
        cast(
            {{ divide_exact('purchase_totals.net_gmv_365d', 'purchase_totals.purchases_365d') }}
            as decimal(18, 6)
        ) as aov_365d,
        top_categories.top_category_365d,
        cast(purchase_dates_summarized.purchase_dates - 1 as integer) as frequency,
        cast(
            {{ dbt.datediff('purchase_totals.first_purchase_date', 'purchase_totals.last_purchase_date', 'day') }}
            as integer
        ) as recency,
        cast(
            {{ dbt.datediff('purchase_totals.first_purchase_date', 'purchase_totals.as_of_date', 'day') }}
            as integer
        ) as t,
        cast(
            coalesce(
                {{ divide_exact(
                    'purchase_dates_summarized.repeat_dates_net_amount',
                    'purchase_dates_summarized.purchase_dates - 1'
                ) }},
                0
            ) as decimal(18, 6)
        ) as monetary_value
    from purchase_totals
    inner join purchase_dates_summarized
        on purchase_totals.user_id = purchase_dates_summarized.user_id
    left join top_categories
        on purchase_totals.user_id = top_categories.user_id
)

select * from final
