{#-
    The CTEs `activity`, `activity_days` and `final` of int_user_activity_daily: one row per user
    and business date with events or a watch session begun, from the CTEs named `events` (rows of
    stg_live__events) and `watch_sessions` (rows of int_watch_sessions_sessionized). A macro
    because a full build on DuckDB runs it once per chunk of dates (event_date_chunks): the
    model's select holds the first chunk, its post-hook inserts the others
    (user_activity_days_chunks_inserted).
-#}
{% macro user_activity_days(events, watch_sessions) -%}
-- events and watch sessions as one narrow stream, aggregated once per user and day below (one
-- aggregate, no join: an aggregate of each and a full outer join of the two held both wide
-- per-user-day tables at once)
activity as (
    select
        user_id,
        event_date as activity_date,
        true as is_event,
        event_type,
        event_value,
        event_at,
        cast(null as bigint) as watch_seconds,
        cast(null as boolean) as is_late_night,
        cast(null as date) as settled_date
    from {{ events }}
    union all
    select
        user_id,
        session_date as activity_date,
        false as is_event,
        cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as decimal(18, 2)) as event_value,
        cast(null as timestamp) as event_at,
        watch_seconds,
        is_late_night,
        settled_date
    from {{ watch_sessions }}
),

-- the one pass over the day's activity: every per-user count is a column here (an aggregate's
-- FILTER clause is about twice as fast as sum(case ...) on DuckDB, and Spark has it too)
activity_days as (
    select
        user_id,
        activity_date,
        count(*) filter (where is_event) as events,
        count(*) filter (where event_type in ({{ interaction_event_types() }}))
            as interactions,
        count(*) filter (where event_type = 'like') as like_batches,
        count(*) filter (where event_type = 'comment') as comment_events,
        count(*) filter (where event_type = 'share') as share_events,
        count(*) filter (where event_type = 'follow') as follows,
        count(*) filter (where event_type = 'gift') as gifts,
        sum(event_value) filter (where event_type = 'gift') as gift_value,
        count(*) filter (where event_type = 'enter_room') as room_enters,
        count(*) filter (where event_type = 'product_impression') as product_impressions,
        count(*) filter (where event_type = 'product_click') as product_clicks,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'favorite') as favorites,
        count(*) filter (where event_type = 'coupon_claim') as coupon_claims,
        max(event_at) filter (where event_type = 'add_to_cart') as last_add_to_cart_at,
        count(*) filter (where not is_event) as watch_sessions,
        sum(watch_seconds) as watch_seconds,
        count(*) filter (where is_late_night) as late_night_watch_sessions,
        sum(watch_seconds) filter (where is_late_night) as late_night_watch_seconds,
        max(settled_date) as watch_settled_date
    from activity
    group by user_id, activity_date
),

-- a user's day with events, a watch session, or both
final as (
    select
        user_id,
        activity_date,
        cast(events as bigint) as events,
        cast(interactions as bigint) as interactions,
        cast(like_batches as bigint) as like_batches,
        cast(comment_events as bigint) as comment_events,
        cast(share_events as bigint) as share_events,
        cast(follows as bigint) as follows,
        cast(gifts as bigint) as gifts,
        cast(coalesce(gift_value, 0) as decimal(18, 2)) as gift_value,
        cast(room_enters as bigint) as room_enters,
        cast(product_impressions as bigint) as product_impressions,
        cast(product_clicks as bigint) as product_clicks,
        cast(add_to_carts as bigint) as add_to_carts,
        cast(favorites as bigint) as favorites,
        cast(coupon_claims as bigint) as coupon_claims,
        cast(watch_sessions as bigint) as watch_sessions,
        cast(coalesce(watch_seconds, 0) as bigint) as watch_seconds,
        cast(late_night_watch_sessions as bigint) as late_night_watch_sessions,
        cast(coalesce(late_night_watch_seconds, 0) as bigint) as late_night_watch_seconds,
        events > 0 as is_event_day,
        watch_sessions > 0 as is_watch_day,
        last_add_to_cart_at,
        -- after this date the day's watch_seconds are final; before it (only when a session
        -- ended on a later day) they must be recomputed from the sessions as of the date
        watch_settled_date,
        {{ run_stamp() }} as _loaded_at
    from activity_days
)
{%- endmacro %}

{#-
    The post-hook of int_user_activity_daily: on DuckDB, the chunks of dates after the first
    (event_date_chunks) that hold no row of the model yet, each inserted by one statement. On a
    full build that is every chunk after the first (the model's select built the first); on an
    incremental run every chunk holds rows already (a date with events always has a row) and
    nothing is inserted. Which chunks are empty is one query (an `exists` per chunk: each reads
    the row groups of its dates only). Empty without chunks.
-#}
{% macro user_activity_days_chunks_inserted() -%}
    {%- set chunk_starts = event_date_chunks() -%}
    {%- if chunk_starts | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set empty_chunks_query -%}
        {%- for index in range(1, chunk_starts | length + 1) %}
            {% if not loop.first %}union all{% endif %}
            select {{ index }} as chunk_index
            where not exists (
                select 1 from {{ this }} {{ event_date_chunk_filter(chunk_starts, index, 'activity_date') }}
            )
        {%- endfor %}
        order by chunk_index
    {%- endset -%}
    {%- set statements = [] -%}
    {%- for empty_chunk in run_query(empty_chunks_query).columns[0].values() -%}
        {%- set index = empty_chunk | int -%}
        {%- set statement -%}
            insert into {{ this }}
            with

            events as (
                select * from {{ ref('stg_live__events') }}
                {{ event_date_chunk_filter(chunk_starts, index, 'event_date') }}
            ),

            watch_sessions as (
                select * from {{ ref('int_watch_sessions_sessionized') }}
                {{ event_date_chunk_filter(chunk_starts, index, 'session_date') }}
            ),

            {{ user_activity_days('events', 'watch_sessions') }}

            select * from final
            {{ in_date_order('activity_date') }}
        {%- endset -%}
        {%- do statements.append(statement) -%}
    {%- endfor -%}
    {%- if statements %}
        {{- log(this.identifier ~ ': full build in ' ~ (chunk_starts | length + 1) ~ ' chunks of dates, '
                ~ (statements | length) ~ ' inserted after the first', info=True) -}}
    {%- endif -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

