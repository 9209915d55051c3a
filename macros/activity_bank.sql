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
    is now (read once at run time): its rows were all built for `bank_date` and for the comeback
    buckets of the churn_after_days valid now (or it has none and there is no activity up to it),
    and no activity date up to `bank_date` changed since it was built
    (int_as_of_inputs_fingerprinted: a date written with other rows, or whose rows are gone).
-#}
{% macro activity_bank_current(bank, bank_date) -%}
    {#- a bank stored by an older livetier (without comeback buckets) is not current -#}
    {%- set stored_columns = adapter.get_columns_in_relation(bank) | map(attribute='name') | map('lower') | list -%}
    {%- if 'bucket_days' not in stored_columns -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set query -%}
        with

        stored as (
            {{ bank_stored_summary(bank, ['bucket_days']) }}
        ),

        -- the width of the comeback buckets now (macro comeback_bucket_days)
        bucket_width as (
            select max({{ comeback_bucket_days('cast(threshold_value as integer)') }}) as bucket_days
            from {{ ref('int_thresholds_current') }}
            where threshold_name = 'churn_after_days'
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
                and stored.min_bucket_days = bucket_width.bucket_days
                and stored.max_bucket_days = bucket_width.bucket_days
                and changed.changed_dates = 0
            )
            or (stored.row_count = 0 and banked_days.day_rows = 0),
            false
        )
        from stored
        cross join bucket_width
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
            ~ model.name ~ " reads in place of those days: run them together "
            ~ "(dbt build -s +" ~ model.name ~ ")."
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- The stored bank's date B when the bank is current (activity_bank_current) and B is on or
    before D, for a model that can read it but does not choose B (int_user_activity_summarized:
    any B up to D will do; a bank of a later D, read by a model run alone after D moved back, will
    not); none, and every daily row read, otherwise, when there is no bank or it is empty, on
    Spark, when not executing, and in a unit test unless it overrides this macro -#}
{% macro activity_bank_readable_date() -%}
    {%- set bank = ref('int_user_activity_banked') -%}
    {%- if not execute or target.type == 'spark' or model.resource_type == 'unit_test'
            or load_relation(bank) is none or load_relation(ref('int_as_of_date')) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(max(bank_date) as {{ dbt.type_string() }})
        from {{ bank }}
        where bank_date <= (select max(as_of_date) from {{ ref('int_as_of_date') }})
    {%- endset -%}
    {%- set bank_date = run_query(query)[0][0] -%}
    {%- if bank_date is none or not activity_bank_current(bank, bank_date) -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(bank_date) }}
{%- endmacro %}
