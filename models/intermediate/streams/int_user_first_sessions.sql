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
    and its D are the watermark), with a session dated between the last run's D and this one's,
    or whose stored first session is on an events partition written since; a redone user
    without a session as of D gets a row with a null session (readers skip it).
-#}
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
),

event_partitions as (
    select * from {{ ref('stg_live__event_partitions') }}
),

watermark as (
    {{ last_run_watermark(this) }}
),

changed_users as (
    select watch_sessions.user_id
    from watch_sessions
    cross join watermark
    where
        watermark.loaded_at is null
        or watch_sessions._loaded_at > watermark.loaded_at
        or (watch_sessions.session_date > watermark.from_date and watch_sessions.session_date <= watermark.to_date)
    union
    select previous_users.user_id
    from {{ this }} as previous_users
    inner join event_partitions
        on previous_users.session_date = event_partitions.partition_date
    cross join watermark
    where event_partitions.loaded_at > watermark.loaded_at
),

candidate_sessions as (
    select sessions.*
    from sessions
    inner join changed_users
        on sessions.user_id = changed_users.user_id
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
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _loaded_at
    from users_redone
    cross join as_of
)

select * from final
