-- How concentrated is net GMV? Share of the last 365 days' net GMV held by the top
-- `top_user_share` of users (by net GMV, ties broken by user_id) and by the core fans.
-- Article 000: core fans are about 10% of users and can bring more than half of sales.
{%- set top_user_share = var('analysis_top_user_share', 0.1) %}

with

facts as (
    select * from {{ ref('user_facts') }}
),

tiers as (
    select * from {{ ref('user_tiers') }}
),

users_ranked as (
    select
        facts.user_id,
        facts.net_gmv_365d,
        tiers.value_tier,
        row_number() over (
            order by facts.net_gmv_365d desc nulls last, facts.user_id asc
        ) as gmv_rank,
        count(*) over () as user_count
    from facts
    inner join tiers
        on facts.user_id = tiers.user_id
),

groups_flagged as (
    select
        *,
        gmv_rank <= ceil(user_count * {{ top_user_share }}) as is_top_users,
        value_tier = 'core_fan' as is_core_fan
    from users_ranked
),

totals as (
    select sum(net_gmv_365d) as net_gmv_365d
    from groups_flagged
),

final as (
    select
        'top users' as user_group,
        count(*) as user_count,
        sum(groups_flagged.net_gmv_365d) as net_gmv_365d,
        sum(groups_flagged.net_gmv_365d) / nullif(max(totals.net_gmv_365d), 0) as gmv_share
    from groups_flagged
    cross join totals
    where groups_flagged.is_top_users
    union all
    select
        'core fans' as user_group,
        count(*) as user_count,
        sum(groups_flagged.net_gmv_365d) as net_gmv_365d,
        sum(groups_flagged.net_gmv_365d) / nullif(max(totals.net_gmv_365d), 0) as gmv_share
    from groups_flagged
    cross join totals
    where groups_flagged.is_core_fan
)

select * from final
