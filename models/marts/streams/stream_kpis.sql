{#-
    The post-stream review (直播复盘) and the live dashboard replayed, one row per stream started
    by D: stream_review.md, `stream_kpis`. Quotients are exact, rounded to 6 places, null over 0.
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

sessions as (
    select * from {{ ref('int_stream_sessions_bounded') }}
),

viewer_spans as (
    select * from {{ ref('int_stream_viewers_merged') }}
),

-- each user's first session ever, in any stream (null or unknown streams included)
first_sessions as (
    select
        user_id,
        stream_id
    from (
        select
            user_id,
            stream_id,
            row_number() over (
                partition by user_id
                order by session_started_at, session_id
            ) as session_rank
        from sessions
    ) as ranked_sessions
    where session_rank = 1
),

stream_users as (
    select
        stream_id,
        user_id,
        sum(room_enters) as room_enters,
        sum(watch_microseconds) as watch_microseconds,
        sum(interactions) as interactions,
        sum(follows) as follows,
        sum(product_impressions) as product_impressions,
        sum(product_clicks) as product_clicks,
        sum(add_to_carts) as add_to_carts,
        sum(orders) as orders,
        sum(net_amount) as net_amount
    from stream_user_days
    group by stream_id, user_id
),

stream_totals as (
    select
        stream_users.stream_id,
        count(*) filter (where stream_users.room_enters > 0) as viewers,
        sum(stream_users.room_enters) as room_enters,
        sum(stream_users.watch_microseconds) as watch_microseconds,
        sum(stream_users.interactions) as interactions,
        count(*) filter (where stream_users.room_enters > 0 and stream_users.interactions > 0) as interacting_viewers,
        sum(stream_users.product_impressions) as product_impressions,
        sum(stream_users.product_clicks) as product_clicks,
        sum(stream_users.add_to_carts) as add_to_carts,
        sum(stream_users.orders) as orders,
        count(*) filter (where stream_users.orders > 0) as buyers,
        count(*) filter (where stream_users.room_enters > 0 and stream_users.orders > 0) as buying_viewers,
        sum(stream_users.net_amount) as net_gmv,
        count(*) filter (where stream_users.room_enters > 0 and first_sessions.user_id is not null) as new_viewers,
        sum(stream_users.follows) as follows
    from stream_users
    left join first_sessions
        on
            stream_users.user_id = first_sessions.user_id
            and stream_users.stream_id = first_sessions.stream_id
    group by stream_users.stream_id
),

-- the viewers open from each instant a span starts or ends (ends before starts at one instant:
-- a session is open on [start, end)) up to the next such instant
span_edges as (
    select
        stream_id,
        span_started_at as edge_at,
        1 as viewer_change
    from viewer_spans
    union all
    select
        stream_id,
        span_ended_at as edge_at,
        -1 as viewer_change
    from viewer_spans
),

edge_instants as (
    select
        stream_id,
        edge_at,
        sum(viewer_change) as viewer_change
    from span_edges
    group by stream_id, edge_at
),

concurrency as (
    select
        stream_id,
        edge_at,
        sum(viewer_change) over (
            partition by stream_id
            order by edge_at
            rows between unbounded preceding and current row
        ) as concurrent_viewers
    from edge_instants
),

peaks as (
    select
        stream_id,
        max(concurrent_viewers) as peak_concurrent_viewers
    from concurrency
    group by stream_id
),

-- the earliest instant at the peak
peak_instants as (
    select
        concurrency.stream_id,
        peaks.peak_concurrent_viewers,
        min(concurrency.edge_at) as peak_at
    from concurrency
    inner join peaks
        on
            concurrency.stream_id = peaks.stream_id
            and concurrency.concurrent_viewers = peaks.peak_concurrent_viewers
    where peaks.peak_concurrent_viewers > 0
    group by concurrency.stream_id, peaks.peak_concurrent_viewers
),

stream_numbers as (
    select
        streams.*,
        coalesce(stream_totals.viewers, 0) as viewers,
        coalesce(stream_totals.room_enters, 0) as room_enters,
        coalesce(peak_instants.peak_concurrent_viewers, 0) as peak_concurrent_viewers,
        peak_instants.peak_at,
        -- exact seconds with 6 places
        cast(coalesce(stream_totals.watch_microseconds, 0) as decimal(38, 0))
        * cast(0.000001 as decimal(18, 6)) as watch_seconds,
        coalesce(stream_totals.interactions, 0) as interactions,
        coalesce(stream_totals.interacting_viewers, 0) as interacting_viewers,
        coalesce(stream_totals.product_impressions, 0) as product_impressions,
        coalesce(stream_totals.product_clicks, 0) as product_clicks,
        coalesce(stream_totals.add_to_carts, 0) as add_to_carts,
        coalesce(stream_totals.orders, 0) as orders,
        coalesce(stream_totals.buyers, 0) as buyers,
        coalesce(stream_totals.buying_viewers, 0) as buying_viewers,
        coalesce(stream_totals.net_gmv, 0) as net_gmv,
        coalesce(stream_totals.new_viewers, 0) as new_viewers,
        coalesce(stream_totals.follows, 0) as follows,
        -- null without a known end, and for an end before the start
        case
            when streams.ended_at >= streams.started_at
                then
                    cast({{ microseconds_between('streams.started_at', 'streams.ended_at') }} as decimal(38, 0))
                    * cast(0.000001 as decimal(18, 6))
        end as duration_seconds
    from streams
    left join stream_totals
        on streams.stream_id = stream_totals.stream_id
    left join peak_instants
        on streams.stream_id = peak_instants.stream_id
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
        cast({{ divide_exact('net_gmv * 1000', 'room_enters') }} as decimal(18, 6)) as gpm,

        -- new and returning
        cast(new_viewers as integer) as new_viewers,
        cast(viewers - new_viewers as integer) as returning_viewers,
        cast(follows as integer) as follows
    from stream_numbers
)

select * from final
