{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ tier_spells_bank_emptied() }}",
    )
}}
{#-
    Each user's latest tier change before a bank date B, per tier family: the period end and the
    tier left then (tier_transitions, the changes of user_tier_history). user_tiers reads these
    and the changes from B on, in place of every change in the history, for the date and the
    tier each current spell began: the changes grow with every period end, the bank with the
    users only.

    B (macro tier_spells_bank_date) is the first day of the month before D's month: it moves
    once a month, at least 31 days before D. A run whose B is the stored one and after whose
    build no run of tier_transitions rewrote a period end before B (int_history_runs_logged:
    recomputed_from before B, or a run recomputing everything) leaves the stored rows as they
    are (macro tier_spells_bank_kept: an incremental run appending no row; a copy would cost
    more than the bank saves); otherwise the pre-hook empties the table and the bank is summed
    anew from the changes before B (on Spark, a table, every run). No B (a unit test unless it
    overrides the macro): no rows, and user_tiers reads every change.
-#}
-- depends_on: {{ ref('int_as_of_date') }}
-- depends_on: {{ ref('int_history_runs_logged') }}
{%- set bank_date = tier_spells_bank_date() %}
{%- set kept = is_incremental() and tier_spells_bank_kept(bank_date) %}
with

-- read by the bank summed anew only (a kept bank is read from itself: ST03 and AM04 see the
-- rendered branch)
transitions as (  -- noqa: ST03
    select * from {{ ref('tier_transitions') }}
),

{% if kept %}

    -- the stored bank stays as it is: no row appended
    final as (
        select * from {{ this }}
        where false
    )

{% else %}

    final as (
        select
            cast(user_id as {{ dbt.type_string() }}) as user_id,
            cast(tier_family as {{ dbt.type_string() }}) as tier_family,
            cast(max(period_end) as date) as period_end,
            cast({{ value_at_max('from_tier', ['period_end']) }} as {{ dbt.type_string() }}) as from_tier,
            cast({{ "null" if bank_date is none else "'" ~ bank_date ~ "'" }} as date) as bank_date,
            cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _loaded_at
        from transitions
        where
            {{ "false" if bank_date is none else "period_end < cast('" ~ bank_date ~ "' as date)" }}
        group by user_id, tier_family
    )

{% endif %}

select * from final  -- noqa: AM04
