{#-
    The var `restate_history` as a boolean: false (the default) applies at each as-of date of the
    chain the threshold rows valid on that date; true applies the rows valid at D to the whole
    history (today's rules restated backwards). Anything else stops the build in one sentence
    (checked first in validate_settings).
-#}
{% macro restate_history() -%}
    {%- set value = var('restate_history', false) -%}
    {%- set text = value | string | trim | lower -%}
    {%- if text in ['true', '1', 'yes'] -%}
        {{- return(true) -}}
    {%- elif text in ['false', '0', 'no', ''] -%}
        {{- return(false) -}}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var restate_history must be true or false (got \"" ~ (text[:40] | replace("\n", " ")) ~ "\")."
    ) }}
{%- endmacro %}
