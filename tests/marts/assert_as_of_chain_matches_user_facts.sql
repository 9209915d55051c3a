-- The as-of chain at D (what user_tiers and user_rfm read) agrees with user_facts, computed on its own path.
with

snapshot as (
    select * from {{ ref('int_user_facts_snapshotted') }}
),

facts as (
    select * from {{ ref('user_facts') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

snapshot_at_d as (
    select snapshot.*
    from snapshot
    inner join facts
        on
            snapshot.user_id = facts.user_id
            and snapshot.as_of_date = facts.as_of_date
),

compared as (
    select
        facts.user_id,
        snapshot_at_d.user_id is null as is_missing,
        facts.days_since_first_seen is not distinct from snapshot_at_d.days_since_first_seen as same_first_seen,
        facts.last_active_date is not distinct from snapshot_at_d.last_active_date as same_last_active,
        facts.watch_days_30d is not distinct from snapshot_at_d.watch_days_30d
        and facts.watch_days_90d is not distinct from snapshot_at_d.watch_days_90d as same_watch_days,
        facts.interactions_30d is not distinct from snapshot_at_d.interactions_30d
        and facts.interactions_90d is not distinct from snapshot_at_d.interactions_90d as same_interactions,
        facts.purchases_365d is not distinct from snapshot_at_d.purchases_365d
        and facts.net_gmv_365d is not distinct from snapshot_at_d.net_gmv_365d
        and facts.lifetime_purchases is not distinct from snapshot_at_d.lifetime_purchases
        and facts.last_purchase_date is not distinct from snapshot_at_d.last_purchase_date as same_purchases,
        -- a comeback within the last silent_after_days days
        coalesce(
            {{ dbt.datediff('facts.last_comeback_date', 'facts.as_of_date', 'day') }} < {{ threshold('silent_after_days') }},
            false
        ) = snapshot_at_d.has_comeback_in_window as same_comeback
    from facts
    left join snapshot_at_d
        on facts.user_id = snapshot_at_d.user_id
)

select *
from compared
where
    is_missing
    or not (same_first_seen and same_last_active and same_watch_days and same_interactions
        and same_purchases and same_comeback)
