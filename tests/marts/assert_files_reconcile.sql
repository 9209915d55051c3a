-- Reconciles every raw file and table against the pre-pass's independent record count (Python's
-- csv module or the Parquet footer, not the reader): a row here fails the build.
--   * a file whose records <> rows read + unparseable records (count_mismatch), or that holds
--     records of which none was read or rejected (no_records);
--   * a raw table whose ledger total is not the sum of its readable files' records (rows in the
--     warehouse from a file no longer listed, or rows lost);
--   * a raw table whose kept rows in the ledger differ from the rows in staging.
with files as (
    select * from {{ ref('data_quality_files') }}
),

ledger as (
    select * from {{ ref('data_quality_ledger') }}
),

{% set tables = ['orders', 'users', 'events', 'live_streams', 'products', 'order_items', 'refunds',
    'campaign_touches'] %}

staged_rows as (
    {% for table in tables %}
    select '{{ table }}' as raw_table, count(*) as rows_kept from {{ ref('stg_live__' ~ table) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

file_errors as (
    select
        raw_table,
        source_file,
        status as problem
    from files
    where status in ('count_mismatch', 'no_records')
),

file_totals as (
    select
        raw_table,
        sum(case when status <> 'unreadable' then coalesce(record_count, 0) else 0 end) as records
    from files
    group by raw_table
),

ledger_totals as (
    select
        raw_table,
        sum(row_count) as rows_accounted,
        sum(case when outcome = 'kept' then row_count else 0 end) as rows_kept
    from ledger
    group by raw_table
),

table_errors as (
    select
        staged_rows.raw_table,
        cast(null as {{ dbt.type_string() }}) as source_file,
        case
            when coalesce(ledger_totals.rows_accounted, 0) <> coalesce(file_totals.records, 0)
                then 'ledger_total_differs_from_file_records'
            else 'ledger_kept_differs_from_staging'
        end as problem
    from staged_rows
    left join ledger_totals on staged_rows.raw_table = ledger_totals.raw_table
    left join file_totals on staged_rows.raw_table = file_totals.raw_table
    where
        coalesce(ledger_totals.rows_accounted, 0) <> coalesce(file_totals.records, 0)
        or coalesce(ledger_totals.rows_kept, 0) <> staged_rows.rows_kept
)

select * from file_errors
union all
select * from table_errors
