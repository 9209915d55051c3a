{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key='user_id',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('stg_live__event_partitions') }}
-- depends_on: {{ ref('int_watch_sessions_sessionized') }}
-- depends_on: {{ ref('int_as_of_date') }}
{#
    One row per user with a watch session dated <= D: their first session ever, the one with the
    smallest (start, session_id) in any stream (null or unknown streams included), as the
    stream review's new viewers read it. Incremental by user on DuckDB (a table on Spark): a
    run redoes the users with a session written since the last run that wrote rows (its start
    and its D are the watermark) or dated between the last run's D and this one's; a redone
    user without a session as of D gets a row with a null session (readers skip it).

    A redone user's first session is the first of their changed sessions and their stored first
    session: a session's start, stream and id come from its enter_room, so a session never
    written again is as it was, and the cost does not grow with the user's history. Only when
    the stored first session may have changed or gone (its date is a sessions partition written
    again since, or an events partition written since) are all of the user's sessions read.
    The watermark is also read once at run time as literals (macro user_first_sessions_bounds), so
    that the scans of the sessions skip what the CTEs below would drop: the sessions neither
    written since nor dated between the two D, and, for the users read again, the sessions before
    the earliest such date (none of theirs can be).
#}
{%- set bounds = user_first_sessions_bounds() %}
with

sessions as (
    select * from {{ ref('int_stream_sessions_bounded') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

{% if is_incremental() %}

    watch_sessions as (
        select * from {{ ref('int_watch_sessions_sessionized') }}
        {%- if bounds is not none %}
            where
                _loaded_at > cast('{{ bounds.loaded_at }}' as timestamp)
                or (
                    session_date > cast('{{ bounds.from_date }}' as date)
                    and session_date <= cast('{{ bounds.to_date }}' as date)
                )
        {%- endif %}
    ),

    event_partitions as (
        select * from {{ ref('stg_live__event_partitions') }}
    ),

    watermark as (
        {{ last_run_watermark(this) }}
    ),

    -- sessions written since the last run, or dated between its D and this one's (any date)
    changed_sessions as (
        select
            watch_sessions.user_id,
            watch_sessions.session_id,
            watch_sessions.stream_id,
            watch_sessions.session_started_at,
            watch_sessions.session_date,
            watch_sessions._loaded_at > watermark.loaded_at as is_written_since
        from watch_sessions
        cross join watermark
        where
            watermark.loaded_at is null
            or watch_sessions._loaded_at > watermark.loaded_at
            or (watch_sessions.session_date > watermark.from_date and watch_sessions.session_date <= watermark.to_date)
    ),

    -- dates whose stored sessions may have changed or gone: the sessions partitions written since
    -- and the events partitions written since (a rewritten date can be left without sessions)
    rewritten_dates as (
        select changed_sessions.session_date as rewritten_date
        from changed_sessions
        where changed_sessions.is_written_since
        union
        select event_partitions.partition_date as rewritten_date
        from event_partitions
        cross join watermark
        where event_partitions.loaded_at > watermark.loaded_at
    ),

    -- users whose stored first session is on such a date: all their sessions are read again
    users_reread as (
        select previous_users.user_id
        from {{ this }} as previous_users
        inner join rewritten_dates
            on previous_users.session_date = rewritten_dates.rewritten_date
    ),

    changed_users as (
        select changed_sessions.user_id
        from changed_sessions
        union
        select users_reread.user_id
        from users_reread
    ),

    -- the sessions a redone user's first session is among: their changed sessions as of D, their
    -- stored first session (unless read again, or dated after D when D moved back) and, for a user
    -- read again, every session as of D
    candidate_sessions as (
        select
            changed_sessions.user_id,
            changed_sessions.session_id,
            changed_sessions.stream_id,
            changed_sessions.session_started_at,
            changed_sessions.session_date
        from changed_sessions
        cross join as_of
        where changed_sessions.session_date <= as_of.as_of_date
        union all
        select
            previous_users.user_id,
            previous_users.session_id,
            previous_users.stream_id,
            previous_users.session_started_at,
            previous_users.session_date
        from {{ this }} as previous_users
        inner join changed_users
            on previous_users.user_id = changed_users.user_id
        left join users_reread
            on previous_users.user_id = users_reread.user_id
        cross join as_of
        where
            previous_users.session_id is not null
            and previous_users.session_date <= as_of.as_of_date
            and users_reread.user_id is null
        union all
        select
            sessions.user_id,
            sessions.session_id,
            sessions.stream_id,
            sessions.session_started_at,
            sessions.session_date
        from sessions
        inner join users_reread
            on sessions.user_id = users_reread.user_id
        {%- if bounds is not none and bounds.reread_from is not none %}
            where sessions.session_date >= cast('{{ bounds.reread_from }}' as date)
        {%- endif %}
    ),

{% else %}

    candidate_sessions as (
        select * from sessions
    ),

{% endif %}

sessions_ranked as (
    select
        user_id,
        session_id,
        stream_id,
        session_started_at,
        session_date,
        row_number() over (
            partition by user_id
            order by session_started_at, session_id
        ) as session_rank
    from candidate_sessions
),

first_sessions as (
    select
        user_id,
        session_id,
        stream_id,
        session_started_at,
        session_date
    from sessions_ranked
    where session_rank = 1
),

{% if is_incremental() %}

    users_redone as (
        select
            changed_users.user_id,
            first_sessions.session_id,
            first_sessions.stream_id,
            first_sessions.session_started_at,
            first_sessions.session_date
        from changed_users
        left join first_sessions
            on changed_users.user_id = first_sessions.user_id
    ),

{% else %}

    users_redone as (
        select * from first_sessions
    ),

{% endif %}

final as (
    select
        cast(users_redone.user_id as string) as user_id,
        cast(users_redone.session_id as string) as session_id,
        cast(users_redone.stream_id as string) as stream_id,
        cast(users_redone.session_started_at as timestamp) as session_started_at,
        cast(users_redone.session_date as date) as session_date,
        cast(as_of.as_of_date as date) as as_of_date,
        {{ run_stamp() }} as _loaded_at
    from users_redone
    cross join as_of
)

select * from final
