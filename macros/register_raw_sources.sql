{#-
    Registers every raw table of the contract as a view `raw.<table>` before a run, from the file
    list that `livetier.ingest.prepare()` wrote beside the database (`<db>.landing/files.csv`):
    discovery, counting and the CSV pre-pass are Python's; this macro only registers what it found.

    Each readable file is read through its alias (a symlink with a generated name, so no raw file
    name reaches SQL as a path) and the view is the union of one select per file, with exactly the
    declared columns as trimmed text (empty means null; missing columns null, extra ignored) and
    `_source_file` the original path as a string literal. CSV is read by the contract, nothing
    guessed: header from the first line (its names matched by Python, the columns read by position
    as `c0, c1, ...`), every field text, `,` `"` `"`, `strict_mode`; a record that does not parse is
    skipped here and listed by the pre-pass in `raw._rejects`. `store_rejects` (not `ignore_errors`)
    on purpose: measured on DuckDB 2.0, `ignore_errors` alone drops the rest of a file after a bad
    quote, while `store_rejects` keeps it, as the pre-pass does. Parquet: a column declared
    `meta.contract_type: dec` that the file types as a float becomes text with two decimals only when
    within 1e-9 of a two-decimal value (else its full text, which the parser sets aside); an
    integral float in a `contract_type: int` column becomes integer text. A column declared with
    `meta.parquet_typed: timestamp` also gets `<column>__utc` (timestamp, UTC): typed in a Parquet
    file, it passes there typed with null text; else null and the text is parsed as usual.
    A column declared with `meta.flag_presence: true` (an optional column whose absence means
    something, e.g. `users.marketing_consent`) also gets `<column>__in_file` (boolean): whether
    the row's file has that column at all (its value is null either way when it is empty).
    The manifests themselves are registered as `raw._files` and `raw._rejects`.
-#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources', 'livetier')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set raw_path = var('raw_path') | string %}
    {% set root = raw_path.rstrip('/') ~ '/' %}
    {% set landing = target.path ~ '.landing' %}
    {% set files_csv = livetier.sql_string_literal(landing ~ '/files.csv') %}
    {% set rejects_csv = livetier.sql_string_literal(landing ~ '/rejects.csv') %}
    {% if run_query("select count(*) from glob(" ~ files_csv ~ ")")[0][0] == 0 %}
        {{ exceptions.raise_compiler_error(
            "The raw files of '" ~ raw_path ~ "' have not been prepared for this database: run "
            ~ "`python -m livetier build` (or `python -m livetier.ingest RAW_PATH DUCKDB_PATH`) instead of dbt alone.") }}
    {% endif %}
    {% set manifest_columns = ['raw_table', 'source_file', 'alias', 'format', 'bytes', 'mtime', 'sha256', 'records',
        'parse_rejects', 'status', 'message', 'columns'] %}
    {% set manifest_reader = livetier.raw_manifest_reader(files_csv, manifest_columns) %}
    {% set by_table = {} %}
    {% for row in run_query("select raw_table, source_file, alias, format, columns from " ~ manifest_reader
        ~ " where status <> 'unreadable' order by raw_table, source_file") %}
        {% if not row[1].startswith(root) %}
            {{ exceptions.raise_compiler_error(
                "The prepared file list is for another raw folder than '" ~ raw_path ~ "': run "
                ~ "`python -m livetier build` (or `python -m livetier.ingest RAW_PATH DUCKDB_PATH`) first.") }}
        {% endif %}
        {% do by_table.setdefault(row[0], []).append({
            'source_file': row[1], 'alias': row[2], 'format': row[3], 'columns': fromjson(row[4])}) %}
    {% endfor %}
    {% do run_query('create schema if not exists raw') %}
    {% for node in graph.sources.values() | selectattr('source_name', 'equalto', 'live') | sort(attribute='name') %}
        {% set table = node.name %}
        {% set typed_columns = livetier.raw_typed_columns(node) %}
        {% set parts = [] %}
        {% for file in by_table.get(table, []) %}
            {% do parts.append(livetier.raw_file_select(node, file, typed_columns)) %}
        {% endfor %}
        {% if not parts %}
            {% set select_list = [] %}
            {% for col in node.columns.keys() %}
                {% do select_list.append(livetier.raw_column_sql(table, col, 'cast(null as varchar)')) %}
            {% endfor %}
            {% for col in typed_columns %}{% do select_list.append("cast(null as timestamp) as " ~ col ~ "__utc") %}{% endfor %}
            {% for col in livetier.raw_flagged_columns(node) %}{% do select_list.append("false as " ~ col ~ "__in_file") %}{% endfor %}
            {% do select_list.append("cast(null as varchar) as _source_file") %}
            {% do parts.append("select " ~ select_list | join(', ') ~ " where 1 = 0") %}
        {% endif %}
        {% do run_query("create or replace view raw." ~ table ~ " as " ~ parts | join('\nunion all\n')) %}
        {{ log("raw." ~ table ~ ": " ~ (by_table.get(table, []) | length) ~ " file(s)", info=false) }}
    {% endfor %}
    {% do run_query("create or replace view raw._files as select raw_table, source_file, format, "
        ~ "cast(bytes as bigint) as bytes, mtime, sha256, cast(records as bigint) as records, "
        ~ "cast(parse_rejects as bigint) as parse_rejects, status, message from " ~ manifest_reader) %}
    {% do run_query("create or replace view raw._rejects as select raw_table, source_file, "
        ~ "cast(line_number as bigint) as line_number, error_type from "
        ~ livetier.raw_manifest_reader(rejects_csv, ['raw_table', 'source_file', 'line_number', 'error_type'])) %}
    {{ return('select 1') }}
{% endmacro %}

{#- A manifest CSV written by livetier.ingest, read by the contract's dialect with known text columns. -#}
{% macro raw_manifest_reader(path_literal, columns) -%}
    read_csv({{ path_literal }}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
        columns = { {%- for col in columns %}'{{ col }}': 'VARCHAR'{{ ', ' if not loop.last }}{% endfor -%} })
{%- endmacro %}

{#- One raw file's select: the declared columns of `node` as text, typed companions, `_source_file`. -#}
{% macro raw_file_select(node, file, typed_columns) %}
    {% set table = node.name %}
    {% set present = {} %}
    {% for pair in file['columns'] %}
        {% set name = pair[0] | lower %}
        {% if name not in present %}
            {% if file['format'] == 'csv' %}
                {% do present.update({name: {'sql': 'c' ~ loop.index0, 'kind': 'text'}}) %}
            {% else %}
                {% do present.update({name: {'sql': '"' ~ (pair[0] | replace('"', '""')) ~ '"', 'kind': pair[1]}}) %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {% set select_list = [] %}
    {% set typed_list = [] %}
    {% for col, column in node.columns.items() %}
        {% set found = present.get(col) %}
        {% set contract_type = livetier.raw_column_meta(column, 'contract_type') %}
        {% set typed = found and col in typed_columns and found['kind'] in ('timestamp', 'timestamp_tz', 'date') %}
        {% if typed %}
            {% do select_list.append(livetier.raw_column_sql(table, col, 'cast(null as varchar)')) %}
            {# epoch_us reads the instant without the session's time zone (and 5x faster than ICU) #}
            {% do typed_list.append(
                ("make_timestamp(epoch_us(" ~ found['sql'] ~ "))" if found['kind'] == 'timestamp_tz'
                else "cast(" ~ found['sql'] ~ " as timestamp)") ~ " as " ~ col ~ "__utc") %}
        {% elif found %}
            {% set value = found['sql'] %}
            {% if found['kind'] == 'float' and contract_type == 'dec' %}
                {# contract: a float amount is money only within 1e-9 of a two-decimal value #}
                {% set text = "case when isfinite(" ~ value ~ ") and abs(" ~ value ~ ") < 1e15 and abs(" ~ value
                    ~ " - round(" ~ value ~ ", 2)) <= 1e-9 then cast(cast(round(" ~ value ~ ", 2) as decimal(18, 2)) as varchar)"
                    ~ " else cast(" ~ value ~ " as varchar) end" %}
            {% elif found['kind'] == 'decimal' and contract_type == 'dec' %}
                {% set text = "case when " ~ value ~ " = round(" ~ value ~ ", 2) then cast(cast(" ~ value
                    ~ " as decimal(38, 2)) as varchar) else cast(" ~ value ~ " as varchar) end" %}
            {% elif found['kind'] in ('float', 'decimal') and contract_type == 'int' %}
                {% set text = "case when " ~ value ~ " = trunc(" ~ value ~ ") and abs(" ~ value ~ ") < 1e18 then cast(cast("
                    ~ value ~ " as bigint) as varchar) else cast(" ~ value ~ " as varchar) end" %}
            {% else %}
                {% set text = "cast(" ~ value ~ " as varchar)" %}
            {% endif %}
            {% do select_list.append(livetier.raw_column_sql(table, col, "nullif(trim(" ~ text ~ "), '')")) %}
        {% else %}
            {% do select_list.append(livetier.raw_column_sql(table, col, 'cast(null as varchar)')) %}
        {% endif %}
        {% if col in typed_columns and not typed %}
            {% do typed_list.append("cast(null as timestamp) as " ~ col ~ "__utc") %}
        {% endif %}
    {% endfor %}
    {% do select_list.extend(typed_list) %}
    {% for col in livetier.raw_flagged_columns(node) %}
        {% do select_list.append(("true" if col in present else "false") ~ " as " ~ col ~ "__in_file") %}
    {% endfor %}
    {% do select_list.append(livetier.sql_string_literal(file['source_file']) ~ " as _source_file") %}
    {% if file['format'] == 'csv' %}
        {% set positions = [] %}
        {% for pair in file['columns'] %}{% do positions.append("'c" ~ loop.index0 ~ "': 'VARCHAR'") %}{% endfor %}
        {% set reader = "read_csv(" ~ livetier.sql_string_literal(file['alias']) ~ ", header = true, auto_detect = false, "
            ~ "delim = ',', quote = '\"', escape = '\"', strict_mode = true, store_rejects = true, columns = {"
            ~ positions | join(', ') ~ "})" %}
    {% else %}
        {% set reader = "read_parquet(" ~ livetier.sql_string_literal(file['alias']) ~ ")" %}
    {% endif %}
    {{ return("select " ~ select_list | join(', ') ~ " from " ~ reader) }}
{% endmacro %}

{#-
    Spark has no file listing in SQL, so the files come from the var `raw_files` (table -> list of
    {name, path}: `python -m livetier.rawcheck RAW_DIR` lists them with the same rules). Each file
    becomes an external table `raw.<table>__file_<n>` over its absolute `path` (dropping it never
    touches the file) and `raw.<table>` a view over their union with the declared columns, so the
    result matches DuckDB's view row for row, `_source_file` (the `name`, the path as DuckDB's
    glob spells it) included. CSV records that do not parse are dropped (`DROPMALFORMED`; the
    pre-pass lists them), and the manifests `files.csv` and `rejects.csv` become `raw._files` and `raw._rejects`.
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
                    ~ "escape '\"', multiLine 'true', encoding 'UTF-8', mode 'DROPMALFORMED')") %}
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
                    {% set value = "`" ~ present[col] | replace('`', '``') ~ "`" %}
                    {% set kind = present_types[col] %}
                    {% set contract_type = livetier.raw_column_meta(node.columns[col], 'contract_type') %}
                    {% set text = "cast(" ~ value ~ " as string)" %}
                    {# a zoned Parquet timestamp: DuckDB (TimeZone UTC) writes it with `+00`, so Spark does too #}
                    {% if kind == 'timestamp' %}
                        {% set text = "concat(" ~ text ~ ", '+00')" %}
                    {# the DuckDB body's Parquet number rules, in Spark SQL (NaN and infinity fail `< 1e15`) #}
                    {% elif kind in ('double', 'float') and contract_type == 'dec' %}
                        {% set text = "case when abs(" ~ value ~ ") < 1e15 and abs(" ~ value ~ " - round(" ~ value
                            ~ ", 2)) <= 1e-9 then cast(cast(round(" ~ value ~ ", 2) as decimal(18, 2)) as string)"
                            ~ " else " ~ text ~ " end" %}
                    {% elif kind.startswith('decimal') and contract_type == 'dec' %}
                        {% set text = "case when " ~ value ~ " = round(" ~ value ~ ", 2) then cast(cast(" ~ value
                            ~ " as decimal(38, 2)) as string) else " ~ text ~ " end" %}
                    {% elif (kind in ('double', 'float') or kind.startswith('decimal')) and contract_type == 'int' %}
                        {% set text = "case when " ~ value ~ " = floor(" ~ value ~ ") and abs(" ~ value
                            ~ ") < 1e18 then cast(cast(" ~ value ~ " as bigint) as string) else " ~ text ~ " end" %}
                    {% endif %}
                    {% do select_list.append("nullif(trim(" ~ text ~ "), '') as " ~ col) %}
                {% else %}
                    {% do select_list.append("cast(null as string) as " ~ col) %}
                {% endif %}
            {% endfor %}
            {# Spark reads every value as text: the typed companions stay null #}
            {% for col in typed_columns %}{% do select_list.append("cast(null as timestamp) as " ~ col ~ "__utc") %}{% endfor %}
            {% for col in livetier.raw_flagged_columns(node) %}
                {% do select_list.append(("true" if col in present else "false") ~ " as " ~ col ~ "__in_file") %}
            {% endfor %}
            {% do select_list.append(livetier.spark_string_literal(f['name']) ~ " as _source_file") %}
            {% do parts.append("select " ~ select_list | join(', ') ~ " from " ~ file_table) %}
        {% endfor %}
        {% if not parts %}
            {% set select_list = [] %}
            {% for col in columns %}{% do select_list.append("cast(null as string) as " ~ col) %}{% endfor %}
            {% for col in typed_columns %}{% do select_list.append("cast(null as timestamp) as " ~ col ~ "__utc") %}{% endfor %}
            {% for col in livetier.raw_flagged_columns(node) %}{% do select_list.append("false as " ~ col ~ "__in_file") %}{% endfor %}
            {% do select_list.append("cast(null as string) as _source_file") %}
            {% do parts.append("select " ~ select_list | join(', ') ~ " where 1 = 0") %}
        {% endif %}
        {% do run_query("create or replace view raw." ~ table ~ " as " ~ parts | join(' union all ')) %}
        {{ log("raw." ~ table ~ ": " ~ (files | length) ~ " file(s)", info=false) }}
    {% endfor %}
    {#- the pre-pass manifests (livetier.ingest): beside the DuckDB path the harness prepares, or the
        folder passed in the var raw_manifest_dir (`python -m livetier.rawcheck RAW_DIR DB`) -#}
    {% set landing = var('raw_manifest_dir', env_var('DUCKDB_PATH', 'warehouse.duckdb') ~ '.landing') %}
    {% for name, columns in [('files', ['raw_table', 'source_file', 'format', 'bytes', 'mtime', 'sha256', 'records',
        'parse_rejects', 'status', 'message']), ('rejects', ['raw_table', 'source_file', 'line_number', 'error_type'])] %}
        {% do run_query('drop table if exists raw.`_' ~ name ~ '__file`') %}
        {% do run_query("create table raw.`_" ~ name ~ "__file` using csv options (path "
            ~ livetier.spark_string_literal(landing ~ '/' ~ name ~ '.csv') ~ ", header 'true', sep ',', quote '\"', "
            ~ "escape '\"', multiLine 'true', encoding 'UTF-8')") %}
        {% set select_list = [] %}
        {% for col in columns %}
            {% if col in ('bytes', 'records', 'parse_rejects', 'line_number') %}
                {% do select_list.append("cast(`" ~ col ~ "` as bigint) as " ~ col) %}
            {% else %}
                {% do select_list.append("cast(`" ~ col ~ "` as string) as " ~ col) %}
            {% endif %}
        {% endfor %}
        {% do run_query("create or replace view raw.`_" ~ name ~ "` as select " ~ select_list | join(', ')
            ~ " from raw.`_" ~ name ~ "__file`") %}
    {% endfor %}
    {{ return('select 1') }}
{% endmacro %}

{#- A raw source column's `meta` value for `key` (dbt keeps column meta at `meta` or `config.meta`). -#}
{% macro raw_column_meta(column, key) %}
    {{ return((column.get('meta') or {}).get(key) or ((column.get('config') or {}).get('meta') or {}).get(key)) }}
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

{#- The columns of a raw source table declared `meta.flag_presence: true` (see above). -#}
{% macro raw_flagged_columns(node) %}
    {% set flagged = [] %}
    {% for name, column in node.columns.items() %}
        {% if livetier.raw_column_meta(column, 'flag_presence') %}
            {% do flagged.append(name) %}
        {% endif %}
    {% endfor %}
    {{ return(flagged) }}
{% endmacro %}
