{#-
    The hint that keeps a CTE read twice from being copied into memory: DuckDB materialises a CTE
    referenced more than once (a copy of every row of a wide event CTE); `not materialized` makes
    it expand at each reference, so each reader keeps only its own columns and rows. Spark inlines
    CTEs anyway and has no such syntax.
-#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'livetier')()) }}
{%- endmacro %}

{% macro default__inline_cte() -%}
{%- endmacro %}

{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}

{#-
    The opposite hint: a CTE computed once, on its own, before its readers (DuckDB). Its joins are
    then planned alone, not reordered with its readers' (a semi join with a few keys stays below
    the readers' joins of every row instead of being applied after them). Spark has no such syntax.
-#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'livetier')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}
