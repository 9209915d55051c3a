-- Every changed (user, period end, family) of tier_transitions is counted in the matrix's off-diagonal cells, and back.
with

transitions as (
    select * from {{ ref('tier_transitions') }}
),

matrix as (
    select * from {{ ref('tier_transition_matrix') }}
),

transition_counts as (
    select
        period_end,
        tier_family,
        coalesce(from_tier, '(none)') as from_tier,
        to_tier,
        count(*) as user_count
    from transitions
    group by period_end, tier_family, coalesce(from_tier, '(none)'), to_tier
),

matrix_changes as (
    select
        period_end,
        tier_family,
        from_tier,
        to_tier,
        user_count
    from matrix
    where not is_stay
)

select
    coalesce(transition_counts.period_end, matrix_changes.period_end) as period_end,
    coalesce(transition_counts.tier_family, matrix_changes.tier_family) as tier_family,
    coalesce(transition_counts.from_tier, matrix_changes.from_tier) as from_tier,
    coalesce(transition_counts.to_tier, matrix_changes.to_tier) as to_tier,
    transition_counts.user_count as transitions,
    matrix_changes.user_count as matrix_count
from transition_counts
full outer join matrix_changes
    on
        transition_counts.period_end = matrix_changes.period_end
        and transition_counts.tier_family = matrix_changes.tier_family
        and transition_counts.from_tier = matrix_changes.from_tier
        and transition_counts.to_tier = matrix_changes.to_tier
where coalesce(transition_counts.user_count, 0) <> coalesce(matrix_changes.user_count, 0)
