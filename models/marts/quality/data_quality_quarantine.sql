-- Every raw row set aside by a contract check, with its key, reason and file (no personal data),
-- and every raw CSV record that did not parse, with its file and line.
with outcomes as (
    select * from {{ ref('int_raw_rows_outcomes_unioned') }}
),

set_aside as (
    select *
    from outcomes
    where outcome = 'set_aside'
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(record_key as {{ dbt.type_string() }}) as record_key,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(line_number as bigint) as line_number
    from set_aside
)

select * from final
