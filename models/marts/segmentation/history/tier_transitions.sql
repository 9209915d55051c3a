-- depends_on: {{ ref('int_history_runs_logged') }}
-- depends_on: {{ ref('int_as_of_date') }}
{#-
    The changes of user_tier_history, for every family by one pattern (tier_families()): each
    history row next to the same user's row at the previous history date, kept per family where
    the tier differs (or there is no previous row: an entry). The matrix, the KPIs' moves and
    the spells of user_tiers are counted from these rows. Incremental by period end on DuckDB:
    a run rewrites the period ends from X on (macro history_recompute_from), reading the
    history from the history date before X.
    Config (append, the pre-hook's delete, the post-hook's run log): dbt_project.yml, one block
    for the four history marts.
-#}
{%- set from_date = history_recompute_from() %}
with

history as (
    select * from {{ ref('user_tier_history') }}
    {%- if from_date is not none %}
        where period_end >= {{ history_date_before("cast('" ~ from_date ~ "' as date)") }}
    {%- endif %}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

tier_labels as (
    select * from {{ ref('tier_labels') }}
),

-- a known user stays known, so the user's previous history row is the one at the previous
-- history date (an equality join: cheaper than a window over every row); none for an entry
history_paired as (
    select
        {%- for family in tier_families() %}
            history.{{ family }},
            previous_history.{{ family }} as previous_{{ family }},
        {%- endfor %}
        history.user_id,
        history.period_end,
        previous_history.period_end as previous_period_end
    from history
    inner join as_of_dates
        on history.period_end = as_of_dates.as_of_date
    left join history as previous_history
        on
            history.user_id = previous_history.user_id
            and as_of_dates.previous_history_date = previous_history.period_end
    {{- recomputed_dates_only(from_date, 'history.period_end') }}
),

changes as (
    {%- for family in tier_families() %}
        select
            user_id,
            period_end,
            previous_period_end,
            '{{ family }}' as tier_family,
            previous_{{ family }} as from_tier,
            {{ family }} as to_tier
        from history_paired
        where previous_{{ family }} is null or previous_{{ family }} <> {{ family }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- up and down follow the seed's tier_level (higher is better)
changes_levelled as (
    select
        changes.*,
        to_labels.tier_level as to_tier_level,
        from_labels.tier_level as from_tier_level
    from changes
    left join tier_labels as to_labels
        on
            changes.tier_family = to_labels.family
            and changes.to_tier = to_labels.tier_code
    left join tier_labels as from_labels
        on
            changes.tier_family = from_labels.family
            and changes.from_tier = from_labels.tier_code
),

final as (
    select
        cast(user_id as string) as user_id,
        cast(period_end as date) as period_end,
        cast(tier_family as string) as tier_family,
        cast(from_tier as string) as from_tier,
        cast(to_tier as string) as to_tier,
        cast(
            case
                when from_tier is null then 'entry'
                when to_tier_level > from_tier_level then 'up'
                when to_tier_level < from_tier_level then 'down'
                else 'lateral'
            end as string
        ) as direction,
        cast(previous_period_end as date) as from_period_end,
        cast(from_tier is null as boolean) as is_entry
    from changes_levelled
)

select * from final
