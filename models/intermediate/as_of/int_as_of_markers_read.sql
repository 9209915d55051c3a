{#-
    Which markers a user's bucket is read at: a bucket with marker number m, followed by the
    user's next bucket n (or by end_marker_number, one past the last marker, when there is
    none), holds the running values at every marker from m up to n - 1. One row per bucket
    pair (m, n) and (as-of date, offset) read, so the read is an equality join on (m, n)
    instead of a band join.

    Only the as-of dates int_user_facts_snapshotted recomputes are read (every one on a full
    build; from X on for an incremental run, macro as_of_steps_recompute_from), and the stepped
    series then have no bucket before the first of their markers: the rows grow with the dates
    recomputed, not with the history (the pairs of every marker grow with its cube).
    covers_from_date says which dates the rows cover (null: every one); the facts check it
    (macro steps_cover_check).
-#}
-- depends_on: {{ ref('int_as_of_inputs_fingerprinted') }}
-- depends_on: {{ ref('int_as_of_dates') }}
{%- set from_date = as_of_steps_recompute_from() %}
with

markers as (
    select * from {{ ref('int_as_of_markers_numbered') }}
),

-- the markers of the as-of dates recomputed
markers_read as (
    select * from markers
    {{- recomputed_dates_only(from_date) }}
),

marker_days as (
    select distinct
        marker_date,
        marker_number
    from markers
),

-- the buckets a stepped series can have: from the first marker read on
bucket_starts as (
    select marker_days.marker_number
    from marker_days
    where marker_days.marker_number >= (select min(markers_read.marker_number) from markers_read)
),

-- the numbers a user's next bucket can have: a marker's, or the one after the last (none)
bucket_ends as (
    select marker_number from marker_days
    union all
    select max(marker_number) + 1 as marker_number from marker_days
),

final as (
    select
        cast(bucket_starts.marker_number as integer) as marker_number,
        cast(bucket_ends.marker_number as integer) as next_marker_number,
        cast(markers_read.as_of_date as date) as as_of_date,
        cast(markers_read.offset_days as integer) as offset_days,
        cast({{ "null" if from_date is none else "'" ~ from_date ~ "'" }} as date) as covers_from_date
    from bucket_starts
    inner join markers_read
        on bucket_starts.marker_number <= markers_read.marker_number
    inner join bucket_ends
        on markers_read.marker_number < bucket_ends.marker_number
)

select * from final
