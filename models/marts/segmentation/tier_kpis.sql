with

family_history as (
    select * from {{ ref('int_user_tiers_unpivoted') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

tier_labels as (
    select * from {{ ref('tier_labels') }}
),

history_dates as (
    select
        as_of_date as period_end,
        next_history_date as next_period_end
    from as_of_dates
    where is_history_date
),

-- each user's tier now and at the next period end, with the tiers' levels (up = higher)
users_followed as (
    select
        family_history.*,
        current_labels.tier_level,
        next_labels.tier_level as next_tier_level
    from family_history
    left join tier_labels as current_labels
        on
            family_history.tier_family = current_labels.family
            and family_history.tier_code = current_labels.tier_code
    left join tier_labels as next_labels
        on
            family_history.tier_family = next_labels.family
            and family_history.next_tier_code = next_labels.tier_code
),

tier_members as (
    select
        period_end,
        tier_family,
        tier_code,
        count(*) as user_count,
        sum(case when purchases_365d > 0 then 1 else 0 end) as buyer_count,
        sum(purchases_365d) as purchases_365d,
        sum(net_gmv_365d) as net_gmv_365d,
        sum(case when next_tier_code is not null then 1 else 0 end) as followed_count,
        sum(case when next_tier_code = tier_code then 1 else 0 end) as retained_count,
        sum(case when next_tier_level > tier_level then 1 else 0 end) as moved_up_count,
        sum(case when next_tier_level < tier_level then 1 else 0 end) as moved_down_count
    from users_followed
    group by period_end, tier_family, tier_code
),

populations as (
    select
        period_end,
        tier_family,
        count(*) as user_count,
        sum(net_gmv_365d) as net_gmv_365d
    from family_history
    group by period_end, tier_family
),

-- every tier of the label seed at every period end, also those nobody holds
final as (
    select
        cast(history_dates.period_end as date) as period_end,
        cast(history_dates.next_period_end as date) as next_period_end,
        cast(tier_labels.family as string) as tier_family,
        cast(tier_labels.tier_code as string) as tier_code,
        cast(tier_labels.label_en as string) as tier_label_en,
        cast(tier_labels.label_zh as string) as tier_label_zh,
        cast(tier_labels.sort_order as integer) as sort_order,
        cast(tier_labels.tier_level as integer) as tier_level,
        cast(coalesce(tier_members.user_count, 0) as integer) as user_count,
        cast(
            {{ divide_exact('coalesce(tier_members.user_count, 0)', 'populations.user_count') }} as decimal(18, 6)
        ) as share_of_users,
        cast(coalesce(tier_members.buyer_count, 0) as integer) as buyer_count,
        cast(coalesce(tier_members.purchases_365d, 0) as integer) as purchases_365d,
        cast(coalesce(tier_members.net_gmv_365d, 0) as decimal(18, 2)) as net_gmv_365d,
        cast(
            {{ divide_exact('coalesce(tier_members.net_gmv_365d, 0)', 'populations.net_gmv_365d') }}
            as decimal(18, 6)
        ) as gmv_share,
        cast(
            {{ divide_exact('tier_members.net_gmv_365d', 'tier_members.purchases_365d') }} as decimal(18, 6)
        ) as aov_365d,
        cast(
            {{ divide_exact('tier_members.retained_count', 'tier_members.followed_count') }} as decimal(18, 6)
        ) as retention_next_period,
        cast(
            {{ divide_exact('tier_members.moved_up_count', 'tier_members.followed_count') }} as decimal(18, 6)
        ) as moved_up_share,
        cast(
            {{ divide_exact('tier_members.moved_down_count', 'tier_members.followed_count') }} as decimal(18, 6)
        ) as moved_down_share
    from tier_labels
    cross join history_dates
    left join populations
        on
            history_dates.period_end = populations.period_end
            and tier_labels.family = populations.tier_family
    left join tier_members
        on
            history_dates.period_end = tier_members.period_end
            and tier_labels.family = tier_members.tier_family
            and tier_labels.tier_code = tier_members.tier_code
)

select * from final
