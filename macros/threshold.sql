{#-
    A segmentation threshold from the seed `seg_thresholds`, as a scalar subquery.

    The value valid at D: the calling model must import the seed's rows valid at D first, as
    the CTE `thresholds`:
        thresholds as (select * from {{ ref('int_thresholds_current') }}),
    so the dependency stays visible at the top of the model (unit tests give those rows as the
    CSV fixture tests/fixtures/thresholds_current.csv). The as-of chain reads the rows valid at
    each as-of date instead (macro thresholds_valid_on). The value is a decimal(18, 6):
    shares such as 0.2 compare exactly. The singular test `assert_threshold_names_exist_in_seed` fails when a name
    used here has no seed row.
-#}
{% macro threshold(threshold_name) -%}
    (select thresholds.threshold_value from thresholds where thresholds.threshold_name = '{{ threshold_name }}')
{%- endmacro %}
