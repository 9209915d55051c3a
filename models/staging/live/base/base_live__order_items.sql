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

-- keys with more than one row: only their rows need a copy rank
repeated_keys as (
    select
        order_id,
        line_no
    from checked
    where order_id is not null and line_no is not null
    group by order_id, line_no
    having count(*) > 1
),

checked_flagged as {{ inline_cte() }} (
    select
        checked.*,
        repeated_keys.order_id is not null as is_repeated
    from checked
    left join repeated_keys
        on
            checked.order_id = repeated_keys.order_id
            and checked.line_no = repeated_keys.line_no
),

-- a key that occurs once is its only copy (rank 1); the copies of a repeated key are ordered by
-- their raw text
ranked as (
    select
        *,
        false as is_duplicate
    from checked_flagged
    where not is_repeated
    union all
    select
        *,
        {{ copy_rank(['order_id', 'line_no'], ['product_id', 'quantity_text', 'unit_price_text']) }} > 1
        and reject_reason is null as is_duplicate
    from checked_flagged
    where is_repeated
),

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
