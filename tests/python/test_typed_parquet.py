"""A Parquet event_at, ordered_at or paid_at typed as a timestamp (zoned, naive or a date) is read
typed and means the same instant as its text in a CSV, and a Parquet number in an order's or order
line's number column means what its text means; copies across typed and text files are ranked by
parsed values."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from dbt_harness import EXAMPLES_RAW, STAGING_SELECT, build, ledger, query, rewrite_manifest

# business time zone Asia/Shanghai (UTC+8)
TEXT_ROWS = [
    # e1 again as text in another notation: the same instant and value as the zoned Parquet copy
    ("e1", "u1", "like", "2025-03-02T00:30:00+08:00", "1.5"),
    ("e5", "u5", "like", "2025-03-01 16:00:00", None),
    ("e6", "u6", "like", "2025/03/01 10:00", None),  # not the contract's format
    ("e7", "u7", "like", None, None),
]


def _write_table(folder: Path, parquet: dict[str, str], header: str, text_rows: list[tuple]) -> None:
    """One table as a folder: a Parquet file per select of `parquet` (name: query), written in a
    session whose time zone is not UTC, and `d-text.csv` holding `text_rows` (None is empty)."""
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("set TimeZone = 'America/New_York'")  # the reader must not depend on the session zone
    for name, select in parquet.items():
        con.execute(f"copy ({select}) to '{folder / name}' (format parquet)")
    con.close()
    lines = [header] + [",".join(value or "" for value in row) for row in text_rows]
    (folder / "d-text.csv").write_text("\n".join(lines) + "\n")


def _write(raw: Path) -> None:
    _write_table(raw / "events", {
        "a-zoned.parquet": """
            select event_id, user_id, event_type, event_at, cast(value as decimal(18, 2)) as value
            from (values
                ('e1', 'u1', 'like', timestamptz '2025-03-01 16:30:00+00', 1.5),
                ('e2', 'u2', 'like', timestamptz '2025-03-01 15:59:59+00', null),
                ('e8', 'u8', 'like', cast(null as timestamptz), null)
            ) as t(event_id, user_id, event_type, event_at, value)""",
        "b-naive.parquet": """
            select 'e3' as event_id, 'u3' as user_id, 'like' as event_type,
                   timestamp '2025-03-01 15:59:59' as event_at""",
        "c-date.parquet": """
            select 'e4' as event_id, 'u4' as user_id, 'like' as event_type, date '2025-03-01' as event_at""",
    }, "event_id,user_id,event_type,event_at,value", TEXT_ROWS)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")


def _staged(tmp_path: Path, write) -> tuple[Path, Path]:
    """The raw folder `write` fills, built through staging and the quality marts."""
    raw, db = tmp_path / "raw", tmp_path / "w.duckdb"
    write(raw)
    result = build(raw, db, as_of="2025-03-31", select=STAGING_SELECT)
    assert result.returncode == 0, result.stdout[-4000:]
    return raw, db


def test_typed_parquet_timestamps_mean_the_same_instant_as_text(tmp_path: Path) -> None:
    raw, db = _staged(tmp_path, _write)
    rows = query(db, """
        select event_id, cast(event_at as varchar) as event_at, cast(event_date as varchar) as event_date,
               event_hour, coalesce(cast(event_value as varchar), '') as event_value
        from stg_live__events order by event_id
    """)
    assert rows.values.tolist() == [
        ["e1", "2025-03-01 16:30:00", "2025-03-02", 0, "1.50"],  # its value typed
        ["e2", "2025-03-01 15:59:59", "2025-03-01", 23, ""],
        ["e3", "2025-03-01 15:59:59", "2025-03-01", 23, ""],  # a naive Parquet timestamp is UTC
        ["e4", "2025-03-01 00:00:00", "2025-03-01", 8, ""],  # a date is midnight UTC
        ["e5", "2025-03-01 16:00:00", "2025-03-02", 0, ""],
    ]
    counts = ledger(db)
    assert counts[("events", "kept", "")] == 5
    assert counts[("events", "duplicate", "duplicate")] == 1  # e1 in two files and two notations
    assert counts[("events", "set_aside", "unparseable")] == 1  # e6
    assert counts[("events", "set_aside", "missing_value")] == 2  # e7 (empty text), e8 (null typed)
    # the kept copy of e1 does not depend on read order: the copies tie on every parsed value, so
    # the file name decides
    kept = query(db, """
        select _source_file from base_live__events where event_id = 'e1' and not is_duplicate
    """)
    assert kept._source_file[0].endswith("a-zoned.parquet")
    # and the Parquet values really took the typed route (their text is null); the raw views are
    # dropped at the end of every run (personal data), so register them again to look
    registered = build(raw, db, command="run-operation", extra_args=["register_raw_sources"])
    assert registered.returncode == 0, registered.stdout[-2000:]
    typed = query(db, """
        select count(event_at__utc) as typed, count(event_at) as text, count(value__number) as value_typed,
               count(value) as value_text
        from raw.events
    """)
    assert typed.values.tolist() == [[4, 3, 1, 1]]


ORDER_TEXT_ROWS = [
    # o1 again as text in another notation: the same instants and amount as the zoned Parquet copy
    ("o1", "u1", "2025-03-02T00:30:00+08:00", "2025-03-02T00:31:00+08:00", "paid", "10.00"),
    ("o5", "u5", "2025-03-01 16:00:00", "", "created", "5.00"),
    ("o6", "u6", "2025/03/01 10:00", "", "created", "5.00"),  # not the contract's format
    ("o7", "u7", "", "", "created", "5.00"),
]


def _write_orders(raw: Path) -> None:
    _write_table(raw / "orders", {
        "a-zoned.parquet": """
            select order_id, user_id, ordered_at, paid_at, status, cast(amount as decimal(18, 2)) as amount
            from (values
                ('o1', 'u1', timestamptz '2025-03-01 16:30:00+00', timestamptz '2025-03-01 16:31:00+00', 'paid', 10),
                ('o2', 'u2', timestamptz '2025-03-01 15:59:59+00', cast(null as timestamptz), 'created', 5),
                ('o8', 'u8', cast(null as timestamptz), cast(null as timestamptz), 'created', 5)
            ) as t(order_id, user_id, ordered_at, paid_at, status, amount)""",
        "b-naive.parquet": """
            select 'o3' as order_id, 'u3' as user_id, timestamp '2025-03-01 15:59:59' as ordered_at,
                   timestamp '2025-03-01 16:00:00' as paid_at, 'paid' as status,
                   cast(5 as decimal(18, 2)) as amount""",
        "c-date.parquet": """
            select 'o4' as order_id, 'u4' as user_id, date '2025-03-01' as ordered_at,
                   cast(null as date) as paid_at, 'created' as status, cast(5 as decimal(18, 2)) as amount""",
    }, "order_id,user_id,ordered_at,paid_at,status,amount", ORDER_TEXT_ROWS)


def test_typed_parquet_order_times_mean_the_same_instant_as_text(tmp_path: Path) -> None:
    raw, db = _staged(tmp_path, _write_orders)
    rows = query(db, """
        select order_id, cast(ordered_at as varchar) as ordered_at, coalesce(cast(paid_at as varchar), '') as paid_at,
               cast(ordered_date as varchar) as ordered_date, coalesce(cast(paid_date as varchar), '') as paid_date,
               ordered_hour
        from stg_live__orders order by order_id
    """)
    assert rows.values.tolist() == [
        ["o1", "2025-03-01 16:30:00", "2025-03-01 16:31:00", "2025-03-02", "2025-03-02", 0],
        ["o2", "2025-03-01 15:59:59", "", "2025-03-01", "", 23],
        ["o3", "2025-03-01 15:59:59", "2025-03-01 16:00:00", "2025-03-01", "2025-03-02", 23],  # naive is UTC
        ["o4", "2025-03-01 00:00:00", "", "2025-03-01", "", 8],  # a date is midnight UTC
        ["o5", "2025-03-01 16:00:00", "", "2025-03-02", "", 0],
    ]
    counts = ledger(db)
    assert counts[("orders", "kept", "")] == 5
    assert counts[("orders", "duplicate", "duplicate")] == 1  # o1 in two files and two notations
    assert counts[("orders", "set_aside", "unparseable")] == 1  # o6
    assert counts[("orders", "set_aside", "missing_value")] == 2  # o7 (empty text), o8 (null typed)
    # the copies of o1 tie on every parsed value, so the file name decides
    kept = query(db, "select _source_file from base_live__orders where order_id = 'o1' and not is_duplicate")
    assert kept._source_file[0].endswith("a-zoned.parquet")
    registered = build(raw, db, command="run-operation", extra_args=["register_raw_sources"])
    assert registered.returncode == 0, registered.stdout[-2000:]
    typed = query(db, """
        select count(ordered_at__utc) as typed, count(ordered_at) as text, count(paid_at__utc) as paid_typed,
               count(amount__number) as amount_typed, count(amount) as amount_text
        from raw.orders
    """)
    assert typed.values.tolist() == [[4, 3, 2, 5, 4]]


# order lines as text: o1 again (a higher price than its typed copy, though "10.00" sorts before
# "9.50" as text), and a line whose price is in no Parquet file
ITEM_TEXT_ROWS = [
    ("o1", "1", "p1", "2", "10.00"),
    ("o9", "1", "p1", "1", "3.5"),
]


def _write_numbers(raw: Path) -> None:
    _write_table(raw / "order_items", {
        # integers in the int columns, a decimal(18, 2) price
        "a-int.parquet": """
            select order_id, line_no, product_id, quantity, cast(unit_price as decimal(18, 2)) as unit_price
            from (values
                ('o1', 1, 'p1', 2, 9.50),
                ('o2', 1, 'p1', 1000000000000000000, 1.00),  -- 19 digits: no int of the contract
                ('o3', 1, 'p1', null, 1.00),
                ('o4', 1, 'p1', 0, 1.00),
                ('o10', 1, 'p1', -2, 1.00)
            ) as t(order_id, line_no, product_id, quantity, unit_price)""",
        # a wider decimal: exact at two places or not
        "b-wide.parquet": """
            select order_id, cast(line_no as bigint) as line_no, product_id, cast(quantity as bigint) as quantity,
                   cast(unit_price as decimal(38, 3)) as unit_price
            from (values
                ('o5', 1, 'p1', 1, 1.250),
                ('o6', 1, 'p1', 1, 1.255),
                ('o7', 1, 'p1', 1, 12345678901234567.000)  -- 17 digits before the point
            ) as t(order_id, line_no, product_id, quantity, unit_price)""",
        # small integers everywhere, the price too
        "c-small.parquet": """
            select 'o8' as order_id, cast(2 as integer) as line_no, 'p1' as product_id,
                   cast(3 as smallint) as quantity, cast(7 as integer) as unit_price""",
    }, "order_id,line_no,product_id,quantity,unit_price", ITEM_TEXT_ROWS)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")


def test_typed_parquet_numbers_mean_what_their_text_means(tmp_path: Path) -> None:
    # each typed value is checked as its text would be: the same limits (18 digits for an int,
    # 16 before the point and two after it for money), the same outcomes
    raw, db = _staged(tmp_path, _write_numbers)
    rows = query(db, """
        select order_id, coalesce(cast(line_no as varchar), '') as line_no,
               coalesce(cast(quantity as varchar), '') as quantity,
               coalesce(cast(unit_price as varchar), '') as unit_price,
               coalesce(reject_reason, '') as reject_reason, is_duplicate, _source_file like '%.csv' as from_text
        from base_live__order_items order by order_id, _source_file
    """)
    assert [tuple(r) for r in rows.itertuples(index=False)] == [
        ("o1", "1", "2", "9.50", "", False, False),  # 9.50 before 10.00: ranked by value, not text
        ("o1", "1", "2", "10.00", "", True, True),
        ("o10", "1", "-2", "1.00", "negative_quantity", False, False),
        ("o2", "1", "", "1.00", "unparseable", False, False),
        ("o3", "1", "", "1.00", "missing_value", False, False),
        ("o4", "1", "0", "1.00", "out_of_range", False, False),
        ("o5", "1", "1", "1.25", "", False, False),
        ("o6", "1", "1", "", "unparseable", False, False),
        ("o7", "1", "1", "", "unparseable", False, False),
        ("o8", "2", "3", "7.00", "", False, False),
        ("o9", "1", "1", "3.50", "", False, True),
    ]
    counts = ledger(db)
    assert counts[("order_items", "kept", "")] == 4
    assert counts[("order_items", "duplicate", "duplicate")] == 1
    assert counts[("order_items", "set_aside", "unparseable")] == 3
    # a typed line set aside is named by its key as a text line would be
    keys = query(db, "select record_key from int_raw_rows_outcomes_unioned where reason = 'out_of_range'")
    assert keys.record_key.tolist() == ["o4#1"]
    registered = build(raw, db, command="run-operation", extra_args=["register_raw_sources"])
    assert registered.returncode == 0, registered.stdout[-2000:]
    typed = query(db, """
        select count(line_no__number) as line_no, count(line_no) as line_no_text,
               count(quantity__number) as quantity, count(quantity) as quantity_text,
               count(unit_price__number) as unit_price, count(unit_price) as unit_price_text
        from raw.order_items
    """)
    # the values out of the contract's range keep their text (o2's quantity, o6's and o7's price)
    assert typed.values.tolist() == [[9, 2, 7, 3, 7, 4]]


def _nanoseconds(utc: str, nanos: int) -> int:
    """Nanoseconds since the epoch of a UTC time given to the second, plus `nanos`."""
    import datetime as dt

    seconds = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC).timestamp()
    return int(seconds) * 1_000_000_000 + nanos


def _write_nanoseconds(raw: Path) -> None:
    """Timestamps as pandas writes them to Parquet (nanoseconds, naive or with a zone), each a
    fraction of a nanosecond-to-microsecond step before or after a business day's end."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    last_ns = _nanoseconds("2025-03-01 15:59:59", 999_999_999)  # 23:59:59.999999999 in Shanghai
    half_us = _nanoseconds("2025-03-01 15:59:59", 999_999_500)  # rounds up to the next day
    next_day = _nanoseconds("2025-03-01 16:00:00", 1)
    (raw / "events").mkdir(parents=True)
    (raw / "orders").mkdir()

    def events(ids: list[str], nanos: list[int], zone: str | None) -> pa.Table:
        return pa.table({"event_id": ids, "user_id": ["u1"] * len(ids), "event_type": ["like"] * len(ids),
                         "event_at": pa.array(nanos, type=pa.timestamp("ns", tz=zone))})

    pq.write_table(events(["n1", "n2"], [last_ns, next_day], "UTC"), raw / "events" / "a-ns-zoned.parquet")
    pq.write_table(events(["n3"], [half_us], None), raw / "events" / "b-ns-naive.parquet")
    pq.write_table(events(["n4"], [last_ns], "Asia/Shanghai"), raw / "events" / "c-ns-shanghai.parquet")
    # n1 again as text, to the nanosecond: its digits past the microsecond are cut, the same instant
    (raw / "events" / "d-text.csv").write_text(
        "event_id,user_id,event_type,event_at\nn1,u1,like,2025-03-01T23:59:59.999999999+08:00\n")
    pq.write_table(pa.table({
        "order_id": ["o1"], "user_id": ["u1"],
        "ordered_at": pa.array([last_ns], type=pa.timestamp("ns", tz="UTC")),
        "paid_at": pa.array([next_day], type=pa.timestamp("ns", tz="UTC")),
        "status": ["paid"], "amount": [10.0],
    }), raw / "orders" / "a-ns.parquet")
    # a table whose times are not read typed: as UTC text, cut to the microsecond as well
    pq.write_table(pa.table({
        "stream_id": ["s1"], "anchor_id": ["a1"], "category": ["beauty"],
        "started_at": pa.array([half_us], type=pa.timestamp("ns")),
        "ended_at": pa.array([next_day], type=pa.timestamp("ns", tz="Asia/Shanghai")),
    }), raw / "live_streams.parquet")


def test_nanosecond_parquet_timestamps_as_pandas_writes_them_mean_what_their_text_means(tmp_path: Path) -> None:
    # a zoned nanosecond timestamp once stopped the whole build (no epoch_us for it); a cast to
    # microseconds rounds, where the text's extra digits are cut: 23:59:59.9999995 stays that day
    raw, db = _staged(tmp_path, _write_nanoseconds)
    rows = query(db, """
        select event_id, cast(event_at as varchar) as event_at, cast(event_date as varchar) as event_date, event_hour
        from stg_live__events order by event_id
    """)
    assert rows.values.tolist() == [
        ["n1", "2025-03-01 15:59:59.999999", "2025-03-01", 23],
        ["n2", "2025-03-01 16:00:00", "2025-03-02", 0],
        ["n3", "2025-03-01 15:59:59.999999", "2025-03-01", 23],  # naive is UTC
        ["n4", "2025-03-01 15:59:59.999999", "2025-03-01", 23],  # the file's zone changes no instant
    ]
    counts = ledger(db)
    assert counts[("events", "kept", "")] == 4
    assert counts[("events", "duplicate", "duplicate")] == 1
    # n1's copies tie on every parsed value (the text's instant is the typed one), so the file name decides
    kept = query(db, "select _source_file from base_live__events where event_id = 'n1' and not is_duplicate")
    assert kept._source_file[0].endswith("a-ns-zoned.parquet")
    orders = query(db, """
        select cast(ordered_at as varchar) as ordered_at, cast(paid_at as varchar) as paid_at,
               cast(ordered_date as varchar) as ordered_date, cast(paid_date as varchar) as paid_date
        from stg_live__orders
    """)
    assert orders.values.tolist() == [["2025-03-01 15:59:59.999999", "2025-03-01 16:00:00", "2025-03-01",
                                       "2025-03-02"]]
    streams = query(db, """
        select cast(started_at as varchar) as started_at, cast(ended_at as varchar) as ended_at,
               cast(started_date as varchar) as started_date
        from stg_live__live_streams
    """)
    assert streams.values.tolist() == [["2025-03-01 15:59:59.999999", "2025-03-01 16:00:00", "2025-03-01"]]
    registered = build(raw, db, command="run-operation", extra_args=["register_raw_sources"])
    assert registered.returncode == 0, registered.stdout[-2000:]
    typed = query(db, "select count(event_at__utc) as typed, count(event_at) as text from raw.events")
    assert typed.values.tolist() == [[4, 1]]
    texts = query(db, "select started_at, ended_at from raw.live_streams")
    assert texts.values.tolist() == [["2025-03-01 15:59:59.999999+00", "2025-03-01 16:00:00+00"]]


def test_a_nanosecond_file_known_from_a_manifest_of_older_code_is_read_in_nanoseconds(tmp_path: Path) -> None:
    # older code classed a nanosecond timestamp as a microsecond one and recorded it so: the known
    # file is not analysed again, but its kinds come from its footer, which is read anyway
    from livetier import ingest

    raw, db = tmp_path / "raw", tmp_path / "w.duckdb"
    _write_nanoseconds(raw)
    ingest.prepare(raw, db)
    manifest = ingest.landing_dir(db) / "files.csv"
    assert "timestamp_tz_ns" in manifest.read_text(encoding="utf-8")
    rewrite_manifest(db, lambda row: row.update(
        columns=row["columns"].replace("timestamp_tz_ns", "timestamp_tz").replace("timestamp_ns", "timestamp")))
    files = {f.path.name: f for f in ingest.prepare(raw, db).files}
    assert dict(files["a-ns-zoned.parquet"].columns)["event_at"] == "timestamp_tz_ns"
    assert dict(files["b-ns-naive.parquet"].columns)["event_at"] == "timestamp_ns"
    assert dict(files["a-ns.parquet"].columns)["paid_at"] == "timestamp_tz_ns"
    assert "timestamp_tz\"" not in manifest.read_text(encoding="utf-8")
