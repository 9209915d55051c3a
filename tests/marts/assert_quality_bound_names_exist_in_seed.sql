{#-
    Fails when a model or test of the project calls `quality_bound('<name>', ...)` with a name
    that has no row in the seed `quality_bounds` (the scalar subquery would silently be null
    and the check would never fire).
-#}
{%- set used_names = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.package_name == project_name and node.raw_code is defined -%}
            {%- for bound_name in modules.re.findall("quality_bound[(]\\s*'([A-Za-z0-9_]+)'", node.raw_code) -%}
                {%- if bound_name not in used_names -%}
                    {%- do used_names.append(bound_name) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

used_names as (
    {%- for bound_name in used_names %}
    select '{{ bound_name }}' as bound_name
    union all
    {%- endfor %}
    select cast(null as {{ dbt.type_string() }}) as bound_name
    from quality_bounds
    where false
)

select used_names.bound_name
from used_names
left join quality_bounds
    on used_names.bound_name = quality_bounds.bound_name
where quality_bounds.bound_name is null
