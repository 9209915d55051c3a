{#-
    One row per user of user_tiers with real touches (control rows are held out, not sent) in the
    last touch_cap_window_days days up to D: the count the weekly touch cap subtracts. Read by
    user_alerts and int_user_contact_room_counted, so both count the same touches.
-#}
with

tiers as (
    select * from {{ ref('user_tiers') }}
),

campaign_touches as (
    select * from {{ ref('stg_live__campaign_touches') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

recent_touches as (
    select
        campaign_touches.user_id,
        count(*) as touch_count
    from campaign_touches
    inner join tiers
        on campaign_touches.user_id = tiers.user_id
    where
        not campaign_touches.is_control
        and campaign_touches.sent_date <= tiers.as_of_date
        and {{ dbt.datediff('campaign_touches.sent_date', 'tiers.as_of_date', 'day') }}
        < {{ threshold('touch_cap_window_days') }}
    group by campaign_touches.user_id
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(touch_count as integer) as touch_count
    from recent_touches
)

select * from final
