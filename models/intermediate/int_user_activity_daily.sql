{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
        unique_key=(none if target.type == 'spark' else 'activity_date'),
        partition_by=(['activity_date'] if target.type == 'spark' else none),
        on_schema_change='fail',
        post_hook="{{ user_activity_days_chunks_inserted() }}",
    )
}}
-- depends_on: {{ ref('stg_live__event_partitions') }}
{#
    Incremental by activity_date: a run recomputes the dates of the last lookback_days, every
    events partition written since this model's last run (stg_live__event_partitions) and every
    session_date partition int_watch_sessions_sessionized rewrote since then, from those dates'
    events and sessions only. A full build on DuckDB takes the dates in chunks of about
    event_date_chunk_rows events (var; macro event_date_chunks): the select below builds the
    first, the post-hook inserts the others, so the aggregate's groups fit in memory at any
    history length (2M users x 365 days spilled past 20 GB in one statement).
-#}
{%- set start_date = recount_start_date(
    'activity_date', also_rewritten=ref('int_watch_sessions_sessionized'), rewritten_date_column='session_date'
) %}
with

all_events as (
    select * from {{ ref('stg_live__events') }}
),

all_watch_sessions as {{ inline_cte() }} (
    select * from {{ ref('int_watch_sessions_sessionized') }}
),

{% if is_incremental() %}

    -- the incremental manifest: when each events partition was last written
    event_partitions as (
        select * from {{ ref('stg_live__event_partitions') }}
    ),

    watermark as (
        {{ incremental_watermark('activity_date') }}
    ),

    -- the dates to recount besides the lookback: the events partitions written since the last run
    -- and the session dates int_watch_sessions_sessionized rewrote since then
    changed_dates as (
        {{ changed_dates_since_watermark(also_rewritten='all_watch_sessions', rewritten_date_column='session_date') }}
    ),

    events as (
        {{ rows_to_recount('all_events', 'event_date', start_date) }}
    ),

    watch_sessions as (
        {{ rows_to_recount('all_watch_sessions', 'session_date', start_date) }}
    ),

{% else %}

    {%- set chunk_starts = event_date_chunks() %}

    -- a full build: every date, or on DuckDB its first chunk of dates (the post-hook adds the rest)
    events as (
        select * from all_events
        {{ event_date_chunk_filter(chunk_starts, 0, 'event_date') }}
    ),

    watch_sessions as (
        select * from all_watch_sessions
        {{ event_date_chunk_filter(chunk_starts, 0, 'session_date') }}
    ),

{% endif %}

{{ user_activity_days('events', 'watch_sessions') }}

select * from final
{{ in_date_order('activity_date') }}
