{#-
    Registers every raw table of the contract as a view `raw.<table>` before a run.

    For each source table declared in `_live__sources.yml` it looks in `var('raw_path')` for
    `<table>.parquet`, `<table>.csv` or a folder `<table>/` (its `*.csv` and `*.parquet` files,
    names starting with `.` or `_` skipped), and creates a view with exactly the declared
    columns as trimmed text (empty means null). A column missing from a file is null, extra
    columns are ignored, an absent optional table is an empty view. A missing raw directory,
    a missing required table or a table present in two forms stops the run with one sentence.
-#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources', 'livetier')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set raw_path = var('raw_path') | string %}
    {% set root = raw_path.rstrip('/') | replace("'", "''") %}
    {% set top = run_query("select file from glob('" ~ root ~ "/*') union all select file from glob('" ~ root ~ "/*/*')") %}
    {% if top | length == 0 %}
        {{ exceptions.raise_compiler_error(
            "No raw data found: the raw directory '" ~ raw_path ~ "' does not exist or is empty "
            ~ "(set RAW_PATH or the dbt var raw_path to the folder of your export).") }}
    {% endif %}
    {% do run_query('create schema if not exists raw') %}
    {% for node in graph.sources.values() | selectattr('source_name', 'equalto', 'live') | sort(attribute='name') %}
        {% set table = node.name %}
        {% set columns = node.columns.keys() | list %}
        {% set single = [] %}
        {% for ext in ['parquet', 'csv'] %}
            {% for row in run_query("select file from glob('" ~ root ~ "/" ~ table ~ "." ~ ext ~ "')") %}
                {% do single.append(row[0]) %}
            {% endfor %}
        {% endfor %}
        {% set folder = [] %}
        {% for row in run_query("select file from glob('" ~ root ~ "/" ~ table ~ "/*') order by file") %}
            {% set base = row[0].replace('\\', '/').split('/')[-1] %}
            {% if not base.startswith('.') and not base.startswith('_')
                and (base.endswith('.csv') or base.endswith('.parquet')) %}
                {% do folder.append(row[0]) %}
            {% endif %}
        {% endfor %}
        {% set forms = (single | map('string') | list) + ([table ~ '/'] if folder else []) %}
        {% if forms | length > 1 %}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ table ~ "' is present in more than one form in '" ~ raw_path ~ "' ("
                ~ forms | join(', ') ~ "): keep exactly one of <table>.parquet, <table>.csv or <table>/.") }}
        {% endif %}
        {% set files = single if single else folder %}
        {% if not files and node.meta.get('required') %}
            {{ exceptions.raise_compiler_error(
                "The required raw table '" ~ table ~ "' was not found in '" ~ raw_path
                ~ "': provide " ~ table ~ ".parquet, " ~ table ~ ".csv or a folder " ~ table ~ "/.") }}
        {% endif %}
        {% set parts = [] %}
        {% for ext in ['csv', 'parquet'] %}
            {% set these = [] %}
            {% for f in files %}{% if f.endswith('.' ~ ext) %}{% do these.append(f) %}{% endif %}{% endfor %}
            {% if these %}
                {% set quoted = [] %}
                {% for f in these %}{% do quoted.append("'" ~ f | replace("'", "''") ~ "'") %}{% endfor %}
                {% if ext == 'csv' %}
                    {% set reader = "read_csv([" ~ quoted | join(', ') ~ "], header = true, delim = ',', quote = '\"', "
                        ~ "escape = '\"', all_varchar = true, union_by_name = true, filename = true)" %}
                {% else %}
                    {% set reader = "read_parquet([" ~ quoted | join(', ') ~ "], union_by_name = true, filename = true)" %}
                {% endif %}
                {% set present = [] %}
                {% for row in run_query("describe select * from " ~ reader) %}
                    {% do present.append(row[0] | lower) %}
                {% endfor %}
                {% set select_list = [] %}
                {% for col in columns %}
                    {% if col in present %}
                        {% do select_list.append("nullif(trim(cast(\"" ~ col ~ "\" as varchar)), '') as " ~ col) %}
                    {% else %}
                        {% do select_list.append("cast(null as varchar) as " ~ col) %}
                    {% endif %}
                {% endfor %}
                {% do select_list.append("cast(filename as varchar) as _source_file") %}
                {% do parts.append("select " ~ select_list | join(', ') ~ " from " ~ reader) %}
            {% endif %}
        {% endfor %}
        {% if not parts %}
            {% set select_list = [] %}
            {% for col in columns %}{% do select_list.append("cast(null as varchar) as " ~ col) %}{% endfor %}
            {% do select_list.append("cast(null as varchar) as _source_file") %}
            {% do parts.append("select " ~ select_list | join(', ') ~ " where 1 = 0") %}
        {% endif %}
        {% do run_query("create or replace view raw." ~ table ~ " as " ~ parts | join(' union all ')) %}
        {{ log("raw." ~ table ~ ": " ~ (files | length) ~ " file(s)", info=false) }}
    {% endfor %}
    {{ return('select 1') }}
{% endmacro %}
