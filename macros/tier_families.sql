{#-
    The tier families, in display order: every model that handles all families (history,
    transitions, matrix, KPIs, user_tiers) loops over this list, so a family is added in one place.
-#}
{% macro tier_families() -%}
    {{ return(['value_tier', 'lifecycle_stage', 'spend_tier', 'rfm_segment']) }}
{%- endmacro %}

{#-
    Users per history date, tier family and tier of `relation` (one row per user and date with a
    column per family, like user_tier_history), plus any further `aggregates` (SQL with alias).
-#}
{% macro tier_sizes_by_period(relation, aggregates=[]) -%}
    {%- for family in tier_families() %}
    select
        period_end,
        '{{ family }}' as tier_family,
        {{ family }} as tier_code,
        count(*) as user_count
        {%- for aggregate in aggregates %},
        {{ aggregate }}
        {%- endfor %}
    from {{ relation }}
    group by period_end, {{ family }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
