{#-
    Incremental by as-of date (the as-of chain's facts, RFM and tiers on DuckDB; Spark rebuilds
    them). A run recomputes the as-of dates from a date X on and keeps the stored rows before
    X, which is what a full refresh would give them: a row at P depends only on inputs dated on
    or before P (spec "History and transitions": the row at P is the build at P).

    as_of_recompute_from() is X for int_user_facts_snapshotted, the first model of the chain:
    the earliest of D, every as-of date not stored yet (a new period end, a late campaign's
    eve) and the earliest input date whose fingerprint changed since this model's last run
    (int_as_of_inputs_fingerprinted: late events, orders, refunds, users, threshold rows).
    recompute_from_upstream(upstream) is X for a model downstream: the earliest date its
    upstream rewrote since this model's last run, or the valid_from of a threshold row changed
    since the fingerprints were taken (a run of only this model and its children after a seed
    edit). Both are read at run time, so the compiled
    filter is a literal date that DuckDB pushes into every scan. none means everything: a full
    refresh, an empty table, or var restate_history (today's rules restated over the history
    change every date whenever D crosses a rule's valid_from).
-#}
{% macro as_of_recompute_from() -%}
    {%- if _recomputes_everything() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(_as_of_chain_from(this)) }}
{%- endmacro %}

{#-
    X of int_user_facts_snapshotted, for the stepped models it reads (tables rebuilt before it
    runs, from the same fingerprints and the same stored facts, so the same X): they sum every
    date before the first marker of the dates from X on into one bucket, which is all those
    dates read. none (every date) on a full refresh, on Spark, with restated history, when the
    facts table does not exist yet, and in a unit test unless it overrides this macro.
    int_user_facts_snapshotted checks that the steps cover its own X (steps_cover_check).
-#}
{% macro as_of_steps_recompute_from() -%}
    {%- if not execute or target.type == 'spark' or flags.FULL_REFRESH or restate_history()
        or model.resource_type == 'unit_test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.int_user_facts_snapshotted') -%}
    {%- set facts = none if node is none else
        adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- if facts is none or facts.type != 'table' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(_as_of_chain_from(facts)) }}
{%- endmacro %}

{#-
    The pre-check of int_user_facts_snapshotted: stops the run in one sentence when a stepped
    model was built for later dates than this run recomputes (a full refresh of the facts
    alone, after an incremental run of the steps).
-#}
{% macro steps_cover_check(from_date) -%}
    {%- if not execute or target.type == 'spark' or model.resource_type == 'unit_test' -%}
        {{ return('') }}
    {%- endif -%}
    {%- for steps in [ref('int_user_activity_stepped'), ref('int_user_purchases_stepped'),
        ref('int_as_of_markers_read')] -%}
        {%- set covered = none if load_relation(steps) is none else
            run_query('select max(covers_from_date) from ' ~ steps)[0][0] -%}
        {%- if covered is not none and (from_date is none or (from_date | string) < (covered | string)) -%}
            {{ exceptions.raise_compiler_error(
                steps.identifier ~ " was built for the as-of dates from " ~ covered ~ " on, but this run of "
                ~ "int_user_facts_snapshotted recomputes " ~ ("every date" if from_date is none else "from " ~ from_date)
                ~ ": run them together (dbt build -s +int_user_facts_snapshotted, with --full-refresh if wanted)."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#-
    The body of the stepped series' `marker_bounds` CTE over `markers` (int_as_of_markers_numbered):
    the first marker read (of every as-of date, or of the dates from `from_date` on: every earlier
    day falls in its bucket), the last marker (D), the number after it ("no next bucket") and
    `covers_from_date`, the first as-of date the steps can be read at (null: every one).
-#}
{% macro steps_marker_bounds(markers, from_date) -%}
    select
        min(
            case
                when {{ "true" if from_date is none else markers ~ ".as_of_date >= cast('" ~ from_date ~ "' as date)" }}
                    then {{ markers }}.marker_date
            end
        ) as first_marker_date,
        max({{ markers }}.marker_date) as last_marker_date,
        max({{ markers }}.marker_number) + 1 as end_marker_number,
        cast({{ "null" if from_date is none else "'" ~ from_date ~ "'" }} as date) as covers_from_date
    from {{ markers }}
{%- endmacro %}

{#- X of the chain from the stored facts `facts` (this, or the facts table read by the steps) -#}
{% macro _as_of_chain_from(facts) -%}
    {%- set query -%}
        with

        watermark as ({{ incremental_watermark('as_of_date', facts) }}),

        changed as (
            select min(fingerprints.input_date) as from_date
            from {{ ref('int_as_of_inputs_fingerprinted') }} as fingerprints
            cross join watermark
            where watermark.loaded_at is null or fingerprints._changed_at > watermark.loaded_at
        ),

        stored as (
            select distinct as_of_date
            from {{ facts }}
        ),

        added as (
            select min(as_of_dates.as_of_date) as from_date
            from {{ ref('int_as_of_dates') }} as as_of_dates
            left join stored
                on as_of_dates.as_of_date = stored.as_of_date
            where stored.as_of_date is null or as_of_dates.is_as_of_date
        )

        select cast(least(changed.from_date, added.from_date) as {{ dbt.type_string() }}) as from_date
        from changed
        cross join added
    {%- endset -%}
    {{ return(_recompute_date(query)) }}
{%- endmacro %}

{% macro recompute_from_upstream(upstream) -%}
    {%- if _recomputes_everything() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with

        watermark as ({{ incremental_watermark('as_of_date') }}),

        rewritten as (
            select min(upstream.as_of_date) as from_date
            from {{ upstream }} as upstream
            cross join watermark
            where watermark.loaded_at is null or upstream._loaded_at > watermark.loaded_at
        ),

        rules_now as (
            select
                valid_from as input_date,
                count(*) as row_count,
                sum({{ threshold_row_hash() }}) as fingerprint
            from {{ ref('seg_thresholds') }}
            group by valid_from
        ),

        rules_stored as (
            select
                input_date,
                row_count,
                fingerprint
            from {{ ref('int_as_of_inputs_fingerprinted') }}
            where input_name = 'thresholds'
        ),

        -- a threshold row changed since the fingerprints were taken (a run of this model and its
        -- children only, after a seed edit): recompute from the changed row's valid_from
        rules_changed as (
            select min(coalesce(rules_now.input_date, rules_stored.input_date)) as from_date
            from rules_now
            full outer join rules_stored
                on rules_now.input_date = rules_stored.input_date
            where
                coalesce(rules_now.row_count, 0) <> coalesce(rules_stored.row_count, 0)
                or coalesce(rules_now.fingerprint, 0) <> coalesce(rules_stored.fingerprint, 0)
        )

        select cast(least(rewritten.from_date, rules_changed.from_date) as {{ dbt.type_string() }}) as from_date
        from rewritten
        cross join rules_changed
    {%- endset -%}
    {%- set from_date = _recompute_date(query) -%}
    {#- nothing rewritten upstream: recompute nothing (a date after every date) -#}
    {{ return(from_date if from_date is not none else '9999-12-31') }}
{%- endmacro %}

{#- a full build (or a unit test, or restated history): every date -#}
{% macro _recomputes_everything() -%}
    {{ return(not execute or this is none or not is_incremental() or restate_history()) }}
{%- endmacro %}

{% macro _recompute_date(query) -%}
    {%- set values = run_query(query).columns[0].values() -%}
    {{ return(values[0] if values and values[0] is not none else none) }}
{%- endmacro %}

{#- `where <column> >= X` for an import CTE, or nothing when everything is recomputed -#}
{% macro recomputed_dates_only(from_date, column='as_of_date') -%}
    {%- if from_date is not none %}
    where {{ column }} >= cast('{{ from_date }}' as date)
    {%- endif -%}
{%- endmacro %}

{#-
    The pre-hook of a model incremental by as-of date (strategy append): deletes the dates from
    X on and the dates that are no longer in `dates` (a relation the model refs: the chain's
    dates, or its upstream; yesterday's D leaves them), before the recomputed rows are
    appended. Nothing on a full build.
-#}
{% macro delete_recomputed_dates(from_date, dates, column='as_of_date') -%}
    {%- if execute and this is not none and is_incremental() -%}
        delete from {{ this }}
        where
            {%- if from_date is not none %}
            {{ column }} >= cast('{{ from_date }}' as date) or
            {%- else %}
            true or
            {%- endif %}
            {{ column }} not in (select as_of_date from {{ dates }})
    {%- endif -%}
{%- endmacro %}
