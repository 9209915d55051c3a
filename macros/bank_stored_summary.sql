{#-
    One row summing a stored bank `bank` (a relation with bank_date and _loaded_at): its row
    count, its first and last bank date, when it was built (the latest _loaded_at), and the min
    and max of each column in `bounded_columns` (min_<column>, max_<column>). The banks' kept
    checks (activity_bank_current, tier_spells_bank_stored_date) read it as their CTE `stored`.
-#}
{% macro bank_stored_summary(bank, bounded_columns=[]) -%}
    select
        count(*) as row_count,
        min(bank_date) as min_bank_date,
        max(bank_date) as max_bank_date,
        {%- for column in bounded_columns %}
            min({{ column }}) as min_{{ column }},
            max({{ column }}) as max_{{ column }},
        {%- endfor %}
        max(_loaded_at) as built_at
    from {{ bank }}
{%- endmacro %}
