{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key='stream_id',
        on_schema_change='append_new_columns',
    )
}}
-- depends_on: {{ ref('stg_live__event_partitions') }}
-- depends_on: {{ ref('int_watch_sessions_sessionized') }}
-- depends_on: {{ ref('int_as_of_date') }}
{#
    One row per stream started by D, user and business date with any of: a watch session of the
    stream begun that date, an event of the stream dated that date, a purchase as of D of the
    stream paid that date. Attribution is by each row's own stream_id (an event belongs to the
    stream it names, not to the session it falls in). Everything is as of D.

    A user-day row's sessions_fingerprint sums a hash of each of its sessions (id, start, end as
    of D): the stream's viewer spans (int_stream_viewers_merged) are a function of them.

    Besides, one stream row per stream (user_id and activity_date null, counts 0) holding the
    fingerprints of the stream's row and of its purchases as of D and the stream's first
    activity_date (9999-12-31 without any), and, once a user of a rewritten
    stream is left with no row of it, one user row (activity_date null, counts 0) that tells
    per-user readers to redo that user (int_anchor_fans_counted). Readers of days skip both
    (activity_date is null). Incremental
    by stream on DuckDB (a table on Spark): a run counts again every row of the streams whose
    inputs changed since the last run that wrote rows (its start and its D are the watermark):
    - streams started by D that are new, or whose stream row or purchases fingerprint differs;
    - stored streams no longer started by D (only their stream row is written, fingerprints null);
    - streams with a session or a stream event day written since the watermark (upstream tables
      rewrite whole dates, so also the stored rows' streams on an events partition written since);
    - when D differs from the last run's D: streams with a session or an event day dated between
      the two, or a session whose length is not final by the earlier of the two (settled_date);
    and it writes (stamped with its start) only those of the streams whose rows, as_of_date aside,
    differ from the stored ones: its readers recount the streams stamped since their own last run,
    and the recent dates the event models recount every night (lookback_days) mostly come out as
    they were. The stored rows of the streams counted again are read from the earliest first
    activity_date of their stream rows on (the zone maps skip older dates). A table written by an
    earlier version gets the columns sessions_fingerprint (null, so its streams differ once
    counted again) and first_activity_date (null: its stored rows are read whole until its
    streams are written again; on_schema_change append_new_columns).
-#}
{#- a table built before sessions_fingerprint or first_activity_date existed gets them on its next
    incremental run (append_new_columns): until then its rows compare with a null fingerprint, so
    every stream counted again differs, and its stored rows are read without a date bound (a unit
    test's fixture has every column) -#}
{%- set stored_columns = (adapter.get_columns_in_relation(this)
    if execute and is_incremental() and model.resource_type != 'unit_test' else [])
    | map(attribute='name') | map('lower') | list %}
{%- set stored_fingerprint = 'sessions_fingerprint' if 'sessions_fingerprint' in stored_columns
    or stored_columns | length == 0 else 'cast(null as bigint) as sessions_fingerprint' %}
{%- set date_bounded = 'first_activity_date' in stored_columns or stored_columns | length == 0 %}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

sessions as (
    select * from {{ ref('int_stream_sessions_bounded') }}
),

stream_event_days as {{ inline_cte() }} (
    select * from {{ ref('int_stream_user_event_days_counted') }}
),

purchases as {{ inline_cte() }} (
    select * from {{ ref('int_purchases_netted') }}
),

stream_fingerprints as (
    select
        streams.stream_id,
        streams.as_of_date,
        sum({{ row_hash(['streams.anchor_id', 'streams.category', 'streams.started_at', 'streams.ended_at',
            'streams.started_date']) }}) as stream_fingerprint
    from streams
    group by streams.stream_id, streams.as_of_date
),

purchase_fingerprints as (
    select
        stream_id,
        sum({{ row_hash(['order_id', 'user_id', 'paid_at', 'paid_date', 'net_amount']) }}) as purchases_fingerprint
    from purchases
    group by stream_id
),

streams_fingerprinted as (
    select
        stream_fingerprints.stream_id,
        stream_fingerprints.as_of_date,
        stream_fingerprints.stream_fingerprint,
        purchase_fingerprints.purchases_fingerprint
    from stream_fingerprints
    left join purchase_fingerprints
        on stream_fingerprints.stream_id = purchase_fingerprints.stream_id
),

{% if is_incremental() %}

    watch_sessions as (
        select * from {{ ref('int_watch_sessions_sessionized') }}
    ),

    event_partitions as (
        select * from {{ ref('stg_live__event_partitions') }}
    ),

    as_of as (
        select * from {{ ref('int_as_of_date') }}
    ),

    stored_streams as (
        select
            stream_id,
            stream_fingerprint,
            purchases_fingerprint,
            as_of_date,
            _loaded_at,
            {{ 'first_activity_date' if date_bounded else 'cast(null as date) as first_activity_date' }}
        from {{ this }}
        where user_id is null
    ),

    -- the last run that wrote rows: every row is as of its D, or unchanged since
    watermark as (
        {{ last_run_watermark('stored_streams') }}
    ),

    fingerprint_changed_streams as (
        select streams_fingerprinted.stream_id
        from streams_fingerprinted
        left join stored_streams
            on streams_fingerprinted.stream_id = stored_streams.stream_id
        where
            stored_streams.stream_id is null
            or not (
                stored_streams.stream_fingerprint is not distinct from streams_fingerprinted.stream_fingerprint
            )
            or not (
                stored_streams.purchases_fingerprint is not distinct from streams_fingerprinted.purchases_fingerprint
            )
        union all
        select stored_streams.stream_id
        from stored_streams
        left join streams_fingerprinted
            on stored_streams.stream_id = streams_fingerprinted.stream_id
        where
            streams_fingerprinted.stream_id is null
            and stored_streams.stream_fingerprint is not null
    ),

    session_changed_streams as (
        select distinct watch_sessions.stream_id
        from watch_sessions
        cross join watermark
        where
            watermark.loaded_at is null
            or watch_sessions._loaded_at > watermark.loaded_at
            or (
                watch_sessions.session_date <= watermark.to_date
                and (
                    watch_sessions.session_date > watermark.from_date
                    or (watch_sessions.settled_date > watermark.from_date and watermark.from_date < watermark.to_date)
                )
            )
    ),

    event_day_changed_streams as (
        select distinct stream_event_days.stream_id
        from stream_event_days
        cross join watermark
        where
            watermark.loaded_at is null
            or stream_event_days._loaded_at > watermark.loaded_at
            or (
                stream_event_days.activity_date > watermark.from_date
                and stream_event_days.activity_date <= watermark.to_date
            )
    ),

    -- stored rows on event dates rewritten since: their events or sessions may be gone
    rewritten_date_streams as (
        select distinct previous_days.stream_id
        from {{ this }} as previous_days
        inner join event_partitions
            on previous_days.activity_date = event_partitions.partition_date
        cross join watermark
        where event_partitions.loaded_at > watermark.loaded_at
    ),

    changed_streams as (
        select stream_id from fingerprint_changed_streams
        union
        select stream_id from session_changed_streams
        union
        select stream_id from event_day_changed_streams
        union
        select stream_id from rewritten_date_streams
    ),

    counted_streams as (
        select streams.*
        from streams
        inner join changed_streams
            on streams.stream_id = changed_streams.stream_id
    ),

    -- stored streams no longer started by D: their stream row replaces their rows
    dropped_streams as (
        select
            stored_streams.stream_id,
            as_of.as_of_date,
            cast(null as decimal(38, 0)) as stream_fingerprint,
            cast(null as decimal(38, 0)) as purchases_fingerprint
        from stored_streams
        cross join as_of
        inner join changed_streams
            on stored_streams.stream_id = changed_streams.stream_id
        left join streams
            on stored_streams.stream_id = streams.stream_id
        where streams.stream_id is null
    ),

    stream_rows as (
        select streams_fingerprinted.*
        from streams_fingerprinted
        inner join changed_streams
            on streams_fingerprinted.stream_id = changed_streams.stream_id
        union all
        select * from dropped_streams
    ),

    {%- if date_bounded %}

        -- the earliest date of a stored row of the streams counted again: each stream row holds
        -- its stream's first activity_date when its rows were written (they are written
        -- together; 9999-12-31 without any, null in a row written before the column existed),
        -- so the zone maps skip the older stored rows below
        stored_first_date as (
            select
                coalesce(
                    min(coalesce(stored_streams.first_activity_date, cast('1900-01-01' as date))),
                    cast('9999-12-31' as date)
                ) as first_date
            from stored_streams
            inner join changed_streams
                on stored_streams.stream_id = changed_streams.stream_id
        ),
    {%- endif %}

    -- the stored rows of the streams counted again: dated ones (on or after their first date),
    -- and the ones without a date
    stored_rows as (
        select stored_days.*
        from {{ this }} as stored_days
        where
            stored_days.stream_id in (select changed_streams.stream_id from changed_streams)
            {%- if date_bounded %}
                and stored_days.activity_date >= (select stored_first_date.first_date from stored_first_date)
            {%- else %}
                and stored_days.activity_date is not null
            {%- endif %}
        union all
        select stored_days.*
        from {{ this }} as stored_days
        where
            stored_days.stream_id in (select changed_streams.stream_id from changed_streams)
            and stored_days.activity_date is null
    ),

    -- the users with a stored row of a rewritten stream (their rows are replaced)
    previous_users as (
        select distinct
            stored_rows.stream_id,
            stored_rows.user_id,
            as_of.as_of_date
        from stored_rows
        cross join as_of
        where stored_rows.user_id is not null
    ),

{% else %}

    counted_streams as (
        select * from streams
    ),

    stream_rows as (
        select * from streams_fingerprinted
    ),

{% endif %}

stream_sessions as (
    select
        sessions.stream_id,
        sessions.user_id,
        sessions.session_date as activity_date,
        count(*) as room_enters,
        sum(sessions.watch_microseconds) as watch_microseconds,
        sum({{ row_hash(['sessions.session_id', 'sessions.session_started_at', 'sessions.session_ended_at']) }})
            as sessions_fingerprint
    from sessions
    inner join counted_streams
        on sessions.stream_id = counted_streams.stream_id
    group by sessions.stream_id, sessions.user_id, sessions.session_date
),

-- the event counts of the stream's days dated <= D (counted per stream, user and date upstream)
stream_events as (
    select
        stream_event_days.stream_id,
        stream_event_days.user_id,
        stream_event_days.activity_date,
        stream_event_days.interactions,
        stream_event_days.follows,
        stream_event_days.product_impressions,
        stream_event_days.product_clicks,
        stream_event_days.add_to_carts
    from stream_event_days
    inner join counted_streams
        on stream_event_days.stream_id = counted_streams.stream_id
    where stream_event_days.activity_date <= counted_streams.as_of_date
),

stream_purchases as (
    select
        purchases.stream_id,
        purchases.user_id,
        purchases.paid_date as activity_date,
        count(*) as orders,
        sum(purchases.net_amount) as net_amount
    from purchases
    inner join counted_streams
        on purchases.stream_id = counted_streams.stream_id
    group by purchases.stream_id, purchases.user_id, purchases.paid_date
),

stream_user_days as (
    select
        stream_id,
        user_id,
        activity_date,
        room_enters,
        watch_microseconds,
        sessions_fingerprint,
        0 as interactions,
        0 as follows,
        0 as product_impressions,
        0 as product_clicks,
        0 as add_to_carts,
        0 as orders,
        0 as net_amount
    from stream_sessions
    union all
    select
        stream_id,
        user_id,
        activity_date,
        0 as room_enters,
        0 as watch_microseconds,
        0 as sessions_fingerprint,
        interactions,
        follows,
        product_impressions,
        product_clicks,
        add_to_carts,
        0 as orders,
        0 as net_amount
    from stream_events
    union all
    select
        stream_id,
        user_id,
        activity_date,
        0 as room_enters,
        0 as watch_microseconds,
        0 as sessions_fingerprint,
        0 as interactions,
        0 as follows,
        0 as product_impressions,
        0 as product_clicks,
        0 as add_to_carts,
        orders,
        net_amount
    from stream_purchases
),

user_days_summed as (
    select
        stream_user_days.stream_id,
        stream_user_days.user_id,
        stream_user_days.activity_date,
        sum(stream_user_days.room_enters) as room_enters,
        sum(stream_user_days.watch_microseconds) as watch_microseconds,
        sum(stream_user_days.sessions_fingerprint) as sessions_fingerprint,
        sum(stream_user_days.interactions) as interactions,
        sum(stream_user_days.follows) as follows,
        sum(stream_user_days.product_impressions) as product_impressions,
        sum(stream_user_days.product_clicks) as product_clicks,
        sum(stream_user_days.add_to_carts) as add_to_carts,
        sum(stream_user_days.orders) as orders,
        sum(stream_user_days.net_amount) as net_amount,
        counted_streams.as_of_date
    from stream_user_days
    inner join counted_streams
        on stream_user_days.stream_id = counted_streams.stream_id
    group by
        stream_user_days.stream_id,
        stream_user_days.user_id,
        stream_user_days.activity_date,
        counted_streams.as_of_date
),

{% if is_incremental() %}

    kept_users as (
        select distinct
            stream_id,
            user_id
        from user_days_summed
    ),

{% endif %}

-- each counted stream's first activity date (its stream row keeps it: 9999-12-31 without any)
stream_first_dates as (
    select
        stream_id,
        min(activity_date) as first_activity_date
    from user_days_summed
    group by stream_id
),

-- the rows without a date: each counted stream's row, and each user of a rewritten stream left
-- with no row of it (kept while the user has none)
dateless_rows as (
    select
        stream_rows.stream_id,
        cast(null as string) as user_id,
        stream_rows.stream_fingerprint,
        stream_rows.purchases_fingerprint,
        coalesce(stream_first_dates.first_activity_date, cast('9999-12-31' as date)) as first_activity_date,
        stream_rows.as_of_date
    from stream_rows
    left join stream_first_dates
        on stream_rows.stream_id = stream_first_dates.stream_id
    {%- if is_incremental() %}
        union all
        select
            previous_users.stream_id,
            previous_users.user_id,
            cast(null as decimal(38, 0)) as stream_fingerprint,
            cast(null as decimal(38, 0)) as purchases_fingerprint,
            cast(null as date) as first_activity_date,
            previous_users.as_of_date
        from previous_users
        left join kept_users
            on
                previous_users.stream_id = kept_users.stream_id
                and previous_users.user_id = kept_users.user_id
        where kept_users.user_id is null
    {%- endif %}
),

rows_unioned as (
    select
        stream_id,
        user_id,
        activity_date,
        room_enters,
        watch_microseconds,
        sessions_fingerprint,
        interactions,
        follows,
        product_impressions,
        product_clicks,
        add_to_carts,
        orders,
        net_amount,
        cast(null as decimal(38, 0)) as stream_fingerprint,
        cast(null as decimal(38, 0)) as purchases_fingerprint,
        cast(null as date) as first_activity_date,
        as_of_date
    from user_days_summed
    union all
    select
        stream_id,
        user_id,
        cast(null as date) as activity_date,
        0 as room_enters,
        0 as watch_microseconds,
        0 as sessions_fingerprint,
        0 as interactions,
        0 as follows,
        0 as product_impressions,
        0 as product_clicks,
        0 as add_to_carts,
        0 as orders,
        0 as net_amount,
        stream_fingerprint,
        purchases_fingerprint,
        first_activity_date,
        as_of_date
    from dateless_rows
),

rows_typed as (
    select
        cast(stream_id as string) as stream_id,
        cast(user_id as string) as user_id,
        cast(activity_date as date) as activity_date,
        cast(room_enters as bigint) as room_enters,
        cast(watch_microseconds as bigint) as watch_microseconds,
        cast(sessions_fingerprint as bigint) as sessions_fingerprint,
        cast(interactions as bigint) as interactions,
        cast(follows as bigint) as follows,
        cast(product_impressions as bigint) as product_impressions,
        cast(product_clicks as bigint) as product_clicks,
        cast(add_to_carts as bigint) as add_to_carts,
        cast(orders as bigint) as orders,
        cast(net_amount as decimal(18, 2)) as net_amount,
        cast(stream_fingerprint as decimal(38, 0)) as stream_fingerprint,
        cast(purchases_fingerprint as decimal(38, 0)) as purchases_fingerprint,
        cast(first_activity_date as date) as first_activity_date,
        cast(as_of_date as date) as as_of_date
    from rows_unioned
),

{% if is_incremental() %}

-- the streams counted again whose rows, as_of_date aside, differ from the stored ones (every
-- other one keeps its stored rows and stamp)
{%- set compared = ['stream_id', 'user_id', 'activity_date', 'room_enters', 'watch_microseconds',
    'sessions_fingerprint', 'interactions', 'follows', 'product_impressions', 'product_clicks',
    'add_to_carts', 'orders', 'net_amount', 'stream_fingerprint', 'purchases_fingerprint'] %}


    stored_rows_compared as (
        select {{ compared | join(', ') | replace('sessions_fingerprint', stored_fingerprint) }}
        from stored_rows
    ),

    counted_rows_compared as (
        select {{ compared | join(', ') }}
        from rows_typed
    ),

    differing_streams as (
        select distinct stream_id
        from (
            (
                select * from counted_rows_compared
                except all
                select * from stored_rows_compared
            )
            union all
            (
                select * from stored_rows_compared
                except all
                select * from counted_rows_compared
            )
        ) as differing_rows
    ),

    rows_written as (
        select rows_typed.*
        from rows_typed
        where rows_typed.stream_id in (select differing_streams.stream_id from differing_streams)
    ),

{% else %}

    rows_written as (
        select * from rows_typed
    ),

{% endif %}

final as (
    select
        *,
        {{ run_stamp() }} as _loaded_at
    from rows_written
)

select * from final
{{ in_date_order('activity_date') }}
