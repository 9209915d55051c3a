{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='append',
        pre_hook=(
            "{{ delete_recomputed_dates("
            "recompute_from_upstream(ref('int_user_facts_snapshotted')), ref('int_user_facts_snapshotted')) }}"
        ),
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
{#-
    RFM over the buyers of each as-of date P (spec "RFM"): every count, total and score is
    taken within P, with the threshold rows valid on P, so the rows of one date are exactly what
    a build with as_of_date = P gives. user_rfm is the slice at D.

    Incremental by as-of date: a run recomputes the dates int_user_facts_snapshotted rewrote
    since this model's last run (macro recompute_from_upstream).
-#}
{%- set from_date = recompute_from_upstream(ref('int_user_facts_snapshotted')) %}
with

facts as {{ inline_cte() }} (
    select * from {{ ref('int_user_facts_snapshotted') }}
    {{- recomputed_dates_only(from_date) }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

-- the rule numbers of each as-of date: the seed rows valid on it
rules as (
    {{ thresholds_valid_on('thresholds', 'facts', ['rfm_score_buckets']) }}
),

-- buyers: at least one purchase in the RFM window (F counts them)
buyers as (
    select
        facts.user_id,
        facts.as_of_date,
        facts.recency_days,
        facts.f_value,
        facts.m_value,
        cast(rules.rfm_score_buckets as bigint) as score_buckets
    from facts
    inner join rules
        on facts.as_of_date = rules.as_of_date
    where facts.f_value > 0
),

-- k per value: the number of the date's buyers at or below it (for R at or above it); the
-- RANGE frame counts ties together, so equal values share k
buyers_counted as (
    select
        *,
        count(*) over (partition by as_of_date) as buyer_count,
        count(*) over (
            partition by as_of_date
            order by recency_days desc nulls last
            range between unbounded preceding and current row
        ) as r_cume_count,
        count(*) over (
            partition by as_of_date
            order by f_value asc nulls last
            range between unbounded preceding and current row
        ) as f_cume_count,
        count(*) over (
            partition by as_of_date
            order by m_value asc nulls last
            range between unbounded preceding and current row
        ) as m_cume_count,
        sum(recency_days) over (partition by as_of_date) as recency_days_total,
        sum(f_value) over (partition by as_of_date) as f_value_total,
        sum(m_value) over (partition by as_of_date) as m_value_total
    from buyers
),

-- score = ceil(buckets x k / n) in integers; high/low against the buyers' mean, as value x n
-- against the total
buyers_scored as (
    select
        *,
        {{ integer_divide('score_buckets * r_cume_count + buyer_count - 1', 'buyer_count') }} as r_score,
        {{ integer_divide('score_buckets * f_cume_count + buyer_count - 1', 'buyer_count') }} as f_score,
        {{ integer_divide('score_buckets * m_cume_count + buyer_count - 1', 'buyer_count') }} as m_score,
        recency_days * buyer_count <= recency_days_total as is_r_high,
        f_value * buyer_count >= f_value_total as is_f_high,
        m_value * buyer_count >= m_value_total as is_m_high
    from buyers_counted
),

buyers_segmented as (
    select
        *,
        case
            when is_r_high and is_f_high and is_m_high then 'important_value'
            when is_r_high and not is_f_high and is_m_high then 'important_develop'
            when not is_r_high and is_f_high and is_m_high then 'important_retain'
            when not is_r_high and not is_f_high and is_m_high then 'important_winback'
            when is_r_high and is_f_high and not is_m_high then 'general_value'
            when is_r_high and not is_f_high and not is_m_high then 'general_develop'
            when not is_r_high and is_f_high and not is_m_high then 'general_retain'
            else 'general_winback'
        end as rfm_segment
    from buyers_scored
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(as_of_date as date) as as_of_date,
        cast(recency_days as integer) as recency_days,
        cast(f_value as integer) as f_value,
        cast(m_value as decimal(18, 2)) as m_value,
        cast(r_score as integer) as r_score,
        cast(f_score as integer) as f_score,
        cast(m_score as integer) as m_score,
        cast(
            {{ dbt.concat([
                'cast(r_score as ' ~ dbt.type_string() ~ ')',
                'cast(f_score as ' ~ dbt.type_string() ~ ')',
                'cast(m_score as ' ~ dbt.type_string() ~ ')',
            ]) }} as {{ dbt.type_string() }}
        ) as rfm_cell,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(r_cume_count as integer) as r_cume_count,
        cast(f_cume_count as integer) as f_cume_count,
        cast(m_cume_count as integer) as m_cume_count,
        cast(buyer_count as integer) as buyer_count,
        cast({{ divide_exact('m_cume_count', 'buyer_count') }} as decimal(18, 6)) as m_cume_dist,
        cast(is_r_high as boolean) as is_r_high,
        cast(is_f_high as boolean) as is_f_high,
        cast(is_m_high as boolean) as is_m_high,
        {{ run_stamp() }} as _loaded_at
    from buyers_segmented
)

select * from final
