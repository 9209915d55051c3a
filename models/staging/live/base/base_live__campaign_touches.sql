-- Every raw outreach touch with its parsed values, the first contract check it fails and its copy rank.
with source as (
    select * from {{ source('live', 'campaign_touches') }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as (
    select
        touch_id,
        campaign_id,
        user_id,
        channel,
        sent_at as sent_at_text,
        opened_at as opened_at_text,
        is_control as is_control_text,
        _source_file,
        {{ parse_timestamp('sent_at') }} as sent_at,
        {{ parse_timestamp('opened_at') }} as opened_at,
        {{ parse_bool('is_control') }} as is_control
    from source
),

checked as (
    select
        *,
        case
            when touch_id is null then 'missing_key'
            when user_id is null then 'missing_user_id'
            when campaign_id is null or channel is null or sent_at_text is null or is_control_text is null
                then 'missing_value'
            when sent_at is null or (opened_at_text is not null and opened_at is null) or is_control is null
                then 'unparseable'
            when channel not in ('push', 'sms', 'in_app', 'community') then 'unknown_channel'
            when
                sent_at < {{ quality_bound('min_timestamp', 'timestamp') }}
                or opened_at < {{ quality_bound('min_timestamp', 'timestamp') }}
                then 'out_of_range'
            when
                sent_at > {{ build_clock() }} + interval 1 day
                or opened_at > {{ build_clock() }} + interval 1 day
                then 'future_timestamp'
        end as reject_reason
    from parsed
),

final as (
    select
        *,
        {{ copy_rank(['touch_id'], ['campaign_id', 'user_id', 'channel', 'sent_at_text', 'opened_at_text',
            'is_control_text']) }} > 1
        and reject_reason is null as is_duplicate
    from checked
)

select * from final
