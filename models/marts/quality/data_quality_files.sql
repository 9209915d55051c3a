-- One row per raw file: its fingerprint, the records counted independently of the reader, what
-- the reader returned and what became of it; a file whose counts disagree is an error row.
with files as (
    select * from {{ ref('stg_landing__files') }}
),

rejects as (
    select * from {{ ref('stg_landing__rejects') }}
),

orders as (
    select * from {{ ref('base_live__orders') }}
),

users as (
    select * from {{ ref('base_live__users') }}
),

events as (
    select * from {{ ref('base_live__events') }}
),

live_streams as (
    select * from {{ ref('base_live__live_streams') }}
),

products as (
    select * from {{ ref('base_live__products') }}
),

order_items as (
    select * from {{ ref('base_live__order_items') }}
),

refunds as (
    select * from {{ ref('base_live__refunds_allocated') }}
),

campaign_touches as (
    select * from {{ ref('base_live__campaign_touches') }}
),

outcomes as (
    {{ file_outcome_counts('orders', 'orders') }}
    union all
    {{ file_outcome_counts('users', 'users') }}
    union all
    {{ file_outcome_counts('events', 'events') }}
    union all
    {{ file_outcome_counts('live_streams', 'live_streams') }}
    union all
    {{ file_outcome_counts('products', 'products') }}
    union all
    {{ file_outcome_counts('order_items', 'order_items') }}
    union all
    {{ file_outcome_counts('refunds', 'refunds') }}
    union all
    {{ file_outcome_counts('campaign_touches', 'campaign_touches') }}
),

rejects_per_file as (
    select
        raw_table,
        source_file,
        count(*) as reject_count
    from rejects
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
        coalesce(outcomes.read_count, 0) as read_count,
        coalesce(outcomes.kept_count, 0) as kept_count,
        coalesce(outcomes.set_aside_count, 0) + coalesce(rejects_per_file.reject_count, 0) as set_aside_count,
        coalesce(outcomes.duplicate_count, 0) as duplicate_count,
        coalesce(rejects_per_file.reject_count, 0) as unparseable_count
    from files
    left join outcomes
        on files.raw_table = outcomes.raw_table and files.source_file = outcomes.source_file
    left join rejects_per_file
        on files.raw_table = rejects_per_file.raw_table and files.source_file = rejects_per_file.source_file
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
