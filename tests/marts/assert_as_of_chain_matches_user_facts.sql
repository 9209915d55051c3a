-- Every user of user_facts has a row of the as-of chain at D (user_facts takes its rule facts
-- from that row), and the chain's comeback in the last silent_after_days days agrees with
-- user_facts.last_comeback_date, the only fact still computed on both paths.
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
    or not same_comeback
