-- depends_on: {{ ref('int_history_runs_logged') }}
-- depends_on: {{ ref('int_as_of_date') }}
{#-
    Tier sizes and money per history date from user_tier_history; how each tier's users stand
    at the next period end from tier_transition_matrix (its rows from the tier at that period
    end: every user of P has a tier there, a known user stays known). Incremental by period end
    on DuckDB: a run rewrites the period ends from X on (macro history_recompute_from: the history
    date before the earliest the matrix or user_tier_history rewrote, whose row reads the
    matrix's next period end).
    Config (append, the pre-hook's delete, the post-hook's run log): dbt_project.yml, one block
    for the four history marts.
-#}
{%- set history_families = "'" ~ tier_families() | join("', '") ~ "'" -%}
{%- set from_date = history_recompute_from() %}

with

history as (
    select * from {{ ref('user_tier_history') }}
    {{- recomputed_dates_only(from_date, 'period_end') }}
),

matrix as (
    select * from {{ ref('tier_transition_matrix') }}
    {{- recomputed_dates_only(from_date, 'from_period_end') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
    {{- recomputed_dates_only(from_date) }}
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

tier_sizes as (
    {{ tier_sizes_by_period('history', [
        'sum(case when purchases_365d > 0 then 1 else 0 end) as buyer_count',
        'sum(purchases_365d) as purchases_365d',
        'sum(net_gmv_365d) as net_gmv_365d',
    ]) }}
),

-- the matrix at the next period end, by the tier its users held at this one (up = higher level)
tier_moves as (
    select
        from_period_end as period_end,
        tier_family,
        from_tier as tier_code,
        sum(user_count) as followed_count,
        sum(case when is_stay then user_count else 0 end) as retained_count,
        sum(case when direction = 'up' then user_count else 0 end) as moved_up_count,
        sum(case when direction = 'down' then user_count else 0 end) as moved_down_count
    from matrix
    where not is_entry
    group by from_period_end, tier_family, from_tier
),

tier_members as (
    select
        tier_sizes.*,
        tier_moves.followed_count,
        tier_moves.retained_count,
        tier_moves.moved_up_count,
        tier_moves.moved_down_count
    from tier_sizes
    left join tier_moves
        on
            tier_sizes.period_end = tier_moves.period_end
            and tier_sizes.tier_family = tier_moves.tier_family
            and tier_sizes.tier_code = tier_moves.tier_code
),

populations as (
    select
        period_end,
        tier_family,
        sum(user_count) as user_count,
        sum(net_gmv_365d) as net_gmv_365d
    from tier_sizes
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
            {{ divide_exact(
                'coalesce(tier_members.net_gmv_365d, 0)', 'populations.net_gmv_365d', denominator_scale=2, wide=true
            ) }} as decimal(18, 6)
        ) as gmv_share,
        cast(
            {{ divide_exact('tier_members.net_gmv_365d', 'tier_members.purchases_365d', wide=true) }} as decimal(18, 6)
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
    -- the families of the history chain (the label seed also holds per-anchor anchor_fan_tier)
    where tier_labels.family in ({{ history_families }})
)

select * from final
