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
    Whether the stored bank (this) can be copied for bank date `bank_date` (read once at run
    time): not on a full refresh; its rows were all built for `bank_date`; and no run of
    tier_transitions logged after they were built rewrote a period end before it
    (int_history_runs_logged: recomputed_from before B, or the 1900-01-01 of a run recomputing
    every period end). An empty bank is summed anew (it cannot say its B).
-#}
{% macro tier_spells_bank_kept(bank_date) -%}
    {%- if not execute or bank_date is none or flags.FULL_REFRESH or model.resource_type == 'unit_test' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored = load_relation(this) -%}
    {%- if stored is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored_columns = adapter.get_columns_in_relation(stored) | map(attribute='name') | map('lower') | list -%}
    {%- if 'bank_date' not in stored_columns or '_loaded_at' not in stored_columns -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set query -%}
        with

        stored as (
            select
                count(*) as row_count,
                min(bank_date) as min_bank_date,
                max(bank_date) as max_bank_date,
                max(_loaded_at) as built_at
            from {{ this }}
        ),

        rewritten as (
            select count(*) as runs
            from {{ ref('int_history_runs_logged') }} as runs
            cross join stored
            where
                runs.model_name = 'tier_transitions'
                and runs.logged_at > stored.built_at
                and (runs.recomputed_from is null or runs.recomputed_from < cast('{{ bank_date }}' as date))
        )

        select
            stored.row_count > 0
            and stored.min_bank_date = cast('{{ bank_date }}' as date)
            and stored.max_bank_date = cast('{{ bank_date }}' as date)
            and rewritten.runs = 0 as is_kept
        from stored
        cross join rewritten
    {%- endset -%}
    {{ return(run_query(query).rows[0][0] == true) }}
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
    The bank's pre-hook: on an incremental run that does not keep the stored rows (macro
    tier_spells_bank_kept, asked again at run time before anything is written), empties the
    table so that the body's rows replace them; nothing when they are kept, on a full build and
    on Spark (a table).
-#}
{% macro tier_spells_bank_emptied() -%}
    {%- if execute and this is not none and target.type != 'spark' and is_incremental()
            and not tier_spells_bank_kept(tier_spells_bank_date()) -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

