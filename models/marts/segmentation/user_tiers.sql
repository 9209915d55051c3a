with

facts as (
    select * from {{ ref('user_facts') }}
),

rfm as (
    select * from {{ ref('user_rfm') }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

tier_labels as (
    select * from {{ ref('tier_labels') }}
),

tier_playbook as (
    select * from {{ ref('tier_playbook') }}
),

users_with_rfm as (
    select
        facts.user_id,
        facts.as_of_date,
        facts.days_since_first_seen,
        facts.days_since_last_active,
        facts.watch_days_30d,
        facts.watch_days_90d,
        facts.interactions_30d,
        facts.interactions_90d,
        facts.purchases_365d,
        facts.lifetime_purchases,
        {{ dbt.datediff('facts.last_comeback_date', 'facts.as_of_date', 'day') }}
            as days_since_last_comeback,
        rfm.user_id is not null as is_rfm_buyer,
        rfm.rfm_segment as buyer_rfm_segment,
        rfm.m_cume_count,
        rfm.buyer_count
    from facts
    left join rfm
        on facts.user_id = rfm.user_id
),

-- each family: rules top-down, first match wins (spec "Tier families")
tiers as (
    select
        user_id,
        as_of_date,
        case
            when
                purchases_365d >= {{ threshold('core_min_purchases_365d') }}
                and watch_days_90d >= {{ threshold('core_min_watch_days_90d') }}
                and interactions_90d >= {{ threshold('core_min_interactions_90d') }}
                then 'core_fan'
            when
                purchases_365d <= {{ threshold('potential_max_purchases_365d') }}
                and watch_days_30d >= {{ threshold('potential_min_watch_days_30d') }}
                and interactions_30d >= {{ threshold('potential_min_interactions_30d') }}
                then 'potential'
            when
                days_since_first_seen < {{ threshold('new_window_days') }}
                and lifetime_purchases = 0
                then 'new_visitor'
            when purchases_365d > 0
                then 'regular'
            else 'casual'
        end as value_tier,
        case
            when days_since_first_seen < {{ threshold('lifecycle_new_days') }}
                then 'new'
            when
                days_since_last_active < {{ threshold('silent_after_days') }}
                and days_since_last_comeback < {{ threshold('silent_after_days') }}
                then 'reactivated'
            when days_since_last_active < {{ threshold('silent_after_days') }}
                then 'active'
            when days_since_last_active < {{ threshold('churn_after_days') }}
                then 'silent'
            else 'churned'
        end as lifecycle_stage,
        -- cume_dist = k / n compared exactly: k > n x (1 - share) in decimals
        case
            when not is_rfm_buyer
                then 'none'
            when m_cume_count > buyer_count * (1 - {{ threshold('spend_high_share') }})
                then 'high'
            when
                m_cume_count
                > buyer_count * (1 - {{ threshold('spend_high_share') }} - {{ threshold('spend_mid_share') }})
                then 'mid'
            else 'low'
        end as spend_tier,
        coalesce(buyer_rfm_segment, 'non_buyer') as rfm_segment
    from users_with_rfm
),

final as (
    select
        cast(tiers.user_id as string) as user_id,
        cast(tiers.value_tier as string) as value_tier,
        cast(value_labels.label_en as string) as value_tier_label_en,
        cast(value_labels.label_zh as string) as value_tier_label_zh,
        cast(tiers.lifecycle_stage as string) as lifecycle_stage,
        cast(lifecycle_labels.label_en as string) as lifecycle_stage_label_en,
        cast(lifecycle_labels.label_zh as string) as lifecycle_stage_label_zh,
        cast(tiers.spend_tier as string) as spend_tier,
        cast(spend_labels.label_en as string) as spend_tier_label_en,
        cast(spend_labels.label_zh as string) as spend_tier_label_zh,
        cast(tiers.rfm_segment as string) as rfm_segment,
        cast(rfm_labels.label_en as string) as rfm_segment_label_en,
        cast(rfm_labels.label_zh as string) as rfm_segment_label_zh,
        cast(value_playbook.goal_zh as string) as value_tier_goal_zh,
        cast(value_playbook.goal_en as string) as value_tier_goal_en,
        cast(value_playbook.actions_zh as string) as value_tier_actions_zh,
        cast(value_playbook.actions_en as string) as value_tier_actions_en,
        cast(lifecycle_playbook.goal_zh as string) as lifecycle_goal_zh,
        cast(lifecycle_playbook.goal_en as string) as lifecycle_goal_en,
        cast(lifecycle_playbook.actions_zh as string) as lifecycle_actions_zh,
        cast(lifecycle_playbook.actions_en as string) as lifecycle_actions_en,
        cast(value_playbook.channels as string) as value_tier_channels,
        -- the stricter of the two caps, so the lifecycle stage can slow down a value tier
        cast(
            least(value_playbook.max_touches_per_week, lifecycle_playbook.max_touches_per_week) as integer
        ) as max_touches_per_week,
        cast(tiers.as_of_date as date) as as_of_date
    from tiers
    left join tier_labels as value_labels
        on
            value_labels.family = 'value_tier'
            and tiers.value_tier = value_labels.tier_code
    left join tier_labels as lifecycle_labels
        on
            lifecycle_labels.family = 'lifecycle_stage'
            and tiers.lifecycle_stage = lifecycle_labels.tier_code
    left join tier_labels as spend_labels
        on
            spend_labels.family = 'spend_tier'
            and tiers.spend_tier = spend_labels.tier_code
    left join tier_labels as rfm_labels
        on
            rfm_labels.family = 'rfm_segment'
            and tiers.rfm_segment = rfm_labels.tier_code
    left join tier_playbook as value_playbook
        on
            value_playbook.family = 'value_tier'
            and tiers.value_tier = value_playbook.tier_code
    left join tier_playbook as lifecycle_playbook
        on
            lifecycle_playbook.family = 'lifecycle_stage'
            and tiers.lifecycle_stage = lifecycle_playbook.tier_code
)

select * from final
