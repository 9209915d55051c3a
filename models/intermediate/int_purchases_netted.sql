{{ config(materialized='view') }}
-- a view: its rows are int_purchase_versions_spanned's (kept while orders and refunds do not
-- change) read at D, so a night that only moves D writes no purchase table
with

purchase_versions as (
    select * from {{ ref('int_purchase_versions_spanned') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- the spec's purchase: the order's version that counts on D (placed and paid by D, not
-- cancelled, net amount as of D above zero)
purchases as (
    select
        purchase_versions.*,
        as_of.as_of_date
    from purchase_versions
    cross join as_of
    where
        purchase_versions.span_start_date <= as_of.as_of_date
        and (purchase_versions.span_end_date is null or purchase_versions.span_end_date > as_of.as_of_date)
),

final as (
    select
        order_id,
        user_id,
        stream_id,
        coupon_id,
        status,
        amount,
        discount_amount,
        refunded_amount,
        net_amount,
        has_discount,
        ordered_at,
        paid_at,
        ordered_date,
        paid_date,
        as_of_date,
        {{ dbt.datediff('paid_date', 'as_of_date', 'day') }}
            as days_before_as_of
    from purchases
)

select * from final
