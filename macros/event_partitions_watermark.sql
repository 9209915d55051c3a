{#-
    A model counted per events partition (stg_live__event_partitions, int_event_outcomes_counted),
    incremental on DuckDB: the latest `loaded_at` it stores (text of a timestamp, read at run time
    so the compiled filter is a literal), or none on a full build or an empty table (count every
    partition).
-#}
{% macro event_partitions_watermark() -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set values = run_query(
        'select cast(max(loaded_at) as ' ~ dbt.type_string() ~ ') from ' ~ this
    ).columns[0].values() -%}
    {{ return(values[0] if values and values[0] is not none else none) }}
{%- endmacro %}

{#-
    Its pre-hook: a base table rebuilt since the last run (its earliest `_loaded_at` after every
    stored `loaded_at`) empties the table, which is then counted again from every row.
-#}
{% macro delete_event_partitions_if_rebuilt() -%}
    {%- if execute and this is not none and is_incremental() -%}
        delete from {{ this }}
        where
            (select min(base._loaded_at) from {{ ref('base_live__events') }} as base)
            > (select max(stored.loaded_at) from {{ this }} as stored)
    {%- endif -%}
{%- endmacro %}
