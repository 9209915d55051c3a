{#-
    A number as short text for explanations: whole values without decimals (`3`, not `3.000000`),
    others without trailing zeros (`0.8`), the same digits on every engine; `null` for null.
-#}
{% macro number_text(value) -%}
    {%- set expr = '(' ~ value ~ ')' -%}
    coalesce(
        case
            when {{ expr }} = floor({{ expr }})
                then cast(cast({{ expr }} as bigint) as {{ dbt.type_string() }})
            else regexp_replace(cast(cast({{ expr }} as decimal(18, 6)) as {{ dbt.type_string() }}), '0+$', '')
        end,
        'null'
    )
{%- endmacro %}
