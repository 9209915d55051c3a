-- Every raw product with its parsed values, the first contract check it fails and its copy rank.
with source as (
    select * from {{ source('live', 'products') }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as (
    select
        product_id,
        category,
        brand,
        list_price as list_price_text,
        _source_file,
        {{ parse_decimal('list_price') }} as list_price
    from source
),

checked as (
    select
        *,
        case
            when product_id is null then 'missing_key'
            when category is null or list_price_text is null then 'missing_value'
            when list_price is null then 'unparseable'
            when list_price < 0 then 'negative_amount'
            when list_price > {{ quality_bound('max_amount', 'decimal(18, 2)') }} then 'out_of_range'
        end as reject_reason
    from parsed
),

final as (
    select
        *,
        {{ copy_rank(['product_id'], ['category', 'brand', 'list_price_text']) }} > 1
        and reject_reason is null as is_duplicate
    from checked
)

select * from final
