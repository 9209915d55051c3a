{#-
    What a run of int_order_net_amounts_versioned (incremental by order on DuckDB) recomputes:
    - `incremental`: false on a full build, and when the stored table must be built again from
      every order: it predates `_loaded_at`, is empty, or base_live__orders was rebuilt since its
      last run (every kept order written after it: a loaded orders file removed or rewritten);
      the pre-hook delete_order_versions_if_rebuilt then empties it;
    - `watermark`: the latest `_loaded_at` it stores; the orders written since (new orders, new
      copies of stored ones, future orders the clock reached) are recomputed;
    - `refunds_changed`: whether the refunds (base_live__refunds_allocated, a table_on_change
      model) were rebuilt since; then the orders whose refund days differ from the stored ones
      (refunds_fingerprint) are recomputed too, those with refund rows now or stored with some
      (a withdrawn refund leaves its order one version again).
    A stored table without refunds_fingerprint (an earlier version) is built again too.
-#}
{% macro order_versions_state() %}
    {%- set state = livetier.stamped_by_order_state(ref('stg_live__orders'), ['_loaded_at', 'refunds_fingerprint']) -%}
    {%- do state.update({'refunds_changed': true}) -%}
    {%- if state['incremental'] -%}
        {%- set refunds_id = 'model.livetier.base_live__refunds_allocated' -%}
        {%- set refunds_changed = run_query(
            "select coalesce((select max(ledger._changed_at) from " ~ livetier.input_fingerprints_ledger()
            ~ " as ledger where ledger.model = " ~ livetier.sql_string_literal(refunds_id) ~ ")"
            ~ " > cast(" ~ livetier.sql_string_literal(state['watermark']) ~ " as timestamp), true)"
        )[0][0] -%}
        {%- do state.update({'refunds_changed': refunds_changed}) -%}
    {%- endif -%}
    {{ return(state) }}
{% endmacro %}

{#-
    The state both models incremental by order (int_order_net_amounts_versioned,
    int_purchase_versions_spanned) start from: `incremental` false on a full build, and when the
    stored table lacks one of `required_columns`, is empty, or `parent` (which stamps every row
    it writes with `_loaded_at`) was built again from every row since the stored table's last run
    (its earliest stamp after that run); else true, with `watermark` the stored table's latest
    `_loaded_at`.
-#}
{% macro stamped_by_order_state(parent, required_columns) %}
    {%- set state = {'incremental': false, 'watermark': none} -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(state) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if required_columns | reject('in', columns) | list | length > 0 -%}
        {{ return(state) }}
    {%- endif -%}
    {%- set row = run_query(
        "select cast(stored.watermark as varchar),"
        ~ " coalesce((select min(parent._loaded_at) from " ~ parent ~ " as parent) <= stored.watermark, false)"
        ~ " from (select max(_loaded_at) as watermark from " ~ this ~ ") as stored"
    )[0] -%}
    {%- if row[0] is none or not row[1] -%}
        {{ return(state) }}
    {%- endif -%}
    {%- do state.update({'incremental': true, 'watermark': row[0]}) -%}
    {{ return(state) }}
{% endmacro %}

{#- Its pre-hook: empties the stored table before a run that builds it from every order. -#}
{% macro delete_order_versions_if_rebuilt() -%}
    {%- if execute and this is not none and is_incremental() and not livetier.order_versions_state()['incremental'] -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#-
    What a run of int_purchase_versions_spanned (incremental by order on DuckDB) recomputes:
    - `incremental`: false on a full build, and when the stored table must be built again from
      every version: it predates `_loaded_at`, is empty, or int_order_net_amounts_versioned was
      built again from every order since its last run (every version written after it); the
      pre-hook delete_purchase_spans_rewritten then empties it;
    - `watermark`: the start of its last run that wrote rows (its latest `_loaded_at`); the orders
      whose versions were written since are recomputed (the pre-hook deletes their stored spans
      first: an order may have none left, cancelled or refunded in full).
-#}
{% macro purchase_spans_state() %}
    {{ return(livetier.stamped_by_order_state(ref('int_order_net_amounts_versioned'), ['_loaded_at'])) }}
{% endmacro %}

{#- The orders whose versions were written after `watermark`. -#}
{% macro purchase_spans_rewritten_orders(watermark) -%}
    select versions.order_id
    from {{ ref('int_order_net_amounts_versioned') }} as versions
    where versions._loaded_at > cast('{{ watermark }}' as timestamp)
{%- endmacro %}

{#-
    Its pre-hook: empties the stored table before a run that builds it from every version, and
    else deletes the spans of the orders it recomputes.
-#}
{% macro delete_purchase_spans_rewritten() -%}
    {%- if execute and this is not none and is_incremental() -%}
        {%- set state = livetier.purchase_spans_state() -%}
        delete from {{ this }}
        {%- if state['incremental'] %}
            where order_id in ({{ livetier.purchase_spans_rewritten_orders(state['watermark']) }})
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
