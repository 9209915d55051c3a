-- Every raw refund with its parsed values, the first row-level contract check it fails and its copy rank.
with source as (
    select * from {{ source('live', 'refunds') }}
),

quality_bounds as (
    select * from {{ ref('quality_bounds') }}
),

parsed as (
    select
        refund_id,
        order_id,
        refunded_at as refunded_at_text,
        amount as amount_text,
        _source_file,
        {{ parse_timestamp('refunded_at') }} as refunded_at,
        {{ parse_decimal('amount') }} as amount
    from source
),

checked as (
    select
        *,
        case
            when refund_id is null then 'missing_key'
            when order_id is null or refunded_at_text is null or amount_text is null then 'missing_value'
            when refunded_at is null or amount is null then 'unparseable'
            when amount < 0 then 'negative_amount'
            when
                amount = 0
                or amount > {{ quality_bound('max_amount', 'decimal(18, 2)') }}
                or refunded_at < {{ quality_bound('min_timestamp', 'timestamp') }}
                then 'out_of_range'
            when refunded_at > {{ build_clock() }} + interval 1 day then 'future_timestamp'
        end as reject_reason
    from parsed
),

final as (
    select
        *,
        {{ copy_rank(['refund_id'], ['order_id', 'refunded_at_text', 'amount_text']) }} > 1
        and reject_reason is null as is_duplicate
    from checked
)

select * from final
