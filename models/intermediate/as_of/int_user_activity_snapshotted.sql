{{ config(materialized='view') }}
{#-
    The activity facts of every user with activity, at every as-of date P: the user's activity
    steps read at the markers they cover (P, P - 30, P - 90, P - silent_after_days) and pivoted
    to one row per user and P. Before the user's first step a cumulative value is 0.
    A view: its one reader, int_user_facts_snapshotted, filters the as-of dates it recomputes,
    and the filter reaches the marker reads below, so an incremental day reads the steps at D's
    markers only instead of storing every date again (1.6 s at 12 months of history, 0.1 s).
-#}
with

activity_steps as (
    select * from {{ ref('int_user_activity_stepped') }}
),

marker_reads as (
    select * from {{ ref('int_as_of_markers_read') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

rule_numbers as (
    select
        cast({{ threshold('window_30d_days') }} as integer) as window_30d_days,
        cast({{ threshold('window_90d_days') }} as integer) as window_90d_days,
        cast({{ threshold('silent_after_days') }} as integer) as silent_after_days
),

activity_marker_values as (
    select
        activity_steps.*,
        marker_reads.as_of_date,
        marker_reads.offset_days,
        rule_numbers.window_30d_days,
        rule_numbers.window_90d_days,
        rule_numbers.silent_after_days
    from activity_steps
    inner join marker_reads
        on
            activity_steps.marker_number = marker_reads.marker_number
            and activity_steps.next_marker_number = marker_reads.next_marker_number
    cross join rule_numbers
),

final as (
    select
        user_number,
        as_of_date,
        coalesce(max(case when offset_days = 0 then watch_days_to_date end), 0)
        - coalesce(max(case when offset_days = window_30d_days then watch_days_to_date end), 0) as watch_days_30d,
        coalesce(max(case when offset_days = 0 then watch_days_to_date end), 0)
        - coalesce(max(case when offset_days = window_90d_days then watch_days_to_date end), 0) as watch_days_90d,
        coalesce(max(case when offset_days = 0 then interactions_to_date end), 0)
        - coalesce(max(case when offset_days = window_30d_days then interactions_to_date end), 0) as interactions_30d,
        coalesce(max(case when offset_days = 0 then interactions_to_date end), 0)
        - coalesce(max(case when offset_days = window_90d_days then interactions_to_date end), 0) as interactions_90d,
        max(case when offset_days = 0 then last_active_date_to_date end) as last_regular_active_date,
        max(case when offset_days = silent_after_days then last_active_date_to_date end)
            as regular_active_date_before_window,
        -- the first active day after P - silent_after_days: read from the bucket covering that
        -- marker, or the user's first active day when the user's first bucket comes later
        case
            when max(case when offset_days = silent_after_days then 1 else 0 end) = 1
                then max(case when offset_days = silent_after_days then next_active_date_after end)
            else max(case when offset_days = 0 then first_active_date_ever end)
        end as regular_active_date_after_window_start
    from activity_marker_values
    group by user_number, as_of_date
)

select * from final
