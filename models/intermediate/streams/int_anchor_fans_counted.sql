{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='recount',
        unique_key=['anchor_id', 'user_id'],
        on_schema_change='append_new_columns',
        post_hook=after_commit("{{ checkpoint_after_commit() }}"),
    )
}}
{#-
    The numbers of anchor_fans: one row per anchor and user with a session (any date <= D, any
    length) or a purchase as of D in the anchor's streams (streams started by D), windows being
    dates in (D-N, D]. stream_review.md, `anchor_fans`; the mart adds the tier.

    Incremental by (anchor, user) pair on DuckDB (macros/anchor_fans_recount.sql): the pairs
    with rows of int_stream_user_days_summarized written since the last run or dated in
    (last D, D] are counted again over all their days (a stored pair whose such rows are all
    of streams started after the last D and dated after it adds them to its row instead), and
    every pair of a user with a row gone from a stream or in a stream whose anchor changed
    (int_stream_anchors_tracked); a stored pair
    with a day leaving a window gets its stored row less that day. Only those rows are written
    (strategy `recount`, macros/incremental_recount.sql: the stored rows of the batch's pairs
    deleted, its rows inserted but for the `_is_removed` ones, pairs counted again that are no
    fans any more); every other stored row stays as it was, true as of D too (as_of_date is the
    D it was written at). On Spark (a table), on a full build, and when the stored rows cannot be
    carried on (no watermark), every user is counted (and every stored pair not counted is
    removed). Once the run committed, a checkpoint (DuckDB; macro checkpoint_after_commit). A
    table written whole by an earlier version gets the column _is_removed (null) on its first
    run (on_schema_change append_new_columns).
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

    -- the (anchor, user) pairs of the other changed rows, and whether every one of those rows is of
    -- a stream started after the last D and dated after it (macro anchor_fans_is_new_day)
    changed_pairs as (
        select
            streams.anchor_id,
            rows_changed.user_id,
            bool_and({{ anchor_fans_is_new_day('streams.started_date', 'rows_changed.activity_date', watermark) }})
                as has_only_new_days
        from rows_changed
        inner join streams
            on rows_changed.stream_id = streams.stream_id
        left join recounted_users
            on rows_changed.user_id = recounted_users.user_id
        where recounted_users.user_id is null
        group by streams.anchor_id, rows_changed.user_id
    ),

    -- per anchor and user, what the days leaving the 90- and 365-day windows had added
    days_leaving as (
        {{ anchor_fans_days_leaving(ref('int_stream_user_days_summarized'), ref('int_streams_started'), watermark) }}
    ),

    -- the stored rows this run writes again or removes (one read of the stored table): of the
    -- users and pairs counted again, of the pairs with new days only (banked: the stored row plus
    -- those days), and of the pairs with a day leaving a window
    stored_in_scope as (
        select
            stored_fans.*,
            recounted_users.user_id is not null or coalesce(not changed_pairs.has_only_new_days, false) as is_recounted,
            coalesce(changed_pairs.has_only_new_days, false) as is_banked,
            days_leaving.watch_days_90d as leaving_watch_days_90d,
            days_leaving.watch_microseconds_90d as leaving_watch_microseconds_90d,
            days_leaving.interactions_90d as leaving_interactions_90d,
            days_leaving.purchases_365d as leaving_purchases_365d,
            days_leaving.net_gmv_365d as leaving_net_gmv_365d
        from stored_fans
        left join recounted_users
            on stored_fans.user_id = recounted_users.user_id
        left join changed_pairs
            on
                stored_fans.anchor_id = changed_pairs.anchor_id
                and stored_fans.user_id = changed_pairs.user_id
        left join days_leaving
            on
                stored_fans.anchor_id = days_leaving.anchor_id
                and stored_fans.user_id = days_leaving.user_id
        where
            recounted_users.user_id is not null
            or changed_pairs.user_id is not null
            or days_leaving.user_id is not null
    ),

    -- the pairs counted again over all their days: a changed row of an earlier stream or date, or
    -- new days only but no stored row (a new fan may have earlier days without a session)
    recounted_pairs as (
        select
            changed_pairs.anchor_id,
            changed_pairs.user_id
        from changed_pairs
        left join stored_in_scope
            on
                changed_pairs.anchor_id = stored_in_scope.anchor_id
                and changed_pairs.user_id = stored_in_scope.user_id
        where not changed_pairs.has_only_new_days or stored_in_scope.user_id is null
    ),

    banked_pairs as (
        select
            anchor_id,
            user_id
        from stored_in_scope
        where is_banked
    ),

    -- the stored rows of the pairs not counted again with a day leaving a window, less those days
    -- (every other stored row not counted again stays as it is)
    fans_leaving as (
        select
            anchor_id,
            user_id,
            first_watch_date,
            last_watch_date,
            watch_days_90d - leaving_watch_days_90d as watch_days_90d,
            watch_microseconds_90d - leaving_watch_microseconds_90d as watch_microseconds_90d,
            interactions_90d - leaving_interactions_90d as interactions_90d,
            follows,
            purchases_365d - leaving_purchases_365d as purchases_365d,
            net_gmv_365d - leaving_net_gmv_365d as net_gmv_365d
        from stored_in_scope
        where not is_recounted and not is_banked
    ),

    recounted_user_ids as (
        select user_id from recounted_users
        union
        select user_id from recounted_pairs
    ),

    banked_users as (
        select distinct user_id
        from banked_pairs
    ),

{%- endif %}

-- the rows without a date (stream rows, users gone from a stream) only carry change tracking;
-- on a run carrying rows on, the days of the users counted again, whole or in some pairs, and
-- the days after the last D of the users with a banked pair (the zone maps skip older dates)
stream_user_days as (
    select
        user_days_tracked.*,
        false as is_banked
    from user_days_tracked
    {% if watermark is not none %}
        inner join recounted_user_ids
            on user_days_tracked.user_id = recounted_user_ids.user_id
    {% endif %}
    where user_days_tracked.activity_date is not null
    {%- if watermark is not none %}
        union all
        select
            user_days_tracked.*,
            true as is_banked
        from user_days_tracked
        inner join banked_users
            on user_days_tracked.user_id = banked_users.user_id
        where user_days_tracked.activity_date > cast('{{ watermark.last_as_of_date }}' as date)
    {%- endif %}
),

-- one row per anchor, user and day (a user can watch several of an anchor's streams in a day),
-- so that watch days are counted with count(*) and not a distinct count (a second hash of every row)
anchor_user_days as (
    select
        streams.anchor_id,
        stream_user_days.user_id,
        stream_user_days.activity_date,
        streams.as_of_date,
        stream_user_days.is_banked,
        {{ dbt.datediff('stream_user_days.activity_date', 'streams.as_of_date', 'day') }}
            as days_before_as_of,
        {{ anchor_fans_day_sums('stream_user_days') }}
    from stream_user_days
    inner join streams
        on stream_user_days.stream_id = streams.stream_id
    {%- if watermark is not none %}
        left join recounted_users
            on
                stream_user_days.user_id = recounted_users.user_id
                and not stream_user_days.is_banked
        left join recounted_pairs
            on
                streams.anchor_id = recounted_pairs.anchor_id
                and stream_user_days.user_id = recounted_pairs.user_id
                and not stream_user_days.is_banked
        left join banked_pairs
            on
                streams.anchor_id = banked_pairs.anchor_id
                and stream_user_days.user_id = banked_pairs.user_id
                and stream_user_days.is_banked
        where
            recounted_users.user_id is not null
            or recounted_pairs.user_id is not null
            or banked_pairs.user_id is not null
    {%- endif %}
    group by
        streams.anchor_id,
        stream_user_days.user_id,
        stream_user_days.activity_date,
        streams.as_of_date,
        stream_user_days.is_banked
),

anchor_users as (
    select
        anchor_id,
        user_id,
        as_of_date,
        is_banked,
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
    group by anchor_id, user_id, as_of_date, is_banked
),
{%- if watermark is not none %}

-- the banked pairs: the stored row, less the days leaving a window, plus the new days (every
-- stored day is on or before the last D, every new one after it)
    fans_banked as (
        select
            stored_in_scope.anchor_id,
            stored_in_scope.user_id,
            coalesce(stored_in_scope.first_watch_date, anchor_users.first_watch_date) as first_watch_date,
            coalesce(anchor_users.last_watch_date, stored_in_scope.last_watch_date) as last_watch_date,
            stored_in_scope.watch_days_90d - coalesce(stored_in_scope.leaving_watch_days_90d, 0)
            + coalesce(anchor_users.watch_days_90d, 0) as watch_days_90d,
            stored_in_scope.watch_microseconds_90d - coalesce(stored_in_scope.leaving_watch_microseconds_90d, 0)
            + coalesce(anchor_users.watch_microseconds_90d, 0) as watch_microseconds_90d,
            stored_in_scope.interactions_90d - coalesce(stored_in_scope.leaving_interactions_90d, 0)
            + coalesce(anchor_users.interactions_90d, 0) as interactions_90d,
            stored_in_scope.follows + coalesce(anchor_users.follows, 0) as follows,
            stored_in_scope.purchases_365d - coalesce(stored_in_scope.leaving_purchases_365d, 0)
            + coalesce(anchor_users.purchases_365d, 0) as purchases_365d,
            stored_in_scope.net_gmv_365d - coalesce(stored_in_scope.leaving_net_gmv_365d, 0)
            + coalesce(anchor_users.net_gmv_365d, 0) as net_gmv_365d
        from stored_in_scope
        left join anchor_users
            on
                stored_in_scope.anchor_id = anchor_users.anchor_id
                and stored_in_scope.user_id = anchor_users.user_id
                and anchor_users.is_banked
        where stored_in_scope.is_banked
    ),
{%- endif %}

-- the users counted here, and on a run carrying stored rows on, the pairs with a day leaving
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
    where (room_enters > 0 or orders > 0) and not is_banked
    {%- if watermark is not none %}
        union all
        select * from fans_leaving
        union all
        select * from fans_banked
    {%- endif %}
),

{%- if is_incremental() %}

-- the stored pairs counted again (all of them without a watermark) that are no fans any more:
-- rows that only delete the stored one (strategy recount)
    removed_pairs as (
        select
            stored_pairs.anchor_id,
            stored_pairs.user_id
        {%- if watermark is not none %}
            from stored_in_scope as stored_pairs
        {%- else %}
    from {{ this }} as stored_pairs
    {%- endif %}
        left join fans
            on
                stored_pairs.anchor_id = fans.anchor_id
                and stored_pairs.user_id = fans.user_id
        where
            fans.user_id is null
            {%- if watermark is not none %}
                and stored_pairs.is_recounted
            {%- endif %}
    ),

{%- endif %}

fans_written as (
    select
        *,
        false as is_removed
    from fans
    {%- if is_incremental() %}
        union all
        select
            anchor_id,
            user_id,
            cast(null as date) as first_watch_date,
            cast(null as date) as last_watch_date,
            null as watch_days_90d,
            null as watch_microseconds_90d,
            null as interactions_90d,
            null as follows,
            null as purchases_365d,
            null as net_gmv_365d,
            true as is_removed
        from removed_pairs
    {%- endif %}
),

final as (
    select
        cast(fans_written.anchor_id as string) as anchor_id,
        cast(fans_written.user_id as string) as user_id,
        cast(fans_written.first_watch_date as date) as first_watch_date,
        cast(fans_written.last_watch_date as date) as last_watch_date,
        cast(fans_written.watch_days_90d as integer) as watch_days_90d,
        cast(fans_written.watch_microseconds_90d as bigint) as watch_microseconds_90d,
        cast(fans_written.interactions_90d as integer) as interactions_90d,
        cast(fans_written.follows as integer) as follows,
        cast(fans_written.purchases_365d as integer) as purchases_365d,
        cast(fans_written.net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(as_of.as_of_date as date) as as_of_date,
        cast({{ threshold('window_90d_days') }} as integer) as window_90d_days,
        cast({{ threshold('window_365d_days') }} as integer) as window_365d_days,
        {{ run_stamp() }} as _loaded_at,
        cast(fans_written.is_removed as boolean) as _is_removed
    from fans_written
    cross join as_of
)

select * from final
