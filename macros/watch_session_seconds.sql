{#-
    Length in seconds of a watch session as known on business date `as_of_date`
    (a SQL date expression; none = with everything known). The spec's rule: a session ends at
    its own leave_room (the user's next leave_room of that stream, unless the next enter_room
    of any stream comes first); without one, at the earliest of the next enter_room, the
    stream's end (if known) and max_session_minutes after it began. Information counts as
    known on its business date, so as of D a leave_room, next enter_room or stream end dated
    after D does not exist yet.

    Expects the columns of `int_watch_sessions_sessionized`: seconds_to_leave, leave_date,
    seconds_to_next_enter, next_enter_date, seconds_to_stream_end, stream_ended_date,
    max_session_seconds.
-#}
{% macro watch_session_seconds(as_of_date=none) -%}
    {%- if as_of_date is none -%}
    case
        when seconds_to_leave is not null then seconds_to_leave
        else least(
            coalesce(seconds_to_next_enter, max_session_seconds),
            coalesce(seconds_to_stream_end, max_session_seconds),
            max_session_seconds
        )
    end
    {%- else -%}
    case
        when seconds_to_leave is not null and leave_date <= {{ as_of_date }} then seconds_to_leave
        else least(
            coalesce(case when next_enter_date <= {{ as_of_date }} then seconds_to_next_enter end, max_session_seconds),
            coalesce(case when stream_ended_date <= {{ as_of_date }} then seconds_to_stream_end end, max_session_seconds),
            max_session_seconds
        )
    end
    {%- endif -%}
{%- endmacro %}
