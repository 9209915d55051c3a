{#-
    Business date (var `business_timezone`) of a naive UTC timestamp. Staging carries the
    business date of most timestamps; this is for the few it does not (a stream's `ended_at`).
-#}
{% macro business_date_from_utc(timestamp_utc) -%}
    {{ return(adapter.dispatch('business_date_from_utc', 'livetier')(timestamp_utc)) }}
{%- endmacro %}

{% macro default__business_date_from_utc(timestamp_utc) -%}
    cast(timezone('{{ var("business_timezone") }}', timezone('UTC', {{ timestamp_utc }})) as date)
{%- endmacro %}

{% macro spark__business_date_from_utc(timestamp_utc) -%}
    to_date(from_utc_timestamp({{ timestamp_utc }}, '{{ var("business_timezone") }}'))
{%- endmacro %}
