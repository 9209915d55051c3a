{#-
    Conservation of the transition matrix `model` (tier_transition_matrix) against the history
    `history` (user_tier_history, one tier column per family), per family and period end:
    the users leaving each from-tier (stays included) are that tier's users at the previous
    period end, the entries are the users whose first history row is this period end, and the
    users arriving in each to-tier are that tier's users now. Returns one row per mismatch.
-#}
{% test tier_flows_conserve(model, history) %}

with

matrix as (
    select * from {{ model }}
),

history as (
    select * from {{ history }}
),

tier_sizes as (
    {%- for family in tier_families() %}
    select
        period_end,
        '{{ family }}' as tier_family,
        {{ family }} as tier_code,
        count(*) as user_count
    from history
    group by period_end, {{ family }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

first_periods as (
    select
        user_id,
        min(period_end) as period_end
    from history
    group by user_id
),

entries as (
    select
        period_end,
        count(*) as user_count
    from first_periods
    group by period_end
),

outflows as (
    select
        from_period_end as period_end,
        tier_family,
        from_tier as tier_code,
        sum(user_count) as user_count
    from matrix
    where not is_entry
    group by from_period_end, tier_family, from_tier
),

inflows as (
    select
        period_end,
        tier_family,
        to_tier as tier_code,
        sum(user_count) as user_count
    from matrix
    group by period_end, tier_family, to_tier
),

matrix_entries as (
    select
        period_end,
        tier_family,
        sum(user_count) as user_count
    from matrix
    where is_entry
    group by period_end, tier_family
),

last_period as (
    select max(period_end) as period_end
    from history
),

outflow_mismatches as (
    select
        coalesce(tier_sizes.period_end, outflows.period_end) as period_end,
        coalesce(tier_sizes.tier_family, outflows.tier_family) as tier_family,
        coalesce(tier_sizes.tier_code, outflows.tier_code) as tier_code,
        'users leaving the tier <> its size at the previous period end' as problem
    from tier_sizes
    cross join last_period
    full outer join outflows
        on
            tier_sizes.period_end = outflows.period_end
            and tier_sizes.tier_family = outflows.tier_family
            and tier_sizes.tier_code = outflows.tier_code
    where
        (tier_sizes.period_end is null or tier_sizes.period_end < last_period.period_end)
        and coalesce(tier_sizes.user_count, 0) <> coalesce(outflows.user_count, 0)
),

inflow_mismatches as (
    select
        coalesce(tier_sizes.period_end, inflows.period_end) as period_end,
        coalesce(tier_sizes.tier_family, inflows.tier_family) as tier_family,
        coalesce(tier_sizes.tier_code, inflows.tier_code) as tier_code,
        'users arriving in the tier <> its size' as problem
    from tier_sizes
    full outer join inflows
        on
            tier_sizes.period_end = inflows.period_end
            and tier_sizes.tier_family = inflows.tier_family
            and tier_sizes.tier_code = inflows.tier_code
    where coalesce(tier_sizes.user_count, 0) <> coalesce(inflows.user_count, 0)
),

families as (
    select distinct tier_family
    from tier_sizes
),

expected_entries as (
    select
        entries.period_end,
        families.tier_family,
        entries.user_count
    from entries
    cross join families
),

entry_mismatches as (
    select
        coalesce(expected_entries.period_end, matrix_entries.period_end) as period_end,
        coalesce(expected_entries.tier_family, matrix_entries.tier_family) as tier_family,
        '(none)' as tier_code,
        'entries <> users first seen in the history at this period end' as problem
    from expected_entries
    full outer join matrix_entries
        on
            expected_entries.period_end = matrix_entries.period_end
            and expected_entries.tier_family = matrix_entries.tier_family
    where coalesce(expected_entries.user_count, 0) <> coalesce(matrix_entries.user_count, 0)
)

select * from outflow_mismatches
union all
select * from inflow_mismatches
union all
select * from entry_mismatches

{% endtest %}
