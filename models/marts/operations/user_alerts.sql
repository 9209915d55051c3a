with

alerts as (
    select * from {{ ref('int_user_alerts_triggered') }}
),

alert_playbook as (
    select * from {{ ref('alert_playbook') }}
),

tiers as (
    select * from {{ ref('user_tiers') }}
),

recent_touches as (
    select * from {{ ref('int_user_touches_recent_counted') }}
),

-- a user's alerts in playbook priority order; only as many as the weekly cap leaves are sent
alerts_ranked as (
    select
        alerts.*,
        alert_playbook.label_en,
        alert_playbook.label_zh,
        alert_playbook.priority,
        alert_playbook.channels,
        alert_playbook.action_zh,
        alert_playbook.action_en,
        row_number() over (
            partition by alerts.user_id
            order by alert_playbook.priority, alerts.alert_code
        ) as alert_rank
    from alerts
    inner join alert_playbook
        on alerts.alert_code = alert_playbook.alert_code
),

alerts_capped as (
    select
        alerts_ranked.*,
        tiers.value_tier,
        tiers.lifecycle_stage,
        tiers.max_touches_per_week,
        coalesce(recent_touches.touch_count, 0) as recent_touch_count,
        greatest(tiers.max_touches_per_week - coalesce(recent_touches.touch_count, 0), 0) as remaining_touches
    from alerts_ranked
    inner join tiers
        on alerts_ranked.user_id = tiers.user_id
    left join recent_touches
        on alerts_ranked.user_id = recent_touches.user_id
),

final as (
    select
        cast(user_id as string) as user_id,
        cast(alert_code as string) as alert_code,
        cast(label_en as string) as alert_label_en,
        cast(label_zh as string) as alert_label_zh,
        cast(priority as integer) as priority,
        cast(alert_rank as integer) as alert_rank,
        cast(value_tier as string) as value_tier,
        cast(lifecycle_stage as string) as lifecycle_stage,
        cast(action_zh as string) as action_zh,
        cast(action_en as string) as action_en,
        cast(channels as string) as channels,
        cast(evidence_value as integer) as evidence_value,
        cast(recent_touch_count as integer) as recent_touch_count,
        cast(max_touches_per_week as integer) as max_touches_per_week,
        cast(remaining_touches as integer) as remaining_touches,
        cast(alert_rank > remaining_touches as boolean) as is_suppressed,
        cast(triggered_date as date) as triggered_date,
        cast(as_of_date as date) as as_of_date
    from alerts_capped
)

select * from final
