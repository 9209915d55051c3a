-- RFM heatmap: buyers and net GMV in the RFM window per R score x F score cell, with the
-- average M score, to see where the value sits (top right: recent and frequent).
with

rfm as (
    select * from {{ ref('user_rfm') }}
),

final as (
    select
        r_score,
        f_score,
        count(*) as buyers,
        sum(m_value) as net_gmv,
        avg(m_score) as avg_m_score,
        sum(m_value) / nullif(sum(f_value), 0) as aov
    from rfm
    group by r_score, f_score
)

select * from final
order by r_score desc, f_score desc
