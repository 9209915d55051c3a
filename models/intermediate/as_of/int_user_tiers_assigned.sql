{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        pre_hook=(
            "{{ delete_recomputed_dates("
            "recompute_from_upstream(ref('int_user_facts_snapshotted')), ref('int_user_facts_snapshotted')) }}"
        ),
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
{#-
    The four tier families (spec "Tier families") of every known user at every as-of date P,
    rules top-down, first match wins, with the threshold rows valid on P (or, with var
    restate_history, those valid at D). user_tiers is the slice at D, user_tier_history the
    slices at the period ends, campaign_tier_readout reads the campaign eves, user_tier_reasons
    explains the slice at D with the same rows.

    Incremental by as-of date: a run recomputes the dates int_user_facts_snapshotted rewrote
    since this model's last run (macro recompute_from_upstream).
-#}
{%- set from_date = recompute_from_upstream(ref('int_user_facts_snapshotted')) %}
with

facts as {{ inline_cte() }} (
    select * from {{ ref('int_user_facts_snapshotted') }}
    {{- recomputed_dates_only(from_date) }}
),

rfm as (
    select * from {{ ref('int_user_rfm_scored') }}
    {{- recomputed_dates_only(from_date) }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

-- the rule numbers of each as-of date: the seed rows valid on it
rules as (
    {{ thresholds_valid_on('thresholds', 'facts', [
        'core_min_purchases_365d', 'core_min_watch_days_90d', 'core_min_interactions_90d',
        'potential_max_purchases_365d', 'potential_min_watch_days_30d', 'potential_min_interactions_30d',
        'new_window_days', 'lifecycle_new_days', 'silent_after_days', 'churn_after_days',
        'spend_high_share', 'spend_mid_share',
    ]) }}
),

users_with_rfm as (
    select
        facts.*,
        rfm.user_id is not null as is_rfm_buyer,
        rfm.rfm_segment as buyer_rfm_segment,
        rfm.rfm_cell,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.m_cume_count,
        rfm.buyer_count
    from facts
    left join rfm
        on
            facts.user_id = rfm.user_id
            and facts.as_of_date = rfm.as_of_date
),

-- every user-date with the rule numbers valid on its date
users_with_rules as (
    select
        users_with_rfm.*,
        rules.core_min_purchases_365d,
        rules.core_min_watch_days_90d,
        rules.core_min_interactions_90d,
        rules.potential_max_purchases_365d,
        rules.potential_min_watch_days_30d,
        rules.potential_min_interactions_30d,
        rules.new_window_days,
        rules.lifecycle_new_days,
        rules.silent_after_days,
        rules.churn_after_days,
        rules.spend_high_share,
        rules.spend_mid_share
    from users_with_rfm
    inner join rules
        on users_with_rfm.as_of_date = rules.as_of_date
),

tiers as (
    select
        *,
        case
            when
                purchases_365d >= core_min_purchases_365d
                and watch_days_90d >= core_min_watch_days_90d
                and interactions_90d >= core_min_interactions_90d
                then 'core_fan'
            when
                purchases_365d <= potential_max_purchases_365d
                and watch_days_30d >= potential_min_watch_days_30d
                and interactions_30d >= potential_min_interactions_30d
                then 'potential'
            when
                days_since_first_seen < new_window_days
                and lifetime_purchases = 0
                then 'new_visitor'
            when purchases_365d > 0
                then 'regular'
            else 'casual'
        end as value_tier,
        case
            when days_since_first_seen < lifecycle_new_days
                then 'new'
            when
                days_since_last_active < silent_after_days
                and has_comeback_in_window
                then 'reactivated'
            when days_since_last_active < silent_after_days
                then 'active'
            when days_since_last_active < churn_after_days
                then 'silent'
            else 'churned'
        end as lifecycle_stage,
        -- cume_dist = k / n compared exactly: k > n x (1 - share) in decimals
        case
            when not is_rfm_buyer
                then 'none'
            when m_cume_count > buyer_count * (1 - spend_high_share)
                then 'high'
            when
                m_cume_count
                > buyer_count * (1 - spend_high_share - spend_mid_share)
                then 'mid'
            else 'low'
        end as spend_tier,
        coalesce(buyer_rfm_segment, 'non_buyer') as rfm_segment
    from users_with_rules
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(as_of_date as date) as as_of_date,
        cast(value_tier as {{ dbt.type_string() }}) as value_tier,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(spend_tier as {{ dbt.type_string() }}) as spend_tier,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(r_score as integer) as r_score,
        cast(f_score as integer) as f_score,
        cast(m_score as integer) as m_score,
        cast(days_since_first_seen as integer) as days_since_first_seen,
        cast(days_since_last_active as integer) as days_since_last_active,
        cast(watch_days_30d as integer) as watch_days_30d,
        cast(watch_days_90d as integer) as watch_days_90d,
        cast(interactions_30d as integer) as interactions_30d,
        cast(interactions_90d as integer) as interactions_90d,
        cast(purchases_365d as integer) as purchases_365d,
        cast(net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(lifetime_purchases as integer) as lifetime_purchases,
        cast(has_comeback_in_window as boolean) as has_comeback_in_window,
        cast(first_seen_date as date) as first_seen_date,
        cast(last_active_date as date) as last_active_date,
        cast(last_purchase_date as date) as last_purchase_date,
        {{ run_stamp() }} as _loaded_at
    from tiers
)

select * from final
