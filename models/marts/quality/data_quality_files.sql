-- One row per raw file: its fingerprint, the records counted independently of the reader, what
-- the reader returned and what became of it; a file whose counts disagree is an error row.
with files as (
    select * from {{ ref('stg_landing__files') }}
),

outcomes as (
    select * from {{ ref('int_raw_rows_outcomes_unioned') }}
),

-- per file: rows the reader returned and what became of them; CSV records that did not parse
outcomes_per_file as (
    select
        raw_table,
        source_file,
        sum(case when is_read then row_count else 0 end) as read_count,
        sum(case when outcome = 'kept' then row_count else 0 end) as kept_count,
        sum(case when outcome = 'set_aside' then row_count else 0 end) as set_aside_count,
        sum(case when outcome = 'duplicate' then row_count else 0 end) as duplicate_count,
        sum(case when is_read then 0 else row_count end) as unparseable_count
    from outcomes
    group by raw_table, source_file
),

counted as (
    select
        files.raw_table,
        files.source_file,
        files.file_format,
        files.file_bytes,
        files.modified_at_text,
        files.content_sha256,
        files.record_count,
        files.file_status,
        files.status_message,
        coalesce(outcomes_per_file.read_count, 0) as read_count,
        coalesce(outcomes_per_file.kept_count, 0) as kept_count,
        coalesce(outcomes_per_file.set_aside_count, 0) as set_aside_count,
        coalesce(outcomes_per_file.duplicate_count, 0) as duplicate_count,
        coalesce(outcomes_per_file.unparseable_count, 0) as unparseable_count
    from files
    left join outcomes_per_file
        on files.raw_table = outcomes_per_file.raw_table and files.source_file = outcomes_per_file.source_file
),

-- unreadable and empty come from the pre-pass; the two error states from comparing the counts
classified as (
    select
        *,
        case
            when file_status = 'unreadable' then 'unreadable'
            when coalesce(record_count, 0) <> read_count + unparseable_count then 'count_mismatch'
            when file_status = 'empty' then 'empty'
            when read_count = 0 then 'no_records'
            else 'ok'
        end as status
    from counted
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(file_format as {{ dbt.type_string() }}) as file_format,
        cast(file_bytes as bigint) as file_bytes,
        cast(modified_at_text as {{ dbt.type_string() }}) as modified_at_utc,
        cast(content_sha256 as {{ dbt.type_string() }}) as content_sha256,
        cast(record_count as bigint) as record_count,
        cast(read_count as bigint) as read_count,
        cast(kept_count as bigint) as kept_count,
        cast(set_aside_count as bigint) as set_aside_count,
        cast(unparseable_count as bigint) as unparseable_count,
        cast(duplicate_count as bigint) as duplicate_count,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(
            case
                when status = 'count_mismatch'
                    then
                        'The file holds ' || cast(record_count as {{ dbt.type_string() }})
                        || ' records but the reader returned ' || cast(read_count as {{ dbt.type_string() }})
                        || ' and rejected ' || cast(unparseable_count as {{ dbt.type_string() }}) || '.'
                when status = 'no_records'
                    then
                        'The file holds ' || cast(record_count as {{ dbt.type_string() }})
                        || ' records but the reader returned none.'
                else status_message
            end as {{ dbt.type_string() }}
        ) as message
    from classified
)

select * from final
