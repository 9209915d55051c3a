{#-
    Post-hook body of a public mart kept by key on DuckDB: deletes the stored rows whose key the
    parent (filtered by parent_filter, SQL over its columns) no longer has.
-#}
{% macro rows_gone_deleted(parent, keys, parent_filter='true') -%}
    delete from {{ this }} as stored
    where not exists (
        select 1
        from {{ parent }} as kept
        where
            {{ parent_filter }}
            {%- for key in keys %}
            and kept.{{ key }} = stored.{{ key }}
            {%- endfor %}
    )
{%- endmacro %}

{#-
    Post-hook of stream_minute_kpis (DuckDB): deletes the minutes of streams with none as of D (not
    started by D, or a grid that ends at its start). A stream with minutes is written whole, so
    its stale minutes are gone with the rest of its rows.
-#}
{% macro stream_minutes_gone_deleted() -%}
    {%- if execute and this is not none and target.type != 'spark' -%}
        {{ rows_gone_deleted(ref('int_streams_started'), ['stream_id'], 'kept.grid_minutes > 0') }}
    {%- endif -%}
{%- endmacro %}
