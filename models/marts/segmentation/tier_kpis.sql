with

tiers as (
    select * from {{ ref('user_tiers') }}
),

facts as (
    select * from {{ ref('user_facts') }}
),

tier_labels as (
    select * from {{ ref('tier_labels') }}
),

-- one row per user and tier family
user_family_tiers as (
    select
        user_id,
        'value_tier' as tier_family,
        value_tier as tier_code
    from tiers
    union all
    select
        user_id,
        'lifecycle_stage' as tier_family,
        lifecycle_stage as tier_code
    from tiers
    union all
    select
        user_id,
        'spend_tier' as tier_family,
        spend_tier as tier_code
    from tiers
    union all
    select
        user_id,
        'rfm_segment' as tier_family,
        rfm_segment as tier_code
    from tiers
),

tier_members as (
    select
        user_family_tiers.tier_family,
        user_family_tiers.tier_code,
        count(*) as user_count,
        sum(case when facts.purchases_365d > 0 then 1 else 0 end) as buyer_count,
        sum(facts.purchases_365d) as purchases_365d,
        sum(facts.net_gmv_365d) as net_gmv_365d
    from user_family_tiers
    inner join facts
        on user_family_tiers.user_id = facts.user_id
    group by user_family_tiers.tier_family, user_family_tiers.tier_code
),

population as (
    select
        max(as_of_date) as as_of_date,
        count(*) as user_count,
        sum(net_gmv_365d) as net_gmv_365d
    from facts
),

-- every tier of the label seed, also those nobody holds
final as (
    select
        cast(population.as_of_date as date) as period_end,
        cast(tier_labels.family as string) as tier_family,
        cast(tier_labels.tier_code as string) as tier_code,
        cast(tier_labels.label_en as string) as tier_label_en,
        cast(tier_labels.label_zh as string) as tier_label_zh,
        cast(tier_labels.sort_order as integer) as sort_order,
        cast(coalesce(tier_members.user_count, 0) as integer) as user_count,
        cast(
            {{ divide_exact('coalesce(tier_members.user_count, 0)', 'population.user_count') }} as decimal(18, 6)
        ) as share_of_users,
        cast(coalesce(tier_members.buyer_count, 0) as integer) as buyer_count,
        cast(coalesce(tier_members.purchases_365d, 0) as integer) as purchases_365d,
        cast(coalesce(tier_members.net_gmv_365d, 0) as decimal(18, 2)) as net_gmv_365d,
        cast(
            {{ divide_exact('coalesce(tier_members.net_gmv_365d, 0)', 'population.net_gmv_365d') }}
            as decimal(18, 6)
        ) as gmv_share,
        cast(
            {{ divide_exact('tier_members.net_gmv_365d', 'tier_members.purchases_365d') }} as decimal(18, 6)
        ) as aov_365d
    from tier_labels
    cross join population
    left join tier_members
        on
            tier_labels.family = tier_members.tier_family
            and tier_labels.tier_code = tier_members.tier_code
)

select * from final
