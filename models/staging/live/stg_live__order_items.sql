with base as (
    select * from {{ ref('base_live__order_items') }}
),

final as (
    select
        order_id,
        cast(line_no as bigint) as line_no,
        product_id,
        cast(quantity as integer) as quantity,
        unit_price
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
