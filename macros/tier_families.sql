{#-
    The tier families, in display order: every model that handles all families (history
    unpivot, transitions, KPIs) loops over this list, so a family is added in one place.
-#}
{% macro tier_families() -%}
    {{ return(['value_tier', 'lifecycle_stage', 'spend_tier', 'rfm_segment']) }}
{%- endmacro %}
