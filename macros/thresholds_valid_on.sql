{#-
    The dated form of `threshold()` for the as-of chain: one row per as-of date of `dates` (a CTE
    with a column as_of_date, duplicates allowed) with one column per name in `names`, each the
    `threshold_value` of the row of `thresholds` (the seed seg_thresholds, imported by the
    calling model) with the latest valid_from on or before that date. With var
    restate_history = true every date reads the rows valid at the last date (D). A name without
    a row valid on some date stops the query with one sentence. Join it to the rows on
    as_of_date and read `rules.<name>`: no correlated subquery, so Spark runs it too.
-#}
{% macro thresholds_valid_on(thresholds, dates, names) -%}
    {%- set missing_names -%}
        coalesce(
            {%- for name in names %}
            case when max(case when valid_rows.threshold_name = '{{ name }}' then 1 end) is null then '{{ name }}' end,
            {%- endfor %}
            ''
        )
    {%- endset -%}
    select *
    from (
        select
            valid_rows.as_of_date,
            {%- for name in names %}
            max(case when valid_rows.threshold_name = '{{ name }}' then valid_rows.threshold_value end)
                as {{ name }},
            {%- endfor %}
            {{ fail_when(
                "count(distinct valid_rows.threshold_name) < " ~ names | length,
                "'seeds/seg_thresholds.csv has no row of ' || " ~ missing_names ~ " || ' valid on '"
                ~ " || cast(valid_rows.as_of_date as " ~ dbt.type_string() ~ ")"
                ~ " || ': give every threshold a first row valid from 1900-01-01.'"
            ) }} as missing_failure
        from (
            select
                rule_dates.as_of_date,
                {{ thresholds }}.threshold_name,
                {{ thresholds }}.threshold_value,
                row_number() over (
                    partition by rule_dates.as_of_date, {{ thresholds }}.threshold_name
                    order by {{ thresholds }}.valid_from desc
                ) as validity_rank
            from (
                select
                    distinct_dates.as_of_date,
                    {%- if restate_history() %}
                    max(distinct_dates.as_of_date) over () as rule_date
                    {%- else %}
                    distinct_dates.as_of_date as rule_date
                    {%- endif %}
                from (select distinct as_of_date from {{ dates }}) as distinct_dates
            ) as rule_dates
            left join {{ thresholds }}
                on
                    {{ thresholds }}.valid_from <= rule_dates.rule_date
                    and {{ thresholds }}.threshold_name in ('{{ names | join("', '") }}')
        ) as valid_rows
        where valid_rows.validity_rank = 1
        group by valid_rows.as_of_date
    ) as dated_rules
    where dated_rules.missing_failure is null
{%- endmacro %}
