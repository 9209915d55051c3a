{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        pre_hook="{{ maintain_anchor_fans(ref('int_stream_user_days_summarized'), ref('int_streams_started')) }}",
        post_hook=after_commit("{{ checkpoint_after_commit() }}"),
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_as_of_date') }}
{#-
    The numbers of anchor_fans: one row per anchor and user with a session (any date <= D, any
    length) or a purchase as of D in the anchor's streams (streams started by D), windows being
    dates in (D-N, D]. stream_review.md, `anchor_fans`; the mart adds the tier.

    Incremental by user on DuckDB (a table on Spark): a run recounts every anchor of the users
    whose rows of int_stream_user_days_summarized were written since its last run, or who have a
    day entering the windows because D moved, after a pre-hook deleted their rows; the same
    pre-hook subtracts the days leaving a window from the stored rows of the others
    (macros/anchor_fans_recount.sql). The window lengths are stored with each row. Once the run
    committed, a checkpoint (DuckDB; macro checkpoint_after_commit): the updated rows would
    otherwise stay in memory, and at `large` the next models ran out of it.
-#}
{%- set watermark = anchor_fans_watermark() %}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

user_days_tracked as (
    select * from {{ ref('int_stream_user_days_summarized') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

-- the rows without a date (stream rows, users gone from a stream) only carry change tracking
stream_user_days as (
    select user_days_tracked.*
    from user_days_tracked
    {%- if watermark is not none %}
    inner join (
        select distinct user_id
        from ({{ anchor_fans_users_to_recount(ref('int_stream_user_days_summarized'), watermark) }}) as recount_rows
    ) as recounted_users
        on user_days_tracked.user_id = recounted_users.user_id
    {%- endif %}
    where user_days_tracked.activity_date is not null
),

-- one row per anchor, user and day (a user can watch several of an anchor's streams in a day),
-- so that watch days are counted with count(*) and not a distinct count (a second hash of every row)
anchor_user_days as (
    select
        streams.anchor_id,
        stream_user_days.user_id,
        stream_user_days.activity_date,
        streams.as_of_date,
        {{ dbt.datediff('stream_user_days.activity_date', 'streams.as_of_date', 'day') }}
            as days_before_as_of,
        {{ anchor_fans_day_sums('stream_user_days') }}
    from stream_user_days
    inner join streams
        on stream_user_days.stream_id = streams.stream_id
    group by
        streams.anchor_id,
        stream_user_days.user_id,
        stream_user_days.activity_date,
        streams.as_of_date
),

anchor_users as (
    select
        anchor_id,
        user_id,
        as_of_date,
        min(activity_date) filter (where room_enters > 0) as first_watch_date,
        max(activity_date) filter (where room_enters > 0) as last_watch_date,
        count(*) filter (
            where room_enters > 0 and days_before_as_of < {{ threshold('window_90d_days') }}
        ) as watch_days_90d,
        coalesce(sum(watch_microseconds) filter (
            where days_before_as_of < {{ threshold('window_90d_days') }}
        ), 0) as watch_microseconds_90d,
        coalesce(sum(interactions) filter (
            where days_before_as_of < {{ threshold('window_90d_days') }}
        ), 0) as interactions_90d,
        sum(follows) as follows,
        coalesce(sum(orders) filter (
            where days_before_as_of < {{ threshold('window_365d_days') }}
        ), 0) as purchases_365d,
        coalesce(sum(net_amount) filter (
            where days_before_as_of < {{ threshold('window_365d_days') }}
        ), 0) as net_gmv_365d,
        sum(room_enters) as room_enters,
        sum(orders) as orders
    from anchor_user_days
    group by anchor_id, user_id, as_of_date
),

final as (
    select
        cast(anchor_id as string) as anchor_id,
        cast(user_id as string) as user_id,
        cast(first_watch_date as date) as first_watch_date,
        cast(last_watch_date as date) as last_watch_date,
        cast(watch_days_90d as integer) as watch_days_90d,
        cast(watch_microseconds_90d as bigint) as watch_microseconds_90d,
        cast(interactions_90d as integer) as interactions_90d,
        cast(follows as integer) as follows,
        cast(purchases_365d as integer) as purchases_365d,
        cast(net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(as_of_date as date) as as_of_date,
        cast({{ threshold('window_90d_days') }} as integer) as window_90d_days,
        cast({{ threshold('window_365d_days') }} as integer) as window_365d_days,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _loaded_at
    from anchor_users
    -- a session or a purchase in the anchor's streams (events alone make no fan)
    where room_enters > 0 or orders > 0
)

select * from final
