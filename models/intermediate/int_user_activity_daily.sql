{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
        unique_key=(none if target.type == 'spark' else 'activity_date'),
        partition_by=(['activity_date'] if target.type == 'spark' else none),
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('stg_live__event_partitions') }}
{#
    Incremental by activity_date: a run recomputes the dates of the last lookback_days, every
    events partition written since this model's last run (stg_live__event_partitions) and every
    session_date partition int_watch_sessions_sessionized rewrote since then, from those dates'
    events and sessions only.
-#}
{%- set start_date = recount_start_date(
    'activity_date', also_rewritten=ref('int_watch_sessions_sessionized'), rewritten_date_column='session_date'
) %}
with

all_events as (
    select * from {{ ref('stg_live__events') }}
),

all_watch_sessions as (
    select * from {{ ref('int_watch_sessions_sessionized') }}
),

{% if is_incremental() %}

    -- the incremental manifest: when each events partition was last written
    event_partitions as (
        select * from {{ ref('stg_live__event_partitions') }}
    ),

    watermark as (
        {{ incremental_watermark('activity_date') }}
    ),

    -- the dates to recount besides the lookback: the events partitions written since the last run
    -- and the session dates int_watch_sessions_sessionized rewrote since then
    changed_dates as (
        {{ changed_dates_since_watermark(also_rewritten='all_watch_sessions', rewritten_date_column='session_date') }}
    ),

    events as (
        {{ rows_to_recount('all_events', 'event_date', start_date) }}
    ),

    watch_sessions as (
        {{ rows_to_recount('all_watch_sessions', 'session_date', start_date) }}
    ),

{% else %}

    events as (
        select * from all_events
    ),

    watch_sessions as (
        select * from all_watch_sessions
    ),

{% endif %}

-- the one pass over events: every per-user event count is a column here (an aggregate's
-- FILTER clause is about twice as fast as sum(case ...) on DuckDB, and Spark has it too)
event_days as (
    select
        user_id,
        event_date as activity_date,
        count(*) as events,
        count(*) filter (where event_type in ({{ interaction_event_types() }}))
            as interactions,
        count(*) filter (where event_type = 'like') as like_batches,
        count(*) filter (where event_type = 'comment') as comment_events,
        count(*) filter (where event_type = 'share') as share_events,
        count(*) filter (where event_type = 'follow') as follows,
        count(*) filter (where event_type = 'gift') as gifts,
        sum(event_value) filter (where event_type = 'gift') as gift_value,
        count(*) filter (where event_type = 'enter_room') as room_enters,
        count(*) filter (where event_type = 'product_impression') as product_impressions,
        count(*) filter (where event_type = 'product_click') as product_clicks,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'favorite') as favorites,
        count(*) filter (where event_type = 'coupon_claim') as coupon_claims,
        max(event_at) filter (where event_type = 'add_to_cart') as last_add_to_cart_at
    from events
    group by user_id, event_date
),

watch_days as (
    select
        user_id,
        session_date as activity_date,
        count(*) as watch_sessions,
        sum(watch_seconds) as watch_seconds,
        count(*) filter (where is_late_night) as late_night_watch_sessions,
        coalesce(sum(watch_seconds) filter (where is_late_night), 0) as late_night_watch_seconds,
        max(settled_date) as watch_settled_date
    from watch_sessions
    group by user_id, session_date
),

final as (
    select
        coalesce(event_days.user_id, watch_days.user_id) as user_id,
        coalesce(event_days.activity_date, watch_days.activity_date) as activity_date,
        cast(coalesce(event_days.events, 0) as bigint) as events,
        cast(coalesce(event_days.interactions, 0) as bigint) as interactions,
        cast(coalesce(event_days.like_batches, 0) as bigint) as like_batches,
        cast(coalesce(event_days.comment_events, 0) as bigint) as comment_events,
        cast(coalesce(event_days.share_events, 0) as bigint) as share_events,
        cast(coalesce(event_days.follows, 0) as bigint) as follows,
        cast(coalesce(event_days.gifts, 0) as bigint) as gifts,
        cast(coalesce(event_days.gift_value, 0) as decimal(18, 2)) as gift_value,
        cast(coalesce(event_days.room_enters, 0) as bigint) as room_enters,
        cast(coalesce(event_days.product_impressions, 0) as bigint) as product_impressions,
        cast(coalesce(event_days.product_clicks, 0) as bigint) as product_clicks,
        cast(coalesce(event_days.add_to_carts, 0) as bigint) as add_to_carts,
        cast(coalesce(event_days.favorites, 0) as bigint) as favorites,
        cast(coalesce(event_days.coupon_claims, 0) as bigint) as coupon_claims,
        cast(coalesce(watch_days.watch_sessions, 0) as bigint) as watch_sessions,
        cast(coalesce(watch_days.watch_seconds, 0) as bigint) as watch_seconds,
        cast(coalesce(watch_days.late_night_watch_sessions, 0) as bigint) as late_night_watch_sessions,
        cast(coalesce(watch_days.late_night_watch_seconds, 0) as bigint) as late_night_watch_seconds,
        coalesce(event_days.events, 0) > 0 as is_event_day,
        coalesce(watch_days.watch_sessions, 0) > 0 as is_watch_day,
        event_days.last_add_to_cart_at,
        -- after this date the day's watch_seconds are final; before it (only when a session
        -- ended on a later day) they must be recomputed from the sessions as of the date
        watch_days.watch_settled_date,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _loaded_at
    -- a user's day with events, a watch session, or both
    from event_days
    full outer join watch_days
        on
            event_days.user_id = watch_days.user_id
            and event_days.activity_date = watch_days.activity_date
)

select * from final
