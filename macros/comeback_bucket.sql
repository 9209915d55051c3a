{#-
    The comeback bucket of a date: dates are cut into buckets of churn_after_days + 1 days counted
    from 2000-01-01, so two active days of one bucket are at most churn_after_days apart and a
    comeback day (after at least churn_after_days whole inactive days) can only be the first active
    day of its bucket. `churn_after_days` is an SQL expression of the threshold; below 0 (every
    later day a comeback) the buckets are one date. int_user_activity_summarized and the activity
    bank (int_user_activity_banked) cut the same buckets.
-#}
{% macro comeback_bucket_number(date_column, churn_after_days) -%}
    cast(floor(
        {{ dbt.datediff("cast('2000-01-01' as date)", date_column, 'day') }}
        / (greatest({{ churn_after_days }}, 0) + 1)
    ) as integer)
{%- endmacro %}

{#- The width in days of the comeback buckets (SQL) -#}
{% macro comeback_bucket_days(churn_after_days) -%}
    greatest({{ churn_after_days }}, 0) + 1
{%- endmacro %}
