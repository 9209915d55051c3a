{#-
    The watermark of an incremental model whose rows carry `as_of_date` and `_loaded_at`: the
    start of the last run that wrote rows (`loaded_at`, null on an empty table) and the dates
    between that run's D and this one's (`from_date` < dates <= `to_date`; equal when D did not
    move). `stored_rows` is the model's table or a CTE over it; the calling model must import D
    first as the CTE `as_of` (select * from ref('int_as_of_date')).
-#}
{% macro last_run_watermark(stored_rows) -%}
    select
        last_run.loaded_at,
        least(max(previous_rows.as_of_date), max(as_of.as_of_date)) as from_date,
        greatest(max(previous_rows.as_of_date), max(as_of.as_of_date)) as to_date
    from (select max(_loaded_at) as loaded_at from {{ stored_rows }}) as last_run
    cross join as_of
    left join {{ stored_rows }} as previous_rows
        on last_run.loaded_at = previous_rows._loaded_at
    group by last_run.loaded_at
{%- endmacro %}
