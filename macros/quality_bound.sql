{#-
    A data-quality bound from the seed `quality_bounds`, cast to `data_type`, as a scalar subquery.

    The calling model imports the seed first, as the CTE `quality_bounds`:
        quality_bounds as (select * from {{ ref('quality_bounds') }}),
    like `threshold()` does for `seg_thresholds`. The subquery is uncorrelated, so the engine
    evaluates it once per query, not once per row (cheap on the events hot path). The singular
    test `assert_quality_bound_names_exist_in_seed` fails when a name used here has no seed row.
-#}
{% macro quality_bound(bound_name, data_type) -%}
    (
        select cast(quality_bounds.bound_value as {{ data_type }})
        from quality_bounds
        where quality_bounds.bound_name = '{{ bound_name }}'
    )
{%- endmacro %}
