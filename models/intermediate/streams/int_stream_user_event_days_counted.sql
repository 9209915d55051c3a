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
    select
        max(_loaded_at) as loaded_at,
        -- an empty table recounts everything
        coalesce(
            cast({{ dbt.dateadd('day', 1 - var('lookback_days', 3), 'max(activity_date)') }} as date),
            cast('1900-01-01' as date)
        ) as lookback_start_date
    from {{ this }}
),

changed_dates as (
    select event_partitions.partition_date as activity_date
    from event_partitions
    cross join watermark
    where
        event_partitions.loaded_at > watermark.loaded_at
        and event_partitions.partition_date > cast('1900-01-01' as date)
),

events as (
    select all_events.*
    from all_events
    cross join watermark
    where
        all_events.event_date >= watermark.lookback_start_date
        or all_events.event_date in (select changed_dates.activity_date from changed_dates)
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
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _loaded_at
    from stream_event_days
)

select * from final
