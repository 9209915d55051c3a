with

events as (
    select * from {{ ref('stg_live__events') }}
),

watch_sessions as (
    select * from {{ ref('int_watch_sessions_sessionized') }}
),

-- the one pass over events: every per-user event count is a column here
event_days as (
    select
        user_id,
        event_date as activity_date,
        count(*) as events,
        sum(case when event_type in ('like', 'comment', 'share', 'follow', 'gift') then 1 else 0 end)
            as interactions,
        sum(case when event_type = 'like' then 1 else 0 end) as like_batches,
        sum(case when event_type = 'comment' then 1 else 0 end) as comment_events,
        sum(case when event_type = 'share' then 1 else 0 end) as share_events,
        sum(case when event_type = 'follow' then 1 else 0 end) as follows,
        sum(case when event_type = 'gift' then 1 else 0 end) as gifts,
        sum(case when event_type = 'gift' then event_value end) as gift_value,
        sum(case when event_type = 'enter_room' then 1 else 0 end) as room_enters,
        sum(case when event_type = 'product_impression' then 1 else 0 end) as product_impressions,
        sum(case when event_type = 'product_click' then 1 else 0 end) as product_clicks,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_type = 'favorite' then 1 else 0 end) as favorites,
        sum(case when event_type = 'coupon_claim' then 1 else 0 end) as coupon_claims,
        max(case when event_type = 'add_to_cart' then event_at end) as last_add_to_cart_at
    from events
    group by user_id, event_date
),

watch_days as (
    select
        user_id,
        session_date as activity_date,
        count(*) as watch_sessions,
        sum(watch_seconds) as watch_seconds,
        sum(case when is_late_night then 1 else 0 end) as late_night_watch_sessions,
        sum(case when is_late_night then watch_seconds else 0 end) as late_night_watch_seconds,
        max(settled_date) as watch_settled_date
    from watch_sessions
    group by user_id, session_date
),

user_days as (
    select
        user_id,
        activity_date
    from event_days
    union
    select
        user_id,
        activity_date
    from watch_days
),

final as (
    select
        user_days.user_id,
        user_days.activity_date,
        cast(coalesce(event_days.events, 0) as bigint) as events,
        cast(coalesce(event_days.interactions, 0) as bigint) as interactions,
        cast(coalesce(event_days.like_batches, 0) as bigint) as like_batches,
        cast(coalesce(event_days.comment_events, 0) as bigint) as comment_events,
        cast(coalesce(event_days.share_events, 0) as bigint) as share_events,
        cast(coalesce(event_days.follows, 0) as bigint) as follows,
        cast(coalesce(event_days.gifts, 0) as bigint) as gifts,
        cast(coalesce(event_days.gift_value, 0) as decimal(18, 2)) as gift_value,
        cast(coalesce(event_days.room_enters, 0) as bigint) as room_enters,
        cast(coalesce(event_days.product_impressions, 0) as bigint) as product_impressions,
        cast(coalesce(event_days.product_clicks, 0) as bigint) as product_clicks,
        cast(coalesce(event_days.add_to_carts, 0) as bigint) as add_to_carts,
        cast(coalesce(event_days.favorites, 0) as bigint) as favorites,
        cast(coalesce(event_days.coupon_claims, 0) as bigint) as coupon_claims,
        cast(coalesce(watch_days.watch_sessions, 0) as bigint) as watch_sessions,
        cast(coalesce(watch_days.watch_seconds, 0) as bigint) as watch_seconds,
        cast(coalesce(watch_days.late_night_watch_sessions, 0) as bigint) as late_night_watch_sessions,
        cast(coalesce(watch_days.late_night_watch_seconds, 0) as bigint) as late_night_watch_seconds,
        coalesce(event_days.events, 0) > 0 as is_event_day,
        coalesce(watch_days.watch_sessions, 0) > 0 as is_watch_day,
        event_days.last_add_to_cart_at,
        -- after this date the day's watch_seconds are final; before it (only when a session
        -- ended on a later day) they must be recomputed from the sessions as of the date
        watch_days.watch_settled_date
    from user_days
    left join event_days
        on
            user_days.user_id = event_days.user_id
            and user_days.activity_date = event_days.activity_date
    left join watch_days
        on
            user_days.user_id = watch_days.user_id
            and user_days.activity_date = watch_days.activity_date
)

select * from final
