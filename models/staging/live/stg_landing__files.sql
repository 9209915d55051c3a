-- One row per raw file found before the run, as livetier.ingest listed it.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('landing', '_files') }}
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(format as {{ dbt.type_string() }}) as file_format,
        cast(bytes as bigint) as file_bytes,
        cast(mtime as {{ dbt.type_string() }}) as modified_at_text,
        cast(sha256 as {{ dbt.type_string() }}) as content_sha256,
        cast(records as bigint) as record_count,
        cast(coalesce(parse_rejects, 0) as bigint) as parse_reject_count,
        cast(status as {{ dbt.type_string() }}) as file_status,
        cast(message as {{ dbt.type_string() }}) as status_message
    from source
)

select * from final
