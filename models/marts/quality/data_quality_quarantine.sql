-- Every raw row set aside by a contract check, with its key, reason and file (no personal data),
-- and every raw CSV record that did not parse, with its file and line.
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

set_aside as (
    select
        'orders' as raw_table,
        order_id as record_key,
        user_id,
        reject_reason,
        _source_file,
        cast(null as bigint) as line_number
    from orders
    where reject_reason is not null
    union all
    select
        'users' as raw_table,
        user_id as record_key,
        user_id,
        reject_reason,
        _source_file,
        cast(null as bigint) as line_number
    from users
    where reject_reason is not null
    union all
    select
        'events' as raw_table,
        event_id as record_key,
        user_id,
        reject_reason,
        _source_file,
        cast(null as bigint) as line_number
    from events
    where reject_reason is not null
    union all
    select
        'live_streams' as raw_table,
        stream_id as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id,
        reject_reason,
        _source_file,
        cast(null as bigint) as line_number
    from live_streams
    where reject_reason is not null
    union all
    select
        'products' as raw_table,
        product_id as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id,
        reject_reason,
        _source_file,
        cast(null as bigint) as line_number
    from products
    where reject_reason is not null
    union all
    select
        'order_items' as raw_table,
        order_id || '#' || coalesce(line_no_text, '') as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id,
        reject_reason,
        _source_file,
        cast(null as bigint) as line_number
    from order_items
    where reject_reason is not null
    union all
    select
        'refunds' as raw_table,
        refund_id as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id,
        reject_reason,
        _source_file,
        cast(null as bigint) as line_number
    from refunds
    where reject_reason is not null
    union all
    select
        'campaign_touches' as raw_table,
        touch_id as record_key,
        user_id,
        reject_reason,
        _source_file,
        cast(null as bigint) as line_number
    from campaign_touches
    where reject_reason is not null
    union all
    select
        raw_table,
        cast(null as {{ dbt.type_string() }}) as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id,
        'unparseable' as reject_reason,
        source_file as _source_file,
        line_number
    from rejects
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(record_key as {{ dbt.type_string() }}) as record_key,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(reject_reason as {{ dbt.type_string() }}) as reason,
        cast(_source_file as {{ dbt.type_string() }}) as source_file,
        cast(line_number as bigint) as line_number
    from set_aside
)

select * from final
