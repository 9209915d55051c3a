{#-
    Why each user holds each tier at D: the rule that placed them (rule_id, a tier code of the
    seed tier_labels) and the values that decided it, with each threshold's value and seed name.
    The rules are evaluated again here with the same threshold rows the chain used at D
    (thresholds_valid_on), top-down like the spec; the matched rule's conditions are listed,
    then, for each higher rule, the first condition it failed. The data test
    assert_tier_reasons_match_tiers holds rule_id equal to the tier in user_tiers. The texts
    (macro tier_reason_texts) are written into the reasons where used, so each user's are built
    only for the rules named (building all of them for every user was most of the model's time).
-#}
{%- set texts = tier_reason_texts() %}
with

tiers_as_of as (
    select * from {{ ref('int_user_tiers_assigned') }}
),

rfm_as_of as (
    select * from {{ ref('int_user_rfm_scored') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

tiers as (
    select tiers_as_of.*
    from tiers_as_of
    inner join as_of
        on tiers_as_of.as_of_date = as_of.as_of_date
),

buyers as (
    select rfm_as_of.*
    from rfm_as_of
    inner join as_of
        on rfm_as_of.as_of_date = as_of.as_of_date
),

-- the rule numbers at D: the rows the chain applied at D (restated or not, D reads its own)
rules as (
    {{ thresholds_valid_on('thresholds', 'tiers', [
        'core_min_purchases_365d', 'core_min_watch_days_90d', 'core_min_interactions_90d',
        'potential_max_purchases_365d', 'potential_min_watch_days_30d', 'potential_min_interactions_30d',
        'new_window_days', 'lifecycle_new_days', 'silent_after_days', 'churn_after_days',
        'spend_high_share', 'spend_mid_share', 'rfm_window_days',
    ]) }}
),

-- the buyers' means of R, F and M, as totals and a count (compared exactly, shown rounded)
buyer_totals as (
    select
        count(*) as buyer_count,
        sum(recency_days) as recency_days_total,
        sum(f_value) as f_value_total,
        sum(m_value) as m_value_total
    from buyers
),

-- the rule numbers and buyer totals with the texts every user's reasons share, written once per
-- as-of date
rule_texts as (
    select
        rules.*,
        buyer_totals.buyer_count,
        buyer_totals.recency_days_total,
        buyer_totals.f_value_total,
        buyer_totals.m_value_total,
        {{ number_text('rules.core_min_purchases_365d') }} as core_min_purchases_365d_text,
        {{ number_text('rules.core_min_watch_days_90d') }} as core_min_watch_days_90d_text,
        {{ number_text('rules.core_min_interactions_90d') }} as core_min_interactions_90d_text,
        {{ number_text('rules.potential_max_purchases_365d') }} as potential_max_purchases_365d_text,
        {{ number_text('rules.potential_min_watch_days_30d') }} as potential_min_watch_days_30d_text,
        {{ number_text('rules.potential_min_interactions_30d') }} as potential_min_interactions_30d_text,
        {{ number_text('rules.new_window_days') }} as new_window_days_text,
        {{ number_text('rules.lifecycle_new_days') }} as lifecycle_new_days_text,
        {{ number_text('rules.silent_after_days') }} as silent_after_days_text,
        {{ number_text('rules.churn_after_days') }} as churn_after_days_text,
        {{ number_text('rules.rfm_window_days') }} as rfm_window_days_text,
        {{ number_text('1 - rules.spend_high_share') }} as spend_high_cut_text,
        {{ number_text('1 - rules.spend_high_share - rules.spend_mid_share') }} as spend_mid_cut_text,
        {{ number_text(divide_exact('buyer_totals.recency_days_total', 'buyer_totals.buyer_count', 2)) }}
            as recency_days_mean_text,
        {{ number_text(divide_exact('buyer_totals.f_value_total', 'buyer_totals.buyer_count', 2)) }}
            as f_value_mean_text,
        {{ number_text(divide_exact('buyer_totals.m_value_total', 'buyer_totals.buyer_count', 2, wide=true)) }}
            as m_value_mean_text,
        {{ number_text('buyer_totals.buyer_count') }} as buyer_count_text
    from rules
    cross join buyer_totals
),

users as (
    select
        tiers.user_id,
        tiers.as_of_date,
        tiers.value_tier,
        tiers.lifecycle_stage,
        tiers.spend_tier,
        tiers.rfm_segment,
        tiers.purchases_365d,
        tiers.lifetime_purchases,
        tiers.watch_days_30d,
        tiers.watch_days_90d,
        tiers.interactions_30d,
        tiers.interactions_90d,
        tiers.days_since_first_seen,
        tiers.days_since_last_active,
        coalesce(tiers.has_comeback_in_window, false) as has_comeback_in_window,
        buyers.user_id is not null as is_rfm_buyer,
        buyers.recency_days,
        buyers.f_value,
        buyers.m_value,
        buyers.m_cume_count,
        rule_texts.buyer_count,
        rule_texts.recency_days_total,
        rule_texts.f_value_total,
        rule_texts.m_value_total,
        rule_texts.core_min_purchases_365d,
        rule_texts.core_min_watch_days_90d,
        rule_texts.core_min_interactions_90d,
        rule_texts.potential_max_purchases_365d,
        rule_texts.potential_min_watch_days_30d,
        rule_texts.potential_min_interactions_30d,
        rule_texts.new_window_days,
        rule_texts.lifecycle_new_days,
        rule_texts.silent_after_days,
        rule_texts.churn_after_days,
        rule_texts.spend_high_share,
        rule_texts.spend_mid_share,
        rule_texts.rfm_window_days,
        rule_texts.core_min_purchases_365d_text,
        rule_texts.core_min_watch_days_90d_text,
        rule_texts.core_min_interactions_90d_text,
        rule_texts.potential_max_purchases_365d_text,
        rule_texts.potential_min_watch_days_30d_text,
        rule_texts.potential_min_interactions_30d_text,
        rule_texts.new_window_days_text,
        rule_texts.lifecycle_new_days_text,
        rule_texts.silent_after_days_text,
        rule_texts.churn_after_days_text,
        rule_texts.rfm_window_days_text,
        rule_texts.spend_high_cut_text,
        rule_texts.spend_mid_cut_text,
        rule_texts.recency_days_mean_text,
        rule_texts.f_value_mean_text,
        rule_texts.m_value_mean_text,
        rule_texts.buyer_count_text
    from tiers
    inner join rule_texts
        on tiers.as_of_date = rule_texts.as_of_date
    left join buyers
        on tiers.user_id = buyers.user_id
),

-- every condition of every rule, true or false (a null comparison is false, as in the chain)
conditions as (
    select
        *,
        coalesce(purchases_365d >= core_min_purchases_365d, false) as is_core_purchases,
        coalesce(watch_days_90d >= core_min_watch_days_90d, false) as is_core_watch,
        coalesce(interactions_90d >= core_min_interactions_90d, false) as is_core_interactions,
        coalesce(purchases_365d <= potential_max_purchases_365d, false) as is_potential_purchases,
        coalesce(watch_days_30d >= potential_min_watch_days_30d, false) as is_potential_watch,
        coalesce(interactions_30d >= potential_min_interactions_30d, false) as is_potential_interactions,
        coalesce(days_since_first_seen < new_window_days, false) as is_new_window,
        coalesce(lifetime_purchases = 0, false) as is_never_purchased,
        coalesce(purchases_365d > 0, false) as is_purchased_365d,
        coalesce(days_since_first_seen < lifecycle_new_days, false) as is_lifecycle_new,
        coalesce(days_since_last_active < silent_after_days, false) as is_active_recently,
        coalesce(days_since_last_active < churn_after_days, false) as is_active_before_churn,
        coalesce(m_cume_count > buyer_count * (1 - spend_high_share), false) as is_spend_high,
        coalesce(m_cume_count > buyer_count * (1 - spend_high_share - spend_mid_share), false) as is_spend_mid,
        coalesce(recency_days * buyer_count <= recency_days_total, false) as is_r_high,
        coalesce(f_value * buyer_count >= f_value_total, false) as is_f_high,
        coalesce(m_value * buyer_count >= m_value_total, false) as is_m_high
    from users
),

-- the rules top-down, first match wins (spec "Tier families"): the rule each family matched
rules_matched as (
    select
        *,
        case
            when is_core_purchases and is_core_watch and is_core_interactions then 'core_fan'
            when is_potential_purchases and is_potential_watch and is_potential_interactions then 'potential'
            when is_new_window and is_never_purchased then 'new_visitor'
            when is_purchased_365d then 'regular'
            else 'casual'
        end as value_tier_rule_id,
        case
            when is_lifecycle_new then 'new'
            when is_active_recently and has_comeback_in_window then 'reactivated'
            when is_active_recently then 'active'
            when is_active_before_churn then 'silent'
            else 'churned'
        end as lifecycle_stage_rule_id,
        case
            when not is_rfm_buyer then 'none'
            when is_spend_high then 'high'
            when is_spend_mid then 'mid'
            else 'low'
        end as spend_tier_rule_id,
        case
            when not is_rfm_buyer then 'non_buyer'
            when is_r_high and is_f_high and is_m_high then 'important_value'
            when is_r_high and not is_f_high and is_m_high then 'important_develop'
            when not is_r_high and is_f_high and is_m_high then 'important_retain'
            when not is_r_high and not is_f_high and is_m_high then 'important_winback'
            when is_r_high and is_f_high and not is_m_high then 'general_value'
            when is_r_high and not is_f_high and not is_m_high then 'general_develop'
            when not is_r_high and is_f_high and not is_m_high then 'general_retain'
            else 'general_winback'
        end as rfm_segment_rule_id
    from conditions
),

-- the matched rule's conditions and why the higher rules failed, as text (macro tier_reason_texts)
reasons as (
    select
        *,
        value_tier_rule_id || ': ' || case value_tier_rule_id
            when 'core_fan'
                then
                    {{ texts.core_purchases_text }} || ', ' || {{ texts.core_watch_text }}
                    || ', ' || {{ texts.core_interactions_text }}
            when 'potential'
                then
                    {{ texts.potential_purchases_text }} || ', ' || {{ texts.potential_watch_text }}
                    || ', ' || {{ texts.potential_interactions_text }}
                    || '; not core_fan: ' || {{ texts.core_failed_text }}
            when 'new_visitor'
                then
                    {{ texts.new_window_text }} || ', ' || {{ texts.never_purchased_text }}
                    || '; not core_fan: ' || {{ texts.core_failed_text }}
                    || '; not potential: ' || {{ texts.potential_failed_text }}
            when 'regular'
                then
                    {{ texts.purchased_365d_text }}
                    || '; not core_fan: ' || {{ texts.core_failed_text }}
                    || '; not potential: ' || {{ texts.potential_failed_text }}
                    || '; not new_visitor: ' || {{ texts.new_visitor_failed_text }}
            else
                'no rule above matched'
                || '; not core_fan: ' || {{ texts.core_failed_text }}
                || '; not potential: ' || {{ texts.potential_failed_text }}
                || '; not new_visitor: ' || {{ texts.new_visitor_failed_text }}
                || '; not regular: ' || {{ texts.purchased_365d_text }}
        end as value_tier_reason,
        lifecycle_stage_rule_id || ': ' || case lifecycle_stage_rule_id
            when 'new' then {{ texts.lifecycle_new_text }}
            when 'reactivated'
                then
                    {{ texts.active_recently_text }} || ', ' || {{ texts.comeback_text }}
                    || '; not new: ' || {{ texts.lifecycle_new_text }}
            when 'active'
                then
                    {{ texts.active_recently_text }}
                    || '; not new: ' || {{ texts.lifecycle_new_text }}
                    || '; not reactivated: ' || {{ texts.comeback_text }}
            when 'silent'
                then
                    {{ texts.active_before_churn_text }}
                    || '; not new: ' || {{ texts.lifecycle_new_text }}
                    || '; not reactivated: ' || {{ texts.active_recently_text }}
                    || '; not active: ' || {{ texts.active_recently_text }}
            else
                'no rule above matched'
                || '; not new: ' || {{ texts.lifecycle_new_text }}
                || '; not reactivated: ' || {{ texts.reactivated_failed_text }}
                || '; not active: ' || {{ texts.active_recently_text }}
                || '; not silent: ' || {{ texts.active_before_churn_text }}
        end as lifecycle_stage_reason,
        spend_tier_rule_id || ': ' || case spend_tier_rule_id
            when 'none'
                then 'no purchase in the last ' || rfm_window_days_text || ' days (rfm_window_days)'
            when 'high' then {{ texts.spend_high_text }}
            when 'mid' then {{ texts.spend_mid_text }} || '; not high: ' || {{ texts.spend_high_text }}
            else
                'no rule above matched; not high: ' || {{ texts.spend_high_text }}
                || '; not mid: ' || {{ texts.spend_mid_text }}
        end as spend_tier_reason,
        rfm_segment_rule_id || ': ' || case
            when rfm_segment_rule_id = 'non_buyer'
                then 'no purchase in the last ' || rfm_window_days_text || ' days (rfm_window_days)'
            else {{ texts.r_text }} || ', ' || {{ texts.f_text }} || ', ' || {{ texts.m_text }}
        end as rfm_segment_reason
    from rules_matched
),

families as (
    {%- for family in tier_families() %}
        select
            user_id,
            as_of_date,
            '{{ family }}' as family,  -- noqa: RF04
            {{ family }} as tier,
            {{ family }}_rule_id as rule_id,
            {{ family }}_reason as reason
        from reasons
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(family as {{ dbt.type_string() }}) as family,  -- noqa: RF04
        cast(tier as {{ dbt.type_string() }}) as tier,
        cast(rule_id as {{ dbt.type_string() }}) as rule_id,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(as_of_date as date) as as_of_date
    from families
)

select * from final
