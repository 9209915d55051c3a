{{ config(materialized='view') }}
-- a view over int_purchase_versions_spanned (kept while orders and refunds do not change): only
-- which spans have started and the order's end are read at D
with

purchase_versions as (
    select * from {{ ref('int_purchase_versions_spanned') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        purchase_versions.order_id,
        purchase_versions.user_id,
        cast(purchase_versions.net_amount as decimal(18, 2)) as net_amount,
        -- regular: a purchase from its paid date on, for good (as of every date up to D); the
        -- others (fully refunded by D, or paid before placed) are looked up per as-of date
        cast(
            purchase_versions.purchase_start_date = purchase_versions.paid_date
            and (
                purchase_versions.purchase_end_date is null
                or purchase_versions.purchase_end_date > as_of.as_of_date
            )
            as boolean
        ) as is_regular,
        purchase_versions.paid_date,
        purchase_versions.span_start_date,
        purchase_versions.span_end_date,
        purchase_versions.purchase_start_date,
        -- an end after D is no end as of any date up to D
        case
            when purchase_versions.purchase_end_date <= as_of.as_of_date then purchase_versions.purchase_end_date
        end as purchase_end_date
    from purchase_versions
    cross join as_of
    where purchase_versions.span_start_date <= as_of.as_of_date
)

select * from final
