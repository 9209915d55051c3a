{#-
    Every known user numbered once, so the large sorts, groupings and joins of the as-of chain
    compare integers, not strings.
-#}
with

known_users as (
    select * from {{ ref('int_users_unioned') }}
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(row_number() over (order by user_id) as integer) as user_number,
        cast(first_seen_date as date) as first_seen_date
    from known_users
)

select * from final
