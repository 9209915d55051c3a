{#-
    The facts the tier rules read, for every known user at every as-of date P of
    int_as_of_dates, each exactly as a build with as_of_date = P computes it.

    No per-date recomputation: every fact is a step function of the date per user. The user's
    daily rows (activity days, purchase days, purchase count and GMV changes) are summed per
    marker bucket (the days up to a marker date: P, and P - N for a window (P-N, P] = value at
    P minus value at P - N); one ordered pass over a user's buckets gives the running values
    at each marker and the bucket that follows, and a bucket's values are read at every marker
    up to that next bucket. Purchases count on the dates their spans allow
    (int_purchases_spanned): + at the start, - at the end of the span or of the window. Cost
    grows with daily rows plus users x dates, not with events x dates. Users are numbered
    once, so the sorts and joins on the large inputs compare integers, not strings.
-#}
with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

known_users as (
    select * from {{ ref('int_users_unioned') }}
),

activity_daily as (
    select * from {{ ref('int_user_activity_daily') }}
),

purchase_spans as (
    select * from {{ ref('int_purchases_spanned') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

rule_numbers as (
    select
        cast({{ threshold('window_30d_days') }} as integer) as window_30d_days,
        cast({{ threshold('window_90d_days') }} as integer) as window_90d_days,
        cast({{ threshold('window_365d_days') }} as integer) as window_365d_days,
        cast({{ threshold('rfm_window_days') }} as integer) as rfm_window_days,
        cast({{ threshold('silent_after_days') }} as integer) as silent_after_days,
        cast({{ threshold('churn_after_days') }} as integer) as churn_after_days
),

last_as_of as (
    select max(as_of_date) as as_of_date
    from as_of_dates
),

-- users numbered once: the large sorts, groupings and joins below compare integers
users_numbered as (
    select
        user_id,
        first_seen_date,
        row_number() over (order by user_id) as user_number
    from known_users
),

-- a user is in the population from the first as-of date at which they are known (known by
-- D and first seen by P means known by P: first_seen_date is the earliest of the three ways)
user_dates as (
    select
        users_numbered.user_number,
        users_numbered.user_id,
        users_numbered.first_seen_date,
        as_of_dates.as_of_date
    from users_numbered
    inner join as_of_dates
        on users_numbered.first_seen_date <= as_of_dates.as_of_date
),

-- the dates whose cumulative values the rules need: P, P - 30, P - 90 and P - silent_after_days
marker_offsets as (
    select 0 as offset_days
    union
    select window_30d_days as offset_days from rule_numbers
    union
    select window_90d_days as offset_days from rule_numbers
    union
    select silent_after_days as offset_days from rule_numbers
),

marker_dates as (
    select
        as_of_dates.as_of_date,
        marker_offsets.offset_days,
        cast({{ dbt.dateadd('day', '-1 * marker_offsets.offset_days', 'as_of_dates.as_of_date') }} as date)
            as marker_date
    from as_of_dates
    cross join marker_offsets
),

marker_days as (
    select distinct marker_date
    from marker_dates
),

-- markers numbered in date order; the number after the last one stands for "no next bucket"
markers_numbered as (
    select
        marker_date,
        row_number() over (order by marker_date) as marker_number
    from marker_days
),

marker_bounds as (
    select
        min(marker_date) as first_marker_date,
        max(marker_date) as last_marker_date,
        max(marker_number) + 1 as end_marker_number
    from markers_numbered
),

marker_calendar_days as (
    {{ date_series('marker_bounds', 'first_marker_date', 'last_marker_date', 'calendar_date') }}
),

-- the bucket of a date: the first marker on or after it (dates before the first marker are
-- in the first bucket, dates after D are never read)
marker_calendar as (
    select
        marker_calendar_days.calendar_date,
        min(markers_numbered.marker_number) as marker_number
    from marker_calendar_days
    inner join markers_numbered
        on marker_calendar_days.calendar_date <= markers_numbered.marker_date
    group by marker_calendar_days.calendar_date
),

-- the numbers a user's next bucket can have: a marker's, or the one after the last (none)
bucket_ends as (
    select marker_number from markers_numbered
    union all
    select end_marker_number as marker_number from marker_bounds
),

-- the markers read from a bucket: from its own marker up to the one before the user's next
-- bucket, as a small lookup keyed by both numbers (an equality join instead of a band join)
marker_reads as (
    select
        first_markers.marker_number,
        bucket_ends.marker_number as next_marker_number,
        marker_dates.as_of_date,
        marker_dates.offset_days
    from markers_numbered as first_markers
    inner join markers_numbered as read_markers
        on first_markers.marker_number <= read_markers.marker_number
    inner join bucket_ends
        on read_markers.marker_number < bucket_ends.marker_number
    inner join marker_dates
        on read_markers.marker_date = marker_dates.marker_date
),

-- two series of daily changes per user, each summed per marker bucket and run in date order:
-- activity (active days, watch days, interactions; read at every marker) and purchases
-- (counts and GMV in their windows; read at P only)
activity_items as (
    select
        activity_daily.user_id,
        activity_daily.activity_date as timeline_date,
        case when activity_daily.is_event_day then activity_daily.activity_date end as active_date,
        case when activity_daily.is_watch_day then 1 else 0 end as watch_day_count,
        activity_daily.interactions as interaction_count
    from activity_daily
    cross join last_as_of
    where activity_daily.activity_date <= last_as_of.as_of_date
    union all
    -- a regular purchase is a purchase from its paid date on at every date up to D: its date
    -- is an active day like an event day
    select
        user_id,
        paid_date as timeline_date,
        paid_date as active_date,
        0 as watch_day_count,
        0 as interaction_count
    from purchase_spans
    where is_regular
),

-- a span counts in a window of N days while P < paid_date + N
spans_windowed as (
    select
        purchase_spans.user_id,
        purchase_spans.net_amount,
        purchase_spans.span_start_date,
        purchase_spans.span_end_date,
        least(
            purchase_spans.span_end_date,
            cast({{ dbt.dateadd('day', 'rule_numbers.window_365d_days', 'purchase_spans.paid_date') }} as date)
        ) as window_365d_end_date,
        least(
            purchase_spans.span_end_date,
            cast({{ dbt.dateadd('day', 'rule_numbers.rfm_window_days', 'purchase_spans.paid_date') }} as date)
        ) as rfm_window_end_date
    from purchase_spans
    cross join rule_numbers
),

purchase_change_items as (
    select
        user_id,
        span_start_date as timeline_date,
        cast(null as date) as regular_purchase_date,
        case when window_365d_end_date > span_start_date then 1 else 0 end as purchases_365d_change,
        case when window_365d_end_date > span_start_date then net_amount else 0 end as net_gmv_365d_change,
        case when rfm_window_end_date > span_start_date then 1 else 0 end as f_value_change,
        case when rfm_window_end_date > span_start_date then net_amount else 0 end as m_value_change,
        1 as lifetime_purchases_change
    from spans_windowed
    union all
    select
        user_id,
        window_365d_end_date as timeline_date,
        cast(null as date) as regular_purchase_date,
        -1 as purchases_365d_change,
        -1 * net_amount as net_gmv_365d_change,
        0 as f_value_change,
        cast(0 as decimal(18, 2)) as m_value_change,
        0 as lifetime_purchases_change
    from spans_windowed
    where window_365d_end_date > span_start_date
    union all
    select
        user_id,
        rfm_window_end_date as timeline_date,
        cast(null as date) as regular_purchase_date,
        0 as purchases_365d_change,
        cast(0 as decimal(18, 2)) as net_gmv_365d_change,
        -1 as f_value_change,
        -1 * net_amount as m_value_change,
        0 as lifetime_purchases_change
    from spans_windowed
    where rfm_window_end_date > span_start_date
    union all
    select
        user_id,
        span_end_date as timeline_date,
        cast(null as date) as regular_purchase_date,
        0 as purchases_365d_change,
        cast(0 as decimal(18, 2)) as net_gmv_365d_change,
        0 as f_value_change,
        cast(0 as decimal(18, 2)) as m_value_change,
        -1 as lifetime_purchases_change
    from spans_windowed
    where span_end_date is not null
    union all
    -- a regular purchase's date is a purchase date at every date from it on
    select
        user_id,
        paid_date as timeline_date,
        paid_date as regular_purchase_date,
        0 as purchases_365d_change,
        cast(0 as decimal(18, 2)) as net_gmv_365d_change,
        0 as f_value_change,
        cast(0 as decimal(18, 2)) as m_value_change,
        0 as lifetime_purchases_change
    from purchase_spans
    where is_regular
),

-- dates before the first marker are in the first bucket; dates after D are never read
activity_items_clamped as (
    select
        users_numbered.user_number,
        greatest(activity_items.timeline_date, marker_bounds.first_marker_date) as bucket_date,
        activity_items.active_date,
        activity_items.watch_day_count,
        activity_items.interaction_count
    from activity_items
    inner join users_numbered
        on activity_items.user_id = users_numbered.user_id
    cross join marker_bounds
),

purchase_items_clamped as (
    select
        users_numbered.user_number,
        greatest(purchase_change_items.timeline_date, marker_bounds.first_marker_date) as bucket_date,
        purchase_change_items.regular_purchase_date,
        purchase_change_items.purchases_365d_change,
        purchase_change_items.net_gmv_365d_change,
        purchase_change_items.f_value_change,
        purchase_change_items.m_value_change,
        purchase_change_items.lifetime_purchases_change
    from purchase_change_items
    inner join users_numbered
        on purchase_change_items.user_id = users_numbered.user_id
    cross join marker_bounds
    where purchase_change_items.timeline_date <= marker_bounds.last_marker_date
),

-- one row per user and marker bucket in which the series changes
activity_buckets as (
    select
        activity_items_clamped.user_number,
        marker_calendar.marker_number,
        max(activity_items_clamped.active_date) as last_active_date,
        min(activity_items_clamped.active_date) as first_active_date,
        sum(activity_items_clamped.watch_day_count) as watch_day_count,
        sum(activity_items_clamped.interaction_count) as interaction_count
    from activity_items_clamped
    inner join marker_calendar
        on activity_items_clamped.bucket_date = marker_calendar.calendar_date
    group by activity_items_clamped.user_number, marker_calendar.marker_number
),

purchase_buckets as (
    select
        purchase_items_clamped.user_number,
        marker_calendar.marker_number,
        max(purchase_items_clamped.regular_purchase_date) as last_regular_purchase_date,
        sum(purchase_items_clamped.purchases_365d_change) as purchases_365d_change,
        sum(purchase_items_clamped.net_gmv_365d_change) as net_gmv_365d_change,
        sum(purchase_items_clamped.f_value_change) as f_value_change,
        sum(purchase_items_clamped.m_value_change) as m_value_change,
        sum(purchase_items_clamped.lifetime_purchases_change) as lifetime_purchases_change
    from purchase_items_clamped
    inner join marker_calendar
        on purchase_items_clamped.bucket_date = marker_calendar.calendar_date
    group by purchase_items_clamped.user_number, marker_calendar.marker_number
),

-- the running values at each bucket's marker, and the number of the user's next bucket
activity_steps as (
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
            as first_active_date_ever
    from activity_buckets
    cross join marker_bounds
),

purchase_steps as (
    select
        purchase_buckets.user_number,
        purchase_buckets.marker_number,
        coalesce(
            lead(purchase_buckets.marker_number) over (
                partition by purchase_buckets.user_number order by purchase_buckets.marker_number
            ),
            marker_bounds.end_marker_number
        ) as next_marker_number,
        sum(purchase_buckets.purchases_365d_change) over (
            partition by purchase_buckets.user_number order by purchase_buckets.marker_number
            rows between unbounded preceding and current row
        ) as purchases_365d_to_date,
        sum(purchase_buckets.net_gmv_365d_change) over (
            partition by purchase_buckets.user_number order by purchase_buckets.marker_number
            rows between unbounded preceding and current row
        ) as net_gmv_365d_to_date,
        sum(purchase_buckets.f_value_change) over (
            partition by purchase_buckets.user_number order by purchase_buckets.marker_number
            rows between unbounded preceding and current row
        ) as f_value_to_date,
        sum(purchase_buckets.m_value_change) over (
            partition by purchase_buckets.user_number order by purchase_buckets.marker_number
            rows between unbounded preceding and current row
        ) as m_value_to_date,
        sum(purchase_buckets.lifetime_purchases_change) over (
            partition by purchase_buckets.user_number order by purchase_buckets.marker_number
            rows between unbounded preceding and current row
        ) as lifetime_purchases_to_date,
        max(purchase_buckets.last_regular_purchase_date) over (
            partition by purchase_buckets.user_number order by purchase_buckets.marker_number
            rows between unbounded preceding and current row
        ) as last_regular_purchase_date_to_date
    from purchase_buckets
    cross join marker_bounds
),

-- every activity step read at the markers it covers, pivoted to one row per user and P
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

activity_snapshots as (
    select
        user_number,
        as_of_date,
        -- before the user's first step a cumulative value is 0
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
),

-- purchase steps are read at P only: one row per user and P
purchase_snapshots as (
    select
        purchase_steps.*,
        marker_reads.as_of_date
    from purchase_steps
    inner join marker_reads
        on
            purchase_steps.marker_number = marker_reads.marker_number
            and purchase_steps.next_marker_number = marker_reads.next_marker_number
    where marker_reads.offset_days = 0
),

-- purchases that are not regular (fully refunded by D, or paid before placed) count only on
-- the as-of dates inside their span: few rows, looked up directly
irregular_purchases as (
    select distinct
        users_numbered.user_number,
        purchase_spans.paid_date,
        purchase_spans.purchase_start_date,
        purchase_spans.purchase_end_date
    from purchase_spans
    inner join users_numbered
        on purchase_spans.user_id = users_numbered.user_id
    where not purchase_spans.is_regular
),

as_of_windows as (
    select
        as_of_dates.as_of_date,
        cast({{ dbt.dateadd('day', '-1 * rule_numbers.silent_after_days', 'as_of_dates.as_of_date') }} as date)
            as silent_window_start_date
    from as_of_dates
    cross join rule_numbers
),

irregular_by_date as (
    select
        irregular_purchases.user_number,
        as_of_windows.as_of_date,
        max(irregular_purchases.paid_date) as last_irregular_purchase_date,
        max(
            case
                when irregular_purchases.paid_date <= as_of_windows.silent_window_start_date
                    then irregular_purchases.paid_date
            end
        ) as irregular_active_date_before_window,
        min(
            case
                when irregular_purchases.paid_date > as_of_windows.silent_window_start_date
                    then irregular_purchases.paid_date
            end
        ) as irregular_active_date_in_window
    from irregular_purchases
    inner join as_of_windows
        on
            irregular_purchases.purchase_start_date <= as_of_windows.as_of_date
            and (
                irregular_purchases.purchase_end_date is null
                or irregular_purchases.purchase_end_date > as_of_windows.as_of_date
            )
    group by irregular_purchases.user_number, as_of_windows.as_of_date
),

combined as (
    select
        user_dates.user_id,
        user_dates.as_of_date,
        user_dates.first_seen_date,
        coalesce(activity_snapshots.watch_days_30d, 0) as watch_days_30d,
        coalesce(activity_snapshots.watch_days_90d, 0) as watch_days_90d,
        coalesce(activity_snapshots.interactions_30d, 0) as interactions_30d,
        coalesce(activity_snapshots.interactions_90d, 0) as interactions_90d,
        coalesce(purchase_snapshots.purchases_365d_to_date, 0) as purchases_365d,
        coalesce(purchase_snapshots.net_gmv_365d_to_date, 0) as net_gmv_365d,
        coalesce(purchase_snapshots.f_value_to_date, 0) as f_value,
        coalesce(purchase_snapshots.m_value_to_date, 0) as m_value,
        coalesce(purchase_snapshots.lifetime_purchases_to_date, 0) as lifetime_purchases,
        greatest(activity_snapshots.last_regular_active_date, irregular_by_date.last_irregular_purchase_date)
            as last_active_date,
        greatest(purchase_snapshots.last_regular_purchase_date_to_date, irregular_by_date.last_irregular_purchase_date)
            as last_purchase_date,
        -- the latest active day before the last silent_after_days days and the first inside them
        greatest(
            activity_snapshots.regular_active_date_before_window, irregular_by_date.irregular_active_date_before_window
        ) as active_date_before_window,
        least(
            case
                when activity_snapshots.regular_active_date_after_window_start <= user_dates.as_of_date
                    then activity_snapshots.regular_active_date_after_window_start
            end,
            irregular_by_date.irregular_active_date_in_window
        ) as first_active_date_in_window
    from user_dates
    left join activity_snapshots
        on
            user_dates.user_number = activity_snapshots.user_number
            and user_dates.as_of_date = activity_snapshots.as_of_date
    left join purchase_snapshots
        on
            user_dates.user_number = purchase_snapshots.user_number
            and user_dates.as_of_date = purchase_snapshots.as_of_date
    left join irregular_by_date
        on
            user_dates.user_number = irregular_by_date.user_number
            and user_dates.as_of_date = irregular_by_date.as_of_date
),

combined_dated as (
    select
        *,
        {{ dbt.datediff('first_seen_date', 'as_of_date', 'day') }}
            as days_since_first_seen,
        {{ dbt.datediff('last_active_date', 'as_of_date', 'day') }}
            as days_since_last_active,
        {{ dbt.datediff('last_purchase_date', 'as_of_date', 'day') }}
            as recency_days
    from combined
),

final as (
    select
        cast(combined_dated.user_id as {{ dbt.type_string() }}) as user_id,
        cast(combined_dated.as_of_date as date) as as_of_date,
        cast(combined_dated.first_seen_date as date) as first_seen_date,
        cast(combined_dated.days_since_first_seen as integer) as days_since_first_seen,
        cast(combined_dated.last_active_date as date) as last_active_date,
        cast(combined_dated.days_since_last_active as integer) as days_since_last_active,
        cast(combined_dated.watch_days_30d as integer) as watch_days_30d,
        cast(combined_dated.watch_days_90d as integer) as watch_days_90d,
        cast(combined_dated.interactions_30d as integer) as interactions_30d,
        cast(combined_dated.interactions_90d as integer) as interactions_90d,
        cast(combined_dated.purchases_365d as integer) as purchases_365d,
        cast(combined_dated.net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(combined_dated.lifetime_purchases as integer) as lifetime_purchases,
        cast(combined_dated.last_purchase_date as date) as last_purchase_date,
        cast(combined_dated.recency_days as integer) as recency_days,
        cast(combined_dated.f_value as integer) as f_value,
        cast(combined_dated.m_value as decimal(18, 2)) as m_value,
        cast(combined_dated.active_date_before_window as date) as active_date_before_window,
        cast(combined_dated.first_active_date_in_window as date) as first_active_date_in_window,
        -- the spec's comeback inside the last silent_after_days days: only the first active day
        -- there can follow churn_after_days inactive days (silent_after_days <= churn_after_days)
        cast(
            coalesce(
                {{ dbt.datediff(
                    'combined_dated.active_date_before_window', 'combined_dated.first_active_date_in_window', 'day'
                ) }}
                > rule_numbers.churn_after_days,
                false
            ) as boolean
        ) as has_comeback_in_window
    from combined_dated
    cross join rule_numbers
)

select * from final
