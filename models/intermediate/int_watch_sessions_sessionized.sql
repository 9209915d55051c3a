{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
        unique_key=(none if target.type == 'spark' else 'session_date'),
        partition_by=(['session_date'] if target.type == 'spark' else none),
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('stg_live__event_partitions') }}
{#
    Incremental by session_date. A run re-sessionizes every date from m on, m = the earliest of
    (latest session date - lookback_days + 1) and the earliest events partition written since
    this model's last run (stg_live__event_partitions), from the room events dated m or later:
    a session depends only on the events after its start. Two kinds of older sessions are
    redone as well, their partitions rewritten with the other sessions carried over: a session
    still open at m (no leave_room and no next enter_room before m: a later event can close
    it; its own row stands in for its enter_room, nothing between it and m matters), and a
    session whose stream's end changed since it was written.
-#}
{%- set start_date = recount_start_date('session_date') %}
{#- a session as found from its room events, and as stored (the rules' columns; _loaded_at aside) -#}
{%- set found_columns = [
    'session_id', 'user_id', 'stream_id', 'session_started_at', 'session_date', 'session_start_hour',
    'next_enter_at', 'next_enter_date', 'leave_at', 'leave_date',
] %}
{%- set session_columns = [
    'session_id', 'user_id', 'stream_id', 'watch_seconds', 'seconds_to_leave', 'seconds_to_next_enter',
    'seconds_to_stream_end', 'max_session_seconds', 'end_reason', 'is_late_night', 'session_start_hour',
    'session_started_at', 'leave_at', 'next_enter_at', 'stream_ended_at', 'session_date', 'leave_date',
    'next_enter_date', 'stream_ended_date', 'settled_date',
] %}
with

-- an incremental run reads the events from m on only (m a literal, so the filter reaches the scan
-- of the base table instead of every event being read, then filtered)
events as (
    select * from {{ ref('stg_live__events') }}
    {{- recomputed_dates_only(start_date, 'event_date') }}
),

live_streams as (
    select * from {{ ref('stg_live__live_streams') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

{% if is_incremental() %}

    -- (the stored sessions are read from the table itself each time: a CTE read several times
    -- would be materialised)
    -- m: the start of the lookback, or the earliest events partition written since the last run
    -- (macro recount_start_date, read once at run time)
    recompute_from as (
        select cast('{{ start_date }}' as date) as start_date
    ),

    -- sessions before m still open at m (their closing event, if any, is dated m or later) of
    -- users with room events from m on: nobody else's session can change
    users_from_start as (
        select distinct events.user_id
        from events
        cross join recompute_from
        where
            events.event_type in ('enter_room', 'leave_room')
            and events.event_date >= recompute_from.start_date
    ),

    -- (two filters on stored columns and the literal m, without and with a leave_room, which the
    -- scan of the stored sessions applies itself: one on a coalesce() of them read every column
    -- of every stored session first)
    open_sessions as (
        select previous_sessions.*
        from (
            select *
            from {{ this }}
            where
                session_date < cast('{{ start_date }}' as date)
                and leave_date is null
                and (next_enter_date is null or next_enter_date >= cast('{{ start_date }}' as date))
            union all
            select *
            from {{ this }}
            where
                session_date < cast('{{ start_date }}' as date)
                and leave_date >= cast('{{ start_date }}' as date)
        ) as previous_sessions
        inner join users_from_start
            on previous_sessions.user_id = users_from_start.user_id
    ),

    -- streams whose sessions before m were measured with an end other than the stream's now: the
    -- stored (stream, end) pairs first, two columns, so that no stored session is read whole
    -- unless its stream changed
    restreamed_streams as (
        select distinct stored_ends.stream_id
        from (
            select distinct
                stream_id,
                stream_ended_at
            from {{ this }}
            where session_date < cast('{{ start_date }}' as date)
        ) as stored_ends
        left join live_streams
            on stored_ends.stream_id = live_streams.stream_id
        where not (stored_ends.stream_ended_at is not distinct from live_streams.ended_at)
    ),

    -- the stored sessions before m of those streams (computed on their own: planned with the
    -- joins below, the few streams were joined last, after those joins read every stored session)
    restreamed_stored as {{ materialized_cte() }} (
        select previous_sessions.*
        from {{ this }} as previous_sessions
        where
            previous_sessions.session_date < cast('{{ start_date }}' as date)
            and previous_sessions.stream_id in (select restreamed_streams.stream_id from restreamed_streams)
    ),

    -- of those, the sessions whose stream end is no longer the one they were measured with
    restreamed_sessions as (
        select restreamed_stored.*
        from restreamed_stored
        left join live_streams
            on restreamed_stored.stream_id = live_streams.stream_id
        left join open_sessions
            on restreamed_stored.session_id = open_sessions.session_id
        where
            open_sessions.session_id is null
            and not (restreamed_stored.stream_ended_at is not distinct from live_streams.ended_at)
    ),

    room_events as (
        select
            events.event_id,
            events.user_id,
            events.stream_id,
            events.event_type,
            events.event_at,
            events.event_date,
            events.event_hour
        from events
        cross join recompute_from
        where
            events.event_type in ('enter_room', 'leave_room')
            and events.event_date >= recompute_from.start_date
        union all
        select
            session_id as event_id,
            user_id,
            stream_id,
            'enter_room' as event_type,
            session_started_at as event_at,
            session_date as event_date,
            session_start_hour as event_hour
        from open_sessions
    ),

{% else %}

    room_events as (
        select
            event_id,
            user_id,
            stream_id,
            event_type,
            event_at,
            event_date,
            event_hour
        from events
        where event_type in ('enter_room', 'leave_room')
    ),

{% endif %}

room_events_ordered as (
    select
        *,
        -- at one timestamp an enter_room sorts before a leave_room
        case when event_type = 'enter_room' then 0 else 1 end as event_type_order
    from room_events
),

-- for every room event: the user's next leave_room of the same stream; min() over the following
-- rows is the first of them in time
room_events_with_next_leave as (
    select
        *,
        min(case when event_type = 'leave_room' then event_at end) over (
            partition by user_id, stream_id
            order by event_at, event_type_order, event_id
            rows between 1 following and unbounded following
        ) as next_leave_at,
        min(case when event_type = 'leave_room' then event_date end) over (
            partition by user_id, stream_id
            order by event_at, event_type_order, event_id
            rows between 1 following and unbounded following
        ) as next_leave_date
    from room_events_ordered
),

-- for every enter_room: the user's earliest enter_room of any stream at a later instant (an
-- enter_room at the same instant neither ends the session nor stops its leave_room), among the
-- user's enter_rooms alone (a sort of the enter_rooms only, not of every room event); its date
-- is the least date of that frame, the date of its earliest instant
enters_with_next as (
    select
        *,
        min(event_at) over (
            partition by user_id
            order by {{ epoch_microseconds('event_at') }}
            range between 1 following and unbounded following
        ) as next_enter_at,
        min(event_date) over (
            partition by user_id
            order by {{ epoch_microseconds('event_at') }}
            range between 1 following and unbounded following
        ) as next_enter_date
    from room_events_with_next_leave
    where event_type = 'enter_room'
),

-- a session starts at each enter_room; its own leave_room is the next one of that stream
-- unless the next enter_room comes first: at one instant an enter_room sorts before a
-- leave_room, so a leave_room at the next enter_room's instant is not the session's own
sessions_led as (
    select
        *,
        next_leave_at is not null and (next_enter_at is null or next_leave_at < next_enter_at) as has_own_leave
    from enters_with_next
),

-- the next enter_room is kept only for a session without its own leave_room: after its own
-- leave it can never matter (it is not known before the leave either), and keeping it would
-- tie a closed session to every later enter_room
sessions_found as (
    select
        event_id as session_id,
        user_id,
        stream_id,
        event_at as session_started_at,
        event_date as session_date,
        event_hour as session_start_hour,
        case when not has_own_leave then next_enter_at end as next_enter_at,
        case when not has_own_leave then next_enter_date end as next_enter_date,
        case when has_own_leave then next_leave_at end as leave_at,
        case when has_own_leave then next_leave_date end as leave_date
    from sessions_led
),

sessions as (
    select * from sessions_found
    {%- if is_incremental() %}
        union all
        select
            {{ found_columns | join(',\n            ') }}
        from restreamed_sessions
    {%- endif %}
),

sessions_with_stream as (
    select
        sessions.*,
        live_streams.ended_at as stream_ended_at,
        cast({{ to_business_timestamp('live_streams.ended_at') }} as date) as stream_ended_date
    from sessions
    left join live_streams
        on sessions.stream_id = live_streams.stream_id
),

session_candidates as (
    select
        *,
        {{ dbt.datediff('session_started_at', 'leave_at', 'second') }}
            as seconds_to_leave,
        {{ dbt.datediff('session_started_at', 'next_enter_at', 'second') }}
            as seconds_to_next_enter,
        -- a stream that ended before the user entered ends the session at once (greatest()
        -- skips nulls, so test for an unknown end first)
        case
            when stream_ended_at is not null
                then greatest({{ dbt.datediff('session_started_at', 'stream_ended_at', 'second') }}, 0)
        end as seconds_to_stream_end,
        cast({{ threshold('max_session_minutes') }} * 60 as bigint) as max_session_seconds
    from sessions_with_stream
),

sessions_measured as (
    select
        *,
        {{ watch_session_seconds() }} as watch_seconds
    from session_candidates
),

sessions_recomputed as (
    select
        session_id,
        user_id,
        stream_id,
        cast(watch_seconds as bigint) as watch_seconds,
        seconds_to_leave,
        seconds_to_next_enter,
        seconds_to_stream_end,
        max_session_seconds,
        case
            when seconds_to_leave is not null then 'leave_room'
            when watch_seconds = max_session_seconds then 'max_session_minutes'
            when watch_seconds = seconds_to_next_enter then 'next_enter_room'
            else 'stream_end'
        end as end_reason,
        session_start_hour >= {{ threshold('late_night_start_hour') }}
        or session_start_hour < {{ threshold('late_night_end_hour') }} as is_late_night,
        session_start_hour,
        session_started_at,
        leave_at,
        next_enter_at,
        stream_ended_at,
        session_date,
        leave_date,
        next_enter_date,
        stream_ended_date,
        -- first business date from which watch_seconds is final: the date the defining end
        -- became known (before it, watch_session_seconds(D) gives the as-of-D length)
        case
            when seconds_to_leave is not null then leave_date
            when watch_seconds = max_session_seconds then session_date
            when watch_seconds = seconds_to_next_enter and watch_seconds = seconds_to_stream_end
                then least(next_enter_date, greatest(stream_ended_date, session_date))
            when watch_seconds = seconds_to_next_enter then next_enter_date
            else greatest(stream_ended_date, session_date)
        end as settled_date
    from sessions_measured
),

{% if is_incremental() %}

    -- an older session redone is one of these two (a session begun from m on is not older):
    -- their stored rows, already read, instead of a join of every stored session
    older_sessions_stored as (
        select * from open_sessions
        union all
        select * from restreamed_sessions
    ),

    -- an older session redone but unchanged is left alone, so its partition is not rewritten
    changed_older_sessions as (
        select
            {{ session_columns | join(',\n            ') }}
        from sessions_recomputed
        where session_date < cast('{{ start_date }}' as date)
        except
        select
            {{ session_columns | join(',\n            ') }}
        from older_sessions_stored
    ),

    partly_redone_dates as (
        select distinct session_date
        from changed_older_sessions
    ),

    -- the older partitions with a changed session keep their other sessions as they were
    carried_sessions as (
        select
            stored_sessions.{{ session_columns | join(',\n            stored_sessions.') }}
        from {{ this }} as stored_sessions
        inner join partly_redone_dates
            on stored_sessions.session_date = partly_redone_dates.session_date
        left join changed_older_sessions
            on stored_sessions.session_id = changed_older_sessions.session_id
        where changed_older_sessions.session_id is null
    ),

    recomputed as (
        select
            {{ session_columns | join(',\n            ') }}
        from sessions_recomputed
        where session_date >= cast('{{ start_date }}' as date)
        union all
        select * from changed_older_sessions
        union all
        select * from carried_sessions
    ),

{% else %}

    recomputed as (
        select * from sessions_recomputed
    ),

{% endif %}

final as (
    select
        *,
        {{ run_stamp() }} as _loaded_at
    from recomputed
)

-- every part of recomputed names session_columns, in their order (AM04 cannot count the star's
-- columns across a union)
select * from final  -- noqa: AM04
