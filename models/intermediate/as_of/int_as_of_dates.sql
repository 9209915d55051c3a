{#-
    The as-of dates at which the tier logic runs: every period end from the first business date
    with a kept event or order up to D (Sundays, or month ends with var history_period = month),
    D itself, and the eve (sent date minus one) of every campaign sent by D. More dates than
    max_as_of_dates (seed quality_bounds) stop the build with one sentence.
-#}
{%- set history_period = var('history_period', 'week') | string | trim | lower -%}
{%- if history_period not in ['week', 'month'] -%}
    {{ exceptions.raise_compiler_error("var history_period must be 'week' or 'month', got '" ~ history_period ~ "'") }}
{%- endif -%}

with

activity_daily as (
    select * from {{ ref('int_user_activity_daily') }}
),

orders as (
    select * from {{ ref('stg_live__orders') }}
),

campaign_touches as (
    select * from {{ ref('stg_live__campaign_touches') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

first_dates as (
    select min(activity_date) as first_date
    from activity_daily
    where is_event_day
    union all
    select min(ordered_date) as first_date
    from orders
),

bounds as (
    select
        min(first_dates.first_date) as first_business_date,
        max(as_of.as_of_date) as as_of_date
    from first_dates
    cross join as_of
),

calendar as (
    {{ date_series('bounds', 'first_business_date', 'as_of_date', 'calendar_date') }}
),

-- a week ends on Sunday, the day before a week starts (weeks start on Monday on every
-- engine); a month ends on its last day
period_ends as (
    select calendar_date as as_of_date
    from calendar
    {%- if history_period == 'week' %}
        where
            cast({{ dbt.date_trunc('week', dbt.dateadd('day', 1, 'calendar_date')) }} as date)
            = cast({{ dbt.dateadd('day', 1, 'calendar_date') }} as date)
    {%- else %}
    where calendar_date = cast({{ dbt.last_day('calendar_date', 'month') }} as date)
    {%- endif %}
),

campaign_eves as (
    select distinct cast({{ dbt.dateadd('day', -1, 'campaign_touches.sent_date') }} as date) as as_of_date
    from campaign_touches
    cross join as_of
    where campaign_touches.sent_date <= as_of.as_of_date
),

candidate_dates as (
    select
        as_of_date,
        true as is_period_end,
        false as is_as_of_date,
        false as is_campaign_eve
    from period_ends
    union all
    select
        as_of_date,
        false as is_period_end,
        true as is_as_of_date,
        false as is_campaign_eve
    from as_of
    union all
    select
        as_of_date,
        false as is_period_end,
        false as is_as_of_date,
        true as is_campaign_eve
    from campaign_eves
),

dates_flagged as (
    select
        as_of_date,
        {{ dbt.bool_or('is_period_end') }} as is_period_end,
        {{ dbt.bool_or('is_as_of_date') }} as is_as_of_date,
        {{ dbt.bool_or('is_campaign_eve') }} as is_campaign_eve
    from candidate_dates
    group by as_of_date
),

-- the cap on the chain's length: more as-of dates than the seed allows (a placeholder date or a
-- far AS_OF_DATE) stops the build here, in one sentence, before the as-of facts run
date_count_checked as (
    select
        {{ fail_when(
            "count(*) > " ~ quality_bound('max_as_of_dates', dbt.type_int()),
            "'The as-of chain would run over ' || cast(count(*) as " ~ dbt.type_string() ~ ")"
            ~ " || ' as-of dates (' || cast(min(as_of_date) as " ~ dbt.type_string() ~ ")"
            ~ " || ' to ' || cast(max(as_of_date) as " ~ dbt.type_string() ~ ")"
            ~ " || '), more than max_as_of_dates = '"
            ~ " || cast(" ~ quality_bound('max_as_of_dates', dbt.type_int()) ~ " as " ~ dbt.type_string() ~ ")"
            ~ " || ' in seeds/quality_bounds.csv: check AS_OF_DATE and the earliest order and event dates.'"
        ) }} as failure
    from dates_flagged
),

-- history dates: the period ends and D, each with its neighbours in the history
history_dates as (
    select
        as_of_date,
        lag(as_of_date) over (order by as_of_date) as previous_history_date,
        lead(as_of_date) over (order by as_of_date) as next_history_date
    from dates_flagged
    where is_period_end or is_as_of_date
),

final as (
    select
        cast(dates_flagged.as_of_date as date) as as_of_date,
        cast(dates_flagged.is_period_end as boolean) as is_period_end,
        cast(dates_flagged.is_as_of_date as boolean) as is_as_of_date,
        cast(dates_flagged.is_campaign_eve as boolean) as is_campaign_eve,
        cast(history_dates.as_of_date is not null as boolean) as is_history_date,
        cast(history_dates.previous_history_date as date) as previous_history_date,
        cast(history_dates.next_history_date as date) as next_history_date,
        cast('{{ history_period }}' as {{ dbt.type_string() }}) as history_period
    from dates_flagged
    cross join date_count_checked
    left join history_dates
        on dates_flagged.as_of_date = history_dates.as_of_date
    where date_count_checked.failure is null
)

select * from final
