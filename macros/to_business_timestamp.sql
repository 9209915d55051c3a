{#- The wall-clock time in var('business_timezone') (checked by `business_timezone()`) of a UTC timestamp without zone. -#}
{% macro to_business_timestamp(expr) %}
    {{ return(adapter.dispatch('to_business_timestamp', 'livetier')(expr)) }}
{% endmacro %}

{% macro default__to_business_timestamp(expr) -%}
    cast(({{ expr }} at time zone 'UTC') at time zone '{{ business_timezone() }}' as timestamp)
{%- endmacro %}

{% macro spark__to_business_timestamp(expr) -%}
    from_utc_timestamp({{ expr }}, '{{ business_timezone() }}')
{%- endmacro %}

{#-
    The business time zone's offset from UTC in every UTC hour in which it does not change, as
    rows (hour_start, utc_offset), from the hour of `first_instant` (a scalar timestamp
    expression over the caller's rows; null, absent or before the min_timestamp bound: that
    bound) to a day after the build clock: a join on the hour then turns each of many timestamps
    into business time with one addition instead of one ICU conversion (24M events at `medium`:
    1.3 instead of 5 CPU seconds). An hour with a change inside it (the offset at its first and
    last microsecond differ: a transition off the whole UTC hour, as in Australia/Lord_Howe) has
    no row, and its timestamps are converted one by one (`to_business_timestamp_by_hour`), and so
    is one outside the range: `first_instant` only saves time (each hour costs two conversions;
    ~240k hours since 2000). The caller's query has the `quality_bounds` relation in scope.
    Spark's own conversion is cheap: no rows there.
-#}
{% macro business_hour_offsets(first_instant=none) %}
    {{ return(adapter.dispatch('business_hour_offsets', 'livetier')(first_instant)) }}
{% endmacro %}

{% macro default__business_hour_offsets(first_instant) -%}
    {%- set min_timestamp = quality_bound('min_timestamp', 'timestamp') %}
    {%- set from_expr = min_timestamp if first_instant is none else (
        'greatest(' ~ min_timestamp ~ ', coalesce(' ~ first_instant ~ ', ' ~ min_timestamp ~ '))'
    ) -%}
    select
        hour_start,
        utc_offset
    from (
        select
            hour_start,
            {{ to_business_timestamp('hour_start') }} - hour_start as utc_offset,
            {{ to_business_timestamp('hour_last') }} - hour_last as hour_last_utc_offset
        from (
            select
                hour_start,
                hour_start + interval 1 hour - interval 1 microsecond as hour_last
            from (
                select unnest(generate_series(
                    date_trunc('hour', {{ from_expr }}),
                    {{ build_clock() }} + interval 1 day,
                    interval 1 hour
                )) as hour_start
            ) as hour_starts
        ) as hours
    ) as hour_offsets
    where utc_offset = hour_last_utc_offset
{%- endmacro %}

{% macro spark__business_hour_offsets(first_instant) -%}
    select
        hour_start,
        0 as utc_offset
    from (select cast(null as timestamp) as hour_start) as no_hours
    where hour_start is not null
{%- endmacro %}

{#-
    `to_business_timestamp(expr)` through the row of `business_hour_offsets` joined on the hour of
    `expr` (`offsets`: that relation's name; no row: the conversion itself).
-#}
{% macro to_business_timestamp_by_hour(expr, offsets) %}
    {{ return(adapter.dispatch('to_business_timestamp_by_hour', 'livetier')(expr, offsets)) }}
{% endmacro %}

{% macro default__to_business_timestamp_by_hour(expr, offsets) -%}
    coalesce({{ expr }} + {{ offsets }}.utc_offset, {{ to_business_timestamp(expr) }})
{%- endmacro %}

{% macro spark__to_business_timestamp_by_hour(expr, offsets) -%}
    {{ to_business_timestamp(expr) }}
{%- endmacro %}
