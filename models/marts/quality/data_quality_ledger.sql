-- Rows read = kept + set aside + duplicates, per raw table; set-aside rows by reason (a raw CSV
-- record that did not parse is read and set aside as unparseable).
with outcomes as (
    select * from {{ ref('int_raw_rows_outcomes_unioned') }}
),

totals as (
    select
        raw_table,
        outcome,
        reason,
        sum(row_count) as row_count
    from outcomes
    group by raw_table, outcome, reason
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(outcome as {{ dbt.type_string() }}) as outcome,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(row_count as bigint) as row_count
    from totals
)

select * from final
