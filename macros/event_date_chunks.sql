{#-
    A full build of a per-user-day aggregate over every event, cut into runs of consecutive
    business dates: the first date of each chunk after the first, as date text, ascending. Each
    chunk holds about `rows_per_chunk` kept events (stg_live__event_partitions; a date never
    splits). On DuckDB an aggregate whose groups outgrow its memory limit spills every group to
    disk (at `large`, 2M users x 365 days: past the 20 GB cap); a chunk's groups fit, and its scan
    reads only its dates' row groups. Empty (one statement) on Spark (it spills by partition), in
    unit tests, or when every event fits in one chunk (var event_date_chunk_rows). The model must
    ref stg_live__event_partitions (a `-- depends_on:` line).
-#}
{% macro event_date_chunks(rows_per_chunk=none) -%}
    {%- if not execute or target.type == 'spark' or model.resource_type == 'unit_test' -%}
        {{ return([]) }}
    {%- endif -%}
    {#- not built yet (a compile or lint against an empty warehouse): no chunks -#}
    {%- if load_relation(ref('stg_live__event_partitions')) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = rows_per_chunk or var('event_date_chunk_rows') -%}
    {%- set query -%}
        with

        partitions as (
            select
                partition_date,
                coalesce(sum(kept_rows) over (
                    order by partition_date rows between unbounded preceding and 1 preceding
                ), 0) as rows_before
            from {{ ref('stg_live__event_partitions') }}
        )

        select cast(min(partition_date) as {{ dbt.type_string() }}) as chunk_start
        from partitions
        group by floor(rows_before / {{ rows | int }})
        having floor(rows_before / {{ rows | int }}) > 0
        order by chunk_start
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#-
    The filter of chunk `index` (0 = the first) of `chunk_starts` (event_date_chunks) on
    `column`: from its start (none for the first) to the next chunk's start (none for the last).
    Empty without chunks.
-#}
{% macro event_date_chunk_filter(chunk_starts, index, column) -%}
    {%- if chunk_starts | length > 0 -%}
        {%- set conditions = [] -%}
        {%- if index > 0 -%}
            {%- do conditions.append(column ~ " >= cast('" ~ chunk_starts[index - 1] ~ "' as date)") -%}
        {%- endif -%}
        {%- if index < chunk_starts | length -%}
            {%- do conditions.append(column ~ " < cast('" ~ chunk_starts[index] ~ "' as date)") -%}
        {%- endif -%}
        where {{ conditions | join(' and ') }}
    {%- endif -%}
{%- endmacro %}
