{#-
    One row per user known by D: may they get marketing messages, and how many more touches the
    weekly cap leaves this week. Consent (users.marketing_consent, optional in the raw contract):
    `granted`, `refused`, `unknown` (empty, or the user has no users row while the export has the
    column), `not_collected` (the export has no such column: no restriction). Room: the tier
    playbook's max_touches_per_week (user_tiers) minus the real touches of the last
    touch_cap_window_days days and the alerts user_alerts sends (not suppressed), at least 0.
-#}
with

tiers as (
    select * from {{ ref('user_tiers') }}
),

users as (
    select * from {{ ref('stg_live__users') }}
),

alerts as (
    select * from {{ ref('user_alerts') }}
),

recent_touches as (
    select * from {{ ref('int_user_touches_recent_counted') }}
),

alerts_sent as (
    select
        user_id,
        count(*) as alert_count
    from alerts
    where not is_suppressed
    group by user_id
),

-- does any kept users row come from a file with the marketing_consent column?
consent_collection as (
    select count(*) as users_with_consent_column
    from users
    where marketing_consent_status <> 'not_collected'
),

final as (
    select
        cast(tiers.user_id as {{ dbt.type_string() }}) as user_id,
        cast(
            coalesce(
                users.marketing_consent_status,
                case when consent_collection.users_with_consent_column > 0 then 'unknown' else 'not_collected' end
            ) as {{ dbt.type_string() }}
        ) as marketing_consent_status,
        cast(tiers.max_touches_per_week as integer) as max_touches_per_week,
        cast(coalesce(recent_touches.touch_count, 0) as integer) as recent_touch_count,
        cast(coalesce(alerts_sent.alert_count, 0) as integer) as alerts_to_send,
        cast(
            greatest(
                tiers.max_touches_per_week
                - coalesce(recent_touches.touch_count, 0)
                - coalesce(alerts_sent.alert_count, 0),
                0
            ) as integer
        ) as remaining_touches,
        cast(tiers.as_of_date as date) as as_of_date
    from tiers
    cross join consent_collection
    left join users
        on tiers.user_id = users.user_id
    left join recent_touches
        on tiers.user_id = recent_touches.user_id
    left join alerts_sent
        on tiers.user_id = alerts_sent.user_id
)

select * from final
