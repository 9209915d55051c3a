{#-
    A user's activity as a step function of the as-of date: the daily rows (active days, watch
    days, interactions) summed per marker bucket, and one ordered pass over the user's buckets
    giving the running values at each bucket's marker and the number of the user's next
    bucket. A regular purchase's paid date is an active day like an event day (a purchase from
    then on at every date up to D). Only buckets in which something changes have a row. The
    daily rows up to the bank date B (macro activity_bank_date), all in the first bucket, are
    read as their sums per user and comeback bucket (int_user_activity_banked).
-#}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
-- depends_on: {{ ref('int_as_of_dates') }}
-- depends_on: {{ ref('int_thresholds_current') }}
-- depends_on: {{ ref('int_as_of_date') }}
{%- set from_date = as_of_steps_recompute_from() %}
{%- set bank_date = activity_bank_date(from_date) %}
{{- activity_bank_check(bank_date) }}
with

activity_daily as (
    select * from {{ ref('int_user_activity_daily') }}
),

activity_banked as (
    select * from {{ ref('int_user_activity_banked') }}
),

purchase_spans as (
    select * from {{ ref('int_purchases_spanned') }}
),

users_numbered as (
    select * from {{ ref('int_as_of_users_numbered') }}
),

markers as (
    select * from {{ ref('int_as_of_markers_numbered') }}
),

marker_calendar as (
    select * from {{ ref('int_as_of_markers_calendar') }}
),

-- the last marker is D; the number after the last marker stands for "no next bucket". The
-- first bucket holds every date up to the first marker read: of every as-of date, or of the
-- dates from X on when int_user_facts_snapshotted recomputes only those
marker_bounds as (
    {{ steps_marker_bounds('markers', from_date) }}
),

activity_items as (
    select
        activity_daily.user_id,
        activity_daily.activity_date as timeline_date,
        case when activity_daily.is_event_day then activity_daily.activity_date end as last_active_date,
        case when activity_daily.is_event_day then activity_daily.activity_date end as first_active_date,
        case when activity_daily.is_watch_day then 1 else 0 end as watch_day_count,
        activity_daily.interactions as interaction_count
    from activity_daily
    cross join marker_bounds
    -- the dates up to B are in the bank (a literal: their row groups are not read)
    where
        activity_daily.activity_date <= marker_bounds.last_marker_date
        and {{ "true" if bank_date is none else "activity_daily.activity_date > cast('" ~ bank_date ~ "' as date)" }}
    union all
    select
        user_id,
        paid_date as timeline_date,
        paid_date as last_active_date,
        paid_date as first_active_date,
        0 as watch_day_count,
        0 as interaction_count
    from purchase_spans
    where is_regular
    union all
    -- the days up to B, one row per user (none without B: every day is read above)
    select
        user_id,
        bank_date as timeline_date,
        last_active_date,
        first_active_date,
        watch_day_count,
        interaction_count
    from activity_banked
    where {{ "false" if bank_date is none else "bank_date = cast('" ~ bank_date ~ "' as date)" }}
),

-- dates before the first marker are in the first bucket
activity_items_clamped as (
    select
        users_numbered.user_number,
        greatest(activity_items.timeline_date, marker_bounds.first_marker_date) as bucket_date,
        activity_items.last_active_date,
        activity_items.first_active_date,
        activity_items.watch_day_count,
        activity_items.interaction_count
    from activity_items
    inner join users_numbered
        on activity_items.user_id = users_numbered.user_id
    cross join marker_bounds
),

activity_buckets as (
    select
        activity_items_clamped.user_number,
        marker_calendar.marker_number,
        max(activity_items_clamped.last_active_date) as last_active_date,
        min(activity_items_clamped.first_active_date) as first_active_date,
        sum(activity_items_clamped.watch_day_count) as watch_day_count,
        sum(activity_items_clamped.interaction_count) as interaction_count
    from activity_items_clamped
    inner join marker_calendar
        on activity_items_clamped.bucket_date = marker_calendar.calendar_date
    group by activity_items_clamped.user_number, marker_calendar.marker_number
),

final as (
    select
        activity_buckets.user_number,
        activity_buckets.marker_number,
        coalesce(
            lead(activity_buckets.marker_number) over (
                partition by activity_buckets.user_number order by activity_buckets.marker_number
            ),
            marker_bounds.end_marker_number
        ) as next_marker_number,
        sum(activity_buckets.watch_day_count) over (
            partition by activity_buckets.user_number order by activity_buckets.marker_number
            rows between unbounded preceding and current row
        ) as watch_days_to_date,
        sum(activity_buckets.interaction_count) over (
            partition by activity_buckets.user_number order by activity_buckets.marker_number
            rows between unbounded preceding and current row
        ) as interactions_to_date,
        max(activity_buckets.last_active_date) over (
            partition by activity_buckets.user_number order by activity_buckets.marker_number
            rows between unbounded preceding and current row
        ) as last_active_date_to_date,
        -- the first active day after this bucket's marker (and so after every marker read from it)
        min(activity_buckets.first_active_date) over (
            partition by activity_buckets.user_number order by activity_buckets.marker_number
            rows between 1 following and unbounded following
        ) as next_active_date_after,
        -- the user's first active day, for the markers before the user's first bucket
        min(activity_buckets.first_active_date) over (partition by activity_buckets.user_number)
            as first_active_date_ever,
        -- the first as-of date these steps can be read at (null: every one)
        marker_bounds.covers_from_date
    from activity_buckets
    cross join marker_bounds
)

select * from final
