{#-
    The per-stream models that follow int_stream_user_days_summarized recount the streams it
    rewrote since their own last run: every rewritten stream has a stream row (user_id null)
    stamped with that run's start. The last run's start is read from the model's own table at run
    time, as a literal, by the model body and its pre-hook alike (both are rendered before the
    hook deletes anything), so the rows deleted and the rows recounted are the same streams.
-#}

{#- The start of this model's last run (max `_loaded_at`), or none on a full build or an empty table. -#}
{% macro stream_model_last_run() -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set last_run = run_query('select max(_loaded_at) from ' ~ this)[0][0] -%}
    {{ return(none if last_run is none else last_run | string) }}
{%- endmacro %}

{#- The streams int_stream_user_days_summarized rewrote after `last_run` (every stream when none). -#}
{% macro streams_rewritten_since(user_days, last_run) -%}
    select stream_id
    from {{ user_days }}
    where
        user_id is null
        {%- if last_run is not none %}
        and _loaded_at > cast('{{ last_run }}' as timestamp)
        {%- endif %}
{%- endmacro %}

{#-
    The same streams as a list of literals for `stream_id in (...)`, read at compile time: a literal
    filter reaches the table scan under a view, where a join with the query above does not (the
    view's work is then done for every stored session). `null` (no stream) when there is none.
-#}
{% macro streams_rewritten_literals(user_days, last_run) -%}
    {%- if not execute -%}
        {{ return('null') }}
    {%- endif -%}
    {%- set ids = run_query(streams_rewritten_since(user_days, last_run)).columns[0].values() | reject('none') | list -%}
    {%- if ids | length == 0 -%}
        {{ return('null') }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for id in ids | sort -%}
        {%- do literals.append(sql_string_literal(id)) -%}
    {%- endfor -%}
    {{ return(literals | join(', ')) }}
{%- endmacro %}

{#-
    The earliest date of the rows int_stream_user_days_summarized holds for the streams
    `stream_literals` (streams_rewritten_literals: the streams it rewrote after the last run), as a
    literal read at compile time, or none when they have none: every session of those streams is
    dated on or after it (their session dates are among those rows), so `session_date >=` it lets
    the zone maps skip the older sessions.
-#}
{% macro streams_rewritten_first_date(user_days, stream_literals) -%}
    {%- if not execute or stream_literals == 'null' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set first_date = run_query(
        'select cast(min(activity_date) as varchar) from ' ~ user_days
        ~ ' where user_id is not null and activity_date is not null and stream_id in ('
        ~ stream_literals ~ ')')[0][0] -%}
    {{ return(first_date) }}
{%- endmacro %}

{#- Pre-hook: deletes the rows of the streams to recount and of streams user days no longer holds. -#}
{% macro delete_rewritten_streams(user_days) -%}
    {%- if execute and this is not none and is_incremental() -%}
        delete from {{ this }}
        where
            stream_id in ({{ streams_rewritten_since(user_days, stream_model_last_run()) }})
            or stream_id not in (select stream_id from {{ user_days }} where user_id is null)
    {%- endif -%}
{%- endmacro %}
