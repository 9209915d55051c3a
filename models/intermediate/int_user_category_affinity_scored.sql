{#-
    Content preference as of D: one row per user and category with any of three signals, each
    counted only from data dated by D (windows are business dates in (D-N, D]):
    - purchase: items of purchases in 365 days, quantity x unit price (the rule of
      user_facts.top_category_365d);
    - product actions: product_click and add_to_cart events in affinity_product_action_window_days,
      by the product's category, score = clicks x affinity_click_weight + carts x affinity_cart_weight;
    - watch: watch time of sessions begun in affinity_watch_window_days (lengths as known on D),
      by the category of the stream watched: of streams started by D, the per stream, user and
      day sums of int_stream_user_days_summarized (stored in date order, its older row groups
      are skipped unread; the sessions table is not in date order and is read whole); of the
      other streams (sessions begun before their stream started), the sessions themselves.
    Items, events and sessions whose product or stream has no known category are left out.
-#}
{#- the first dates before the product actions' and the watch window (macro windows_start_date):
    literals, so that the scans of the daily counts skip the older row groups unread -#}
{%- set actions_start = windows_start_date(['affinity_product_action_window_days']) %}
{%- set watch_start = windows_start_date(['affinity_watch_window_days']) %}
with

category_purchases as (
    select * from {{ ref('int_user_category_purchases_summarized') }}
),

products as (
    select * from {{ ref('stg_live__products') }}
),

product_actions_daily as (
    select * from {{ ref('int_user_product_actions_daily') }}
    {%- if actions_start is not none %}
        where activity_date > cast('{{ actions_start }}' as date)
    {%- endif %}
),

stream_user_days as (
    select * from {{ ref('int_stream_user_days_summarized') }}
    -- the days with a session (room_enters counts them; a day of events only is no watch signal)
    -- (LT02 asks another layout of this where in each of its two renderings)
    where room_enters > 0  -- noqa: LT02
    {%- if watch_start is not none %}
        and activity_date > cast('{{ watch_start }}' as date)  -- noqa: LT02
    {%- endif %}
),

sessions as (
    select * from {{ ref('int_stream_sessions_bounded') }}
),

live_streams as (
    select * from {{ ref('stg_live__live_streams') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

purchased_items as (
    select
        user_id,
        category,
        purchased_items,
        purchase_amount
    from category_purchases
),

-- clicks and carts from the per-user-day counts, by the product's category
product_actions as (
    select
        product_actions_daily.user_id,
        products.category,
        cast(sum(product_actions_daily.product_clicks) as bigint) as product_clicks,
        cast(sum(product_actions_daily.add_to_carts) as bigint) as add_to_carts
    from product_actions_daily
    cross join as_of
    inner join products
        on product_actions_daily.product_id = products.product_id
    where
        product_actions_daily.activity_date <= as_of.as_of_date
        and {{ dbt.datediff('product_actions_daily.activity_date', 'as_of.as_of_date', 'day') }}
        < {{ threshold('affinity_product_action_window_days') }}
        and products.category is not null
    group by product_actions_daily.user_id, products.category
),

-- the sessions begun by D with their lengths as known on D, by the stream's category: of streams
-- started by D, as the user's day sums per stream; of streams started after D, one by one
watched_days as (
    select
        stream_user_days.user_id,
        live_streams.category,
        stream_user_days.activity_date as session_date,
        stream_user_days.watch_microseconds
    from stream_user_days
    inner join live_streams
        on stream_user_days.stream_id = live_streams.stream_id
    union all
    select
        sessions.user_id,
        live_streams.category,
        sessions.session_date,
        sessions.watch_microseconds
    from sessions
    cross join as_of
    inner join live_streams
        on sessions.stream_id = live_streams.stream_id
    where live_streams.started_date > as_of.as_of_date
),

watched as (
    select
        watched_days.user_id,
        watched_days.category,
        sum(watched_days.watch_microseconds) as watch_microseconds
    from watched_days
    cross join as_of
    where
        watched_days.session_date <= as_of.as_of_date
        and {{ dbt.datediff('watched_days.session_date', 'as_of.as_of_date', 'day') }}
        < {{ threshold('affinity_watch_window_days') }}
        and watched_days.category is not null
    group by watched_days.user_id, watched_days.category
),

signals as (
    select
        user_id,
        category,
        purchased_items,
        purchase_amount,
        0 as product_clicks,
        0 as add_to_carts,
        0 as watch_microseconds
    from purchased_items
    union all
    select
        user_id,
        category,
        0 as purchased_items,
        0 as purchase_amount,
        product_clicks,
        add_to_carts,
        0 as watch_microseconds
    from product_actions
    union all
    select
        user_id,
        category,
        0 as purchased_items,
        0 as purchase_amount,
        0 as product_clicks,
        0 as add_to_carts,
        watch_microseconds
    from watched
),

summed as (
    select
        user_id,
        category,
        sum(purchased_items) as purchased_items,
        sum(purchase_amount) as purchase_amount,
        sum(product_clicks) as product_clicks,
        sum(add_to_carts) as add_to_carts,
        sum(watch_microseconds) as watch_microseconds
    from signals
    group by user_id, category
),

final as (
    select
        cast(summed.user_id as {{ dbt.type_string() }}) as user_id,
        cast(summed.category as {{ dbt.type_string() }}) as category,
        cast(summed.purchased_items as integer) as purchased_items_365d,
        cast(summed.purchase_amount as decimal(18, 2)) as purchase_amount_365d,
        cast(summed.product_clicks as integer) as product_clicks,
        cast(summed.add_to_carts as integer) as add_to_carts,
        cast(
            summed.product_clicks * {{ threshold('affinity_click_weight') }}
            + summed.add_to_carts * {{ threshold('affinity_cart_weight') }}
            as decimal(18, 6)
        ) as product_action_score,
        cast(
            cast(summed.watch_microseconds as decimal(38, 0)) * cast(0.000001 as decimal(18, 6)) as decimal(18, 6)
        ) as watch_seconds,
        cast(as_of.as_of_date as date) as as_of_date
    from summed
    cross join as_of
)

select * from final
