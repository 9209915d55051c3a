{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key=['anchor_id', 'user_id'],
        on_schema_change='fail',
        post_hook=["{{ anchor_fans_gone_deleted() }}", "{{ log_mart_run() }}"],
    )
}}
{#-
    Each anchor's fan pyramid (core fans are loyal to the host, 主播): one row per anchor and user
    with a session (any date <= D, any length) or a purchase as of D in the anchor's streams
    (streams started by D). stream_review.md, `anchor_fans`: the numbers come from
    int_anchor_fans_counted (incremental by pair), the tier is assigned here (macro
    anchor_fan_tier).

    Incremental by pair on DuckDB: a run writes the pairs the parent wrote since this mart's last
    run (its `_loaded_at` after the run's start logged in int_history_runs_logged by the
    post-hook log_mart_run; every pair when none is logged) and the stored pairs whose tier the
    current rules set otherwise (a seed change); every other stored row stays, the parent's row
    unchanged since. Pairs the parent no longer has are deleted by the post-hook
    anchor_fans_gone_deleted. On Spark, on a full refresh: every pair.
-#}
-- depends_on: {{ ref('int_history_runs_logged') }}
-- depends_on: {{ ref('int_as_of_date') }}
{%- set last_run_at = mart_last_run_at() if is_incremental() else none %}
with

-- (read twice by an incremental run: expanded at each read, not copied)
fans as {{ inline_cte() }} (
    select * from {{ ref('int_anchor_fans_counted') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

{% if is_incremental() %}

    runs_logged as (
        select * from {{ ref('int_history_runs_logged') }}
    ),

    stored_fans as (
        select * from {{ this }}
    ),

    -- this mart's last run (its name written out: in a unit test `this` names the test's relation)
    last_run as (
        select max(logged_at) as logged_at
        from runs_logged
        where model_name = 'anchor_fans'
    ),

    -- the stored rows the current rules tier otherwise
    stored_retiered as (
        select
            anchor_id,
            user_id
        from stored_fans
        where
            anchor_fan_tier
            <> {{ anchor_fan_tier('watch_days_90d', 'interactions_90d', 'purchases_365d') }}
    ),

    -- the pairs the parent wrote since this mart's last run (that run's start also a literal when
    -- read at run time, macro mart_last_run_at: the parent's older row groups are skipped), and
    -- the other stored pairs the current rules tier otherwise
    fans_written as (
        select fans.*
        from fans
        cross join last_run
        where
            (last_run.logged_at is null or fans._loaded_at > last_run.logged_at)
            {%- if last_run_at is not none %}
                and fans._loaded_at > cast('{{ last_run_at }}' as timestamp)
            {%- endif %}
        union all
        -- (a semi join: its hash table holds the retiered pairs, usually none, not every pair)
        select fans.*
        from fans
        cross join last_run
        where
            fans._loaded_at <= last_run.logged_at
            and (fans.anchor_id, fans.user_id) in (
                select
                    stored_retiered.anchor_id,
                    stored_retiered.user_id
                from stored_retiered
            )
    ),

{% else %}

    fans_written as (
        select * from fans
    ),

{% endif %}

fans_tiered as (
    select
        *,
        {{ anchor_fan_tier('watch_days_90d', 'interactions_90d', 'purchases_365d') }} as anchor_fan_tier
    from fans_written
),

final as (
    select
        anchor_id,
        user_id,
        first_watch_date,
        last_watch_date,
        watch_days_90d,
        cast(
            cast(watch_microseconds_90d as decimal(38, 0)) * cast(0.000001 as decimal(18, 6)) as decimal(18, 6)
        ) as watch_seconds_90d,
        interactions_90d,
        follows,
        purchases_365d,
        net_gmv_365d,
        cast(anchor_fan_tier as string) as anchor_fan_tier
    from fans_tiered
)

select * from final
