with

family_history as (
    select * from {{ ref('int_user_tiers_unpivoted') }}
),

final as (
    select
        cast(user_id as string) as user_id,
        cast(period_end as date) as period_end,
        cast(tier_family as string) as tier_family,
        cast(previous_tier_code as string) as from_tier,
        cast(tier_code as string) as to_tier,
        cast(direction as string) as direction,
        cast(previous_period_end as date) as from_period_end,
        cast(is_entry as boolean) as is_entry
    from family_history
    where is_change
)

select * from final
