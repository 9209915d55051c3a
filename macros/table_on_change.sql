{#-
    A table rebuilt only when what it reads changed (DuckDB). Before building, the fingerprint of
    the model's inputs is computed (`inputs_fingerprint`): its compiled SQL, the personal-data key,
    the content hash of every raw file of each source table it reads (the pre-pass's sha256 in
    `raw._files`), the content of each seed, the SQL of each view between (as created in this
    run), the stored fingerprint of each upstream `table_on_change` model (through views) and the
    row count and latest `_loaded_at` of each upstream incremental model configured
    `versioned_by_loaded_at` (the orders, order lines and order versions). When it equals the one
    recorded at the last build (table `_input_fingerprints` in the target's own schema, created
    on-run-start, with `_changed_at`: the start of the run that last built it) the stored table is
    kept as it is; a full refresh, a missing table or record, any other upstream (a table rebuilt
    every run, another incremental model) or a stored row matching the config `rebuild_if_any` (a
    SQL predicate: rows whose outcome depends on the build clock) builds it as a plain table.

    The record is removed before a build and written after it commits, so a failed build leaves
    no record and the next run builds again. Nightly runs whose dimension exports (orders, users,
    refunds, products, streams, touches) did not change skip them and what only they feed.
-#}
{% materialization table_on_change, adapter='duckdb' %}
    {%- set fingerprint = livetier.inputs_fingerprint(model) -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set ledger = livetier.input_fingerprints_ledger() -%}
    {%- set keep = false -%}
    {%- if fingerprint is not none and existing is not none and existing.is_table and not should_full_refresh() -%}
        {%- set recorded = livetier.recorded_fingerprint(model.unique_id) -%}
        {%- if recorded == fingerprint -%}
            {%- set keep = true -%}
            {%- set rebuild_if_any = config.get('rebuild_if_any') -%}
            {%- if rebuild_if_any -%}
                {%- set matching = run_query('select count(*) from (select 1 from ' ~ this ~ ' where ' ~ rebuild_if_any ~ ' limit 1)') -%}
                {%- set keep = matching[0][0] == 0 -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}

    {%- if keep -%}
        {{ log(this.identifier ~ ": inputs unchanged since its last build, table kept", info=true) }}
        {%- call statement('main') -%}
            select 1
        {%- endcall -%}
        {{ adapter.commit() }}
        {{ return({'relations': [this.incorporate(type='table')]}) }}
    {%- endif -%}

    {%- call statement('forget_fingerprint') -%}
        delete from {{ ledger }} where model = {{ livetier.sql_string_literal(model.unique_id) }}
    {%- endcall -%}
    {{ adapter.commit() }}

    {%- set result = materialization_table_duckdb() -%}

    {%- if fingerprint is not none -%}
        {%- call statement('record_fingerprint') -%}
            insert into {{ ledger }} values (
                {{ livetier.sql_string_literal(model.unique_id) }}, {{ livetier.sql_string_literal(fingerprint) }},
                {{ livetier.sql_string_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')) }}
            )
        {%- endcall -%}
        {{ adapter.commit() }}
    {%- endif -%}
    {{ return(result) }}
{% endmaterialization %}

{#- The table recording the input fingerprint of each `table_on_change` model (by unique_id). -#}
{% macro input_fingerprints_ledger() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='_input_fingerprints')) }}
{%- endmacro %}

{#- Creates the ledger before a run (on-run-start; DuckDB only: Spark builds plain tables). -#}
{% macro create_input_fingerprints_ledger() %}
    {% if execute and target.type == 'duckdb' %}
        {% do run_query('create schema if not exists ' ~ adapter.quote(target.schema)) %}
        {% do run_query('create table if not exists ' ~ livetier.input_fingerprints_ledger()
            ~ ' (model varchar, fingerprint varchar, _changed_at timestamp)') %}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}

{#-
    What the ledger holds for one `table_on_change` model: its input fingerprint at its last build
    (`what = 'fingerprint'`) or that plus when the build ran (`what = 'version'`: what a downstream
    model fingerprints, since a rebuild for `rebuild_if_any` changes content under the same inputs).
    None when nothing is recorded.
-#}
{% macro recorded_fingerprint(unique_id, what='fingerprint') %}
    {%- set column = "fingerprint || '@' || cast(_changed_at as varchar)" if what == 'version' else 'fingerprint' -%}
    {%- set rows = run_query('select max(' ~ column ~ ') from ' ~ livetier.input_fingerprints_ledger() ~ ' where model = '
        ~ livetier.sql_string_literal(unique_id)) -%}
    {{ return(rows[0][0]) }}
{% endmacro %}

{#-
    The fingerprint of what `node` reads (see `table_on_change`), or none when one of its inputs
    cannot be fingerprinted (then it is built every run).
-#}
{% macro inputs_fingerprint(node) %}
    {%- set parts = [livetier.sql_string_literal(local_md5(node.compiled_code or node.raw_code))] -%}
    {%- set ok = livetier._fingerprint_parents(node, parts, []) -%}
    {%- if not ok -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query = 'select md5(' ~ parts | join(" || '|' || ") ~ ')' -%}
    {{ return(run_query(query)[0][0]) }}
{% endmacro %}

{#- Appends one SQL text expression per input of `node` to `parts`; false if one has no fingerprint. -#}
{% macro _fingerprint_parents(node, parts, seen) %}
    {%- for parent_id in node.depends_on.nodes if parent_id not in seen -%}
        {%- do seen.append(parent_id) -%}
        {%- if parent_id.startswith('source.') -%}
            {%- set source = graph.sources[parent_id] -%}
            {%- do parts.append("(select coalesce(string_agg(source_file || '=' || sha256, ';' order by source_file), '') "
                ~ "from raw._files where raw_table = " ~ livetier.sql_string_literal(source.identifier) ~ ")") -%}
            {#- the personal-data key: its hash of a constant changes with it -#}
            {%- do parts.append("livetier_pii_hash('input fingerprint')") -%}
        {%- else -%}
            {%- set parent = graph.nodes[parent_id] -%}
            {%- set relation = adapter.get_relation(database=parent.database, schema=parent.schema,
                identifier=parent.alias) -%}
            {%- if parent.resource_type == 'seed' and relation is not none -%}
                {%- do parts.append("(select md5(coalesce(string_agg(cast(s as varchar), ';' order by cast(s as varchar)), '')) from "
                    ~ relation ~ " as s)") -%}
            {%- elif parent.resource_type == 'model' and parent.config.materialized == 'view' -%}
                {#- the view as created in this run: its SQL with the vars and macros it was rendered with -#}
                {%- do parts.append("(select md5(sql) from duckdb_views() where database_name = "
                    ~ livetier.sql_string_literal(parent.database) ~ " and schema_name = "
                    ~ livetier.sql_string_literal(parent.schema) ~ " and view_name = "
                    ~ livetier.sql_string_literal(parent.alias) ~ ")") -%}
                {%- if not livetier._fingerprint_parents(parent, parts, seen) -%}
                    {{ return(false) }}
                {%- endif -%}
            {%- elif parent.resource_type == 'model' and parent.config.materialized == 'table_on_change' -%}
                {%- set recorded = livetier.recorded_fingerprint(parent_id, 'version') -%}
                {%- if recorded is none -%}
                    {{ return(false) }}
                {%- endif -%}
                {%- do parts.append(livetier.sql_string_literal(recorded)) -%}
            {%- elif parent.resource_type == 'model' and parent.config.materialized == 'incremental'
                    and parent.config.get('versioned_by_loaded_at') and relation is not none -%}
                {#- an incremental table that stamps every row it writes with its run's start
                    (`_loaded_at`) and deletes only rows it writes again: a run that changed
                    anything changed its latest stamp or its count -#}
                {%- do parts.append("(select count(*) || '@' || coalesce(cast(max(_loaded_at) as varchar), '') from "
                    ~ relation ~ ")") -%}
            {%- else -%}
                {{ return(false) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{% endmacro %}
