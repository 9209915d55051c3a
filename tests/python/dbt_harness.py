"""Helpers for end-to-end tests: write raw directories in any contract form and build them with dbt."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from livetier import PROJECT_ROOT, ingest
from livetier.publish import set_search_path
from livetier.rawcheck import RawDataError

EXAMPLES = PROJECT_ROOT / "tests" / "fixtures" / "examples"
EXAMPLES_RAW = EXAMPLES / "raw"
PINNED_CLOCK = "2025-04-20T00:00:00"
# the seed quality_bounds is read by the base models (lower bound on timestamps)
STAGING_SELECT = "quality_bounds staging intermediate.quality marts.quality"
# seeds and models only (no data or unit tests): for builds whose tables are the point
SEED_AND_MODELS = ["--resource-type", "seed", "--resource-type", "model"]
# dbt's own setting (the env form of --exclude-resource-type): what `build` leaves out
UNIT_TESTS_OFF = ("DBT_EXCLUDE_RESOURCE_TYPES", "unit_test")


def build(raw: Path, db: Path, as_of: str | None = None, select: str | None = None,
          clock: str = PINNED_CLOCK, command: str = "build", extra_args: list[str] | None = None,
          env_extra: dict[str, str] | None = None, unit_tests: bool = False) -> subprocess.CompletedProcess:
    """Runs dbt through the project's CLI path-checks-free route (dbt directly) and returns the result.

    dbt's unit tests are left out unless `unit_tests`: they test the SQL on their own given rows, not
    on `raw`, and `make test` runs them all once on the worked examples (`make fixtures`)."""
    env = dict(os.environ)
    env.pop(UNIT_TESTS_OFF[0], None)
    if not unit_tests:
        env.update([UNIT_TESTS_OFF])
    env.update({
        "RAW_PATH": str(raw),
        "DUCKDB_PATH": str(db),
        "BUILD_CLOCK": clock,
        "AS_OF_DATE": as_of or "",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    env.update(env_extra or {})
    dbt = str(Path(sys.executable).parent / "dbt")
    args = [dbt, command, "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT),
            "--target-path", str(db.parent / "target")]
    if select:
        args += ["--select", *select.split()]
    args += extra_args or []
    # the CLI's pre-pass (livetier.ingest): file list, aliases, independent counts, reload decision
    try:
        prepared = ingest.prepare(Path(env["RAW_PATH"]), Path(env["DUCKDB_PATH"]), environ=env)
    except RawDataError as err:
        return subprocess.CompletedProcess(args, 2, "", f"error: {err}\n")
    notice = ""
    if prepared.reload_reason and "--full-refresh" not in args:
        notice = f"Rebuilding the warehouse in full (--full-refresh): {prepared.reload_reason}\n"
        args.append("--full-refresh")
    done = subprocess.run(args, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode == 0:
        ingest.record_loaded(prepared)
    warned = "".join(line + "\n" for line in ingest.warnings(prepared))
    return subprocess.CompletedProcess(args, done.returncode, notice + done.stdout, done.stderr + warned)


def git(repo: Path, *args: str) -> str:
    """Runs git in `repo`; returns its stdout, stripped."""
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def rewrite_manifest(db: Path, change: Callable[[dict[str, str]], None]) -> Path:
    """Rewrites the files manifest of `db`'s landing folder with `change` applied to each row (a
    manifest as older code wrote it); returns its path."""
    manifest = ingest.landing_dir(db) / "files.csv"
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    for row in rows:
        change(row)
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def query(db: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        set_search_path(con)  # bare names resolve in the marts', seeds' and internal schemas
        return con.execute(sql).df()
    finally:
        con.close()


def ledger(db: Path) -> dict[tuple[str, str, str], int]:
    frame = query(db, "select raw_table, outcome, coalesce(reason, '') as reason, row_count from data_quality_ledger")
    return {(r.raw_table, r.outcome, r.reason): int(r.row_count) for r in frame.itertuples()}


def expected_ledger() -> dict[tuple[str, str, str], int]:
    frame = pd.read_csv(EXAMPLES / "expected_ledger.csv", dtype=str, keep_default_na=False)
    return {(r.raw_table, r.outcome, r.reason): int(r.rows) for r in frame.itertuples()}


def read_examples_table(table: str) -> pd.DataFrame:
    """One example table as text columns (what a CSV holds), folders concatenated by column name."""
    con = duckdb.connect()
    try:
        if (EXAMPLES_RAW / f"{table}.parquet").exists():
            rel = f"read_parquet('{EXAMPLES_RAW / table}.parquet')"
        elif (EXAMPLES_RAW / f"{table}.csv").exists():
            rel = f"read_csv('{EXAMPLES_RAW / table}.csv', all_varchar = true, header = true)"
        else:
            files = sorted(p for p in (EXAMPLES_RAW / table).glob("*.csv") if not p.name.startswith("_"))
            listed = ", ".join(f"'{p}'" for p in files)
            rel = f"read_csv([{listed}], all_varchar = true, header = true, union_by_name = true)"
        frame = con.execute(f"select * from {rel}").df()
    finally:
        con.close()
    return frame.astype(object).where(frame.notna(), None)


def write_table(frame: pd.DataFrame, raw: Path, table: str, form: str) -> None:
    """Writes one table as `<t>.csv`, `<t>.parquet` or a folder `<t>/` (half CSV, half Parquet)."""
    raw.mkdir(parents=True, exist_ok=True)
    text = frame.astype(object).where(frame.notna(), None).astype("string")
    if form == "csv":
        text.to_csv(raw / f"{table}.csv", index=False)
    elif form == "parquet":
        text.to_parquet(raw / f"{table}.parquet", index=False)
    elif form == "folder":
        folder = raw / table
        folder.mkdir(parents=True, exist_ok=True)
        half = len(text) // 2
        text.iloc[:half].to_csv(folder / "part-0.csv", index=False)
        text.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
        (folder / "_ignored.csv").write_text("garbage,not,read\n1,2,3\n")
        (folder / ".hidden.csv").write_text("garbage\n1\n")
    else:
        raise ValueError(form)
