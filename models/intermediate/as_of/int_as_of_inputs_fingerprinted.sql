{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key=['input_name', 'input_date'],
        on_schema_change='fail',
    )
}}
{#-
    The change tracking of the as-of chain: per input of the tier logic and date, a row count
    and a fingerprint (a sum of row hashes) of the rows dated there. A run keeps only the rows
    whose count or fingerprint differs from the stored ones (a date whose rows vanished gets
    count 0), stamped with the run, so `_changed_at` later than a chain model's last run marks
    the dates that model must recompute from (macro as_of_recompute_from).

    Each row is dated where it starts to matter to an as-of date: an activity day on its date,
    an order on the earlier of its placed and paid dates, a refund on its date, a user on the
    first seen date, a threshold row on its valid_from (the undated, fact-shaping ones on
    1900-01-01: before every as-of date). An order's fingerprint includes whether it has refund
    rows at all: the first refund row of an order whose status is refunded changes its net
    amount from its paid date on (spec "Purchase"), not from the refund's date.
-#}
with

activity_daily as {{ inline_cte() }} (
    select * from {{ ref('int_user_activity_daily') }}
),

orders as (
    select * from {{ ref('stg_live__orders') }}
),

refunds as (
    select * from {{ ref('stg_live__refunds') }}
),

users_numbered as (
    select * from {{ ref('int_as_of_users_numbered') }}
),

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

-- int_user_activity_daily writes whole dates (delete+insert by activity_date): on an incremental
-- run only the dates written since this model's last change are fingerprinted again (a run
-- that changed nothing leaves the mark where it was: those dates are then read once more)
activity_rows as (
    select activity_daily.*
    from activity_daily
    {%- if is_incremental() %}
        where activity_daily._loaded_at > (
            select coalesce(max(stored_marks._changed_at), cast('1900-01-01' as timestamp))
            from {{ this }} as stored_marks
        )
    {%- endif %}
),

refunded_orders as (
    select distinct order_id
    from refunds
),

input_rows as (
    select
        'activity' as input_name,
        activity_date as input_date,
        {{ row_hash(columns_except(ref('int_user_activity_daily'), ['_loaded_at'])) }} as row_hash
    from activity_rows
    union all
    select
        'orders' as input_name,
        least(orders.ordered_date, orders.paid_date) as input_date,
        {{ row_hash(
            columns_except(ref('stg_live__orders'), ['_loaded_at'], 'orders')
            + ['refunded_orders.order_id is not null']
        ) }} as row_hash
    from orders
    left join refunded_orders
        on orders.order_id = refunded_orders.order_id
    union all
    select
        'refunds' as input_name,
        refunded_date as input_date,
        {{ row_hash(columns_except(ref('stg_live__refunds'), [])) }} as row_hash
    from refunds
    union all
    select
        'users' as input_name,
        first_seen_date as input_date,
        {{ row_hash(['user_id', 'first_seen_date']) }} as row_hash
    from users_numbered
    union all
    select
        'thresholds' as input_name,
        valid_from as input_date,
        {{ threshold_row_hash() }} as row_hash
    from thresholds
),

-- a row without a date (an unpaid order without a placed date cannot be staged, but a null
-- date must still count) is dated before every as-of date
fingerprints as (
    select
        input_name,
        coalesce(input_date, cast('1900-01-01' as date)) as input_date,
        count(*) as row_count,
        sum(row_hash) as fingerprint
    from input_rows
    group by input_name, coalesce(input_date, cast('1900-01-01' as date))
),

{% if is_incremental() %}

    stored as (
        select * from {{ this }}
    ),

    activity_dates_written as (
        select distinct input_date
        from fingerprints
        where input_name = 'activity'
    ),

    activity_dates_present as (
        select distinct coalesce(activity_date, cast('1900-01-01' as date)) as activity_date
        from activity_daily
    ),

    -- the stored fingerprints to compare with: every input's but the activity dates neither
    -- written since nor gone (a date whose rows were all deleted has none written)
    stored_compared as (
        select stored.*
        from stored
        left join activity_dates_written
            on stored.input_date = activity_dates_written.input_date
        left join activity_dates_present
            on stored.input_date = activity_dates_present.activity_date
        where
            stored.input_name <> 'activity'
            or activity_dates_written.input_date is not null
            or activity_dates_present.activity_date is null
    ),

    -- what differs from the stored fingerprints: new or changed dates, and dates whose rows
    -- vanished (count 0, so the next run finds them equal to nothing)
    changed as (
        select
            coalesce(fingerprints.input_name, stored_compared.input_name) as input_name,
            coalesce(fingerprints.input_date, stored_compared.input_date) as input_date,
            coalesce(fingerprints.row_count, 0) as row_count,
            coalesce(fingerprints.fingerprint, 0) as fingerprint
        from fingerprints
        full outer join stored_compared
            on
                fingerprints.input_name = stored_compared.input_name
                and fingerprints.input_date = stored_compared.input_date
        where
            coalesce(fingerprints.row_count, 0) <> coalesce(stored_compared.row_count, 0)
            or coalesce(fingerprints.fingerprint, 0) <> coalesce(stored_compared.fingerprint, 0)
    ),

{% else %}

    changed as (
        select * from fingerprints
    ),

{% endif %}

final as (
    select
        cast(input_name as {{ dbt.type_string() }}) as input_name,
        cast(input_date as date) as input_date,
        cast(row_count as bigint) as row_count,
        cast(fingerprint as decimal(38, 0)) as fingerprint,
        {{ run_stamp() }} as _changed_at
    from changed
)

select * from final
