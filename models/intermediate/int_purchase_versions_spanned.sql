{{
    config(
        materialized=('incremental' if target.type == 'duckdb' else 'table'),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        versioned_by_loaded_at=true,
        pre_hook="{{ delete_purchase_spans_rewritten() }}",
    )
}}
{#-
    No row depends on D. Incremental by order on DuckDB (a table on Spark; macro
    purchase_spans_state): a run recomputes the orders whose versions
    int_order_net_amounts_versioned wrote since this model's last run that wrote rows, after its
    pre-hook deleted their stored spans (an order may have none left); a rebuild of the versions
    builds every order again. Every row is stamped with the start of the run that wrote it
    (`_loaded_at`), so the table_on_change models downstream are fingerprinted by its count and
    latest stamp (versioned_by_loaded_at).
-#}
{%- set state = livetier.purchase_spans_state() %}
with

order_net_amounts as (
    select * from {{ ref('int_order_net_amounts_versioned') }}
    {%- if state['incremental'] %}
        where order_id in ({{ livetier.purchase_spans_rewritten_orders(state['watermark']) }})
    {%- endif %}
),

-- the spec's purchase as of P: placed and paid by P, not cancelled, net amount as of P above
-- zero. A version counts from the latest of its start, the order date and the paid date until
-- its end; refunds only lower the net, so the counting versions of an order are contiguous.
spans as (
    select
        *,
        greatest(valid_from_date, ordered_date, paid_date) as span_start_date,
        valid_to_date as span_end_date
    from order_net_amounts
    where
        status <> 'cancelled'
        and paid_date is not null
        and net_amount > 0
),

spans_counted as (
    select *
    from spans
    where span_end_date is null or span_end_date > span_start_date
),

-- an order is a purchase on the dates [purchase_start_date, purchase_end_date): the span of its
-- one counted version, or from its first span to the end of its last. An order with more than one
-- counted version has one that ends (only an order's last version is open-ended), so only the
-- orders with an ended span are grouped (grouping every order cost most of this model's time)
orders_with_ended_spans as (
    select distinct order_id
    from spans_counted
    where span_end_date is not null
),

ended_orders_spanned as (
    select
        spans_counted.order_id,
        min(spans_counted.span_start_date) as purchase_start_date,
        case
            when {{ dbt.bool_or('spans_counted.span_end_date is null') }} then null
            else max(spans_counted.span_end_date)
        end as purchase_end_date
    from spans_counted
    inner join orders_with_ended_spans
        on spans_counted.order_id = orders_with_ended_spans.order_id
    group by spans_counted.order_id
),

final as (
    select
        spans_counted.order_id,
        spans_counted.user_id,
        spans_counted.stream_id,
        spans_counted.coupon_id,
        spans_counted.status,
        spans_counted.amount,
        spans_counted.discount_amount,
        spans_counted.refunded_amount,
        spans_counted.net_amount,
        spans_counted.coupon_id is not null or spans_counted.discount_amount > 0 as has_discount,
        spans_counted.ordered_at,
        spans_counted.paid_at,
        spans_counted.ordered_date,
        spans_counted.paid_date,
        spans_counted.span_start_date,
        spans_counted.span_end_date,
        case
            when ended_orders_spanned.order_id is null then spans_counted.span_start_date
            else ended_orders_spanned.purchase_start_date
        end as purchase_start_date,
        case
            when ended_orders_spanned.order_id is null then spans_counted.span_end_date
            else ended_orders_spanned.purchase_end_date
        end as purchase_end_date,
        {{ run_stamp() }} as _loaded_at
    from spans_counted
    left join ended_orders_spanned
        on spans_counted.order_id = ended_orders_spanned.order_id
)

select * from final
