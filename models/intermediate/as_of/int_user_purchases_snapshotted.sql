{{ config(materialized='view') }}
{#-
    The purchase facts of every user with a purchase change, at every as-of date P: the
    user's purchase step covering P (the windows are already in the steps, so only P is read).
    A view: its one reader, int_user_facts_snapshotted, filters the as-of dates it recomputes,
    and the filter reaches the marker reads below, so an incremental day reads D's rows only
    instead of storing every date again.
-#}
with

purchase_steps as (
    select * from {{ ref('int_user_purchases_stepped') }}
),

marker_reads as (
    select * from {{ ref('int_as_of_markers_read') }}
),

final as (
    select
        purchase_steps.user_number,
        marker_reads.as_of_date,
        purchase_steps.purchases_365d_to_date as purchases_365d,
        purchase_steps.net_gmv_365d_to_date as net_gmv_365d,
        purchase_steps.f_value_to_date as f_value,
        purchase_steps.m_value_to_date as m_value,
        purchase_steps.lifetime_purchases_to_date as lifetime_purchases,
        purchase_steps.last_regular_purchase_date_to_date as last_regular_purchase_date
    from purchase_steps
    inner join marker_reads
        on
            purchase_steps.marker_number = marker_reads.marker_number
            and purchase_steps.next_marker_number = marker_reads.next_marker_number
    where marker_reads.offset_days = 0
)

select * from final
