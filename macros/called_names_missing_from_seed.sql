{#-
    The singular tests `assert_<seed>_names_exist_in_seed`: the names that models and tests of the
    project pass as the first argument of `macro_name('<name>', ...)` and that have no row in
    `seed` (column `name_column`). Such a call's scalar subquery would silently be null and its
    rule or check would never fire.
-#}
{% macro called_names_missing_from_seed(macro_name, seed, name_column) %}
    {%- set used_names = [] -%}
    {%- if execute -%}
        {%- set pattern = "(?<![A-Za-z0-9_])" ~ macro_name ~ "[(]\\s*'([A-Za-z0-9_]+)'" -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.package_name == project_name and node.raw_code is defined -%}
                {%- for name in modules.re.findall(pattern, node.raw_code) -%}
                    {%- if name not in used_names -%}
                        {%- do used_names.append(name) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif %}
with

seed_rows as (
    select * from {{ ref(seed) }}
),

used_names as (
    {%- for name in used_names | sort %}
    select '{{ name }}' as used_name
    union all
    {%- endfor %}
    select cast(null as {{ dbt.type_string() }}) as used_name
    from seed_rows
    where false
)

select used_names.used_name
from used_names
left join seed_rows
    on used_names.used_name = seed_rows.{{ name_column }}
where seed_rows.{{ name_column }} is null
{% endmacro %}
