with

purchases as (
    select * from {{ ref('int_purchases_netted') }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

purchases_windowed as (
    select
        *,
        days_before_as_of < {{ threshold('rfm_window_days') }} as is_in_rfm_window
    from purchases
),

user_values as (
    select
        user_id,
        max(as_of_date) as as_of_date,
        min(days_before_as_of) as recency_days,
        sum(case when is_in_rfm_window then 1 else 0 end) as f_value,
        sum(case when is_in_rfm_window then net_amount else 0 end) as m_value
    from purchases_windowed
    group by user_id
),

-- buyers: at least one purchase in the RFM window
buyers as (
    select
        *,
        cast({{ threshold('rfm_score_buckets') }} as bigint) as score_buckets
    from user_values
    where f_value > 0
),

-- k per value: the number of buyers at or below it (for R at or above it); the default
-- RANGE frame counts ties together, so equal values share k
buyers_counted as (
    select
        *,
        count(*) over () as buyer_count,
        count(*) over (
            order by recency_days desc nulls last
            range between unbounded preceding and current row
        ) as r_cume_count,
        count(*) over (
            order by f_value asc nulls last
            range between unbounded preceding and current row
        ) as f_cume_count,
        count(*) over (
            order by m_value asc nulls last
            range between unbounded preceding and current row
        ) as m_cume_count,
        sum(recency_days) over () as recency_days_total,
        sum(f_value) over () as f_value_total,
        sum(m_value) over () as m_value_total
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
        cast(user_id as string) as user_id,
        cast(recency_days as integer) as recency_days,
        cast(f_value as integer) as f_value,
        cast(m_value as decimal(18, 2)) as m_value,
        cast(r_score as integer) as r_score,
        cast(f_score as integer) as f_score,
        cast(m_score as integer) as m_score,
        cast(
            {{ dbt.concat(['cast(r_score as string)', 'cast(f_score as string)', 'cast(m_score as string)']) }}
            as string
        ) as rfm_cell,
        cast(rfm_segment as string) as rfm_segment,
        cast(r_cume_count as integer) as r_cume_count,
        cast(f_cume_count as integer) as f_cume_count,
        cast(m_cume_count as integer) as m_cume_count,
        cast(buyer_count as integer) as buyer_count,
        cast({{ divide_exact('m_cume_count', 'buyer_count') }} as decimal(18, 6)) as m_cume_dist,
        cast(is_r_high as boolean) as is_r_high,
        cast(is_f_high as boolean) as is_f_high,
        cast(is_m_high as boolean) as is_m_high,
        cast(as_of_date as date) as as_of_date
    from buyers_segmented
)

select * from final
