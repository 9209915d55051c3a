-- Every order's net amount over time: one row per version, valid from its date until the next.
-- An order without refund rows has one version, from its order date, open-ended; only the few
-- orders with refund rows need version dates and a window (every order's version dates, their
-- union and the window over them cost most of this model's time).
{#-
    Incremental by order on DuckDB (a table on Spark; config in dbt_project.yml; macro
    order_versions_state): a run recomputes the orders written to base_live__orders since its last
    run and, when the refunds were rebuilt since, the orders whose refund days (date and amount)
    differ from those their stored versions were computed from (refunds_fingerprint, a sum of
    hashes of the refund days; null without refund rows); delete+insert replaces their versions
    by order_id. In such a run an order never loses its kept
    rows (stored outcomes stay, a copy only adds), so every recomputed order has versions to write;
    a rebuild of the orders (a loaded file removed or rewritten) builds every order again.
-#}
{%- set state = livetier.order_versions_state() -%}
{%- set version_columns = [
    'order_id', 'user_id', 'stream_id', 'coupon_id', 'status', 'amount', 'discount_amount',
    'refunded_amount', 'net_amount', 'has_refund_rows', 'ordered_at', 'paid_at', 'ordered_date',
    'paid_date', 'valid_from_date', 'valid_to_date', 'refunds_fingerprint',
] %}
with

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

-- per order with refund rows, a fingerprint of its refund days: its versions are a function of them
refund_fingerprints as (
    select
        order_id,
        sum({{ row_hash(['refunded_date', 'refunded_amount']) }}) as refunds_fingerprint
    from refund_days
    group by order_id
),

orders as (
    select * from {{ ref('stg_live__orders') }}
    {%- if state['incremental'] %}
        where order_id in (
            select written.order_id
            from {{ ref('stg_live__orders') }} as written
            where written._loaded_at > cast('{{ state["watermark"] }}' as timestamp)
            {%- if state['refunds_changed'] %}
                union
                select coalesce(refunded.order_id, stored.order_id) as order_id
                from refund_fingerprints as refunded
                full outer join (
                    select distinct
                        order_id,
                        refunds_fingerprint
                    from {{ this }}
                    where has_refund_rows
                ) as stored
                    on refunded.order_id = stored.order_id
                where not (refunded.refunds_fingerprint is not distinct from stored.refunds_fingerprint)
            {%- endif %}
        )
    {%- endif %}
),

orders_flagged as {{ inline_cte() }} (
    select
        orders.*,
        refund_fingerprints.order_id is not null as has_refund_rows,
        refund_fingerprints.refunds_fingerprint
    from orders
    left join refund_fingerprints
        on orders.order_id = refund_fingerprints.order_id
),

-- a `refunded` order without any refund row is fully refunded
single_versions as (
    select
        order_id,
        user_id,
        stream_id,
        coupon_id,
        status,
        cast(amount as decimal(18, 2)) as amount,
        cast(discount_amount as decimal(18, 2)) as discount_amount,
        cast(0 as decimal(18, 2)) as refunded_amount,
        cast(case when status = 'refunded' then 0 else amount end as decimal(18, 2)) as net_amount,
        has_refund_rows,
        ordered_at,
        paid_at,
        ordered_date,
        paid_date,
        ordered_date as valid_from_date,
        cast(null as date) as valid_to_date,
        cast(null as bigint) as refunds_fingerprint
    from orders_flagged
    where not has_refund_rows
),

refunded_orders as (
    select *
    from orders_flagged
    where has_refund_rows
),

-- the net amount of an order with refund rows can change on the date it is placed and on each
-- refund date after
version_dates as (
    select
        order_id,
        ordered_date as valid_from_date
    from refunded_orders
    union
    select
        refund_days.order_id,
        refund_days.refunded_date as valid_from_date
    from refund_days
    inner join refunded_orders
        on refund_days.order_id = refunded_orders.order_id
    where refund_days.refunded_date > refunded_orders.ordered_date
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

refunded_versions as (
    select
        refunded_orders.order_id,
        refunded_orders.user_id,
        refunded_orders.stream_id,
        refunded_orders.coupon_id,
        refunded_orders.status,
        cast(refunded_orders.amount as decimal(18, 2)) as amount,
        cast(refunded_orders.discount_amount as decimal(18, 2)) as discount_amount,
        cast(coalesce(versions_refunded.refunded_amount, 0) as decimal(18, 2)) as refunded_amount,
        cast(
            refunded_orders.amount - coalesce(versions_refunded.refunded_amount, 0) as decimal(18, 2)
        ) as net_amount,
        refunded_orders.has_refund_rows,
        refunded_orders.ordered_at,
        refunded_orders.paid_at,
        refunded_orders.ordered_date,
        refunded_orders.paid_date,
        versions_refunded.valid_from_date,
        lead(versions_refunded.valid_from_date) over (
            partition by versions_refunded.order_id
            order by versions_refunded.valid_from_date
        ) as valid_to_date,
        cast(refunded_orders.refunds_fingerprint as bigint) as refunds_fingerprint
    from versions_refunded
    inner join refunded_orders
        on versions_refunded.order_id = refunded_orders.order_id
),

final as (
    select
        {{ version_columns | join(',\n        ') }},
        {{ run_stamp() }} as _loaded_at
    from single_versions
    union all
    select
        {{ version_columns | join(',\n        ') }},
        {{ run_stamp() }} as _loaded_at
    from refunded_versions
)

select * from final
