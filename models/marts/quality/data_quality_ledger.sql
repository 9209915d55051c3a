-- Rows read = kept + set aside + duplicates, per raw table; set-aside rows by reason (a raw CSV
-- record that did not parse is read and set aside as unparseable).
with rejects as (
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

counted as (
    {{ ledger_counts('orders', 'orders') }}
    union all
    {{ ledger_counts('users', 'users') }}
    union all
    {{ ledger_counts('events', 'events') }}
    union all
    {{ ledger_counts('live_streams', 'live_streams') }}
    union all
    {{ ledger_counts('products', 'products') }}
    union all
    {{ ledger_counts('order_items', 'order_items') }}
    union all
    {{ ledger_counts('refunds', 'refunds') }}
    union all
    {{ ledger_counts('campaign_touches', 'campaign_touches') }}
    union all
    select
        raw_table,
        'set_aside' as outcome,
        'unparseable' as reason,
        count(*) as row_count
    from rejects
    group by 1
),

totals as (
    select
        raw_table,
        outcome,
        reason,
        sum(row_count) as row_count
    from counted
    group by 1, 2, 3
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
