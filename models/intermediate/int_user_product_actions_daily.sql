{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
        unique_key=(none if target.type == 'spark' else 'activity_date'),
        partition_by=(['activity_date'] if target.type == 'spark' else none),
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('stg_live__event_partitions') }}
{#
    Clicks and carts per user, business date and product: what the content preference reads,
    so it never rescans the events. By product, not by category: a product's category is read
    where it is used (the products table is a full snapshot without change tracking), so a
    changed category needs no recount here. Incremental by activity_date like
    int_user_activity_daily: a run recounts the dates of the last lookback_days and every events
    partition written since this model's last run (stg_live__event_partitions).
-#}
{%- set start_date = recount_start_date('activity_date') %}
with

all_events as (
    select * from {{ ref('stg_live__events') }}
),

{% if is_incremental() %}

    -- the incremental manifest: when each events partition was last written
    event_partitions as (
        select * from {{ ref('stg_live__event_partitions') }}
    ),

    watermark as (
        {{ incremental_watermark('activity_date') }}
    ),

    -- the dates to recount besides the lookback: the events partitions written since the last run
    changed_dates as (
        {{ changed_dates_since_watermark() }}
    ),

    events as (
        {{ rows_to_recount('all_events', 'event_date', start_date) }}
    ),

{% else %}

    events as (
        select * from all_events
    ),

{% endif %}

product_actions as (
    select
        user_id,
        event_date as activity_date,
        product_id,
        count(*) filter (where event_type = 'product_click') as product_clicks,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts
    from events
    where
        event_type in ('product_click', 'add_to_cart')
        and product_id is not null
    group by user_id, event_date, product_id
),

final as (
    select
        user_id,
        activity_date,
        product_id,
        cast(product_clicks as bigint) as product_clicks,
        cast(add_to_carts as bigint) as add_to_carts,
        {{ run_stamp() }} as _loaded_at
    from product_actions
)

select * from final
