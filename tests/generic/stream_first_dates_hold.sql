{#-
    Each stream row (user_id null) of `model` (int_stream_user_days_summarized) holds the earliest
    activity_date of its stream's rows (9999-12-31 without any): an incremental run reads the
    stored rows of the streams it counts again from there on, so a later date would hide rows.
    Returns the stream rows where it does not hold.
-#}
{% test stream_first_dates_hold(model) %}

with

stream_rows as (
    select
        stream_id,
        first_activity_date
    from {{ model }}
    where user_id is null
),

dated_rows as (
    select
        stream_id,
        min(activity_date) as first_date
    from {{ model }}
    where activity_date is not null
    group by stream_id
)

select
    stream_rows.stream_id,
    stream_rows.first_activity_date,
    dated_rows.first_date
from stream_rows
left join dated_rows
    on stream_rows.stream_id = dated_rows.stream_id
where
    not (
        stream_rows.first_activity_date
        is not distinct from coalesce(dated_rows.first_date, cast('9999-12-31' as date))
    )

{% endtest %}
