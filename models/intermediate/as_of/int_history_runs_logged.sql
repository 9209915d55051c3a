{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}
{#-
    The run log of the public marts kept incrementally (the history marts, anchor_fans,
    stream_minute_kpis): one row per run of each, written by the mart's post-hook (macro
    log_mart_run), read by the next run: the history marts find the period ends they must
    recompute (macro history_recompute_from), anchor_fans the pairs and stream_minute_kpis the
    streams written since; int_user_tier_spells_banked sums its bank anew after a run of
    tier_transitions rewrote a period end before its bank date. The marts are public and carry
    no bookkeeping column, so their watermark lives here. This body adds no row; a full refresh
    empties the log, and the next run of each mart recomputes everything.
-#}
with

final as (
    select
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as timestamp) as logged_at,
        cast(null as date) as as_of_date,
        cast(null as date) as recomputed_from
)

select * from final
where model_name is not null
