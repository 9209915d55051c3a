{#-
    The one pattern behind every family's history, transitions and KPIs: one row per user,
    history date and tier family, with the tier at the user's previous and next history date.
    A known user stays known, so the previous row is the previous history date (or none: the
    user entered the population there).
-#}
with

tiers as (
    select * from {{ ref('int_user_tiers_assigned') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

history as (
    select tiers.*
    from tiers
    inner join as_of_dates
        on tiers.as_of_date = as_of_dates.as_of_date
    where as_of_dates.is_history_date
),

unpivoted as (
    {%- for family in tier_families() %}
    select
        user_id,
        as_of_date as period_end,
        '{{ family }}' as tier_family,
        {{ family }} as tier_code,
        purchases_365d,
        net_gmv_365d
    from history
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

sequenced as (
    select
        *,
        lag(period_end) over (partition by user_id, tier_family order by period_end) as previous_period_end,
        lag(tier_code) over (partition by user_id, tier_family order by period_end) as previous_tier_code,
        lead(period_end) over (partition by user_id, tier_family order by period_end) as next_period_end,
        lead(tier_code) over (partition by user_id, tier_family order by period_end) as next_tier_code
    from unpivoted
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(period_end as date) as period_end,
        cast(tier_family as {{ dbt.type_string() }}) as tier_family,
        cast(tier_code as {{ dbt.type_string() }}) as tier_code,
        cast(previous_tier_code as {{ dbt.type_string() }}) as previous_tier_code,
        cast(next_tier_code as {{ dbt.type_string() }}) as next_tier_code,
        cast(purchases_365d as integer) as purchases_365d,
        cast(net_gmv_365d as decimal(18, 2)) as net_gmv_365d,
        cast(previous_tier_code is null as boolean) as is_entry,
        cast(previous_tier_code is null or previous_tier_code <> tier_code as boolean) as is_change,
        cast(previous_period_end as date) as previous_period_end,
        cast(next_period_end as date) as next_period_end
    from sequenced
)

select * from final
