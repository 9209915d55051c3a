{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        pre_hook="{{ delete_rewritten_streams(ref('int_stream_user_days_summarized')) }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_stream_user_days_summarized') }}
{#-
    One row per stream started by D, viewer and span of time during which the viewer has at
    least one session of the stream open: the viewer's open sessions [start, end) of the stream,
    overlapping ones merged. Counting spans open at an instant counts distinct viewers, which is
    the stream review's concurrency c(s, x). A 0 s session is never open and has no span.

    Incremental by stream on DuckDB (a table on Spark): a run recounts the streams that
    int_stream_user_days_summarized rewrote since this model's last run (it rewrites a stream
    whenever its sessions, its stream row or its purchases as of D change; spans are a function
    of the stream's sessions and row), after a pre-hook deleted their rows (macros/stream_recount.sql).
    Only their sessions dated on or after the earliest date of their user-day rows are read (all
    of them; the zone maps skip the older ones).
-#}
{%- set last_run = stream_model_last_run() %}
{%- if is_incremental() %}
    {%- set rewritten = streams_rewritten_literals(ref('int_stream_user_days_summarized'), last_run) %}
    {%- set first_date = streams_rewritten_first_date(ref('int_stream_user_days_summarized'), rewritten) %}
{%- endif %}
with

sessions as (
    select * from {{ ref('int_stream_sessions_bounded') }}
    {%- if is_incremental() %}
        where stream_id in ({{ rewritten }})
        {%- if first_date is not none %}
            and session_date >= cast('{{ first_date }}' as date)
        {%- endif %}
    {%- endif %}
),

streams as (
    select * from {{ ref('int_streams_started') }}
),

open_sessions as (
    select
        sessions.stream_id,
        sessions.user_id,
        sessions.session_id,
        sessions.session_started_at,
        sessions.session_ended_at
    from sessions
    inner join streams
        on sessions.stream_id = streams.stream_id
    where sessions.session_ended_at > sessions.session_started_at
),

-- per stream and viewer: its open sessions and their bounds, which are its one span when it
-- has one session (99% of the viewers at `medium`; only the others are ordered below)
viewers as (
    select
        stream_id,
        user_id,
        count(*) as open_sessions,
        min(session_started_at) as first_started_at,
        max(session_ended_at) as last_ended_at
    from open_sessions
    group by stream_id, user_id
),

-- (viewers has one row per stream and viewer: the join keeps each session once)
sessions_of_repeat_viewers as (
    select open_sessions.*
    from open_sessions
    inner join viewers
        on
            open_sessions.stream_id = viewers.stream_id
            and open_sessions.user_id = viewers.user_id
    where viewers.open_sessions > 1
),

-- the latest end among the viewer's earlier sessions of the stream
sessions_with_reach as (
    select
        *,
        max(session_ended_at) over (
            partition by stream_id, user_id
            order by session_started_at, session_id
            rows between unbounded preceding and 1 preceding
        ) as earlier_ended_at
    from sessions_of_repeat_viewers
),

-- a span starts at a session that begins after every earlier one of the viewer has ended
sessions_spanned as (
    select
        *,
        sum(case when earlier_ended_at is null or session_started_at > earlier_ended_at then 1 else 0 end) over (
            partition by stream_id, user_id
            order by session_started_at, session_id
            rows between unbounded preceding and current row
        ) as span_number
    from sessions_with_reach
),

spans as (
    select
        stream_id,
        user_id,
        1 as span_number,
        first_started_at as span_started_at,
        last_ended_at as span_ended_at
    from viewers
    where open_sessions = 1
    union all
    select
        stream_id,
        user_id,
        span_number,
        min(session_started_at) as span_started_at,
        max(session_ended_at) as span_ended_at
    from sessions_spanned
    group by stream_id, user_id, span_number
),

final as (
    select
        stream_id,
        user_id,
        cast(span_number as bigint) as span_number,
        span_started_at,
        span_ended_at,
        {{ run_stamp() }} as _loaded_at
    from spans
)

select * from final
