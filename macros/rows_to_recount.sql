{#-
    The body of a CTE keeping the rows of the CTE `from_cte` that an incremental run recounts:
    those whose `date_column` is in the lookback (>= watermark.lookback_start_date) or among the
    changed dates. Reads the CTEs `watermark` (incremental_watermark) and `changed_dates`
    (changed_dates_since_watermark). `start_date` (recount_start_date: the earliest of those
    dates, as a literal) adds a bound the scan of the events can use; it keeps every such row.
-#}
{% macro rows_to_recount(from_cte, date_column, start_date=none) -%}
    select {{ from_cte }}.*
    from {{ from_cte }}
    cross join watermark
    where
        {{ from_cte }}.{{ date_column }} >= cast('{{ start_date or "1900-01-01" }}' as date)
        and (
            {{ from_cte }}.{{ date_column }} >= watermark.lookback_start_date
            or {{ from_cte }}.{{ date_column }} in (select changed_dates.changed_date from changed_dates)
        )
{%- endmacro %}
