{#-
    The body of an incremental model's `changed_dates` CTE: one row per business date
    (`changed_date`) whose events partition was written since the model's last run, read from the
    CTEs `event_partitions` (stg_live__event_partitions) and `watermark` (incremental_watermark).
    The 1900-01-01 partition (rows without a parseable event_at) holds no event. With
    `also_rewritten` (a CTE with `_loaded_at`), the `rewritten_date_column` dates of its rows
    written since then are added (distinct).
-#}
{% macro changed_dates_since_watermark(also_rewritten=none, rewritten_date_column=none) -%}
    select event_partitions.partition_date as changed_date
    from event_partitions
    cross join watermark
    where
        event_partitions.loaded_at > watermark.loaded_at
        and event_partitions.partition_date > cast('1900-01-01' as date)
    {%- if also_rewritten %}
    union
    select {{ also_rewritten }}.{{ rewritten_date_column }} as changed_date
    from {{ also_rewritten }}
    cross join watermark
    where {{ also_rewritten }}._loaded_at > watermark.loaded_at
    {%- endif %}
{%- endmacro %}
