{#-
    Fails when a model or test of the project calls `threshold('<name>')` with a name
    that has no row in the seed `seg_thresholds` (the scalar subquery would silently be null
    and the rule would never match).
-#}
{%- set used_names = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.package_name == project_name and node.raw_code is defined -%}
            {%- for threshold_name in modules.re.findall("threshold[(]\\s*'([A-Za-z0-9_]+)'\\s*[)]", node.raw_code) -%}
                {%- if threshold_name not in used_names -%}
                    {%- do used_names.append(threshold_name) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

used_names as (
    {%- for threshold_name in used_names %}
    select '{{ threshold_name }}' as threshold_name
    union all
    {%- endfor %}
    select cast(null as {{ dbt.type_string() }}) as threshold_name
    from thresholds
    where false
)

select used_names.threshold_name
from used_names
left join thresholds
    on used_names.threshold_name = thresholds.threshold_name
where thresholds.threshold_name is null
