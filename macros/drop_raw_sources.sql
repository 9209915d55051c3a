{#-
    Drops everything in schema `raw` at the end of a run (on-run-end, also after a failed run):
    the views over the raw files return phone numbers, nicknames and comment text in clear, so
    none may outlive the run in the warehouse. On Spark this is the views `raw.<table>` and the
    external tables `raw.<table>__file_<n>` over the files (dropping them never touches a file).
-#}
{% macro drop_raw_sources() %}
    {{ return(adapter.dispatch('drop_raw_sources', 'livetier')()) }}
{% endmacro %}

{% macro default__drop_raw_sources() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% do run_query('drop schema if exists raw cascade') %}
    {{ return('select 1') }}
{% endmacro %}

{% macro spark__drop_raw_sources() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set found = run_query("show databases like 'raw'") %}
    {% if found | length == 0 %}
        {{ return('select 1') }}
    {% endif %}
    {% for row in run_query('show views in raw') %}
        {% if not row[2] %}{% do run_query('drop view if exists raw.`' ~ row[1] ~ '`') %}{% endif %}
    {% endfor %}
    {% for row in run_query('show tables in raw') %}
        {% if not row[2] %}{% do run_query('drop table if exists raw.`' ~ row[1] ~ '`') %}{% endif %}
    {% endfor %}
    {{ return('select 1') }}
{% endmacro %}
