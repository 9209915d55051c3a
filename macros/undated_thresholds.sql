{#-
    The thresholds that shape the facts themselves (window lengths, the session cap, the RFM
    window, the lifecycle look-backs): the facts of every as-of date are computed in one pass
    with one value, so these cannot change at a date. int_thresholds_current stops the build
    when one of them has a row other than one valid from the beginning of time (1900-01-01);
    editing that row restates the whole history.
-#}
{% macro undated_thresholds() -%}
    {{ return([
        'window_7d_days', 'window_30d_days', 'window_90d_days', 'window_365d_days',
        'max_session_minutes', 'rfm_window_days', 'silent_after_days', 'churn_after_days',
    ]) }}
{%- endmacro %}
