-- Every raw refund with its final outcome, after the refund-overflow rule of the contract:
-- an order's kept refunds are taken in (refunded_at, refund_id) order; one that would take the
-- total past the order's amount is set aside and uses up nothing. Refunds of unknown orders are kept.
with recursive refunds as (
    select * from {{ ref('base_live__refunds') }}
),

orders as (
    select * from {{ ref('stg_live__orders') }}
),

candidates as (
    select
        refunds.refund_id,
        refunds.order_id,
        refunds.amount,
        orders.amount as order_amount,
        row_number() over (
            partition by refunds.order_id
            order by refunds.refunded_at asc, refunds.refund_id asc
        ) as refund_seq,
        sum(refunds.amount) over (partition by refunds.order_id) as order_refund_total
    from refunds
    inner join orders
        on refunds.order_id = orders.order_id
    where refunds.reject_reason is null and not refunds.is_duplicate
),

-- only orders whose refunds add up past the order amount need the step-by-step allocation
contested as (
    select * from candidates
    where order_refund_total > order_amount
),

allocation as (
    select
        order_id,
        refund_seq,
        refund_id,
        cast(case when amount <= order_amount then amount else 0 end as decimal(18, 2)) as used_amount,
        amount > order_amount as is_overflow
    from contested
    where refund_seq = 1

    union all

    select
        contested.order_id,
        contested.refund_seq,
        contested.refund_id,
        -- the recursive step must keep the anchor's type (Spark does not widen decimal(18, 2) to (19, 2))
        cast(
            allocation.used_amount
            + case
                when allocation.used_amount + contested.amount <= contested.order_amount then contested.amount
                else 0
            end
            as decimal(18, 2)
        ) as used_amount,
        allocation.used_amount + contested.amount > contested.order_amount as is_overflow
    from allocation
    inner join contested
        on
            allocation.order_id = contested.order_id
            and contested.refund_seq = allocation.refund_seq + 1
),

overflowing as (
    select refund_id from allocation
    where is_overflow
),

final as (
    select
        refunds.refund_id,
        refunds.order_id,
        refunds.amount,
        refunds.refunded_at,
        refunds._source_file,
        refunds.is_duplicate,
        case
            when refunds.reject_reason is not null then refunds.reject_reason
            when not refunds.is_duplicate and overflowing.refund_id is not null then 'refund_exceeds_order'
        end as reject_reason
    from refunds
    left join overflowing
        on
            refunds.refund_id = overflowing.refund_id
            and refunds.reject_reason is null
            and not refunds.is_duplicate
)

select * from final
