{#-
    Integer division (floor) of two integer expressions, exact on every engine:
    `/` returns a double on both DuckDB and Spark.
-#}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide', 'livetier')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    cast(floor(({{ numerator }}) / ({{ denominator }})) as bigint)
{%- endmacro %}

{% macro duckdb__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}

{#-
    The integer type of divide_exact's wide products: 128 bits on DuckDB (hugeint), a decimal of
    38 digits on Spark (no 128-bit integer there; `div` of such decimals is exact).
-#}
{% macro exact_integer_type() -%}
    {{ return(adapter.dispatch('exact_integer_type', 'livetier')()) }}
{%- endmacro %}

{% macro default__exact_integer_type() -%}
    decimal(38, 0)
{%- endmacro %}

{% macro duckdb__exact_integer_type() -%}
    hugeint
{%- endmacro %}
