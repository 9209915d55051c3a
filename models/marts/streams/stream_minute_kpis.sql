{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key='stream_id',
        on_schema_change='fail',
        post_hook=["{{ stream_minutes_gone_deleted() }}", "{{ log_mart_run() }}"],
    )
}}
{#-
    The live dashboard replayed minute by minute: one row per stream started by D and minute k of
    its grid [started_at + k min, started_at + (k+1) min), up to the known end (else the
    max_session_minutes cap). stream_review.md, `stream_minute_kpis`. The event-borne counts
    are kept incrementally by started date (int_stream_minutes_counted); orders (purchases as
    of D, which a later refund can undo) are counted here.

    Incremental by stream on DuckDB: a run writes every minute of the streams the parent wrote
    since this mart's last run (its `_loaded_at` after the run's start logged in
    int_history_runs_logged by the post-hook log_mart_run; every stream when none is logged) and
    of the streams int_stream_user_days_summarized wrote since then, which include every stream
    whose purchases as of D changed (a late order, a refund, a purchase as of another D: its
    stream row's purchases_fingerprint hashes each purchase's order, user, paid time and net
    amount), so that the stored purchases are not compared minute by minute; only those
    streams' purchases are counted by minute. Streams with no
    minute as of D are deleted by the post-hook stream_minutes_gone_deleted. On Spark, on a full
    refresh: every stream.
-#}
-- depends_on: {{ ref('int_history_runs_logged') }}
-- depends_on: {{ ref('int_as_of_date') }}
-- depends_on: {{ ref('int_stream_user_days_summarized') }}
with

minutes_counted as {{ inline_cte() }} (
    select * from {{ ref('int_stream_minutes_counted') }}
),

streams as (
    select * from {{ ref('int_streams_started') }}
),

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

{% if is_incremental() %}

    runs_logged as (
        select * from {{ ref('int_history_runs_logged') }}
    ),

    user_days as (
        select * from {{ ref('int_stream_user_days_summarized') }}
    ),

    -- this mart's last run (its name written out: in a unit test `this` names the test's relation)
    last_run as (
        select max(logged_at) as logged_at
        from runs_logged
        where model_name = 'stream_minute_kpis'
    ),

    -- the streams the parent wrote since then
    recounted_streams as (
        select distinct minutes_counted.stream_id
        from minutes_counted
        cross join last_run
        where
            last_run.logged_at is null
            or minutes_counted._loaded_at > last_run.logged_at
    ),

    -- the streams int_stream_user_days_summarized wrote since then (its stream rows; among them
    -- every stream whose purchases as of D changed)
    repurchased_streams as (
        select user_days.stream_id
        from user_days
        cross join last_run
        where
            user_days.user_id is null
            and (last_run.logged_at is null or user_days._loaded_at > last_run.logged_at)
    ),

    written_streams as (
        select stream_id from recounted_streams
        union
        select stream_id from repurchased_streams
    ),

    minutes_written as (
        select minutes_counted.*
        from minutes_counted
        inner join written_streams
            on minutes_counted.stream_id = written_streams.stream_id
    ),

    -- the orders are counted for the written streams only
    streams_written as (
        select streams.*
        from streams
        inner join written_streams
            on streams.stream_id = written_streams.stream_id
    ),

{% else %}

    minutes_written as (
        select * from minutes_counted
    ),

    streams_written as (
        select * from streams
    ),

{% endif %}

-- the stream's purchases as of D paid inside its grid, by minute (in minutes 0 to n - 1: the
-- last minute's bounds, not G, decide)
orders_placed as (
    select
        streams_written.stream_id,
        {{ minute_index_at('streams_written.started_at', 'purchases.paid_at') }} as minute_index
    from purchases
    inner join streams_written
        on purchases.stream_id = streams_written.stream_id
    where {{ is_on_minute_grid('streams_written.started_at', 'purchases.paid_at', 'streams_written.grid_minutes') }}
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
        cast(minutes_written.stream_id as string) as stream_id,
        cast(minutes_written.minute_index as integer) as minute_index,
        cast(minutes_written.minute_at as timestamp) as minute_at,
        cast(minutes_written.concurrent_viewers as integer) as concurrent_viewers,
        cast(minutes_written.entries as integer) as entries,
        cast(minutes_written.interactions as integer) as interactions,
        cast(minutes_written.add_to_carts as integer) as add_to_carts,
        cast(coalesce(minute_orders.orders, 0) as integer) as orders
    from minutes_written
    -- only streams started by D, on their grid as of D (stored rows of a later D are left out)
    inner join streams
        on
            minutes_written.stream_id = streams.stream_id
            and minutes_written.grid_ended_at = streams.grid_ended_at
    left join minute_orders
        on
            minutes_written.stream_id = minute_orders.stream_id
            and minutes_written.minute_index = minute_orders.minute_index
)

select * from final
