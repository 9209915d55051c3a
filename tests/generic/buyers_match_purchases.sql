{#-
    The buyers of `model` (user_rfm) are exactly the users with a purchase in the last
    `window_threshold` days of `purchases` (int_purchases_netted), both directions.
-#}
{% test buyers_match_purchases(model, purchases, window_threshold) %}

with

buyers as (
    select * from {{ model }}
),

purchases as (
    select * from {{ purchases }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

window_buyers as (
    select distinct user_id
    from purchases
    where days_before_as_of < {{ threshold(window_threshold) }}
),

missing_buyers as (
    select
        window_buyers.user_id,
        'purchase in the window, not a buyer' as problem
    from window_buyers
    left join buyers
        on window_buyers.user_id = buyers.user_id
    where buyers.user_id is null
),

extra_buyers as (
    select
        buyers.user_id,
        'buyer without a purchase in the window' as problem
    from buyers
    left join window_buyers
        on buyers.user_id = window_buyers.user_id
    where window_buyers.user_id is null
)

select * from missing_buyers
union all
select * from extra_buyers

{% endtest %}
