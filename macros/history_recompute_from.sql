{#-
    X of a history mart (user_tier_history, tier_transitions; incremental by period end on
    DuckDB): the earliest period end it must recompute, read at run time from its last logged
    run (int_history_runs_logged), or none for every date (full build, no logged run, restated
    history). X is the earliest of
    - the last run's D: yesterday's D leaves the history, or stays as a period end whose
      is_as_of_date flag turns false;
    - what the mart's parent rewrote since the last run: the as-of dates int_user_tiers_assigned
      wrote (`_loaded_at`) for user_tier_history, the X user_tier_history logged for
      tier_transitions.
    X reads only the log and the parent, never the mart itself, so the pre-hook, the body and
    the post-hook (which logs X) all render the same date.
-#}
{% macro history_recompute_from() -%}
    {%- if _recomputes_everything() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set runs = ref('int_history_runs_logged') -%}
    {%- set query -%}
        with

        last_run as (
            select
                max(logged_at) as logged_at,
                max(as_of_date) as as_of_date
            from {{ runs }}
            where
                model_name = '{{ this.name }}'
                and logged_at = (select max(logged_at) from {{ runs }} where model_name = '{{ this.name }}')
        ),

        rewritten as (
            {%- if this.name == 'tier_transitions' %}
                select min(runs.recomputed_from) as from_date
                from {{ runs }} as runs
                cross join last_run
                where runs.model_name = 'user_tier_history' and runs.logged_at > last_run.logged_at
            {%- else %}
                select min(tiers.as_of_date) as from_date
                from {{ ref('int_user_tiers_assigned') }} as tiers
                cross join last_run
                where tiers._loaded_at > last_run.logged_at
            {%- endif %}
        )

        select
            cast(last_run.logged_at as {{ dbt.type_string() }}) as logged_at,
            cast(least(coalesce(rewritten.from_date, last_run.as_of_date), last_run.as_of_date)
                as {{ dbt.type_string() }}) as from_date
        from last_run
        cross join rewritten
    {%- endset -%}
    {%- set row = run_query(query)[0] -%}
    {#- no logged run: every date -#}
    {{ return(row[1] if row[0] is not none else none) }}
{%- endmacro %}
