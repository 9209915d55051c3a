{#-
    The operations alerts' triggers as of D, one row per user and alert that fires (numbers in
    seg_thresholds, actions and priorities in the seed alert_playbook):
    core_fan_quiet, churn_warning, cart_followup, recall_due.
-#}
-- depends_on: {{ ref('int_as_of_date') }}
{#- the dates a latest add_to_cart or favorite that fires can have: the two cart windows one after
    the other (macro windows_start_date) -#}
{%- set cart_dates_start = windows_start_date(
    ['cart_followup_after_days', 'cart_followup_window_days'], summed=true
) %}
with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

-- the tiers, and the daily activity, are imported once per reader or expanded at each read
-- (inline_cte): DuckDB materialises a CTE read more than once (every stored row), and each
-- reader's date filter would not reach the table scan
tiers_as_of as (
    select * from {{ ref('int_user_tiers_assigned') }}
),

previous_tiers_as_of as (
    select * from {{ ref('int_user_tiers_assigned') }}
),

activity_daily as {{ inline_cte() }} (
    select * from {{ ref('int_user_activity_daily') }}
),

-- the cart alert reads only the dates its latest cart date can have (a literal: the older row
-- groups are not read): a later cart date hides one of those, an earlier one fires nothing, and
-- the purchases that cancel it are paid on or after it
cart_activity_daily as (
    select * from {{ ref('int_user_activity_daily') }}
    {%- if cart_dates_start is not none %}
        where activity_date > cast('{{ cart_dates_start }}' as date)
    {%- endif %}
),

purchases as (
    select * from {{ ref('int_purchases_netted') }}
    {%- if cart_dates_start is not none %}
        where paid_date > cast('{{ cart_dates_start }}' as date)
    {%- endif %}
),

campaign_touches as (
    select * from {{ ref('stg_live__campaign_touches') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

rule_numbers as (
    select
        cast({{ threshold('core_quiet_after_days') }} as integer) as core_quiet_after_days,
        cast({{ threshold('churn_warning_decline_days') }} as integer) as churn_warning_decline_days,
        cast({{ threshold('cart_followup_after_days') }} as integer) as cart_followup_after_days,
        cast({{ threshold('cart_followup_window_days') }} as integer) as cart_followup_window_days,
        cast({{ threshold('recall_cooldown_days') }} as integer) as recall_cooldown_days,
        cast({{ threshold('silent_after_days') }} as integer) as silent_after_days
),

as_of as (
    select
        as_of_date,
        previous_history_date
    from as_of_dates
    where is_as_of_date
),

current_tiers as (
    select tiers_as_of.*
    from tiers_as_of
    inner join as_of
        on tiers_as_of.as_of_date = as_of.as_of_date
),

previous_tiers as (
    select
        previous_tiers_as_of.user_id,
        previous_tiers_as_of.value_tier
    from previous_tiers_as_of
    inner join as_of
        on previous_tiers_as_of.as_of_date = as_of.previous_history_date
),

-- 核心粉丝沉默: a core fan now or at the previous period end with no active day for a while
core_fan_quiet as (
    select
        current_tiers.user_id,
        'core_fan_quiet' as alert_code,
        cast(
            {{ dbt.dateadd('day', 'rule_numbers.core_quiet_after_days', 'current_tiers.last_active_date') }} as date
        ) as triggered_date,
        current_tiers.days_since_last_active as evidence_value
    from current_tiers
    cross join rule_numbers
    left join previous_tiers
        on current_tiers.user_id = previous_tiers.user_id
    where
        (current_tiers.value_tier = 'core_fan' or previous_tiers.value_tier = 'core_fan')
        and current_tiers.days_since_last_active >= rule_numbers.core_quiet_after_days
),

-- 流失预警 (article 004: activity falling several days in a row): the day's events, 0 without
-- a row, lower on each of the last churn_warning_decline_days dates than the date before
decline_window as (
    select
        cast({{ dbt.dateadd('day', '-1 * rule_numbers.churn_warning_decline_days', 'as_of.as_of_date') }} as date)
            as window_start_date,
        as_of.as_of_date as window_end_date
    from as_of
    cross join rule_numbers
),

decline_days as (
    {{ date_series('decline_window', 'window_start_date', 'window_end_date', 'activity_date') }}
),

decline_candidates as (
    select activity_daily.user_id
    from activity_daily
    inner join decline_window
        on activity_daily.activity_date = decline_window.window_start_date
    where activity_daily.events > 0
),

candidate_days as (
    select
        decline_candidates.user_id,
        decline_days.activity_date,
        coalesce(activity_daily.events, 0) as events
    from decline_candidates
    cross join decline_days
    left join activity_daily
        on
            decline_candidates.user_id = activity_daily.user_id
            and decline_days.activity_date = activity_daily.activity_date
),

candidate_days_compared as (
    select
        *,
        lag(events) over (partition by user_id order by activity_date) as previous_events
    from candidate_days
),

churn_warning as (
    select
        candidate_days_compared.user_id,
        'churn_warning' as alert_code,
        max(candidate_days_compared.activity_date) as triggered_date,
        max(rule_numbers.churn_warning_decline_days) as evidence_value
    from candidate_days_compared
    cross join rule_numbers
    where candidate_days_compared.previous_events is not null
    group by candidate_days_compared.user_id
    having
        sum(case when candidate_days_compared.events < candidate_days_compared.previous_events then 1 else 0 end)
        = max(rule_numbers.churn_warning_decline_days)
),

-- 加购/收藏未购买 (article 004: a favourite and no order 7 days later): the latest add_to_cart or
-- favorite date lies cart_followup_after_days to (after + window - 1) days back, no purchase
-- paid on or after that date
last_cart_dates as (
    select
        cart_activity_daily.user_id,
        max(cart_activity_daily.activity_date) as last_cart_date
    from cart_activity_daily
    cross join as_of
    where
        cart_activity_daily.activity_date <= as_of.as_of_date
        and (cart_activity_daily.add_to_carts > 0 or cart_activity_daily.favorites > 0)
    group by cart_activity_daily.user_id
),

later_purchases as (
    select distinct last_cart_dates.user_id
    from last_cart_dates
    inner join purchases
        on
            last_cart_dates.user_id = purchases.user_id
            and last_cart_dates.last_cart_date <= purchases.paid_date
),

cart_followup as (
    select
        last_cart_dates.user_id,
        'cart_followup' as alert_code,
        cast(
            {{ dbt.dateadd('day', 'rule_numbers.cart_followup_after_days', 'last_cart_dates.last_cart_date') }} as date
        ) as triggered_date,
        {{ dbt.datediff('last_cart_dates.last_cart_date', 'as_of.as_of_date', 'day') }}
            as evidence_value
    from last_cart_dates
    cross join as_of
    cross join rule_numbers
    left join later_purchases
        on last_cart_dates.user_id = later_purchases.user_id
    where
        later_purchases.user_id is null
        and {{ dbt.datediff('last_cart_dates.last_cart_date', 'as_of.as_of_date', 'day') }}
        >= rule_numbers.cart_followup_after_days
        and {{ dbt.datediff('last_cart_dates.last_cart_date', 'as_of.as_of_date', 'day') }}
        < rule_numbers.cart_followup_after_days + rule_numbers.cart_followup_window_days
),

-- 沉默召回: silent now and no real (non-control) touch in the last recall_cooldown_days days
recent_touches as (
    select distinct campaign_touches.user_id
    from campaign_touches
    cross join as_of
    cross join rule_numbers
    where
        not campaign_touches.is_control
        and campaign_touches.sent_date <= as_of.as_of_date
        and {{ dbt.datediff('campaign_touches.sent_date', 'as_of.as_of_date', 'day') }}
        < rule_numbers.recall_cooldown_days
),

recall_due as (
    select
        current_tiers.user_id,
        'recall_due' as alert_code,
        cast(
            {{ dbt.dateadd('day', 'rule_numbers.silent_after_days', 'current_tiers.last_active_date') }} as date
        ) as triggered_date,
        current_tiers.days_since_last_active as evidence_value
    from current_tiers
    cross join rule_numbers
    left join recent_touches
        on current_tiers.user_id = recent_touches.user_id
    where
        current_tiers.lifecycle_stage = 'silent'
        and recent_touches.user_id is null
),

alerts as (
    select * from core_fan_quiet
    union all
    select * from churn_warning
    union all
    select * from cart_followup
    union all
    select * from recall_due
),

final as (
    select
        cast(alerts.user_id as {{ dbt.type_string() }}) as user_id,
        cast(alerts.alert_code as {{ dbt.type_string() }}) as alert_code,
        cast(alerts.evidence_value as integer) as evidence_value,
        cast(alerts.triggered_date as date) as triggered_date,
        cast(as_of.as_of_date as date) as as_of_date
    from alerts
    cross join as_of
)

select * from final
