{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key='stream_id',
        on_schema_change='fail',
    )
}}
{#-
    The anchor of each stream started by D and when it was last set: a row is written when the
    stream is new or its anchor differs from the stored one (with the one before), otherwise
    kept as stored. int_anchor_fans_counted counts again every user of a stream whose anchor
    changed since its last run (their days were counted under the earlier anchor). A stream no
    longer started by D keeps its row.
-#}
with

streams as (
    select * from {{ ref('int_streams_started') }}
),

{% if is_incremental() %}

    stored_anchors as (
        select * from {{ this }}
    ),

    anchors_set as (
        select
            streams.stream_id,
            streams.anchor_id,
            stored_anchors.anchor_id as previous_anchor_id,
            stored_anchors.stream_id is not null as was_stored
        from streams
        left join stored_anchors
            on streams.stream_id = stored_anchors.stream_id
        where
            stored_anchors.stream_id is null
            or not (stored_anchors.anchor_id is not distinct from streams.anchor_id)
    ),

{% else %}

    anchors_set as (
        select
            stream_id,
            anchor_id,
            cast(null as string) as previous_anchor_id,
            false as was_stored
        from streams
    ),

{% endif %}

final as (
    select
        cast(stream_id as string) as stream_id,
        cast(anchor_id as string) as anchor_id,
        cast(previous_anchor_id as string) as previous_anchor_id,
        cast(was_stored as boolean) as is_reanchored,
        {{ run_stamp() }} as _changed_at
    from anchors_set
)

select * from final
