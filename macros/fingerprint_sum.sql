{#-
    A change-tracking fingerprint of a set of rows: the sum of a 64-bit hash of each row's
    expressions (an aggregate, so a group's fingerprint does not depend on row order; null over
    no rows). Two sets with the same fingerprint are taken as equal: an incremental model stores
    the fingerprint of what it read and recomputes a group when the fingerprint differs.
-#}
{% macro fingerprint_sum(expressions) -%}
    {{ return(adapter.dispatch('fingerprint_sum', 'livetier')(expressions)) }}
{%- endmacro %}

{% macro default__fingerprint_sum(expressions) -%}
    cast(sum(cast(hash({{ expressions | join(', ') }}) as decimal(38, 0))) as decimal(38, 0))
{%- endmacro %}

{% macro spark__fingerprint_sum(expressions) -%}
    cast(sum(cast(xxhash64({{ expressions | join(', ') }}) as decimal(38, 0))) as decimal(38, 0))
{%- endmacro %}
