{#-
    One row per stream started by D (started_at dated <= D), with its end if known by D and
    the end of its minute grid: the known end, else started_at + max_session_minutes.
-#}
with

live_streams as (
    select * from {{ ref('stg_live__live_streams') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

streams_started as (
    select
        live_streams.stream_id,
        live_streams.anchor_id,
        live_streams.category,
        live_streams.started_at,
        -- an end dated after D is not known yet
        case
            when cast({{ to_business_timestamp('live_streams.ended_at') }} as date) <= as_of.as_of_date
                then live_streams.ended_at
        end as ended_at,
        live_streams.started_date,
        as_of.as_of_date
    from live_streams
    cross join as_of
    where live_streams.started_date <= as_of.as_of_date
),

streams_gridded as (
    select
        *,
        coalesce(
            ended_at,
            started_at + {{ minutes_interval(threshold('max_session_minutes')) }}
        ) as grid_ended_at
    from streams_started
),

final as (
    select
        stream_id,
        anchor_id,
        category,
        started_at,
        ended_at,
        grid_ended_at,
        -- n = ceil((G - started_at) / 60 s) minute rows; none when G <= started_at
        {{ minute_starts_before('started_at', 'grid_ended_at') }} as grid_minutes,
        started_date,
        as_of_date
    from streams_gridded
)

select * from final
