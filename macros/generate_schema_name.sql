{#-
    Exact schema names on DuckDB: a model configured with `+schema: segmentation` lands in
    `segmentation`, not dbt's default `<target schema>_segmentation`, so that a BI user sees schemas
    named for their readers (segmentation, operations, quality, seeds) and the internal layers
    apart (staging, intermediate, semantic). Without a configured schema: the target's (`main`).
    On Spark (the parity target) everything stays in the target schema, as before.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none or target.type == 'spark' -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
