-- Every raw order line with its parsed values, the first contract check it fails and its copy rank.
-- A night with new orders rebuilds this table whole, so it ranks only the copies of a repeated
-- (order_id, line_no), not every line. A Parquet file's typed numbers are read typed
-- (`<column>__number`, their text null): no text round trip and no pattern match per line.
with source as (
    select * from {{ source('live', 'order_items') }}
),

parsed as (
    select
        order_id,
        product_id,
        line_no as line_no_text,
        line_no is null and line_no__number is null as is_line_no_missing,
        quantity is null and quantity__number is null as is_quantity_missing,
        unit_price is null and unit_price__number is null as is_unit_price_missing,
        _source_file,
        coalesce(line_no__number, {{ parse_int('line_no') }}) as line_no,
        coalesce(quantity__number, {{ parse_int('quantity') }}) as quantity,
        coalesce(unit_price__number, {{ parse_decimal('unit_price') }}) as unit_price
    from source
),

checked as {{ inline_cte() }} (
    select
        *,
        case
            when order_id is null or is_line_no_missing then 'missing_key'
            when product_id is null or is_quantity_missing or is_unit_price_missing then 'missing_value'
            when line_no is null or quantity is null or unit_price is null then 'unparseable'
            when quantity < 0 then 'negative_quantity'
            when unit_price < 0 then 'negative_amount'
            when quantity = 0 then 'out_of_range'
        end as reject_reason
    from parsed
),

-- only the copies of a repeated (order_id, line_no) are ranked, by their parsed values (all present
-- on a row that passed its checks, whatever the file typed or wrote as text)
{{ ranked_copies('checked', ['order_id', 'line_no'], ['product_id', 'quantity', 'unit_price']) }},

final as (
    select
        order_id,
        product_id,
        -- the line number as a CSV or untyped file wrote it (null when read typed), for the
        -- quality ledger's record key
        line_no_text,
        _source_file,
        line_no,
        quantity,
        unit_price,
        reject_reason,
        is_duplicate
    from ranked
)

select * from final
