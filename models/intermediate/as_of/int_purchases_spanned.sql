with

order_net_amounts as (
    select * from {{ ref('int_order_net_amounts_versioned') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- the spec's purchase as of P: placed and paid by P, not cancelled, net amount as of P above
-- zero. A version counts from the latest of its start, the order date and the paid date until
-- its end; refunds only lower the net, so the counting versions of an order are contiguous.
spans as (
    select
        order_net_amounts.order_id,
        order_net_amounts.user_id,
        order_net_amounts.paid_date,
        order_net_amounts.net_amount,
        greatest(
            order_net_amounts.valid_from_date, order_net_amounts.ordered_date, order_net_amounts.paid_date
        ) as span_start_date,
        order_net_amounts.valid_to_date as span_end_date
    from order_net_amounts
    cross join as_of
    where
        order_net_amounts.status <> 'cancelled'
        and order_net_amounts.paid_date is not null
        and order_net_amounts.net_amount > 0
        and greatest(
            order_net_amounts.valid_from_date, order_net_amounts.ordered_date, order_net_amounts.paid_date
        ) <= as_of.as_of_date
),

spans_counted as (
    select *
    from spans
    where span_end_date is null or span_end_date > span_start_date
),

-- an order is a purchase on the dates [purchase_start_date, purchase_end_date); an end after
-- D is no end as of any date up to D
orders_spanned as (
    select
        spans_counted.order_id,
        min(spans_counted.span_start_date) as purchase_start_date,
        case
            when {{ dbt.bool_or('spans_counted.span_end_date is null') }} then null
            else max(spans_counted.span_end_date)
        end as purchase_end_date
    from spans_counted
    group by spans_counted.order_id
),

final as (
    select
        spans_counted.order_id,
        spans_counted.user_id,
        cast(spans_counted.net_amount as decimal(18, 2)) as net_amount,
        -- regular: a purchase from its paid date on, for good (as of every date up to D); the
        -- others (fully refunded by D, or paid before placed) are looked up per as-of date
        cast(
            orders_spanned.purchase_start_date = spans_counted.paid_date
            and (orders_spanned.purchase_end_date is null or orders_spanned.purchase_end_date > as_of.as_of_date)
            as boolean
        ) as is_regular,
        spans_counted.paid_date,
        spans_counted.span_start_date,
        spans_counted.span_end_date,
        orders_spanned.purchase_start_date,
        case
            when orders_spanned.purchase_end_date <= as_of.as_of_date then orders_spanned.purchase_end_date
        end as purchase_end_date
    from spans_counted
    inner join orders_spanned
        on spans_counted.order_id = orders_spanned.order_id
    cross join as_of
)

select * from final
