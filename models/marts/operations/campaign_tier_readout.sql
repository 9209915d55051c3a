{#-
    Campaign readout per campaign x tier family x the tier each user held the day before the
    touch, from the campaign's users as int_campaign_users_tiered counts them (arm, conversion,
    cluster, and the tier at the eve from the as-of chain, never one computed with later data).
    Intervals are cluster-robust (CR1 sandwich, DECISIONLOG "Campaign readout intervals") over
    the users' clusters (viewers of one stream buy together). The conversion uplift's error
    is the larger of that and the Agresti-Caffo error (each arm's rate taken as (converted +
    uplift_pseudo_conversions) / (users + 2 x uplift_pseudo_conversions)), which stays honest
    when an arm has few or no conversions; the interval is centred on absolute_uplift.
-#}
with

campaign_users as (
    select * from {{ ref('int_campaign_users_tiered') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

rule_numbers as (
    select
        cast({{ threshold('attribution_days') }} as integer) as attribution_days,
        cast({{ threshold('uplift_ci_z') }} as double) as ci_z,
        cast({{ threshold('readout_min_users_per_arm') }} as integer) as min_users_per_arm,
        cast({{ threshold('uplift_pseudo_conversions') }} as double) as pseudo_conversions
),

-- one row per user and family; the family `all` (tier `all`) is the whole campaign
users_by_family as (
    {%- for family in tier_families() + ['all'] %}
        select
            campaign_id,
            user_id,
            is_treated,
            has_opened,
            is_converted,
            converted_net_gmv,
            cluster_key,
            sent_date,
            '{{ family }}' as tier_family,
            {{ family if family != 'all' else "'all'" }} as tier_code
        from campaign_users
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

cells as (
    select
        campaign_id,
        tier_family,
        tier_code,
        min(sent_date) as first_sent_date,
        max(sent_date) as last_sent_date,
        sum(case when is_treated then 1 else 0 end) as treatment_users,
        sum(case when not is_treated then 1 else 0 end) as control_users,
        sum(case when is_treated and has_opened then 1 else 0 end) as treatment_opened_users,
        sum(case when is_treated and is_converted then 1 else 0 end) as treatment_converted_users,
        sum(case when not is_treated and is_converted then 1 else 0 end) as control_converted_users,
        sum(case when is_treated then converted_net_gmv else 0 end) as treatment_net_gmv,
        sum(case when not is_treated then converted_net_gmv else 0 end) as control_net_gmv
    from users_by_family
    group by campaign_id, tier_family, tier_code
),

campaign_dates as (
    select
        campaign_id,
        min(first_sent_date) as first_sent_date,
        max(last_sent_date) as last_sent_date
    from cells
    group by campaign_id
),

rates as (
    select
        cells.*,
        cast(cells.treatment_converted_users as double) / nullif(cells.treatment_users, 0)
            as treatment_conversion_rate,
        cast(cells.control_converted_users as double) / nullif(cells.control_users, 0)
            as control_conversion_rate,
        cast(cells.treatment_net_gmv as double) / nullif(cells.treatment_users, 0) as treatment_gmv_mean,
        cast(cells.control_net_gmv as double) / nullif(cells.control_users, 0) as control_gmv_mean
    from cells
),

-- each user's part of the estimate's error (influence on treated mean minus control mean):
-- treated (y - treated mean) / treated users; control -(y - control mean) / control users
user_influences as (
    select
        users_by_family.campaign_id,
        users_by_family.tier_family,
        users_by_family.tier_code,
        users_by_family.cluster_key,
        case
            when users_by_family.is_treated
                then
                    (
                        (case when users_by_family.is_converted then 1.0 else 0.0 end)
                        - rates.treatment_conversion_rate
                    ) / rates.treatment_users
            else
                -(
                    (case when users_by_family.is_converted then 1.0 else 0.0 end)
                    - rates.control_conversion_rate
                ) / rates.control_users
        end as conversion_influence,
        case
            when users_by_family.is_treated
                then
                    (cast(users_by_family.converted_net_gmv as double) - rates.treatment_gmv_mean)
                    / rates.treatment_users
            else
                -(cast(users_by_family.converted_net_gmv as double) - rates.control_gmv_mean)
                / rates.control_users
        end as gmv_influence
    from users_by_family
    inner join rates
        on
            users_by_family.campaign_id = rates.campaign_id
            and users_by_family.tier_family = rates.tier_family
            and users_by_family.tier_code = rates.tier_code
),

cluster_influences as (
    select
        campaign_id,
        tier_family,
        tier_code,
        cluster_key,
        -- exact (decimal) sums: the result does not depend on the order rows are added in, so an
        -- incremental build equals a full refresh to the last digit
        sum(cast(conversion_influence as decimal(38, 18))) as conversion_influence,
        sum(cast(gmv_influence as decimal(38, 18))) as gmv_influence
    from user_influences
    group by campaign_id, tier_family, tier_code, cluster_key
),

-- CR1 sandwich: clusters / (clusters - 1) x the sum over clusters of the squared summed influence
cluster_variances as (
    select
        campaign_id,
        tier_family,
        tier_code,
        count(*) as clusters,
        cast(sum(cast(
            cast(conversion_influence as double) * cast(conversion_influence as double) as decimal(38, 18)
        )) as double) as conversion_influence_squares,
        cast(sum(cast(
            cast(gmv_influence as double) * cast(gmv_influence as double) as decimal(38, 12)
        )) as double) as gmv_influence_squares
    from cluster_influences
    group by campaign_id, tier_family, tier_code
),

uplift as (
    select
        rates.*,
        cluster_variances.clusters,
        (
            rates.treatment_users < rule_numbers.min_users_per_arm
            or rates.control_users < rule_numbers.min_users_per_arm
        ) as is_too_small_to_read,
        rates.treatment_conversion_rate - rates.control_conversion_rate as absolute_uplift,
        rates.treatment_gmv_mean - rates.control_gmv_mean as gmv_per_user_uplift,
        sqrt(
            cast(cluster_variances.clusters as double) / nullif(cluster_variances.clusters - 1, 0)
            * cluster_variances.conversion_influence_squares
        ) as cluster_uplift_standard_error,
        -- Agresti-Caffo: each arm's rate with pseudo conversions and as many pseudo non-conversions
        sqrt(
            (rates.treatment_converted_users + rule_numbers.pseudo_conversions)
            * (rates.treatment_users - rates.treatment_converted_users + rule_numbers.pseudo_conversions)
            / power(rates.treatment_users + 2 * rule_numbers.pseudo_conversions, 3)
            + (rates.control_converted_users + rule_numbers.pseudo_conversions)
            * (rates.control_users - rates.control_converted_users + rule_numbers.pseudo_conversions)
            / power(rates.control_users + 2 * rule_numbers.pseudo_conversions, 3)
        ) as adjusted_uplift_standard_error,
        sqrt(
            cast(cluster_variances.clusters as double) / nullif(cluster_variances.clusters - 1, 0)
            * cluster_variances.gmv_influence_squares
        ) as cluster_gmv_uplift_standard_error
    from rates
    inner join cluster_variances
        on
            rates.campaign_id = cluster_variances.campaign_id
            and rates.tier_family = cluster_variances.tier_family
            and rates.tier_code = cluster_variances.tier_code
    cross join rule_numbers
),

-- a cell too small to read keeps its point estimates but gets no standard error or interval;
-- the conversion error is the larger of the cluster-robust and the Agresti-Caffo one
readable as (
    select
        uplift.*,
        case
            when not uplift.is_too_small_to_read
                then greatest(uplift.cluster_uplift_standard_error, uplift.adjusted_uplift_standard_error)
        end as uplift_standard_error,
        case when not uplift.is_too_small_to_read then uplift.cluster_gmv_uplift_standard_error end
            as gmv_uplift_standard_error
    from uplift
),

final as (
    select
        cast(readable.campaign_id as string) as campaign_id,
        cast(readable.tier_family as string) as tier_family,
        cast(readable.tier_code as string) as tier_code,
        cast(campaign_dates.first_sent_date as date) as first_sent_date,
        cast(rule_numbers.attribution_days as integer) as attribution_days,
        cast(
            {{ dbt.dateadd('day', 'rule_numbers.attribution_days', 'campaign_dates.last_sent_date') }}
            <= as_of.as_of_date as boolean
        ) as is_attribution_complete,
        cast(readable.treatment_users as integer) as treatment_users,
        cast(readable.control_users as integer) as control_users,
        cast(readable.treatment_opened_users as integer) as treatment_opened_users,
        cast(readable.treatment_opened_users as double) / nullif(readable.treatment_users, 0) as treatment_open_rate,
        cast(readable.treatment_converted_users as integer) as treatment_converted_users,
        cast(readable.control_converted_users as integer) as control_converted_users,
        cast(readable.treatment_conversion_rate as double) as treatment_conversion_rate,
        cast(readable.control_conversion_rate as double) as control_conversion_rate,
        cast(readable.absolute_uplift as double) as absolute_uplift,
        cast(readable.uplift_standard_error as double) as uplift_standard_error,
        cast(readable.absolute_uplift - rule_numbers.ci_z * readable.uplift_standard_error as double) as uplift_ci_low,
        cast(readable.absolute_uplift + rule_numbers.ci_z * readable.uplift_standard_error as double) as uplift_ci_high,
        cast(readable.absolute_uplift / nullif(readable.control_conversion_rate, 0) as double) as relative_uplift,
        cast(readable.gmv_per_user_uplift as double) as gmv_per_user_uplift,
        cast(readable.gmv_uplift_standard_error as double) as gmv_per_user_uplift_standard_error,
        cast(readable.gmv_per_user_uplift - rule_numbers.ci_z * readable.gmv_uplift_standard_error as double)
            as gmv_per_user_uplift_ci_low,
        cast(readable.gmv_per_user_uplift + rule_numbers.ci_z * readable.gmv_uplift_standard_error as double)
            as gmv_per_user_uplift_ci_high,
        cast(readable.clusters as integer) as uplift_clusters,
        cast(readable.is_too_small_to_read as boolean) as is_too_small_to_read,
        cast(readable.treatment_net_gmv as decimal(18, 2)) as treatment_net_gmv,
        cast(readable.control_net_gmv as decimal(18, 2)) as control_net_gmv,
        cast({{ divide_exact('readable.treatment_net_gmv', 'readable.treatment_users', wide=true) }} as decimal(18, 6))
            as treatment_net_gmv_per_user,
        cast({{ divide_exact('readable.control_net_gmv', 'readable.control_users', wide=true) }} as decimal(18, 6))
            as control_net_gmv_per_user,
        cast(as_of.as_of_date as date) as as_of_date
    from readable
    inner join campaign_dates
        on readable.campaign_id = campaign_dates.campaign_id
    cross join rule_numbers
    cross join as_of
)

select * from final
