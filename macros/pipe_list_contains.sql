{#-
    True when `value` is one of the `|`-separated values of `pipe_list` (a seed column such as
    audience_lists.value_tiers), or when `pipe_list` is null (no filter). Exact match: `core_fan`
    is not in `core_fan_x|regular`. A null value is in no list.
-#}
{% macro pipe_list_contains(pipe_list, value) -%}
    (
        {{ pipe_list }} is null
        or {{ dbt.position(dbt.concat(["'|'", value, "'|'"]), dbt.concat(["'|'", pipe_list, "'|'"])) }} > 0
    )
{%- endmacro %}
