{#-
    The purchase facts that exist only at D (the as-of chain, int_user_facts_snapshotted, has
    the 365-day, RFM and lifetime counts and the last purchase date at every as-of date): the
    30- and 90-day windows, lifetime net GMV, discounted purchases, the top category over 365
    days and the "buy till you die" summary.
-#}
with

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

category_purchases as (
    select * from {{ ref('int_user_category_purchases_summarized') }}
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
        sum(case when is_in_30d then net_amount else 0 end) as net_gmv_30d,
        sum(case when is_in_90d then net_amount else 0 end) as net_gmv_90d,
        sum(case when is_in_365d and has_discount then 1 else 0 end) as discounted_purchases_365d,
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

category_purchases_ranked as (
    select
        *,
        max(purchase_amount) over (partition by user_id) as top_purchase_amount
    from category_purchases
),

-- top category over 365 days: the largest purchase amount; ties go to the alphabetically first
top_categories as (
    select
        user_id,
        min(category) as top_category_365d
    from category_purchases_ranked
    where purchase_amount = top_purchase_amount
    group by user_id
),

final as (
    select
        purchase_totals.user_id,
        cast(purchase_totals.purchases_30d as integer) as purchases_30d,
        cast(purchase_totals.purchases_90d as integer) as purchases_90d,
        cast(purchase_totals.net_gmv_30d as decimal(18, 2)) as net_gmv_30d,
        cast(purchase_totals.net_gmv_90d as decimal(18, 2)) as net_gmv_90d,
        cast(purchase_totals.discounted_purchases_365d as integer) as discounted_purchases_365d,
        cast(purchase_totals.lifetime_net_gmv as decimal(18, 2)) as lifetime_net_gmv,
        purchase_totals.first_purchase_date,
        cast(
            {{ divide_exact(
                dbt.datediff('purchase_totals.first_purchase_date', 'purchase_totals.last_purchase_date', 'day'),
                'purchase_dates_summarized.purchase_dates - 1'
            ) }} as decimal(18, 6)
        ) as avg_days_between_purchases,
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
