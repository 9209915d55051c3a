"""The raw contract (spec raw_contract.md), read on its own: what becomes of every row read.

Every table comes back as a pandas frame with the contract's columns, typed for exact arithmetic:
`str` as Python strings or None, `ts` as naive UTC `datetime64[ns]`, `dec` as integer cents in a
float64 column (exact far beyond any amount here; NaN for null), `int` as float64 (NaN for null),
`bool` as True/False/None. `outcomes` gives each row read its outcome: kept, set aside with the
reason of the first check it fails, or a duplicate (a further copy of a key among the rows that
pass); refunds that would take an order past its amount are set aside after duplicates. `load_kept`
is the kept rows; `ledger` the counts per table, outcome and reason.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class Table:
    """One raw table of the contract: its key and its columns as {name: type}; a `?` marks nullable."""

    key: tuple[str, ...]
    columns: dict[str, str]


TABLES = {
    "orders": Table(("order_id",), {
        "order_id": "str", "user_id": "str", "ordered_at": "ts", "paid_at": "ts?", "status": "str",
        "amount": "dec", "discount_amount": "dec?", "coupon_id": "str?", "stream_id": "str?", "currency": "str?"}),
    "users": Table(("user_id",), {
        "user_id": "str", "registered_at": "ts", "gender": "str?", "birth_year": "int?", "province": "str?",
        "city_tier": "int?", "acquisition_channel": "str?", "phone": "str?", "nickname": "str?"}),
    "events": Table(("event_id",), {
        "event_id": "str", "user_id": "str", "event_type": "str", "event_at": "ts", "stream_id": "str?",
        "product_id": "str?", "value": "dec?", "text": "str?"}),
    "live_streams": Table(("stream_id",), {
        "stream_id": "str", "anchor_id": "str", "category": "str", "started_at": "ts", "ended_at": "ts?"}),
    "products": Table(("product_id",), {
        "product_id": "str", "category": "str", "brand": "str?", "list_price": "dec"}),
    "order_items": Table(("order_id", "line_no"), {
        "order_id": "str", "line_no": "int", "product_id": "str", "quantity": "int", "unit_price": "dec"}),
    "refunds": Table(("refund_id",), {
        "refund_id": "str", "order_id": "str", "refunded_at": "ts", "amount": "dec"}),
    "campaign_touches": Table(("touch_id",), {
        "touch_id": "str", "campaign_id": "str", "user_id": "str", "channel": "str", "sent_at": "ts",
        "opened_at": "ts?", "is_control": "bool"}),
}

EVENT_TYPES = {"enter_room", "leave_room", "like", "comment", "share", "follow", "gift", "product_impression",
               "product_click", "add_to_cart", "favorite", "coupon_claim"}
# enumerations match exactly (case-sensitive); a null currency means CNY
ENUMERATIONS = {("orders", "status"): {"created", "paid", "cancelled", "refunded"},
                ("orders", "currency"): {"CNY"},
                ("events", "event_type"): EVENT_TYPES,
                ("campaign_touches", "channel"): {"push", "sms", "in_app", "community"}}
AT_LEAST_ZERO = {("orders", "amount"), ("orders", "discount_amount"), ("products", "list_price"),
                 ("order_items", "unit_price")}
ABOVE_ZERO = {("refunds", "amount"), ("order_items", "quantity")}
BOOLEANS = {"true": True, "t": True, "1": True, "yes": True, "y": True,
            "false": False, "f": False, "0": False, "no": False, "n": False}

# The contract's classes of bad input (raw_contract.md, "Bad input" and "Details"), in the order the
# project's DECISIONLOG.md ("Check order, reason codes and the kept copy") checks them: a row that breaks
# several rules gets the first. The reason codes are the worked examples' (expected_ledger.csv).
REASON_CLASSES = {"missing_key": "missing", "missing_user_id": "missing", "missing_value": "missing",
                  "unparseable": "unparseable",
                  "unknown_status": "unknown_value", "unknown_currency": "unknown_value",
                  "unknown_event_type": "unknown_value", "unknown_channel": "unknown_value",
                  "negative_amount": "out_of_range", "negative_quantity": "out_of_range",
                  "out_of_range": "out_of_range",
                  "future_timestamp": "future_timestamp",
                  "refund_exceeds_order": "refund_overflow",
                  "duplicate": "duplicate"}

# date and time with T or a space, optional seconds and fraction, offset Z, +HH:MM, +HHMM, +HH or none
TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
                       r"(Z|[+-]\d{2}(?::?\d{2})?)?)?")
DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
INTEGER = re.compile(r"[+-]?\d+")


def parse_timestamp(text: str) -> pd.Timestamp | None:
    """A contract timestamp as a naive UTC instant; None when the text does not parse."""
    match = TIMESTAMP.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        instant = pd.Timestamp(year=int(year), month=int(month), day=int(day), hour=int(hour or 0),
                               minute=int(minute or 0), second=int(second or 0),
                               microsecond=int((fraction or "0")[:6].ljust(6, "0")))
    except ValueError:  # 2025-02-30 and the like
        return None
    if offset and offset != "Z":
        digits = offset[1:].replace(":", "")
        shift = pd.Timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        instant = instant - shift if offset[0] == "+" else instant + shift
    return instant


def _parse_cents(text: str) -> float:
    return float(round(float(text) * 100)) if DECIMAL.fullmatch(text) else np.nan


def _typed_text(values: pd.Series, kind: str) -> pd.Series:
    """Text values (None for null) as the column's type; a value that does not parse becomes NaN/NaT."""
    present = values.dropna()
    if kind == "str":
        return values
    if kind == "ts":
        parsed = {text: parse_timestamp(text.strip()) for text in present.unique()}
        return pd.to_datetime(values.map(parsed), errors="coerce")
    if kind == "dec":
        return values.map(lambda text: np.nan if text is None else _parse_cents(text.strip())).astype("float64")
    if kind == "bool":
        return values.map(lambda text: None if text is None else BOOLEANS.get(text.strip().lower())).astype(object)
    return values.map(lambda text: float(text.strip()) if text is not None and INTEGER.fullmatch(text.strip())
                      else np.nan).astype("float64")


def _typed_parquet(column: pa.ChunkedArray, kind: str) -> pd.Series:
    """A Parquet column as the column's type: typed columns converted, text columns parsed as text."""
    if pa.types.is_timestamp(column.type):
        stamps = column.to_pandas()
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        return stamps.astype("datetime64[ns]")
    if pa.types.is_boolean(column.type):
        return column.to_pandas().astype(object).where(lambda flags: flags.notna(), None)
    numeric = pa.types.is_decimal(column.type) or pa.types.is_floating(column.type) or pa.types.is_integer(column.type)
    if numeric and kind != "bool":  # a bool written as a number is read as its text (1 and 0)
        numbers = column.cast(pa.float64()).to_pandas()
        return (numbers * 100).round() if kind == "dec" else numbers
    text = column.cast(pa.string()).to_pandas().astype(object)
    return _typed_text(text.where(text.notna() & (text != ""), None), kind)


def _files(raw: Path, name: str) -> list[Path]:
    """The files of one table: `<t>.parquet`, `<t>.csv` or the CSV and Parquet files in `<t>/`."""
    forms = [path for path in (raw / f"{name}.parquet", raw / f"{name}.csv", raw / name) if path.exists()]
    if len(forms) > 1:
        raise ValueError(f"{name} is present in two forms")
    if not forms:
        return []
    if forms[0].is_dir():
        return sorted(path for path in forms[0].iterdir() if path.is_file() and path.suffix in (".csv", ".parquet")
                      and not path.name.startswith((".", "_")))
    return forms


def _read_file(path: Path, table: Table) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One file's rows typed, and per row and column whether a value was there (not null, not empty)."""
    columns: dict[str, pd.Series] = {}
    present: dict[str, pd.Series] = {}
    if path.suffix == ".parquet":
        data = pq.read_table(path)
        rows = data.num_rows
    else:
        text = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        rows = len(text)
    for name, declared in table.columns.items():
        kind = declared.rstrip("?")
        if path.suffix == ".parquet" and name in data.column_names:
            raw_values = data.column(name)
            there = pd.Series(raw_values.is_valid().to_numpy(zero_copy_only=False))
            if pa.types.is_string(raw_values.type) or pa.types.is_large_string(raw_values.type):
                there &= pd.Series(raw_values.cast(pa.string()).to_pandas() != "").fillna(False)
            values = _typed_parquet(raw_values, kind).reset_index(drop=True)
        elif path.suffix == ".csv" and name in text.columns:
            # a CSV field that is empty or only spaces is null; there is no other null token
            values = text[name].astype(object)
            values = values.where(values.str.strip() != "", None)
            there = values.notna()
            values = _typed_text(values, kind)
        else:  # a column missing from a file is null
            values = pd.Series([None] * rows, dtype=object)
            there = pd.Series(False, index=range(rows))
        columns[name] = values
        present[name] = there.reset_index(drop=True)
    return pd.DataFrame(columns), pd.DataFrame(present, index=range(rows))


def _reasons(frame: pd.DataFrame, present: pd.DataFrame, name: str, table: Table,
             latest: pd.Timestamp) -> pd.Series:
    """Per row the first rule of the contract it breaks (None when it breaks none), checked in this order:
    a missing key, user_id or required value; a value that does not parse; an unknown enumeration value;
    a negative amount or quantity; a zero where the contract says > 0; a timestamp after `latest`."""
    checks: list[tuple[str, pd.Series]] = []
    required = [column for column, declared in table.columns.items() if not declared.endswith("?")]
    for reason, columns in (("missing_key", list(table.key)),
                            ("missing_user_id", [c for c in ["user_id"] if c in required and c not in table.key]),
                            ("missing_value", [c for c in required if c not in table.key and c != "user_id"])):
        checks += [(reason, ~present[column]) for column in columns]
    checks += [("unparseable", present[column] & frame[column].isna()) for column in table.columns]
    checks += [(f"unknown_{column}", frame[column].notna() & ~frame[column].isin(allowed))
               for (table_name, column), allowed in ENUMERATIONS.items() if table_name == name]
    signed = [column for column in table.columns if (name, column) in AT_LEAST_ZERO | ABOVE_ZERO]
    checks += [("negative_quantity" if column == "quantity" else "negative_amount", frame[column] < 0)
               for column in signed]
    checks += [("out_of_range", frame[column] == 0) for column in table.columns if (name, column) in ABOVE_ZERO]
    checks += [("future_timestamp", frame[column] > latest)
               for column, declared in table.columns.items() if declared.rstrip("?") == "ts"]
    reason = pd.Series(None, index=frame.index, dtype=object)
    for code, broken in checks:
        reason = reason.where(reason.notna() | ~broken.to_numpy(dtype=bool), code)
    return reason


def _empty(table: Table) -> pd.DataFrame:
    dtypes = {"ts": "datetime64[ns]", "dec": "float64", "int": "float64", "str": "object", "bool": "object"}
    return pd.DataFrame({column: pd.Series(dtype=dtypes[declared.rstrip("?")])
                         for column, declared in table.columns.items()})


def _overflowing(refunds: pd.DataFrame, orders: pd.DataFrame) -> set[str]:
    """Refund overflow: an order's refunds in (refunded_at, refund_id) order; one that would take the total
    past the order's amount is set aside and uses up nothing. A refund of an unknown order is kept.
    Returns the refund_ids set aside."""
    amounts = dict(zip(orders["order_id"], orders["amount"], strict=True))
    used: dict[str, float] = {}
    over = set()
    ordered = refunds.sort_values(["order_id", "refunded_at", "refund_id"])
    for refund_id, order_id, amount in zip(ordered["refund_id"], ordered["order_id"], ordered["amount"], strict=True):
        if order_id not in amounts:
            continue
        total = used.get(order_id, 0.0) + amount
        if total <= amounts[order_id]:
            used[order_id] = total
        else:
            over.add(refund_id)
    return over


def outcomes(raw: Path, clock: str) -> dict[str, pd.DataFrame]:
    """Every row read from the raw directory `raw`, per table, for a build whose clock is `clock`: the
    typed columns plus `outcome` (kept, set_aside or duplicate) and `reason` (the first rule broken for
    set_aside, `duplicate` for duplicates, None for kept). Set-aside rows come first (in read order), then
    the rows that pass, sorted by all columns (nulls last): of the copies of a key that pass, the first
    is kept, the others are duplicates. Then the kept refunds that would take an order past its amount
    are set aside (duplicates go first, so a copy is never an overflow)."""
    latest = pd.Timestamp(clock) + pd.Timedelta(days=1)  # later than this is impossible, hence bad input
    found = {}
    for name, table in TABLES.items():
        files = _files(raw, name)
        if not files:  # an absent table is empty
            found[name] = _empty(table).assign(outcome=pd.Series(dtype=object), reason=pd.Series(dtype=object))
            continue
        parts = []
        for path in files:
            frame, present = _read_file(path, table)
            parts.append(frame.assign(reason=_reasons(frame, present, name, table, latest)))
        rows = pd.concat(parts, ignore_index=True)
        set_aside = rows[rows["reason"].notna()].assign(outcome="set_aside")
        passing = rows[rows["reason"].isna()].sort_values(list(table.columns), na_position="last", kind="mergesort")
        copy = passing.duplicated(list(table.key), keep="first")
        passing = passing.assign(outcome=np.where(copy, "duplicate", "kept"), reason=np.where(copy, "duplicate", None))
        found[name] = pd.concat([set_aside, passing], ignore_index=True)
    refunds, orders = found["refunds"], found["orders"]
    kept_refunds = refunds["outcome"] == "kept"
    over = kept_refunds & refunds["refund_id"].isin(
        _overflowing(refunds[kept_refunds], orders[orders["outcome"] == "kept"]))
    found["refunds"] = refunds.assign(outcome=refunds["outcome"].where(~over, "set_aside"),
                                      reason=refunds["reason"].where(~over, "refund_exceeds_order"))
    return found


def kept_rows(found: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The kept rows of `outcomes`, per table, without the outcome columns (refunds by order_id, refunded_at,
    refund_id)."""
    kept = {name: rows[rows["outcome"] == "kept"].drop(columns=["outcome", "reason"]).reset_index(drop=True)
            for name, rows in found.items()}
    kept["refunds"] = kept["refunds"].sort_values(["order_id", "refunded_at", "refund_id"]).reset_index(drop=True)
    return kept


def load_kept(raw: Path, clock: str) -> dict[str, pd.DataFrame]:
    """The kept rows of every table of the raw directory `raw`, for a build whose clock is `clock`."""
    return kept_rows(outcomes(raw, clock))


def rows_read(raw: Path) -> dict[str, int]:
    """Records per table of the raw directory counted apart from the reader: Python's csv module (records
    after the header line; a blank line is none) and the Parquet footer; 0 for an absent table."""
    counts = {}
    for name in TABLES:
        total = 0
        for path in _files(raw, name):
            if path.suffix == ".parquet":
                total += pq.ParquetFile(path).metadata.num_rows
            else:
                with open(path, newline="", encoding="utf-8-sig") as handle:
                    total += max(sum(1 for record in csv.reader(handle) if record) - 1, 0)
        counts[name] = total
    return counts


def ledger(found: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The rows of `outcomes` counted per table, outcome and reason, with the reason's class of the contract
    (`kept` for kept rows): raw_table, outcome, reason, reason_class, rows."""
    counts = []
    for name, rows in found.items():
        grouped = rows.assign(reason=rows["reason"].fillna("")).groupby(["outcome", "reason"]).size()
        counts += [(name, outcome, reason or None, REASON_CLASSES.get(reason, "kept"), int(n))
                   for (outcome, reason), n in grouped.items()]
    return pd.DataFrame(counts, columns=["raw_table", "outcome", "reason", "reason_class", "rows"], dtype=object)
