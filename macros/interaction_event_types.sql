{#-
    The event types that count as interactions (spec: likes, comments, shares, follows, gifts), as a
    SQL list for `event_type in (...)`: one definition for the daily activity, the stream minutes
    and the stream viewers' days.
-#}
{% macro interaction_event_types() -%}
    'like', 'comment', 'share', 'follow', 'gift'
{%- endmacro %}
