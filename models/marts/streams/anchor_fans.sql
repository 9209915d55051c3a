{#-
    Each anchor's fan pyramid (core fans are loyal to the host, 主播): one row per anchor and user
    with a session (any date <= D, any length) or a purchase as of D in the anchor's streams
    (streams started by D). stream_review.md, `anchor_fans`: the numbers come from
    int_anchor_fans_counted (incremental by user), the tier is assigned here.
-#}
with

fans as (
    select * from {{ ref('int_anchor_fans_counted') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

-- the spec's rules top-down, first match wins
fans_tiered as (
    select
        *,
        case
            when
                watch_days_90d >= {{ threshold('anchor_core_min_watch_days_90d') }}
                and interactions_90d >= {{ threshold('anchor_core_min_interactions_90d') }}
                and purchases_365d >= {{ threshold('anchor_core_min_purchases_365d') }}
                then 'anchor_core_fan'
            when
                watch_days_90d >= {{ threshold('anchor_regular_min_watch_days_90d') }}
                or purchases_365d >= {{ threshold('anchor_regular_min_purchases_365d') }}
                then 'anchor_regular'
            else 'anchor_viewer'
        end as anchor_fan_tier
    from fans
),

final as (
    select
        anchor_id,
        user_id,
        first_watch_date,
        last_watch_date,
        watch_days_90d,
        cast(
            cast(watch_microseconds_90d as decimal(38, 0)) * cast(0.000001 as decimal(18, 6)) as decimal(18, 6)
        ) as watch_seconds_90d,
        interactions_90d,
        follows,
        purchases_365d,
        net_gmv_365d,
        cast(anchor_fan_tier as string) as anchor_fan_tier
    from fans_tiered
)

select * from final
