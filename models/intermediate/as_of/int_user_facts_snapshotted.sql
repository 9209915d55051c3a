{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        pre_hook="{{ delete_recomputed_dates(as_of_recompute_from(), ref('int_as_of_dates')) }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
-- depends_on: {{ ref('int_user_activity_stepped') }}
-- depends_on: {{ ref('int_user_purchases_stepped') }}
-- depends_on: {{ ref('int_as_of_markers_read') }}
{#-
    The facts the tier rules read, for every known user at every as-of date P of
    int_as_of_dates, each exactly as a build with as_of_date = P computes it: the read at the
    markers of the stepped series (int_user_activity_snapshotted, int_user_purchases_snapshotted)
    and the purchases looked up per date (int_user_irregular_purchases_snapshotted), joined to
    every user known by P.

    No per-date recomputation: every fact is a step function of the date per user. The user's
    daily rows are summed per marker bucket (the days up to a marker date: P, and P - N for a
    window (P-N, P] = value at P minus value at P - N: int_as_of_markers_*); one ordered pass
    over a user's buckets gives the running values at each marker and the bucket that follows
    (int_user_activity_stepped, int_user_purchases_stepped), and a bucket's values are read at
    every marker up to that next bucket. Cost grows with daily rows plus users x dates, not
    with events x dates. Users are numbered once (int_as_of_users_numbered), so the sorts and
    joins on the large inputs compare integers, not strings.

    Incremental by as-of date (macro as_of_recompute_from): a run recomputes D and the dates
    from the earliest one touched by new or late input on; the stored dates before it stay.
-#}
{%- set from_date = as_of_recompute_from() %}
{{- steps_cover_check(from_date) }}
with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
    {{- recomputed_dates_only(from_date) }}
),

users_numbered as (
    select * from {{ ref('int_as_of_users_numbered') }}
),

activity_snapshots as (
    select * from {{ ref('int_user_activity_snapshotted') }}
    {{- recomputed_dates_only(from_date) }}
),

purchase_snapshots as (
    select * from {{ ref('int_user_purchases_snapshotted') }}
    {{- recomputed_dates_only(from_date) }}
),

irregular_by_date as (
    select * from {{ ref('int_user_irregular_purchases_snapshotted') }}
    {{- recomputed_dates_only(from_date) }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

rule_numbers as (
    select cast({{ threshold('churn_after_days') }} as integer) as churn_after_days
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

combined as (
    select
        user_dates.user_id,
        user_dates.as_of_date,
        user_dates.first_seen_date,
        coalesce(activity_snapshots.watch_days_30d, 0) as watch_days_30d,
        coalesce(activity_snapshots.watch_days_90d, 0) as watch_days_90d,
        coalesce(activity_snapshots.interactions_30d, 0) as interactions_30d,
        coalesce(activity_snapshots.interactions_90d, 0) as interactions_90d,
        coalesce(purchase_snapshots.purchases_365d, 0) as purchases_365d,
        coalesce(purchase_snapshots.net_gmv_365d, 0) as net_gmv_365d,
        coalesce(purchase_snapshots.f_value, 0) as f_value,
        coalesce(purchase_snapshots.m_value, 0) as m_value,
        coalesce(purchase_snapshots.lifetime_purchases, 0) as lifetime_purchases,
        greatest(activity_snapshots.last_regular_active_date, irregular_by_date.last_irregular_purchase_date)
            as last_active_date,
        greatest(purchase_snapshots.last_regular_purchase_date, irregular_by_date.last_irregular_purchase_date)
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
        ) as has_comeback_in_window,
        {{ run_stamp() }} as _loaded_at
    from combined_dated
    cross join rule_numbers
)

select * from final
