-- Tier sizes by city tier and by acquisition channel, for every tier family: users and net
-- GMV over 365 days per (family, tier, dimension, dimension value), with the tier's share of
-- the dimension value's users.
with

facts as (
    select * from {{ ref('user_facts') }}
),

tiers as (
    select * from {{ ref('user_tiers') }}
),

user_tier_rows as (
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

user_dimensions as (
    select
        user_id,
        'city_tier' as dimension,
        coalesce(cast(city_tier as {{ dbt.type_string() }}), 'unknown') as dimension_value,
        net_gmv_365d
    from facts
    union all
    select
        user_id,
        'acquisition_channel' as dimension,
        coalesce(acquisition_channel, 'unknown') as dimension_value,
        net_gmv_365d
    from facts
),

sized as (
    select
        user_tier_rows.tier_family,
        user_tier_rows.tier_code,
        user_dimensions.dimension,
        user_dimensions.dimension_value,
        count(*) as user_count,
        sum(user_dimensions.net_gmv_365d) as net_gmv_365d
    from user_tier_rows
    inner join user_dimensions
        on user_tier_rows.user_id = user_dimensions.user_id
    group by
        user_tier_rows.tier_family,
        user_tier_rows.tier_code,
        user_dimensions.dimension,
        user_dimensions.dimension_value
),

final as (
    select
        *,
        user_count * 1.0 / sum(user_count) over (
            partition by tier_family, dimension, dimension_value
        ) as share_of_dimension_users
    from sized
)

select * from final
order by tier_family, dimension, dimension_value, tier_code
