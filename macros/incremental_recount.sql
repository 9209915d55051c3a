{#-
    Incremental strategy `recount` (DuckDB): the batch holds the rows of the keys counted again;
    the stored rows of every key in the batch are deleted, then the batch's rows are inserted but
    those marked `_is_removed` (a key counted again that has no row any more: its batch row only
    deletes the stored one). Used by int_anchor_fans_counted, whose pairs can vanish (a user's
    rows gone from a stream, a stream given another anchor).
-#}
{% macro get_incremental_recount_sql(arg_dict) -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set temp_relation = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target_relation }} as stored
    using {{ temp_relation }} as recounted
    where
        {%- for key in keys %}
        {{ 'and ' if not loop.first }}stored.{{ key }} = recounted.{{ key }}
        {%- endfor %};

    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }}
    from {{ temp_relation }}
    where not _is_removed
{%- endmacro %}
