"""The raw contract as the generator writes it: tables, their columns and Arrow types.

`models/staging/live/_live__sources.yml` and `livetier.rawcheck` describe the same tables;
`tests/python/test_raw_contract_agreement.py` checks that the three agree.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
DEC = pa.decimal128(18, 2)
STR = pa.string()
INT = pa.int64()
BOOL = pa.bool_()

SCHEMAS: dict[str, pa.Schema] = {
    "orders": pa.schema(
        [
            ("order_id", STR),
            ("user_id", STR),
            ("ordered_at", TS),
            ("paid_at", TS),
            ("status", STR),
            ("amount", DEC),
            ("discount_amount", DEC),
            ("coupon_id", STR),
            ("stream_id", STR),
            ("currency", STR),
        ]
    ),
    "users": pa.schema(
        [
            ("user_id", STR),
            ("registered_at", TS),
            ("gender", STR),
            ("birth_year", INT),
            ("province", STR),
            ("city_tier", INT),
            ("acquisition_channel", STR),
            ("phone", STR),
            ("nickname", STR),
            ("marketing_consent", BOOL),
        ]
    ),
    "events": pa.schema(
        [
            ("event_id", STR),
            ("user_id", STR),
            ("event_type", STR),
            ("event_at", TS),
            ("stream_id", STR),
            ("product_id", STR),
            ("value", DEC),
            ("text", STR),
        ]
    ),
    "live_streams": pa.schema(
        [
            ("stream_id", STR),
            ("anchor_id", STR),
            ("category", STR),
            ("started_at", TS),
            ("ended_at", TS),
        ]
    ),
    "products": pa.schema([("product_id", STR), ("category", STR), ("brand", STR), ("list_price", DEC)]),
    "order_items": pa.schema(
        [
            ("order_id", STR),
            ("line_no", INT),
            ("product_id", STR),
            ("quantity", INT),
            ("unit_price", DEC),
        ]
    ),
    "refunds": pa.schema([("refund_id", STR), ("order_id", STR), ("refunded_at", TS), ("amount", DEC)]),
    "campaign_touches": pa.schema(
        [
            ("touch_id", STR),
            ("campaign_id", STR),
            ("user_id", STR),
            ("channel", STR),
            ("sent_at", TS),
            ("opened_at", TS),
            ("is_control", BOOL),
        ]
    ),
}
TABLES: tuple[str, ...] = tuple(SCHEMAS)
FORMATS = ("parquet", "csv", "folder")

# The campaigns' ground truth (`<out>/_truth/campaign_uplift.parquet`); not part of the contract.
CAMPAIGN_UPLIFT_SCHEMA = pa.schema(
    [
        ("campaign_id", STR),
        ("theme", STR),
        ("channel", STR),
        ("sent_date", STR),
        ("n_treated", INT),
        ("n_control", INT),
        ("true_uplift", pa.float64()),
        ("base_rate", pa.float64()),
        ("uplift_order_prob", pa.float64()),
        ("attribution_days", INT),
    ]
)


def build_table(name: str, arrays: list[pa.Array]) -> pa.Table:
    """The contract table `name` from its column arrays, in contract order."""
    return pa.Table.from_arrays(arrays, schema=SCHEMAS[name])
