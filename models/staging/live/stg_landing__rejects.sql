-- One row per raw CSV record that does not parse: its file, physical line and error type (never its text).
{{ config(materialized='table') }}

with source as (
    select * from {{ source('landing', '_rejects') }}
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(line_number as bigint) as line_number,
        cast(error_type as {{ dbt.type_string() }}) as error_type
    from source
)

select * from final
