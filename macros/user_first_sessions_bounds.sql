{#-
    int_user_first_sessions' watermark read once at run time, as literals that narrow its scans of
    the sessions (the filters then reach the table scans: compared with a CTE's values, every
    stored session was read first):
    - `loaded_at`, `from_date`, `to_date`: last_run_watermark of the stored table (its last run's
      start and the dates between that run's D and this one's);
    - `reread_from`: the earliest date whose stored sessions may have changed or gone (a sessions
      partition written since, an events partition written since), none when there is none. A
      user whose stored first session is on such a date has no other session before it that was
      not written since, so their sessions from that date on are all the model reads of them.
    none on a full build, an empty table, Spark (a table) and in unit tests (the model's CTEs
    decide alone; the literals only narrow what they read).
-#}
{% macro user_first_sessions_bounds() -%}
    {%- if not execute or model.resource_type == 'unit_test' or target.type == 'spark' or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set watermark_query -%}
        with

        as_of as (
            select * from {{ ref('int_as_of_date') }}
        ),

        watermark as (
            {{ last_run_watermark(this) }}
        )

        select
            cast(loaded_at as {{ dbt.type_string() }}) as loaded_at,
            cast(from_date as {{ dbt.type_string() }}) as from_date,
            cast(to_date as {{ dbt.type_string() }}) as to_date
        from watermark
    {%- endset -%}
    {%- set rows = run_query(watermark_query).rows -%}
    {%- if rows | length == 0 or rows[0][0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set loaded_at = rows[0][0] -%}
    {#- (a second query: with the run's start as a literal, the scan skips the older row groups) -#}
    {%- set reread_query -%}
        select cast(min(rewritten_date) as {{ dbt.type_string() }})
        from (
            select session_date as rewritten_date
            from {{ ref('int_watch_sessions_sessionized') }}
            where _loaded_at > cast('{{ loaded_at }}' as timestamp)
            union all
            select partition_date as rewritten_date
            from {{ ref('stg_live__event_partitions') }}
            where loaded_at > cast('{{ loaded_at }}' as timestamp)
        ) as rewritten_dates
    {%- endset -%}
    {{ return({
        'loaded_at': loaded_at,
        'from_date': rows[0][1],
        'to_date': rows[0][2],
        'reread_from': run_query(reread_query).rows[0][0],
    }) }}
{%- endmacro %}
