{#- Counts one checked raw table per raw file: rows read, kept, set aside and duplicates. -#}
{% macro file_outcome_counts(checked_cte, raw_table) -%}
    select
        '{{ raw_table }}' as raw_table,
        _source_file as source_file,
        count(*) as read_count,
        sum(case when reject_reason is null and not is_duplicate then 1 else 0 end) as kept_count,
        sum(case when reject_reason is not null then 1 else 0 end) as set_aside_count,
        sum(case when reject_reason is null and is_duplicate then 1 else 0 end) as duplicate_count
    from {{ checked_cte }}
    group by _source_file
{%- endmacro %}
