{#-
    One row per user with any category affinity as of D: the preferred category and the signal
    that decided it. Signals in order, the first one the user has decides: purchase (the highest
    purchase amount in 365 days, exactly user_facts.top_category_365d), else product actions (the
    highest click and cart score), else watch (the most watch seconds); ties within the deciding
    signal go to the alphabetically first category. A signal with a score of 0 (a 0 s session)
    does not count; purchased items do, whatever their price, as in top_category_365d.
-#}
with

affinity as (
    select * from {{ ref('int_user_category_affinity_scored') }}
),

candidates as (
    select
        user_id,
        category,
        'purchase' as preferred_category_signal,
        1 as signal_order,
        cast(purchase_amount_365d as decimal(38, 6)) as score
    from affinity
    where purchased_items_365d > 0
    union all
    select
        user_id,
        category,
        'product_actions' as preferred_category_signal,
        2 as signal_order,
        cast(product_action_score as decimal(38, 6)) as score
    from affinity
    where product_action_score > 0
    union all
    select
        user_id,
        category,
        'watch' as preferred_category_signal,
        3 as signal_order,
        cast(watch_seconds as decimal(38, 6)) as score
    from affinity
    where watch_seconds > 0
),

ranked as (
    select
        *,
        row_number() over (
            partition by user_id
            order by signal_order asc, score desc, category asc
        ) as choice_rank
    from candidates
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(category as {{ dbt.type_string() }}) as preferred_category,
        cast(preferred_category_signal as {{ dbt.type_string() }}) as preferred_category_signal
    from ranked
    where choice_rank = 1
)

select * from final
