{#-
    The activity bank (int_user_activity_banked): each user's activity summed over the dates up to
    a bank date B, so that int_user_activity_stepped reads those dates as one row per user instead
    of every daily row (its first bucket holds every date before its first marker, and so grew
    with the history).

    activity_bank_date(from_date) is B as date text: the last day of the month before the month
    of X - the longest marker offset (window_30d_days, window_90d_days, silent_after_days), X =
    `from_date`, the first as-of date the steps recompute (as_of_steps_recompute_from). Every
    marker read is an as-of date on or after X less an offset, so after B: B's dates all fall in
    the first bucket.
    B stays the same for a month of nights. none (no bank: every daily row read) when the steps
    recompute every date (a full refresh, Spark, a unit test unless it overrides this macro);
    with `or_at_d` (the bank itself) X is then D, the X of the next night, so that the bank is
    ready for it (on Spark the bank is built every run and never read).
-#}
{% macro activity_bank_date(from_date, or_at_d=false) -%}
    {%- if from_date is none and (not or_at_d or restate_history()) -%}
        {{ return(none) }}
    {%- endif -%}
    {#- X less the longest marker offset (from D when from_date is none) -#}
    {%- set first_read = windows_start_date(
        ['window_30d_days', 'window_90d_days', 'silent_after_days'], from_date
    ) -%}
    {%- if first_read is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set first_read = modules.datetime.datetime.strptime(first_read, '%Y-%m-%d').date() -%}
    {{ return((first_read.replace(day=1) - modules.datetime.timedelta(days=1)).isoformat()) }}
{%- endmacro %}

{#-
    Whether the bank `bank` (a relation) holds the sums up to `bank_date` of the activity as it
    is now (read once at run time): its rows were all built for `bank_date` (or it has none and
    there is no activity up to it), and no activity date up to `bank_date` changed since it was
    built (int_as_of_inputs_fingerprinted: a date written with other rows, or whose rows are gone).
-#}
{% macro activity_bank_current(bank, bank_date) -%}
    {%- set query -%}
        with

        stored as (
            select
                count(*) as row_count,
                min(bank_date) as min_bank_date,
                max(bank_date) as max_bank_date,
                max(_loaded_at) as built_at
            from {{ bank }}
        ),

        changed as (
            select count(*) as changed_dates
            from {{ ref('int_as_of_inputs_fingerprinted') }} as fingerprints
            cross join stored
            where
                fingerprints.input_name = 'activity'
                and fingerprints.input_date <= cast('{{ bank_date }}' as date)
                and fingerprints._changed_at > stored.built_at
        ),

        -- whether there is any activity up to B (the first row found is enough)
        banked_days as (
            select count(*) as day_rows
            from (
                select 1 as found
                from {{ ref('int_user_activity_daily') }}
                where activity_date <= cast('{{ bank_date }}' as date)
                limit 1
            ) as first_day
        )

        select coalesce(
            (
                stored.row_count > 0
                and stored.min_bank_date = cast('{{ bank_date }}' as date)
                and stored.max_bank_date = cast('{{ bank_date }}' as date)
                and changed.changed_dates = 0
            )
            or (stored.row_count = 0 and banked_days.day_rows = 0),
            false
        )
        from stored
        cross join changed
        cross join banked_days
    {%- endset -%}
    {{ return(run_query(query).rows[0][0]) }}
{%- endmacro %}

{#- Whether int_user_activity_banked keeps its stored rows (false on a full refresh, on Spark,
    in a unit test and when it does not exist yet) -#}
{% macro activity_bank_kept(bank_date) -%}
    {%- if bank_date is none or not execute or target.type == 'spark' or model.resource_type == 'unit_test'
            or flags.FULL_REFRESH or load_relation(this) is none -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(activity_bank_current(this, bank_date)) }}
{%- endmacro %}

{#- The pre-check of int_user_activity_stepped: stops the run in one sentence when the bank it
    reads is not the one for its bank date (the steps run without the bank after a change) -#}
{% macro activity_bank_check(bank_date) -%}
    {%- if bank_date is none or not execute or model.resource_type == 'unit_test' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set bank = ref('int_user_activity_banked') -%}
    {%- if load_relation(bank) is none or not activity_bank_current(bank, bank_date) -%}
        {{ exceptions.raise_compiler_error(
            "int_user_activity_banked does not hold the activity up to " ~ bank_date ~ " as it is now, which "
            ~ "int_user_activity_stepped reads in place of those days: run them together "
            ~ "(dbt build -s +int_user_activity_stepped)."
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
