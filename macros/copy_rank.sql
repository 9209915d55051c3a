{#-
    Ranks the copies of a key among rows with the same check outcome. Copy 1 of a row that
    passed its checks is kept; the others are duplicates. The rule does not depend on read
    order: copies are ordered by their raw text, column by column (nulls last), then by file name.
    Expects the columns in `order_columns` and `_source_file`, `reject_reason` in scope.
-#}
{% macro copy_rank(key_columns, order_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}, (reject_reason is null)
        order by
            {%- for col in order_columns %}
            {{ col }} asc nulls last,
            {%- endfor %}
            _source_file asc nulls last
    )
{%- endmacro %}
