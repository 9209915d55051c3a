-- Every raw order line with its parsed values, the first contract check it fails and its copy rank.
-- A night with new orders rebuilds this table whole, so it ranks only the copies of a repeated
-- (order_id, line_no), not every line.
with source as (
    select * from {{ source('live', 'order_items') }}
),

parsed as (
    select
        order_id,
        product_id,
        line_no as line_no_text,
        quantity as quantity_text,
        unit_price as unit_price_text,
        _source_file,
        {{ parse_int('line_no') }} as line_no,
        {{ parse_int('quantity') }} as quantity,
        {{ parse_decimal('unit_price') }} as unit_price
    from source
),

checked as {{ inline_cte() }} (
    select
        *,
        case
            when order_id is null or line_no_text is null then 'missing_key'
            when product_id is null or quantity_text is null or unit_price_text is null then 'missing_value'
            when line_no is null or quantity is null or unit_price is null then 'unparseable'
            when quantity < 0 then 'negative_quantity'
            when unit_price < 0 then 'negative_amount'
            when quantity = 0 then 'out_of_range'
        end as reject_reason
    from parsed
),

-- only the copies of a repeated (order_id, line_no) are ranked, by their raw text
{{ ranked_copies('checked', ['order_id', 'line_no'], ['product_id', 'quantity_text', 'unit_price_text']) }},

final as (
    select
        order_id,
        product_id,
        line_no_text,
        quantity_text,
        unit_price_text,
        _source_file,
        line_no,
        quantity,
        unit_price,
        reject_reason,
        is_duplicate
    from ranked
)

select * from final
