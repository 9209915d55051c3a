-- Every raw order line with its parsed values, the first contract check it fails and its copy rank.
{#-
    Incremental by raw file on DuckDB (a table on Spark; config in dbt_project.yml), as
    base_live__orders: a run reads only the files not loaded yet and writes their lines plus every
    stored line of an order_id they hold; the copies of each (order_id, line_no) among them are
    ranked again together (delete+insert by order_id), every other stored line keeps its outcome. A
    loaded file removed or changed (a snapshot export rewritten each night) rebuilds the table from
    every file (macro raw_files_loaded). Only the copies of a repeated (order_id, line_no) are
    ranked, not every line. A Parquet file's typed numbers are read typed (`<column>__number`, their
    text null): no text round trip and no pattern match per line.
-#}
{%- set raw_state = livetier.raw_files_loaded('order_items') -%}
{%- set stored_columns = [
    'order_id', 'product_id', 'line_no_text', '_source_file', 'line_no', 'quantity', 'unit_price',
    'reject_reason',
] %}

with source as (
    -- only the files not loaded yet (every file on a full build or a rebuild)
    {{ raw_files_not_loaded(source('live', 'order_items'), 'order_items', raw_state['loaded']) }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as (
    select
        order_id,
        product_id,
        line_no as line_no_text,
        line_no is null and line_no__number is null as is_line_no_missing,
        quantity is null and quantity__number is null as is_quantity_missing,
        unit_price is null and unit_price__number is null as is_unit_price_missing,
        _source_file,
        coalesce(line_no__number, {{ parse_int('line_no') }}) as line_no,
        coalesce(quantity__number, {{ parse_int('quantity') }}) as quantity,
        coalesce(unit_price__number, {{ parse_decimal('unit_price') }}) as unit_price
    from source
),

checked_new as {{ inline_cte() }} (
    select
        *,
        case
            when order_id is null or is_line_no_missing then 'missing_key'
            when product_id is null or is_quantity_missing or is_unit_price_missing then 'missing_value'
            when line_no is null or quantity is null or unit_price is null then 'unparseable'
            when quantity < 0 then 'negative_quantity'
            when unit_price < 0 then 'negative_amount'
            when
                quantity = 0
                or quantity > {{ quality_bound('max_quantity', 'bigint') }}
                or unit_price > {{ quality_bound('max_amount', 'decimal(18, 2)') }}
                then 'out_of_range'
        end as reject_reason
    from parsed
),

{% if is_incremental() and not raw_state['rebuild'] %}

    -- the lines to write: the new ones and every stored line of an order_id they hold;
    -- delete+insert replaces the stored lines by order_id
    checked as (
        select {{ stored_columns | join(', ') }}
        from checked_new
        union all
        select
            {% for column in stored_columns %}loaded.{{ column }}{{ ',' if not loop.last }}
            {% endfor -%}
        from {{ this }} as loaded
        where loaded.order_id in (select checked_new.order_id from checked_new)
    ),

{% else %}

    checked as {{ inline_cte() }} (
        select * from checked_new
    ),

{% endif %}

-- only the copies of a repeated (order_id, line_no) are ranked, by their parsed values (all present
-- on a row that passed its checks, whatever the file typed or wrote as text)
{{ ranked_copies('checked', ['order_id', 'line_no'], ['product_id', 'quantity', 'unit_price']) }},

final as (
    select
        ranked.order_id,
        ranked.product_id,
        -- the line number as a CSV or untyped file wrote it (null when read typed), for the
        -- quality ledger's record key
        ranked.line_no_text,
        ranked._source_file,
        ranked.line_no,
        ranked.quantity,
        ranked.unit_price,
        ranked.reject_reason,
        ranked.is_duplicate,
        -- the content hash of the row's file when it was read: a run finds loaded files changed
        file_hashes.sha256 as _source_sha256,
        {{ run_stamp() }} as _loaded_at
    from ranked
    left join {{ livetier.raw_file_hashes('order_items') }} as file_hashes
        on ranked._source_file = file_hashes.source_file
)

select * from final
