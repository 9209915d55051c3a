{#-
    The facts of every known user as of D: the slice at D of the as-of chain
    (int_user_facts_snapshotted, the facts the tier rules read at every as-of date, as
    user_rfm and user_tiers are slices of it), with the facts that exist only at D
    (int_user_activity_summarized, int_user_purchases_summarized) and the user's attributes.
-#}
with

known_users as (
    select * from {{ ref('int_users_unioned') }}
),

snapshots as (
    select * from {{ ref('int_user_facts_snapshotted') }}
),

activity as (
    select * from {{ ref('int_user_activity_summarized') }}
),

purchases as (
    select * from {{ ref('int_user_purchases_summarized') }}
),

facts_at_d as (
    select snapshots.*
    from snapshots
    inner join known_users
        on
            snapshots.user_id = known_users.user_id
            and snapshots.as_of_date = known_users.as_of_date
),

final as (
    select
        -- ids and attributes
        cast(known_users.user_id as string) as user_id,
        cast(known_users.gender as string) as gender,
        cast(known_users.birth_year as integer) as birth_year,
        cast(known_users.province as string) as province,
        cast(known_users.city_tier as integer) as city_tier,
        cast(known_users.acquisition_channel as string) as acquisition_channel,
        cast(known_users.registered_date as date) as registered_date,

        -- the spec's facts
        cast(known_users.first_seen_date as date) as first_seen_date,
        cast(facts_at_d.days_since_first_seen as integer) as days_since_first_seen,
        cast(facts_at_d.last_active_date as date) as last_active_date,
        cast(facts_at_d.days_since_last_active as integer) as days_since_last_active,
        cast(coalesce(activity.watch_days_7d, 0) as integer) as watch_days_7d,
        cast(facts_at_d.watch_days_30d as integer) as watch_days_30d,
        cast(facts_at_d.watch_days_90d as integer) as watch_days_90d,
        cast(coalesce(activity.watch_seconds_7d, 0) as bigint) as watch_seconds_7d,
        cast(coalesce(activity.watch_seconds_30d, 0) as bigint) as watch_seconds_30d,
        cast(coalesce(activity.watch_seconds_90d, 0) as bigint) as watch_seconds_90d,
        cast(facts_at_d.interactions_30d as integer) as interactions_30d,
        cast(facts_at_d.interactions_90d as integer) as interactions_90d,
        cast(coalesce(purchases.purchases_30d, 0) as integer) as purchases_30d,
        cast(coalesce(purchases.purchases_90d, 0) as integer) as purchases_90d,
        cast(facts_at_d.purchases_365d as integer) as purchases_365d,
        cast(coalesce(purchases.net_gmv_30d, 0) as decimal(18, 2)) as net_gmv_30d,
        cast(coalesce(purchases.net_gmv_90d, 0) as decimal(18, 2)) as net_gmv_90d,
        cast(facts_at_d.net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(facts_at_d.lifetime_purchases as integer) as lifetime_purchases,
        cast(coalesce(purchases.lifetime_net_gmv, 0) as decimal(18, 2)) as lifetime_net_gmv,
        cast(purchases.first_purchase_date as date) as first_purchase_date,
        cast(facts_at_d.last_purchase_date as date) as last_purchase_date,
        cast(facts_at_d.recency_days as integer) as recency_days,
        cast(purchases.avg_days_between_purchases as decimal(18, 6)) as avg_days_between_purchases,
        cast(
            {{ divide_exact('facts_at_d.net_gmv_365d', 'facts_at_d.purchases_365d') }} as decimal(18, 6)
        ) as aov_365d,
        cast(purchases.top_category_365d as string) as top_category_365d,

        -- "buy till you die" summary (lifetimes' summary_data_from_transaction_data, per day)
        cast(purchases.frequency as integer) as frequency,
        cast(purchases.recency as integer) as recency,
        cast(purchases.t as integer) as {{ adapter.quote('T') }},
        cast(purchases.monetary_value as decimal(18, 6)) as monetary_value,

        -- inputs of the tags and of the lifecycle rule
        cast(coalesce(activity.interactions_7d, 0) as integer) as interactions_7d,
        cast(coalesce(activity.shares_90d, 0) as integer) as shares_90d,
        cast(coalesce(activity.gifts_90d, 0) as integer) as gifts_90d,
        cast(coalesce(activity.product_actions_30d, 0) as integer) as product_actions_30d,
        cast(coalesce(activity.coupon_claims_90d, 0) as integer) as coupon_claims_90d,
        cast(coalesce(activity.late_night_watch_seconds_30d, 0) as bigint) as late_night_watch_seconds_30d,
        cast(coalesce(activity.late_night_watch_days_30d, 0) as integer) as late_night_watch_days_30d,
        cast(coalesce(activity.add_to_carts_in_cart_window, 0) as integer) as add_to_carts_in_cart_window,
        cast(coalesce(purchases.discounted_purchases_365d, 0) as integer) as discounted_purchases_365d,
        cast(activity.last_add_to_cart_at as timestamp) as last_add_to_cart_at,
        cast(activity.last_comeback_date as date) as last_comeback_date,
        cast(known_users.as_of_date as date) as as_of_date
    from known_users
    left join facts_at_d
        on known_users.user_id = facts_at_d.user_id
    left join activity
        on known_users.user_id = activity.user_id
    left join purchases
        on known_users.user_id = purchases.user_id
)

select * from final
