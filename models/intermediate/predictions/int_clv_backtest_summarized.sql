{#- holdout length: var clv_backtest_holdout_days when set (a whole number of days), else the seed row -#}
{%- set holdout_text = var('clv_backtest_holdout_days', '') | string | trim -%}
{%- if holdout_text != '' and not (holdout_text.isdigit() and holdout_text | int > 0) -%}
    {{ exceptions.raise_compiler_error(
        "var clv_backtest_holdout_days must be a whole number of days above 0, got '" ~ holdout_text ~ "'"
    ) }}
{%- endif -%}

with

purchase_versions as (
    select * from {{ ref('int_purchase_versions_spanned') }}
),

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

holdout as (
    select
        as_of.as_of_date,
        {%- if holdout_text != '' %}
            cast({{ holdout_text | int }} as integer) as holdout_days
        {%- else %}
            cast({{ threshold('clv_backtest_holdout_days') }} as integer) as holdout_days
        {%- endif %}
    from as_of
),

calibration as (
    select
        as_of_date,
        holdout_days,
        cast({{ dbt.dateadd('day', '-holdout_days', 'as_of_date') }} as date) as calibration_date
    from holdout
),

-- the spec's purchases as of the calibration date C: the counting order versions whose span
-- holds C (the same rule int_purchases_netted reads at D)
calibration_purchase_dates as (
    select
        purchase_versions.user_id,
        purchase_versions.paid_date,
        calibration.calibration_date
    from purchase_versions
    cross join calibration
    where
        purchase_versions.span_start_date <= calibration.calibration_date
        and (
            purchase_versions.span_end_date is null
            or purchase_versions.span_end_date > calibration.calibration_date
        )
    group by purchase_versions.user_id, purchase_versions.paid_date, calibration.calibration_date
),

calibration_buyers as (
    select
        user_id,
        calibration_date,
        count(*) - 1 as frequency,
        min(paid_date) as first_purchase_date,
        max(paid_date) as last_purchase_date
    from calibration_purchase_dates
    group by user_id, calibration_date
),

calibration_buyers_dated as (
    select
        user_id,
        calibration_date,
        frequency,
        {{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }}
            as recency,
        {{ dbt.datediff('first_purchase_date', 'calibration_date', 'day') }}
            as t
    from calibration_buyers
),

-- what happened: purchase days after C, as of D
holdout_purchase_days as (
    select
        purchases.user_id,
        count(distinct purchases.paid_date) as actual_purchases
    from purchases
    cross join calibration
    where purchases.paid_date > calibration.calibration_date
    group by purchases.user_id
),

final as (
    select
        cast(calibration_buyers_dated.user_id as string) as user_id,
        cast(calibration_buyers_dated.frequency as integer) as frequency,
        cast(calibration_buyers_dated.recency as integer) as recency,
        cast(calibration_buyers_dated.t as integer) as {{ adapter.quote('T') }},
        cast(coalesce(holdout_purchase_days.actual_purchases, 0) as integer) as actual_purchases,
        cast(calibration.holdout_days as integer) as holdout_days,
        cast(calibration.calibration_date as date) as calibration_date,
        cast(calibration.as_of_date as date) as as_of_date
    from calibration_buyers_dated
    cross join calibration
    left join holdout_purchase_days
        on calibration_buyers_dated.user_id = holdout_purchase_days.user_id
)

select * from final
