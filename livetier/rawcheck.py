"""Checks a raw directory before dbt runs, so a bad path gives one clear sentence."""

from __future__ import annotations

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


def _readable_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix in (".csv", ".parquet") and not p.name.startswith((".", "_"))
    )


def table_forms(raw: Path, table: str) -> list[str]:
    """The forms in which `table` is present: any of `<t>.parquet`, `<t>.csv`, `<t>/`."""
    forms = [f"{table}.{ext}" for ext in ("parquet", "csv") if (raw / f"{table}.{ext}").is_file()]
    folder = raw / table
    if folder.is_dir() and _readable_files(folder):
        forms.append(f"{table}/")
    return forms


def check_raw_dir(raw: Path) -> dict[str, str | None]:
    """Returns the form of every contract table (None when absent) or raises RawDataError."""
    if not raw.is_dir():
        raise RawDataError(
            f"The raw directory '{raw}' does not exist: set RAW_PATH to the folder of your export."
        )
    found: dict[str, str | None] = {}
    for table in RAW_TABLES:
        forms = table_forms(raw, table)
        if len(forms) > 1:
            raise RawDataError(
                f"Raw table '{table}' is present in more than one form in '{raw}' ({', '.join(forms)}): "
                "keep exactly one."
            )
        found[table] = forms[0] if forms else None
    if found["orders"] is None:
        raise RawDataError(
            f"The required raw table 'orders' was not found in '{raw}': "
            "provide orders.parquet, orders.csv or a folder orders/."
        )
    return found


def raw_files(raw: Path) -> dict[str, list[str]]:
    """The files to read for every contract table ([] when absent), written as `<raw>/<name>`.

    The same files, in the same order and spelling, as the DuckDB on-run-start macro finds
    with `glob()`: engines without file listing in SQL (Spark) get them through the dbt var
    `raw_files` (see `raw_files_var`). Raises RawDataError as `check_raw_dir` does.
    """
    forms = check_raw_dir(raw)
    root = str(raw).rstrip("/")
    files: dict[str, list[str]] = {}
    for table, form in forms.items():
        if form is None:
            files[table] = []
        elif form.endswith("/"):
            files[table] = [f"{root}/{table}/{p.name}" for p in _readable_files(raw / table)]
        else:
            files[table] = [f"{root}/{form}"]
    return files


def raw_files_var(raw: Path) -> str:
    """`raw_files` as the JSON text of a dbt `--vars` value.

    `{"raw_files": {table: [{"name": <as listed>, "path": <absolute>}]}}`: Spark reads `path`
    (it would resolve a relative one against its warehouse, not the working directory) and
    records `name` as `_source_file`, as DuckDB does.
    """
    import json
    import os

    listed = raw_files(raw)
    return json.dumps({"raw_files": {
        table: [{"name": name, "path": os.path.abspath(name)} for name in names] for table, names in listed.items()
    }})


if __name__ == "__main__":
    # `dbt build --target spark --vars "$(python -m livetier.rawcheck RAW_DIR)"`
    import sys

    try:
        print(raw_files_var(Path(sys.argv[1] if len(sys.argv) > 1 else "data/raw")))
    except RawDataError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
