{#-
    The audience lists (人群包) as of D: one row per list, user and scope with why they are in,
    channel, message, and why they are held back (null: contact them). Held back, first match:
    1. no_consent: marketing_consent false, or null while audience_hold_unknown_consent is 1;
    2. holdout: the list's random control group, drawn before any cap so that it stays random:
       hash_bucket(md5(list_id || '|' || user_id)) < holdout_share x 2^32;
    3. touch_cap: the user's remaining touches this week (int_user_contact_room_counted: cap
       minus recent touches minus the alerts user_alerts sends) go to their lists in priority
       order (then list, anchor, stream); the rows beyond them wait.
-#}
with

candidates as (
    select * from {{ ref('int_audience_candidates_listed') }}
),

contact_room as (
    select * from {{ ref('int_user_contact_room_counted') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

members_hashed as (
    select
        candidates.*,
        contact_room.marketing_consent_status,
        contact_room.remaining_touches,
        md5({{ dbt.concat(['candidates.list_id', "'|'", 'candidates.user_id']) }}) as member_hash
    from candidates
    inner join contact_room
        on candidates.user_id = contact_room.user_id
),

members_checked as (
    select
        *,
        marketing_consent_status = 'refused'
        or (
            marketing_consent_status = 'unknown'
            and {{ threshold('audience_hold_unknown_consent') }} = 1
        ) as is_without_consent,
        {{ hash_bucket('member_hash') }} as holdout_bucket
    from members_hashed
),

members_drawn as (
    select
        *,
        not is_without_consent and holdout_bucket < holdout_share * 4294967296 as is_held_out
    from members_checked
),

-- the touches left this week go to the user's contactable rows in list priority order
members_ranked as (
    select
        *,
        row_number() over (
            partition by user_id, (not is_without_consent and not is_held_out)
            order by list_priority asc, list_id asc, anchor_id asc nulls last, stream_id asc nulls last
        ) as touch_rank
    from members_drawn
),

final as (
    select
        cast(list_id as string) as list_id,
        cast(purpose as string) as purpose,
        cast(user_id as string) as user_id,
        cast(anchor_id as string) as anchor_id,
        cast(stream_id as string) as stream_id,
        cast(reason as string) as reason,
        cast(channel as string) as channel,
        cast(message_type as string) as message_type,
        cast(marketing_consent_status as string) as marketing_consent_status,
        cast(holdout_bucket as bigint) as holdout_bucket,
        cast(
            case
                when is_without_consent then 'no_consent'
                when is_held_out then 'holdout'
                when touch_rank > remaining_touches then 'touch_cap'
            end as string
        ) as held_back_reason,
        cast(as_of_date as date) as as_of_date
    from members_ranked
)

select * from final
