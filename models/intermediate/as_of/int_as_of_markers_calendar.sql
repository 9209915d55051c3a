{#-
    The marker bucket of every date from the first marker date to the last (D): the first
    marker on or after the date. The stepped series sum their daily changes per bucket; dates
    before the first marker belong to the first bucket, dates after D are never read.
-#}
with

markers as (
    select * from {{ ref('int_as_of_markers_numbered') }}
),

marker_days as (
    select distinct
        marker_date,
        marker_number
    from markers
),

marker_bounds as (
    select
        min(marker_date) as first_marker_date,
        max(marker_date) as last_marker_date
    from marker_days
),

calendar_days as (
    {{ date_series('marker_bounds', 'first_marker_date', 'last_marker_date', 'calendar_date') }}
),

final as (
    select
        cast(calendar_days.calendar_date as date) as calendar_date,
        cast(min(marker_days.marker_number) as integer) as marker_number
    from calendar_days
    inner join marker_days
        on calendar_days.calendar_date <= marker_days.marker_date
    group by calendar_days.calendar_date
)

select * from final
