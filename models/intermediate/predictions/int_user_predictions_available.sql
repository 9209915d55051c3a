{#- user_predictions where the Python models run (DuckDB), else no rows: user_tags then keeps its rules -#}
with

predictions as (
    select
        user_id,
        p_alive,
        expected_purchases_30d
    from {{ clv_predictions_source() }}
),

final as (
    select
        cast(user_id as string) as user_id,
        cast(p_alive as double) as p_alive,
        cast(expected_purchases_30d as double) as expected_purchases_30d
    from predictions
)

select * from final
