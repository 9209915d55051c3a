{#-
    Parses a contract timestamp (text) into a UTC timestamp without zone, or null when the
    text does not follow the contract: date and time with `T` or a space, optional seconds
    and fraction, offset `Z`, `+HH:MM`, `+HHMM`, `+HH` or none (UTC); a bare date is midnight.
    `2025/01/05` or `2025-02-30` give null.
-#}
{% macro parse_timestamp(expr) %}
    {{ return(adapter.dispatch('parse_timestamp', 'livetier')(expr)) }}
{% endmacro %}

{% macro default__parse_timestamp(expr) -%}
    {%- set pattern = "'^(\\d{4}-\\d{2}-\\d{2})(?:[T ](\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?)(Z|([+-])(\\d{2}):?(\\d{2})?)?)?$'" -%}
    case when {{ regex_full_match(expr, pattern) }} then
        try_cast(
            regexp_extract({{ expr }}, {{ pattern }}, 1)
            || ' ' || coalesce(nullif(regexp_extract({{ expr }}, {{ pattern }}, 2), ''), '00:00:00')
            as timestamp
        )
        - to_minutes(
            case regexp_extract({{ expr }}, {{ pattern }}, 4) when '-' then -1 else 1 end
            * (
                coalesce(try_cast(nullif(regexp_extract({{ expr }}, {{ pattern }}, 5), '') as integer), 0) * 60
                + coalesce(try_cast(nullif(regexp_extract({{ expr }}, {{ pattern }}, 6), '') as integer), 0)
            )
        )
    end
{%- endmacro %}
