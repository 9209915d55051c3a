"""The raw contract's tables and its one-sentence error; the file list for engines that cannot
list files in SQL (Spark). Discovery itself lives in `livetier.ingest`."""

from __future__ import annotations

import json
import os
from pathlib import Path

RAW_TABLES = (
    "orders",
    "users",
    "events",
    "live_streams",
    "products",
    "order_items",
    "refunds",
    "campaign_touches",
)


class RawDataError(Exception):
    """The raw directory cannot be built from; the message is one sentence for the user."""


def check_raw_dir(raw: Path) -> dict[str, str | None]:
    """Returns the form of every contract table (None when absent) or raises RawDataError."""
    from livetier.ingest import discover

    found: dict[str, str | None] = dict.fromkeys(RAW_TABLES)
    for item in discover(raw):
        relative = item.path.relative_to(raw).as_posix()
        found[item.raw_table] = f"{item.raw_table}/" if "/" in relative else relative
    return found


def raw_files(raw: Path, db: Path | None = None) -> dict[str, list[str]]:
    """The readable files of every contract table ([] when absent), spelled `<raw>/<name>` as
    `_source_file` records them. With `db`, the landing folder is prepared and files found
    unreadable are left out; without, every .csv/.parquet file found is listed."""
    from livetier.ingest import discover, prepare

    files: dict[str, list[str]] = {table: [] for table in RAW_TABLES}
    if db is None:
        for item in discover(raw):
            if item.format:
                files[item.raw_table].append(item.source_file)
    else:
        for item in prepare(raw, db).files:
            if item.status != "unreadable":
                files[item.raw_table].append(item.source_file)
    return files


def raw_files_var(raw: Path, db: Path | None = None) -> str:
    """`raw_files` (and, with `db`, `raw_manifest_dir`) as the JSON text of a dbt `--vars` value.

    `{"raw_files": {table: [{"name": <as listed>, "path": <absolute>}]}}`: Spark reads `path`
    (it would resolve a relative one against its warehouse, not the working directory) and
    records `name` as `_source_file`, as DuckDB does.
    """
    listed = raw_files(raw, db)
    value: dict = {"raw_files": {
        table: [{"name": name, "path": os.path.abspath(name)} for name in names] for table, names in listed.items()
    }}
    if db is not None:
        from livetier.ingest import landing_dir

        value["raw_manifest_dir"] = str(landing_dir(db).resolve())
    return json.dumps(value)


if __name__ == "__main__":
    # `dbt build --target spark --vars "$(python -m livetier.rawcheck RAW_DIR [DB])"`
    import sys

    try:
        print(raw_files_var(Path(sys.argv[1] if len(sys.argv) > 1 else "data/raw"),
                            Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None))
    except RawDataError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
