{#-
    Each anchor's fan pyramid (core fans are loyal to the host, 主播): one row per anchor and user
    with a session (any date <= D, any length) or a purchase as of D in the anchor's streams
    (streams started by D). stream_review.md, `anchor_fans`; windows are dates in (D-N, D].
-#}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

-- the stream rows (user_id null) only carry change tracking
stream_user_days as (
    select * from {{ ref('int_stream_user_days_summarized') }}
    where user_id is not null
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

anchor_user_days as (
    select
        streams.anchor_id,
        stream_user_days.user_id,
        stream_user_days.activity_date,
        {{ dbt.datediff('stream_user_days.activity_date', 'streams.as_of_date', 'day') }}
            as days_before_as_of,
        stream_user_days.room_enters,
        stream_user_days.watch_microseconds,
        stream_user_days.interactions,
        stream_user_days.follows,
        stream_user_days.orders,
        stream_user_days.net_amount
    from stream_user_days
    inner join streams
        on stream_user_days.stream_id = streams.stream_id
),

anchor_users as (
    select
        anchor_id,
        user_id,
        min(activity_date) filter (where room_enters > 0) as first_watch_date,
        max(activity_date) filter (where room_enters > 0) as last_watch_date,
        count(distinct activity_date) filter (
            where room_enters > 0 and days_before_as_of < {{ threshold('window_90d_days') }}
        ) as watch_days_90d,
        coalesce(sum(watch_microseconds) filter (
            where days_before_as_of < {{ threshold('window_90d_days') }}
        ), 0) as watch_microseconds_90d,
        coalesce(sum(interactions) filter (
            where days_before_as_of < {{ threshold('window_90d_days') }}
        ), 0) as interactions_90d,
        sum(follows) as follows,
        coalesce(sum(orders) filter (
            where days_before_as_of < {{ threshold('window_365d_days') }}
        ), 0) as purchases_365d,
        coalesce(sum(net_amount) filter (
            where days_before_as_of < {{ threshold('window_365d_days') }}
        ), 0) as net_gmv_365d,
        sum(room_enters) as room_enters,
        sum(orders) as orders
    from anchor_user_days
    group by anchor_id, user_id
),

-- the spec's rules top-down, first match wins
fans_tiered as (
    select
        *,
        case
            when
                watch_days_90d >= {{ threshold('anchor_core_min_watch_days_90d') }}
                and interactions_90d >= {{ threshold('anchor_core_min_interactions_90d') }}
                and purchases_365d >= {{ threshold('anchor_core_min_purchases_365d') }}
                then 'anchor_core_fan'
            when
                watch_days_90d >= {{ threshold('anchor_regular_min_watch_days_90d') }}
                or purchases_365d >= {{ threshold('anchor_regular_min_purchases_365d') }}
                then 'anchor_regular'
            else 'anchor_viewer'
        end as anchor_fan_tier
    from anchor_users
    -- a session or a purchase in the anchor's streams (events alone make no fan)
    where room_enters > 0 or orders > 0
),

final as (
    select
        cast(anchor_id as string) as anchor_id,
        cast(user_id as string) as user_id,
        cast(first_watch_date as date) as first_watch_date,
        cast(last_watch_date as date) as last_watch_date,
        cast(watch_days_90d as integer) as watch_days_90d,
        cast(
            cast(watch_microseconds_90d as decimal(38, 0)) * cast(0.000001 as decimal(18, 6)) as decimal(18, 6)
        ) as watch_seconds_90d,
        cast(interactions_90d as integer) as interactions_90d,
        cast(follows as integer) as follows,
        cast(purchases_365d as integer) as purchases_365d,
        cast(net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(anchor_fan_tier as string) as anchor_fan_tier
    from fans_tiered
)

select * from final
