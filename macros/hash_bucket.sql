{#-
    A deterministic draw in [0, 2^32) from an md5 hex digest column (`md5(text)`, lowercase hex, as
    DuckDB and Spark write it): its first 8 hex digits read as an integer. Python gives the same
    number: int(hashlib.md5(text.encode()).hexdigest()[:8], 16). DuckDB casts the 8 digits as a
    hexadecimal literal ('0x...'); elsewhere plain SQL (no base conversion function is shared),
    each digit found by its position in '0123456789abcdef' (on DuckDB it took twice as long).
-#}
{% macro hash_bucket(md5_hex) -%}
    {{ return(adapter.dispatch('hash_bucket', 'livetier')(md5_hex)) }}
{%- endmacro %}

{% macro duckdb__hash_bucket(md5_hex) -%}
    cast('0x' || substring({{ md5_hex }}, 1, 8) as bigint)
{%- endmacro %}

{% macro default__hash_bucket(md5_hex) -%}
    (
        {%- for digit in range(8) %}
        cast({{ dbt.position("substring(" ~ md5_hex ~ ", " ~ (digit + 1) ~ ", 1)", "'0123456789abcdef'") }} - 1 as bigint)
        * {{ 16 ** (7 - digit) }}{{ ' +' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
