with

family_history as (
    select * from {{ ref('int_user_tiers_unpivoted') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

-- entries into the population come from the pseudo-tier (none)
pairs as (
    select
        period_end,
        tier_family,
        coalesce(previous_tier_code, '(none)') as from_tier,
        tier_code as to_tier,
        direction,
        count(*) as user_count
    from family_history
    group by period_end, tier_family, coalesce(previous_tier_code, '(none)'), tier_code, direction
),

-- every user of a tier at the previous period end is at some tier now (a known user stays
-- known), so the users leaving a from-tier are that tier's size then
pairs_with_totals as (
    select
        *,
        sum(user_count) over (partition by period_end, tier_family, from_tier) as from_tier_user_count
    from pairs
),

final as (
    select
        cast(pairs_with_totals.period_end as date) as period_end,
        cast(as_of_dates.previous_history_date as date) as from_period_end,
        cast(pairs_with_totals.tier_family as string) as tier_family,
        cast(pairs_with_totals.from_tier as string) as from_tier,
        cast(pairs_with_totals.to_tier as string) as to_tier,
        cast(pairs_with_totals.user_count as integer) as user_count,
        cast(pairs_with_totals.from_tier_user_count as integer) as from_tier_user_count,
        cast(
            {{ divide_exact('pairs_with_totals.user_count', 'pairs_with_totals.from_tier_user_count') }}
            as decimal(18, 6)
        ) as transition_rate,
        cast(pairs_with_totals.direction as string) as direction,
        cast(pairs_with_totals.from_tier = pairs_with_totals.to_tier as boolean) as is_stay,
        cast(pairs_with_totals.from_tier = '(none)' as boolean) as is_entry
    from pairs_with_totals
    inner join as_of_dates
        on pairs_with_totals.period_end = as_of_dates.as_of_date
)

select * from final
