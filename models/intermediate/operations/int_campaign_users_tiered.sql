{#-
    The users of each campaign as campaign_tier_readout counts them: one row per campaign and user
    touched by D, with the arm (treated when any touch of the user is real, not control), whether
    a real touch was opened, the conversion (purchases as of D paid within attribution_days x 24
    hours after the first touch), the user's cluster (the stream of the last watch session begun
    before the first touch; a user with none is a cluster alone) and the tier of each family held
    the day before the first touch (the as-of chain's row at that eve; `not_known` when the user
    was not known then).
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

watch_sessions as (
    select * from {{ ref('int_watch_sessions_sessionized') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

rule_numbers as (
    select cast({{ threshold('attribution_days') }} as integer) as attribution_days
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

-- the first touch in business time, converted once for its date and its eve
campaign_users_localized as (
    select
        *,
        {{ to_business_timestamp('sent_at') }} as sent_business_at
    from campaign_users
),

campaign_users_dated as (
    select
        campaign_users_localized.*,
        cast(campaign_users_localized.sent_business_at as date) as sent_date,
        cast({{ dbt.dateadd('day', -1, 'campaign_users_localized.sent_business_at') }} as date) as eve_date,
        campaign_users_localized.sent_at + {{ minutes_interval('rule_numbers.attribution_days * 24 * 60') }}
            as attribution_ends_at
    from campaign_users_localized
    cross join rule_numbers
),

-- the chain's rows at the touches' eves only (a semi join: the join below then reads the tier
-- columns of those dates, not of every as-of date in the history)
tiers_at_eves as (
    select tiers_as_of.*
    from tiers_as_of
    where tiers_as_of.as_of_date in (select campaign_users_dated.eve_date from campaign_users_dated)
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

-- the user's cluster: the stream of the last watch session begun before the first touch (the
-- latest start; of two begun together, the greater session_id)
last_streams as (
    select
        campaign_users_dated.campaign_id,
        campaign_users_dated.user_id,
        {{ value_at_max('watch_sessions.stream_id', [
            'watch_sessions.session_started_at', 'watch_sessions.session_id'
        ]) }} as stream_id
    from campaign_users_dated
    inner join watch_sessions
        on
            campaign_users_dated.user_id = watch_sessions.user_id
            and campaign_users_dated.sent_at > watch_sessions.session_started_at
    group by campaign_users_dated.campaign_id, campaign_users_dated.user_id
),

-- the tier held the day before the touch; a user not yet known then is `not_known`
final as (
    select
        cast(campaign_users_dated.campaign_id as string) as campaign_id,
        cast(campaign_users_dated.user_id as string) as user_id,
        cast(coalesce(
            {{ dbt.concat(["'stream:'", 'last_streams.stream_id']) }},
            {{ dbt.concat(["'user:'", 'campaign_users_dated.user_id']) }}
        ) as string) as cluster_key,
        {%- for family in tier_families() %}
            cast(coalesce(tiers_at_eves.{{ family }}, 'not_known') as string) as {{ family }},
        {%- endfor %}
        cast(coalesce(conversions.converted_net_gmv, 0) as decimal(18, 2)) as converted_net_gmv,
        cast(campaign_users_dated.is_treated as boolean) as is_treated,
        cast(campaign_users_dated.has_opened as boolean) as has_opened,
        cast(conversions.user_id is not null as boolean) as is_converted,
        cast(campaign_users_dated.sent_date as date) as sent_date,
        cast(as_of.as_of_date as date) as as_of_date
    from campaign_users_dated
    left join conversions
        on
            campaign_users_dated.campaign_id = conversions.campaign_id
            and campaign_users_dated.user_id = conversions.user_id
    left join last_streams
        on
            campaign_users_dated.campaign_id = last_streams.campaign_id
            and campaign_users_dated.user_id = last_streams.user_id
    left join tiers_at_eves
        on
            campaign_users_dated.user_id = tiers_at_eves.user_id
            and campaign_users_dated.eve_date = tiers_at_eves.as_of_date
    cross join as_of
)

select * from final
