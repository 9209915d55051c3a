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
    Events per stream, user and business date: what the stream review's per-viewer days read,
    so they never rescan the events. Every event naming a stream counts toward `events` (a day
    with only a leave_room is still a day with an event of the stream). Not cut at D: the
    reader keeps the dates <= D of the streams started by D. Incremental by activity_date like
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

stream_event_days as (
    select
        stream_id,
        user_id,
        event_date as activity_date,
        count(*) as events,
        count(*) filter (where event_type in ({{ interaction_event_types() }})) as interactions,
        count(*) filter (where event_type = 'follow') as follows,
        count(*) filter (where event_type = 'product_impression') as product_impressions,
        count(*) filter (where event_type = 'product_click') as product_clicks,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts
    from events
    where stream_id is not null
    group by stream_id, user_id, event_date
),

final as (
    select
        stream_id,
        user_id,
        activity_date,
        cast(events as bigint) as events,
        cast(interactions as bigint) as interactions,
        cast(follows as bigint) as follows,
        cast(product_impressions as bigint) as product_impressions,
        cast(product_clicks as bigint) as product_clicks,
        cast(add_to_carts as bigint) as add_to_carts,
        {{ run_stamp() }} as _loaded_at
    from stream_event_days
)

select * from final
