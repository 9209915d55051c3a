{#-
    A segmentation threshold from the seed `seg_thresholds`, as a scalar subquery.

    The calling model must import the seed first, as the CTE `thresholds`:
        thresholds as (select * from {{ ref('seg_thresholds') }}),
    so the dependency stays visible at the top of the model (and unit tests can give the
    seed rows as a fixture). The value is a decimal(18, 6): shares such as 0.2 compare
    exactly. The singular test `assert_threshold_names_exist_in_seed` fails when a name
    used here has no seed row.
-#}
{% macro threshold(threshold_name) -%}
    (select thresholds.threshold_value from thresholds where thresholds.threshold_name = '{{ threshold_name }}')
{%- endmacro %}
