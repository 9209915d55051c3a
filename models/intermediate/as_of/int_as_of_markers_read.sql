{#-
    Which markers a user's bucket is read at: a bucket with marker number m, followed by the
    user's next bucket n (or by end_marker_number, one past the last marker, when there is
    none), holds the running values at every marker from m up to n - 1. One row per bucket
    pair (m, n) and (as-of date, offset) read, so the read is an equality join on (m, n)
    instead of a band join.
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

-- the numbers a user's next bucket can have: a marker's, or the one after the last (none)
bucket_ends as (
    select marker_number from marker_days
    union all
    select max(marker_number) + 1 as marker_number from marker_days
),

final as (
    select
        cast(first_markers.marker_number as integer) as marker_number,
        cast(bucket_ends.marker_number as integer) as next_marker_number,
        cast(markers.as_of_date as date) as as_of_date,
        cast(markers.offset_days as integer) as offset_days
    from marker_days as first_markers
    inner join marker_days as read_markers
        on first_markers.marker_number <= read_markers.marker_number
    inner join bucket_ends
        on read_markers.marker_number < bucket_ends.marker_number
    inner join markers
        on read_markers.marker_number = markers.marker_number
)

select * from final
