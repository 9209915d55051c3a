{#-
    A select with one row per date from `start_date` to `end_date` (inclusive), named `alias`:
    both are date expressions over the columns of the CTE `from_cte` (one row). Use it as the
    body of a CTE. DuckDB expands a list (`generate_series`), Spark a `sequence`.
-#}
{% macro date_series(from_cte, start_date, end_date, alias) %}
    {{ return(adapter.dispatch('date_series', 'livetier')(from_cte, start_date, end_date, alias)) }}
{% endmacro %}

{% macro default__date_series(from_cte, start_date, end_date, alias) -%}
    select
        cast(
            unnest(generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day))
            as date
        ) as {{ alias }}
    from {{ from_cte }}
    where {{ start_date }} <= {{ end_date }}
{%- endmacro %}

{% macro spark__date_series(from_cte, start_date, end_date, alias) -%}
    select explode(sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day)) as {{ alias }}
    from {{ from_cte }}
    where {{ start_date }} <= {{ end_date }}
{%- endmacro %}
