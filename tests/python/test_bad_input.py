"""Every bad-input class of the contract, with a known number of bad rows per class and table.

The ledger must count each class exactly, and rows read = kept + set aside + duplicates.
"""

from __future__ import annotations

import csv
from pathlib import Path

from dbt_harness import STAGING_SELECT, build, ledger, query

GOOD_TS = "2025-03-10T10:00:00+08:00"
FUTURE = "2099-01-01T00:00:00Z"


def _write(raw: Path, table: str, header: list[str], rows: list[list[str]]) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    with open(raw / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _orders(raw: Path) -> dict[tuple[str, str, str], int]:
    header = ["order_id", "user_id", "ordered_at", "paid_at", "status", "amount", "discount_amount",
              "coupon_id", "stream_id", "currency"]
    good = [[f"o{i}", "u1", GOOD_TS, GOOD_TS, "paid", "100.00", "", "", "", "CNY"] for i in range(1, 6)]
    bad = [
        # missing_key: empty and only spaces
        ["", "u1", GOOD_TS, GOOD_TS, "paid", "1", "", "", "", ""],
        ["   ", "u1", GOOD_TS, GOOD_TS, "paid", "1", "", "", "", ""],
        # missing_user_id
        ["b1", "", GOOD_TS, GOOD_TS, "paid", "1", "", "", "", ""],
        # missing_value: ordered_at, status, amount
        ["b2", "u1", "", GOOD_TS, "paid", "1", "", "", "", ""],
        ["b3", "u1", GOOD_TS, GOOD_TS, "", "1", "", "", "", ""],
        ["b4", "u1", GOOD_TS, GOOD_TS, "paid", " ", "", "", "", ""],
        # unparseable: slash date, impossible date, exponent, currency sign, separator, bad discount, bad paid_at
        ["b5", "u1", "2025/01/05 10:00:00", GOOD_TS, "paid", "1", "", "", "", ""],
        ["b6", "u1", "2025-02-30T10:00:00", GOOD_TS, "paid", "1", "", "", "", ""],
        ["b7", "u1", GOOD_TS, GOOD_TS, "paid", "1e3", "", "", "", ""],
        ["b8", "u1", GOOD_TS, GOOD_TS, "paid", "¥10", "", "", "", ""],
        ["b9", "u1", GOOD_TS, GOOD_TS, "paid", "1,000.00", "", "", "", ""],
        ["b10", "u1", GOOD_TS, GOOD_TS, "paid", "1", "abc", "", "", ""],
        ["b11", "u1", GOOD_TS, "yesterday", "paid", "1", "", "", "", ""],
        # unknown_status (enumerations are case-sensitive)
        ["b12", "u1", GOOD_TS, GOOD_TS, "shipped", "1", "", "", "", ""],
        ["b13", "u1", GOOD_TS, GOOD_TS, "PAID", "1", "", "", "", ""],
        # unknown_currency
        ["b14", "u1", GOOD_TS, GOOD_TS, "paid", "1", "", "", "", "USD"],
        ["b15", "u1", GOOD_TS, GOOD_TS, "paid", "1", "", "", "", "cny"],
        # negative_amount: amount and discount
        ["b16", "u1", GOOD_TS, GOOD_TS, "paid", "-1.00", "", "", "", ""],
        ["b17", "u1", GOOD_TS, GOOD_TS, "paid", "1.00", "-5", "", "", ""],
        # future_timestamp on either timestamp column
        ["b18", "u1", FUTURE, FUTURE, "paid", "1", "", "", "", ""],
        ["b19", "u1", GOOD_TS, FUTURE, "paid", "1", "", "", "", ""],
        # a bad copy of a good key counts as set aside, not as a duplicate
        ["o2", "u1", GOOD_TS, GOOD_TS, "lost", "100.00", "", "", "", "CNY"],
    ]
    # two more copies of o1 (one with a different but valid discount): duplicates
    dups = [good[0], ["o1", "u1", GOOD_TS, GOOD_TS, "paid", "100.00", "0", "", "", "CNY"]]
    _write(raw, "orders", header, good + bad + dups)
    return {
        ("orders", "kept", ""): 5,
        ("orders", "set_aside", "missing_key"): 2,
        ("orders", "set_aside", "missing_user_id"): 1,
        ("orders", "set_aside", "missing_value"): 3,
        ("orders", "set_aside", "unparseable"): 7,
        ("orders", "set_aside", "unknown_status"): 3,
        ("orders", "set_aside", "unknown_currency"): 2,
        ("orders", "set_aside", "negative_amount"): 2,
        ("orders", "set_aside", "future_timestamp"): 2,
        ("orders", "duplicate", "duplicate"): 2,
    }


def _events(raw: Path) -> dict[tuple[str, str, str], int]:
    header = ["event_id", "user_id", "event_type", "event_at", "stream_id", "product_id", "value", "text"]
    good = [[f"e{i}", "u1", "like", GOOD_TS, "s1", "", "3", ""] for i in range(1, 8)]
    bad = [
        ["", "u1", "like", GOOD_TS, "", "", "", ""],  # missing_key
        ["x1", "", "like", GOOD_TS, "", "", "", ""],  # missing_user_id
        ["x2", "u1", "", GOOD_TS, "", "", "", ""],  # missing_value
        ["x3", "u1", "like", "", "", "", "", ""],  # missing_value
        ["x4", "u1", "like", GOOD_TS, "", "", "lots", ""],  # unparseable value
        ["x5", "u1", "like", "2025-13-01T00:00:00", "", "", "", ""],  # unparseable month
        ["x6", "u1", "page_view", GOOD_TS, "", "", "", ""],  # unknown_event_type
        ["x7", "u1", "Like", GOOD_TS, "", "", "", ""],  # unknown_event_type (case)
        ["x8", "u1", "comment", FUTURE, "", "", "", "hi"],  # future_timestamp
    ]
    dups = [good[0], good[0], good[1]]
    _write(raw, "events", header, good + bad + dups)
    return {
        ("events", "kept", ""): 7,
        ("events", "set_aside", "missing_key"): 1,
        ("events", "set_aside", "missing_user_id"): 1,
        ("events", "set_aside", "missing_value"): 2,
        ("events", "set_aside", "unparseable"): 2,
        ("events", "set_aside", "unknown_event_type"): 2,
        ("events", "set_aside", "future_timestamp"): 1,
        ("events", "duplicate", "duplicate"): 3,
    }


def _refunds(raw: Path) -> dict[tuple[str, str, str], int]:
    header = ["refund_id", "order_id", "refunded_at", "amount"]
    rows = [
        ["r1", "o1", "2025-03-11T10:00:00+08:00", "60.00"],  # kept, 40 left
        ["r1", "o1", "2025-03-11T10:00:00+08:00", "60.00"],  # duplicate (before the overflow check)
        ["r2", "o1", "2025-03-12T10:00:00+08:00", "50.00"],  # exceeds the 40 left: set aside, uses nothing
        ["r3", "o1", "2025-03-13T10:00:00+08:00", "40.00"],  # kept, exactly what is left
        ["r4", "o1", "2025-03-14T10:00:00+08:00", "0.01"],  # nothing left: exceeds
        ["r5", "o404", "2025-03-14T10:00:00+08:00", "999.00"],  # unknown order: kept
        ["r6", "o2", "2025-03-14T10:00:00+08:00", "0.00"],  # out_of_range
        ["r7", "o2", "2025-03-14T10:00:00+08:00", "-3.00"],  # negative_amount
        ["r8", "o2", "", "3.00"],  # missing_value
        ["", "o2", "2025-03-14T10:00:00+08:00", "3.00"],  # missing_key
    ]
    _write(raw, "refunds", header, rows)
    return {
        ("refunds", "kept", ""): 3,
        ("refunds", "duplicate", "duplicate"): 1,
        ("refunds", "set_aside", "refund_exceeds_order"): 2,
        ("refunds", "set_aside", "out_of_range"): 1,
        ("refunds", "set_aside", "negative_amount"): 1,
        ("refunds", "set_aside", "missing_value"): 1,
        ("refunds", "set_aside", "missing_key"): 1,
    }


def _other_tables(raw: Path) -> dict[tuple[str, str, str], int]:
    _write(raw, "order_items", ["order_id", "line_no", "product_id", "quantity", "unit_price"], [
        ["o1", "1", "p1", "1", "100.00"],
        ["o1", "2", "p1", "-1", "1.00"],  # negative_quantity
        ["o1", "3", "p1", "0", "1.00"],  # out_of_range
        ["o1", "4", "p1", "1", "-1.00"],  # negative_amount
        ["o1", "5", "p1", "1.5", "1.00"],  # unparseable (int with a fraction)
        ["o1", "", "p1", "1", "1.00"],  # missing_key
        ["o1", "1", "p1", "1", "100.00"],  # duplicate
    ])
    _write(raw, "products", ["product_id", "category", "brand", "list_price"], [
        ["p1", "beauty", "", "10.00"],
        ["p2", "beauty", "", "-10.00"],  # negative_amount
        ["p3", "", "", "1.00"],  # missing_value
    ])
    _write(raw, "users", ["user_id", "registered_at", "gender", "birth_year", "province", "city_tier",
                          "acquisition_channel", "phone", "nickname"], [
        ["u1", "2025-01-01", "F", "1990", "", "1", "ad", "13800000000", "nick"],
        ["u2", "2025-01-01 08:00", "X", "", "", "9", "", "", ""],
        ["u3", "2025-01-01", "F", "nineteen", "", "", "", "", ""],  # unparseable
        ["u4", FUTURE, "F", "", "", "", "", "", ""],  # future_timestamp
        ["u1", "2025-01-01", "F", "1990", "", "1", "ad", "13800000000", "nick"],  # duplicate
    ])
    _write(raw, "live_streams", ["stream_id", "anchor_id", "category", "started_at", "ended_at"], [
        ["s1", "a1", "beauty", GOOD_TS, ""],
        ["s2", "a1", "beauty", GOOD_TS, "soon"],  # unparseable
    ])
    _write(raw, "campaign_touches", ["touch_id", "campaign_id", "user_id", "channel", "sent_at", "opened_at",
                                     "is_control"], [
        ["t1", "c1", "u1", "push", GOOD_TS, "", "FALSE"],
        ["t2", "c1", "u2", "sms", GOOD_TS, "", "Y"],
        ["t3", "c1", "u3", "email", GOOD_TS, "", "false"],  # unknown_channel
        ["t4", "c1", "u4", "push", GOOD_TS, "", "maybe"],  # unparseable
        ["t5", "c1", "", "push", GOOD_TS, "", "no"],  # missing_user_id
    ])
    return {
        ("order_items", "kept", ""): 1,
        ("order_items", "set_aside", "negative_quantity"): 1,
        ("order_items", "set_aside", "out_of_range"): 1,
        ("order_items", "set_aside", "negative_amount"): 1,
        ("order_items", "set_aside", "unparseable"): 1,
        ("order_items", "set_aside", "missing_key"): 1,
        ("order_items", "duplicate", "duplicate"): 1,
        ("products", "kept", ""): 1,
        ("products", "set_aside", "negative_amount"): 1,
        ("products", "set_aside", "missing_value"): 1,
        ("users", "kept", ""): 2,
        ("users", "set_aside", "unparseable"): 1,
        ("users", "set_aside", "future_timestamp"): 1,
        ("users", "duplicate", "duplicate"): 1,
        ("live_streams", "kept", ""): 1,
        ("live_streams", "set_aside", "unparseable"): 1,
        ("campaign_touches", "kept", ""): 2,
        ("campaign_touches", "set_aside", "unknown_channel"): 1,
        ("campaign_touches", "set_aside", "unparseable"): 1,
        ("campaign_touches", "set_aside", "missing_user_id"): 1,
    }


def test_every_bad_input_class_is_counted_exactly(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    expected = {**_orders(raw), **_events(raw), **_refunds(raw), **_other_tables(raw)}
    db = tmp_path / "w.duckdb"
    result = build(raw, db, select=STAGING_SELECT)
    assert result.returncode == 0, result.stdout[-4000:]
    assert ledger(db) == expected
    # the kept copy of o1 is the same whatever the read order: its raw text sorts first
    kept = query(db, "select discount_amount from stg_live__orders where order_id = 'o1'")
    assert len(kept) == 1
    # timestamps are honoured with their offset; a bare date is midnight UTC
    users = query(db, "select user_id, registered_at, gender, city_tier from stg_live__users order by user_id")
    assert str(users.registered_at[0]) == "2025-01-01 00:00:00"
    assert str(users.registered_at[1]) == "2025-01-01 08:00:00"
    assert list(users.gender) == ["F", "unknown"]
    assert users.city_tier.isna()[1]
    touches = query(db, "select touch_id, is_control from stg_live__campaign_touches order by touch_id")
    assert list(touches.is_control) == [False, True]
    quarantine = query(db, "select count(*) as n from data_quality_quarantine")
    set_aside = sum(n for (_, outcome, _), n in expected.items() if outcome == "set_aside")
    assert quarantine.n[0] == set_aside
