{{ config(materialized='table') }}
{#-
    Each user's activity summed over the dates up to the bank date B (macro activity_bank_date;
    on a full refresh the B of the next night; no rows when there is none), per comeback bucket
    (macro comeback_bucket_number: churn_after_days + 1 dates): the first and last active (event)
    days, the last add-to-cart, the watch days and the interactions. int_user_activity_stepped
    (all of them in its first bucket) and int_user_activity_summarized (the latest comeback day
    and add-to-cart) read these in place of the daily rows up to B. A run whose B and bucket width
    are the stored ones and whose activity up to B did not change (int_as_of_inputs_fingerprinted)
    copies the stored rows (macro activity_bank_kept): a few rows per user, against every daily
    row up to B.
-#}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
-- depends_on: {{ ref('int_thresholds_current') }}
-- depends_on: {{ ref('int_as_of_dates') }}
-- depends_on: {{ ref('int_as_of_date') }}
{%- set bank_date = activity_bank_date(as_of_steps_recompute_from(), or_at_d=true) %}
{%- set kept = activity_bank_kept(bank_date) %}
with

-- read by the bank computed anew only (a kept bank is read from itself: ST03 and AM04 see the
-- rendered branch)
activity_daily as (  -- noqa: ST03
    select * from {{ ref('int_user_activity_daily') }}
),

thresholds as (  -- noqa: ST03
    select * from {{ ref('int_thresholds_current') }}
),

{% if kept %}

    -- the stored bank, unchanged
    final as (
        select * from {{ this }}
    )

{% else %}

    churn_rule as (
        select cast({{ threshold('churn_after_days') }} as integer) as churn_after_days
    ),

    days_bucketed as (
        select
            activity_daily.*,
            {{ comeback_bucket_number('activity_daily.activity_date', 'churn_rule.churn_after_days') }}
                as bucket_number,
            {{ comeback_bucket_days('churn_rule.churn_after_days') }} as bucket_days
        from activity_daily
        cross join churn_rule
        where
            {{ "false" if bank_date is none else "activity_daily.activity_date <= cast('" ~ bank_date ~ "' as date)" }}
    ),

    final as (
        select
            user_id,
            bucket_number,
            cast(bucket_days as integer) as bucket_days,
            cast({{ "null" if bank_date is none else "'" ~ bank_date ~ "'" }} as date) as bank_date,
            max(case when is_event_day then activity_date end) as last_active_date,
            min(case when is_event_day then activity_date end) as first_active_date,
            max(last_add_to_cart_at) as last_add_to_cart_at,
            cast(sum(case when is_watch_day then 1 else 0 end) as bigint) as watch_day_count,
            cast(sum(interactions) as bigint) as interaction_count,
            {{ run_stamp() }} as _loaded_at
        from days_bucketed
        group by user_id, bucket_number, bucket_days
    )

{% endif %}

select * from final  -- noqa: AM04
