-- The pyramid's moves over the latest full period (to the last Sunday or month end, D aside): for
-- each value tier held at the period's start (rows; `(none)` = users first known during the period),
-- the share of its users in each tier at its end (columns); each row sums to 1.
with

matrix as (
    select * from {{ ref('tier_transition_matrix') }}
),

history as (
    select * from {{ ref('user_tier_history') }}
),

latest as (
    select max(period_end) as period_end
    from history
    where is_period_end
),

final as (
    select
        matrix.from_tier,
        max(matrix.from_tier_user_count) as users_then,
        sum(case when matrix.to_tier = 'core_fan' then matrix.transition_rate else 0 end) as to_core_fan,
        sum(case when matrix.to_tier = 'potential' then matrix.transition_rate else 0 end) as to_potential,
        sum(case when matrix.to_tier = 'regular' then matrix.transition_rate else 0 end) as to_regular,
        sum(case when matrix.to_tier = 'new_visitor' then matrix.transition_rate else 0 end) as to_new_visitor,
        sum(case when matrix.to_tier = 'casual' then matrix.transition_rate else 0 end) as to_casual
    from matrix
    inner join latest
        on matrix.period_end = latest.period_end
    where matrix.tier_family = 'value_tier'
    group by matrix.from_tier
)

select * from final
order by users_then desc
