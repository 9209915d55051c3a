with

users as (
    select * from {{ ref('stg_live__users') }}
),

orders as (
    select * from {{ ref('stg_live__orders') }}
),

activity_daily as (
    select * from {{ ref('int_user_activity_daily') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

registered as (
    select
        users.user_id,
        users.registered_date
    from users
    cross join as_of
    where users.registered_date <= as_of.as_of_date
),

first_events as (
    select
        activity_daily.user_id,
        min(activity_daily.activity_date) as first_event_date
    from activity_daily
    cross join as_of
    where
        activity_daily.activity_date <= as_of.as_of_date
        and activity_daily.is_event_day
    group by activity_daily.user_id
),

-- any order placed by D makes a user known, whatever its status
first_orders as (
    select
        orders.user_id,
        min(orders.ordered_date) as first_order_date
    from orders
    cross join as_of
    where orders.ordered_date <= as_of.as_of_date
    group by orders.user_id
),

known_user_ids as (
    select user_id from registered
    union
    select user_id from first_events
    union
    select user_id from first_orders
),

final as (
    select
        known_user_ids.user_id,
        users.gender,
        users.birth_year,
        users.province,
        users.city_tier,
        users.acquisition_channel,
        registered.registered_date,
        first_events.first_event_date,
        first_orders.first_order_date,
        least(
            coalesce(registered.registered_date, first_events.first_event_date, first_orders.first_order_date),
            coalesce(first_events.first_event_date, first_orders.first_order_date, registered.registered_date),
            coalesce(first_orders.first_order_date, registered.registered_date, first_events.first_event_date)
        ) as first_seen_date,
        as_of.as_of_date
    from known_user_ids
    cross join as_of
    left join registered
        on known_user_ids.user_id = registered.user_id
    left join users
        on registered.user_id = users.user_id
    left join first_events
        on known_user_ids.user_id = first_events.user_id
    left join first_orders
        on known_user_ids.user_id = first_orders.user_id
)

select * from final
