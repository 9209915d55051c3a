{#- Salted SHA-256 of personal data (phone, nickname, comment text); the clear value never leaves staging. -#}
{% macro pii_hash(expr) %}
    {{ return(adapter.dispatch('pii_hash', 'livetier')(expr)) }}
{% endmacro %}

{% macro default__pii_hash(expr) -%}
    case when {{ expr }} is not null then sha256('{{ var("pii_salt") }}' || {{ expr }}) end
{%- endmacro %}

{% macro spark__pii_hash(expr) -%}
    case when {{ expr }} is not null then sha2(concat('{{ var("pii_salt") }}', {{ expr }}), 256) end
{%- endmacro %}
