{#- Parses contract boolean text: true/false, t/f, 1/0, yes/no, y/n in any case; else null. -#}
{% macro parse_bool(expr) -%}
    case
        when lower({{ expr }}) in ('true', 't', '1', 'yes', 'y') then true
        when lower({{ expr }}) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}
