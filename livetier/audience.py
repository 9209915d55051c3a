"""Audience list exports (人群包) from the published warehouse.

`python -m livetier audience export --list ID [--anchor A | --stream S] --out FILE
[--format csv|parquet] [--db PATH]` writes the members of one list to contact, i.e. the rows of
`operations.audience_members` with no `held_back_reason`: list_id, the scope (anchor_id for a
`warm_up` list, stream_id for a `post_stream_care` list, none for `recall`), user_id, channel and
message_type, ordered by user_id. Never personal data, never a held-back member.

Bad input is refused with one sentence and exit code 2 before anything is written: an unknown
list, anchor or stream, a scope the list needs but was not given, or one it does not take. The
file is written under a temporary name beside FILE and renamed over it (`os.replace`), so a
reader sees the previous file or the new one, never half of one.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from livetier import PROJECT_ROOT

# purpose -> the scope option the list needs (None: no scope)
SCOPE_BY_PURPOSE = {"warm_up": "anchor", "post_stream_care": "stream", "recall": None}
EXIT_BAD_INPUT = 2


class AudienceError(Exception):
    """Bad input; the message is one sentence for the user."""


@dataclass(frozen=True)
class Request:
    list_id: str
    anchor: str | None
    stream: str | None
    out: Path
    fmt: str


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _one_of(values: list[str]) -> str:
    return ", ".join(values) if values else "none"


def _scope(con: duckdb.DuckDBPyConnection, request: Request) -> tuple[str, str | None, str | None]:
    """Checks the list and its scope against the warehouse; returns (purpose, scope column, value)."""
    lists = dict(con.execute("select list_id, purpose from seeds.audience_lists order by list_id").fetchall())
    if request.list_id not in lists:
        raise AudienceError(f"unknown audience list '{request.list_id}': the lists are {_one_of(list(lists))}.")
    purpose = lists[request.list_id]
    needed = SCOPE_BY_PURPOSE[purpose]
    given = {"anchor": request.anchor, "stream": request.stream}
    for option, value in given.items():
        if value is not None and option != needed:
            raise AudienceError(
                f"list '{request.list_id}' ({purpose}) takes "
                + (f"--{needed}, not --{option}." if needed else f"no --{option}: it is not scoped by one."))
    if needed is None:
        return purpose, None, None
    value = given[needed]
    if value is None:
        raise AudienceError(f"list '{request.list_id}' ({purpose}) is per {needed}: give --{needed}.")
    column = f"{needed}_id"
    known = con.execute(f"select count(*) from operations.stream_kpis where {column} = ?", [value]).fetchone()[0]
    if not known:
        raise AudienceError(f"unknown {needed} '{value}': no stream of the warehouse (streams started by its "
                            f"as-of date) has that {column}.")
    return purpose, column, value


def export_members(db: Path, request: Request) -> int:
    """Writes the export; returns 0, 2 for bad input, 1 when the warehouse cannot be read or written."""
    db = Path(db).resolve()
    if not db.is_file():
        print(f"error: no published database at {db}; run `make run` (or set DUCKDB_PATH) first.", file=sys.stderr)
        return 1
    out = Path(request.out).resolve()
    if out.is_dir():
        print(f"error: --out {out} is a folder; give a file name.", file=sys.stderr)
        return EXIT_BAD_INPUT
    temp = out.parent / f".{out.name}.{os.getpid()}.writing"
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            present = {row[0] for row in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables").fetchall()}
            for needed in ("seeds.audience_lists", "operations.audience_members", "operations.stream_kpis"):
                if needed not in present:
                    print(f"error: {db} has no {needed}; rebuild it with `make run`.", file=sys.stderr)
                    return 1
            _, column, value = _scope(con, request)
            scope = f"{column}, " if column else ""
            where = f" and {column} = {_literal(value)}" if column else ""
            query = (f"select list_id, {scope}user_id, channel, message_type from operations.audience_members "
                     f"where list_id = {_literal(request.list_id)}{where} and held_back_reason is null "
                     "order by user_id")
            rows = con.execute(f"select count(*) from ({query})").fetchone()[0]
            options = "format parquet, compression zstd" if request.fmt == "parquet" else "format csv, header true"
            out.parent.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy ({query}) to {_literal(str(temp))} ({options})")
        os.replace(temp, out)
    except AudienceError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (duckdb.Error, OSError) as err:
        temp.unlink(missing_ok=True)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"error: audience export to {out} failed: {first}; nothing was changed there.", file=sys.stderr)
        return 1
    scope_text = f" ({column} {value})" if column else ""
    print(f"exported {rows:,} members to contact of list {request.list_id}{scope_text} to {out}")
    return 0


def _default_db() -> Path:
    return Path(os.environ.get("DUCKDB_PATH", "").strip() or PROJECT_ROOT / "warehouse.duckdb")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="livetier audience", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_export = sub.add_parser("export", help="write one list's members to contact (csv or parquet)")
    p_export.add_argument("--list", required=True, dest="list_id", help="list_id of seeds/audience_lists.csv")
    scope = p_export.add_mutually_exclusive_group()
    scope.add_argument("--anchor", help="the anchor of a warm_up list")
    scope.add_argument("--stream", help="the stream of a post_stream_care list")
    p_export.add_argument("--out", required=True, help="file to write (replaced atomically)")
    p_export.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p_export.add_argument("--db", help="published file to read (default: DUCKDB_PATH or warehouse.duckdb)")
    ns = parser.parse_args(argv)
    request = Request(ns.list_id, ns.anchor, ns.stream, Path(ns.out), ns.format)
    return export_members(Path(ns.db) if ns.db else _default_db(), request)


if __name__ == "__main__":
    raise SystemExit(main())
