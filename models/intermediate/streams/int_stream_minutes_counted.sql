{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
        unique_key=(none if target.type == 'spark' else 'started_date'),
        partition_by=(['started_date'] if target.type == 'spark' else none),
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('stg_live__event_partitions') }}
-- depends_on: {{ ref('int_watch_sessions_sessionized') }}
{#
    One row per stream started by D and minute of its grid, with the event-borne counts of
    stream_minute_kpis (orders are added by the mart from the purchases as of D, which have no
    change tracking). Incremental by started_date: a run recounts the streams started on
    - the last lookback_days started dates stored;
    - the started dates of streams with an event in an events partition written since the last
      run (stg_live__event_partitions), or with a session rewritten since then;
    - the started dates of streams whose grid end differs from the stored one, or not stored yet;
    - when D differs from the one a stream was counted as of: the started dates of streams not
      settled as of the earlier of the two (settled: its end is known and dated before that D,
      so no later event falls in its grid, whose last minute ends less than a minute after the
      end, by that D at the latest; and every session of the stream has its final length by that
      D, int_watch_sessions_sessionized.settled_date).
    Rows of streams no longer started by D are dropped by the mart.
-#}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

viewer_spans as {{ inline_cte() }} (
    select * from {{ ref('int_stream_viewers_merged') }}
),

all_events as (
    select * from {{ ref('stg_live__events') }}
),

{% if is_incremental() %}

    watch_sessions as {{ inline_cte() }} (
        select * from {{ ref('int_watch_sessions_sessionized') }}
    ),

    event_partitions as (
        select * from {{ ref('stg_live__event_partitions') }}
    ),

    -- a second import of the events, not a second read of all_events: DuckDB materialises a CTE
    -- read twice (every stored event), and the date filter below would not reach the table scan
    changed_date_events as (
        select * from {{ ref('stg_live__events') }}
    ),

    -- each stored stream's grid end and the D it was counted as of (a stream's rows are written together)
    stored_streams as (
        select distinct
            stream_id,
            grid_ended_at,
            as_of_date
        from {{ this }}
    ),

    watermark as (
        {{ incremental_watermark('started_date') }}
    ),

    -- the events partitions written since the last run
    changed_dates as (
        {{ changed_dates_since_watermark() }}
    ),

    new_event_streams as (
        select distinct changed_date_events.stream_id
        from changed_date_events
        inner join changed_dates
            on changed_date_events.event_date = changed_dates.changed_date
    ),

    -- the date from which every session of the stream has its final length (settled_date: a leave_room
    -- can close a session days later)
    stream_sessions_settled as (
        select
            stream_id,
            max(settled_date) as sessions_settled_date
        from watch_sessions
        group by stream_id
    ),

    rewritten_session_streams as (
        select distinct watch_sessions.stream_id
        from watch_sessions
        cross join watermark
        where watch_sessions._loaded_at > watermark.loaded_at
    ),

    recount_dates as (
        select distinct streams.started_date
        from streams
        cross join watermark
        left join stored_streams
            on streams.stream_id = stored_streams.stream_id
        left join new_event_streams
            on streams.stream_id = new_event_streams.stream_id
        left join rewritten_session_streams
            on streams.stream_id = rewritten_session_streams.stream_id
        left join stream_sessions_settled
            on streams.stream_id = stream_sessions_settled.stream_id
        where
            watermark.loaded_at is null
            or streams.started_date >= watermark.lookback_start_date
            or new_event_streams.stream_id is not null
            or rewritten_session_streams.stream_id is not null
            or (
                streams.grid_minutes > 0
                and not (stored_streams.grid_ended_at is not distinct from streams.grid_ended_at)
            )
            or (
                stored_streams.as_of_date <> streams.as_of_date
                and not coalesce(
                    cast({{ to_business_timestamp('streams.ended_at') }} as date)
                    < least(stored_streams.as_of_date, streams.as_of_date)
                    and coalesce(stream_sessions_settled.sessions_settled_date, cast('1900-01-01' as date))
                    <= least(stored_streams.as_of_date, streams.as_of_date),
                    false
                )
            )
    ),

    counted_streams as (
        select streams.*
        from streams
        inner join recount_dates
            on streams.started_date = recount_dates.started_date
    ),

{% else %}

    counted_streams as (
        select * from streams
    ),

{% endif %}

grid as (
    {{ integer_series('counted_streams', 'grid_minutes', 'minute_index',
        ['stream_id', 'started_at', 'grid_ended_at', 'started_date', 'as_of_date']) }}
),

grid_minutes as (
    select
        *,
        started_at + {{ minutes_interval('minute_index') }} as minute_at
    from grid
),

-- concurrency at each minute start m_k: the viewers with a span [start, end) holding m_k. A span
-- holds the minutes from the first one at or after its start to the last one before its end: it
-- adds +1 at the first and -1 at the first past its end (an edge at or before the stream's start
-- counts at minute 0), and the running sum of these changes along the grid is the concurrency.
-- Edges are placed by minute index, so only the grid is sorted, not every span edge by time.
span_edges as (
    select
        viewer_spans.stream_id,
        counted_streams.started_at,
        viewer_spans.span_started_at as edge_at,
        1 as viewer_change
    from viewer_spans
    inner join counted_streams
        on viewer_spans.stream_id = counted_streams.stream_id
    union all
    select
        viewer_spans.stream_id,
        counted_streams.started_at,
        viewer_spans.span_ended_at as edge_at,
        -1 as viewer_change
    from viewer_spans
    inner join counted_streams
        on viewer_spans.stream_id = counted_streams.stream_id
),

-- the first minute index k with m_k >= edge_at (the minute starts before it; 0 at or before
-- the stream's start)
span_edges_placed as (
    select
        stream_id,
        {{ minute_starts_before('started_at', 'edge_at') }} as minute_index,
        viewer_change
    from span_edges
),

minute_changes as (
    select
        stream_id,
        minute_index,
        sum(viewer_change) as viewer_change
    from span_edges_placed
    group by stream_id, minute_index
),

minute_concurrency as (
    select
        grid_minutes.stream_id,
        grid_minutes.minute_index,
        sum(coalesce(minute_changes.viewer_change, 0)) over (
            partition by grid_minutes.stream_id
            order by grid_minutes.minute_index
            rows between unbounded preceding and current row
        ) as concurrent_viewers
    from grid_minutes
    left join minute_changes
        on
            grid_minutes.stream_id = minute_changes.stream_id
            and grid_minutes.minute_index = minute_changes.minute_index
),

-- the stream's events dated <= D inside its grid, by minute [m_k, m_k + 60 s): in minutes 0 to
-- n - 1, so the last minute's events after G count too (its bounds, not G, decide)
events_placed as (
    select
        all_events.event_type,
        counted_streams.stream_id,
        {{ minute_index_at('counted_streams.started_at', 'all_events.event_at') }} as minute_index
    from all_events
    inner join counted_streams
        on all_events.stream_id = counted_streams.stream_id
    where
        all_events.event_date <= counted_streams.as_of_date
        and all_events.event_type in ('enter_room', 'like', 'comment', 'share', 'follow', 'gift', 'add_to_cart')
        and {{ is_on_minute_grid('counted_streams.started_at', 'all_events.event_at', 'counted_streams.grid_minutes') }}
),

minute_events as (
    select
        stream_id,
        minute_index,
        count(*) filter (where event_type = 'enter_room') as entries,
        count(*) filter (where event_type in ({{ interaction_event_types() }})) as interactions,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts
    from events_placed
    group by stream_id, minute_index
),

final as (
    select
        cast(grid_minutes.stream_id as string) as stream_id,
        cast(grid_minutes.minute_index as integer) as minute_index,
        cast(grid_minutes.minute_at as timestamp) as minute_at,
        cast(coalesce(minute_concurrency.concurrent_viewers, 0) as integer) as concurrent_viewers,
        cast(coalesce(minute_events.entries, 0) as integer) as entries,
        cast(coalesce(minute_events.interactions, 0) as integer) as interactions,
        cast(coalesce(minute_events.add_to_carts, 0) as integer) as add_to_carts,
        cast(grid_minutes.grid_ended_at as timestamp) as grid_ended_at,
        cast(grid_minutes.as_of_date as date) as as_of_date,
        cast(grid_minutes.started_date as date) as started_date,
        {{ run_stamp() }} as _loaded_at
    from grid_minutes
    left join minute_concurrency
        on
            grid_minutes.stream_id = minute_concurrency.stream_id
            and grid_minutes.minute_index = minute_concurrency.minute_index
    left join minute_events
        on
            grid_minutes.stream_id = minute_events.stream_id
            and grid_minutes.minute_index = minute_events.minute_index
)

select * from final
