"""The read plan (livetier.rawcheck): which rule reads each view column from each file, decided in
Python so that the register macro of each engine only writes the rule in its SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from livetier import PROJECT_ROOT
from livetier.rawcheck import RAW_COLUMNS, READ_RULES, read_plan, view_columns


def _rules(columns: list[list]) -> dict[str, tuple]:
    return {name: (rule, source) for name, rule, source in columns}


def test_sources_yaml_declares_the_contract_columns() -> None:
    sources = yaml.safe_load((PROJECT_ROOT / "models/staging/live/_live__sources.yml").read_text())
    live = next(s for s in sources["sources"] if s["name"] == "live")
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in live["tables"]}
    assert declared == {table: list(columns) for table, columns in RAW_COLUMNS.items()}


def test_parquet_events_columns_take_their_rules() -> None:
    # a zoned event_at is read typed; value is a float in a dec column; the second `Value` is ignored
    columns = view_columns("events", "parquet", [
        ["event_id", "text"], ["event_at", "timestamp_tz"], ["Value", "float"], ["value", "decimal"],
        ["user_id", "text"],
    ])
    rules = _rules(columns)
    assert rules["event_at"] == ("typed_zoned_timestamp", "event_at")
    assert rules["event_at__utc"] == ("utc_from_zoned_timestamp", "event_at")
    assert rules["value"] == ("money_from_float", "Value")
    assert rules["value__number"] == ("dec_missing", None)  # a float keeps the text route
    assert rules["user_id"] == ("text", "user_id")
    assert rules["text"] == ("missing", None)
    assert rules["_source_file"] == ("source_file", None)
    # contract columns in contract order, then the companions, then _source_file
    assert [c[0] for c in columns] == [*RAW_COLUMNS["events"], "event_at__utc", "value__number", "_source_file"]


def test_parquet_numbers_take_the_typed_route_only_where_typed_and_exact() -> None:
    rules = _rules(view_columns("order_items", "parquet", [
        ["order_id", "text"], ["line_no", "integer"], ["quantity", "decimal"], ["unit_price", "integer"],
    ]))
    assert rules["line_no"] == ("typed_int_from_integer", "line_no")
    assert rules["line_no__number"] == ("int_from_integer", "line_no")
    # a decimal in an int column keeps the text route (integer text when integral)
    assert rules["quantity"] == ("integer_from_number", "quantity")
    assert rules["quantity__number"] == ("int_missing", None)
    assert rules["unit_price"] == ("typed_dec_from_integer", "unit_price")
    assert rules["unit_price__number"] == ("dec_from_integer", "unit_price")
    assert rules["product_id"] == ("missing", None)
    # a CSV has no types; a column not read typed in its table is text
    csv = _rules(view_columns("order_items", "csv", [["order_id", "text"], ["line_no", "text"]]))
    assert (csv["line_no"], csv["line_no__number"]) == (("text", "c1"), ("int_missing", None))
    assert csv["unit_price__number"] == ("dec_missing", None)
    users = _rules(view_columns("users", "parquet", [["user_id", "text"], ["birth_year", "integer"]]))
    assert users["birth_year"] == ("text", "birth_year") and "birth_year__number" not in users


def test_csv_columns_are_read_by_position_and_presence_is_flagged() -> None:
    rules = _rules(view_columns("users", "csv", [["user_id", "text"], ["marketing_consent", "text"],
                                                 ["user_id", "text"]]))
    assert rules["user_id"] == ("text", "c0")  # the first of a repeated name
    assert rules["marketing_consent"] == ("text", "c1")
    assert rules["marketing_consent__in_file"] == ("in_file", None)
    rules = _rules(view_columns("users", "parquet", [["user_id", "text"], ["birth_year", "float"],
                                                     ["registered_at", "timestamp_tz"]]))
    assert rules["birth_year"] == ("integer_from_number", "birth_year")
    assert rules["registered_at"] == ("zoned_timestamp", "registered_at")  # not a typed column
    assert rules["marketing_consent__in_file"] == ("not_in_file", None)
    # numbers in str and bool columns (pandas' floats for integers with nulls) read as integer text
    rules = _rules(view_columns("users", "parquet", [["user_id", "float"], ["marketing_consent", "decimal"],
                                                     ["gender", "integer"]]))
    assert rules["user_id"] == ("text_from_number", "user_id")
    assert rules["marketing_consent"] == ("text_from_number", "marketing_consent")
    assert rules["gender"] == ("text", "gender")  # an integer's text is already its integer text
    # a Parquet name is matched trimmed and lower-cased, as a CSV header's is
    rules = _rules(view_columns("users", "parquet", [["User_ID ", "text"], ["user_id", "text"]]))
    assert rules["user_id"] == ("text", "User_ID ")


def test_plan_lists_readable_files_only(tmp_path: Path) -> None:
    from livetier.ingest import discover, inspect_columns

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    (raw / "orders.csv").write_text("order_id,user_id\no1,u1\n", encoding="utf-8")
    pq.write_table(pa.table({"event_id": ["e1"], "event_at": pa.array([0], pa.timestamp("us"))}),
                   raw / "events" / "a.parquet")
    (raw / "events" / "b.json").write_text("{}", encoding="utf-8")
    (raw / "events" / "c.csv").write_bytes(b"")  # no header: cannot hold a record
    files = discover(raw)
    for item in files:
        inspect_columns(item)
    plan = read_plan(raw, files)
    by_table = {t["name"]: t for t in plan["tables"]}
    assert [f["source_file"].rsplit("/", 1)[1] for f in by_table["events"]["files"]] == ["a.parquet"]
    events = _rules(by_table["events"]["files"][0]["columns"])
    assert events["event_at"] == ("typed_timestamp", "event_at")
    assert events["event_at__utc"] == ("utc_from_timestamp", "event_at")
    assert by_table["orders"]["files"][0]["width"] == 2
    assert by_table["refunds"]["files"] == []
    assert _rules(by_table["refunds"]["empty"])["amount"] == ("missing", None)
    every_rule = {rule for t in plan["tables"] for f in t["files"] for _, rule, _ in f["columns"]}
    assert every_rule <= set(READ_RULES)


def test_parquet_files_share_a_schema_key_only_with_the_same_names_types_and_order(tmp_path: Path) -> None:
    from livetier.ingest import discover, inspect_columns

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    (raw / "orders.csv").write_text("order_id,user_id\no1,u1\n", encoding="utf-8")
    stamp = pa.array([0], pa.timestamp("us"))
    tables = {
        "a": pa.table({"event_id": ["e1"], "event_at": stamp}),
        "b": pa.table({"event_id": ["e2"], "event_at": stamp}),  # a's schema, other rows
        "c": pa.table({"event_id": ["e3"], "event_at": pa.array([0], pa.timestamp("ms"))}),  # another unit
        "d": pa.table({"event_at": stamp, "event_id": ["e4"]}),  # a's columns, other order
    }
    for name, table in tables.items():
        pq.write_table(table, raw / "events" / f"{name}.parquet")
    files = discover(raw)
    for item in files:
        inspect_columns(item)
    plan = read_plan(raw, files)
    events = next(t for t in plan["tables"] if t["name"] == "events")
    keys = {f["source_file"].rsplit("/", 1)[1]: f["schema"] for f in events["files"]}
    assert all(keys.values())
    assert keys["a.parquet"] == keys["b.parquet"]
    assert len({keys["a.parquet"], keys["c.parquet"], keys["d.parquet"]}) == 3
    orders = next(t for t in plan["tables"] if t["name"] == "orders")
    assert orders["files"][0]["schema"] is None  # CSV files are read one by one


def test_a_second_load_keeps_the_schema_keys_of_files_it_knows(tmp_path: Path) -> None:
    """Files known from the last manifest are not inspected again, but the plan still groups
    them by schema (without the key every file would be read alone: 180 event files at
    `medium` took base_live__events from 37 s to 65 s)."""
    from livetier.ingest import prepare

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    (raw / "orders.csv").write_text("order_id,user_id\no1,u1\n", encoding="utf-8")
    for name in ("a", "b"):
        pq.write_table(pa.table({"event_id": [name], "event_at": pa.array([0], pa.timestamp("us"))}),
                       raw / "events" / f"{name}.parquet")
    db = tmp_path / "w.duckdb"
    plans = []
    for _ in range(2):
        prepared = prepare(raw, db, environ={"LIVETIER_PII_KEY": "k" * 64})
        plans.append(json.loads((prepared.landing / "plan.json").read_text(encoding="utf-8")))
    keys = [{f["source_file"]: f["schema"] for t in plan["tables"] if t["name"] == "events" for f in t["files"]}
            for plan in plans]
    assert len(keys[0]) == 2 and len(set(keys[0].values())) == 1 and None not in keys[0].values()
    assert keys[1] == keys[0]


def test_a_file_with_the_size_and_time_of_the_last_manifest_keeps_its_hash(tmp_path: Path) -> None:
    """Hashing every raw file on each run read the whole export each night (a cost growing with the
    history): a file whose path, size and modification time are those the last manifest recorded
    keeps the hash recorded then; a new modification time makes it hashed again."""
    import csv
    import hashlib
    import os

    from livetier.ingest import prepare

    raw = tmp_path / "raw"
    raw.mkdir()
    orders = raw / "orders.csv"
    orders.write_text("order_id,user_id\no1,u1\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"

    def recorded_hash() -> str:
        prepared = prepare(raw, db, environ={"LIVETIER_PII_KEY": "k" * 64})
        with (prepared.landing / "files.csv").open(newline="", encoding="utf-8") as handle:
            return next(row["sha256"] for row in csv.DictReader(handle) if row["raw_table"] == "orders")

    first = recorded_hash()
    assert first == hashlib.sha256(orders.read_bytes()).hexdigest()
    # the same size and time: the recorded hash is trusted, the file is not read again
    stat = orders.stat()
    orders.write_text("order_id,user_id\no2,u2\n", encoding="utf-8")
    os.utime(orders, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert recorded_hash() == first
    # a new modification time: hashed again
    os.utime(orders, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert recorded_hash() == hashlib.sha256(orders.read_bytes()).hexdigest() != first


def test_two_files_with_the_same_bytes_each_keep_their_recorded_hash(tmp_path: Path) -> None:
    """The recorded hashes are looked up by each file's path, size and time, not by content: of two
    files with identical bytes, neither is read again while its stat is unchanged."""
    import csv
    import os

    from livetier.ingest import prepare

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    (raw / "orders.csv").write_text("order_id,user_id\no1,u1\n", encoding="utf-8")
    copies = [raw / "events" / "2025-01.csv", raw / "events" / "2025-02.csv"]
    for path in copies:
        path.write_text("event_id,user_id\ne1,u1\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"

    def recorded_hashes() -> dict[str, str]:
        prepared = prepare(raw, db, environ={"LIVETIER_PII_KEY": "k" * 64})
        with (prepared.landing / "files.csv").open(newline="", encoding="utf-8") as handle:
            return {row["source_file"]: row["sha256"] for row in csv.DictReader(handle)
                    if row["raw_table"] == "events"}

    first = recorded_hashes()
    assert len(first) == 2 and len(set(first.values())) == 1
    # both rewritten with other bytes of the same size, their times restored: neither is read again
    for path in copies:
        stat = path.stat()
        path.write_text("event_id,user_id\ne2,u2\n", encoding="utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert recorded_hashes() == first
