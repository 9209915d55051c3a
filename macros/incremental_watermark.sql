{#-
    The body of an incremental model's `watermark` CTE: one row with the model's last run
    (`loaded_at`, the largest stored `_loaded_at`) and the first date of its lookback
    (`lookback_start_date`: the latest stored `date_column` - lookback_days + 1). An empty table
    gives 1900-01-01, so everything is recounted. Call it inside `{% if is_incremental() %}`;
    `relation` reads another model's table instead of this one's.
-#}
{% macro incremental_watermark(date_column, relation=none) -%}
    select
        max(_loaded_at) as loaded_at,
        coalesce(
            cast({{ dbt.dateadd('day', 1 - var('lookback_days', 3), 'max(' ~ date_column ~ ')') }} as date),
            cast('1900-01-01' as date)
        ) as lookback_start_date
    from {{ relation if relation is not none else this }}
{%- endmacro %}
