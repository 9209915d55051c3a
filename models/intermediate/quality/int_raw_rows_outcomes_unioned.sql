{#-
    What became of every raw row of the eight raw tables, in one place for the quality marts:
    kept rows and further copies of a kept key counted per file (one row per table, file and
    outcome), every row set aside by a contract check on its own (key, user, reason, file), and
    every CSV record that did not parse (file and line; read by the pre-pass, not by the reader).
    The base models' columns are read here only, so a rename there touches this model alone.
-#}
{%- set checked = [
    {'raw_table': 'orders', 'model': 'base_live__orders', 'record_key': 'order_id', 'user_id': 'user_id'},
    {'raw_table': 'users', 'model': 'base_live__users', 'record_key': 'user_id', 'user_id': 'user_id'},
    {'raw_table': 'events', 'model': 'base_live__events', 'record_key': 'event_id', 'user_id': 'user_id'},
    {'raw_table': 'live_streams', 'model': 'base_live__live_streams', 'record_key': 'stream_id', 'user_id': none},
    {'raw_table': 'products', 'model': 'base_live__products', 'record_key': 'product_id', 'user_id': none},
    {'raw_table': 'order_items', 'model': 'base_live__order_items',
        'record_key': "order_id || '#' || coalesce(line_no_text, '')", 'user_id': none},
    {'raw_table': 'refunds', 'model': 'base_live__refunds_allocated', 'record_key': 'refund_id', 'user_id': none},
    {'raw_table': 'campaign_touches', 'model': 'base_live__campaign_touches', 'record_key': 'touch_id',
        'user_id': 'user_id'},
] -%}

with

{% for table in checked %}
{{ table.raw_table }} as (
    select * from {{ ref(table.model) }}
),

{% endfor %}
rejects as (
    select * from {{ ref('stg_landing__rejects') }}
),

-- rows that passed the checks: kept, or a further copy of a kept key
passed_counts as (
    {%- for table in checked %}
    select
        '{{ table.raw_table }}' as raw_table,
        _source_file as source_file,
        case when is_duplicate then 'duplicate' else 'kept' end as outcome,
        count(*) as row_count
    from {{ table.raw_table }}
    where reject_reason is null
    group by _source_file, case when is_duplicate then 'duplicate' else 'kept' end
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

set_aside_rows as (
    {%- for table in checked %}
    select
        '{{ table.raw_table }}' as raw_table,
        _source_file as source_file,
        reject_reason as reason,
        {{ table.record_key }} as record_key,
        {{ table.user_id if table.user_id else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as user_id
    from {{ table.raw_table }}
    where reject_reason is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
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
