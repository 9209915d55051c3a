{#-
    MetricFlow's time spine: one row per day from the first as-of date (or the first campaign
    send, if earlier) up to D. Read by the semantic layer only (`mf query`), never published.
-#}
with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

campaign_touches as (
    select * from {{ ref('stg_live__campaign_touches') }}
),

first_dates as (
    select min(as_of_date) as first_date
    from as_of_dates
    union all
    select min(sent_date) as first_date
    from campaign_touches
),

last_date as (
    select max(as_of_date) as last_date
    from as_of_dates
),

bounds as (
    select
        min(first_dates.first_date) as first_date,
        max(last_date.last_date) as last_date
    from first_dates
    cross join last_date
),

days as (
    {{ date_series('bounds', 'first_date', 'last_date', 'date_day') }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
