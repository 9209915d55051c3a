"""The raw contract in one place, and how each raw file is read: the contract's tables and
columns (`RAW_COLUMNS`), the reading rules of each column, and the read plan that the macro
`register_raw_sources` turns into views, one body per engine. Which files belong to which table
(`livetier.ingest.discover`) and what each file holds (its format, its columns and their Parquet
types: `livetier.ingest`) are found in Python; the macros only translate the plan's rules to SQL.

The read plan (`read_plan`): `{"raw_path": <the raw folder as given>, "tables": [{"name": <table>,
"empty": <columns of a file-less view>, "files": [{"source_file", "alias", "path", "format",
"width", "columns"}]}]}`, where `columns` lists the view's columns in order as
`[name, rule, source]`: `source` is the file's column (`c<i>`, the i-th CSV field, or the Parquet
column's name) and `rule` one of `READ_RULES`. DuckDB reads it from `<db>.landing/plan.json`
(written by `livetier.ingest.prepare`), Spark from the dbt var `raw_files`
(`python -m livetier.rawcheck RAW_DIR [DB]`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livetier.ingest import RawFile

# The contract's tables (v1.1) and their columns, with the contract's types: str, int, dec
# (money, two decimals), ts (timestamp), bool. The dbt sources (models/staging/live/_live__sources.yml)
# and the generator describe exactly these; every value reaches staging as text (and a few typed
# beside it: PARQUET_TYPED_COLUMNS).
RAW_COLUMNS: dict[str, dict[str, str]] = {
    "orders": {
        "order_id": "str", "user_id": "str", "ordered_at": "ts", "paid_at": "ts", "status": "str",
        "amount": "dec", "discount_amount": "dec", "coupon_id": "str", "stream_id": "str", "currency": "str",
    },
    "users": {
        "user_id": "str", "registered_at": "ts", "gender": "str", "birth_year": "int", "province": "str",
        "city_tier": "int", "acquisition_channel": "str", "phone": "str", "nickname": "str",
        "marketing_consent": "bool",
    },
    "events": {
        "event_id": "str", "user_id": "str", "event_type": "str", "event_at": "ts", "stream_id": "str",
        "product_id": "str", "value": "dec", "text": "str",
    },
    "live_streams": {"stream_id": "str", "anchor_id": "str", "category": "str", "started_at": "ts", "ended_at": "ts"},
    "products": {"product_id": "str", "category": "str", "brand": "str", "list_price": "dec"},
    "order_items": {"order_id": "str", "line_no": "int", "product_id": "str", "quantity": "int", "unit_price": "dec"},
    "refunds": {"refund_id": "str", "order_id": "str", "refunded_at": "ts", "amount": "dec"},
    "campaign_touches": {
        "touch_id": "str", "campaign_id": "str", "user_id": "str", "channel": "str", "sent_at": "ts",
        "opened_at": "ts", "is_control": "bool",
    },
}
RAW_TABLES = tuple(RAW_COLUMNS)
REQUIRED_TABLES = ("orders",)
# each table's key: a row without it is set aside as missing_key (the base models' first check)
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("order_id",), "users": ("user_id",), "events": ("event_id",), "live_streams": ("stream_id",),
    "products": ("product_id",), "order_items": ("order_id", "line_no"), "refunds": ("refund_id",),
    "campaign_touches": ("touch_id",),
}
# Columns that a Parquet file typing them passes typed, beside their text (no text round trip and
# no pattern match per row: the events' time and value, and the orders' and order lines', which a
# night rebuilds whole). A ts column typed as a timestamp or date comes as `<column>__utc` (its
# text is then null); an int or dec column typed as an integer, or a dec column typed as a
# decimal, comes as `<column>__number` (bigint, or decimal(18, 2)) when the value is one its text
# would parse to (at most 18 digits; money: at most 16 before the point and two after it), its
# text then null.
PARQUET_TYPED_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("event_at", "value"),
    "orders": ("ordered_at", "paid_at", "amount", "discount_amount"),
    "order_items": ("line_no", "quantity", "unit_price"),
}
# Optional columns whose absence means something: the view also has `<column>__in_file`, true
# when the row's file has the column (an export without marketing_consent restricts no one).
PRESENCE_FLAGGED_COLUMNS: dict[str, tuple[str, ...]] = {"users": ("marketing_consent",)}

# How a view column is made from its file (each engine's body of register_raw_sources writes each):
READ_RULES = {
    "missing": "the file has no such column: null text",
    "text": "the value as trimmed text, empty is null",
    "text_from_binary": (
        "a Parquet binary column (bytes without a UTF-8 annotation) as text: its bytes decoded as UTF-8, trimmed,"
        " empty is null; bytes that are not UTF-8 keep their escaped form (\\xNN)"),
    "zoned_timestamp": "a Parquet timestamp with a time zone, as text with its UTC offset",
    "money_from_float": "a Parquet float in a dec column: two decimals only within 1e-9 of a two-decimal value",
    "money_from_decimal": "a Parquet decimal in a dec column: two decimals when it has at most two",
    "integer_from_number": "a Parquet float or decimal in an int column: integer text when integral",
    "text_from_number": (
        "a Parquet float or decimal in a str or bool column (ids a dataframe stored as numbers): integer text when"
        " integral, NaN or infinity null (a dataframe's missing value), else its text"),
    "typed_timestamp": "a typed column read typed (naive timestamp or date): null text",
    "typed_zoned_timestamp": "a typed column read typed (timestamp with a time zone): null text",
    "typed_nanoseconds": (
        "a typed column read typed (a timestamp in nanoseconds, as pandas writes it, naive or with a time zone):"
        " null text (Spark, which reads these as integers, gives nanoseconds_text)"),
    "nanoseconds_text": (
        "a Parquet timestamp in nanoseconds, naive or with a time zone, as UTC text cut to the microsecond"
        " (the digits the text route cuts too)"),
    "typed_int_from_integer": "a typed int column of a Parquet integer: null text within 18 digits, else its text",
    "typed_dec_from_integer": "a typed dec column of a Parquet integer: null text within 16 digits, else its text",
    "typed_dec_from_decimal": (
        "a typed dec column of a Parquet decimal: null text with at most two decimals and 16 digits before"
        " the point, else as money_from_decimal"),
    "utc_missing": "`<column>__utc` when the file does not type the column: null",
    "utc_from_timestamp": "`<column>__utc` of a naive timestamp or date (UTC)",
    "utc_from_zoned_timestamp": "`<column>__utc` of a timestamp with a time zone, in UTC",
    "utc_from_nanoseconds": (
        "`<column>__utc` of typed_nanoseconds: the instant (a naive one is UTC) cut to the microsecond, as its"
        " text's further digits are"),
    "int_missing": "`<column>__number` of an int column the file does not type as an integer: null bigint",
    "dec_missing": "`<column>__number` of a dec column the file does not type as a number: null decimal(18, 2)",
    "int_from_integer": "`<column>__number` of typed_int_from_integer: the value within 18 digits, as bigint",
    "dec_from_integer": "`<column>__number` of typed_dec_from_integer: the value within 16 digits, as decimal(18, 2)",
    "dec_from_decimal": "`<column>__number` of typed_dec_from_decimal: the value as decimal(18, 2) when exact",
    "in_file": "`<column>__in_file`: the file has the column",
    "not_in_file": "`<column>__in_file`: the file does not have the column",
    "source_file": "`_source_file`: the file's original path",
}
_TYPED_KINDS = {
    ("ts", "timestamp"): "typed_timestamp", ("ts", "date"): "typed_timestamp",
    ("ts", "timestamp_tz"): "typed_zoned_timestamp", ("ts", "timestamp_ns"): "typed_nanoseconds",
    ("ts", "timestamp_tz_ns"): "typed_nanoseconds", ("int", "integer"): "typed_int_from_integer",
    ("dec", "integer"): "typed_dec_from_integer", ("dec", "decimal"): "typed_dec_from_decimal",
}
# each typed rule's companion: its name's suffix and rule
_COMPANIONS = {
    "typed_timestamp": ("__utc", "utc_from_timestamp"),
    "typed_zoned_timestamp": ("__utc", "utc_from_zoned_timestamp"),
    "typed_nanoseconds": ("__utc", "utc_from_nanoseconds"),
    "typed_int_from_integer": ("__number", "int_from_integer"),
    "typed_dec_from_integer": ("__number", "dec_from_integer"),
    "typed_dec_from_decimal": ("__number", "dec_from_decimal"),
}
_COMPANION_MISSING = {"ts": ("__utc", "utc_missing"), "int": ("__number", "int_missing"),
                      "dec": ("__number", "dec_missing")}


class RawDataError(Exception):
    """The raw directory cannot be built from; the message is one sentence for the user."""


def _column_rule(contract_type: str, kind: str, typed: bool) -> str:
    """The rule of a contract column the file has, its file type being `kind` (livetier.ingest)."""
    if typed and (contract_type, kind) in _TYPED_KINDS:
        return _TYPED_KINDS[(contract_type, kind)]
    if kind == "float" and contract_type == "dec":
        return "money_from_float"
    if kind == "decimal" and contract_type == "dec":
        return "money_from_decimal"
    if kind in ("float", "decimal") and contract_type == "int":
        return "integer_from_number"
    if kind in ("float", "decimal") and contract_type in ("str", "bool"):
        return "text_from_number"
    if kind == "timestamp_tz":
        return "zoned_timestamp"
    if kind in ("timestamp_ns", "timestamp_tz_ns"):
        return "nanoseconds_text"
    if kind == "binary":
        return "text_from_binary"
    return "text"


def view_columns(table: str, file_format: str | None = None,
                 file_columns: list[list[str]] | None = None) -> list[list[str | None]]:
    """The columns of the view `raw.<table>` over one file, as `[name, rule, source]`: the
    contract's columns (matched to the file's by trimmed, lower-cased name, the first of a repeated name
    winning), then `<column>__utc` or `<column>__number`, `<column>__in_file` and `_source_file`.
    Without a file: the columns of an empty view."""
    present: dict[str, tuple[str, str]] = {}
    for position, (name, kind) in enumerate(file_columns or []):
        if name.strip().lower() not in present:
            present[name.strip().lower()] = (f"c{position}", "text") if file_format == "csv" else (name, kind)
    typed_columns = PARQUET_TYPED_COLUMNS.get(table, ())
    columns: list[list[str | None]] = []
    companions: list[list[str | None]] = []
    for column, contract_type in RAW_COLUMNS[table].items():
        found = present.get(column)
        rule = "missing" if found is None else _column_rule(contract_type, found[1], column in typed_columns)
        columns.append([column, rule, found and found[0]])
        if column in typed_columns:
            suffix, companion_rule = _COMPANIONS.get(rule, _COMPANION_MISSING[contract_type])
            companions.append([f"{column}{suffix}", companion_rule, found[0] if rule in _COMPANIONS else None])
    for column in PRESENCE_FLAGGED_COLUMNS.get(table, ()):
        companions.append([f"{column}__in_file", "in_file" if column in present else "not_in_file", None])
    return [*columns, *companions, ["_source_file", "source_file" if file_format else "missing", None]]


def schema_key(schema) -> str:
    """The exact schema of a Parquet file (each column's name and Arrow type, in order) as a short
    hash, taken from the footer the pre-pass reads (ingest._inspect_parquet, for a known file too):
    DuckDB reads files of one schema with one `read_parquet` of their list."""
    fields = "\n".join(f"{field.name}\t{field.type}" for field in schema)
    return hashlib.sha256(fields.encode("utf-8")).hexdigest()[:16]


def read_plan(raw: Path, files: list[RawFile]) -> dict:
    """The read plan of the files found (module docstring): every readable file that has columns,
    by table, each column with its rule."""
    tables = []
    for table in RAW_TABLES:
        planned = []
        for item in files:
            if item.raw_table != table or item.status == "unreadable" or not item.format or not item.columns:
                continue
            planned.append({
                "source_file": item.source_file,
                "alias": item.alias,
                "path": os.path.abspath(item.source_file),
                "format": item.format,
                "width": len(item.columns),
                "columns": view_columns(table, item.format, item.columns),
                "schema": item.schema_key if item.format == "parquet" else None,
            })
        tables.append({"name": table, "empty": view_columns(table), "files": planned})
    return {"raw_path": str(raw).rstrip("/"), "tables": tables}


def raw_files_var(raw: Path, db: Path | None = None) -> str:
    """The dbt `--vars` value for Spark: `raw_files` (the read plan) and, with `db`,
    `raw_manifest_dir` (the landing folder `livetier.ingest.prepare` wrote, whose manifests become
    `raw._files` and `raw._rejects`). With `db` the files are fully checked (unreadable ones left
    out); without, only their headers or Parquet footers are read. Spark reads each file's
    absolute `path` (it would resolve a relative one against its warehouse) and records
    `source_file` as `_source_file`, as DuckDB does."""
    from livetier.ingest import discover, inspect_columns, landing_dir, prepare

    if db is None:
        files = discover(raw)
        for item in files:
            inspect_columns(item)
        value: dict = {"raw_files": read_plan(raw, files)}
    else:
        value = {"raw_files": read_plan(raw, prepare(raw, db).files),
                 "raw_manifest_dir": str(landing_dir(db).resolve())}
    return json.dumps(value, ensure_ascii=False)


if __name__ == "__main__":
    # `dbt build --target spark --vars "$(python -m livetier.rawcheck RAW_DIR [DB])"`
    import sys

    try:
        print(raw_files_var(Path(sys.argv[1] if len(sys.argv) > 1 else "data/raw"),
                            Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None))
    except RawDataError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
