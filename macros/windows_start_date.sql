{#-
    The last date before the longest of the windows `threshold_names` (day counts of the seed
    valid at D: a window of N days holds the dates in (D-N, D]), read once at run time as date
    text, so that a model summing only those windows reads only their dates: compared with a
    literal, a stored table's older row groups are skipped unread, while a filter on a CTE's
    value reads every row first. The filter it makes is redundant with the windows' own, so
    none (no filter) is always right: in a unit test, when not executing, and when D or the
    thresholds are not built yet. With `from_date`, the windows end there instead of at D. With
    `summed`, one window as long as the thresholds together (one window after another).
-#}
{% macro windows_start_date(threshold_names, from_date=none, summed=false) -%}
    {%- if not execute or model.resource_type == 'unit_test'
            or load_relation(ref('int_as_of_date')) is none
            or load_relation(ref('int_thresholds_current')) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select
            cast((select max(as_of_date) from {{ ref('int_as_of_date') }}) as {{ dbt.type_string() }}),
            cast({{ 'sum' if summed else 'max' }}(threshold_value) as integer)
        from {{ ref('int_thresholds_current') }}
        where threshold_name in ('{{ threshold_names | join("', '") }}')
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- if row[0] is none or row[1] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set end_date = modules.datetime.datetime.strptime(
        ((row[0] if from_date is none else from_date) | string)[:10], '%Y-%m-%d'
    ).date() -%}
    {{ return((end_date - modules.datetime.timedelta(days=row[1] | int)).isoformat()) }}
{%- endmacro %}
