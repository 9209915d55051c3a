-- Every raw order with its parsed values, the first contract check it fails and its copy rank,
-- and its business dates and hour: converted here, once per row, not in every read of
-- stg_live__orders.
{#-
    Incremental by raw file on DuckDB (a table on Spark; config in dbt_project.yml), as
    base_live__events: a run reads only the files not loaded yet, and writes their rows plus every
    stored copy of an order_id they hold and of a stored future_timestamp order the build clock has
    since reached; all copies of such an order_id are ranked again together (delete+insert by
    order_id), every other stored row keeps its outcome. Orders exported as one file a day thus cost
    a night its new files; a snapshot export rewritten each night (or any loaded file removed or
    changed: its content hash `_source_sha256` no longer in raw._files) rebuilds the table from
    every file (macro raw_files_loaded).

    Speed: only the copies of a repeated order_id are ranked (a window over every order sorted them
    all: 0.45 of 1.41 s at a year of 100k users), by their parsed values; business time is a join on
    the hour, one addition per timestamp instead of an ICU conversion (macro business_hour_offsets).
    A Parquet file's typed times and amounts are read typed (`<column>__utc`, `<column>__number`;
    their text null): no text round trip and no pattern match per order.
-#}
{%- set raw_state = livetier.raw_files_loaded('orders') -%}
{%- set incremental_run = is_incremental() and not raw_state['rebuild'] -%}
{%- set stored_columns = [
    'order_id', 'user_id', 'coupon_id', 'stream_id', 'status', 'currency', '_source_file', 'ordered_at',
    'paid_at', 'amount', 'discount_amount',
] -%}
{%- set future_reached -%}
    (loaded.ordered_at is null or loaded.ordered_at <= {{ build_clock() }} + interval 1 day)
    and (loaded.paid_at is null or loaded.paid_at <= {{ build_clock() }} + interval 1 day)
{%- endset %}

with source as (
    -- only the files not loaded yet (every file on a full build or a rebuild)
    {{ raw_files_not_loaded(source('live', 'orders'), 'orders', raw_state['loaded']) }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as (
    select
        order_id,
        user_id,
        coupon_id,
        stream_id,
        status,
        currency,
        ordered_at is null and ordered_at__utc is null as is_ordered_at_missing,
        paid_at as paid_at_text,
        amount is null and amount__number is null as is_amount_missing,
        discount_amount as discount_amount_text,
        _source_file,
        coalesce(ordered_at__utc, {{ parse_timestamp('ordered_at') }}) as ordered_at,
        coalesce(paid_at__utc, {{ parse_timestamp('paid_at') }}) as paid_at,
        coalesce(amount__number, {{ parse_decimal('amount') }}) as amount,
        coalesce(discount_amount__number, {{ parse_decimal('discount_amount') }}) as discount_amount
    from source
),

checked_new as {{ inline_cte() }} (
    select
        *,
        case
            when order_id is null then 'missing_key'
            when user_id is null then 'missing_user_id'
            when is_ordered_at_missing or status is null or is_amount_missing then 'missing_value'
            when
                ordered_at is null
                or (paid_at_text is not null and paid_at is null)
                or amount is null
                or (discount_amount_text is not null and discount_amount is null)
                then 'unparseable'
            when status not in ('created', 'paid', 'cancelled', 'refunded') then 'unknown_status'
            when currency <> 'CNY' then 'unknown_currency'
            when amount < 0 or discount_amount < 0 then 'negative_amount'
            when
                ordered_at < {{ quality_bound('min_timestamp', 'timestamp') }}
                or paid_at < {{ quality_bound('min_timestamp', 'timestamp') }}
                or amount > {{ quality_bound('max_amount', 'decimal(18, 2)') }}
                or discount_amount > {{ quality_bound('max_amount', 'decimal(18, 2)') }}
                then 'out_of_range'
            when
                ordered_at > {{ build_clock() }} + interval 1 day
                or paid_at > {{ build_clock() }} + interval 1 day
                then 'future_timestamp'
        end as reject_reason
    from parsed
),

{% if incremental_run %}

    -- order_ids whose copies may rank differently now: the new rows', and those of the stored
    -- future_timestamp rows the build clock has reached (they join the copies that passed)
    changed_ids as (
        select checked_new.order_id
        from checked_new
        where checked_new.order_id is not null
        union
        select loaded.order_id
        from {{ this }} as loaded
        where loaded.reject_reason = 'future_timestamp' and {{ future_reached }}
    ),

    -- the rows to write: the new ones and every stored copy of a changed order_id (future_timestamp
    -- is the last check, so a reached row passes them all now); delete+insert replaces the stored
    -- copies by order_id
    checked as (
        select
            {{ stored_columns | join(',\n            ') }},
            reject_reason
        from checked_new
        union all
        select
            {% for column in stored_columns %}loaded.{{ column }},
            {% endfor -%}
            case
                when loaded.reject_reason = 'future_timestamp' and {{ future_reached }} then null
                else loaded.reject_reason
            end as reject_reason
        from {{ this }} as loaded
        where loaded.order_id in (select changed_ids.order_id from changed_ids)
    ),

{% else %}

    checked as {{ inline_cte() }} (
        select * from checked_new
    ),

{% endif %}

-- only the copies of a repeated order_id are ranked, by their parsed values (all present on a
-- row that passed its checks, whatever the file typed or wrote as text)
{{ ranked_copies('checked', ['order_id'], ['user_id', 'ordered_at', 'paid_at', 'status', 'amount',
    'discount_amount', 'coupon_id', 'stream_id', 'currency']) }},

-- the business time zone's offset per UTC hour (others are converted one by one), from the
-- earliest typed ordered_at on: the hours since min_timestamp are ~240k, each two conversions,
-- as costly as converting every order of a year
business_hour_offsets as (
    {{ business_hour_offsets('(select min(source.ordered_at__utc) from source)' if not incremental_run else (
        '(select min(checked_new.ordered_at) from checked_new where checked_new.reject_reason is null)'
        ~ ' - interval 2 day'
    )) }}
),

business_timed as (
    select
        ranked.*,
        {{ to_business_timestamp_by_hour('ranked.ordered_at', 'ordered_offsets') }} as ordered_at_business,
        {{ to_business_timestamp_by_hour('ranked.paid_at', 'paid_offsets') }} as paid_at_business
    from ranked
    left join business_hour_offsets as ordered_offsets
        on {{ dbt.date_trunc('hour', 'ranked.ordered_at') }} = ordered_offsets.hour_start
    left join business_hour_offsets as paid_offsets
        on {{ dbt.date_trunc('hour', 'ranked.paid_at') }} = paid_offsets.hour_start
),

final as (
    select
        business_timed.order_id,
        business_timed.user_id,
        business_timed.coupon_id,
        business_timed.stream_id,
        business_timed.status,
        business_timed.currency,
        business_timed._source_file,
        business_timed.ordered_at,
        business_timed.paid_at,
        business_timed.amount,
        business_timed.discount_amount,
        business_timed.reject_reason,
        cast(business_timed.ordered_at_business as date) as ordered_date,
        cast(business_timed.paid_at_business as date) as paid_date,
        cast(extract(hour from business_timed.ordered_at_business) as integer) as ordered_hour,
        business_timed.is_duplicate,
        -- the content hash of the row's file when it was read: a run finds loaded files changed
        file_hashes.sha256 as _source_sha256,
        {{ run_stamp() }} as _loaded_at
    from business_timed
    left join {{ livetier.raw_file_hashes('orders') }} as file_hashes
        on business_timed._source_file = file_hashes.source_file
)

select * from final
