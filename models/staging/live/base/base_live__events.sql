{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
        unique_key=(none if target.type == 'spark' else '_partition_date'),
        partition_by=(['_partition_date'] if target.type == 'spark' else none),
        on_schema_change='append_new_columns',
    )
}}
-- Every raw event with its parsed values, the first contract check it fails and its copy rank.
{#-
    Incremental by raw file (an ingestion watermark: a late event is never lost). A run parses
    only the files not loaded yet and rewrites every business-date partition (`_partition_date`;
    1900-01-01 for rows without a parseable event_at) they touch, plus every partition holding a
    copy of a changed event_id: one of the new rows' (the kept copy may change) or one of a row
    set aside as future_timestamp that the build clock has since reached (it joins the copies
    that passed). All copies of a changed event_id are thus ranked together; a rewritten row of
    any other event_id keeps its stored outcome (the same copies and checks as when it was
    ranked), so each raw row is here exactly once with the same outcome as in a full refresh
    (the ledger counts this table) and no run reads the other copies of unchanged event_ids. Raw files are immutable: a
    changed or deleted file needs --full-refresh. `_loaded_at` (the run's start) tells the
    downstream incremental models which partitions changed.

    Speed (24M events at `medium`): a Parquet event_at typed as a timestamp is read typed
    (`event_at__utc`, no text round trip), and so is a value typed as a number
    (`value__number`); copies are ranked by their parsed values, so no raw
    text is stored, and only the rows of an event_id that occurs more than once are ranked (a
    count per event_id instead of a window sort of every row); a loaded row keeps its stored
    check outcome (only a future_timestamp row is checked again against the build clock, the one
    check that changes with time); business time is the UTC instant plus the zone's offset in its
    hour, joined from a small table of hours (macro business_hour_offsets), not one ICU
    conversion per row.
-#}
{%- set stored_columns = [
    'event_id', 'user_id', 'event_type', 'stream_id', 'product_id', 'text_hash', '_source_file',
    'event_at', 'event_value', 'reject_reason',
] -%}
{%- set loaded_files = [] -%}
{#- a table built before event_id_hash existed gets it on its next run (append_new_columns) -#}
{%- set stored_has_id_hash = [] -%}
{%- if is_incremental() and execute -%}
    {%- for row in run_query('select distinct _source_file from ' ~ this) -%}
        {%- do loaded_files.append(row[0]) -%}
    {%- endfor -%}
    {%- for column in adapter.get_columns_in_relation(this) if column.name | lower == 'event_id_hash' -%}
        {%- do stored_has_id_hash.append(true) -%}
    {%- endfor -%}
{%- endif %}
{#- A full build reads the raw rows three times (the copy count reads only event_id, then the
    rows of unique and of repeated event_ids): each read expands the source, parsed and checked
    rows again, instead of DuckDB keeping one copy of every parsed row for the three (at 224M
    events that copy spilled past 30 GB; expanded, 40 days of `large` peak at 1.4 GB resident
    instead of 3 GB, and run faster). An incremental run reads a few new files: shared. -#}
{%- set full_build_inline = '' if is_incremental() else inline_cte() %}

with source as {{ full_build_inline }} (
    -- only the files not loaded yet
    {{ raw_files_not_loaded(source('live', 'events'), 'events', loaded_files) }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as {{ full_build_inline }} (
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
        coalesce(value__number, {{ parse_decimal('value') }}) as event_value
    from source
),

-- the first contract check each new row fails (null if none)
checked_new as {{ full_build_inline }} (
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

    -- event_ids whose copies may rank differently now (each once): those of the new rows, and those
    -- of the loaded future_timestamp rows the build clock has reached (they join the copies that passed)
    changed_ids as (
        select checked_new.event_id
        from checked_new
        where checked_new.event_id is not null
        union
        select loaded.event_id
        from {{ this }} as loaded
        where loaded.reject_reason = 'future_timestamp' and loaded.event_at <= {{ build_clock() }} + interval 1 day
    ),

    -- partitions to rewrite: the new rows' and every one holding a loaded copy of a changed
    -- event_id, so that all copies of a changed event_id are ranked together below. Loaded copies
    -- are found by event_id_hash (a scan of 8-byte numbers, not of every stored event_id: at
    -- `medium`, 12 months, 0.37 s became 0.08 s); a hash shared by another event_id only adds a
    -- partition to rewrite, whose other rows keep their stored outcome. Rows stored before the
    -- column existed (a warehouse built before it: null, or no column yet) are matched by event_id.
    affected_partitions as (
        select
            coalesce(
                cast({{ to_business_timestamp('event_at') }} as date), cast('1900-01-01' as date)
            ) as _partition_date
        from checked_new
        {%- if stored_has_id_hash %}
            union
            select loaded._partition_date
            from {{ this }} as loaded
            where loaded.event_id_hash in (select hash(changed_ids.event_id) from changed_ids)
            union
            select loaded._partition_date
            from {{ this }} as loaded
            where
                loaded.event_id_hash is null
                and loaded.event_id in (select changed_ids.event_id from changed_ids)
        {%- else %}
        union
        select loaded._partition_date
        from {{ this }} as loaded
        where loaded.event_id in (select changed_ids.event_id from changed_ids)
    {%- endif %}
    ),

    -- the rows to write: the new ones and the loaded rows of the affected partitions; a loaded row
    -- of an unchanged event_id keeps its stored outcome (the same copies, the same checks)
    checked as (
        select
            {{ stored_columns | join(',\n        ') }},
            cast(null as boolean) as stored_is_duplicate,
            true as is_changed
        from checked_new
        union all
        select
            {% for column in stored_columns if column != 'reject_reason' %}loaded.{{ column }},
            {% endfor -%}
            {{ recheck_reason }} as reject_reason,
            loaded.is_duplicate as stored_is_duplicate,
            changed_ids.event_id is not null as is_changed
        from {{ this }} as loaded
        left join changed_ids
            on loaded.event_id = changed_ids.event_id
        where loaded._partition_date in (select affected_partitions._partition_date from affected_partitions)
    ),

{% else %}

    -- read twice below (by repeated_keys, only its event_id, and by copies_flagged): expanded at
    -- each read, not copied
    checked as {{ inline_cte() }} (
        select
            *,
            cast(null as boolean) as stored_is_duplicate,
            true as is_changed
        from checked_new
    ),

{% endif %}

-- only the copies of a changed event_id that occurs more than once here are ranked, by their parsed
-- values (all present on a row that passed its checks; at `medium` under 1% of the event_ids
-- repeat); a changed row whose event_id occurs once is its only copy, an unchanged row keeps its
-- stored outcome
{{ ranked_copies(
    'checked', ['event_id'],
    ['user_id', 'event_type', 'event_at', 'stream_id', 'product_id', 'event_value', 'text_hash'],
    changed='is_changed',
    single_copy_is_duplicate='coalesce(not is_changed and stored_is_duplicate, false)',
) }},

-- the business time zone's offset per UTC hour of the instants the checks let through (rows
-- outside are converted one by one): one addition per row instead of one ICU conversion. An
-- incremental run's hours start two days before its earliest new row that passed (the start of
-- that row's business day at any offset), not at min_timestamp: ~240k hours since 2000, each two
-- conversions, cost more than the night's rows
business_hour_offsets as (
    {{ business_hour_offsets(none if not is_incremental() else (
        '(select min(checked_new.event_at) from checked_new where checked_new.reject_reason is null)'
        ~ ' - interval 2 day'
    )) }}
),

business_timed as (
    select
        ranked.*,
        {{ to_business_timestamp_by_hour('ranked.event_at', 'business_hour_offsets') }} as event_at_business
    from ranked
    left join business_hour_offsets
        on {{ dbt.date_trunc('hour', 'ranked.event_at') }} = business_hour_offsets.hour_start
),

final as (
    select
        {{ stored_columns | join(',\n        ') }},
        is_duplicate,
        cast(event_at_business as date) as event_date,
        cast(extract(hour from event_at_business) as integer) as event_hour,
        cast(coalesce(cast(event_at_business as date), cast('1900-01-01' as date)) as date) as _partition_date,
        -- finds the loaded copies of an event_id on an incremental run (affected_partitions)
        hash(event_id) as event_id_hash,
        {{ run_stamp() }} as _loaded_at
    from business_timed
)

select * from final
