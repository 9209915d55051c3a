-- Rows read from each raw table = kept + set aside + duplicates in the ledger, and kept = rows in staging.
with ledger as (
    select * from {{ ref('data_quality_ledger') }}
),

{% set tables = ['orders', 'users', 'events', 'live_streams', 'products', 'order_items', 'refunds',
    'campaign_touches'] %}

read_rows as (
    {% for table in tables %}
    select '{{ table }}' as raw_table, count(*) as rows_read from {{ source('live', table) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

staged_rows as (
    {% for table in tables %}
    select '{{ table }}' as raw_table, count(*) as rows_kept from {{ ref('stg_live__' ~ table) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

ledger_totals as (
    select
        raw_table,
        sum(row_count) as rows_accounted,
        coalesce(sum(case when outcome = 'kept' then row_count end), 0) as rows_kept
    from ledger
    group by raw_table
)

select
    read_rows.raw_table,
    read_rows.rows_read,
    ledger_totals.rows_accounted,
    ledger_totals.rows_kept as ledger_kept,
    staged_rows.rows_kept as staged_kept
from read_rows
left join ledger_totals on read_rows.raw_table = ledger_totals.raw_table
left join staged_rows on read_rows.raw_table = staged_rows.raw_table
where
    coalesce(ledger_totals.rows_accounted, 0) <> read_rows.rows_read
    or coalesce(ledger_totals.rows_kept, 0) <> staged_rows.rows_kept
