{#-
    The number of minute starts m_k = start + k * 60 s (k >= 0) strictly before `instant`:
    ceil((instant - start) / 60 s), 0 when instant <= start. It is also the index of the first
    minute start at or after `instant`. Exact in microseconds on every engine:
    (x + 59999999) div 60000000 for x > 0 (integer division truncates on DuckDB).
-#}
{% macro minute_starts_before(start_expr, instant_expr) -%}
    case
        when {{ instant_expr }} > {{ start_expr }}
            then {{ integer_divide(microseconds_between(start_expr, instant_expr) ~ ' + 59999999', '60000000') }}
        else 0
    end
{%- endmacro %}

{#-
    The index k of the grid minute [start + k * 60 s, start + (k + 1) * 60 s) that holds
    `instant`, for instant >= start: floor((instant - start) / 60 s), exact in microseconds.
-#}
{% macro minute_index_at(start_expr, instant_expr) -%}
    {{ integer_divide(microseconds_between(start_expr, instant_expr), '60000000') }}
{%- endmacro %}

{#-
    Whether `instant` falls in one of a grid's `minutes_expr` minutes from `start`: at or after the
    start and in a minute k < n (the last minute keeps its full 60 s, past the grid end G).
-#}
{% macro is_on_minute_grid(start_expr, instant_expr, minutes_expr) -%}
    ({{ instant_expr }} >= {{ start_expr }} and {{ minute_index_at(start_expr, instant_expr) }} < {{ minutes_expr }})
{%- endmacro %}
