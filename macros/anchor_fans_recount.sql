{#-
    int_anchor_fans_counted keeps its rows from run to run, each (anchor, user) row true as of
    the last run's D. A run writes only the rows of the pairs that changed (strategy recount):
    - a row of the user in int_stream_user_days_summarized was written since the last run (the
      streams it rewrote) or is dated in (last D, D]: the (anchor, user) pair of the row's
      stream is counted again over all its days, unless the pair is stored and every such row
      is of a stream started after the last D, dated after it and inside both windows as of D
      (the new streams of a night): then those rows are added to the stored row (banked). Its
      stored days are all on or before the last D and no stream started after it was counted,
      so no day counts twice, and a row that changed or vanished from an earlier stream would
      have put the pair out of the bank (user days stamps every row of a stream it writes);
    - the user has a row without a date written since (a user left with no row of a rewritten
      stream, whose anchor may be gone) or a row of a stream whose anchor changed since
      (int_stream_anchors_tracked): every pair of the user is counted again (and a stored pair
      of the user counted no more is removed);
    - only because D moved, a day of the pair leaves a window, a date in (last D - N, D - N]
      for the 90- and 365-day windows: the stored window sums less those days, so that the cost
      does not grow with the history (the row's other numbers count every date and do not
      change without new data).
    The last run and its D are the latest _loaded_at and as_of_date stored: a run that wrote no
    row had no changed row and no day leaving a window, so counting from an earlier run's
    watermark again finds the same pairs (the rows changed since are counted again, whole).
    Every user is counted (no watermark) on Spark, on a full build, when the table is missing or
    empty, when D is earlier than the stored D, when a window length differs from the stored one,
    or when int_stream_anchors_tracked is missing or was built whole since the last run (no
    earlier anchors).
-#}

{#- The last run's start, D and window lengths, and this run's (none: recount every user). -#}
{% macro anchor_fans_watermark() -%}
    {%- if not execute or this is none or target.type == 'spark' or flags.FULL_REFRESH
            or model.resource_type == 'unit_test' or load_relation(this) is none
            or load_relation(ref('int_stream_anchors_tracked')) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set watermark_query -%}
        with current_windows as (
            select
                max(case when threshold_name = 'window_90d_days' then threshold_value end) as window_90d_days,
                max(case when threshold_name = 'window_365d_days' then threshold_value end) as window_365d_days
            from {{ ref('int_thresholds_current') }}
        ),

        stored as (
            select
                max(_loaded_at) as last_run,
                max(as_of_date) as last_as_of_date,
                min(window_90d_days) as min_90d,
                max(window_90d_days) as max_90d,
                min(window_365d_days) as min_365d,
                max(window_365d_days) as max_365d
            from {{ this }}
        )

        select
            stored.last_run,
            stored.last_as_of_date,
            (select max(as_of_date) from {{ ref('int_as_of_date') }}) as as_of_date,
            (select min(_changed_at) from {{ ref('int_stream_anchors_tracked') }}) > stored.last_run
                as anchors_built_since,
            cast(current_windows.window_90d_days as integer) as window_90d_days,
            cast(current_windows.window_365d_days as integer) as window_365d_days,
            coalesce(
                stored.min_90d <> current_windows.window_90d_days
                or stored.max_90d <> current_windows.window_90d_days
                or stored.min_365d <> current_windows.window_365d_days
                or stored.max_365d <> current_windows.window_365d_days,
                false
            ) as windows_changed
        from stored
        cross join current_windows
    {%- endset -%}
    {%- set row = run_query(watermark_query)[0] -%}
    {%- if row[0] is none or row[6] or row[2] < row[1] or row[3] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({
        'last_run': row[0] | string,
        'last_as_of_date': row[1] | string,
        'as_of_date': row[2] | string,
        'window_90d_days': row[4],
        'window_365d_days': row[5],
    }) }}
{%- endmacro %}

{#- The rows of `user_days` that changed after `watermark`: written since, or dated in (last D, D]. -#}
{% macro anchor_fans_rows_changed(user_days, watermark) -%}
    select
        user_id,
        stream_id,
        activity_date
    from {{ user_days }}
    where
        user_id is not null
        and (
            _loaded_at > cast('{{ watermark.last_run }}' as timestamp)
            or (
                activity_date > cast('{{ watermark.last_as_of_date }}' as date)
                and activity_date <= cast('{{ watermark.as_of_date }}' as date)
            )
        )
{%- endmacro %}

{#-
    The condition "the changed row is new": of a stream started after the last D, dated after it,
    and inside both windows as of D (so that no day added leaves a window in the same run).
-#}
{% macro anchor_fans_is_new_day(started_date, activity_date, watermark) -%}
    {%- set as_of = "cast('" ~ watermark.as_of_date ~ "' as date)" %}
    ({{ started_date }} > cast('{{ watermark.last_as_of_date }}' as date)
    and {{ activity_date }} > cast('{{ watermark.last_as_of_date }}' as date)
    and {{ activity_date }} > {{ dbt.dateadd('day', -watermark.window_90d_days, as_of) }}
    and {{ activity_date }} > {{ dbt.dateadd('day', -watermark.window_365d_days, as_of) }})
{%- endmacro %}

{#- The condition "the date leaves the N-day window": in (last D - N, D - N]. -#}
{% macro anchor_fans_leaves_window(date_column, days, watermark) -%}
    ({{ date_column }} > {{ dbt.dateadd('day', -days, "cast('" ~ watermark.last_as_of_date ~ "' as date)") }}
    and {{ date_column }} <= {{ dbt.dateadd('day', -days, "cast('" ~ watermark.as_of_date ~ "' as date)") }})
{%- endmacro %}

{#- The sums of one anchor, user and day (grouped by the three), in the count and the days leaving alike. -#}
{% macro anchor_fans_day_sums(user_days) -%}
    sum({{ user_days }}.room_enters) as room_enters,
    sum({{ user_days }}.watch_microseconds) as watch_microseconds,
    sum({{ user_days }}.interactions) as interactions,
    sum({{ user_days }}.follows) as follows,
    sum({{ user_days }}.orders) as orders,
    sum({{ user_days }}.net_amount) as net_amount
{%- endmacro %}

{#- Per anchor and user: what the days leaving the 90- and 365-day windows had added to the sums. -#}
{% macro anchor_fans_days_leaving(user_days, streams, watermark) -%}
    {%- set day = 'leaving_days.activity_date' %}
    {%- set leaves_90d = anchor_fans_leaves_window(day, watermark.window_90d_days, watermark) %}
    {%- set leaves_365d = anchor_fans_leaves_window(day, watermark.window_365d_days, watermark) %}
    select
        leaving_days.anchor_id,
        leaving_days.user_id,
        count(*) filter (where leaving_days.room_enters > 0 and {{ leaves_90d }}) as watch_days_90d,
        coalesce(sum(leaving_days.watch_microseconds) filter (where {{ leaves_90d }}), 0) as watch_microseconds_90d,
        coalesce(sum(leaving_days.interactions) filter (where {{ leaves_90d }}), 0) as interactions_90d,
        coalesce(sum(leaving_days.orders) filter (where {{ leaves_365d }}), 0) as purchases_365d,
        coalesce(sum(leaving_days.net_amount) filter (where {{ leaves_365d }}), 0) as net_gmv_365d
    from (
        -- one row per anchor, user and day, as the body counts them
        select
            streams.anchor_id,
            user_days.user_id,
            user_days.activity_date,
            {{ anchor_fans_day_sums('user_days') }}
        from {{ user_days }} as user_days
        inner join {{ streams }} as streams
            on user_days.stream_id = streams.stream_id
        where
            {{ anchor_fans_leaves_window('user_days.activity_date', watermark.window_90d_days, watermark) }}
            or {{ anchor_fans_leaves_window('user_days.activity_date', watermark.window_365d_days, watermark) }}
        group by streams.anchor_id, user_days.user_id, user_days.activity_date
    ) as leaving_days
    group by leaving_days.anchor_id, leaving_days.user_id
{%- endmacro %}
