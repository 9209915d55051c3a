-- a view: a projection of the sessions, read by three models that each keep only their own rows
{{ config(materialized='view') }}
{#-
    One row per watch session dated <= D (any stream, null or unknown ones included), with the
    instant it ends as of D: the stream review's session written out. The sessions are those of
    int_watch_sessions_sessionized (one sessionizing path); its end candidates are taken only
    when dated <= D, so a leave_room, next enter_room or stream end dated after D does not
    exist yet. Lengths are exact, in microseconds.
-#}
with

watch_sessions as (
    select * from {{ ref('int_watch_sessions_sessionized') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

sessions_as_of as (
    select
        watch_sessions.*,
        as_of.as_of_date
    from watch_sessions
    cross join as_of
    where watch_sessions.session_date <= as_of.as_of_date
),

-- its own leave_room if known by D; else the earliest of the next enter_room, the stream's
-- end (an end before the start is the start: 0 s) and the cap (least() skips nulls)
sessions_ended as (
    select
        session_id,
        user_id,
        stream_id,
        session_started_at,
        case
            when leave_at is not null and leave_date <= as_of_date then leave_at
            else least(
                case when next_enter_date <= as_of_date then next_enter_at end,
                case
                    when stream_ended_date <= as_of_date
                        then greatest(stream_ended_at, session_started_at)
                end,
                session_started_at + {{ minutes_interval(threshold('max_session_minutes')) }}
            )
        end as session_ended_at,
        session_date
    from sessions_as_of
),

final as (
    select
        session_id,
        user_id,
        stream_id,
        cast({{ microseconds_between('session_started_at', 'session_ended_at') }} as bigint)
            as watch_microseconds,
        session_started_at,
        session_ended_at,
        session_date
    from sessions_ended
)

select * from final
