{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key='stream_id',
        on_schema_change='fail',
    )
}}
{#
    One row per stream started by D with the counts and sums of stream_kpis that come from the
    stream's own rows: its viewer days (int_stream_user_days_summarized) and its viewer spans
    (the peak). New viewers, which depend on every stream a viewer watched, are counted by the
    mart. Incremental by stream on DuckDB (a table on Spark): a run recounts the streams not
    stored yet and those whose rows int_stream_user_days_summarized rewrote since this model's
    last run (its stream row's _loaded_at is later). That model rewrites a stream whenever its
    sessions, events, purchases or stream row as of D change, and a stream's spans are a
    function of its sessions. Rows of streams no longer started by D stay; the mart keeps only
    the streams started by D.
-#}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

user_days_tracked as (
    select * from {{ ref('int_stream_user_days_summarized') }}
),

viewer_spans as {{ inline_cte() }} (
    select * from {{ ref('int_stream_viewers_merged') }}
),

{% if is_incremental() %}

    -- a second import, not a second read of user_days_tracked: DuckDB materialises a CTE read twice
    stream_rows_tracked as (
        select * from {{ ref('int_stream_user_days_summarized') }}
    ),

    watermark as (
        select max(_loaded_at) as loaded_at
        from {{ this }}
    ),

    stored_streams as (
        select distinct stream_id
        from {{ this }}
    ),

    counted_streams as (
        select streams.*
        from streams
        cross join watermark
        left join stream_rows_tracked
            on
                streams.stream_id = stream_rows_tracked.stream_id
                and stream_rows_tracked.user_id is null
        left join stored_streams
            on streams.stream_id = stored_streams.stream_id
        where
            watermark.loaded_at is null
            or stored_streams.stream_id is null
            or not (stream_rows_tracked._loaded_at <= watermark.loaded_at)
    ),

{% else %}

    counted_streams as (
        select * from streams
    ),

{% endif %}

-- the rows without a date (stream rows, users gone from a stream) only carry change tracking.
-- On DuckDB the counted streams filter by `in`, not by a join: through a join DuckDB summed every
-- stored row per stream and user before joining (4.4 of the model's 4.6 s a night at `medium`);
-- Spark 4 failed on that `in` (a ClassCastException in its union plan), so it keeps the join
stream_user_days as (
    select user_days_tracked.*
    from user_days_tracked
    {%- if target.type == 'spark' %}
    inner join counted_streams
        on user_days_tracked.stream_id = counted_streams.stream_id
    {%- endif %}
    where
        user_days_tracked.activity_date is not null
        {%- if target.type != 'spark' %}
            and user_days_tracked.stream_id in (select counted_streams.stream_id from counted_streams)
        {%- endif %}
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
        stream_id,
        count(*) filter (where room_enters > 0) as viewers,
        sum(room_enters) as room_enters,
        sum(watch_microseconds) as watch_microseconds,
        sum(interactions) as interactions,
        count(*) filter (where room_enters > 0 and interactions > 0) as interacting_viewers,
        sum(product_impressions) as product_impressions,
        sum(product_clicks) as product_clicks,
        sum(add_to_carts) as add_to_carts,
        sum(orders) as orders,
        count(*) filter (where orders > 0) as buyers,
        count(*) filter (where room_enters > 0 and orders > 0) as buying_viewers,
        sum(net_amount) as net_gmv,
        sum(follows) as follows
    from stream_users
    group by stream_id
),

-- +1 where a span starts, -1 where it ends (a session is open on [start, end))
span_edges as (
    select
        viewer_spans.stream_id,
        viewer_spans.span_started_at as edge_at,
        1 as viewer_change
    from viewer_spans
    inner join counted_streams
        on viewer_spans.stream_id = counted_streams.stream_id
    union all
    select
        viewer_spans.stream_id,
        viewer_spans.span_ended_at as edge_at,
        -1 as viewer_change
    from viewer_spans
    inner join counted_streams
        on viewer_spans.stream_id = counted_streams.stream_id
),

-- the running count of open spans, edge by edge, an instant's ends before its starts: after an
-- instant's last edge it is the concurrency from that instant on; an instant's earlier edges
-- give no more than the instant before it or the instant itself (ends lower it, starts raise
-- it), so the largest running count is the peak and its first edge is at the peak instant
concurrency as (
    select
        stream_id,
        edge_at,
        sum(viewer_change) over (
            partition by stream_id
            order by edge_at, viewer_change
            rows between unbounded preceding and current row
        ) as concurrent_viewers
    from span_edges
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

final as (
    select
        cast(counted_streams.stream_id as string) as stream_id,
        cast(coalesce(stream_totals.viewers, 0) as bigint) as viewers,
        cast(coalesce(stream_totals.room_enters, 0) as bigint) as room_enters,
        cast(coalesce(peak_instants.peak_concurrent_viewers, 0) as bigint) as peak_concurrent_viewers,
        cast(peak_instants.peak_at as timestamp) as peak_at,
        cast(coalesce(stream_totals.watch_microseconds, 0) as bigint) as watch_microseconds,
        cast(coalesce(stream_totals.interactions, 0) as bigint) as interactions,
        cast(coalesce(stream_totals.interacting_viewers, 0) as bigint) as interacting_viewers,
        cast(coalesce(stream_totals.product_impressions, 0) as bigint) as product_impressions,
        cast(coalesce(stream_totals.product_clicks, 0) as bigint) as product_clicks,
        cast(coalesce(stream_totals.add_to_carts, 0) as bigint) as add_to_carts,
        cast(coalesce(stream_totals.orders, 0) as bigint) as orders,
        cast(coalesce(stream_totals.buyers, 0) as bigint) as buyers,
        cast(coalesce(stream_totals.buying_viewers, 0) as bigint) as buying_viewers,
        cast(coalesce(stream_totals.net_gmv, 0) as decimal(18, 2)) as net_gmv,
        cast(coalesce(stream_totals.follows, 0) as bigint) as follows,
        cast(counted_streams.as_of_date as date) as as_of_date,
        {{ run_stamp() }} as _loaded_at
    from counted_streams
    left join stream_totals
        on counted_streams.stream_id = stream_totals.stream_id
    left join peak_instants
        on counted_streams.stream_id = peak_instants.stream_id
)

select * from final
