{#-
    Registers every raw table of the contract as a view `raw.<table>` before a run.

    For each source table declared in `_live__sources.yml` it looks in `var('raw_path')` for
    `<table>.parquet`, `<table>.csv` or a folder `<table>/` (its `*.csv` and `*.parquet` files,
    names starting with `.` or `_` skipped), and creates a view with exactly the declared
    columns as trimmed text (empty means null). A column missing from a file is null, extra
    columns are ignored, an absent optional table is an empty view. A column declared with
    `meta.parquet_typed: timestamp` also gets `<column>__utc` (timestamp, UTC): a Parquet file
    that types it as a timestamp or date passes it typed there, with null text, so the hot
    column skips a text round trip (text -> parse); from CSV or a text Parquet column it is
    null and the text is parsed as usual. A missing raw directory,
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
        {% set typed_columns = livetier.raw_typed_columns(node) %}
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
                {% set present = {} %}
                {% for row in run_query("describe select * from " ~ reader) %}
                    {% do present.update({row[0] | lower: row[1] | upper}) %}
                {% endfor %}
                {% set select_list = [] %}
                {% set typed_list = [] %}
                {% for col in columns %}
                    {% set native = present.get(col, '') %}
                    {% set typed = col in typed_columns and ext == 'parquet'
                        and (native.startswith('TIMESTAMP') or native == 'DATE') %}
                    {% if typed %}
                        {% do select_list.append("cast(null as varchar) as " ~ col) %}
                        {# epoch_us reads the instant without the session's time zone (and 5x faster than ICU) #}
                        {% do typed_list.append(
                            ("make_timestamp(epoch_us(\"" ~ col ~ "\"))" if 'TIME ZONE' in native
                            else "cast(\"" ~ col ~ "\" as timestamp)") ~ " as " ~ col ~ "__utc") %}
                    {% elif col in present %}
                        {% do select_list.append("nullif(trim(cast(\"" ~ col ~ "\" as varchar)), '') as " ~ col) %}
                    {% else %}
                        {% do select_list.append("cast(null as varchar) as " ~ col) %}
                    {% endif %}
                    {% if col in typed_columns and not typed %}
                        {% do typed_list.append("cast(null as timestamp) as " ~ col ~ "__utc") %}
                    {% endif %}
                {% endfor %}
                {% do select_list.extend(typed_list) %}
                {% do select_list.append("cast(filename as varchar) as _source_file") %}
                {% do parts.append("select " ~ select_list | join(', ') ~ " from " ~ reader) %}
            {% endif %}
        {% endfor %}
        {% if not parts %}
            {% set select_list = [] %}
            {% for col in columns %}{% do select_list.append("cast(null as varchar) as " ~ col) %}{% endfor %}
            {% for col in typed_columns %}{% do select_list.append("cast(null as timestamp) as " ~ col ~ "__utc") %}{% endfor %}
            {% do select_list.append("cast(null as varchar) as _source_file") %}
            {% do parts.append("select " ~ select_list | join(', ') ~ " where 1 = 0") %}
        {% endif %}
        {% do run_query("create or replace view raw." ~ table ~ " as " ~ parts | join(' union all ')) %}
        {{ log("raw." ~ table ~ ": " ~ (files | length) ~ " file(s)", info=false) }}
    {% endfor %}
    {{ return('select 1') }}
{% endmacro %}

{#-
    Spark has no file listing in SQL, so the files come from the var `raw_files` (table -> list of
    {name, path}: `python -m livetier.rawcheck RAW_DIR` lists them with the same rules). Each file
    becomes an external table `raw.<table>__file_<n>` over its absolute `path` (dropping it never
    touches the file) and `raw.<table>` a view over their union with the declared columns, so the
    result matches DuckDB's view row for row, `_source_file` (the `name`, the path as DuckDB's
    glob spells it) included.
-#}
{% macro spark__register_raw_sources() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set raw_path = var('raw_path') | string %}
    {% set files_by_table = var('raw_files', none) %}
    {% if files_by_table is string and files_by_table | trim %}
        {% set files_by_table = fromjson(files_by_table) %}
    {% endif %}
    {% if files_by_table is not mapping %}
        {{ exceptions.raise_compiler_error(
            "On Spark the raw files are passed in the dbt var raw_files: add "
            ~ "--vars \"$(python -m livetier.rawcheck " ~ raw_path ~ ")\" to the dbt command.") }}
    {% endif %}
    {% if files_by_table.values() | map('length') | sum == 0 %}
        {{ exceptions.raise_compiler_error(
            "No raw data found: the raw directory '" ~ raw_path ~ "' does not exist or is empty "
            ~ "(set RAW_PATH or the dbt var raw_path to the folder of your export).") }}
    {% endif %}
    {% do run_query('create schema if not exists raw') %}
    {% set ours = [] %}
    {% for row in run_query('show tables in raw') %}
        {% if '__file_' in row[1] and not row[2] %}{% do ours.append(row[1]) %}{% endif %}
    {% endfor %}
    {% for name in ours %}
        {% do run_query('drop table if exists raw.`' ~ name ~ '`') %}
    {% endfor %}
    {% for node in graph.sources.values() | selectattr('source_name', 'equalto', 'live') | sort(attribute='name') %}
        {% set table = node.name %}
        {% set columns = node.columns.keys() | list %}
        {% set typed_columns = livetier.raw_typed_columns(node) %}
        {% set files = files_by_table.get(table, []) %}
        {% if not files and node.meta.get('required') %}
            {{ exceptions.raise_compiler_error(
                "The required raw table '" ~ table ~ "' was not found in '" ~ raw_path
                ~ "': provide " ~ table ~ ".parquet, " ~ table ~ ".csv or a folder " ~ table ~ "/.") }}
        {% endif %}
        {% set parts = [] %}
        {% for f in files %}
            {% set file_table = 'raw.`' ~ table ~ '__file_' ~ loop.index0 ~ '`' %}
            {# Spark reads `path` as a glob: escape its glob characters to read exactly this file #}
            {% set hadoop_path = f['path'] | replace('\\', '\\\\') | replace('[', '\\[') | replace(']', '\\]')
                | replace('{', '\\{') | replace('}', '\\}') | replace('*', '\\*') | replace('?', '\\?') %}
            {% if f['path'].endswith('.csv') %}
                {% do run_query("create table " ~ file_table ~ " using csv options (path "
                    ~ livetier.spark_string_literal(hadoop_path) ~ ", header 'true', sep ',', quote '\"', "
                    ~ "escape '\"', multiLine 'true', encoding 'UTF-8')") %}
            {% else %}
                {% do run_query("create table " ~ file_table ~ " using parquet options (path "
                    ~ livetier.spark_string_literal(hadoop_path) ~ ")") %}
            {% endif %}
            {% set present = {} %}
            {% set present_types = {} %}
            {% for row in run_query("describe " ~ file_table) %}
                {% if row[0] and not row[0].startswith('#') and (row[0] | lower) not in present %}
                    {% do present.update({row[0] | lower: row[0]}) %}
                    {% do present_types.update({row[0] | lower: row[1] | lower}) %}
                {% endif %}
            {% endfor %}
            {% set select_list = [] %}
            {% for col in columns %}
                {% if col in present %}
                    {% set text = "cast(`" ~ present[col] | replace('`', '``') ~ "` as string)" %}
                    {# a zoned Parquet timestamp: DuckDB (TimeZone UTC) writes it with `+00`, so Spark does too #}
                    {% if present_types[col] == 'timestamp' %}
                        {% set text = "concat(" ~ text ~ ", '+00')" %}
                    {% endif %}
                    {% do select_list.append("nullif(trim(" ~ text ~ "), '') as " ~ col) %}
                {% else %}
                    {% do select_list.append("cast(null as string) as " ~ col) %}
                {% endif %}
            {% endfor %}
            {# Spark reads every value as text: the typed companions stay null #}
            {% for col in typed_columns %}{% do select_list.append("cast(null as timestamp) as " ~ col ~ "__utc") %}{% endfor %}
            {% do select_list.append(livetier.spark_string_literal(f['name']) ~ " as _source_file") %}
            {% do parts.append("select " ~ select_list | join(', ') ~ " from " ~ file_table) %}
        {% endfor %}
        {% if not parts %}
            {% set select_list = [] %}
            {% for col in columns %}{% do select_list.append("cast(null as string) as " ~ col) %}{% endfor %}
            {% for col in typed_columns %}{% do select_list.append("cast(null as timestamp) as " ~ col ~ "__utc") %}{% endfor %}
            {% do select_list.append("cast(null as string) as _source_file") %}
            {% do parts.append("select " ~ select_list | join(', ') ~ " where 1 = 0") %}
        {% endif %}
        {% do run_query("create or replace view raw." ~ table ~ " as " ~ parts | join(' union all ')) %}
        {{ log("raw." ~ table ~ ": " ~ (files | length) ~ " file(s)", info=false) }}
    {% endfor %}
    {{ return('select 1') }}
{% endmacro %}

{#- The columns of a raw source table declared `meta.parquet_typed: timestamp` (see above). -#}
{% macro raw_typed_columns(node) %}
    {% set typed = [] %}
    {% for name, column in node.columns.items() %}
        {% if (column.get('meta') or {}).get('parquet_typed') == 'timestamp'
            or ((column.get('config') or {}).get('meta') or {}).get('parquet_typed') == 'timestamp' %}
            {% do typed.append(name) %}
        {% endif %}
    {% endfor %}
    {{ return(typed) }}
{% endmacro %}
