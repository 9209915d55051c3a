{#- True when the whole text matches the regular expression (a quoted SQL literal). -#}
{% macro regex_full_match(expr, pattern) %}
    {{ return(adapter.dispatch('regex_full_match', 'livetier')(expr, pattern)) }}
{% endmacro %}

{% macro default__regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ pattern }})
{%- endmacro %}

{#-
    `rlike` finds the pattern anywhere, and Java's `$` also matches before a final line break,
    so the pattern is wrapped to match the whole text up to its very end (`\z`).
-#}
{% macro spark__regex_full_match(expr, pattern) -%}
    ({{ expr }} rlike concat('^(?:', {{ pattern }}, ')\\z'))
{%- endmacro %}
