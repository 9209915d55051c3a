{#- user_predictions where the Python models run (DuckDB), else no rows: user_tags then keeps its rules -#}
with

predictions as (
    select
        user_id,
        p_alive,
        expected_purchases_30d
    from {{ clv_predictions_source() }}
    -- only buyers the model could score (no fit: no rows, as on targets without the Python models)
    where p_alive is not null
),

final as (
    select
        cast(user_id as string) as user_id,
        cast(p_alive as double) as p_alive,
        cast(expected_purchases_30d as double) as expected_purchases_30d
    from predictions
)

select * from final
