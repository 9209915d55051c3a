{{ config(materialized='table') }}
{#-
    Each user's activity summed over the dates up to the bank date B (macro activity_bank_date;
    on a full refresh the B of the next night; no rows when there is none): the first and last
    active (event) days, the watch days and the interactions. int_user_activity_stepped reads
    these in place of the daily rows up to B. A run whose B is the stored one and whose activity
    up to B did not change (int_as_of_inputs_fingerprinted) copies the stored rows (macro
    activity_bank_kept): one row per user, against every daily row up to B.
-#}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
-- depends_on: {{ ref('int_thresholds_current') }}
-- depends_on: {{ ref('int_as_of_dates') }}
-- depends_on: {{ ref('int_as_of_date') }}
{%- set bank_date = activity_bank_date(as_of_steps_recompute_from(), or_at_d=true) %}
{%- set kept = activity_bank_kept(bank_date) %}
with

activity_daily as (
    select * from {{ ref('int_user_activity_daily') }}
),

{% if kept %}

    -- the stored bank, unchanged
    final as (
        select * from {{ this }}
    )

{% else %}

    final as (
        select
            user_id,
            cast({{ "null" if bank_date is none else "'" ~ bank_date ~ "'" }} as date) as bank_date,
            max(case when is_event_day then activity_date end) as last_active_date,
            min(case when is_event_day then activity_date end) as first_active_date,
            cast(sum(case when is_watch_day then 1 else 0 end) as bigint) as watch_day_count,
            cast(sum(interactions) as bigint) as interaction_count,
            cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _loaded_at
        from activity_daily
        where {{ "false" if bank_date is none else "activity_date <= cast('" ~ bank_date ~ "' as date)" }}
        group by user_id
    )

{% endif %}

select * from final
