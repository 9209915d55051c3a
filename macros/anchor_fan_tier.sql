{#-
    The anchor fan tier of a row with these 90-/365-day numbers (stream_review.md, `anchor_fans`):
    the spec's rules top-down, first match wins. Reads the CTE `thresholds`.
-#}
{% macro anchor_fan_tier(watch_days_90d, interactions_90d, purchases_365d) -%}
    case
        when
            {{ watch_days_90d }} >= {{ threshold('anchor_core_min_watch_days_90d') }}
            and {{ interactions_90d }} >= {{ threshold('anchor_core_min_interactions_90d') }}
            and {{ purchases_365d }} >= {{ threshold('anchor_core_min_purchases_365d') }}
            then 'anchor_core_fan'
        when
            {{ watch_days_90d }} >= {{ threshold('anchor_regular_min_watch_days_90d') }}
            or {{ purchases_365d }} >= {{ threshold('anchor_regular_min_purchases_365d') }}
            then 'anchor_regular'
        else 'anchor_viewer'
    end
{%- endmacro %}

{#-
    Post-hook of anchor_fans (DuckDB): deletes the stored pairs int_anchor_fans_counted no longer
    has. After the run's upsert every pair of the parent is stored (a pair not rewritten since the
    mart's last run was stored then), so the stored pairs outnumber the parent's exactly by the
    pairs gone: the anti-join runs only when the counts differ (most nights none is gone).
-#}
{% macro anchor_fans_gone_deleted() -%}
    {%- if execute and this is not none and target.type != 'spark' -%}
        {%- set parent = ref('int_anchor_fans_counted') -%}
        {%- set surplus = run_query(
            'select (select count(*) from ' ~ this ~ ') - (select count(*) from ' ~ parent ~ ')')[0][0] -%}
        {%- if surplus != 0 -%}
            {{ rows_gone_deleted(parent, ['anchor_id', 'user_id']) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
