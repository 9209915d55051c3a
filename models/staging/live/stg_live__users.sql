with base as (
    select * from {{ ref('base_live__users') }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

final as (
    select
        user_id,
        case when gender in ('F', 'M') then gender else 'unknown' end as gender,
        -- a birth year outside the seed's bounds is unknown (and a 32-bit integer from here on)
        cast(
            case
                when
                    birth_year between {{ quality_bound('min_birth_year', 'bigint') }}
                    and {{ quality_bound('max_birth_year', 'bigint') }}
                    then birth_year
            end as integer
        ) as birth_year,
        province,
        -- a city tier outside 1-5 is unknown, not a reason to set the user aside
        cast(case when city_tier between 1 and 5 then city_tier end as integer) as city_tier,
        acquisition_channel,
        phone_hash,
        nickname_hash,
        -- not_collected: the row's file has no marketing_consent column (no restriction)
        case
            when not has_marketing_consent_column then 'not_collected'
            when marketing_consent then 'granted'
            when not marketing_consent then 'refused'
            else 'unknown'
        end as marketing_consent_status,
        registered_at,
        cast({{ to_business_timestamp('registered_at') }} as date) as registered_date
    from base
    where reject_reason is null and not is_duplicate
)

select * from final
