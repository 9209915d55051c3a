{{ config(materialized='view') }}
{#-
    Purchases that are not regular (fully refunded by D, or paid before placed) count only on
    the as-of dates inside their span: few rows, looked up directly. One row per user with
    such a purchase and as-of date P inside one of its spans: the latest of their paid dates,
    and the nearest ones on either side of P - silent_after_days.
    A view: its one reader, int_user_facts_snapshotted, filters the as-of dates it recomputes,
    and the filter reaches its as-of dates below, so an incremental day looks up D's rows
    only instead of storing every date again.
-#}
with

purchase_spans as (
    select * from {{ ref('int_purchases_spanned') }}
),

users_numbered as (
    select * from {{ ref('int_as_of_users_numbered') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

irregular_purchases as (
    select distinct
        users_numbered.user_number,
        purchase_spans.paid_date,
        purchase_spans.purchase_start_date,
        purchase_spans.purchase_end_date
    from purchase_spans
    inner join users_numbered
        on purchase_spans.user_id = users_numbered.user_id
    where not purchase_spans.is_regular
),

rule_numbers as (
    select cast({{ threshold('silent_after_days') }} as integer) as silent_after_days
),

as_of_windows as (
    select
        as_of_dates.as_of_date,
        cast({{ dbt.dateadd('day', '-1 * rule_numbers.silent_after_days', 'as_of_dates.as_of_date') }} as date)
            as silent_window_start_date
    from as_of_dates
    cross join rule_numbers
),

final as (
    select
        irregular_purchases.user_number,
        as_of_windows.as_of_date,
        max(irregular_purchases.paid_date) as last_irregular_purchase_date,
        max(
            case
                when irregular_purchases.paid_date <= as_of_windows.silent_window_start_date
                    then irregular_purchases.paid_date
            end
        ) as irregular_active_date_before_window,
        min(
            case
                when irregular_purchases.paid_date > as_of_windows.silent_window_start_date
                    then irregular_purchases.paid_date
            end
        ) as irregular_active_date_in_window
    from irregular_purchases
    inner join as_of_windows
        on
            irregular_purchases.purchase_start_date <= as_of_windows.as_of_date
            and (
                irregular_purchases.purchase_end_date is null
                or irregular_purchases.purchase_end_date > as_of_windows.as_of_date
            )
    group by irregular_purchases.user_number, as_of_windows.as_of_date
)

select * from final
