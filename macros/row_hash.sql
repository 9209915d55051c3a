{#-
    A row's hash as a bigint, summable without overflow: hash() of the given expressions (both
    engines have a variadic hash: DuckDB's 64-bit, Spark's 32-bit Murmur3) reduced modulo a
    prime. Used as a change fingerprint (a sum per group), never as a key.
-#}
{% macro row_hash(expressions) -%}
    {%- if expressions | length == 0 -%}
        cast(0 as bigint)
    {%- else -%}
        cast(hash({{ expressions | join(', ') }}) % 1000000007 as bigint)
    {%- endif -%}
{%- endmacro %}

{#-
    The hash of a seg_thresholds row: the fingerprints (int_as_of_inputs_fingerprinted) and the
    chain's check for a seed edited since they were taken (recompute_from_upstream) must hash
    the same columns, or every run would see a changed rule.
-#}
{% macro threshold_row_hash() -%}
    {{ row_hash(['threshold_name', 'threshold_value', 'valid_from']) }}
{%- endmacro %}

{#-
    The columns of a built relation except the named ones, optionally prefixed with a table
    alias, read from the warehouse at run time (an empty list while dbt only parses).
-#}
{% macro columns_except(relation, excluded, alias=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in excluded -%}
            {%- do names.append((alias ~ '.' if alias else '') ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
