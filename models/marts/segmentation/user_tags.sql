with

facts as (
    select * from {{ ref('user_facts') }}
),

tiers as (
    select * from {{ ref('user_tiers') }}
),

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

watch_sessions as (
    select * from {{ ref('int_watch_sessions_sessionized') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

-- BG/NBD per buyer (user_predictions, DuckDB only): null where no model could be fitted
predictions as (
    select * from {{ ref('int_user_predictions_available') }}
),

-- content preference from purchases, else product clicks and carts, else watch time
preferred_categories as (
    select * from {{ ref('int_user_preferred_categories_chosen') }}
),

purchases_windowed as (
    select
        *,
        days_before_as_of < {{ threshold('window_90d_days') }} as is_in_90d
    from purchases
),

-- an impulse purchase: an order of a stream placed within impulse_max_minutes_after_enter
-- of the user entering that stream's room
impulse_purchase_candidates as (
    select
        purchases_windowed.user_id,
        purchases_windowed.order_id,
        {{ dbt.datediff('watch_sessions.session_started_at', 'purchases_windowed.ordered_at', 'second') }}
            as seconds_after_enter
    from purchases_windowed
    inner join watch_sessions
        on
            purchases_windowed.user_id = watch_sessions.user_id
            and purchases_windowed.stream_id = watch_sessions.stream_id
            and purchases_windowed.ordered_at >= watch_sessions.session_started_at
    where purchases_windowed.is_in_90d
),

impulse_purchases as (
    select
        user_id,
        count(distinct order_id) as impulse_purchases_90d
    from impulse_purchase_candidates
    where seconds_after_enter <= {{ threshold('impulse_max_minutes_after_enter') }} * 60
    group by user_id
),

-- cart abandoner: the latest add_to_cart (by D) lies in the cart window and no purchase was
-- paid at or after it
carts_converted as (
    select distinct facts.user_id
    from facts
    inner join purchases
        on
            facts.user_id = purchases.user_id
            and facts.last_add_to_cart_at <= purchases.paid_at
),

users_aged as (
    select
        facts.*,
        extract(year from facts.as_of_date) - facts.birth_year as age_years
    from facts
),

tagged as (
    select
        users_aged.user_id,
        coalesce(users_aged.gender, 'unknown') as gender,
        coalesce(age_bands.age_band, 'unknown') as age_band,
        coalesce(users_aged.province, 'unknown') as province,
        coalesce(
            {{ dbt.concat(["'tier_'", 'cast(users_aged.city_tier as string)']) }},
            'unknown'
        ) as city_tier_label,
        users_aged.interactions_30d >= {{ threshold('high_interactor_min_interactions_30d') }}
            as is_high_interactor,
        users_aged.late_night_watch_days_30d >= {{ threshold('late_night_min_watch_days_30d') }}
        and users_aged.late_night_watch_seconds_30d
        >= users_aged.watch_seconds_30d * {{ threshold('late_night_min_watch_share') }}
            as is_late_night_viewer,
        (
            users_aged.purchases_365d >= {{ threshold('price_sensitive_min_purchases_365d') }}
            and users_aged.discounted_purchases_365d
            >= users_aged.purchases_365d * {{ threshold('price_sensitive_min_discounted_share') }}
        )
        or users_aged.coupon_claims_90d >= {{ threshold('price_sensitive_min_coupon_claims_90d') }}
            as is_price_sensitive,
        coalesce(impulse_purchases.impulse_purchases_90d, 0) >= {{ threshold('impulse_min_purchases_90d') }}
            as is_impulse_buyer,
        users_aged.add_to_carts_in_cart_window > 0 and carts_converted.user_id is null as is_cart_abandoner,
        users_aged.shares_90d >= {{ threshold('koc_min_shares_90d') }}
        and users_aged.purchases_365d >= {{ threshold('koc_min_purchases_365d') }}
            as is_koc_potential,
        case
            when tiers.value_tier = 'core_fan' or tiers.spend_tier = 'high' then 'high_value'
            when tiers.value_tier = 'potential' then 'potential'
            when tiers.spend_tier in ('mid', 'low') then 'ordinary'
            else 'low_value'
        end as value_tag,
        preferred_categories.preferred_category,
        preferred_categories.preferred_category_signal,
        -- the predictive tags: from the model for a buyer with predictions, else the rule
        case
            when predictions.p_alive is not null
                then predictions.p_alive < {{ threshold('churn_risk_max_p_alive') }}
            else
                tiers.lifecycle_stage = 'silent'
                or (
                    users_aged.frequency > 0
                    and tiers.lifecycle_stage <> 'churned'
                    and users_aged.recency_days
                    > users_aged.avg_days_between_purchases * {{ threshold('churn_risk_cycle_multiplier') }}
                )
        end as is_churn_risk,
        case
            when predictions.p_alive is not null
                then
                    predictions.expected_purchases_30d >= {{ threshold('repurchase_due_min_expected_30d') }}
                    and predictions.p_alive >= {{ threshold('churn_risk_max_p_alive') }}
            else
                users_aged.frequency > 0
                and tiers.lifecycle_stage <> 'churned'
                and users_aged.recency_days
                >= users_aged.avg_days_between_purchases * {{ threshold('repurchase_due_cycle_share') }}
                and users_aged.recency_days
                <= users_aged.avg_days_between_purchases * {{ threshold('churn_risk_cycle_multiplier') }}
        end as is_repurchase_due,
        case when predictions.p_alive is not null then 'bg_nbd' else 'rule' end as predictive_tag_basis,
        users_aged.purchases_365d = 0
        and (
            tiers.value_tier = 'potential'
            or users_aged.product_actions_30d >= {{ threshold('likely_convert_min_product_actions_30d') }}
        ) as is_likely_to_convert,
        users_aged.as_of_date
    from users_aged
    inner join tiers
        on users_aged.user_id = tiers.user_id
    left join age_bands
        on users_aged.age_years between age_bands.min_age and age_bands.max_age
    left join impulse_purchases
        on users_aged.user_id = impulse_purchases.user_id
    left join carts_converted
        on users_aged.user_id = carts_converted.user_id
    left join predictions
        on users_aged.user_id = predictions.user_id
    left join preferred_categories
        on users_aged.user_id = preferred_categories.user_id
),

final as (
    select
        cast(user_id as string) as user_id,
        cast(gender as string) as gender,
        cast(age_band as string) as age_band,
        cast(province as string) as province,
        cast(city_tier_label as string) as city_tier_label,
        cast(value_tag as string) as value_tag,
        cast(preferred_category as string) as preferred_category,
        cast(preferred_category_signal as string) as preferred_category_signal,
        cast(coalesce(is_high_interactor, false) as boolean) as is_high_interactor,
        cast(coalesce(is_late_night_viewer, false) as boolean) as is_late_night_viewer,
        cast(coalesce(is_price_sensitive, false) as boolean) as is_price_sensitive,
        cast(coalesce(is_impulse_buyer, false) as boolean) as is_impulse_buyer,
        cast(coalesce(is_cart_abandoner, false) as boolean) as is_cart_abandoner,
        cast(coalesce(is_koc_potential, false) as boolean) as is_koc_potential,
        cast(coalesce(is_churn_risk, false) as boolean) as is_churn_risk,
        cast(coalesce(is_repurchase_due, false) as boolean) as is_repurchase_due,
        cast(coalesce(is_likely_to_convert, false) as boolean) as is_likely_to_convert,
        cast(predictive_tag_basis as string) as predictive_tag_basis,
        cast(as_of_date as date) as as_of_date
    from tagged
)

select * from final
