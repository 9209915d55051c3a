{#- D: var `as_of_date` when set, else the business date of the latest kept order or event; when no
    order or event was kept (an export whose rows were all set aside, or empty), the build clock's
    business date, so that the build still ends and publishes its quarantine. -#}
{#- the events' latest date comes from the partition manifest (a kept event's business date is its
    partition's): reading every event for one max grows with the history, the manifest hardly -#}
{#- a real date rebuilt from its numbers (setting_date), so only YYYY-MM-DD reaches SQL -#}
{%- set as_of_date_var = setting_date(var('as_of_date', ''), 'var as_of_date (env AS_OF_DATE)') -%}

with

orders as (
    select * from {{ ref('stg_live__orders') }}
),

event_partitions as (
    select * from {{ ref('stg_live__event_partitions') }}
),

activity_dates as (
    select ordered_date as business_date from orders
    union all
    select partition_date as business_date
    from event_partitions
    where kept_rows > 0 and partition_date > cast('1900-01-01' as date)
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
            cast(coalesce(
                latest_business_date,
                cast({{ to_business_timestamp(build_clock()) }} as date)
            ) as date) as as_of_date
        {%- endif %}
    from latest_activity
)

select * from final
