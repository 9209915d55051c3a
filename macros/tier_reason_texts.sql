{#-
    The texts of user_tier_reasons: each condition as text that reads right whether it held or
    failed, and the first failed condition of each higher rule, as SQL expressions over the
    model's `users` columns (the numbers every user shares, thresholds and buyer means, come
    written once per as-of date as `<name>_text` columns). The model writes each into its
    reasons only where used, so a user's texts are built only for the rules named in them.
-#}
{% macro tier_reason_texts() -%}
    {%- set core_purchases_text -%}
        'purchases_365d ' || {{ number_text('purchases_365d') }}
        || case when is_core_purchases then ' >= ' else ' < ' end
        || core_min_purchases_365d_text || ' (core_min_purchases_365d)'
    {%- endset %}
    {%- set core_watch_text -%}
        'watch_days_90d ' || {{ number_text('watch_days_90d') }}
        || case when is_core_watch then ' >= ' else ' < ' end
        || core_min_watch_days_90d_text || ' (core_min_watch_days_90d)'
    {%- endset %}
    {%- set core_interactions_text -%}
        'interactions_90d ' || {{ number_text('interactions_90d') }}
        || case when is_core_interactions then ' >= ' else ' < ' end
        || core_min_interactions_90d_text || ' (core_min_interactions_90d)'
    {%- endset %}
    {%- set potential_purchases_text -%}
        'purchases_365d ' || {{ number_text('purchases_365d') }}
        || case when is_potential_purchases then ' <= ' else ' > ' end
        || potential_max_purchases_365d_text || ' (potential_max_purchases_365d)'
    {%- endset %}
    {%- set potential_watch_text -%}
        'watch_days_30d ' || {{ number_text('watch_days_30d') }}
        || case when is_potential_watch then ' >= ' else ' < ' end
        || potential_min_watch_days_30d_text || ' (potential_min_watch_days_30d)'
    {%- endset %}
    {%- set potential_interactions_text -%}
        'interactions_30d ' || {{ number_text('interactions_30d') }}
        || case when is_potential_interactions then ' >= ' else ' < ' end
        || potential_min_interactions_30d_text || ' (potential_min_interactions_30d)'
    {%- endset %}
    {%- set new_window_text -%}
        'days_since_first_seen ' || {{ number_text('days_since_first_seen') }}
        || case when is_new_window then ' < ' else ' >= ' end
        || new_window_days_text || ' (new_window_days)'
    {%- endset %}
    {%- set never_purchased_text -%}
        'lifetime_purchases ' || {{ number_text('lifetime_purchases') }}
        || case when is_never_purchased then ' = 0' else ' > 0' end
    {%- endset %}
    {%- set purchased_365d_text -%}
        'purchases_365d ' || {{ number_text('purchases_365d') }}
        || case when is_purchased_365d then ' > 0' else ' = 0' end
    {%- endset %}
    {%- set lifecycle_new_text -%}
        'days_since_first_seen ' || {{ number_text('days_since_first_seen') }}
        || case when is_lifecycle_new then ' < ' else ' >= ' end
        || lifecycle_new_days_text || ' (lifecycle_new_days)'
    {%- endset %}
    {%- set active_recently_text -%}
        case
            when days_since_last_active is null then 'no active day'
            else
                'days_since_last_active ' || {{ number_text('days_since_last_active') }}
                || case when is_active_recently then ' < ' else ' >= ' end
                || silent_after_days_text || ' (silent_after_days)'
        end
    {%- endset %}
    {%- set comeback_text -%}
        case
            when has_comeback_in_window
                then
                    'came back after at least ' || churn_after_days_text
                    || ' inactive days (churn_after_days) within ' || silent_after_days_text
                    || ' days (silent_after_days)'
            else
                'no comeback after ' || churn_after_days_text
                || ' inactive days (churn_after_days) within ' || silent_after_days_text
                || ' days (silent_after_days)'
        end
    {%- endset %}
    {%- set active_before_churn_text -%}
        case
            when days_since_last_active is null then 'no active day'
            else
                'days_since_last_active ' || {{ number_text('days_since_last_active') }}
                || case when is_active_before_churn then ' < ' else ' >= ' end
                || churn_after_days_text || ' (churn_after_days)'
        end
    {%- endset %}
    {%- set spend_high_text -%}
        'm_cume_dist ' || {{ number_text('m_cume_count') }} || '/' || buyer_count_text
        || case when is_spend_high then ' > ' else ' <= ' end
        || spend_high_cut_text || ' (1 - spend_high_share)'
    {%- endset %}
    {%- set spend_mid_text -%}
        'm_cume_dist ' || {{ number_text('m_cume_count') }} || '/' || buyer_count_text
        || case when is_spend_mid then ' > ' else ' <= ' end
        || spend_mid_cut_text
        || ' (1 - spend_high_share - spend_mid_share)'
    {%- endset %}
    {%- set r_text -%}
        'recency_days ' || {{ number_text('recency_days') }}
        || case when is_r_high then ' <= ' else ' > ' end
        || 'mean ' || recency_days_mean_text
        || ' (R ' || case when is_r_high then 'high' else 'low' end || ')'
    {%- endset %}
    {%- set f_text -%}
        'f_value ' || {{ number_text('f_value') }}
        || case when is_f_high then ' >= ' else ' < ' end
        || 'mean ' || f_value_mean_text
        || ' (F ' || case when is_f_high then 'high' else 'low' end || ')'
    {%- endset %}
    {%- set m_text -%}
        'm_value ' || {{ number_text('m_value') }}
        || case when is_m_high then ' >= ' else ' < ' end
        || 'mean ' || m_value_mean_text
        || ' (M ' || case when is_m_high then 'high' else 'low' end || ')'
    {%- endset %}
    {%- set core_failed_text -%}
        case
            when not is_core_purchases then {{ core_purchases_text }}
            when not is_core_watch then {{ core_watch_text }}
            else {{ core_interactions_text }}
        end
    {%- endset %}
    {%- set potential_failed_text -%}
        case
            when not is_potential_purchases then {{ potential_purchases_text }}
            when not is_potential_watch then {{ potential_watch_text }}
            else {{ potential_interactions_text }}
        end
    {%- endset %}
    {%- set new_visitor_failed_text -%}
        case when not is_new_window then {{ new_window_text }} else {{ never_purchased_text }} end
    {%- endset %}
    {%- set reactivated_failed_text -%}
        case when not is_active_recently then {{ active_recently_text }} else {{ comeback_text }} end
    {%- endset %}
    {{ return({
        'core_purchases_text': core_purchases_text,
        'core_watch_text': core_watch_text,
        'core_interactions_text': core_interactions_text,
        'potential_purchases_text': potential_purchases_text,
        'potential_watch_text': potential_watch_text,
        'potential_interactions_text': potential_interactions_text,
        'new_window_text': new_window_text,
        'never_purchased_text': never_purchased_text,
        'purchased_365d_text': purchased_365d_text,
        'lifecycle_new_text': lifecycle_new_text,
        'active_recently_text': active_recently_text,
        'comeback_text': comeback_text,
        'active_before_churn_text': active_before_churn_text,
        'spend_high_text': spend_high_text,
        'spend_mid_text': spend_mid_text,
        'r_text': r_text,
        'f_text': f_text,
        'm_text': m_text,
        'core_failed_text': core_failed_text,
        'potential_failed_text': potential_failed_text,
        'new_visitor_failed_text': new_visitor_failed_text,
        'reactivated_failed_text': reactivated_failed_text
    }) }}
{%- endmacro %}
