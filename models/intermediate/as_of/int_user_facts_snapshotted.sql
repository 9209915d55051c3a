{#-
    The facts the tier rules read, for every known user at every as-of date P of
    int_as_of_dates, each exactly as a build with as_of_date = P computes it.

    No per-date recomputation: every fact is a step function of the date per user. The user's
    daily rows (activity days, purchase days, purchase count and GMV changes) become change
    points; one ordered pass over them gives each step's cumulative values and the date the
    next step begins, and a step is read at every marker date inside it (P, and P - N for a
    window (P-N, P] = value at P minus value at P - N). Purchases count on the dates their
    spans allow (int_purchases_spanned): + at the start, - at the end of the span or of the
    window. Cost grows with daily rows plus users x dates, not with events x dates.
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
    select * from {{ ref('seg_thresholds') }}
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

-- a user is in the population from the first as-of date at which they are known (known by
-- D and first seen by P means known by P: first_seen_date is the earliest of the three ways)
user_dates as (
    select
        known_users.user_id,
        known_users.first_seen_date,
        as_of_dates.as_of_date
    from known_users
    inner join as_of_dates
        on known_users.first_seen_date <= as_of_dates.as_of_date
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

activity_items as (
    select
        activity_daily.user_id,
        activity_daily.activity_date as timeline_date,
        case when activity_daily.is_event_day then activity_daily.activity_date end as active_date,
        cast(null as date) as regular_purchase_date,
        case when activity_daily.is_watch_day then 1 else 0 end as watch_day_count,
        activity_daily.interactions as interaction_count,
        0 as purchases_365d_change,
        cast(0 as decimal(18, 2)) as net_gmv_365d_change,
        0 as f_value_change,
        cast(0 as decimal(18, 2)) as m_value_change,
        0 as lifetime_purchases_change
    from activity_daily
    cross join last_as_of
    where activity_daily.activity_date <= last_as_of.as_of_date
),

-- a regular purchase is a purchase from its paid date on at every date up to D: its date is
-- an active day and a purchase date like an event day
regular_purchase_items as (
    select distinct
        user_id,
        paid_date as timeline_date,
        paid_date as active_date,
        paid_date as regular_purchase_date,
        0 as watch_day_count,
        0 as interaction_count,
        0 as purchases_365d_change,
        cast(0 as decimal(18, 2)) as net_gmv_365d_change,
        0 as f_value_change,
        cast(0 as decimal(18, 2)) as m_value_change,
        0 as lifetime_purchases_change
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
        cast(null as date) as active_date,
        cast(null as date) as regular_purchase_date,
        0 as watch_day_count,
        0 as interaction_count,
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
        cast(null as date) as active_date,
        cast(null as date) as regular_purchase_date,
        0 as watch_day_count,
        0 as interaction_count,
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
        cast(null as date) as active_date,
        cast(null as date) as regular_purchase_date,
        0 as watch_day_count,
        0 as interaction_count,
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
        cast(null as date) as active_date,
        cast(null as date) as regular_purchase_date,
        0 as watch_day_count,
        0 as interaction_count,
        0 as purchases_365d_change,
        cast(0 as decimal(18, 2)) as net_gmv_365d_change,
        0 as f_value_change,
        cast(0 as decimal(18, 2)) as m_value_change,
        -1 as lifetime_purchases_change
    from spans_windowed
    where span_end_date is not null
),

items as (
    select * from activity_items
    union all
    select * from regular_purchase_items
    union all
    select purchase_change_items.*
    from purchase_change_items
    cross join last_as_of
    where purchase_change_items.timeline_date <= last_as_of.as_of_date
),

-- one row per user and date on which one of the user's step functions changes
change_points as (
    select
        user_id,
        timeline_date as change_date,
        max(active_date) as active_date,
        max(regular_purchase_date) as regular_purchase_date,
        sum(watch_day_count) as watch_day_count,
        sum(interaction_count) as interaction_count,
        sum(purchases_365d_change) as purchases_365d_change,
        sum(net_gmv_365d_change) as net_gmv_365d_change,
        sum(f_value_change) as f_value_change,
        sum(m_value_change) as m_value_change,
        sum(lifetime_purchases_change) as lifetime_purchases_change
    from items
    group by user_id, timeline_date
),

-- each step holds from its change date until the next one
steps as (
    select
        user_id,
        change_date,
        lead(change_date) over (partition by user_id order by change_date) as next_change_date,
        sum(watch_day_count) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as watch_days_to_date,
        sum(interaction_count) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as interactions_to_date,
        sum(purchases_365d_change) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as purchases_365d_to_date,
        sum(net_gmv_365d_change) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as net_gmv_365d_to_date,
        sum(f_value_change) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as f_value_to_date,
        sum(m_value_change) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as m_value_to_date,
        sum(lifetime_purchases_change) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as lifetime_purchases_to_date,
        max(active_date) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as last_active_date_to_date,
        max(regular_purchase_date) over (
            partition by user_id order by change_date rows between unbounded preceding and current row
        ) as last_regular_purchase_date_to_date,
        -- the first active day after this step's date
        min(active_date) over (
            partition by user_id order by change_date rows between 1 following and unbounded following
        ) as next_active_date_after
    from change_points
),

-- every step read at the marker dates it covers (a small dates table: a band join)
marker_values as (
    select
        steps.*,
        marker_dates.as_of_date,
        marker_dates.offset_days,
        rule_numbers.window_30d_days,
        rule_numbers.window_90d_days,
        rule_numbers.silent_after_days
    from steps
    inner join marker_dates
        on
            steps.change_date <= marker_dates.marker_date
            and (steps.next_change_date is null or steps.next_change_date > marker_dates.marker_date)
    cross join rule_numbers
),

snapshots as (
    select
        user_id,
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
        max(case when offset_days = 0 then purchases_365d_to_date end) as purchases_365d,
        max(case when offset_days = 0 then net_gmv_365d_to_date end) as net_gmv_365d,
        max(case when offset_days = 0 then f_value_to_date end) as f_value,
        max(case when offset_days = 0 then m_value_to_date end) as m_value,
        max(case when offset_days = 0 then lifetime_purchases_to_date end) as lifetime_purchases,
        max(case when offset_days = 0 then last_active_date_to_date end) as last_regular_active_date,
        max(case when offset_days = 0 then last_regular_purchase_date_to_date end) as last_regular_purchase_date,
        max(case when offset_days = silent_after_days then last_active_date_to_date end)
            as regular_active_date_before_window,
        max(case when offset_days = silent_after_days then next_active_date_after end)
            as regular_active_date_after_window_start
    from marker_values
    group by user_id, as_of_date
),

-- purchases that are not regular (fully refunded by D, or paid before placed) count only on
-- the as-of dates inside their span: few rows, looked up directly
irregular_purchases as (
    select distinct
        user_id,
        paid_date,
        purchase_start_date,
        purchase_end_date
    from purchase_spans
    where not is_regular
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
        irregular_purchases.user_id,
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
    group by irregular_purchases.user_id, as_of_windows.as_of_date
),

combined as (
    select
        user_dates.user_id,
        user_dates.as_of_date,
        user_dates.first_seen_date,
        coalesce(snapshots.watch_days_30d, 0) as watch_days_30d,
        coalesce(snapshots.watch_days_90d, 0) as watch_days_90d,
        coalesce(snapshots.interactions_30d, 0) as interactions_30d,
        coalesce(snapshots.interactions_90d, 0) as interactions_90d,
        coalesce(snapshots.purchases_365d, 0) as purchases_365d,
        coalesce(snapshots.net_gmv_365d, 0) as net_gmv_365d,
        coalesce(snapshots.f_value, 0) as f_value,
        coalesce(snapshots.m_value, 0) as m_value,
        coalesce(snapshots.lifetime_purchases, 0) as lifetime_purchases,
        greatest(snapshots.last_regular_active_date, irregular_by_date.last_irregular_purchase_date)
            as last_active_date,
        greatest(snapshots.last_regular_purchase_date, irregular_by_date.last_irregular_purchase_date)
            as last_purchase_date,
        -- the latest active day before the last silent_after_days days and the first inside them
        greatest(
            snapshots.regular_active_date_before_window, irregular_by_date.irregular_active_date_before_window
        ) as active_date_before_window,
        least(
            case
                when snapshots.regular_active_date_after_window_start <= user_dates.as_of_date
                    then snapshots.regular_active_date_after_window_start
            end,
            irregular_by_date.irregular_active_date_in_window
        ) as first_active_date_in_window
    from user_dates
    left join snapshots
        on
            user_dates.user_id = snapshots.user_id
            and user_dates.as_of_date = snapshots.as_of_date
    left join irregular_by_date
        on
            user_dates.user_id = irregular_by_date.user_id
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
