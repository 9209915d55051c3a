{{
    config(
        materialized='table',
        post_hook=after_commit("{{ checkpoint_after_commit() }}"),
    )
}}
{#-
    The numbers of anchor_fans: one row per anchor and user with a session (any date <= D, any
    length) or a purchase as of D in the anchor's streams (streams started by D), windows being
    dates in (D-N, D]. stream_review.md, `anchor_fans`; the mart adds the tier.

    A table written whole each run, from its own stored rows when they can be carried on
    (DuckDB; macros/anchor_fans_recount.sql): the (anchor, user) pairs with rows of
    int_stream_user_days_summarized written since the last run or dated in (last D, D] are
    counted again over all their days, and every pair of a user with a row gone from a stream
    or in a stream whose anchor changed (int_stream_anchors_tracked); every other stored row is
    carried over less the days that left a window. Writing the table anew costs less than
    updating and deleting rows spread over all of it (at `large`, 31M rows: the update, its
    commit and the checkpoint after it took 70 s of the model's 110 s a night). On Spark, and
    on a full build, every user is counted. Once the run committed, a checkpoint (DuckDB; macro
    checkpoint_after_commit).
-#}
-- depends_on: {{ ref('int_stream_anchors_tracked') }}
{%- set watermark = anchor_fans_watermark() %}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

user_days_tracked as {{ inline_cte() }} (
    select * from {{ ref('int_stream_user_days_summarized') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

{%- if watermark is not none %}

stored_fans as (
    select * from {{ this }}
),

anchors_tracked as (
    select * from {{ ref('int_stream_anchors_tracked') }}
),

-- the user-day rows changed since the last run (macro anchor_fans_rows_changed)
rows_changed as (
    {{ anchor_fans_rows_changed(ref('int_stream_user_days_summarized'), watermark) }}
),

-- the users counted again over every anchor: a row without a date (gone from a stream) or of a
-- stream not started by D, or a row of a stream whose anchor changed since the last run
recounted_users as (
    select rows_changed.user_id
    from rows_changed
    left join streams
        on rows_changed.stream_id = streams.stream_id
    where rows_changed.activity_date is null or streams.stream_id is null
    union
    select user_days_tracked.user_id
    from user_days_tracked
    inner join anchors_tracked
        on user_days_tracked.stream_id = anchors_tracked.stream_id
    where
        user_days_tracked.user_id is not null
        and anchors_tracked.is_reanchored
        and anchors_tracked._changed_at > cast('{{ watermark.last_run }}' as timestamp)
),

-- the (anchor, user) pairs counted again: those of the other changed rows
recounted_pairs as (
    select distinct
        streams.anchor_id,
        rows_changed.user_id
    from rows_changed
    inner join streams
        on rows_changed.stream_id = streams.stream_id
    left join recounted_users
        on rows_changed.user_id = recounted_users.user_id
    where recounted_users.user_id is null
),

-- per anchor and user, what the days leaving the 90- and 365-day windows had added
days_leaving as (
    {{ anchor_fans_days_leaving(ref('int_stream_user_days_summarized'), ref('int_streams_started'), watermark) }}
),

-- the stored rows of the users not counted again, less the days leaving the windows
fans_carried as (
    select
        stored_fans.anchor_id,
        stored_fans.user_id,
        stored_fans.first_watch_date,
        stored_fans.last_watch_date,
        stored_fans.watch_days_90d - coalesce(days_leaving.watch_days_90d, 0) as watch_days_90d,
        stored_fans.watch_microseconds_90d - coalesce(days_leaving.watch_microseconds_90d, 0)
            as watch_microseconds_90d,
        stored_fans.interactions_90d - coalesce(days_leaving.interactions_90d, 0) as interactions_90d,
        stored_fans.follows,
        stored_fans.purchases_365d - coalesce(days_leaving.purchases_365d, 0) as purchases_365d,
        stored_fans.net_gmv_365d - coalesce(days_leaving.net_gmv_365d, 0) as net_gmv_365d
    from stored_fans
    left join recounted_users
        on stored_fans.user_id = recounted_users.user_id
    left join recounted_pairs
        on
            stored_fans.anchor_id = recounted_pairs.anchor_id
            and stored_fans.user_id = recounted_pairs.user_id
    left join days_leaving
        on
            stored_fans.anchor_id = days_leaving.anchor_id
            and stored_fans.user_id = days_leaving.user_id
    where recounted_users.user_id is null and recounted_pairs.user_id is null
),

{%- endif %}

-- the rows without a date (stream rows, users gone from a stream) only carry change tracking;
-- on a run carrying rows on, the days of the users counted again, whole or in some pairs
stream_user_days as (
    select user_days_tracked.*
    from user_days_tracked
    {%- if watermark is not none %}
    inner join (
        select user_id from recounted_users
        union
        select user_id from recounted_pairs
    ) as recounted
        on user_days_tracked.user_id = recounted.user_id
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
    {%- if watermark is not none %}
    left join recounted_users
        on stream_user_days.user_id = recounted_users.user_id
    left join recounted_pairs
        on
            streams.anchor_id = recounted_pairs.anchor_id
            and stream_user_days.user_id = recounted_pairs.user_id
    where recounted_users.user_id is not null or recounted_pairs.user_id is not null
    {%- endif %}
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

-- the users counted here, and on a run carrying stored rows on, those rows
fans as (
    select
        anchor_id,
        user_id,
        first_watch_date,
        last_watch_date,
        watch_days_90d,
        watch_microseconds_90d,
        interactions_90d,
        follows,
        purchases_365d,
        net_gmv_365d
    from anchor_users
    -- a session or a purchase in the anchor's streams (events alone make no fan)
    where room_enters > 0 or orders > 0
    {%- if watermark is not none %}
    union all
    select * from fans_carried
    {%- endif %}
),

final as (
    select
        cast(fans.anchor_id as string) as anchor_id,
        cast(fans.user_id as string) as user_id,
        cast(fans.first_watch_date as date) as first_watch_date,
        cast(fans.last_watch_date as date) as last_watch_date,
        cast(fans.watch_days_90d as integer) as watch_days_90d,
        cast(fans.watch_microseconds_90d as bigint) as watch_microseconds_90d,
        cast(fans.interactions_90d as integer) as interactions_90d,
        cast(fans.follows as integer) as follows,
        cast(fans.purchases_365d as integer) as purchases_365d,
        cast(fans.net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(as_of.as_of_date as date) as as_of_date,
        cast({{ threshold('window_90d_days') }} as integer) as window_90d_days,
        cast({{ threshold('window_365d_days') }} as integer) as window_365d_days,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _loaded_at
    from fans
    cross join as_of
)

select * from final
