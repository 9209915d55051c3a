{#-
    The live dashboard replayed minute by minute: one row per stream started by D and minute k of
    its grid [started_at + k min, started_at + (k+1) min), up to the known end (else the
    max_session_minutes cap). stream_review.md, `stream_minute_kpis`. The event-borne counts
    are kept incrementally by started date (int_stream_minutes_counted); orders (purchases as
    of D, which a later refund can undo) are counted here on every run.
-#}
with

minutes_counted as (
    select * from {{ ref('int_stream_minutes_counted') }}
),

streams as (
    select * from {{ ref('int_streams_started') }}
),

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

-- the stream's purchases as of D paid inside its grid, by minute
orders_placed as (
    select
        streams.stream_id,
        {{ integer_divide(microseconds_between('streams.started_at', 'purchases.paid_at'), '60000000') }}
            as minute_index
    from purchases
    inner join streams
        on purchases.stream_id = streams.stream_id
    where
        purchases.paid_at >= streams.started_at
        and purchases.paid_at < streams.grid_ended_at
),

minute_orders as (
    select
        stream_id,
        minute_index,
        count(*) as orders
    from orders_placed
    group by stream_id, minute_index
),

final as (
    select
        cast(minutes_counted.stream_id as string) as stream_id,
        cast(minutes_counted.minute_index as integer) as minute_index,
        cast(minutes_counted.minute_at as timestamp) as minute_at,
        cast(minutes_counted.concurrent_viewers as integer) as concurrent_viewers,
        cast(minutes_counted.entries as integer) as entries,
        cast(minutes_counted.interactions as integer) as interactions,
        cast(minutes_counted.add_to_carts as integer) as add_to_carts,
        cast(coalesce(minute_orders.orders, 0) as integer) as orders
    from minutes_counted
    -- only streams started by D, on their grid as of D (stored rows of a later D are left out)
    inner join streams
        on
            minutes_counted.stream_id = streams.stream_id
            and minutes_counted.grid_ended_at = streams.grid_ended_at
    left join minute_orders
        on
            minutes_counted.stream_id = minute_orders.stream_id
            and minutes_counted.minute_index = minute_orders.minute_index
)

select * from final
