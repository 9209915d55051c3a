-- depends_on: {{ ref('int_history_runs_logged') }}
-- depends_on: {{ ref('int_as_of_date') }}
{#-
    The from-to counts of every family and period end, stays included: the changes are
    tier_transitions' rows; a user who did not change stayed, so a tier's stays are its users in
    user_tier_history minus the users who changed into it. A period end's rows read that period
    end's rows only: incremental by period end on DuckDB, a run rewrites the period ends from X
    on (macro history_recompute_from: X follows what tier_transitions and user_tier_history
    rewrote).
    Config (append, the pre-hook's delete, the post-hook's run log): dbt_project.yml, one block
    for the four history marts.
-#}
{%- set from_date = history_recompute_from() %}
with

transitions as (
    select * from {{ ref('tier_transitions') }}
    {{- recomputed_dates_only(from_date, 'period_end') }}
),

history as (
    select * from {{ ref('user_tier_history') }}
    {{- recomputed_dates_only(from_date, 'period_end') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

tier_sizes as (
    {{ tier_sizes_by_period('history') }}
),

-- entries into the population come from the pseudo-tier (none)
changes as (
    select
        period_end,
        tier_family,
        coalesce(from_tier, '(none)') as from_tier,
        to_tier,
        direction,
        count(*) as user_count
    from transitions
    group by period_end, tier_family, coalesce(from_tier, '(none)'), to_tier, direction
),

changes_in as (
    select
        period_end,
        tier_family,
        to_tier,
        sum(user_count) as user_count
    from changes
    group by period_end, tier_family, to_tier
),

stays as (
    select
        tier_sizes.period_end,
        tier_sizes.tier_family,
        tier_sizes.tier_code as from_tier,
        tier_sizes.tier_code as to_tier,
        'stay' as direction,
        tier_sizes.user_count - coalesce(changes_in.user_count, 0) as user_count
    from tier_sizes
    left join changes_in
        on
            tier_sizes.period_end = changes_in.period_end
            and tier_sizes.tier_family = changes_in.tier_family
            and tier_sizes.tier_code = changes_in.to_tier
    where tier_sizes.user_count > coalesce(changes_in.user_count, 0)
),

pairs as (
    select * from changes
    union all
    select * from stays
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
