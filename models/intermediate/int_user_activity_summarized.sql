{#-
    The activity facts that exist only at D (the as-of chain, int_user_facts_snapshotted, has
    the 30- and 90-day watch days and interactions and the last active day at every as-of
    date): 7-day windows, watch seconds (with the length known on D of sessions not settled
    by then), the tag inputs and the latest comeback day, for every user active by D. For the
    comeback day and the last add-to-cart, the daily rows up to the bank's date B are read as
    their sums per user and comeback bucket (int_user_activity_banked), when the bank is current
    (macro activity_bank_readable_date; else every daily row is read).
-#}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
{%- set windows_start = windows_start_date(
    ['window_7d_days', 'window_30d_days', 'window_90d_days', 'cart_abandon_window_days']
) %}
{%- set bank_date = activity_bank_readable_date() %}
with

activity_daily as {{ inline_cte() }} (
    select * from {{ ref('int_user_activity_daily') }}
),

activity_banked as (
    select * from {{ ref('int_user_activity_banked') }}
),

watch_sessions as (
    select * from {{ ref('int_watch_sessions_sessionized') }}
),

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

days_as_of as {{ inline_cte() }} (
    select
        activity_daily.*,
        {{ dbt.datediff('activity_daily.activity_date', 'as_of.as_of_date', 'day') }}
            as days_ago
    from activity_daily
    cross join as_of
    where activity_daily.activity_date <= as_of.as_of_date
),

days_windowed as (
    select
        *,
        days_ago < {{ threshold('window_7d_days') }} as is_in_7d,
        days_ago < {{ threshold('window_30d_days') }} as is_in_30d,
        days_ago < {{ threshold('window_90d_days') }} as is_in_90d,
        days_ago < {{ threshold('cart_abandon_window_days') }} as is_in_cart_window
    from days_as_of
    {%- if windows_start is not none %}
        -- only the windows' dates (macro windows_start_date): the older row groups are not read
        where activity_date > cast('{{ windows_start }}' as date)
    {%- endif %}
),

-- sessions begun by D whose end became known only after D: their daily watch_seconds are
-- the final lengths, so add the difference to the length known on D
unsettled_sessions as (
    select
        watch_sessions.user_id,
        watch_sessions.is_late_night,
        {{ dbt.datediff('watch_sessions.session_date', 'as_of.as_of_date', 'day') }}
            as days_ago,
        {{ watch_session_seconds('as_of.as_of_date') }} - watch_sessions.watch_seconds
            as watch_seconds_correction
    from watch_sessions
    cross join as_of
    where
        watch_sessions.session_date <= as_of.as_of_date
        and watch_sessions.settled_date > as_of.as_of_date
),

unsettled_windowed as (
    select
        *,
        days_ago < {{ threshold('window_7d_days') }} as is_in_7d,
        days_ago < {{ threshold('window_30d_days') }} as is_in_30d,
        days_ago < {{ threshold('window_90d_days') }} as is_in_90d
    from unsettled_sessions
),

corrections as (
    select
        user_id,
        sum(case when is_in_7d then watch_seconds_correction else 0 end) as watch_seconds_7d,
        sum(case when is_in_30d then watch_seconds_correction else 0 end) as watch_seconds_30d,
        sum(case when is_in_90d then watch_seconds_correction else 0 end) as watch_seconds_90d,
        sum(case when is_in_30d and is_late_night then watch_seconds_correction else 0 end)
            as late_night_watch_seconds_30d
    from unsettled_windowed
    group by user_id
),

activity as (
    select
        user_id,
        sum(case when is_in_7d and is_watch_day then 1 else 0 end) as watch_days_7d,
        sum(case when is_in_7d then watch_seconds else 0 end) as watch_seconds_7d,
        sum(case when is_in_30d then watch_seconds else 0 end) as watch_seconds_30d,
        sum(case when is_in_90d then watch_seconds else 0 end) as watch_seconds_90d,
        sum(case when is_in_30d then late_night_watch_seconds else 0 end) as late_night_watch_seconds_30d,
        sum(case when is_in_30d and late_night_watch_sessions > 0 then 1 else 0 end)
            as late_night_watch_days_30d,
        sum(case when is_in_7d then interactions else 0 end) as interactions_7d,
        sum(case when is_in_90d then share_events else 0 end) as shares_90d,
        sum(case when is_in_90d then gifts else 0 end) as gifts_90d,
        sum(case when is_in_30d then product_clicks + add_to_carts + favorites else 0 end)
            as product_actions_30d,
        sum(case when is_in_90d then coupon_claims else 0 end) as coupon_claims_90d,
        sum(case when is_in_cart_window then add_to_carts else 0 end) as add_to_carts_in_cart_window
    from days_windowed
    where is_in_7d or is_in_30d or is_in_90d or is_in_cart_window
    group by user_id
),

-- the bank's rows of B (none without B: every day is read from days_as_of)
banked_buckets as (
    select *
    from activity_banked
    where {{ "false" if bank_date is none else "bank_date = cast('" ~ bank_date ~ "' as date)" }}
),

-- the days after B (a literal: the older row groups are not read), every day without B
days_after_bank as (
    select *
    from days_as_of
    {%- if bank_date is not none %}
        where activity_date > cast('{{ bank_date }}' as date)
    {%- endif %}
),

last_add_to_carts as (
    select
        user_id,
        max(last_add_to_cart_at) as last_add_to_cart_at
    from (
        select
            user_id,
            last_add_to_cart_at
        from days_after_bank
        union all
        select
            user_id,
            last_add_to_cart_at
        from banked_buckets
    ) as add_to_carts
    where last_add_to_cart_at is not null
    group by user_id
),

-- an active day has an event or a purchase (a day with both is here twice: harmless below)
active_days as (
    select
        user_id,
        activity_date
    from days_after_bank
    where is_event_day
    union all
    select
        user_id,
        paid_date as activity_date
    from purchases
),

churn_rule as (
    select cast({{ threshold('churn_after_days') }} as integer) as churn_after_days
),

-- a comeback day follows the previous active day after at least churn_after_days whole
-- inactive days (dates churn_after_days + 1 or more apart). Days are cut into buckets of
-- churn_after_days + 1 dates: two days of one bucket are at most churn_after_days apart, so a
-- comeback day is the first active day of its bucket, and its previous active day is the last
-- one of the user's previous non-empty bucket. Ordering the few buckets per user replaces a
-- window sort of every active day (which grew with the history). A threshold below 0 (every
-- later day a comeback) takes buckets of one date (macro comeback_bucket_number). The bank's
-- buckets (event days up to B) join the days after B and the purchases.
active_days_bucketed as (
    select
        active_days.user_id,
        {{ comeback_bucket_number('active_days.activity_date', 'churn_rule.churn_after_days') }}
            as bucket_number,
        active_days.activity_date as first_active_date,
        active_days.activity_date as last_active_date
    from active_days
    cross join churn_rule
    union all
    select
        user_id,
        bucket_number,
        first_active_date,
        last_active_date
    from banked_buckets
    -- a bucket of the bank with days but no event day is no active bucket
    where first_active_date is not null
),

active_buckets as (
    select
        user_id,
        bucket_number,
        min(first_active_date) as first_active_date,
        max(last_active_date) as last_active_date
    from active_days_bucketed
    group by user_id, bucket_number
),

active_buckets_sequenced as (
    select
        user_id,
        first_active_date,
        {{ dbt.datediff(
            'lag(last_active_date) over (partition by user_id order by bucket_number)',
            'first_active_date',
            'day'
        ) }} as days_since_previous_active
    from active_buckets
),

active_summary as (
    select
        active_buckets_sequenced.user_id,
        max(
            case
                when active_buckets_sequenced.days_since_previous_active > churn_rule.churn_after_days
                    then active_buckets_sequenced.first_active_date
            end
        ) as last_comeback_date
    from active_buckets_sequenced
    cross join churn_rule
    group by active_buckets_sequenced.user_id
),

final as (
    select
        active_summary.user_id,
        cast(coalesce(activity.watch_days_7d, 0) as integer) as watch_days_7d,
        cast(coalesce(activity.watch_seconds_7d, 0) + coalesce(corrections.watch_seconds_7d, 0) as bigint)
            as watch_seconds_7d,
        cast(coalesce(activity.watch_seconds_30d, 0) + coalesce(corrections.watch_seconds_30d, 0) as bigint)
            as watch_seconds_30d,
        cast(coalesce(activity.watch_seconds_90d, 0) + coalesce(corrections.watch_seconds_90d, 0) as bigint)
            as watch_seconds_90d,
        cast(
            coalesce(activity.late_night_watch_seconds_30d, 0)
            + coalesce(corrections.late_night_watch_seconds_30d, 0) as bigint
        ) as late_night_watch_seconds_30d,
        cast(coalesce(activity.late_night_watch_days_30d, 0) as integer) as late_night_watch_days_30d,
        cast(coalesce(activity.interactions_7d, 0) as integer) as interactions_7d,
        cast(coalesce(activity.shares_90d, 0) as integer) as shares_90d,
        cast(coalesce(activity.gifts_90d, 0) as integer) as gifts_90d,
        cast(coalesce(activity.product_actions_30d, 0) as integer) as product_actions_30d,
        cast(coalesce(activity.coupon_claims_90d, 0) as integer) as coupon_claims_90d,
        cast(coalesce(activity.add_to_carts_in_cart_window, 0) as integer) as add_to_carts_in_cart_window,
        last_add_to_carts.last_add_to_cart_at,
        active_summary.last_comeback_date
    from active_summary
    left join activity
        on active_summary.user_id = activity.user_id
    left join corrections
        on active_summary.user_id = corrections.user_id
    left join last_add_to_carts
        on active_summary.user_id = last_add_to_carts.user_id
)

select * from final
