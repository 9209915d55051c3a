-- The as-of chain at D (what user_tiers and user_rfm read) agrees with user_facts, computed on its own path.
with

snapshot as (
    select * from {{ ref('int_user_facts_snapshotted') }}
),

facts as (
    select * from {{ ref('user_facts') }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
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
        {{ dbt.equals('facts.days_since_first_seen', 'snapshot_at_d.days_since_first_seen') }} as same_first_seen,
        {{ dbt.equals('facts.last_active_date', 'snapshot_at_d.last_active_date') }} as same_last_active,
        {{ dbt.equals('facts.watch_days_30d', 'snapshot_at_d.watch_days_30d') }}
        and {{ dbt.equals('facts.watch_days_90d', 'snapshot_at_d.watch_days_90d') }} as same_watch_days,
        {{ dbt.equals('facts.interactions_30d', 'snapshot_at_d.interactions_30d') }}
        and {{ dbt.equals('facts.interactions_90d', 'snapshot_at_d.interactions_90d') }} as same_interactions,
        {{ dbt.equals('facts.purchases_365d', 'snapshot_at_d.purchases_365d') }}
        and {{ dbt.equals('facts.net_gmv_365d', 'snapshot_at_d.net_gmv_365d') }}
        and {{ dbt.equals('facts.lifetime_purchases', 'snapshot_at_d.lifetime_purchases') }}
        and {{ dbt.equals('facts.last_purchase_date', 'snapshot_at_d.last_purchase_date') }} as same_purchases,
        -- a comeback within the last silent_after_days days
        {{ dbt.equals(
            'coalesce(' ~ dbt.datediff('facts.last_comeback_date', 'facts.as_of_date', 'day')
            ~ ' < ' ~ threshold('silent_after_days') ~ ', false)',
            'snapshot_at_d.has_comeback_in_window'
        ) }} as same_comeback
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
