-- depends_on: {{ ref('int_history_runs_logged') }}
-- depends_on: {{ ref('int_as_of_date') }}
{#-
    The slices of int_user_tiers_assigned at the history dates. Incremental by period end on
    DuckDB: a run rewrites the period ends from X on (macro history_recompute_from) and keeps
    the rows before X, which are what a full refresh would give them.
    Config (append, the pre-hook's delete, the post-hook's run log): dbt_project.yml, one block
    for the four history marts.
-#}
{%- set from_date = history_recompute_from() %}
with

tiers as (
    select * from {{ ref('int_user_tiers_assigned') }}
    {{- recomputed_dates_only(from_date) }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

final as (
    select
        cast(tiers.user_id as string) as user_id,
        cast(tiers.as_of_date as date) as period_end,
        cast(tiers.value_tier as string) as value_tier,
        cast(tiers.lifecycle_stage as string) as lifecycle_stage,
        cast(tiers.spend_tier as string) as spend_tier,
        cast(tiers.rfm_segment as string) as rfm_segment,
        cast(tiers.rfm_cell as string) as rfm_cell,
        cast(tiers.days_since_first_seen as integer) as days_since_first_seen,
        cast(tiers.days_since_last_active as integer) as days_since_last_active,
        cast(tiers.watch_days_30d as integer) as watch_days_30d,
        cast(tiers.watch_days_90d as integer) as watch_days_90d,
        cast(tiers.interactions_30d as integer) as interactions_30d,
        cast(tiers.interactions_90d as integer) as interactions_90d,
        cast(tiers.purchases_365d as integer) as purchases_365d,
        cast(tiers.net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(tiers.lifetime_purchases as integer) as lifetime_purchases,
        cast(as_of_dates.is_period_end as boolean) as is_period_end,
        cast(as_of_dates.is_as_of_date as boolean) as is_as_of_date
    from tiers
    inner join as_of_dates
        on tiers.as_of_date = as_of_dates.as_of_date
    where as_of_dates.is_history_date
)

select * from final
