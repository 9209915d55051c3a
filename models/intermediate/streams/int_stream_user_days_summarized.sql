{#-
    One row per stream started by D, user and business date with any of: a watch session of the
    stream begun that date, an event of the stream dated that date, a purchase as of D of the
    stream paid that date. Attribution is by each row's own stream_id (an event belongs to the
    stream it names, not to the session it falls in). Everything is as of D.
-#}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

sessions as (
    select * from {{ ref('int_stream_sessions_bounded') }}
),

stream_event_days as (
    select * from {{ ref('int_stream_user_event_days_counted') }}
),

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

stream_sessions as (
    select
        sessions.stream_id,
        sessions.user_id,
        sessions.session_date as activity_date,
        count(*) as room_enters,
        sum(sessions.watch_microseconds) as watch_microseconds
    from sessions
    inner join streams
        on sessions.stream_id = streams.stream_id
    group by sessions.stream_id, sessions.user_id, sessions.session_date
),

-- the event counts of the stream's days dated <= D (counted per stream, user and date upstream)
stream_events as (
    select
        stream_event_days.stream_id,
        stream_event_days.user_id,
        stream_event_days.activity_date,
        stream_event_days.interactions,
        stream_event_days.follows,
        stream_event_days.product_impressions,
        stream_event_days.product_clicks,
        stream_event_days.add_to_carts
    from stream_event_days
    inner join streams
        on stream_event_days.stream_id = streams.stream_id
    where stream_event_days.activity_date <= streams.as_of_date
),

stream_purchases as (
    select
        purchases.stream_id,
        purchases.user_id,
        purchases.paid_date as activity_date,
        count(*) as orders,
        sum(purchases.net_amount) as net_amount
    from purchases
    inner join streams
        on purchases.stream_id = streams.stream_id
    group by purchases.stream_id, purchases.user_id, purchases.paid_date
),

stream_user_days as (
    select
        stream_id,
        user_id,
        activity_date,
        room_enters,
        watch_microseconds,
        0 as interactions,
        0 as follows,
        0 as product_impressions,
        0 as product_clicks,
        0 as add_to_carts,
        0 as orders,
        0 as net_amount
    from stream_sessions
    union all
    select
        stream_id,
        user_id,
        activity_date,
        0 as room_enters,
        0 as watch_microseconds,
        interactions,
        follows,
        product_impressions,
        product_clicks,
        add_to_carts,
        0 as orders,
        0 as net_amount
    from stream_events
    union all
    select
        stream_id,
        user_id,
        activity_date,
        0 as room_enters,
        0 as watch_microseconds,
        0 as interactions,
        0 as follows,
        0 as product_impressions,
        0 as product_clicks,
        0 as add_to_carts,
        orders,
        net_amount
    from stream_purchases
),

final as (
    select
        stream_id,
        user_id,
        activity_date,
        cast(sum(room_enters) as bigint) as room_enters,
        cast(sum(watch_microseconds) as bigint) as watch_microseconds,
        cast(sum(interactions) as bigint) as interactions,
        cast(sum(follows) as bigint) as follows,
        cast(sum(product_impressions) as bigint) as product_impressions,
        cast(sum(product_clicks) as bigint) as product_clicks,
        cast(sum(add_to_carts) as bigint) as add_to_carts,
        cast(sum(orders) as bigint) as orders,
        cast(sum(net_amount) as decimal(18, 2)) as net_amount
    from stream_user_days
    group by stream_id, user_id, activity_date
)

select * from final
