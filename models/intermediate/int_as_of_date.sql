{#- D: var `as_of_date` when set, else the business date of the latest kept order or event. -#}
{#- a real date rebuilt from its numbers (setting_date), so only YYYY-MM-DD reaches SQL -#}
{%- set as_of_date_var = setting_date(var('as_of_date', ''), 'var as_of_date (env AS_OF_DATE)') -%}

with

orders as (
    select * from {{ ref('stg_live__orders') }}
),

events as (
    select * from {{ ref('stg_live__events') }}
),

activity_dates as (
    select ordered_date as business_date from orders
    union all
    select event_date as business_date from events
),

latest_activity as (
    select max(business_date) as latest_business_date
    from activity_dates
),

final as (
    select
        {%- if as_of_date_var != '' %}
        cast('{{ as_of_date_var }}' as date) as as_of_date
    {%- else %}
            cast(latest_business_date as date) as as_of_date
        {%- endif %}
    from latest_activity
)

select * from final
