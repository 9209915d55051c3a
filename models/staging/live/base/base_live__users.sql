-- Every raw user row with its parsed values, the first contract check it fails and its copy rank.
with source as (
    select * from {{ source('live', 'users') }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as (
    select
        user_id,
        gender,
        province,
        acquisition_channel,
        {{ pii_hash('phone') }} as phone_hash,
        {{ pii_hash('nickname') }} as nickname_hash,
        registered_at as registered_at_text,
        birth_year as birth_year_text,
        city_tier as city_tier_text,
        marketing_consent as marketing_consent_text,
        marketing_consent__in_file as has_marketing_consent_column,
        _source_file,
        {{ parse_timestamp('registered_at') }} as registered_at,
        {{ parse_int('birth_year') }} as birth_year,
        {{ parse_int('city_tier') }} as city_tier,
        {{ parse_bool('marketing_consent') }} as marketing_consent
    from source
),

checked as (
    select
        *,
        case
            when user_id is null then 'missing_key'
            when registered_at_text is null then 'missing_value'
            when
                registered_at is null
                or (birth_year_text is not null and birth_year is null)
                or (city_tier_text is not null and city_tier is null)
                or (marketing_consent_text is not null and marketing_consent is null)
                then 'unparseable'
            when registered_at < {{ quality_bound('min_timestamp', 'timestamp') }} then 'out_of_range'
            when registered_at > {{ build_clock() }} + interval 1 day then 'future_timestamp'
        end as reject_reason
    from parsed
),

final as (
    select
        *,
        {{ copy_rank(['user_id'], ['registered_at_text', 'gender', 'birth_year_text', 'province',
            'city_tier_text', 'acquisition_channel', 'phone_hash', 'nickname_hash', 'marketing_consent_text']) }} > 1
        and reject_reason is null as is_duplicate
    from checked
)

select * from final
