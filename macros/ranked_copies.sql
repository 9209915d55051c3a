{#-
    Three CTEs that give every row of `relation` its copy outcome, `is_duplicate`, ranking only
    the copies of a repeated key (a window over every row would sort the whole table; few keys
    repeat):
    - `repeated_keys`: the keys with more than one row (among the rows where `changed` holds, when
      given: an incremental run ranks only the keys it touches);
    - `copies_flagged`: every row with `is_repeated`, read twice below, so expanded at each read
      and not copied (inline_cte);
    - `ranked`: a row of a key that occurs once is its only copy and takes `single_copy_is_duplicate`
      (false, or the stored outcome of an unchanged row); the copies of a repeated key are ranked
      by `order_columns` (macro copy_rank), and every copy after the first of those that passed
      their checks is a duplicate.
    The caller writes `{{ ranked_copies(...) }},` between its own CTEs and reads `ranked`.
-#}
{% macro ranked_copies(relation, key_columns, order_columns, changed=none, single_copy_is_duplicate='false') -%}
repeated_keys as (
    select
        {%- for col in key_columns %}
        {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    where
        {%- for col in key_columns %}
        {{ 'and ' if not loop.first }}{{ col }} is not null
        {%- endfor %}
        {%- if changed %}
        and {{ changed }}
        {%- endif %}
    group by {{ key_columns | join(', ') }}
    having count(*) > 1
),

copies_flagged as {{ inline_cte() }} (
    select
        {{ relation }}.*,
        repeated_keys.{{ key_columns[0] }} is not null as is_repeated
    from {{ relation }}
    left join repeated_keys
        on
            {%- for col in key_columns %}
            {{ 'and ' if not loop.first }}{{ relation }}.{{ col }} = repeated_keys.{{ col }}
            {%- endfor %}
),

ranked as (
    select
        *,
        {{ single_copy_is_duplicate }} as is_duplicate
    from copies_flagged
    where not is_repeated
    union all
    select
        *,
        {{ copy_rank(key_columns, order_columns) }} > 1
        and reject_reason is null as is_duplicate
    from copies_flagged
    where is_repeated
)
{%- endmacro %}
