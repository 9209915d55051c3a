{#-
    The rows of `base_events` (base_live__events) a model counted per events partition reads:
    those loaded after its watermark (macro event_partitions_watermark; a literal, so the zone
    maps of `_loaded_at` skip the older row groups), every row without one.
-#}
{% macro event_rows_loaded_after(base_events, watermark) -%}
    select * from {{ base_events }}
    {%- if watermark is not none %}
    where _loaded_at > cast('{{ watermark }}' as timestamp)
    {%- endif %}
{%- endmacro %}
