-- Every raw live stream with its parsed values, the first contract check it fails and its copy rank.
with source as (
    select * from {{ source('live', 'live_streams') }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as (
    select
        stream_id,
        anchor_id,
        category,
        started_at as started_at_text,
        ended_at as ended_at_text,
        _source_file,
        {{ parse_timestamp('started_at') }} as started_at,
        {{ parse_timestamp('ended_at') }} as ended_at
    from source
),

checked as (
    select
        *,
        case
            when stream_id is null then 'missing_key'
            when anchor_id is null or category is null or started_at_text is null then 'missing_value'
            when started_at is null or (ended_at_text is not null and ended_at is null) then 'unparseable'
            when
                started_at < {{ quality_bound('min_timestamp', 'timestamp') }}
                or ended_at < {{ quality_bound('min_timestamp', 'timestamp') }}
                then 'out_of_range'
            when
                started_at > {{ build_clock() }} + interval 1 day
                or ended_at > {{ build_clock() }} + interval 1 day
                then 'future_timestamp'
        end as reject_reason
    from parsed
),

final as (
    select
        *,
        {{ copy_rank(['stream_id'], ['anchor_id', 'category', 'started_at_text', 'ended_at_text']) }} > 1
        and reject_reason is null as is_duplicate
    from checked
)

select * from final
