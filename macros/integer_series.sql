{#-
    A select with one row per row of the CTE `from_cte` and integer k = 0 .. `row_count` - 1
    (an integer expression over its columns), named `alias`, beside the listed `columns` of
    `from_cte`. No row when `row_count` <= 0. Use it as the body of a CTE. DuckDB expands a list
    (`generate_series`), Spark a `sequence`.
-#}
{% macro integer_series(from_cte, row_count, alias, columns) %}
    {{ return(adapter.dispatch('integer_series', 'livetier')(from_cte, row_count, alias, columns)) }}
{% endmacro %}

{% macro default__integer_series(from_cte, row_count, alias, columns) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        cast(unnest(generate_series(0, cast({{ row_count }} as bigint) - 1)) as bigint) as {{ alias }}
    from {{ from_cte }}
    where {{ row_count }} > 0
{%- endmacro %}

{% macro spark__integer_series(from_cte, row_count, alias, columns) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        -- a generator cannot be nested in a cast on Spark: the bounds carry the type
        explode(sequence(cast(0 as bigint), cast({{ row_count }} as bigint) - 1)) as {{ alias }}
    from {{ from_cte }}
    where {{ row_count }} > 0
{%- endmacro %}
