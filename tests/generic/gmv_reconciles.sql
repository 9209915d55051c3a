{#-
    Per tier family of `model` (tier_kpis) at D (its rows with period_end = the facts'
    as_of_date): users add up to the users of `facts`, and net GMV over 365 days adds up to the
    net amount of the purchases dated in the last `window_365d_days` of `purchases`
    (int_purchases_netted) and to the facts' total. Returns one row per family that does not
    reconcile. (Earlier period ends reconcile with user_tier_history by construction of the
    same chain; tier_flows_conserve checks the counts.)
-#}
{% test gmv_reconciles(model, facts, purchases=ref('int_purchases_netted')) %}

with

facts as (
    select * from {{ facts }}
),

kpis as (
    select *
    from {{ model }}
    where period_end = (select max(facts.as_of_date) from facts)
),

purchases as (
    select * from {{ purchases }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

family_totals as (
    select
        tier_family,
        sum(user_count) as user_count,
        sum(net_gmv_365d) as net_gmv_365d
    from kpis
    group by tier_family
),

fact_totals as (
    select
        count(*) as user_count,
        coalesce(sum(net_gmv_365d), 0) as net_gmv_365d
    from facts
),

purchase_totals as (
    select coalesce(sum(net_amount), 0) as net_gmv_365d
    from purchases
    where days_before_as_of < {{ threshold('window_365d_days') }}
)

select
    family_totals.tier_family,
    family_totals.user_count,
    fact_totals.user_count as fact_user_count,
    family_totals.net_gmv_365d,
    fact_totals.net_gmv_365d as fact_net_gmv_365d,
    purchase_totals.net_gmv_365d as purchase_net_gmv_365d
from family_totals
cross join fact_totals
cross join purchase_totals
where family_totals.user_count <> fact_totals.user_count
    or family_totals.net_gmv_365d <> fact_totals.net_gmv_365d
    or family_totals.net_gmv_365d <> purchase_totals.net_gmv_365d

{% endtest %}
