{#-
    The tiers as of D: the slice at D of int_user_tiers_assigned, the chain that also gives
    every period end of user_tier_history (so the history's last row is this table), with
    labels, playbook and, per family, the previous different tier and the date the current
    tier began (the user's latest row of tier_transitions in the family). The changes before a
    bank date B are read as each user's latest one per family (int_user_tier_spells_banked, macro
    tier_spells_read_from: B as stored there; every change when it has none), so the read grows
    with the users, not with the period ends.
-#}
{%- set read_from = tier_spells_read_from() %}
with

tiers_as_of as (
    select * from {{ ref('int_user_tiers_assigned') }}
),

transitions as (
    select * from {{ ref('tier_transitions') }}
),

spells_banked as (
    select * from {{ ref('int_user_tier_spells_banked') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

tier_labels as (
    select * from {{ ref('tier_labels') }}
),

tier_playbook as (
    select * from {{ ref('tier_playbook') }}
),

tiers as (
    select tiers_as_of.*
    from tiers_as_of
    inner join as_of
        on tiers_as_of.as_of_date = as_of.as_of_date
),

-- the changes from the bank date on, and the bank's latest change before it per user and family
changes as (
    select
        user_id,
        tier_family,
        period_end,
        from_tier
    from transitions
    {%- if read_from is not none %}
        where period_end >= cast('{{ read_from }}' as date)
    {%- endif %}
    union all
    select
        user_id,
        tier_family,
        period_end,
        from_tier
    from spells_banked
),

-- the current spell of each family began at the user's latest change (or entry) by D: per
-- family, the latest period_end and the tier left then (one aggregate, no window per family)
spells as (
    select
        {%- for family in tier_families() %}
            max(period_end) filter (where tier_family = '{{ family }}') as {{ family }}_since,
            {{ value_at_max('from_tier', ['period_end']) }} filter (where tier_family = '{{ family }}')
                as previous_{{ family }},
        {%- endfor %}
        user_id
    from changes
    group by user_id
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
        {%- for family in tier_families() %}
            cast(spells.previous_{{ family }} as string) as previous_{{ family }},
            cast(spells.{{ family }}_since as date) as {{ family }}_since,
        {%- endfor %}
        cast(tiers.as_of_date as date) as as_of_date
    from tiers
    left join spells
        on tiers.user_id = spells.user_id
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
