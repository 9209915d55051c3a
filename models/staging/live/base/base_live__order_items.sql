-- Every raw order line with its parsed values, the first contract check it fails and its copy rank.
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

checked as (
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

final as (
    select
        *,
        {{ copy_rank(['order_id', 'line_no'], ['product_id', 'quantity_text', 'unit_price_text']) }} > 1
        and reject_reason is null as is_duplicate
    from checked
)

select * from final
