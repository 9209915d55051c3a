with

events as (
    select * from {{ ref('stg_live__events') }}
),

live_streams as (
    select * from {{ ref('stg_live__live_streams') }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

room_events as (
    select
        event_id,
        user_id,
        stream_id,
        event_type,
        event_at,
        event_date,
        event_hour,
        -- at one timestamp an enter_room sorts before a leave_room
        case when event_type = 'enter_room' then 0 else 1 end as event_type_order
    from events
    where event_type in ('enter_room', 'leave_room')
),

-- for every room event: the user's next enter_room (any stream) and next leave_room of the
-- same stream; min() over the following rows is the first of them in time
room_events_with_next as (
    select
        *,
        min(case when event_type = 'enter_room' then event_at end) over (
            partition by user_id
            order by event_at, event_type_order, event_id
            rows between 1 following and unbounded following
        ) as next_enter_at,
        min(case when event_type = 'enter_room' then event_date end) over (
            partition by user_id
            order by event_at, event_type_order, event_id
            rows between 1 following and unbounded following
        ) as next_enter_date,
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
    from room_events
),

-- a session starts at each enter_room; its own leave_room is the next one of that stream
-- unless the next enter_room comes first
sessions as (
    select
        room_events_with_next.event_id as session_id,
        room_events_with_next.user_id,
        room_events_with_next.stream_id,
        room_events_with_next.event_at as session_started_at,
        room_events_with_next.event_date as session_date,
        room_events_with_next.event_hour as session_start_hour,
        room_events_with_next.next_leave_at,
        room_events_with_next.next_leave_date,
        room_events_with_next.next_enter_at,
        room_events_with_next.next_enter_date,
        room_events_with_next.next_leave_at is not null
        and (
            room_events_with_next.next_enter_at is null
            or room_events_with_next.next_leave_at <= room_events_with_next.next_enter_at
        ) as has_own_leave,
        live_streams.ended_at as stream_ended_at,
        cast({{ to_business_timestamp('live_streams.ended_at') }} as date) as stream_ended_date
    from room_events_with_next
    left join live_streams
        on room_events_with_next.stream_id = live_streams.stream_id
    where room_events_with_next.event_type = 'enter_room'
),

sessions_with_leave as (
    select
        *,
        case when has_own_leave then next_leave_at end as leave_at,
        case when has_own_leave then next_leave_date end as leave_date
    from sessions
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
    from sessions_with_leave
),

sessions_measured as (
    select
        *,
        {{ watch_session_seconds() }} as watch_seconds
    from session_candidates
),

final as (
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
)

select * from final
