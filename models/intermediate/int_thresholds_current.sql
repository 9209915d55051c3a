{#-
    The rows of seeds/seg_thresholds.csv valid at D (per name, the latest valid_from on or before
    D): what `threshold()` reads in every model outside the as-of chain. The chain reads each
    as-of date's rows itself (macro thresholds_valid_on). The seed is checked here first, and
    the build stops with one sentence on the first bad row: a row without a name, a number or a
    valid_from, a count of days, hours, minutes or buckets that is negative or not whole, two rows
    for one name and valid_from, a fact-shaping threshold (macro
    undated_thresholds) with any row other than one valid from 1900-01-01, a name with no row
    valid at D.
-#}
with

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

rows_ranked as (
    select
        thresholds.threshold_name,
        thresholds.threshold_value,
        thresholds.valid_from,
        as_of.as_of_date,
        count(*) over (partition by thresholds.threshold_name, thresholds.valid_from) as same_date_rows,
        count(*) over (partition by thresholds.threshold_name) as name_rows,
        min(thresholds.valid_from) over (partition by thresholds.threshold_name) as first_valid_from,
        row_number() over (
            partition by thresholds.threshold_name
            order by case when thresholds.valid_from <= as_of.as_of_date then 0 else 1 end, thresholds.valid_from desc
        ) as validity_rank
    from thresholds
    cross join as_of
),

-- one sentence per bad row (null when the row is fine)
problems as (
    select
        case
            when threshold_name is null or trim(threshold_name) = ''
                then 'seeds/seg_thresholds.csv has a row without a threshold_name.'
            when threshold_value is null
                then
                    'seeds/seg_thresholds.csv: the row ' || threshold_name
                    || ' has no valid threshold_value (a number is needed).'
            when valid_from is null
                then
                    'seeds/seg_thresholds.csv: the row ' || threshold_name
                    || ' has no valid valid_from (a date YYYY-MM-DD is needed; 1900-01-01 for always).'
            -- day, hour, minute and bucket counts (names ending in _days, _hour, _minutes,
            -- _buckets) are whole and not negative (date arithmetic and the comeback's churn
            -- buckets take them as integers)
            when
                (
                    right(threshold_name, 5) = '_days' or right(threshold_name, 5) = '_hour'
                    or right(threshold_name, 8) = '_minutes' or right(threshold_name, 8) = '_buckets'
                )
                and (threshold_value < 0 or threshold_value <> floor(threshold_value))
                then
                    'seeds/seg_thresholds.csv: the row ' || threshold_name || ' valid from '
                    || cast(valid_from as {{ dbt.type_string() }})
                    || ' has ' || cast(threshold_value as {{ dbt.type_string() }})
                    || ': a count of days, hours, minutes or buckets must be a whole number, 0 or more.'
            when same_date_rows > 1
                then
                    'seeds/seg_thresholds.csv has ' || cast(same_date_rows as {{ dbt.type_string() }})
                    || ' rows for ' || threshold_name || ' valid from ' || cast(valid_from as {{ dbt.type_string() }})
                    || ': keep one.'
            when
                threshold_name in ('{{ undated_thresholds() | join("', '") }}')  -- noqa: LT05
                and (name_rows > 1 or valid_from <> cast('1900-01-01' as date))
                then
                    'seeds/seg_thresholds.csv: ' || threshold_name
                    || ' shapes the facts of every as-of date and cannot change at a date;'
                    || ' keep one row valid from 1900-01-01 (editing it restates the whole history).'
            when validity_rank = 1 and first_valid_from > as_of_date
                then
                    'seeds/seg_thresholds.csv has no row of ' || threshold_name || ' valid on D = '
                    || cast(as_of_date as {{ dbt.type_string() }}) || ' (its first valid_from is '
                    || cast(first_valid_from as {{ dbt.type_string() }}) || ').'
        end as problem
    from rows_ranked
),

seed_checked as (
    select {{ fail_when('min(problem) is not null', 'min(problem)') }} as failure
    from problems
),

final as (
    select
        cast(rows_ranked.threshold_name as {{ dbt.type_string() }}) as threshold_name,
        cast(rows_ranked.threshold_value as decimal(18, 6)) as threshold_value,
        cast(rows_ranked.valid_from as date) as valid_from
    from rows_ranked
    cross join seed_checked
    where
        rows_ranked.validity_rank = 1
        and seed_checked.failure is null
)

select * from final
