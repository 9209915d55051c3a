{#-
    What became of every raw row of the eight raw tables, in one place for the quality marts:
    kept rows and further copies of a kept key counted per file (one row per table, file and
    outcome; the events' summed from int_event_outcomes_counted, which counts only the partitions
    rewritten since its last run), every row set aside by a contract check on its own (key, user,
    reason, file), and every CSV record that did not parse (file and line; read by the pre-pass,
    not by the reader). The base models' columns are read here only (the events' outcome columns
    in int_event_outcomes_counted too), so a rename there touches these two models alone.
-#}
with

orders as {{ inline_cte() }} (
    select * from {{ ref('base_live__orders') }}
),

users as {{ inline_cte() }} (
    select * from {{ ref('base_live__users') }}
),

events as {{ inline_cte() }} (
    select * from {{ ref('base_live__events') }}
),

-- the events counted per partition, file and outcome (incremental: 24M events are not counted again)
event_outcomes as (
    select * from {{ ref('int_event_outcomes_counted') }}
),

live_streams as {{ inline_cte() }} (
    select * from {{ ref('base_live__live_streams') }}
),

products as {{ inline_cte() }} (
    select * from {{ ref('base_live__products') }}
),

order_items as {{ inline_cte() }} (
    select * from {{ ref('base_live__order_items') }}
),

refunds as {{ inline_cte() }} (
    select * from {{ ref('base_live__refunds_allocated') }}
),

campaign_touches as {{ inline_cte() }} (
    select * from {{ ref('base_live__campaign_touches') }}
),

rejects as (
    select * from {{ ref('stg_landing__rejects') }}
),

-- rows that passed the checks: kept, or a further copy of a kept key
passed_counts as (
    select
        'orders' as raw_table,
        _source_file as source_file,
        case when is_duplicate then 'duplicate' else 'kept' end as outcome,
        count(*) as row_count
    from orders
    where reject_reason is null
    group by _source_file, is_duplicate
    union all
    select
        'users' as raw_table,
        _source_file as source_file,
        case when is_duplicate then 'duplicate' else 'kept' end as outcome,
        count(*) as row_count
    from users
    where reject_reason is null
    group by _source_file, is_duplicate
    union all
    select
        'events' as raw_table,
        source_file,
        outcome,
        sum(row_count) as row_count
    from event_outcomes
    where outcome <> 'set_aside'
    group by source_file, outcome
    union all
    select
        'live_streams' as raw_table,
        _source_file as source_file,
        case when is_duplicate then 'duplicate' else 'kept' end as outcome,
        count(*) as row_count
    from live_streams
    where reject_reason is null
    group by _source_file, is_duplicate
    union all
    select
        'products' as raw_table,
        _source_file as source_file,
        case when is_duplicate then 'duplicate' else 'kept' end as outcome,
        count(*) as row_count
    from products
    where reject_reason is null
    group by _source_file, is_duplicate
    union all
    select
        'order_items' as raw_table,
        _source_file as source_file,
        case when is_duplicate then 'duplicate' else 'kept' end as outcome,
        count(*) as row_count
    from order_items
    where reject_reason is null
    group by _source_file, is_duplicate
    union all
    select
        'refunds' as raw_table,
        _source_file as source_file,
        case when is_duplicate then 'duplicate' else 'kept' end as outcome,
        count(*) as row_count
    from refunds
    where reject_reason is null
    group by _source_file, is_duplicate
    union all
    select
        'campaign_touches' as raw_table,
        _source_file as source_file,
        case when is_duplicate then 'duplicate' else 'kept' end as outcome,
        count(*) as row_count
    from campaign_touches
    where reject_reason is null
    group by _source_file, is_duplicate
),

set_aside_rows as (
    select
        'orders' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        order_id as record_key,
        user_id
    from orders
    where reject_reason is not null
    union all
    select
        'users' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        user_id as record_key,
        user_id
    from users
    where reject_reason is not null
    union all
    select
        'events' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        event_id as record_key,
        user_id
    from events
    where reject_reason is not null
    union all
    select
        'live_streams' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        stream_id as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id
    from live_streams
    where reject_reason is not null
    union all
    select
        'products' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        product_id as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id
    from products
    where reject_reason is not null
    union all
    select
        'order_items' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        order_id || '#' || coalesce(line_no_text, cast(line_no as {{ dbt.type_string() }}), '') as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id
    from order_items
    where reject_reason is not null
    union all
    select
        'refunds' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        refund_id as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id
    from refunds
    where reject_reason is not null
    union all
    select
        'campaign_touches' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        touch_id as record_key,
        user_id
    from campaign_touches
    where reject_reason is not null
),

-- identical set-aside rows (same key, user, reason and file) are told apart by their number
set_aside_numbered as (
    select
        *,
        row_number() over (
            partition by raw_table, source_file, reason, record_key, user_id
            order by record_key
        ) as copy_number
    from set_aside_rows
),

outcomes as (
    select
        raw_table,
        source_file,
        outcome,
        case when outcome = 'duplicate' then 'duplicate' end as reason,
        cast(null as {{ dbt.type_string() }}) as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id,
        cast(null as bigint) as line_number,
        1 as copy_number,
        true as is_read,
        row_count
    from passed_counts
    union all
    select
        raw_table,
        source_file,
        'set_aside' as outcome,
        reason,
        record_key,
        user_id,
        cast(null as bigint) as line_number,
        copy_number,
        true as is_read,
        1 as row_count
    from set_aside_numbered
    union all
    select
        raw_table,
        source_file,
        'set_aside' as outcome,
        'unparseable' as reason,
        cast(null as {{ dbt.type_string() }}) as record_key,
        cast(null as {{ dbt.type_string() }}) as user_id,
        line_number,
        1 as copy_number,
        false as is_read,
        1 as row_count
    from rejects
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(outcome as {{ dbt.type_string() }}) as outcome,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(record_key as {{ dbt.type_string() }}) as record_key,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(line_number as bigint) as line_number,
        cast(copy_number as bigint) as copy_number,
        cast(is_read as boolean) as is_read,
        cast(row_count as bigint) as row_count
    from outcomes
)

select * from final
