{#-
    The one pattern behind every family's history, transitions and KPIs: one row per user,
    history date and tier family, with the tier at the user's previous and next history date.
    A known user stays known, so the previous row is the previous history date (or none: the
    user entered the population there). Neighbours are taken once per user on the wide rows,
    then every family is unpivoted by the same loop (tier_families()).
-#}
with

tiers as (
    select * from {{ ref('int_user_tiers_assigned') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

tier_labels as (
    select * from {{ ref('tier_labels') }}
),

history as (
    select tiers.*
    from tiers
    inner join as_of_dates
        on tiers.as_of_date = as_of_dates.as_of_date
    where as_of_dates.is_history_date
),

sequenced as (
    select
        {%- for family in tier_families() %}
            {{ family }},
            lag({{ family }}) over (partition by user_id order by as_of_date) as previous_{{ family }},
            lead({{ family }}) over (partition by user_id order by as_of_date) as next_{{ family }},
        {%- endfor %}
        user_id,
        as_of_date as period_end,
        purchases_365d,
        net_gmv_365d,
        lag(as_of_date) over (partition by user_id order by as_of_date) as previous_period_end,
        lead(as_of_date) over (partition by user_id order by as_of_date) as next_period_end
    from history
),

unpivoted as (
    {%- for family in tier_families() %}
        select
            user_id,
            period_end,
            previous_period_end,
            next_period_end,
            purchases_365d,
            net_gmv_365d,
            '{{ family }}' as tier_family,
            {{ family }} as tier_code,
            previous_{{ family }} as previous_tier_code,
            next_{{ family }} as next_tier_code
        from sequenced
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- up and down follow the seed's tier_level (higher is better)
unpivoted_levelled as (
    select
        unpivoted.*,
        current_labels.tier_level,
        previous_labels.tier_level as previous_tier_level
    from unpivoted
    left join tier_labels as current_labels
        on
            unpivoted.tier_family = current_labels.family
            and unpivoted.tier_code = current_labels.tier_code
    left join tier_labels as previous_labels
        on
            unpivoted.tier_family = previous_labels.family
            and unpivoted.previous_tier_code = previous_labels.tier_code
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(period_end as date) as period_end,
        cast(tier_family as {{ dbt.type_string() }}) as tier_family,
        cast(tier_code as {{ dbt.type_string() }}) as tier_code,
        cast(previous_tier_code as {{ dbt.type_string() }}) as previous_tier_code,
        cast(next_tier_code as {{ dbt.type_string() }}) as next_tier_code,
        cast(
            case
                when previous_tier_code is null then 'entry'
                when previous_tier_code = tier_code then 'stay'
                when tier_level > previous_tier_level then 'up'
                when tier_level < previous_tier_level then 'down'
                else 'lateral'
            end as {{ dbt.type_string() }}
        ) as direction,
        cast(purchases_365d as integer) as purchases_365d,
        cast(net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(previous_tier_code is null as boolean) as is_entry,
        cast(previous_tier_code is null or previous_tier_code <> tier_code as boolean) as is_change,
        cast(previous_period_end as date) as previous_period_end,
        cast(next_period_end as date) as next_period_end
    from unpivoted_levelled
)

select * from final
