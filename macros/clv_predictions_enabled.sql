{#-
    True where the dbt Python models of the predictions (clv_model_fit, user_predictions, clv_backtest)
    run: DuckDB, in-process. dbt-spark runs Python models only on Databricks clusters, not in the local
    session of the parity target, so there they are disabled and user_tags keeps its rule-based tags.
    Their YAML uses the same condition (`enabled`).
-#}
{% macro clv_predictions_enabled() -%}
    {{- return(target.type == 'duckdb') -}}
{%- endmacro %}

{#- What int_user_predictions_available reads: user_predictions, or on other targets no rows of the same columns -#}
{% macro clv_predictions_source() -%}
    {%- if clv_predictions_enabled() -%}
        {{ ref('user_predictions') }}
    {%- else -%}
        (
            select
                cast(null as string) as user_id,
                cast(null as double) as p_alive,
                cast(null as double) as expected_purchases_30d
            where false
        )
    {%- endif -%}
{%- endmacro %}
