"""Raw files read by the contract (livetier.ingest + register_raw_sources): one fixture per defect
of a real export, exact per-file and ledger counts against counts this test derives from what it
wrote, literal file names, unreadable files, and changed files / reused warehouses."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import EXAMPLES_RAW, SEED_AND_MODELS, STAGING_SELECT, build, expected_ledger, rewrite_manifest

from livetier import PROJECT_ROOT

HEADER = b"event_id,user_id,event_type,event_at,stream_id\n"


def _good(tag: str, n: int) -> bytes:
    return b"".join(f"{tag}-{i},u01,like,2025-03-01T10:00:00Z,s1\n".encode() for i in range(n))


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    """Read-only, with every schema of the file on the search path (marts may live in several)."""
    con = duckdb.connect(str(db), read_only=True)
    schemas = [r[0] for r in con.execute(
        "select schema_name from information_schema.schemata where catalog_name = current_database() "
        "order by schema_name = 'main' desc, schema_name").fetchall()]
    con.execute("set search_path = '" + ",".join(schemas) + "'")
    return con


def query(db: Path, sql: str) -> pd.DataFrame:
    con = _connect(db)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def ledger(db: Path) -> dict[tuple[str, str, str], int]:
    frame = query(db, "select raw_table, outcome, coalesce(reason, '') as reason, row_count from data_quality_ledger")
    return {(r.raw_table, r.outcome, r.reason): int(r.row_count) for r in frame.itertuples()}


def _orders_records() -> int:
    with (EXAMPLES_RAW / "orders.csv").open(newline="", encoding="utf-8") as handle:
        return sum(1 for row in csv.reader(handle) if row) - 1


# name -> (content, records, reject lines, unparseable error type); each built by hand
def _event_files() -> dict[str, tuple[bytes, int, list[int]]]:
    long_value = b"x" * 3_000_000
    return {
        # a ragged first data line (too few fields): line 2
        "ragged-first.csv": (HEADER + b"rf-0,u01,like\n" + _good("rf", 2), 3, [2]),
        # a ragged middle line (too many fields): line 3
        "ragged-mid.csv": (HEADER + _good("rm", 1) + b"rm-x,u01,like,2025-03-01T10:00:00Z,s1,extra\n"
                           + _good("rm2", 1), 3, [3]),
        # an unterminated quote swallows the rest of the file: one record (RFC 4180), line 3
        "unterminated.csv": (HEADER + _good("ut", 1) + b'ut-x,u01,like,"2025-03-01,s1\n' + _good("ut2", 2), 2, [3]),
        # GBK bytes on one line: that record is unparseable (invalid UTF-8), the others kept
        "gbk.csv": (HEADER + _good("gb", 1) + "gb-x,u01,like,2025-03-01T10:00:00Z,直播\n".encode("gbk")
                    + _good("gb2", 1), 3, [3]),
        # a 3 MB line (over DuckDB's 2 MB line limit): line 3
        "long.csv": (HEADER + _good("lg", 1) + b"lg-x,u01,like,2025-03-01T10:00:00Z," + long_value + b"\n"
                     + _good("lg2", 1), 3, [3]),
        # a quoted comma and newline are kept inside one field; CRLF line ends and a BOM
        "quoted.csv": (b"\xef\xbb\xbf" + HEADER.replace(b"\n", b"\r\n")
                       + b'qt-q,u01,like,2025-03-01T10:00:00Z,"a,b\r\nc"\r\n'
                       + _good("qt", 1).replace(b"\n", b"\r\n"), 2, []),
        # a BOM then quoted names (a spreadsheet's "CSV UTF-8"): the names match unquoted
        "bom-quoted.csv": (b'\xef\xbb\xbf"' + b'","'.join(HEADER.strip().split(b",")) + b'"\n' + _good("bq", 1), 1, []),
        # literal names: a backslash, a glob star and a quote
        "x\\y.csv": (HEADER + _good("bs", 1), 1, []),
        "*.csv": (HEADER + _good("st", 1), 1, []),
        "a'b.csv": (HEADER + _good("qu", 1), 1, []),
        "header-only.csv": (HEADER, 0, []),
    }


def _write_dirty(raw: Path) -> dict[str, tuple[bytes, int, list[int]]]:
    raw.mkdir(parents=True)
    orders = (EXAMPLES_RAW / "orders.csv").read_bytes()
    # a ragged last line: one field too many
    (raw / "orders.csv").write_bytes(orders + b"o9999,u01,2025-03-01T10:00:00Z,,paid,1.00,,,,CNY,extra\n")
    folder = raw / "events"
    folder.mkdir()
    files = _event_files()
    for name, (content, _, _) in files.items():
        (folder / name).write_bytes(content)
    # a header that is not UTF-8: the file cannot be read at all
    (folder / "gbk-header.csv").write_bytes("事件,user_id\n".encode("gbk") + b"1,2\n")
    table = pa.table({"event_id": ["tp-0"], "user_id": ["u01"], "event_type": ["like"],
                      "event_at": ["2025-03-01T10:00:00Z"]})
    pq.write_table(table, folder / "truncated.parquet")
    data = (folder / "truncated.parquet").read_bytes()
    (folder / "truncated.parquet").write_bytes(data[: len(data) // 2])
    (folder / "notes.txt").write_text("not data\n")
    # CRLF then LF: DuckDB's strict reader cannot read it at all (measured), so it is unreadable
    (folder / "mixed-ends.csv").write_bytes(HEADER.replace(b"\n", b"\r\n") + _good("mx", 2))
    # a partitioned layout: only the files directly inside events/ are read; a folder inside is
    # listed and warned about, one starting with `_` or `.` (a writer's own) is skipped
    for inner in ("dt=2025-03-02", "_temporary", ".hidden"):
        (folder / inner).mkdir()
        (folder / inner / "part-0.csv").write_bytes(HEADER + _good("pt", 2))
    (folder / "dt=2025-03-02" / "part-1.parquet").write_bytes(b"")
    # a link to a file that is gone (an unmounted share) and a named pipe (opening it would wait
    # forever): listed as unreadable, never opened
    (folder / "gone.csv").symlink_to(raw / "nowhere" / "gone.csv")
    os.mkfifo(folder / "pipe.csv")
    # entries of the raw folder that are no table's form: named in a warning, not read
    (raw / "orders.csv.gz").write_bytes(b"")
    (raw / "Events").mkdir()
    (raw / "notes.md").write_text("not data\n")
    (raw / "_truth").mkdir()
    return files


def test_dirty_export_is_read_by_the_contract(tmp_path: Path) -> None:
    raw = tmp_path / "rootb[1]"  # a raw folder whose name is a glob pattern
    files = _write_dirty(raw)
    db = tmp_path / "w.duckdb"
    result = build(raw, db, as_of="2025-03-31", select=STAGING_SELECT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    root = str(raw)

    # the run ends with one warning line per unreadable file
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert sorted(warned) == sorted([
        f"warning: {root}/events/gbk-header.csv was not read: its header line is not valid UTF-8; the file reads "
        "as GB18030 (GBK), the encoding a Chinese-locale spreadsheet saves CSV in: save it as 'CSV UTF-8'.",
        f"warning: {root}/events/gbk.csv: 1 of its 3 records is not UTF-8 and set aside as unparseable (first on "
        "line 3); the file reads as GB18030 (GBK), the encoding a Chinese-locale spreadsheet saves CSV in: save it "
        "as 'CSV UTF-8'.",
        f"warning: {root}/events/notes.txt was not read: it has an unknown format (expected .csv or .parquet).",
        f"warning: {root}/events/mixed-ends.csv was not read: it mixes CRLF and LF line ends, which the strict "
        "CSV reader cannot split into records.",
        f"warning: {root}/events/truncated.parquet was not read: it is not a readable Parquet file "
        "(truncated or another format).",
        f"warning: {root}/events/dt=2025-03-02 was not read: it is a folder: only the files directly inside "
        "'events/' are read, so the 2 CSV or Parquet files under it were left out (move them up into 'events/').",
        f"warning: {root}/events/gone.csv was not read: it is a link to '{root}/nowhere/gone.csv', which does "
        "not exist.",
        f"warning: {root}/events/pipe.csv was not read: it is not a regular file (a pipe, socket or device), so "
        "it was not opened.",
        f"warning: {root}/orders.csv.gz was not read: it is not one of the contract's tables (is it 'orders'? Names "
        "are case-sensitive, and a table is 'orders.csv', 'orders.parquet' or a folder 'orders/').",
        f"warning: {root}/Events was not read: it is not one of the contract's tables (is it 'events'? Names are "
        "case-sensitive, and a table is 'events.csv', 'events.parquet' or a folder 'events/').",
        f"warning: {root}/notes.md was not read: it is not one of the contract's tables.",
    ])

    per_file = query(db, "select * from data_quality_files").set_index("source_file")
    assert len(per_file) == 1 + len(files) + 7
    for name, (_content, records, lines) in files.items():
        row = per_file.loc[f"{root}/events/{name}"]
        assert (row.record_count, row.read_count, row.unparseable_count, row.kept_count) == (
            records, records - len(lines), len(lines), records - len(lines)), name
        assert row.status == ("empty" if records == 0 else "ok"), name
    for name in ("gbk-header.csv", "notes.txt", "truncated.parquet", "mixed-ends.csv", "dt=2025-03-02", "gone.csv",
                 "pipe.csv"):
        row = per_file.loc[f"{root}/events/{name}"]
        assert (row.status, row.read_count) == ("unreadable", 0)
        assert row.message.endswith(".") and "\n" not in row.message
    orders_row = per_file.loc[f"{root}/orders.csv"]
    orders_records = _orders_records() + 1
    assert (orders_row.record_count, orders_row.read_count, orders_row.unparseable_count, orders_row.status) == (
        orders_records, orders_records - 1, 1, "ok")

    # one quarantine row per unparseable record, with its file and physical line
    quarantined = query(db, """
        select raw_table, source_file, line_number from data_quality_quarantine where line_number is not null
    """)
    expected_lines = {("events", f"{root}/events/{name}", line) for name, (_, _, lines) in files.items()
                      for line in lines}
    expected_lines.add(("orders", f"{root}/orders.csv", orders.count(b"\n") + 1
                        if (orders := (EXAMPLES_RAW / "orders.csv").read_bytes()) else 0))
    assert set(map(tuple, quarantined.itertuples(index=False))) == expected_lines
    assert len(quarantined) == len(expected_lines)

    # the ledger: orders keep every other row; events add up to the independent counts
    baseline = expected_ledger()
    got = ledger(db)
    base_orders = sum(n for (t, _, _), n in baseline.items() if t == "orders")
    assert sum(n for (t, _, _), n in got.items() if t == "orders") == base_orders + 1
    assert got[("orders", "set_aside", "unparseable")] == baseline.get(("orders", "set_aside", "unparseable"), 0) + 1
    assert got[("orders", "kept", "")] == baseline[("orders", "kept", "")]
    event_records = sum(records for _, records, _ in files.values())
    event_rejects = sum(len(lines) for _, _, lines in files.values())
    assert got[("events", "set_aside", "unparseable")] == event_rejects
    assert got[("events", "kept", "")] == event_records - event_rejects
    assert sum(n for (t, _, _), n in got.items() if t == "events") == event_records

    # literal names read exactly once each; the quoted comma and newline kept in one field
    read = query(db, "select _source_file, count(*) as n from base_live__events group by 1").set_index("_source_file")
    for name in ("x\\y.csv", "*.csv", "a'b.csv"):
        assert read.loc[f"{root}/events/{name}", "n"] == 1
    kept = query(db, "select stream_id from base_live__events where event_id = 'qt-q'")
    assert kept.stream_id.tolist() == ["a,b\r\nc"]

    # never the text of a bad line in the manifests (the GBK line's text, the 3 MB value)
    landing = Path(str(db) + ".landing")
    manifest = (landing / "rejects.csv").read_bytes() + (landing / "files.csv").read_bytes()
    assert b"xxxxxxxxxx" not in manifest and "直播".encode("gbk") not in manifest


def test_unreadable_orders_is_fatal_in_one_sentence(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "orders").mkdir(parents=True)
    (raw / "orders" / "part-0.parquet").write_bytes(b"PAR1 not really parquet")
    db = tmp_path / "w.duckdb"
    done = subprocess.run([sys.executable, "-m", "livetier", "build", "--raw", str(raw), "--db", str(db)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={**__import__("os").environ, "BUILD_CLOCK": "2025-04-20T00:00:00"})
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"error: The required raw table 'orders' cannot be read: '{raw}/orders/part-0.parquet' "
                     "is unreadable, it is not a readable Parquet file (truncated or another format)."]
    assert "Traceback" not in done.stdout + done.stderr


def test_a_file_that_cannot_be_opened_is_unreadable_in_one_sentence(tmp_path: Path, monkeypatch) -> None:
    from livetier import ingest

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    shutil.copy(EXAMPLES_RAW / "users.parquet", raw / "users.parquet")
    for name in ("a.csv", "b.csv"):
        shutil.copy(EXAMPLES_RAW / "events" / "2025-01.csv", raw / "events" / name)
    # orders as a link to a file that is gone: listed, not a form of the table, and fatal
    (raw / "orders.csv").symlink_to(tmp_path / "mnt" / "orders.csv")
    db = tmp_path / "w.duckdb"
    done = subprocess.run([sys.executable, "-m", "livetier", "build", "--raw", str(raw), "--db", str(db)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={**os.environ, "BUILD_CLOCK": "2025-04-20T00:00:00"})
    assert done.returncode == 2
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        f"error: The required raw table 'orders' cannot be read: '{raw}/orders.csv' is unreadable, it is a link "
        f"to '{tmp_path}/mnt/orders.csv', which does not exist."]
    # a file this user may not read (root reads every file, so the refusal is simulated): unreadable,
    # the other file of the table read; the check without a warehouse says the same
    (raw / "orders.csv").unlink()
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    fingerprint = ingest._fingerprint

    def refuse(item, known):
        if item.path.name == "b.csv":
            raise PermissionError(13, "Permission denied", str(item.path))
        fingerprint(item, known)

    monkeypatch.setattr(ingest, "_fingerprint", refuse)
    files = {f.path.name: f for f in ingest.prepare(raw, db).files}
    assert (files["b.csv"].status, files["b.csv"].message) == ("unreadable", "it cannot be opened (Permission denied).")
    assert (files["a.csv"].status, files["a.csv"].records) == ("ok", 13)
    real_open = Path.open

    def refusing_open(path: Path, *args, **kwargs):
        if path.name == "b.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    for item in ingest.discover(raw):
        ingest.inspect_columns(item)
        assert item.status == ("unreadable" if item.path.name == "b.csv" else "ok"), item.path
        assert item.message == ("it cannot be opened (Permission denied)." if item.path.name == "b.csv" else "")
    monkeypatch.undo()
    # a file gone between the listing and its reading is named for that, not for a permission
    listed = ingest.discover(raw)
    (raw / "events" / "b.csv").unlink()
    gone = next(item for item in listed if item.path.name == "b.csv")
    ingest.inspect_columns(gone)
    assert (gone.status, gone.message) == ("unreadable", "it cannot be opened (No such file or directory).")


def test_a_file_whose_header_names_no_column_is_named_in_a_warning(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES_RAW, raw)
    # a spreadsheet's CSV separated by `;`, and a file without its header line whose first record
    # holds a phone: their rows are read and set aside (missing_key), as the contract counts them
    semicolons = (raw / "events" / "2025-02.csv").read_text(encoding="utf-8").replace(",", ";")
    (raw / "events" / "2025-02.csv").unlink()
    (raw / "events" / "2025-02-semicolons.csv").write_text(semicolons, encoding="utf-8")
    (raw / "events" / "no-header.csv").write_text(
        "x1,13800138000,like,2025-03-01T10:00:00Z,s1\nx2,13900139000,like,2025-03-01T10:00:00Z,s1\n",
        encoding="utf-8")
    # the key column renamed: the other columns are read, the key is missing
    (raw / "events" / "renamed-key.csv").write_text(
        "id,user_id,event_type,event_at\nx3,u01,like,2025-03-01T10:00:00Z\nx4,u01,like,2025-03-01T10:00:00Z\n",
        encoding="utf-8")
    db = tmp_path / "w.duckdb"
    result = build(raw, db, as_of="2025-03-31", select=STAGING_SELECT)
    assert result.returncode == 0, result.stdout[-4000:]
    records = semicolons.count("\n") - 1
    warned = sorted(line for line in result.stderr.splitlines() if line.startswith("warning:"))
    assert warned == [
        f"warning: {raw}/events/2025-02-semicolons.csv: its header names none of the columns of 'events' "
        f"(1 name; a file without a header line, or another table's), so each of its {records} rows is set aside "
        "as missing_key; its first line looks separated by ';', and the contract reads ','.",
        f"warning: {raw}/events/no-header.csv: its header names none of the columns of 'events' (5 names; a file "
        "without a header line, or another table's), so its one row is set aside as missing_key.",
        f"warning: {raw}/events/renamed-key.csv: its header has no 'event_id' column, so each of its 2 rows is set "
        "aside as missing_key."]
    per_file = query(db, "select * from data_quality_files").set_index("source_file")
    row = per_file.loc[f"{raw}/events/2025-02-semicolons.csv"]
    assert (row.status, row.read_count, row.set_aside_count, row.message) == (
        "ok", records, records, warned[0].split(": ", 2)[2])
    expected = expected_ledger()
    assert ledger(db)[("events", "set_aside", "missing_key")] == (
        expected.get(("events", "set_aside", "missing_key"), 0) + records + 1 + 2)
    # the phone of the first line is nowhere in what the run wrote (the landing folder's links to
    # the raw files are the export itself)
    landing = Path(str(db) + ".landing")
    written = result.stdout + result.stderr + "".join(
        path.read_text(encoding="utf-8", errors="replace") for path in landing.rglob("*")
        if path.is_file() and not path.is_symlink() and path.suffix in (".csv", ".json"))
    assert "event_at" in written  # the manifests were read
    assert "13800138000" not in written


def test_a_header_without_the_key_is_named_after_a_manifest_of_older_code(tmp_path: Path) -> None:
    from livetier import ingest

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    (raw / "events" / "a.csv").write_text("event_id;user_id\ne1;u1\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    first = {f.path.name: f for f in ingest.prepare(raw, db).files}
    assert first["a.csv"].message.startswith("its header names none of the columns of 'events'")
    # a manifest written before the key was checked: the file kept its analysis, without a message
    def older(row: dict[str, str]) -> None:
        row["message"] = "" if row["status"] == "ok" else row["message"]
        if row["source_file"].endswith("a.csv"):
            row["columns"] = '[["event_id;user_id", "text"]]'  # and its names not masked yet

    manifest = rewrite_manifest(db, older)
    again = {f.path.name: f for f in ingest.prepare(raw, db).files}
    assert again["a.csv"].message == (
        "its header names none of the columns of 'events' (1 name; a file without a header line, or another "
        "table's), so its one row is set aside as missing_key.")
    assert again["a.csv"].columns == [["", "text"]] and again["orders.csv"].message == ""
    assert "event_id;user_id" not in manifest.read_text(encoding="utf-8")


def test_a_spreadsheets_separator_line_is_named(tmp_path: Path) -> None:
    from livetier import ingest

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    # Excel's `sep=` line above the header: with `sep=,` the header line becomes a record wider than
    # the first line, so none is read; with `sep=;` every row is one field without the key
    events = "event_id,user_id,event_type,event_at\ne1,u1,like,2025-03-01T10:00:00Z\n"
    (raw / "events" / "comma.csv").write_text("sep=,\n" + events, encoding="utf-8")
    (raw / "events" / "semicolon.csv").write_text("sep=;\n" + events.replace(",", ";"), encoding="utf-8")
    # a first field that only begins like one is no separator line
    (raw / "events" / "other.csv").write_text("sep=;x\n" + events.replace(",", ";"), encoding="utf-8")
    found = {f.path.name: f for f in ingest.prepare(raw, tmp_path / "w.duckdb").files}
    hint = "its first line is a spreadsheet's '{}' line, not its header: the contract reads the header on the " \
        "first line, separated by ','."
    assert (found["comma.csv"].status, found["comma.csv"].message) == (
        "unreadable", "none of its 2 records could be read (too many columns; first on line 2); "
        + hint.format("sep=,"))
    assert (found["semicolon.csv"].status, found["semicolon.csv"].message) == (
        "ok", "its header names none of the columns of 'events' (1 name; a file without a header line, or another "
        "table's), so each of its 2 rows is set aside as missing_key; " + hint.format("sep=;"))
    assert found["other.csv"].message.endswith("its first line looks separated by ';', and the contract reads ','.")


def test_a_csv_saved_as_gbk_is_named_with_its_encoding(tmp_path: Path) -> None:
    from livetier import ingest

    raw = tmp_path / "raw"
    (raw / "users").mkdir(parents=True)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    header = "user_id,registered_at,province\n"
    # a spreadsheet on a Chinese-locale system saves CSV in GBK: every row Chinese, some rows, the header
    (raw / "users" / "all.csv").write_bytes(
        (header + "u1,2025-01-01T00:00:00Z,广东\nu2,2025-01-01T00:00:00Z,浙江\n").encode("gbk"))
    (raw / "users" / "some.csv").write_bytes(
        (header + "u3,2025-01-01T00:00:00Z,Zhejiang\nu4,2025-01-01T00:00:00Z,四川\n"
         "u5,2025-01-01T00:00:00Z,Sichuan\nu6,2025-01-01T00:00:00Z,广东\n").encode("gbk"))
    (raw / "users" / "header.csv").write_bytes("user_id,省份\nu7,广东\n".encode("gbk"))
    # some rows not UTF-8 and a header without the key: both named, one sentence each
    (raw / "users" / "both.csv").write_bytes("id,province\nu10,广东\nu11,Sichuan\n".encode("gbk"))
    # bytes that are no GB18030 Chinese (Latin-1): the rows are set aside as before, without a hint
    (raw / "users" / "latin.csv").write_bytes(
        (header + "u8,2025-01-01T00:00:00Z,Québec\nu9,2025-01-01T00:00:00Z,Ontario\n").encode("latin-1"))
    db = tmp_path / "w.duckdb"
    found = {f.path.name: f for f in ingest.prepare(raw, db).files}
    hint = ("the file reads as GB18030 (GBK), the encoding a Chinese-locale spreadsheet saves CSV in: save it as "
            "'CSV UTF-8'.")
    assert (found["all.csv"].status, found["all.csv"].message) == (
        "unreadable", "none of its 2 records could be read (invalid encoding; first on line 2); " + hint)
    assert (found["some.csv"].status, found["some.csv"].parse_rejects, found["some.csv"].message) == (
        "ok", 2, "2 of its 4 records are not UTF-8 and set aside as unparseable (first on line 3); " + hint)
    assert (found["header.csv"].status, found["header.csv"].message) == (
        "unreadable", "its header line is not valid UTF-8; " + hint)
    assert found["both.csv"].message == (
        "1 of its 2 records is not UTF-8 and set aside as unparseable (first on line 2); " + hint
        + " Its header has no 'user_id' column, so each of its 2 rows is set aside as missing_key.")
    assert (found["latin.csv"].status, found["latin.csv"].parse_rejects, found["latin.csv"].message) == ("ok", 1, "")
    # a warehouse whose manifest older code wrote (no message for a file read but for some records):
    # the file keeps its analysis and gets the message
    rewrite_manifest(db, lambda row: row.update(message="" if row["status"] == "ok" else row["message"]))
    again = {f.path.name: f for f in ingest.prepare(raw, db).files}
    assert (again["some.csv"].parse_rejects, again["some.csv"].message) == (2, found["some.csv"].message)
    assert again["latin.csv"].message == "" and again["both.csv"].message == found["both.csv"].message
    # the check without a warehouse (Spark's read plan) reads headers only: it names the header's encoding too
    headers = {f.path.name: f for f in ingest.discover(raw)}
    ingest.inspect_columns(headers["header.csv"])
    assert headers["header.csv"].message == "its header line is not valid UTF-8; " + hint


def test_parquet_floats_become_contract_text(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    prices = [12.5, 12.345, 3.1 + 1e-10, 7.0, 3.1 + 1e-8, math.nan, math.inf]
    pq.write_table(pa.table({"product_id": [f"p{i}" for i in range(len(prices))],
                             "category": ["food"] * len(prices), "list_price": prices}), raw / "products.parquet")
    # NaN (a float, not null: written from a list, not from pandas) beside small values: the file's
    # statistics leave NaN out, so a range test on them alone cannot keep it from the integer cast
    pq.write_table(pa.table({"user_id": ["u1", "u2", "u3"], "registered_at": ["2025-01-01"] * 3,
                             "birth_year": [1995.0, 1995.5, math.nan]}), raw / "users.parquet")
    # bytes without a UTF-8 annotation (Parquet BYTE_ARRAY, Arrow binary) are text: decoded as UTF-8;
    # bytes that are not UTF-8 keep their escaped form, and the row is kept
    binary = pa.array([b"s1", b"s2"], pa.binary())
    pq.write_table(pa.table({"stream_id": binary, "anchor_id": pa.array([b"a1", b"a2"], pa.large_binary()),
                             "category": pa.array(["美妆".encode(), b"\xff food "], pa.binary()),
                             "started_at": pa.array([b"2025-03-01 12:00:00+08", b"2025-03-02"], pa.binary())}),
                   raw / "live_streams.parquet")
    db = tmp_path / "w.duckdb"
    result = build(raw, db, as_of="2025-03-31", select=STAGING_SELECT)
    assert result.returncode == 0, result.stdout[-4000:]
    streams = query(db, "select stream_id, anchor_id, category, cast(started_at as varchar) as started_at, "
                        "coalesce(reject_reason, '') as reject_reason from base_live__live_streams order by 1")
    assert [tuple(row) for row in streams.itertuples(index=False)] == [
        ("s1", "a1", "美妆", "2025-03-01 04:00:00", ""), ("s2", "a2", "\\xFF food", "2025-03-02 00:00:00", "")]
    texts = query(db, "select product_id, list_price_text, coalesce(reject_reason, '') as reject_reason "
                       "from base_live__products order by product_id")
    # two decimals only within 1e-9 of a two-decimal value; else the full text (set aside by the parser)
    assert texts.list_price_text.tolist() == ["12.50", "12.345", "3.10", "7.00", str(3.1 + 1e-8), "nan", "inf"]
    assert texts.reject_reason.tolist() == ["", "unparseable", "", "", "unparseable", "unparseable", "unparseable"]
    years = query(db, "select user_id, birth_year_text, coalesce(reject_reason, '') as reject_reason "
                       "from base_live__users order by user_id")
    assert years.birth_year_text.tolist() == ["1995", "1995.5", "nan"]
    assert years.reject_reason.tolist() == ["", "unparseable", "unparseable"]


def test_parquet_numbers_in_text_columns_are_their_integer_text(tmp_path: Path) -> None:
    # pandas stores an integer column with nulls as floats: ids 1.0 must be the user `1` that an
    # integer or text column of another file writes, not a user `1.0` of their own
    raw = tmp_path / "raw"
    raw.mkdir()
    pq.write_table(pa.table({
        "user_id": [1.0, 2.0, None, 2.5, math.nan, 12345678901234.0, -math.inf],
        "registered_at": ["2025-01-01"] * 7,
        "marketing_consent": [1.0, 0.0, 1.0, None, 1.0, 0.0, 1.0]}), raw / "users.parquet")
    pq.write_table(pa.table({
        "order_id": pa.array([7, 8], pa.int64()), "user_id": pa.array([1, 2], pa.int64()),
        "ordered_at": ["2025-03-01 10:00:00"] * 2, "status": ["paid"] * 2, "amount": ["5.00"] * 2,
        "currency": ["CNY"] * 2,
        "stream_id": pa.array([Decimal("3.00"), Decimal("3.50")], pa.decimal128(5, 2))}), raw / "orders.parquet")
    db = tmp_path / "w.duckdb"
    result = build(raw, db, as_of="2025-03-31", select=STAGING_SELECT)
    assert result.returncode == 0, result.stdout[-4000:]
    users = query(db, "select coalesce(user_id, '-') as user_id, coalesce(reject_reason, '') as reject_reason, "
                      "coalesce(cast(marketing_consent as varchar), '-') as consent "
                      "from base_live__users order by user_id")
    assert [tuple(row) for row in users.itertuples(index=False)] == [
        ("-", "missing_key", "true"), ("-", "missing_key", "true"), ("-", "missing_key", "true"), ("1", "", "true"),
        ("12345678901234", "", "false"), ("2", "", "false"), ("2.5", "", "-")]
    orders = query(db, "select order_id, user_id, stream_id from stg_live__orders order by order_id")
    assert [tuple(row) for row in orders.itertuples(index=False)] == [("7", "1", "3"), ("8", "2", "3.50")]
    joined = query(db, "select count(*) as n from stg_live__orders join stg_live__users using (user_id)")
    assert joined.n[0] == 2


# tables that record runs, not data: a reloaded warehouse has one more run than a fresh build (the
# fingerprints of table_on_change models hold when their upstream tables were built)
RUN_LOGS = {"int_history_runs_logged", "_input_fingerprints"}
# tables built for the as-of dates a run recomputes: after an incremental run the stepped series
# hold the days before the first marker read in one bucket, and the marker reads only those dates'
# markers (covers_from_date), a fresh build keeps every bucket and date; the facts they feed
# (int_user_facts_snapshotted) are compared
RUN_SCOPED = {"int_user_activity_stepped", "int_user_purchases_stepped", "int_as_of_markers_read"}


def _marts(db: Path) -> dict[str, list[tuple]]:
    con = _connect(db)
    try:
        names = [tuple(r) for r in con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = current_database() "
            "and table_type = 'BASE TABLE' and table_schema <> 'raw' order by 1, 2").fetchall()]
        out = {}
        for schema, name in names:
            if name in RUN_LOGS | RUN_SCOPED:
                continue
            relation = f'"{schema}"."{name}"'
            # run stamps: when a row was written, not what it holds (`loaded_at`: the partition
            # manifest's, stg_live__event_partitions)
            columns = [r[0] for r in con.execute(f"describe {relation}").fetchall()
                       if r[0] not in ("_loaded_at", "_changed_at", "loaded_at")]
            listed = ", ".join(f'"{c}"' for c in columns)
            out[f"{schema}.{name}"] = sorted(con.execute(f"select {listed} from {relation}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def _written_at(db: Path) -> dict[str, tuple]:
    """The earliest and latest `_loaded_at` of the orders', order lines', order versions' and
    purchase spans' incremental tables."""
    con = _connect(db)
    try:
        return {t: con.execute(f"select min(_loaded_at), max(_loaded_at) from {t}").fetchall()[0]
                for t in ("base_live__orders", "base_live__order_items", "int_order_net_amounts_versioned",
                          "int_purchase_versions_spanned")}
    finally:
        con.close()


def _built_at(db: Path) -> dict[str, object]:
    """When each `table_on_change` model was last built (macros/table_on_change.sql)."""
    con = _connect(db)
    try:
        (schema,), = con.execute(
            "select schema_name from duckdb_tables() where table_name = '_input_fingerprints'").fetchall()
        rows = con.execute(f'select model, _changed_at from "{schema}"._input_fingerprints').fetchall()
        return {model.rsplit(".", 1)[-1]: changed_at for model, changed_at in rows}
    finally:
        con.close()


@pytest.mark.parametrize("change", ["corrected", "removed", "raw_path", "orders_corrected"])
def test_changed_files_reload_what_they_must(tmp_path: Path, change: str) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES_RAW, raw)
    db = tmp_path / "inc" / "w.duckdb"
    db.parent.mkdir()
    key = {"LIVETIER_PII_KEY": "raw-files-test-key-0123456789"}  # one key: hashes comparable across files
    first = build(raw, db, as_of="2025-03-31", env_extra=key, extra_args=SEED_AND_MODELS)
    assert first.returncode == 0, first.stdout[-3000:]
    target = raw / "events" / "2025-03.csv"
    if change == "corrected":
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        target.write_text("".join(lines[:-5]), encoding="utf-8")  # five events fewer, same name
        expected = f"the loaded file '{target}' changed since it was loaded."
    elif change == "orders_corrected":
        # the orders, read by file, corrected in place: their tables rebuild themselves, no full
        # refresh needed
        orders = raw / "orders.csv"
        lines = orders.read_text(encoding="utf-8").splitlines(keepends=True)
        orders.write_text("".join(lines[:-3]), encoding="utf-8")
        expected = None
    elif change == "removed":
        target.unlink()
        expected = f"the loaded file '{target}' was removed or renamed."
    else:
        moved = tmp_path / "raw2"
        shutil.copytree(raw, moved)
        raw = moved
        expected = f"the warehouse was loaded from '{tmp_path / 'raw'}', not '{moved}'."
    built_first = _built_at(db)
    written_first = _written_at(db)
    second = build(raw, db, as_of="2025-03-31", env_extra=key, extra_args=SEED_AND_MODELS)
    assert second.returncode == 0, second.stdout[-3000:]
    built_second = _built_at(db)
    if expected is None:
        assert "Rebuilding" not in second.stdout
        # only the tables that read the orders are rebuilt; the other dimension tables are kept
        assert {m for m in built_first if built_first[m] != built_second[m]} == {"base_live__refunds_allocated"}
        # the orders' incremental tables are written again whole (every row after the first
        # build), the order lines' are not (their file did not change)
        assert {t: first < _written_at(db)[t][0] for t, (_, first) in written_first.items()} == {
            "base_live__orders": True, "int_order_net_amounts_versioned": True,
            "int_purchase_versions_spanned": True, "base_live__order_items": False}
    else:
        assert second.stdout.splitlines()[0] == f"Rebuilding the warehouse in full (--full-refresh): {expected}"
        assert all(built_first[m] != built_second[m] for m in built_first)
    fresh = tmp_path / "full" / "w.duckdb"
    fresh.parent.mkdir()
    assert build(raw, fresh, as_of="2025-03-31", env_extra=key, extra_args=SEED_AND_MODELS).returncode == 0
    assert _marts(db) == _marts(fresh)
    # a third run with nothing changed is incremental again
    third = build(raw, db, as_of="2025-03-31", select=STAGING_SELECT, env_extra=key)
    assert third.returncode == 0 and "Rebuilding" not in third.stdout
    assert _built_at(db) == built_second  # nothing changed: every table_on_change model kept


def test_a_warehouse_built_by_other_code_is_rebuilt_in_full(tmp_path: Path) -> None:
    """The incremental tables (events, the as-of chain) hold what the code of their run computed:
    after an upgrade or a local edit of models or macros the next run is a full refresh, and a
    record from before this check (no code fingerprint) counts as other code."""
    import json

    from livetier import ingest

    db = tmp_path / "w.duckdb"
    db.write_bytes(b"")
    landing = tmp_path / "landing"
    landing.mkdir()
    state = {"raw_path": "/raw", "pii_key_id": "k", "business_timezone": "Asia/Shanghai",
             "seeds": ingest.seeds_hash(), "code": ingest.code_hash(), "files": {}}
    (landing / "loaded.json").write_text(json.dumps(state), encoding="utf-8")
    assert ingest._reload_reason(landing, db, state) is None
    for recorded in ({**state, "code": "0" * 64}, {k: v for k, v in state.items() if k != "code"}):
        (landing / "loaded.json").write_text(json.dumps(recorded), encoding="utf-8")
        assert "models or macros changed" in (ingest._reload_reason(landing, db, state) or "")


def test_parquet_files_of_one_schema_read_together_keep_their_source(tmp_path: Path) -> None:
    """Parquet files with the same schema are read by one read_parquet of their list (one pipeline,
    not one per file); each row still names its own file, a file of another schema is read alone,
    a repeated event_id across files is still one kept copy, and the ledger reconciles."""
    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")

    def events(ids: list[str], at: list) -> pa.Table:
        return pa.table({"event_id": ids, "user_id": ["u01"] * len(ids), "event_type": ["like"] * len(ids),
                         "event_at": at, "stream_id": ["s1"] * len(ids)})

    typed = [pd.Timestamp("2025-03-01 10:00", tz="UTC")]
    pq.write_table(events(["a1", "a2"], typed * 2), raw / "events" / "day-1.parquet")
    pq.write_table(events(["b1", "dup"], typed * 2), raw / "events" / "day-2.parquet")
    pq.write_table(events(["c1", "dup"], typed * 2), raw / "events" / "day-3.parquet")
    # the same columns, event_at as text: another schema, read alone
    pq.write_table(events(["t1"], ["2025-03-01T10:00:00Z"]), raw / "events" / "text-at.parquet")
    db = tmp_path / "w.duckdb"
    result = build(raw, db, as_of="2025-03-31", select=STAGING_SELECT)
    assert result.returncode == 0, result.stdout[-4000:]
    rows = query(db, "select event_id, _source_file, is_duplicate, reject_reason from base_live__events "
                     "order by event_id, _source_file")
    files = [Path(source).name for source in rows._source_file]
    assert list(zip(rows.event_id, files, strict=True)) == [
        ("a1", "day-1.parquet"), ("a2", "day-1.parquet"), ("b1", "day-2.parquet"), ("c1", "day-3.parquet"),
        ("dup", "day-2.parquet"), ("dup", "day-3.parquet"), ("t1", "text-at.parquet")]
    assert rows.reject_reason.isna().all()
    assert rows.groupby("event_id").is_duplicate.sum().to_dict() == {"a1": 0, "a2": 0, "b1": 0, "c1": 0, "dup": 1,
                                                                      "t1": 0}


def test_an_export_with_no_order_or_event_kept_builds_as_of_the_clocks_business_date(tmp_path: Path) -> None:
    """Every order set aside and no events: nothing dates the build, so D is the build clock's
    business date (20:30 UTC is the next day in Asia/Shanghai), the build ends and its quarantine
    is there to read; a registered user is known by D."""
    raw = tmp_path / "raw"
    raw.mkdir()
    header = "order_id,user_id,ordered_at,paid_at,status,amount,discount_amount,coupon_id,stream_id,currency\n"
    (raw / "orders.csv").write_text(header + "".join([
        ",u1,2025-03-10T10:00:00+08:00,2025-03-10T10:01:00+08:00,paid,50.00,,,,CNY\n",
        "o2,u1,2025-03-10T11:00:00+08:00,2025-03-10T11:01:00+08:00,paid,,,,,CNY\n",
        "o3,u1,2025-03-12T10:00:00+08:00,2025-03-12T10:01:00+08:00,shipped,66.00,,,,CNY\n",
    ]))
    (raw / "users.csv").write_text("user_id,registered_at\nu1,2025-01-05T09:00:00+08:00\n")
    db = tmp_path / "w.duckdb"
    result = build(raw, db, clock="2025-04-20T20:30:00")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert ledger(db) == {
        ("orders", "set_aside", "missing_key"): 1,
        ("orders", "set_aside", "missing_value"): 1,
        ("orders", "set_aside", "unknown_status"): 1,
        ("users", "kept", ""): 1,
    }
    assert query(db, "select as_of_date from int_as_of_date")["as_of_date"].astype(str).tolist() == ["2025-04-21"]
    tiers = query(db, "select user_id, as_of_date, value_tier from user_tiers")
    # registered 106 days before D (new_window_days 30), no purchase: casual
    assert tiers.astype(str).values.tolist() == [["u1", "2025-04-21", "casual"]]
