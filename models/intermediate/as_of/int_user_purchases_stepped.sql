{#-
    A user's purchases as a step function of the as-of date: each purchase span adds its count
    and net amount at its start and takes them off at its end, or when the purchase leaves a
    window (a span counts in a window of N days while P < paid_date + N). The changes are
    summed per marker bucket and run in bucket order: the running values at each bucket's
    marker and the number of the user's next bucket. Only buckets with a change have a row.
-#}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
-- depends_on: {{ ref('int_as_of_dates') }}
{%- set from_date = as_of_steps_recompute_from() %}
with

purchase_spans as {{ inline_cte() }} (
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

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

rule_numbers as (
    select
        cast({{ threshold('window_365d_days') }} as integer) as window_365d_days,
        cast({{ threshold('rfm_window_days') }} as integer) as rfm_window_days
),

-- the last marker is D; the number after the last marker stands for "no next bucket". The
-- first bucket holds every date up to the first marker read: of every as-of date, or of the
-- dates from X on when int_user_facts_snapshotted recomputes only those
marker_bounds as (
    {{ steps_marker_bounds('markers', from_date) }}
),

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

-- + at the span's start, - where it leaves each window, - for life at the span's end
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
purchase_buckets as (
    select
        users_numbered.user_number,
        marker_calendar.marker_number,
        max(purchase_change_items.regular_purchase_date) as last_regular_purchase_date,
        sum(purchase_change_items.purchases_365d_change) as purchases_365d_change,
        sum(purchase_change_items.net_gmv_365d_change) as net_gmv_365d_change,
        sum(purchase_change_items.f_value_change) as f_value_change,
        sum(purchase_change_items.m_value_change) as m_value_change,
        sum(purchase_change_items.lifetime_purchases_change) as lifetime_purchases_change
    from purchase_change_items
    inner join users_numbered
        on purchase_change_items.user_id = users_numbered.user_id
    cross join marker_bounds
    inner join marker_calendar
        on
            greatest(purchase_change_items.timeline_date, marker_bounds.first_marker_date)
            = marker_calendar.calendar_date
    where purchase_change_items.timeline_date <= marker_bounds.last_marker_date
    group by users_numbered.user_number, marker_calendar.marker_number
),

final as (
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
        ) as last_regular_purchase_date_to_date,
        -- the first as-of date these steps can be read at (null: every one)
        marker_bounds.covers_from_date
    from purchase_buckets
    cross join marker_bounds
)

select * from final
