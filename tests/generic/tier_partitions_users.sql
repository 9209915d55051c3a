{#-
    Each tier column of `model` partitions the users: one row per user, no null tier in any
    family, and the same user set as `population` (both directions). Returns one row per
    problem.
-#}
{% test tier_partitions_users(model, population, tier_columns, key='user_id') %}

with

tiered as (
    select * from {{ model }}
),

population as (
    select * from {{ population }}
),

duplicated_users as (
    select
        {{ key }} as user_key,
        'more than one row' as problem
    from tiered
    group by {{ key }}
    having count(*) > 1
),

null_tiers as (
    {%- for tier_column in tier_columns %}
    select
        {{ key }} as user_key,
        'null {{ tier_column }}' as problem
    from tiered
    where {{ tier_column }} is null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

missing_users as (
    select
        population.{{ key }} as user_key,
        'in the population, not tiered' as problem
    from population
    left join tiered
        on population.{{ key }} = tiered.{{ key }}
    where tiered.{{ key }} is null
),

extra_users as (
    select
        tiered.{{ key }} as user_key,
        'tiered, not in the population' as problem
    from tiered
    left join population
        on tiered.{{ key }} = population.{{ key }}
    where population.{{ key }} is null
)

select * from duplicated_users
union all
select * from null_tiers
union all
select * from missing_users
union all
select * from extra_users

{% endtest %}
