{#-
    X of a history mart (user_tier_history, tier_transitions, tier_transition_matrix, tier_kpis;
    incremental by period end on DuckDB): the earliest period end it must recompute, read at run
    time from its last logged run (int_history_runs_logged), or none for every date (full build,
    no logged run, restated history). X is the earliest of
    - the last run's D: yesterday's D leaves the history, or stays as a period end whose
      is_as_of_date flag turns false;
    - what the mart's parent rewrote since the last run: the as-of dates int_user_tiers_assigned
      wrote (`_loaded_at`) for user_tier_history, the earliest X the history marts it reads
      logged since then for the others (history_parent_marts).
    tier_kpis takes the history date before that: its row at a period end counts how the users
    stand at the next one (the matrix's rows from that period end) and names the next period end.
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
            {%- if history_parent_marts() %}
                select min(runs.recomputed_from) as from_date
                from {{ runs }} as runs
                cross join last_run
                where
                    runs.model_name in ('{{ history_parent_marts() | join("', '") }}')
                    and runs.logged_at > last_run.logged_at
            {%- else %}
                select min(tiers.as_of_date) as from_date
                from {{ ref('int_user_tiers_assigned') }} as tiers
                cross join last_run
                where tiers._loaded_at > last_run.logged_at
            {%- endif %}
        ),

        changed_from as (
            select least(coalesce(rewritten.from_date, last_run.as_of_date), last_run.as_of_date) as from_date
            from last_run
            cross join rewritten
        )

        select
            cast(last_run.logged_at as {{ dbt.type_string() }}) as logged_at,
            {%- if this.name == 'tier_kpis' %}
                cast({{ history_date_before('changed_from.from_date') }} as {{ dbt.type_string() }}) as from_date
            {%- else %}
                cast(changed_from.from_date as {{ dbt.type_string() }}) as from_date
            {%- endif %}
        from last_run
        cross join changed_from
    {%- endset -%}
    {%- set row = run_query(query)[0] -%}
    {#- no logged run: every date -#}
    {{ return(row[1] if row[0] is not none else none) }}
{%- endmacro %}

{#-
    The history marts whose logged X a history mart follows: the marts it reads (user_tier_history
    too where it reads it beside its parent mart, in case a run selects one and not the other);
    none for user_tier_history, which follows the chain.
-#}
{% macro history_parent_marts() -%}
    {{ return({
        'tier_transitions': ['user_tier_history'],
        'tier_transition_matrix': ['tier_transitions', 'user_tier_history'],
        'tier_kpis': ['tier_transition_matrix', 'user_tier_history'],
    }.get(this.name, [])) }}
{%- endmacro %}

{#-
    The history date (a period end or D) before `date_sql` (a SQL date expression), or `date_sql`
    itself when none is: where a history mart's recompute steps back one date, because a row at a
    period end reads the next one (tier_transitions: the move to X starts at the date before it;
    tier_kpis: its row names the next period end).
-#}
{% macro history_date_before(date_sql) -%}
    (
        select coalesce(max(dates.as_of_date), {{ date_sql }})
        from {{ ref('int_as_of_dates') }} as dates
        where dates.is_history_date and dates.as_of_date < {{ date_sql }}
    )
{%- endmacro %}
