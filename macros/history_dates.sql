{#- The history dates (period ends and D) as a relation with column as_of_date, for delete_recomputed_dates. -#}
{% macro history_dates() -%}
    (select as_of_date from {{ ref('int_as_of_dates') }} where is_history_date)
{%- endmacro %}
