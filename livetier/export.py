"""Exports of the published marts for tools that cannot open a DuckDB 2.0 file.

`python -m livetier export --out DIR [--format parquet|csv] [--db PATH]` writes one file per public
relation, `DIR/<schema>/<table>.<format>`, and `DIR/manifest.json` (rows, columns and types,
as_of_date, build time, git revision). The folder is written under a temporary name beside DIR and
renamed into place, so a reader never sees a half-written export.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from livetier import PROJECT_ROOT
from livetier.publish import public_relations

MANIFEST = "manifest.json"


def git_revision() -> str | None:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _as_of_date(con: duckdb.DuckDBPyConnection, relations: list[tuple[str, str]]) -> str | None:
    if ("segmentation", "user_tiers") not in relations:
        return None
    value = con.execute("select max(as_of_date) from segmentation.user_tiers").fetchone()[0]
    return value.isoformat() if value is not None else None


def _write(con: duckdb.DuckDBPyConnection, folder: Path, fmt: str) -> list[dict]:
    relations = public_relations(con, con.execute("select current_database()").fetchone()[0])
    tables = []
    for schema, table in relations:
        target = folder / schema / f"{table}.{fmt}"
        target.parent.mkdir(parents=True, exist_ok=True)
        options = "format parquet, compression zstd" if fmt == "parquet" else "format csv, header true"
        source = f"{_quote(schema)}.{_quote(table)}"
        con.execute(f"copy (select * from {source}) to {_literal(str(target))} ({options})")
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]
        ).fetchall()
        tables.append({
            "schema": schema,
            "name": table,
            "file": str(target.relative_to(folder)),
            "rows": con.execute(f"select count(*) from {source}").fetchone()[0],
            "columns": [{"name": name, "type": dtype} for name, dtype in columns],
        })
    return tables


def export(db: Path, out: Path, fmt: str = "parquet") -> int:
    """Writes the export; returns 0, or 1 with one sentence on stderr."""
    db, out = Path(db).resolve(), Path(out).resolve()
    if not db.is_file():
        print(f"error: no published database at {db}; run `make run` (or set DUCKDB_PATH) first.", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f".{out.name}.{os.getpid()}.exporting"
    old = out.parent / f".{out.name}.{os.getpid()}.replaced"
    shutil.rmtree(temp, ignore_errors=True)
    try:
        temp.mkdir()
        with duckdb.connect(str(db), read_only=True) as con:
            relations = public_relations(con, con.execute("select current_database()").fetchone()[0])
            if not relations:
                print(f"error: {db} holds no public mart (schemas segmentation, operations, quality); "
                      "is it a published livetier database?", file=sys.stderr)
                shutil.rmtree(temp, ignore_errors=True)
                return 1
            tables = _write(con, temp, fmt)
            manifest = {
                "source": str(db),
                "format": fmt,
                "as_of_date": _as_of_date(con, relations),
                "built_at": dt.datetime.fromtimestamp(db.stat().st_mtime, dt.UTC).isoformat(timespec="seconds"),
                "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "git_revision": git_revision(),
                "tables": tables,
            }
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            os.replace(out, old)  # each rename is atomic; the old export goes only once the new one is in place
        os.replace(temp, out)
        shutil.rmtree(old, ignore_errors=True)
    except (duckdb.Error, OSError) as err:
        shutil.rmtree(temp, ignore_errors=True)
        if old.exists() and not out.exists():
            os.replace(old, out)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"error: export to {out} failed: {first}; nothing was changed there.", file=sys.stderr)
        return 1
    rows = sum(t["rows"] for t in tables)
    print(f"exported {len(tables)} tables ({rows:,} rows, {fmt}) from {db} to {out}")
    return 0
