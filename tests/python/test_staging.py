"""Staging and quarantine: file forms, optional tables, clear errors, exact ledger counts, PII."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dbt_harness import (
    EXAMPLES_RAW,
    STAGING_SELECT,
    build,
    expected_ledger,
    ledger,
    query,
    read_examples_table,
    write_table,
)

from livetier import PROJECT_ROOT

TABLES = ["orders", "users", "events", "live_streams", "products", "order_items", "refunds", "campaign_touches"]


def _ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("form", ["csv", "parquet", "folder"])
def test_every_file_form_gives_the_examples_ledger(tmp_path: Path, form: str) -> None:
    raw = tmp_path / "raw"
    for table in TABLES:
        write_table(read_examples_table(table), raw, table, form)
    db = tmp_path / "w.duckdb"
    _ok(build(raw, db, as_of="2025-03-31", select=STAGING_SELECT))
    assert ledger(db) == expected_ledger()


def test_examples_as_shipped_give_the_expected_ledger(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _ok(build(EXAMPLES_RAW, db, as_of="2025-03-31", select=STAGING_SELECT))
    assert ledger(db) == expected_ledger()
    # events/_excluded.csv is never read, so u13's comment is nowhere
    assert query(db, "select count(*) as n from stg_live__events where user_id = 'u13'").n[0] == 0


def test_only_orders_builds_with_empty_optional_tables(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    db = tmp_path / "w.duckdb"
    _ok(build(raw, db, as_of="2025-03-31", select=STAGING_SELECT))
    counts = ledger(db)
    assert {key[0] for key in counts} == {"orders"}
    assert counts[("orders", "kept", "")] == 27
    for table in TABLES[1:]:
        assert query(db, f"select count(*) as n from stg_live__{table}").n[0] == 0


def _cli_build(raw: Path, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livetier", "build", "--raw", str(raw), "--db", str(db)],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    )


def test_missing_raw_directory_is_one_clear_sentence(tmp_path: Path) -> None:
    result = _cli_build(tmp_path / "nowhere", tmp_path / "w.duckdb")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr and "RAW_PATH" in result.stderr
    assert "Traceback" not in result.stderr
    # the harness's route (pre-pass, then dbt) stops before dbt with the same sentence
    direct = build(tmp_path / "nowhere", tmp_path / "w2.duckdb", select="stg_live__orders")
    assert direct.returncode != 0
    assert "does not exist" in direct.stderr


def test_missing_orders_is_one_clear_sentence(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(EXAMPLES_RAW / "refunds.csv", raw / "refunds.csv")
    result = _cli_build(raw, tmp_path / "w.duckdb")
    assert result.returncode == 2
    assert "required raw table 'orders' was not found" in result.stderr
    direct = build(raw, tmp_path / "w2.duckdb", select="stg_live__orders")
    assert direct.returncode != 0
    assert "required raw table 'orders' was not found" in direct.stderr


def test_table_in_two_forms_is_an_error(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    (raw / "orders").mkdir()
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders" / "a.csv")
    result = _cli_build(raw, tmp_path / "w.duckdb")
    assert result.returncode == 2
    assert "more than one form" in result.stderr
    direct = build(raw, tmp_path / "w2.duckdb", select="stg_live__orders")
    assert direct.returncode != 0
    assert "more than one form" in direct.stderr


# Personal data (every schema, the warehouse file, target/ and logs/, the key): see test_pii.py.
