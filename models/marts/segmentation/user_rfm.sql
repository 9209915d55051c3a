{#-
    The RFM buyers as of D: the slice at D of int_user_rfm_scored, the chain that also scores
    every period end of user_tier_history and every campaign eve (one logic for all dates).
-#}
with

rfm as (
    select * from {{ ref('int_user_rfm_scored') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        cast(rfm.user_id as string) as user_id,
        cast(rfm.recency_days as integer) as recency_days,
        cast(rfm.f_value as integer) as f_value,
        cast(rfm.m_value as decimal(18, 2)) as m_value,
        cast(rfm.r_score as integer) as r_score,
        cast(rfm.f_score as integer) as f_score,
        cast(rfm.m_score as integer) as m_score,
        cast(rfm.rfm_cell as string) as rfm_cell,
        cast(rfm.rfm_segment as string) as rfm_segment,
        cast(rfm.r_cume_count as integer) as r_cume_count,
        cast(rfm.f_cume_count as integer) as f_cume_count,
        cast(rfm.m_cume_count as integer) as m_cume_count,
        cast(rfm.buyer_count as integer) as buyer_count,
        cast(rfm.m_cume_dist as decimal(18, 6)) as m_cume_dist,
        cast(rfm.is_r_high as boolean) as is_r_high,
        cast(rfm.is_f_high as boolean) as is_f_high,
        cast(rfm.is_m_high as boolean) as is_m_high,
        cast(rfm.as_of_date as date) as as_of_date
    from rfm
    inner join as_of
        on rfm.as_of_date = as_of.as_of_date
)

select * from final
