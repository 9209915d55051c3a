"""Reads the raw folder by the contract before every dbt run: finds the files, gives each a safe
alias, counts its records independently of DuckDB, lists the records DuckDB cannot parse, and
decides whether the warehouse must be rebuilt in full.

`prepare(raw, db)` writes, in the landing folder `<db>.landing/`:

- one symlink per raw file, `<table>/<sha1 of its path relative to raw>.<ext>`: the only path
  that reaches SQL, so no raw file or folder name (glob characters, quotes, backslashes,
  brackets) is ever interpreted by a reader;
- `files.csv`: one row per raw file (table, original path, alias, format, bytes, mtime, sha256,
  independent record count, parse rejects, status `ok|empty|unreadable`, one-sentence message,
  the header's column names and the Parquet columns' types), read back as `raw._files`;
- `rejects.csv`: one row per CSV record DuckDB cannot parse (table, file, physical line number,
  error type); never the line's text, which may hold personal data;
- `plan.json`: the read plan (`livetier.rawcheck.read_plan`): per table, its readable files and
  how each view column is read from each file; the register macro only turns it into views.

After a successful run `record_loaded()` keeps the fingerprints in `loaded.json`; the next
`prepare()` compares them and asks for a full refresh when a loaded file changed or went away,
or the raw path, business time zone or seeds differ.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from livetier import PROJECT_ROOT, pii
from livetier.rawcheck import (
    KEY_COLUMNS,
    RAW_COLUMNS,
    RAW_TABLES,
    RawDataError,
    read_plan,
    schema_key,
)

FORMATS = ("csv", "parquet")
FILES_COLUMNS = ("raw_table", "source_file", "alias", "format", "bytes", "mtime", "sha256", "records",
                 "parse_rejects", "status", "message", "columns")
REJECTS_COLUMNS = ("raw_table", "source_file", "line_number", "error_type")
# DuckDB's CSV reading options: the contract's dialect, nothing guessed. Kept in one place: the
# register macro writes the same options (macros/register_raw_sources.sql).
CSV_OPTIONS = ("header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
               "strict_mode = true, store_rejects = true")
GLOB_CHARACTERS = set("*?[]{}")
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class RawFile:
    """One file found in the raw folder, what the pre-pass learnt about it, and its alias."""

    raw_table: str
    source_file: str  # the original path text, `<raw>/<table>.csv` or `<raw>/<table>/<name>`
    path: Path
    format: str  # csv, parquet or '' (unknown format)
    alias: str = ""
    bytes: int = 0
    mtime: str = ""
    sha256: str = ""
    records: int | None = None
    parse_rejects: int = 0
    status: str = "ok"
    message: str = ""
    columns: list[list[str]] = field(default_factory=list)  # [name, kind] in file order
    schema_key: str | None = None  # a Parquet file's exact schema as a short hash (rawcheck.schema_key)
    # why an entry is never opened (a folder inside a table folder, a broken link, a pipe): it is
    # listed as unreadable with this message
    not_opened: str = ""


@dataclass
class Reject:
    raw_table: str
    source_file: str
    line_number: int
    error_type: str


@dataclass
class Prepared:
    raw: Path
    db: Path
    landing: Path
    files: list[RawFile]
    rejects: list[Reject]
    reload_reason: str | None  # why the run must be a full refresh (None: incremental is safe)
    state: dict = field(default_factory=dict)  # what `record_loaded` keeps after a successful run

    @property
    def unreadable(self) -> list[RawFile]:
        return [f for f in self.files if f.status == "unreadable"]


def landing_dir(db: Path) -> Path:
    return Path(str(db) + ".landing")


def _source_text(raw: Path, relative: str) -> str:
    return f"{str(raw).rstrip('/')}/{relative}"


def _candidates(folder: Path) -> tuple[list[Path], list[Path]]:
    """The entries directly inside a table folder whose names do not start with `.` or `_`: the
    files (regular files, or links to one), and the rest (folders, broken links, pipes), which are
    never opened."""
    entries = sorted((p for p in folder.iterdir() if not p.name.startswith((".", "_"))), key=lambda p: p.name)
    return [p for p in entries if p.is_file()], [p for p in entries if not p.is_file()]


def _not_opened_message(path: Path, raw_table: str) -> str:
    """Why an entry that is not a file is not read."""
    if path.is_dir():
        data = sum(1 for p in path.rglob("*") if p.is_file() and p.suffix in (".csv", ".parquet"))
        return (f"it is a folder: only the files directly inside '{raw_table}/' are read, so the {data} CSV "
                f"or Parquet file{'' if data == 1 else 's'} under it {'was' if data == 1 else 'were'} left out "
                f"(move {'it' if data == 1 else 'them'} up into '{raw_table}/').")
    if path.is_symlink():
        return f"it is a link to '{os.readlink(path)}', which does not exist."
    return "it is not a regular file (a pipe, socket or device), so it was not opened."


def discover(raw: Path) -> list[RawFile]:
    """The files of every contract table, by the contract's rules; raises RawDataError."""
    if not raw.is_dir():
        raise RawDataError(
            f"The raw directory '{raw}' does not exist: set RAW_PATH to the folder of your export.")
    found: list[RawFile] = []
    for table in RAW_TABLES:
        named = [raw / f"{table}.{ext}" for ext in FORMATS]
        singles = [path for path in named if path.is_file()]
        folder = raw / table
        inside, others = _candidates(folder) if folder.is_dir() else ([], [])
        # a `<table>.csv` that is not a file (a broken link) is listed as unreadable, not a form
        others = [path for path in named if os.path.lexists(path) and not path.is_file()] + others
        forms = [p.name for p in singles] + ([f"{table}/"] if inside else [])
        if len(forms) > 1:
            raise RawDataError(
                f"Raw table '{table}' is present in more than one form in '{raw}' ({', '.join(forms)}): "
                "keep exactly one.")
        for path in singles:
            found.append(RawFile(table, _source_text(raw, path.name), path, path.suffix[1:]))
        for path in inside:
            fmt = path.suffix[1:] if path.suffix[1:] in FORMATS else ""
            found.append(RawFile(table, _source_text(raw, f"{table}/{path.name}"), path, fmt))
        # folders inside (a partitioned layout, `events/dt=2025-03-01/`), broken links and pipes are
        # not read: each is listed as unreadable and named in a warning, never left out in silence
        for path in others:
            relative = path.relative_to(raw).as_posix()
            found.append(RawFile(table, _source_text(raw, relative), path, "",
                                 not_opened=_not_opened_message(path, table)))
    if not any(f.raw_table == "orders" for f in found):
        raise RawDataError(
            f"The required raw table 'orders' was not found in '{raw}': "
            "provide orders.parquet, orders.csv or a folder orders/.")
    return found


# ---------------------------------------------------------------- fingerprints and counts

def _fingerprint(item: RawFile, known_hashes: dict[tuple[str, str, str], str]) -> None:
    """Size, modification time and SHA-256. A file whose path, size and time are those of the last
    run's manifest keeps the hash recorded then (as git and make trust a file's stat): hashing every
    file each night read the whole export, a cost growing with the history (0.6 s for the 356 MB of `medium`). A
    file rewritten in place gets a new time, so it is hashed again; only a rewrite that restores
    the size and the time to the microsecond would go unseen."""
    stat = item.path.stat()
    item.bytes = stat.st_size
    item.mtime = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat()
    known = known_hashes.get((item.source_file, str(item.bytes), item.mtime))
    if known:
        item.sha256 = known
        return
    digest = hashlib.sha256()
    with item.path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    item.sha256 = digest.hexdigest()


def _header_names(header: list[str] | None) -> list[str] | None:
    """A CSV header's names as the view matches them (trimmed, lower case), [] for no header, None
    when it is not UTF-8 (its fields were read as Latin-1, see below)."""
    if header is None:
        return []
    try:
        names = [name.encode("latin-1").decode("utf-8") for name in header]
    except UnicodeDecodeError:
        return None
    return [name.strip().lower() for name in names]


def _csv_header_and_count(path: Path, count: bool = True) -> tuple[list[str] | None, int]:
    """The header's names (None when the header is not UTF-8) and the number of records after it
    (0 without `count`), by Python's csv module (RFC 4180: a quoted field may hold commas and
    newlines; blank lines are not records). Bytes are read as Latin-1, which maps every byte to
    one character, so record boundaries are found whatever the encoding."""
    csv.field_size_limit(sys.maxsize)
    with path.open("rb") as handle:
        if handle.read(len(UTF8_BOM)) != UTF8_BOM:  # skipped before parsing: `"` must start a quoted name
            handle.seek(0)
        text = io.TextIOWrapper(handle, encoding="latin-1", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        records = sum(1 for row in reader if row) if count else 0
    return _header_names(header), records


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _physical_lines(path: Path, offsets: list[int]) -> dict[int, int]:
    """Physical line number (1-based) of each byte offset: newlines before it, plus one."""
    wanted = sorted(set(offsets))
    lines: dict[int, int] = {}
    newlines, position, index = 0, 0, 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            while index < len(wanted) and wanted[index] <= position + len(chunk):
                lines[wanted[index]] = newlines + chunk.count(b"\n", 0, wanted[index] - position) + 1
                index += 1
            newlines += chunk.count(b"\n")
            position += len(chunk)
    for offset in wanted[index:]:
        lines[offset] = newlines + 1
    return lines


def _csv_rejects(item: RawFile, width: int) -> tuple[int, list[tuple[int, str]]]:
    """DuckDB's read of the file as the view reads it: (rows returned, [(line, error type)])."""
    import duckdb

    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    every = ", ".join(f"count(c{i})" for i in range(width))  # every column read, so each is checked
    con = duckdb.connect()
    try:
        con.execute("set threads = 1")
        rows = con.execute(
            f"select count(*), {every} from read_csv({_sql_text(item.alias)}, {CSV_OPTIONS}, "
            f"columns = {{{columns}}}, rejects_table = 'file_rejects', rejects_scan = 'file_scans')"
        ).fetchall()[0][0]
        found = con.execute(
            "select line_byte_position, line, error_type from file_rejects order by line, error_type"
        ).fetchall()
    finally:
        con.close()
    first: dict[int, tuple[int, str]] = {}
    for byte_position, line, error_type in found:
        first.setdefault(int(line), (int(byte_position), str(error_type)))
    physical = _physical_lines(item.path, [pos for pos, _ in first.values()])
    return int(rows), sorted((physical[pos], kind) for pos, kind in first.values())


def _mixed_line_ends_message(path: Path) -> str | None:
    """DuckDB's strict CSV reader stops on a file mixing CRLF and LF line ends (measured, 2.0)."""
    data = path.read_bytes()
    crlf = data.count(b"\r\n")
    if crlf and data.count(b"\n") > crlf:
        return "it mixes CRLF and LF line ends, which the strict CSV reader cannot split into records."
    return None


def _encoding_hint(path: Path) -> str:
    """A hint for a CSV that is not UTF-8 but reads as GB18030 (GBK's superset, the encoding a
    spreadsheet on a Chinese-locale system saves CSV in) with common Chinese characters in its
    first 4 MiB; empty otherwise (the contract reads UTF-8 only, so nothing is decoded for the
    build)."""
    with path.open("rb") as handle:
        head = handle.read(4 << 20)
    try:
        head.decode("utf-8")
        return ""  # its first 4 MiB are UTF-8: the broken bytes are further on, not a whole encoding
    except UnicodeDecodeError:
        pass
    try:
        text = codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
    except UnicodeDecodeError:
        return ""
    # Chinese text in GBK is mostly GB2312's common characters (both bytes from 0xA1); Latin-1 text
    # read as GB18030 makes rare ones (an accented letter and the ASCII letter after it)
    wide = [char for char in text if ord(char) > 0x7F]
    common = sum(1 for char in wide if len(char.encode("gb2312", errors="ignore")) == 2)
    if not re.search(r"[\u4e00-\u9fff]", text) or common < 0.9 * len(wide):
        return ""
    return ("; the file reads as GB18030 (GBK), the encoding a Chinese-locale spreadsheet saves CSV in: "
            "save it as 'CSV UTF-8'")


def _inspect_csv(item: RawFile) -> list[Reject]:
    names, records = _csv_header_and_count(item.path)
    item.records = records
    if names is None:
        item.status, item.message = "unreadable", f"its header line is not valid UTF-8{_encoding_hint(item.path)}."
        return []
    item.columns = _csv_columns(item.raw_table, names)
    if not names or records == 0:
        item.status, item.message = "empty", "it holds no records."
        return []
    try:
        read, rejects = _csv_rejects(item, len(names))
    except Exception as err:  # noqa: BLE001 - DuckDB's message may quote the line: report its kind only
        item.status = "unreadable"
        item.message = (_mixed_line_ends_message(item.path)
                        or f"DuckDB could not read it ({type(err).__name__}).")
        return []
    item.parse_rejects = len(rejects)
    if read == 0 and len(rejects) == records:
        kinds = sorted({kind.lower() for _, kind in rejects})
        item.status = "unreadable"
        hint = _encoding_hint(item.path) if "invalid encoding" in kinds else ""
        item.message = (f"none of its {records} records could be read "
                        f"({', '.join(kinds) or 'no record parsed'}; first on line "
                        f"{rejects[0][0] if rejects else 2}){_separator_line_hint(names) or hint}.")
        item.parse_rejects = 0
        return []
    encoding_lines = [line for line, kind in rejects if kind.lower() == "invalid encoding"]
    item.message = _sentences(_encoding_message(item, encoding_lines), _foreign_header_message(item, names))
    return [Reject(item.raw_table, item.source_file, line, kind) for line, kind in rejects]


def _encoding_message(item: RawFile, lines: list[int]) -> str:
    """Why some records of a CSV read otherwise are set aside for their bytes (`lines`, where DuckDB
    found invalid UTF-8), when the file reads as GB18030: the cause, named once; empty otherwise."""
    hint = _encoding_hint(item.path) if lines else ""
    if not hint:
        return ""
    count = len(lines)
    return (f"{count} of its {item.records:,} records {'is' if count == 1 else 'are'} not UTF-8 and set aside as "
            f"unparseable (first on line {min(lines)}){hint}.")


def _sentences(*parts: str) -> str:
    """The non-empty parts as one message, each after the first starting with a capital letter."""
    found = [part for part in parts if part]
    return " ".join(found[:1] + [part[:1].upper() + part[1:] for part in found[1:]])


def _csv_columns(raw_table: str, names: list[str]) -> list[list[str]]:
    """A CSV file's columns as the manifest keeps them: the contract's names, and an empty name for
    any other (only its position counts). The first line of a file without a header is a record,
    which may hold a phone or a nickname: it is never written."""
    return [[name if name in RAW_COLUMNS[raw_table] else "", "text"] for name in names]


def parquet_kind(arrow_type: object) -> str:
    """A Parquet column's kind as the read plan knows it (livetier.rawcheck._column_rule)."""
    import pyarrow as pa

    if pa.types.is_timestamp(arrow_type):
        # nanoseconds (what pandas writes) are a kind of their own: their instant is read to the
        # microsecond as their text would be (truncated, not rounded)
        kind = "timestamp_tz" if arrow_type.tz else "timestamp"
        return f"{kind}_ns" if arrow_type.unit == "ns" else kind
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_floating(arrow_type):
        return "float"
    if pa.types.is_decimal(arrow_type):
        return "decimal"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type) or pa.types.is_fixed_size_binary(
            arrow_type):
        return "binary"
    return "text"


def _inspect_parquet(item: RawFile) -> None:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(item.path)
        schema = meta.schema.to_arrow_schema()
    except Exception:  # noqa: BLE001 - any footer error means the file cannot be read
        item.status, item.message = "unreadable", "it is not a readable Parquet file (truncated or another format)."
        return
    item.records = int(meta.num_rows)
    item.columns = [[f.name, parquet_kind(f.type)] for f in schema]
    item.schema_key = schema_key(schema)
    if item.records == 0:
        item.status, item.message = "empty", "it holds no records."


def _cannot_open(path: Path) -> str | None:
    """Why a listed file cannot be opened (no permission, gone since it was listed), in the words
    prepare uses; None when it opens."""
    try:
        with path.open("rb"):
            return None
    except OSError as error:
        return f"it cannot be opened ({error.strerror or error})."


def inspect_columns(item: RawFile) -> None:
    """Only what the read plan needs, without the landing folder (`python -m livetier.rawcheck RAW`
    without DB): the header of a CSV file or the schema of a Parquet file; unreadable when that
    cannot be read, or when the format is unknown."""
    if item.not_opened:
        item.status, item.message = "unreadable", item.not_opened
    elif (refused := _cannot_open(item.path)) is not None:
        item.status, item.message = "unreadable", refused
    elif item.format == "csv":
        names, _ = _csv_header_and_count(item.path, count=False)
        if names is None:
            item.status, item.message = "unreadable", f"its header line is not valid UTF-8{_encoding_hint(item.path)}."
        else:
            item.columns = _csv_columns(item.raw_table, names)
    elif item.format == "parquet":
        _inspect_parquet(item)
    else:
        item.status, item.message = "unreadable", "it has an unknown format (expected .csv or .parquet)."


# ---------------------------------------------------------------- landing folder and manifests

def _link(landing: Path, item: RawFile, raw: Path) -> None:
    relative = item.path.relative_to(raw).as_posix()
    name = hashlib.sha1(relative.encode("utf-8")).hexdigest()
    alias = landing / item.raw_table / f"{name}.{item.format}"
    alias.parent.mkdir(parents=True, exist_ok=True)
    if alias.is_symlink() or alias.exists():
        alias.unlink()
    alias.symlink_to(item.path.resolve())
    item.alias = str(alias)


def _manifest_rows(landing: Path) -> list[dict[str, str]]:
    """The last manifest's rows (none before the first run)."""
    path = landing / "files.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def prepare(raw: Path, db: Path, business_timezone: str | None = None,
            environ: dict[str, str] | None = None) -> Prepared:
    """Discovers, aliases, fingerprints and counts the raw files, lists unparseable records and
    writes the manifests; raises RawDataError (one sentence) when the build cannot start."""
    landing = landing_dir(db)
    if GLOB_CHARACTERS & set(str(landing)):
        raise RawDataError(
            f"The database path '{db}' contains one of the characters * ? [ ] {{ }}: choose another DUCKDB_PATH.")
    files = discover(raw)
    landing.mkdir(parents=True, exist_ok=True)
    for table in RAW_TABLES:  # aliases of files gone since the last run
        for old in (landing / table).glob("*") if (landing / table).is_dir() else []:
            old.unlink()
    manifest = _manifest_rows(landing)
    # every file's recorded hash by its stat (two files with the same bytes each keep theirs), and
    # the last analysis by content: an unchanged file is not analysed again
    known_hashes = {(row["source_file"], row["bytes"], row["mtime"]): row["sha256"] for row in manifest}
    previous = {f"{row['sha256']}|{row['format']}|{row['raw_table']}": row for row in manifest}
    old_rejects = _old_rejects(landing)
    rejects: list[Reject] = []
    reused: set[str] = set()
    for item in files:
        if item.not_opened:
            item.status, item.message = "unreadable", item.not_opened
            continue
        try:
            _fingerprint(item, known_hashes)
        except OSError as error:  # permission denied, or the file went away since it was listed
            item.status, item.message = "unreadable", f"it cannot be opened ({error.strerror or error})."
            continue
        if not item.format:
            item.status, item.message = "unreadable", "it has an unknown format (expected .csv or .parquet)."
            continue
        _link(landing, item, raw)
        known = previous.get(f"{item.sha256}|{item.format}|{item.raw_table}")
        if known is not None:
            reused.add(item.source_file)
            item.records = int(known["records"]) if known["records"] else None
            item.parse_rejects = int(known["parse_rejects"] or 0)
            item.status, item.message = known["status"], known["message"]
            item.columns = json.loads(known["columns"] or "[]")
            if item.format == "csv":  # a manifest written before the names were masked
                item.columns = _csv_columns(item.raw_table, [name for name, _kind in item.columns])
            if item.format == "parquet" and item.status != "unreadable":
                # its footer again, for the schema: the columns' kinds as this code reads them (older
                # code may have classed one otherwise: a timestamp in nanoseconds)
                _inspect_parquet(item)
            rejects += [Reject(item.raw_table, item.source_file, line, kind)
                        for line, kind in old_rejects.get(known["source_file"], [])]
        elif item.format == "csv":
            rejects += _inspect_csv(item)
        else:
            _inspect_parquet(item)
    # a Parquet file's key check, and a CSV file's whose analysis came from a manifest of older code
    # (a CSV file inspected now has both, with the separator its unmasked names show)
    encoding_lines: dict[str, list[int]] = {}
    for reject in rejects:
        if reject.error_type.lower() == "invalid encoding":
            encoding_lines.setdefault(reject.source_file, []).append(reject.line_number)
    for item in files:
        if item.status == "ok" and not item.message and item.columns:
            reused_lines = encoding_lines.get(item.source_file, []) if item.source_file in reused else []
            item.message = _sentences(_encoding_message(item, reused_lines),
                                      _foreign_header_message(item, [name for name, _kind in item.columns]))
    orders = [f for f in files if f.raw_table == "orders"]
    if all(f.status == "unreadable" for f in orders):
        first = orders[0]
        raise RawDataError(
            f"The required raw table 'orders' cannot be read: '{first.source_file}' is unreadable, "
            f"{first.message.rstrip('.')}" + (f" (and {len(orders) - 1} more file(s))." if len(orders) > 1 else "."))
    rows = []
    for item in files:
        row = asdict(item)
        row["columns"] = json.dumps(item.columns, ensure_ascii=False)
        row["records"] = "" if item.records is None else item.records
        rows.append(row)
    _write_csv(landing / "files.csv", FILES_COLUMNS, rows)
    _write_csv(landing / "rejects.csv", REJECTS_COLUMNS, [asdict(r) for r in rejects])
    _write_text(landing / "plan.json", json.dumps(read_plan(raw, files), ensure_ascii=False))
    state = _state(raw, files, business_timezone or project_timezone(environ), _key_id(db, environ))
    return Prepared(raw, db, landing, files, rejects, _reload_reason(landing, db, state), state)


def _separator_line_hint(names: list[str]) -> str:
    """A hint for a CSV whose first line is a spreadsheet's separator line (`sep=;`, which Excel
    writes and reads) instead of its header; empty for any other first line."""
    if not names or not re.fullmatch(r"sep=.?", names[0]) or any(names[1:2]) or len(names) > 2:
        return ""
    line = names[0] + ("," if len(names) == 2 else "")  # `sep=,` is read as two fields
    return (f"; its first line is a spreadsheet's '{line}' line, not its header: "
            "the contract reads the header on the first line, separated by ','")


def _foreign_header_message(item: RawFile, names: list[str]) -> str:
    """Why every row of a file is set aside when its header lacks its table's key (a CSV separated by
    `;`, a file without a header line, another table's export, a renamed column); empty when it has
    the key. Its rows are still read and counted, as the contract says (a missing column is null).
    The names are not quoted: the first line of a file without a header is a record (a phone)."""
    found = {name.strip().lower() for name in names}
    missing = [column for column in KEY_COLUMNS[item.raw_table] if column not in found]
    if not missing:
        return ""
    rows = "its one row is" if item.records == 1 else f"each of its {item.records:,} rows is"
    if found & set(RAW_COLUMNS[item.raw_table]):
        return f"its header has no '{missing[0]}' column, so {rows} set aside as missing_key."
    separator = next((s for s in (";", "\t", "|") if item.format == "csv" and any(s in n for n in names)), None)
    shown = "\\t" if separator == "\t" else separator
    hint = (item.format == "csv" and _separator_line_hint(names)
            or (f"; its first line looks separated by '{shown}', and the contract reads ','" if separator else ""))
    return (f"its header names none of the columns of '{item.raw_table}' ({len(names)} "
            f"name{'' if len(names) == 1 else 's'}; a file without a header line, or another table's), so "
            f"{rows} set aside as missing_key{hint}.")


def _old_rejects(landing: Path) -> dict[str, list[tuple[int, str]]]:
    path = landing / "rejects.csv"
    found: dict[str, list[tuple[int, str]]] = {}
    if path.exists():
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                found.setdefault(row["source_file"], []).append((int(row["line_number"]), row["error_type"]))
    return found


# ---------------------------------------------------------------- changed files, full refresh

# raw tables whose files are loaded once and then skipped by the incremental models
# (base_live__events keeps `_source_file` as its load watermark)
INCREMENTAL_TABLES = ("events",)


def project_timezone(environ: dict[str, str] | None = None) -> str:
    """The business time zone dbt will use: `BUSINESS_TIMEZONE` (as dbt_project.yml reads it) or its default."""
    env = os.environ if environ is None else environ
    return env.get("BUSINESS_TIMEZONE", "").strip() or "Asia/Shanghai"


def _files_hash(*names: str) -> str:
    digest = hashlib.sha256()
    for name in names:
        root = PROJECT_ROOT / name
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def seeds_hash() -> str:
    return _files_hash("seeds")


def code_hash() -> str:
    """The project's transforms: a stored incremental table was computed by the code of its run."""
    return _files_hash("models", "macros", "dbt_project.yml")


def _key_id(db: Path, environ: dict[str, str] | None) -> str:
    """A non-secret fingerprint of the personal-data key: rows hashed under another key must be rehashed."""
    try:
        key = pii.resolve_key(db, environ)
    except pii.PiiKeyError as err:
        raise RawDataError(str(err)) from None
    return pii.hmac_hex(key, "livetier:key-id")[:16]


def _state(raw: Path, files: list[RawFile], business_timezone: str, key_id: str) -> dict:
    return {
        "raw_path": str(raw).rstrip("/"),
        "pii_key_id": key_id,
        "business_timezone": business_timezone,
        "seeds": seeds_hash(),
        "code": code_hash(),
        # the events, read by file: a loaded events file changed or removed reloads everything
        # (base_live__orders and base_live__order_items, also read by file, rebuild themselves
        # when one of their files changed: macro raw_files_loaded); other tables are read whole
        "files": {f.source_file: {"bytes": f.bytes, "mtime": f.mtime, "sha256": f.sha256}
                  for f in files if f.status != "unreadable" and f.raw_table in INCREMENTAL_TABLES},
    }


def _reload_reason(landing: Path, db: Path, state: dict) -> str | None:
    """One sentence saying why the stored warehouse cannot be updated incrementally, or None."""
    path = landing / "loaded.json"
    if not db.exists() or not path.exists():
        return None
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "the record of what was loaded could not be read, so everything is reloaded."
    if loaded.get("raw_path") != state["raw_path"]:
        return f"the warehouse was loaded from '{loaded.get('raw_path')}', not '{state['raw_path']}'."
    if loaded.get("business_timezone") != state["business_timezone"]:
        return (f"the business time zone changed from {loaded.get('business_timezone')} "
                f"to {state['business_timezone']}.")
    if loaded.get("pii_key_id", state["pii_key_id"]) != state["pii_key_id"]:
        return "the personal-data key changed, so every personal value is hashed again."
    if loaded.get("seeds") != state["seeds"]:
        return "a seed changed since the last load."
    if loaded.get("code") != state["code"]:
        return ("the project's models or macros changed since the last load (another livetier version "
                "or a local edit), so every incremental table is computed again with them.")
    for name, print_ in sorted(loaded.get("files", {}).items()):
        now = state["files"].get(name)
        if now is None:
            return f"the loaded file '{name}' was removed or renamed."
        if now["sha256"] != print_["sha256"]:
            return f"the loaded file '{name}' changed since it was loaded."
    return None


def record_loaded(prepared: Prepared) -> None:
    """After a successful run: the fingerprints the next `prepare()` compares against."""
    path = prepared.landing / "loaded.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(prepared.state, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def drop_raw_views(db: Path) -> None:
    """After a failed run: the raw views (which read personal columns in clear) must not stay behind;
    dbt's on-run-end hook drops them, but not when the run stopped in on-run-start."""
    if not db.exists():
        return
    import duckdb

    try:
        con = duckdb.connect(str(db))
    except duckdb.Error:
        return  # another process holds the file: its own run ends with the same hook
    try:
        con.execute("drop schema if exists raw cascade")
    finally:
        con.close()


def stray_entries(raw: Path) -> list[str]:
    """One line per entry of the raw folder that is no form of a contract table (`Orders.csv`,
    `events.csv.gz`, `user/`): not read, and never left out in silence. Names starting with `.`
    or `_` are skipped, as inside a table folder."""
    forms = {f"{table}.{ext}" for table in RAW_TABLES for ext in FORMATS} | set(RAW_TABLES)
    lines = []
    for path in sorted(raw.iterdir(), key=lambda p: p.name):
        if path.name in forms or path.name.startswith((".", "_")):
            continue
        close = difflib.get_close_matches(path.name.split(".")[0].lower(), RAW_TABLES, n=1, cutoff=0.75)
        hint = (f" (is it '{close[0]}'? Names are case-sensitive, and a table is '{close[0]}.csv', "
                f"'{close[0]}.parquet' or a folder '{close[0]}/')") if close else ""
        lines.append(f"warning: {path} was not read: it is not one of the contract's tables{hint}.")
    return lines


def warnings(prepared: Prepared) -> list[str]:
    """One line per file left out of the build, per entry of the raw folder that is no table, and per
    file whose header lacks its table's key."""
    return ([f"warning: {f.source_file} was not read: {f.message}" for f in prepared.unreadable]
            + stray_entries(prepared.raw)
            + [f"warning: {f.source_file}: {f.message}" for f in prepared.files if f.status == "ok" and f.message])


if __name__ == "__main__":
    # `python -m livetier.ingest RAW_DIR DB`: prepare the landing folder and print what was found
    try:
        done = prepare(Path(sys.argv[1]), Path(sys.argv[2]).resolve())
    except RawDataError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    for item in done.files:
        print(f"{item.raw_table}\t{item.status}\t{item.records}\t{item.parse_rejects}\t{item.source_file}")
    for line in warnings(done):
        print(line, file=sys.stderr)
