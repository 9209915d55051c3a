{#-
    Keyed hash (hex HMAC-SHA256) of personal data (phone, nickname, comment text); null stays null.
    The key never appears in SQL text. Both engines compute the HMAC in SQL from the key's inner
    and outer pads, which dbt's compiled SQL and artifacts only name: on DuckDB the dbt-duckdb
    plugin `livetier.duckdb_plugin` resolves the key (`livetier/pii.py`), sets the pads as session
    variables and defines the macro `livetier_pii_hash` on every connection; on Spark they are
    session confs set from secret env vars in profiles.yml and substituted by Spark itself
    (`${...}`). Only table models may call it: a view would need the function at read time on
    DuckDB and would store the substituted pads on Spark.
-#}
{% macro pii_hash(expr) %}
    {% if execute and config.get('materialized') == 'view' %}
        {{ exceptions.raise_compiler_error(
            "pii_hash is called in a view (" ~ this ~ "): hash personal data in a table model only.") }}
    {% endif %}
    {{ return(adapter.dispatch('pii_hash', 'livetier')(expr)) }}
{% endmacro %}

{% macro default__pii_hash(expr) -%}
    livetier_pii_hash({{ expr }})
{%- endmacro %}

{#- HMAC(K, m) = sha256((K xor opad) || sha256((K xor ipad) || m)); a missing or malformed pad stops the query. -#}
{% macro spark__pii_hash(expr) -%}
    case
        when not ('${spark.livetier.pii_ipad}' rlike '^[0-9a-f]{128}$' and '${spark.livetier.pii_opad}' rlike '^[0-9a-f]{128}$')
            then raise_error('No personal-data key on Spark: set DBT_ENV_SECRET_LIVETIER_PII_IPAD and _OPAD (livetier.pii.spark_env).')
        when {{ expr }} is not null
            then sha2(concat(unhex('${spark.livetier.pii_opad}'),
                unhex(sha2(concat(unhex('${spark.livetier.pii_ipad}'), cast({{ expr }} as binary)), 256))), 256)
    end
{%- endmacro %}
