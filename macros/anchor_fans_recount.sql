{#-
    int_anchor_fans_counted recounts, each run, every anchor of the users whose numbers may have
    changed since its last run: a pre-hook deletes their rows and the body appends them again.
    Both read the same watermark, once, at run time (both are rendered before the hook deletes).
    An (anchor, user) row changes only when
    - a row of the user in int_stream_user_days_summarized was written since: the streams it
      rewrote (a user left with no row of a rewritten stream keeps a row without a date there);
    - D moved and a day of the user's leaves or enters a window: dates in (last D - N, D - N]
      for the 90- and 365-day windows, and dates in (last D, D].
    A run recounts every user when the table is empty, D is earlier than the stored D, or a window
    length differs from the stored one.
-#}

{#- The last run's start, D and window lengths, and this run's (none: recount every user). -#}
{% macro anchor_fans_watermark() -%}
    {%- if not execute or this is none or not is_incremental() -%}
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
    {%- if row[0] is none or row[5] or row[2] < row[1] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({
        'last_run': row[0] | string,
        'last_as_of_date': row[1] | string,
        'as_of_date': row[2] | string,
        'window_90d_days': row[3],
        'window_365d_days': row[4],
    }) }}
{%- endmacro %}

{#- The users to recount after `watermark` (a user may appear more than once). -#}
{% macro anchor_fans_users_to_recount(user_days, watermark) -%}
    select user_id
    from {{ user_days }}
    where
        user_id is not null
        and (
            _loaded_at > cast('{{ watermark.last_run }}' as timestamp)
            or (
                activity_date > cast('{{ watermark.last_as_of_date }}' as date)
                and activity_date <= cast('{{ watermark.as_of_date }}' as date)
            )
            {%- for days in [watermark.window_90d_days, watermark.window_365d_days] %}
            or (
                activity_date > {{ dbt.dateadd('day', -days, "cast('" ~ watermark.last_as_of_date ~ "' as date)") }}
                and activity_date <= {{ dbt.dateadd('day', -days, "cast('" ~ watermark.as_of_date ~ "' as date)") }}
            )
            {%- endfor %}
        )
{%- endmacro %}

{#- Pre-hook: deletes the rows of the users to recount (every row when the watermark says all). -#}
{% macro delete_recounted_fans(user_days) -%}
    {%- if execute and this is not none and is_incremental() -%}
        {%- set watermark = anchor_fans_watermark() -%}
        delete from {{ this }}
        {%- if watermark is not none %}
        where user_id in ({{ anchor_fans_users_to_recount(user_days, watermark) }})
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
