{#-
    The marker dates of the as-of chain: for every as-of date P, the dates whose cumulative
    values the rules read (P, P - 30, P - 90 and P - silent_after_days), each marker date
    numbered once in date order. A window (P-N, P] is the value at P minus the value at P - N.
-#}
with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

thresholds as (
    select * from {{ ref('int_thresholds_current') }}
),

rule_numbers as (
    select
        cast({{ threshold('window_30d_days') }} as integer) as window_30d_days,
        cast({{ threshold('window_90d_days') }} as integer) as window_90d_days,
        cast({{ threshold('silent_after_days') }} as integer) as silent_after_days
),

marker_offsets as (
    select 0 as offset_days
    union
    select window_30d_days as offset_days from rule_numbers
    union
    select window_90d_days as offset_days from rule_numbers
    union
    select silent_after_days as offset_days from rule_numbers
),

marker_dates as (
    select
        as_of_dates.as_of_date,
        marker_offsets.offset_days,
        cast({{ dbt.dateadd('day', '-1 * marker_offsets.offset_days', 'as_of_dates.as_of_date') }} as date)
            as marker_date
    from as_of_dates
    cross join marker_offsets
),

marker_days as (
    select distinct marker_date
    from marker_dates
),

-- markers numbered in date order (two as-of dates can share a marker date)
markers_numbered as (
    select
        marker_date,
        row_number() over (order by marker_date) as marker_number
    from marker_days
),

final as (
    select
        cast(marker_dates.as_of_date as date) as as_of_date,
        cast(marker_dates.offset_days as integer) as offset_days,
        cast(marker_dates.marker_date as date) as marker_date,
        cast(markers_numbered.marker_number as integer) as marker_number
    from marker_dates
    inner join markers_numbered
        on marker_dates.marker_date = markers_numbered.marker_date
)

select * from final
