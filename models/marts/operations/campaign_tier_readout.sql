{#-
    Campaign readout per campaign x tier family x the tier each user held the day before the
    touch. The tier is the as-of chain's row at the eve (int_user_tiers_assigned: exactly a
    build with as_of_date = eve), never one computed with later data.
-#}
with

campaign_touches as (
    select * from {{ ref('stg_live__campaign_touches') }}
),

tiers_as_of as (
    select * from {{ ref('int_user_tiers_assigned') }}
),

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

rule_numbers as (
    select
        cast({{ threshold('attribution_days') }} as integer) as attribution_days,
        cast({{ threshold('uplift_ci_z') }} as double) as ci_z
),

-- one row per campaign and user, from the touches sent by D: the first touch dates the user's
-- window; a user with any real (non-control) touch is treated
campaign_users as (
    select
        campaign_touches.campaign_id,
        campaign_touches.user_id,
        min(campaign_touches.sent_at) as sent_at,
        {{ dbt.bool_or('not campaign_touches.is_control') }} as is_treated,
        {{ dbt.bool_or('campaign_touches.opened_at is not null') }} as has_opened
    from campaign_touches
    cross join as_of
    where campaign_touches.sent_date <= as_of.as_of_date
    group by campaign_touches.campaign_id, campaign_touches.user_id
),

campaign_users_dated as (
    select
        campaign_users.*,
        cast({{ to_business_timestamp('campaign_users.sent_at') }} as date) as sent_date,
        campaign_users.sent_at + {{ minutes_interval('rule_numbers.attribution_days * 24 * 60') }}
            as attribution_ends_at
    from campaign_users
    cross join rule_numbers
),

-- a conversion: a purchase (as of D) paid within attribution_days x 24 hours after sent_at
conversions as (
    select
        campaign_users_dated.campaign_id,
        campaign_users_dated.user_id,
        count(*) as converting_purchases,
        sum(purchases.net_amount) as converted_net_gmv
    from campaign_users_dated
    inner join purchases
        on
            campaign_users_dated.user_id = purchases.user_id
            and campaign_users_dated.sent_at < purchases.paid_at
            and campaign_users_dated.attribution_ends_at >= purchases.paid_at
    group by campaign_users_dated.campaign_id, campaign_users_dated.user_id
),

-- the tier held the day before the touch; a user not yet known then is `not_known`
users_tiered as (
    select
        campaign_users_dated.campaign_id,
        campaign_users_dated.user_id,
        campaign_users_dated.is_treated,
        campaign_users_dated.has_opened,
        campaign_users_dated.sent_date,
        conversions.user_id is not null as is_converted,
        coalesce(conversions.converted_net_gmv, 0) as converted_net_gmv,
        {%- for family in tier_families() %}
            coalesce(tiers_as_of.{{ family }}, 'not_known') as {{ family }},
        {%- endfor %}
        'all' as all_users
    from campaign_users_dated
    left join conversions
        on
            campaign_users_dated.campaign_id = conversions.campaign_id
            and campaign_users_dated.user_id = conversions.user_id
    left join tiers_as_of
        on
            campaign_users_dated.user_id = tiers_as_of.user_id
            and tiers_as_of.as_of_date = cast({{ dbt.dateadd('day', -1, 'campaign_users_dated.sent_date') }} as date)
),

-- one row per user and family; the family `all` (tier `all`) is the whole campaign
users_by_family as (
    {%- for family in tier_families() + ['all_users'] %}
        select
            campaign_id,
            user_id,
            is_treated,
            has_opened,
            is_converted,
            converted_net_gmv,
            sent_date,
            '{{ 'all' if family == 'all_users' else family }}' as tier_family,
            {{ family }} as tier_code
        from users_tiered
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

cells as (
    select
        campaign_id,
        tier_family,
        tier_code,
        min(sent_date) as first_sent_date,
        max(sent_date) as last_sent_date,
        sum(case when is_treated then 1 else 0 end) as treatment_users,
        sum(case when not is_treated then 1 else 0 end) as control_users,
        sum(case when is_treated and has_opened then 1 else 0 end) as treatment_opened_users,
        sum(case when is_treated and is_converted then 1 else 0 end) as treatment_converted_users,
        sum(case when not is_treated and is_converted then 1 else 0 end) as control_converted_users,
        sum(case when is_treated then converted_net_gmv else 0 end) as treatment_net_gmv,
        sum(case when not is_treated then converted_net_gmv else 0 end) as control_net_gmv
    from users_by_family
    group by campaign_id, tier_family, tier_code
),

campaign_dates as (
    select
        campaign_id,
        min(first_sent_date) as first_sent_date,
        max(last_sent_date) as last_sent_date
    from cells
    group by campaign_id
),

rates as (
    select
        cells.*,
        cast(cells.treatment_converted_users as double) / nullif(cells.treatment_users, 0)
            as treatment_conversion_rate,
        cast(cells.control_converted_users as double) / nullif(cells.control_users, 0)
            as control_conversion_rate
    from cells
),

-- difference of two proportions, normal approximation, unpooled standard error
uplift as (
    select
        rates.*,
        rates.treatment_conversion_rate - rates.control_conversion_rate as absolute_uplift,
        sqrt(
            rates.treatment_conversion_rate * (1 - rates.treatment_conversion_rate) / rates.treatment_users
            + rates.control_conversion_rate * (1 - rates.control_conversion_rate) / rates.control_users
        ) as uplift_standard_error
    from rates
),

final as (
    select
        cast(uplift.campaign_id as string) as campaign_id,
        cast(uplift.tier_family as string) as tier_family,
        cast(uplift.tier_code as string) as tier_code,
        cast(campaign_dates.first_sent_date as date) as first_sent_date,
        cast(rule_numbers.attribution_days as integer) as attribution_days,
        cast(
            {{ dbt.dateadd('day', 'rule_numbers.attribution_days', 'campaign_dates.last_sent_date') }}
            <= as_of.as_of_date as boolean
        ) as is_attribution_complete,
        cast(uplift.treatment_users as integer) as treatment_users,
        cast(uplift.control_users as integer) as control_users,
        cast(uplift.treatment_opened_users as integer) as treatment_opened_users,
        cast(uplift.treatment_opened_users as double) / nullif(uplift.treatment_users, 0) as treatment_open_rate,
        cast(uplift.treatment_converted_users as integer) as treatment_converted_users,
        cast(uplift.control_converted_users as integer) as control_converted_users,
        cast(uplift.treatment_conversion_rate as double) as treatment_conversion_rate,
        cast(uplift.control_conversion_rate as double) as control_conversion_rate,
        cast(uplift.absolute_uplift as double) as absolute_uplift,
        cast(uplift.uplift_standard_error as double) as uplift_standard_error,
        cast(uplift.absolute_uplift - rule_numbers.ci_z * uplift.uplift_standard_error as double) as uplift_ci_low,
        cast(uplift.absolute_uplift + rule_numbers.ci_z * uplift.uplift_standard_error as double) as uplift_ci_high,
        cast(uplift.absolute_uplift / nullif(uplift.control_conversion_rate, 0) as double) as relative_uplift,
        cast(uplift.treatment_net_gmv as decimal(18, 2)) as treatment_net_gmv,
        cast(uplift.control_net_gmv as decimal(18, 2)) as control_net_gmv,
        cast({{ divide_exact('uplift.treatment_net_gmv', 'uplift.treatment_users') }} as decimal(18, 6))
            as treatment_net_gmv_per_user,
        cast({{ divide_exact('uplift.control_net_gmv', 'uplift.control_users') }} as decimal(18, 6))
            as control_net_gmv_per_user,
        cast(as_of.as_of_date as date) as as_of_date
    from uplift
    inner join campaign_dates
        on uplift.campaign_id = campaign_dates.campaign_id
    cross join rule_numbers
    cross join as_of
)

select * from final
