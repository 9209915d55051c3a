{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
        unique_key=(none if target.type == 'spark' else '_partition_date'),
        partition_by=(['_partition_date'] if target.type == 'spark' else none),
        on_schema_change='fail',
    )
}}
-- Every raw event with its parsed values, the first contract check it fails and its copy rank.
{#-
    Incremental by raw file (an ingestion watermark: a late event is never lost). A run parses
    only the files not loaded yet and rewrites every business-date partition (`_partition_date`;
    1900-01-01 for rows without a parseable event_at) they touch, plus the partitions holding
    another copy of one of their event_ids (the kept copy may change) and those holding rows set
    aside as future_timestamp that the build clock has since reached. Copies are ranked against
    every loaded copy of their event_id, so each raw row is here exactly once with the same
    outcome as in a full refresh (the ledger counts this table). Raw files are immutable: a
    changed or deleted file needs --full-refresh. `_loaded_at` (the run's start) tells the
    downstream incremental models which partitions changed.

    Speed (24M events at `medium`): a Parquet event_at typed as a timestamp is read typed
    (`event_at__utc`, no text round trip); copies are ranked by their parsed values, so no raw
    text is stored, and only the rows of an event_id that occurs more than once are ranked (a
    count per event_id instead of a window sort of every row); a loaded row keeps its stored
    check outcome (only a future_timestamp row is checked again against the build clock, the one
    check that changes with time).
-#}
{%- set stored_columns = [
    'event_id', 'user_id', 'event_type', 'stream_id', 'product_id', 'text_hash', '_source_file',
    'event_at', 'event_value', 'reject_reason',
] -%}
{%- set loaded_files = [] -%}
{%- if is_incremental() and execute -%}
    {%- for row in run_query('select distinct _source_file from ' ~ this) -%}
        {%- if target.type == 'spark' -%}
            {%- do loaded_files.append(livetier.spark_string_literal(row[0])) -%}
        {%- else -%}
            {%- do loaded_files.append("'" ~ (row[0] | replace("'", "''")) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with source as (
    select * from {{ source('live', 'events') }}
    {%- if loaded_files %}
    -- only files not loaded yet (a literal list, so the reader skips the others)
    where _source_file not in ({{ loaded_files | join(', ') }})
    {%- endif %}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as (
    select
        event_id,
        user_id,
        event_type,
        stream_id,
        product_id,
        {{ pii_hash('text') }} as text_hash,
        _source_file,
        event_at is null and event_at__utc is null as is_event_at_missing,
        value as value_text,
        coalesce(event_at__utc, {{ parse_timestamp('event_at') }}) as event_at,
        {{ parse_decimal('value') }} as event_value
    from source
),

-- the first contract check each new row fails (null if none)
checked_new as (
    select
        event_id,
        user_id,
        event_type,
        stream_id,
        product_id,
        text_hash,
        _source_file,
        event_at,
        event_value,
        case
            when event_id is null then 'missing_key'
            when user_id is null then 'missing_user_id'
            when event_type is null or is_event_at_missing then 'missing_value'
            when event_at is null or (value_text is not null and event_value is null) then 'unparseable'
            when event_type not in (
                'enter_room', 'leave_room', 'like', 'comment', 'share', 'follow', 'gift',
                'product_impression', 'product_click', 'add_to_cart', 'favorite', 'coupon_claim'
            ) then 'unknown_event_type'
            when event_at < {{ quality_bound('min_timestamp', 'timestamp') }} then 'out_of_range'
            when event_at > {{ build_clock() }} + interval 1 day then 'future_timestamp'
        end as reject_reason
    from parsed
),

{% if is_incremental() %}
{#- a loaded row keeps its outcome; future_timestamp is the last check, so a row set aside for it
    passed all the others and passes now once the build clock has reached it (each read of the
    loaded table applies this itself: a shared CTE would be materialised, a copy of every row) -#}
{%- set recheck_reason -%}
    case
        when loaded.reject_reason = 'future_timestamp' and loaded.event_at <= {{ build_clock() }} + interval 1 day
            then null
        else loaded.reject_reason
    end
{%- endset %}

-- the loaded rows are read in three narrow passes (keys, affected partitions, other copies)
-- rather than one wide copy of the whole table
new_partitions as (
    select distinct
        coalesce(
            cast({{ to_business_timestamp('event_at') }} as date), cast('1900-01-01' as date)
        ) as _partition_date
    from checked_new
),

-- partitions to rewrite: the new rows', those with another copy of a new event_id, and those
-- whose future_timestamp rows the build clock has reached
affected_partitions as (
    select _partition_date from new_partitions
    union
    select loaded._partition_date
    from {{ this }} as loaded
    where loaded.event_id in (select checked_new.event_id from checked_new)
    union
    select loaded._partition_date
    from {{ this }} as loaded
    where loaded.reject_reason = 'future_timestamp' and loaded.event_at <= {{ build_clock() }} + interval 1 day
),

batch as (
    select
        {{ stored_columns | join(',\n        ') }},
        true as is_written
    from checked_new
    union all
    select
        {% for column in stored_columns if column != 'reject_reason' %}loaded.{{ column }},
        {% endfor -%}
        {{ recheck_reason }} as reject_reason,
        true as is_written
    from {{ this }} as loaded
    where loaded._partition_date in (select affected_partitions._partition_date from affected_partitions)
),

-- other loaded copies of the batch's event_ids: ranked with the batch, not rewritten
rank_context as (
    select
        {% for column in stored_columns if column != 'reject_reason' %}loaded.{{ column }},
        {% endfor -%}
        {{ recheck_reason }} as reject_reason,
        false as is_written
    from {{ this }} as loaded
    where
        loaded.event_id in (select batch.event_id from batch)
        and loaded._partition_date not in (select affected_partitions._partition_date from affected_partitions)
),

checked as (
    select * from batch
    union all
    select * from rank_context
),

{% else %}

    -- read twice below (by repeated_ids, only its event_id, and by checked_flagged): expanded at
    -- each read, not copied
    checked as {{ inline_cte() }} (
        select
            *,
            true as is_written
        from checked_new
    ),

{% endif %}

-- event_ids with more than one row here: only their rows need a copy rank (a window over every
-- row would sort the whole table; at `medium` under 1% of the event_ids repeat)
repeated_ids as (
    select event_id
    from checked
    where event_id is not null
    group by event_id
    having count(*) > 1
),

checked_flagged as {{ inline_cte() }} (
    select
        checked.*,
        repeated_ids.event_id is not null as is_repeated
    from checked
    left join repeated_ids
        on checked.event_id = repeated_ids.event_id
),

-- a row whose event_id occurs once is its only copy (rank 1); the copies of a repeated
-- event_id are ordered by their parsed values (all present on a row that passed its checks)
ranked as (
    select
        *,
        false as is_duplicate
    from checked_flagged
    where not is_repeated
    union all
    select
        *,
        {{ copy_rank(['event_id'], ['user_id', 'event_type', 'event_at', 'stream_id', 'product_id',
            'event_value', 'text_hash']) }} > 1
        and reject_reason is null as is_duplicate
    from checked_flagged
    where is_repeated
),

business_timed as (
    select
        *,
        {{ to_business_timestamp('event_at') }} as event_at_business
    from ranked
    where is_written
),

final as (
    select
        {{ stored_columns | join(',\n        ') }},
        is_duplicate,
        cast(event_at_business as date) as event_date,
        cast(extract(hour from event_at_business) as integer) as event_hour,
        cast(coalesce(cast(event_at_business as date), cast('1900-01-01' as date)) as date) as _partition_date,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _loaded_at
    from business_timed
)

select * from final
