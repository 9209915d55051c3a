{#- The combination of `columns` identifies a row: no two rows share it and none of its parts is null. -#}
{% test unique_key(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1 or {{ columns | join(' is null or ') }} is null

{% endtest %}
