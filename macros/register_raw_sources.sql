{#-
    Registers every raw table of the contract as a view `raw.<table>` before a run, from the read
    plan that Python made (`livetier.rawcheck.read_plan`): which files belong to which table, their
    format and columns, and the rule by which each view column is read from each file are found
    there; this macro only writes each rule in the engine's SQL, one body per engine. The plan's
    rules are listed in `livetier.rawcheck.READ_RULES`.

    Each view is the union of one select per file, with the contract's columns as trimmed text
    (empty means null), the typed companions `<column>__utc` and `<column>__number`, the flags
    `<column>__in_file` and `_source_file` (the original path as a string literal); a table
    without files is an empty view of the same columns. The pre-pass manifests become
    `raw._files` and `raw._rejects`.
-#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources', 'livetier')()) }}
{% endmacro %}

{#-
    DuckDB: the plan is `<db>.landing/plan.json` (`livetier.ingest.prepare`, run by `python -m
    livetier build` before dbt). Each file is read through its alias (a symlink with a generated
    name, so no raw file name reaches SQL as a path). CSV is read by the contract, nothing guessed:
    the header is skipped, the fields are read by position as `c0, c1, ...`, every field text,
    `,` `"` `"`, `strict_mode`; a record that does not parse is skipped here and listed by the
    pre-pass in `raw._rejects`. `store_rejects` (not `ignore_errors`) on purpose: measured on
    DuckDB 2.0, `ignore_errors` alone drops the rest of a file after a bad quote, while
    `store_rejects` keeps it, as the pre-pass does (livetier.ingest.CSV_OPTIONS: the same options).
-#}
{% macro default__register_raw_sources() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set landing = target.path ~ '.landing' %}
    {% set plan = livetier.duckdb_raw_plan() %}
    {% do run_query('create schema if not exists raw') %}
    {% for table in plan['tables'] %}
        {% do run_query("create or replace view raw." ~ table['name'] ~ " as " ~ livetier.duckdb_raw_union(table)) %}
        {{ log("raw." ~ table['name'] ~ ": " ~ (table['files'] | length) ~ " file(s)", info=false) }}
    {% endfor %}
    {% set files_csv = livetier.sql_string_literal(landing ~ '/files.csv') %}
    {% set rejects_csv = livetier.sql_string_literal(landing ~ '/rejects.csv') %}
    {% set manifest_columns = ['raw_table', 'source_file', 'alias', 'format', 'bytes', 'mtime', 'sha256', 'records',
        'parse_rejects', 'status', 'message', 'columns'] %}
    {% do run_query("create or replace view raw._files as select raw_table, source_file, format, "
        ~ "cast(bytes as bigint) as bytes, mtime, sha256, cast(records as bigint) as records, "
        ~ "cast(parse_rejects as bigint) as parse_rejects, status, message from "
        ~ livetier.raw_manifest_reader(files_csv, manifest_columns)) %}
    {% do run_query("create or replace view raw._rejects as select raw_table, source_file, "
        ~ "cast(line_number as bigint) as line_number, error_type from "
        ~ livetier.raw_manifest_reader(rejects_csv, ['raw_table', 'source_file', 'line_number', 'error_type'])) %}
    {{ return('select 1') }}
{% endmacro %}

{#-
    The read plan of this DuckDB file (`<db>.landing/plan.json`), checked to be the one prepared
    for var raw_path.
-#}
{% macro duckdb_raw_plan() %}
    {% set raw_path = var('raw_path') | string %}
    {% set plan_json = livetier.sql_string_literal(target.path ~ '.landing/plan.json') %}
    {% if run_query("select count(*) from glob(" ~ plan_json ~ ")")[0][0] == 0 %}
        {{ exceptions.raise_compiler_error(
            "The raw files of '" ~ raw_path ~ "' have not been prepared for this database: run "
            ~ "`python -m livetier build` (or `python -m livetier.ingest RAW_PATH DUCKDB_PATH`) instead of dbt alone.") }}
    {% endif %}
    {% set plan = fromjson(run_query("select content from read_text(" ~ plan_json ~ ")")[0][0]) %}
    {% if plan['raw_path'] != raw_path.rstrip('/') %}
        {{ exceptions.raise_compiler_error(
            "The prepared file list is for another raw folder than '" ~ raw_path ~ "': run "
            ~ "`python -m livetier build` (or `python -m livetier.ingest RAW_PATH DUCKDB_PATH`) first.") }}
    {% endif %}
    {{ return(plan) }}
{% endmacro %}

{#-
    One raw table of the plan in DuckDB SQL: one select per group of files (only the files whose
    `source_file` is in `skip_files` left out), or an empty select of the same columns. The view
    `raw.<table>` is this over every file; base_live__events reads the files it has not loaded
    yet this way, since binding the whole view opens the footer of every file.

    Parquet files with the same schema (names and types, the plan's `schema`) and so the same
    read rules are read by one `read_parquet` of their list, each row's `_source_file` found by
    its alias: a union of one select per file runs one pipeline per file, and an aggregate over
    365 of them (base_live__events counting copies per event_id) kept every pipeline's share in
    memory (out of memory at 224M events under a 3 GB limit; the one read passes). A CSV file is
    read alone (its positional columns and its rejects are per file).
-#}
{% macro duckdb_raw_union(table, skip_files=none) %}
    {% set groups = {} %}
    {% set group_keys = [] %}
    {% for file in table['files'] if not (skip_files and file['source_file'] in skip_files) %}
        {% set key = (file['source_file'] if file['format'] == 'csv' or not file.get('schema')
            else file['schema'] ~ '|' ~ (file['columns'] | tojson)) %}
        {% if key not in groups %}
            {% do groups.update({key: []}) %}
            {% do group_keys.append(key) %}
        {% endif %}
        {% do groups[key].append(file) %}
    {% endfor %}
    {% set parts = [] %}
    {% for key in group_keys %}
        {% set files = groups[key] %}
        {% set file = files[0] %}
        {% if files | length > 1 %}
            {% set aliases = [] %}
            {% set names = [] %}
            {% for each in files %}
                {% do aliases.append(livetier.sql_string_literal(each['alias'])) %}
                {% do names.append("(" ~ livetier.sql_string_literal(each['alias']) ~ ", "
                    ~ livetier.sql_string_literal(each['source_file']) ~ ")") %}
            {% endfor %}
            {% do parts.append("select " ~ livetier.duckdb_raw_columns(file['columns'], none,
                    'livetier_raw_files.livetier_source_file')
                ~ " from read_parquet([" ~ aliases | join(', ') ~ "], filename = 'livetier_raw_alias')"
                ~ " inner join (values " ~ names | join(', ') ~ ") as livetier_raw_files"
                ~ " (livetier_alias, livetier_source_file)"
                ~ " on livetier_raw_alias = livetier_raw_files.livetier_alias") %}
        {% else %}
            {% if file['format'] == 'csv' %}
                {% set positions = [] %}
                {% for position in range(file['width']) %}{% do positions.append("'c" ~ position ~ "': 'VARCHAR'") %}{% endfor %}
                {% set reader = "read_csv(" ~ livetier.sql_string_literal(file['alias']) ~ ", header = true, "
                    ~ "auto_detect = false, delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
                    ~ "store_rejects = true, columns = {" ~ positions | join(', ') ~ "})" %}
            {% else %}
                {% set reader = "read_parquet(" ~ livetier.sql_string_literal(file['alias']) ~ ")" %}
            {% endif %}
            {% do parts.append("select " ~ livetier.duckdb_raw_columns(file['columns'], file['source_file'])
                ~ " from " ~ reader) %}
        {% endif %}
    {% endfor %}
    {% if not parts %}
        {% do parts.append("select " ~ livetier.duckdb_raw_columns(table['empty'], none) ~ " where 1 = 0") %}
    {% endif %}
    {{ return(parts | join('\nunion all\n')) }}
{% endmacro %}

{#-
    The number a typed Parquet number column holds in DuckDB SQL, or null where its text would
    not parse to it (parse_int: at most 18 digits; parse_decimal: at most 16 before the point and
    two after it): the `<column>__number` companion, and the test of its text column (the text is
    null exactly where this is not). `rule` is the companion's or the text column's rule.
-#}
{% macro duckdb_raw_number(rule, value) %}
    {% if rule in ('int_from_integer', 'typed_int_from_integer') %}
        {{ return("case when " ~ value ~ " between -999999999999999999 and 999999999999999999 then try_cast("
            ~ value ~ " as bigint) end") }}
    {% elif rule in ('dec_from_integer', 'typed_dec_from_integer') %}
        {{ return("case when " ~ value ~ " between -9999999999999999 and 9999999999999999 then try_cast("
            ~ value ~ " as decimal(18, 2)) end") }}
    {% elif rule in ('dec_from_decimal', 'typed_dec_from_decimal') %}
        {{ return("case when " ~ value ~ " = round(" ~ value ~ ", 2) then try_cast(" ~ value
            ~ " as decimal(18, 2)) end") }}
    {% endif %}
    {{ exceptions.raise_compiler_error("Unknown typed number rule '" ~ rule ~ "' in the raw read plan.") }}
{% endmacro %}

{#- A manifest CSV written by livetier.ingest, read by the contract's dialect with known text columns. -#}
{% macro raw_manifest_reader(path_literal, columns) -%}
    read_csv({{ path_literal }}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
        columns = { {%- for col in columns %}'{{ col }}': 'VARCHAR'{{ ', ' if not loop.last }}{% endfor -%} })
{%- endmacro %}

{#-
    One file's select list in DuckDB SQL: each `[name, rule, source]` of the plan; `_source_file`
    is `source_file` as a literal, or the expression `source_file_sql` (files read together).
-#}
{% macro duckdb_raw_columns(columns, source_file, source_file_sql=none) %}
    {% set select_list = [] %}
    {% for name, rule, source in columns %}
        {% set value = '"' ~ (source or '') | replace('"', '""') ~ '"' %}
        {#- a timestamp in nanoseconds (naive or zoned; epoch_ns reads it without the session's time zone)
            floored to the microsecond, as the text's further digits are cut (a cast or epoch_us rounds:
            23:59:59.9999996 would be the next day) -#}
        {% set nanos = 'epoch_ns(' ~ value ~ ')' %}
        {% set microseconds_of_nanoseconds = 'make_timestamp((' ~ nanos ~ ' - ((' ~ nanos ~ ' % 1000) + 1000) % 1000)'
            ~ ' // 1000)' %}
        {% if rule in ('missing', 'typed_timestamp', 'typed_zoned_timestamp', 'typed_nanoseconds') %}
            {% set sql = 'cast(null as varchar)' %}
        {% elif rule == 'nanoseconds_text' %}
            {# UTC text with its offset, as a zoned timestamp's: a naive one is UTC too #}
            {% set sql = 'cast(' ~ microseconds_of_nanoseconds ~ " as varchar) || '+00'" %}
        {% elif rule in ('text', 'zoned_timestamp') %}
            {# a zoned timestamp's text carries its offset (+00: the session's time zone is UTC) #}
            {% set sql = "nullif(trim(cast(" ~ value ~ " as varchar)), '')" %}
        {% elif rule == 'text_from_binary' %}
            {# bytes that are not UTF-8 keep the escaped form a cast writes: the row is kept, nothing lost #}
            {% set sql = "nullif(trim(coalesce(try(decode(" ~ value ~ ")), cast(" ~ value ~ " as varchar))), '')" %}
        {% elif rule == 'money_from_float' %}
            {% set sql = "nullif(trim(case when isfinite(" ~ value ~ ") and abs(" ~ value ~ ") < 1e15 and abs(" ~ value
                ~ " - round(" ~ value ~ ", 2)) <= 1e-9 then cast(cast(round(" ~ value ~ ", 2) as decimal(18, 2)) as varchar)"
                ~ " else cast(" ~ value ~ " as varchar) end), '')" %}
        {% elif rule == 'money_from_decimal' %}
            {% set sql = "nullif(trim(case when " ~ value ~ " = round(" ~ value ~ ", 2) then cast(cast(" ~ value
                ~ " as decimal(38, 2)) as varchar) else cast(" ~ value ~ " as varchar) end), '')" %}
        {% elif rule == 'integer_from_number' %}
            {#- isfinite first: NaN equals its trunc in DuckDB, and the Parquet statistics (which leave NaN
                out) let the optimizer drop `abs(...) < 1e18` as always true; try_cast as well -#}
            {% set sql = "nullif(trim(case when isfinite(" ~ value ~ ") and " ~ value ~ " = trunc(" ~ value ~ ") and abs("
                ~ value ~ ") < 1e18 then cast(try_cast("
                ~ value ~ " as bigint) as varchar) else cast(" ~ value ~ " as varchar) end), '')" %}
        {% elif rule == 'text_from_number' %}
            {#- an id of 16128.0 (pandas stores an integer column with nulls as floats) is `16128`, as the
                other files write it; NaN and infinity are null -#}
            {% set sql = "nullif(trim(case when not isfinite(cast(" ~ value ~ " as double)) then null when " ~ value
                ~ " = trunc(" ~ value ~ ") and abs(" ~ value ~ ") < 1e18 then cast(try_cast("
                ~ value ~ " as bigint) as varchar) else cast(" ~ value ~ " as varchar) end), '')" %}
        {% elif rule in ('typed_int_from_integer', 'typed_dec_from_integer') %}
            {# text only where the companion (the same rule's number) does not hold the value #}
            {% set sql = "case when " ~ livetier.duckdb_raw_number(rule, value) ~ " is null then nullif(trim(cast("
                ~ value ~ " as varchar)), '') end" %}
        {% elif rule == 'typed_dec_from_decimal' %}
            {% set sql = "case when " ~ livetier.duckdb_raw_number(rule, value) ~ " is null then case when "
                ~ value ~ " = round(" ~ value ~ ", 2) then cast(cast(" ~ value ~ " as decimal(38, 2)) as varchar)"
                ~ " else cast(" ~ value ~ " as varchar) end end" %}
        {% elif rule == 'int_missing' %}
            {% set sql = 'cast(null as bigint)' %}
        {% elif rule == 'dec_missing' %}
            {% set sql = 'cast(null as decimal(18, 2))' %}
        {% elif rule in ('int_from_integer', 'dec_from_integer', 'dec_from_decimal') %}
            {% set sql = livetier.duckdb_raw_number(rule, value) %}
        {% elif rule == 'utc_missing' %}
            {% set sql = 'cast(null as timestamp)' %}
        {% elif rule == 'utc_from_timestamp' %}
            {% set sql = 'cast(' ~ value ~ ' as timestamp)' %}
        {% elif rule == 'utc_from_zoned_timestamp' %}
            {# epoch_us reads the instant without the session's time zone (and 5x faster than ICU) #}
            {% set sql = 'make_timestamp(epoch_us(' ~ value ~ '))' %}
        {% elif rule == 'utc_from_nanoseconds' %}
            {% set sql = microseconds_of_nanoseconds %}
        {% elif rule in ('in_file', 'not_in_file') %}
            {% set sql = 'true' if rule == 'in_file' else 'false' %}
        {% elif rule == 'source_file' %}
            {% set sql = source_file_sql or livetier.sql_string_literal(source_file) %}
        {% else %}
            {{ exceptions.raise_compiler_error("Unknown read rule '" ~ rule ~ "' in the raw read plan.") }}
        {% endif %}
        {% do select_list.append(sql ~ ' as ' ~ name) %}
    {% endfor %}
    {{ return(select_list | join(', ')) }}
{% endmacro %}

{#-
    Spark: the plan comes in the var `raw_files` (`python -m livetier.rawcheck RAW_DIR [DB]`).
    Each file becomes an external table `raw.<table>__file_<n>` over its absolute `path` (dropping
    it never touches the file); a CSV table declares the fields by position (`c0 string, ...`, the
    header line skipped) as DuckDB reads them, and records that do not parse are dropped
    (`DROPMALFORMED`; the pre-pass lists them). Spark reads every value as text: the plan's typed
    columns come as text (a zoned timestamp with `+00`, as DuckDB writes it) and `<column>__utc`
    and `<column>__number` stay null. The manifests `files.csv` and `rejects.csv` become
    `raw._files` and `raw._rejects`.
-#}
{% macro spark__register_raw_sources() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set raw_path = var('raw_path') | string %}
    {% set plan = var('raw_files', none) %}
    {% if plan is string and plan | trim %}
        {% set plan = fromjson(plan) %}
    {% endif %}
    {% if plan is not mapping or plan.get('tables') is none %}
        {{ exceptions.raise_compiler_error(
            "On Spark the raw files are passed in the dbt var raw_files: add "
            ~ "--vars \"$(python -m livetier.rawcheck " ~ raw_path ~ ")\" to the dbt command.") }}
    {% endif %}
    {% do run_query('create schema if not exists raw') %}
    {% set ours = [] %}
    {% for row in run_query('show tables in raw') %}
        {% if '__file_' in row[1] and not row[2] %}{% do ours.append(row[1]) %}{% endif %}
    {% endfor %}
    {% for name in ours %}
        {% do run_query('drop table if exists raw.`' ~ name ~ '`') %}
    {% endfor %}
    {% for table in plan['tables'] %}
        {% set parts = [] %}
        {% for file in table['files'] %}
            {% set file_table = 'raw.`' ~ table['name'] ~ '__file_' ~ loop.index0 ~ '`' %}
            {# Spark reads `path` as a glob: escape its glob characters to read exactly this file #}
            {% set hadoop_path = file['path'] | replace('\\', '\\\\') | replace('[', '\\[') | replace(']', '\\]')
                | replace('{', '\\{') | replace('}', '\\}') | replace('*', '\\*') | replace('?', '\\?') %}
            {% if file['format'] == 'csv' %}
                {% set positions = [] %}
                {% for position in range(file['width']) %}{% do positions.append('c' ~ position ~ ' string') %}{% endfor %}
                {% do run_query("create table " ~ file_table ~ " (" ~ positions | join(', ') ~ ") using csv options (path "
                    ~ livetier.spark_string_literal(hadoop_path) ~ ", header 'true', sep ',', quote '\"', "
                    ~ "escape '\"', multiLine 'true', encoding 'UTF-8', mode 'DROPMALFORMED')") %}
            {% else %}
                {% do run_query("create table " ~ file_table ~ " using parquet options (path "
                    ~ livetier.spark_string_literal(hadoop_path) ~ ")") %}
            {% endif %}
            {% do parts.append("select " ~ livetier.spark_raw_columns(file['columns'], file['source_file'])
                ~ " from " ~ file_table) %}
        {% endfor %}
        {% if not parts %}
            {% do parts.append("select " ~ livetier.spark_raw_columns(table['empty'], none) ~ " where 1 = 0") %}
        {% endif %}
        {% do run_query("create or replace view raw." ~ table['name'] ~ " as " ~ parts | join(' union all ')) %}
        {{ log("raw." ~ table['name'] ~ ": " ~ (table['files'] | length) ~ " file(s)", info=false) }}
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

{#- One file's select list in Spark SQL: each `[name, rule, source]` of the plan, every value as text. -#}
{% macro spark_raw_columns(columns, source_file) %}
    {% set select_list = [] %}
    {% for name, rule, source in columns %}
        {% set value = '`' ~ (source or '') | replace('`', '``') ~ '`' %}
        {% if rule == 'missing' %}
            {% set sql = 'cast(null as string)' %}
        {% elif rule in ('text', 'text_from_binary', 'typed_timestamp', 'typed_int_from_integer',
            'typed_dec_from_integer') %}
            {# Spark's cast of binary to string decodes UTF-8 #}
            {% set sql = "nullif(trim(cast(" ~ value ~ " as string)), '')" %}
        {% elif rule in ('zoned_timestamp', 'typed_zoned_timestamp') %}
            {# DuckDB (time zone UTC) writes a zoned timestamp with `+00`, so Spark does too #}
            {% set sql = "nullif(trim(concat(cast(" ~ value ~ " as string), '+00')), '')" %}
        {% elif rule in ('nanoseconds_text', 'typed_nanoseconds') %}
            {#- Spark reads a timestamp in nanoseconds as their number (spark.sql.legacy.parquet.nanosAsLong in
                the profile): floored to the microsecond, the text DuckDB writes -#}
            {% set sql = "concat(cast(timestamp_micros((" ~ value ~ " - pmod(" ~ value ~ ", 1000)) div 1000) as string), '+00')" %}
        {% elif rule == 'money_from_float' %}
            {# NaN and infinity fail `< 1e15` #}
            {% set sql = "nullif(trim(case when abs(" ~ value ~ ") < 1e15 and abs(" ~ value ~ " - round(" ~ value
                ~ ", 2)) <= 1e-9 then cast(cast(round(" ~ value ~ ", 2) as decimal(18, 2)) as string)"
                ~ " else cast(" ~ value ~ " as string) end), '')" %}
        {% elif rule in ('money_from_decimal', 'typed_dec_from_decimal') %}
            {% set sql = "nullif(trim(case when " ~ value ~ " = round(" ~ value ~ ", 2) then cast(cast(" ~ value
                ~ " as decimal(38, 2)) as string) else cast(" ~ value ~ " as string) end), '')" %}
        {% elif rule == 'integer_from_number' %}
            {% set sql = "nullif(trim(case when " ~ value ~ " = floor(" ~ value ~ ") and abs(" ~ value
                ~ ") < 1e18 then cast(cast(" ~ value ~ " as bigint) as string) else cast(" ~ value ~ " as string) end), '')" %}
        {% elif rule == 'text_from_number' %}
            {# NaN is larger than infinity in Spark: both fail `< double('inf')` #}
            {% set sql = "nullif(trim(case when not abs(cast(" ~ value ~ " as double)) < double('inf') then null when abs(" ~ value
                ~ ") < 1e18 and " ~ value ~ " = floor(" ~ value ~ ") then cast(cast(" ~ value ~ " as bigint) as string)"
                ~ " else cast(" ~ value ~ " as string) end), '')" %}
        {% elif rule in ('utc_missing', 'utc_from_timestamp', 'utc_from_zoned_timestamp', 'utc_from_nanoseconds') %}
            {% set sql = 'cast(null as timestamp)' %}
        {% elif rule in ('int_missing', 'int_from_integer') %}
            {% set sql = 'cast(null as bigint)' %}
        {% elif rule in ('dec_missing', 'dec_from_integer', 'dec_from_decimal') %}
            {% set sql = 'cast(null as decimal(18, 2))' %}
        {% elif rule in ('in_file', 'not_in_file') %}
            {% set sql = 'true' if rule == 'in_file' else 'false' %}
        {% elif rule == 'source_file' %}
            {% set sql = livetier.spark_string_literal(source_file) %}
        {% else %}
            {{ exceptions.raise_compiler_error("Unknown read rule '" ~ rule ~ "' in the raw read plan.") }}
        {% endif %}
        {% do select_list.append(sql ~ ' as ' ~ name) %}
    {% endfor %}
    {{ return(select_list | join(', ')) }}
{% endmacro %}
