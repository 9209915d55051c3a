{#-
    The post-stream review (直播复盘) and the live dashboard replayed, one row per stream started
    by D: stream_review.md, `stream_kpis`. Quotients are exact, rounded to 6 places, null over 0.
-#}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

stream_numbers_counted as (
    select * from {{ ref('int_stream_numbers_counted') }}
),

-- each user's first session ever, in any stream (null or unknown streams included); the rows
-- without a session only carry change tracking
first_sessions as (
    select * from {{ ref('int_user_first_sessions') }}
    where session_id is not null
),

-- a viewer is new in the stream of their first session ever (a user with a session of a stream
-- is one of its viewers)
stream_new_viewers as (
    select
        stream_id,
        count(*) as new_viewers
    from first_sessions
    group by stream_id
),

stream_numbers as (
    select
        streams.*,
        coalesce(stream_numbers_counted.viewers, 0) as viewers,
        coalesce(stream_numbers_counted.room_enters, 0) as room_enters,
        coalesce(stream_numbers_counted.peak_concurrent_viewers, 0) as peak_concurrent_viewers,
        stream_numbers_counted.peak_at,
        -- exact seconds with 6 places
        cast(coalesce(stream_numbers_counted.watch_microseconds, 0) as decimal(38, 0))
        * cast(0.000001 as decimal(18, 6)) as watch_seconds,
        coalesce(stream_numbers_counted.interactions, 0) as interactions,
        coalesce(stream_numbers_counted.interacting_viewers, 0) as interacting_viewers,
        coalesce(stream_numbers_counted.product_impressions, 0) as product_impressions,
        coalesce(stream_numbers_counted.product_clicks, 0) as product_clicks,
        coalesce(stream_numbers_counted.add_to_carts, 0) as add_to_carts,
        coalesce(stream_numbers_counted.orders, 0) as orders,
        coalesce(stream_numbers_counted.buyers, 0) as buyers,
        coalesce(stream_numbers_counted.buying_viewers, 0) as buying_viewers,
        coalesce(stream_numbers_counted.net_gmv, 0) as net_gmv,
        coalesce(stream_new_viewers.new_viewers, 0) as new_viewers,
        coalesce(stream_numbers_counted.follows, 0) as follows,
        -- null without a known end, and for an end before the start
        case
            when streams.ended_at >= streams.started_at
                then
                    cast({{ microseconds_between('streams.started_at', 'streams.ended_at') }} as decimal(38, 0))
                    * cast(0.000001 as decimal(18, 6))
        end as duration_seconds
    from streams
    left join stream_numbers_counted
        on streams.stream_id = stream_numbers_counted.stream_id
    left join stream_new_viewers
        on streams.stream_id = stream_new_viewers.stream_id
),

final as (
    select
        -- ids and attributes
        cast(stream_id as string) as stream_id,
        cast(anchor_id as string) as anchor_id,
        cast(category as string) as category,
        cast(started_at as timestamp) as started_at,
        cast(ended_at as timestamp) as ended_at,
        cast(started_date as date) as started_date,
        cast({{ divide_exact('duration_seconds', 60) }} as decimal(18, 6)) as duration_minutes,

        -- audience
        cast(viewers as integer) as viewers,
        -- the spec's name, a keyword to the linter
        cast(room_enters as integer) as views,  -- noqa: RF04
        cast(peak_concurrent_viewers as integer) as peak_concurrent_viewers,
        cast(peak_at as timestamp) as peak_at,
        cast(watch_seconds as decimal(18, 6)) as watch_seconds,
        cast({{ divide_exact('watch_seconds', 'viewers') }} as decimal(18, 6)) as avg_watch_seconds_per_viewer,

        -- interaction and products
        cast(interactions as integer) as interactions,
        cast(interacting_viewers as integer) as interacting_viewers,
        cast({{ divide_exact('interacting_viewers', 'viewers') }} as decimal(18, 6)) as interaction_rate,
        cast(product_impressions as integer) as product_impressions,
        cast(product_clicks as integer) as product_clicks,
        cast({{ divide_exact('product_clicks', 'product_impressions') }} as decimal(18, 6)) as click_through_rate,
        cast(add_to_carts as integer) as add_to_carts,

        -- sales
        cast(orders as integer) as orders,
        cast(buyers as integer) as buyers,
        cast(buying_viewers as integer) as buying_viewers,
        cast({{ divide_exact('buying_viewers', 'viewers') }} as decimal(18, 6)) as conversion_rate,
        cast(net_gmv as decimal(18, 2)) as net_gmv,
        cast({{ divide_exact('net_gmv * 1000', 'room_enters', wide=true) }} as decimal(18, 6)) as gpm,

        -- new and returning
        cast(new_viewers as integer) as new_viewers,
        cast(viewers - new_viewers as integer) as returning_viewers,
        cast(follows as integer) as follows
    from stream_numbers
)

select * from final
