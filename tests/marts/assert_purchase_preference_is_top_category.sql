-- A buyer's preferred category is their top category over 365 days (one rule, two readers):
-- decided by purchases exactly when user_facts has a top category, and then equal to it.
with

tags as (
    select * from {{ ref('user_tags') }}
),

facts as (
    select * from {{ ref('user_facts') }}
),

mismatches as (
    select
        tags.user_id,
        tags.preferred_category,
        tags.preferred_category_signal,
        facts.top_category_365d
    from tags
    inner join facts
        on tags.user_id = facts.user_id
    where
        coalesce(tags.preferred_category_signal = 'purchase', false) <> (facts.top_category_365d is not null)
        or (
            tags.preferred_category_signal = 'purchase'
            and tags.preferred_category <> facts.top_category_365d
        )
)

select * from mismatches
