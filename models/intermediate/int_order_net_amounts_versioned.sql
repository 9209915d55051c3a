{{ config(materialized=('table_on_change' if target.type == 'duckdb' else 'table')) }}
-- rebuilt only when orders or refunds changed (macros/table_on_change.sql)
{%- set version_columns = [
    'order_id', 'user_id', 'stream_id', 'coupon_id', 'status', 'amount', 'discount_amount',
    'refunded_amount', 'net_amount', 'has_refund_rows', 'ordered_at', 'paid_at', 'ordered_date',
    'paid_date', 'valid_from_date',
] %}
with

orders as (
    select * from {{ ref('stg_live__orders') }}
),

refunds as (
    select * from {{ ref('stg_live__refunds') }}
),

refund_days as (
    select
        order_id,
        refunded_date,
        sum(amount) as refunded_amount
    from refunds
    group by order_id, refunded_date
),

-- an order's net amount can change on the date it is placed and on each refund date after
version_dates as (
    select
        order_id,
        ordered_date as valid_from_date
    from orders
    union
    select
        refund_days.order_id,
        refund_days.refunded_date as valid_from_date
    from refund_days
    inner join orders
        on refund_days.order_id = orders.order_id
    where refund_days.refunded_date > orders.ordered_date
),

versions_refunded as (
    select
        version_dates.order_id,
        version_dates.valid_from_date,
        sum(refund_days.refunded_amount) as refunded_amount
    from version_dates
    left join refund_days
        on
            version_dates.order_id = refund_days.order_id
            and version_dates.valid_from_date >= refund_days.refunded_date
    group by version_dates.order_id, version_dates.valid_from_date
),

orders_with_refund_rows as (
    select distinct order_id
    from refund_days
),

versions as {{ inline_cte() }} (
    select
        orders.order_id,
        orders.user_id,
        orders.stream_id,
        orders.coupon_id,
        orders.status,
        cast(orders.amount as decimal(18, 2)) as amount,
        cast(orders.discount_amount as decimal(18, 2)) as discount_amount,
        cast(coalesce(versions_refunded.refunded_amount, 0) as decimal(18, 2)) as refunded_amount,
        -- a `refunded` order without any refund row is fully refunded
        cast(
            case
                when orders.status = 'refunded' and orders_with_refund_rows.order_id is null then 0
                else orders.amount - coalesce(versions_refunded.refunded_amount, 0)
            end as decimal(18, 2)
        ) as net_amount,
        orders_with_refund_rows.order_id is not null as has_refund_rows,
        orders.ordered_at,
        orders.paid_at,
        orders.ordered_date,
        orders.paid_date,
        versions_refunded.valid_from_date
    from versions_refunded
    inner join orders
        on versions_refunded.order_id = orders.order_id
    left join orders_with_refund_rows
        on versions_refunded.order_id = orders_with_refund_rows.order_id
),

-- an order without refund rows has one version, open-ended; only the others need the window (a
-- window over every order sorted them all, most of this model's time)
final as (
    select
        {{ version_columns | join(',\n        ') }},
        cast(null as date) as valid_to_date
    from versions
    where not has_refund_rows
    union all
    select
        {{ version_columns | join(',\n        ') }},
        lead(valid_from_date) over (
            partition by order_id
            order by valid_from_date
        ) as valid_to_date
    from versions
    where has_refund_rows
)

select * from final
