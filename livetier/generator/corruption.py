"""Dirty input (opt-in, ``dirty=``): defects real exports have, injected into about that fraction
of each chunk's rows so the checks in staging have something to set aside. Per table, a row
gets one of: a null key or user_id, a negative or zero amount or quantity, an unknown
enumeration value, or (CSV only) an unparseable timestamp text."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from livetier.generator.contract import DEC

DIRTY_TS = {
    "events": "event_at",
    "orders": "ordered_at",
    "refunds": "refunded_at",
    "users": "registered_at",
    "campaign_touches": "sent_at",
    "live_streams": "started_at",
}


def set_where(table: pa.Table, col: str, mask: np.ndarray, value) -> pa.Table:
    if not mask.any():
        return table
    i = table.schema.get_field_index(col)
    typ = table.schema.field(i).type
    arr = table[col]
    if callable(value):
        repl = value(arr)
    else:
        repl = pa.scalar(value, typ)
    return table.set_column(i, table.schema.field(i), pc.if_else(pa.array(mask), repl, arr))


def corrupt(name: str, table: pa.Table, rng: np.random.Generator, frac: float, fmt: str):
    """Corrupt about ``frac`` of the rows; returns (table, bad timestamp masks for CSV)."""
    n = table.num_rows
    hit = rng.random(n) < frac
    kind = rng.integers(0, 3, n)
    bad_ts: dict[str, np.ndarray] = {}
    csv = fmt == "csv"
    ts_col = DIRTY_TS.get(name)
    if csv and ts_col:
        bad_ts[ts_col] = hit & (kind == 2)
        kind = np.where(kind == 2, 3, kind)
    else:
        kind = np.where(kind == 2, 0, kind)
    k0, k1 = hit & (kind == 0), hit & (kind == 1)
    if name in ("events", "orders", "campaign_touches", "users"):
        col = "user_id"
        table = set_where(table, col, k0, None)
    elif name == "refunds":
        table = set_where(table, "amount", k0, lambda a: pc.negate(a))
    elif name == "order_items":
        table = set_where(table, "quantity", k0, 0)
    elif name == "products":
        table = set_where(table, "list_price", k0, lambda a: pc.negate(a))
    elif name == "live_streams":
        table = set_where(table, "stream_id", k0, None)
    if name == "events":
        table = set_where(table, "event_type", k1, "page_view")
    elif name == "orders":
        table = set_where(table, "amount", k1, lambda a: pc.negate(a))
    elif name == "order_items":
        table = set_where(table, "unit_price", k1, lambda a: pc.negate(a))
    elif name == "campaign_touches":
        table = set_where(table, "channel", k1, "email")
    elif name == "refunds":
        table = set_where(table, "amount", k1, pa.scalar(0, DEC))
    return table, bad_ts


def unparseable_timestamps(mask: np.ndarray) -> np.ndarray:
    """The CSV text of a corrupted timestamp: alternately a slashed date and a 30th of February."""
    return np.where(np.arange(len(mask)) % 2 == 0, "2025/03/05 20:00", "2025-02-30T20:00:00+08:00")
