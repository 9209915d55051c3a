{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ tier_spells_bank_emptied() }}",
        post_hook="{{ tier_spells_bank_carried_deleted() }}",
    )
}}
{#-
    Each user's latest tier change before a bank date B, per tier family: the period end and the
    tier left then (tier_transitions, the changes of user_tier_history). user_tiers reads these
    and the changes from B on, in place of every change in the history, for the date and the
    tier each current spell began: the changes grow with every period end, the bank with the
    users only.

    B (macro tier_spells_bank_date) is the first day of the month before D's month: it moves
    once a month, at least 31 days before D. A row's bank_date is the B of the run that wrote it,
    the bank's B the latest of them: a row is each user's latest change before B while its user
    and family have no change from its date to B. The stored rows still hold when no run of
    tier_transitions after the bank's last build rewrote a period end before its B
    (int_history_runs_logged: recomputed_from before it, or a run recomputing everything; macro
    tier_spells_bank_stored_date). Then a run whose B is that date leaves them as they are (an
    incremental run appending no row; a copy would cost more than the bank saves), and a run
    whose B is later carries them on: the latest change from the stored B to the new one of each
    user and family with one (a month of changes, not the history) is appended, and the post-hook
    deletes the stored rows of those users and families; the others keep their rows and dates.
    Otherwise the pre-hook empties the table and the bank is summed anew from the changes before
    B (on Spark, a table, every run). No B (a unit test unless it overrides the macro): no rows,
    and user_tiers reads every change.
-#}
-- depends_on: {{ ref('int_as_of_date') }}
-- depends_on: {{ ref('int_history_runs_logged') }}
{%- set bank_date = tier_spells_bank_date() %}
{%- set stored_date = tier_spells_bank_stored_date() if is_incremental() and bank_date is not none else none %}
{%- set mode = tier_spells_bank_mode(bank_date, stored_date) %}
with

-- read by the bank carried on or summed anew only (a kept bank is read from itself: ST03 and
-- AM04 see the rendered branch)
transitions as (  -- noqa: ST03
    select * from {{ ref('tier_transitions') }}
),

{% if mode == 'kept' %}

    -- the stored bank stays as it is: no row appended
    final as (
        select * from {{ this }}
        where false
    )

{% else %}

    -- the changes before B: from the stored B on when the bank is carried on (a stored row is
    -- older than any of them, and the post-hook deletes it), every one when it is summed anew
    changes as (
        select
            user_id,
            tier_family,
            period_end,
            from_tier
        from transitions
        where
            {%- if bank_date is none %}
                false
            {%- else %}
                period_end < cast('{{ bank_date }}' as date)
                {%- if mode == 'carried' %}
                    and period_end >= cast('{{ stored_date }}' as date)
                {%- endif %}
            {%- endif %}
    ),

    final as (
        select
            cast(user_id as {{ dbt.type_string() }}) as user_id,
            cast(tier_family as {{ dbt.type_string() }}) as tier_family,
            cast(max(period_end) as date) as period_end,
            cast({{ value_at_max('from_tier', ['period_end']) }} as {{ dbt.type_string() }}) as from_tier,
            cast({{ "null" if bank_date is none else "'" ~ bank_date ~ "'" }} as date) as bank_date,
            {{ run_stamp() }} as _loaded_at
        from changes
        group by user_id, tier_family
    )

{% endif %}

select * from final  -- noqa: AM04
