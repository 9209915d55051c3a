{#-
    The reason's rule, evaluated again with the threshold rows of D, places every user in the
    tier user_tiers gives, in every family, and every user of user_tiers has a reason in each
    family: rows returned are users whose reason and tier disagree or are missing.
-#}
with

tiers as (
    select * from {{ ref('user_tiers') }}
),

reasons as (
    select * from {{ ref('user_tier_reasons') }}
),

tiers_by_family as (
    {%- for family in tier_families() %}
    select
        user_id,
        '{{ family }}' as family,
        {{ family }} as tier
    from tiers
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    coalesce(tiers_by_family.user_id, reasons.user_id) as user_id,
    coalesce(tiers_by_family.family, reasons.family) as family,
    tiers_by_family.tier as user_tier,
    reasons.tier as reason_tier,
    reasons.rule_id
from tiers_by_family
full outer join reasons
    on
        tiers_by_family.user_id = reasons.user_id
        and tiers_by_family.family = reasons.family
where
    tiers_by_family.user_id is null
    or reasons.user_id is null
    or reasons.rule_id <> tiers_by_family.tier
    or reasons.tier <> tiers_by_family.tier
