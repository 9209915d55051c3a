{#-
    The tier spells bank (int_user_tier_spells_banked): each user's latest tier change before a
    bank date B per family, so that user_tiers reads the changes from B on and the bank instead
    of every change in the history.

    tier_spells_bank_date() is B as date text: the first day of the month before the month of D.
    none (no bank: user_tiers reads every change) in a unit test unless it overrides this
    macro. On Spark the bank is a table summed anew each run, read the same way.
-#}
{% macro tier_spells_bank_date() -%}
    {%- if not execute or model.resource_type == 'unit_test' or load_relation(ref('int_as_of_date')) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set d = run_query(
        'select cast(max(as_of_date) as ' ~ dbt.type_string() ~ ') from ' ~ ref('int_as_of_date')
    ).rows[0][0] -%}
    {%- if d is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set month_start = modules.datetime.datetime.strptime((d | string)[:10], '%Y-%m-%d').date().replace(day=1) -%}
    {{ return((month_start - modules.datetime.timedelta(days=1)).replace(day=1).isoformat()) }}
{%- endmacro %}

{#-
    The bank date of the stored bank (this) as date text when its rows still hold (read once at
    run time), none otherwise: not on a full refresh; it has rows, its date being the latest of
    theirs (a row carried on keeps its own until its user and family change); and no run of
    tier_transitions logged after its last build rewrote a period end before that date
    (int_history_runs_logged: recomputed_from before it, or the 1900-01-01 of a run recomputing
    every period end). The bank then stays as it is when that date is B, and is carried on to a
    later B (macro tier_spells_bank_mode); an empty bank is summed anew (it cannot say its date).
-#}
{% macro tier_spells_bank_stored_date() -%}
    {%- if not execute or flags.FULL_REFRESH or model.resource_type == 'unit_test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stored = load_relation(this) -%}
    {%- if stored is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stored_columns = adapter.get_columns_in_relation(stored) | map(attribute='name') | map('lower') | list -%}
    {%- if 'bank_date' not in stored_columns or '_loaded_at' not in stored_columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with

        stored as (
            {{ bank_stored_summary(this) }}
        ),

        rewritten as (
            select count(*) as runs
            from {{ ref('int_history_runs_logged') }} as runs
            cross join stored
            where
                runs.model_name = 'tier_transitions'
                and runs.logged_at > stored.built_at
                and (runs.recomputed_from is null or runs.recomputed_from < stored.max_bank_date)
        )

        select case
            when stored.row_count > 0 and rewritten.runs = 0
                then cast(stored.max_bank_date as {{ dbt.type_string() }})
        end as stored_date
        from stored
        cross join rewritten
    {%- endset -%}
    {%- set found = run_query(query).rows[0][0] -%}
    {{ return(none if found is none else (found | string)[:10]) }}
{%- endmacro %}

{#-
    How a run treats the stored bank for bank date `bank_date`: 'kept' (its date is B: the run
    appends no row), 'carried' (its date is before B: the run appends, for each user and family
    with a change from that date to B, the latest one, and the post-hook deletes their stored
    rows), or 'summed' (anything else, a full build and Spark: the pre-hook empties the table and
    the bank is summed anew from every change before B).
-#}
{% macro tier_spells_bank_mode(bank_date, stored_date) -%}
    {%- if bank_date is none or stored_date is none or stored_date > bank_date -%}
        {{ return('summed') }}
    {%- endif -%}
    {{ return('kept' if stored_date == bank_date else 'carried') }}
{%- endmacro %}

{#-
    The bank date user_tiers reads the changes from (read once at run time): the stored bank's B,
    none when it has no rows (no B, or no change before it) or in a unit test unless it
    overrides this macro: then every change is read.
-#}
{% macro tier_spells_read_from() -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set bank = ref('int_user_tier_spells_banked') -%}
    {%- if load_relation(bank) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query('select cast(max(bank_date) as ' ~ dbt.type_string() ~ ') from ' ~ bank).rows[0][0] -%}
    {{ return(none if found is none else (found | string)[:10]) }}
{%- endmacro %}

{#-
    The bank's pre-hook: on an incremental run that sums the bank anew (macro
    tier_spells_bank_mode, the stored date asked again at run time before anything is written),
    empties the table so that the body's rows replace them; nothing when they are kept or
    carried on, on a full build and on Spark (a table).
-#}
{% macro tier_spells_bank_emptied() -%}
    {%- if execute and this is not none and target.type != 'spark' and is_incremental()
            and tier_spells_bank_mode(tier_spells_bank_date(), tier_spells_bank_stored_date()) == 'summed' -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#-
    The bank's post-hook: deletes the rows of an earlier bank date whose user and family have a
    row this run wrote (a run carrying the bank on to B; none otherwise: a kept bank's run wrote
    no row, an emptied one holds the new rows only); nothing on a full build and on Spark.
-#}
{% macro tier_spells_bank_carried_deleted() -%}
    {%- set bank_date = tier_spells_bank_date() if execute and this is not none and target.type != 'spark' else none -%}
    {%- if bank_date is not none and is_incremental() -%}
        delete from {{ this }}
        where
            bank_date < cast('{{ bank_date }}' as date)
            and (user_id, tier_family) in (
                select
                    user_id,
                    tier_family
                from {{ this }}
                where _loaded_at = {{ run_stamp() }}
            )
    {%- endif -%}
{%- endmacro %}
