{#-
    The order a table of per-date rows is written in on DuckDB: `order by` the date `column`, so
    that each row group holds a few dates and a reader of recent dates (the windows before D, the
    days after the activity bank's date, the days leaving a fan window) skips the older row groups
    by their min/max instead of reading every row (written in the order of an aggregate or a
    window, every row group spanned the whole history). A night's delete+insert adds its few dates
    at the end. Nothing on Spark (a global sort; its partitions are dates already). Used by
    int_user_activity_daily and int_stream_user_days_summarized.
-#}
{% macro in_date_order(column) -%}
    {%- if target.type != 'spark' %}order by {{ column }}{% endif -%}
{%- endmacro %}
