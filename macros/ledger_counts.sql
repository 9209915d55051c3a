{#- Counts one checked raw table by outcome (kept, set_aside, duplicate) and reason. -#}
{% macro ledger_counts(checked_cte, raw_table) -%}
    select
        '{{ raw_table }}' as raw_table,
        case
            when reject_reason is not null then 'set_aside'
            when is_duplicate then 'duplicate'
            else 'kept'
        end as outcome,
        case
            when reject_reason is not null then reject_reason
            when is_duplicate then 'duplicate'
        end as reason,
        count(*) as row_count
    from {{ checked_cte }}
    group by 1, 2, 3
{%- endmacro %}
