with base as (
    select * from {{ ref('base_live__products') }}
),

final as (
    select
        product_id,
        category,
        brand,
        list_price
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
